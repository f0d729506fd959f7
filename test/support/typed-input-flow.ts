// The typed-input tests' flow: the action node flow (./action-node-flow) with the config node
// always deployed, action nodes as a flow saved before typed inputs existed has them (no name),
// and what a typed input's result or refusal looks like.
import assert from 'node:assert/strict';
import type { NodeMessage } from '../../nodes/node-red';
import type { ReceivedMessage } from '../../src';
import { ActionType, actionNode, useActionNodeFlow } from './action-node-flow';
import type { FailureMessage, OneOutput, ResultPayload } from './flow-outputs';
import type { FlowNode } from './flow-node';

/**
 * An action node as a flow saved before typed inputs existed has it: name, terminal, receipt,
 * custrcpt and nothing else. `props` adds typed-input settings.
 */
export function savedActionNode(id: string, action: ActionType, props: Record<string, unknown> = {}): FlowNode[] {
  return actionNode(id, action, { name: '', ...props });
}

export function ok(result: OneOutput): ResultPayload {
  assert.equal(result.output, 1, `expected success, got ${JSON.stringify(result.msg.payload)}`);
  assert.equal(result.msg.payload.result, 'OK');
  return result.msg.payload;
}

/** An INVALID_INPUT error whose message begins with `field`; nothing reached the terminal. */
export function invalid(result: OneOutput, field: string): ResultPayload & { message: string } {
  assert.equal(result.output, 2, `expected the error output, got ${JSON.stringify(result.msg.payload)}`);
  const p = result.msg.payload;
  assert.equal(p.result, 'ERROR');
  assert.equal(p.code, 'INVALID_INPUT', p.message);
  assert.equal(p.outcome, 'not-sent');
  assert.ok(p.message.startsWith(`${field} `), `message names ${field}: "${p.message}"`);
  assert.match(p.message, /Nothing was sent\.$/);
  assert.equal((result.msg as FailureMessage).error.code, 'INVALID_INPUT');
  return p;
}

/** Call inside a describe: the action node flow, each deploy with the config node `cfg`. */
export function useTypedInputFlow() {
  const flow = useActionNodeFlow();
  return {
    flow,
    deploy: (nodes: FlowNode[]): Promise<void> => flow.deploy([flow.terminalConfig(), ...nodes]),
    /** Sends msg into node `id`, waits for its single output and returns { output: 1 | 2, msg }. */
    run: (id: string, msg: NodeMessage): Promise<OneOutput> => {
      flow.outputs[id] = { ok: [], err: [] };
      return flow.run(id, msg);
    },
    /** The last request the simulator received. */
    lastRequest: (): NonNullable<ReceivedMessage['request']> => {
      assert.ok(flow.simulator.received.length > 0, 'the simulator received a request');
      const { request } = flow.simulator.received[flow.simulator.received.length - 1];
      assert.ok(request, 'a request the simulator could read');
      return request;
    },
  };
}
