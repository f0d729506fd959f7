// What the action nodes of a deployed flow send and show: every helper node called `<id>-ok` or
// `<id>-err` collects the messages of node <id>'s first or second output, and a node's statuses
// are recorded as it shows them.
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage, NodeStatus } from '../../nodes/node-red';
import type { ErrorCode, Outcome, TransactionFailure, TransactionSuccess } from '../../src';

/** A message on an action node's success output. */
export interface SuccessMessage extends NodeMessage {
  payload: TransactionSuccess;
  preauthcode?: string;
}

/** A message on an action node's error output. */
export interface FailureMessage extends NodeMessage {
  payload: TransactionFailure;
  error: { message: string; code: ErrorCode; outcome: Outcome };
  preauthcode?: string;
}

/** What one action node sent: `ok` on output 1, `err` on output 2. */
export interface NodeOutputs {
  ok: SuccessMessage[];
  err: FailureMessage[];
}

/** A node's single output: which output it took, and the message. */
export interface OneOutput {
  output: 1 | 2;
  msg: SuccessMessage | FailureMessage;
}

/** Starts capturing, for each `<id>-ok` / `<id>-err` helper node of the flow, what node <id> sends. */
export function captureOutputs(flow: readonly { id: string; type: string }[]): Record<string, NodeOutputs> {
  const outputs: Record<string, NodeOutputs> = {};
  for (const node of flow) {
    const match = /^(.*)-(ok|err)$/.exec(node.id);
    if (node.type !== 'helper' || !match) continue;
    const [, owner, which] = match;
    outputs[owner] ??= { ok: [], err: [] };
    helper.getNode(node.id).on('input', (msg) => {
      if (which === 'ok') outputs[owner].ok.push(msg as SuccessMessage);
      else outputs[owner].err.push(msg as FailureMessage);
    });
  }
  return outputs;
}

/** A deployed node of the package, with what Node-RED's Node gives every node: receive, send, close. */
export interface DeployedNode extends Node {
  receive(msg: NodeMessage): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  close(removed?: boolean): Promise<void>;
  context(): { flow: ContextStore; global: ContextStore };
}

/** A node's flow or global context, as a function node sees it. */
export interface ContextStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** The deployed node `id` as the package's node code sees it. */
export function packageNode(id: string): DeployedNode {
  return helper.getNode(id) as unknown as DeployedNode;
}

/** Records every status the node shows (and still shows it); with `fail`, every call also throws (after recording). */
export function watchStatus(node: Node, { fail = false } = {}): NodeStatus[] {
  const seen: NodeStatus[] = [];
  const original = node.status.bind(node);
  node.status = (status) => {
    seen.push(status);
    if (fail) throw new Error('injected: status failed');
    original(status);
  };
  return seen;
}

/** The text of the last status the node showed; fails when it showed none. */
export function lastStatusText(seen: readonly NodeStatus[]): string {
  assert.ok(seen.length > 0, 'the node showed a status');
  return seen[seen.length - 1].text ?? '';
}

/** A result as a flow reads msg.payload: a failure's fields are undefined on a success. */
export type ResultPayload = TransactionFailure | (TransactionSuccess & Partial<Omit<TransactionFailure, keyof TransactionSuccess>>);

/** A message on either output of an action node. */
export interface ResultMessage extends NodeMessage {
  payload: ResultPayload;
}
