// A flow of the package's action nodes in the in-process Node-RED, against a fresh
// TerminalSimulator on 127.0.0.1 for each test: how the node tests deploy it, feed it messages
// and read its single output.
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TerminalSimulator } from '../../src';
import { captureOutputs, DeployedNode, FailureMessage, NodeOutputs, OneOutput, SuccessMessage, packageNode } from './flow-outputs';
import type { FlowNode } from './flow-node';
import type { NodeMessage } from '../../nodes/node-red';
import terminalNode from '../../nodes/mypos-terminal';
import actionNodes from '../../nodes/mypos-actions';
import { useInProcessNodeRed } from './in-process-node-red';
import { useSimulatorPerTest } from './simulator-per-test';
import { terminalConfigNode } from './terminal-config';
import { delay, waitFor } from './wait';

export const NODES = [terminalNode, actionNodes];
export const ACTION_TYPES = ['pay', 'refund', 'preauth', 'complete', 'cancel'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
/** How long to watch for a second (forbidden) output message after the first one. */
export const QUIET_MS = 120;
export const TAB: FlowNode = { id: 'tab1', type: 'tab', label: 'tests' };

/**
 * An action node with its own two helper nodes: `${id}-ok` on output 1 and `${id}-err` on output 2.
 * `alsoOk` adds more nodes to the success output (e.g. preauth → complete).
 */
export function actionNode(id: string, action: ActionType, props: Record<string, unknown> = {}, alsoOk: string[] = []): FlowNode[] {
  return [
    {
      id,
      type: `mypos-${action}`,
      z: 'tab1',
      name: `${action} node ${id}`,
      terminal: 'cfg',
      receipt: 'ON',
      custrcpt: 'OFF',
      wires: [[`${id}-ok`, ...alsoOk], [`${id}-err`]],
      ...props,
    },
    { id: `${id}-ok`, type: 'helper', z: 'tab1' },
    { id: `${id}-err`, type: 'helper', z: 'tab1' },
  ];
}

export function expectSuccess(result: OneOutput): SuccessMessage {
  assert.equal(result.output, 1, `expected the success output, got error: ${JSON.stringify(result.msg.payload)}`);
  assert.equal(result.msg.error, undefined);
  return result.msg as SuccessMessage;
}

/** Checks the error output shape common to every error, and returns the message. */
export function expectError(result: OneOutput, code: string, outcome: string): FailureMessage {
  assert.equal(result.output, 2, `expected the error output, got success: ${JSON.stringify(result.msg.payload)}`);
  const msg = result.msg as FailureMessage;
  const p = msg.payload;
  assert.equal(p.result, 'ERROR');
  assert.equal(p.code, code, `code (message: ${p.message})`);
  assert.equal(p.outcome, outcome);
  assert.equal(typeof p.ref, 'string');
  for (const key of ['status', 'statusName', 'statusText']) assert.ok(key in p, `payload.${key} present`);
  assert.deepEqual(Object.keys(msg.error).sort(), ['code', 'message', 'outcome']);
  assert.equal(msg.error.code, code);
  assert.equal(msg.error.outcome, outcome);
  assert.equal(typeof msg.error.message, 'string');
  assert.ok(msg.error.message.length > 10, 'a message in plain words');
  if (outcome === 'unknown') {
    assert.match(msg.error.message, /may have gone through/i);
    assert.match(msg.error.message, /check/i);
  }
  return msg;
}

/**
 * Call inside a describe: Node-RED in process, and before each test a fresh simulator. The object
 * returned reaches this test's simulator and outputs, and deploys and runs its flows.
 */
export function useActionNodeFlow() {
  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-action-node-');
  /** outputs[nodeId] = { ok: msg[], err: msg[] } filled by the helper nodes wired to that node. */
  let outputs: Record<string, NodeOutputs> = {};

  const flow = {
    get simulator(): TerminalSimulator {
      return each.simulator;
    },
    get outputs(): Record<string, NodeOutputs> {
      return outputs;
    },
    /** TCP connections the simulator accepted in this test. */
    get accepted(): number {
      return each.simulator.connectionsAccepted;
    },

    terminalConfig(overrides: Record<string, unknown> = {}): FlowNode {
      return terminalConfigNode('cfg', each.port, { name: 'simulated terminal', ...overrides });
    },

    /** Loads the flow and starts capturing every helper node's input. */
    async deploy(nodes: FlowNode[]): Promise<void> {
      const nodesOfFlow = [TAB, ...nodes];
      await helper.load(NODES, nodesOfFlow);
      outputs = captureOutputs(nodesOfFlow);
    },

    /** A flow with the config node and one action node called `id`. */
    async deployOne(action: ActionType, { config = {}, props = {}, id = 'act' }: { config?: Record<string, unknown>; props?: Record<string, unknown>; id?: string } = {}): Promise<DeployedNode> {
      await flow.deploy([flow.terminalConfig(config), ...actionNode(id, action, props)]);
      return packageNode(id);
    },

    count(id: string): number {
      return outputs[id].ok.length + outputs[id].err.length;
    },

    /**
     * Waits for the first output of node `id`, then makes sure no second message follows.
     * Resolves with { output: 1 | 2, msg }.
     */
    async one(id: string, timeoutMs = 3000): Promise<OneOutput> {
      await waitFor(() => flow.count(id) >= 1, `an output message from ${id}`, timeoutMs);
      await delay(QUIET_MS);
      assert.equal(flow.count(id), 1, `exactly one output message from ${id} (got ${outputs[id].ok.length} on output 1, ${outputs[id].err.length} on output 2)`);
      return outputs[id].ok.length === 1 ? { output: 1, msg: outputs[id].ok[0] } : { output: 2, msg: outputs[id].err[0] };
    },

    /** Sends msg into node `id` and returns its single output. */
    async run(id: string, msg: NodeMessage, timeoutMs?: number): Promise<OneOutput> {
      helper.getNode(id).receive(msg);
      return flow.one(id, timeoutMs);
    },

    /** Runs a pre-authorization on the simulator through a preauth node and returns its code. */
    async preauthorize(id: string, amount: number): Promise<string> {
      const { msg } = await flow.run(id, { payload: amount });
      assert.equal(msg.payload.result, 'OK', JSON.stringify(msg.payload));
      outputs[id] = { ok: [], err: [] };
      return msg.preauthcode ?? '';
    },
  };
  return flow;
}
