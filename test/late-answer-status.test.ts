// A late answer (the terminal's answer to a request that had ended with TIMEOUT) as a flow hears
// it: the action node's status, which Node-RED's own `status` node delivers as msg.status, once,
// with `late` saying what it was about and what the terminal said. Real runtime, simulator on
// 127.0.0.1.
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { ResultPayload } from './support/flow-outputs';
import type { NodeStatus } from '../nodes/node-red';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import { statusNode, useInProcessNodeRed } from './support/in-process-node-red';
import { useSimulatorPerTest } from './support/simulator-per-test';
import { waitFor, delay } from './support/wait';
import { terminalConfigNode } from './support/terminal-config';

describe('a late answer, as a flow hears it', function () {
  this.timeout(15000);
  const NODES = [terminalNode, actionNodes, statusNode()];
  let outputs: { results: ResultPayload[]; statuses: NodeStatus[] };

  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-late-answer-');

  /** A pay node on the simulator (answers within 1 s, late answers heard for 10 s), and a status node watching it. */
  async function deploy(): Promise<void> {
    await helper.load(NODES, [
      { id: 'tab', type: 'tab', label: 'late answers' },
      terminalConfigNode('cfg', each.port, { responseTimeout: '1', lateAnswerWindow: '10' }),
      { id: 'pay', type: 'mypos-pay', z: 'tab', terminal: 'cfg', receipt: 'OFF', custrcpt: 'OFF', wires: [['results'], ['results']] },
      { id: 'results', type: 'helper', z: 'tab' },
      { id: 'watch', type: 'status', z: 'tab', scope: ['pay'], wires: [['statuses']] },
      { id: 'statuses', type: 'helper', z: 'tab' },
    ]);
    outputs = { results: [], statuses: [] };
    helper.getNode('results').on('input', (msg) => outputs.results.push(msg.payload as ResultPayload));
    helper.getNode('statuses').on('input', (msg) => outputs.statuses.push(msg.status as NodeStatus));
  }

  async function pay(amount: number, invoice: string): Promise<ResultPayload> {
    const before = outputs.results.length;
    helper.getNode('pay').receive({ payload: amount, invoice });
    await waitFor(() => outputs.results.length > before, `the result for ${invoice}`, 10000);
    return outputs.results[outputs.results.length - 1];
  }

  const lateStatuses = () => outputs.statuses.filter((status) => status.late !== undefined);

  it('an approval after the timeout: the status node hears "late answer: approved" once, with msg.status.late naming the invoice and the ref; the next message clears it', async function () {
    await deploy();
    each.simulator.nextBehaviours.push({ delayMs: 1600 });
    const timedOut = await pay(7.5, 'LATE-OK');
    assert.deepEqual([timedOut.code, timedOut.outcome], ['TIMEOUT', 'unknown']);
    assert.match(outputs.statuses.at(-1)?.text ?? '', /^check terminal: 7\.50$/, 'until the answer comes, the node asks for a check');

    await waitFor(() => lateStatuses().length > 0, 'the late answer', 5000);
    await delay(300); // the journal records it meanwhile: the status is not heard again
    const [late, ...again] = lateStatuses();
    assert.deepEqual(again, [], 'heard once');
    assert.deepEqual([late.fill, late.shape, late.text], ['green', 'dot', 'late answer: approved 7.50']);
    assert.equal(late.late?.outcome, 'approved');
    assert.deepEqual([late.late?.action, late.late?.invoice, late.late?.amount], ['pay', 'LATE-OK', '7.50']);
    assert.match(late.late?.ref, /^\S+$/, 'the ref the terminal gave');
    assert.equal(outputs.statuses.at(-1), late, 'it stays until something else happens');

    const next = await pay(2, 'AFTER');
    assert.equal(next.result, 'OK');
    await delay(200);
    assert.equal(lateStatuses().length, 1, 'the next message does not bring it back');
    assert.equal(outputs.statuses.at(-1)?.text, 'approved 2.00');
  });

  it('a decline after the timeout: "late answer: not approved", with the code in msg.status.late and the reason in the log', async function () {
    await deploy();
    each.simulator.nextBehaviours.push({ delayMs: 1600 });
    const timedOut = await pay(7.51, 'LATE-NO');
    assert.equal(timedOut.code, 'TIMEOUT');
    await waitFor(() => lateStatuses().length > 0, 'the late answer', 5000);
    const [late] = lateStatuses();
    assert.deepEqual([late.fill, late.text, late.late?.outcome, late.late?.invoice, late.late?.code], ['red', 'late answer: not approved', 'declined', 'LATE-NO', 'TERMINAL']);
    assert.equal(late.late?.message, undefined);
  });
});
