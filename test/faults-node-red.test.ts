/**
 * The fault-injection suite (see faults-tcp.test.ts): the pay node in a real Node-RED runtime
 * against the same faults, one output per input and nothing left behind.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TransactionResult } from '../src';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import type { ResourceCounts } from './support/resources';
import type { TcpEnv } from './support/fault-env';
import { baseline, expectResources, freePort, sleep, tcpEnv, waitFor } from './support/fault-env';
import type { FaultCase } from './support/fault-cases';
import { CONNECT, FIELDS, QUIET_MS, TCP_CASES, TIMEOUT, assertResult, describeResult, keyFor, unique } from './support/fault-cases';
import type { Fields } from './support/fault-cases';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { terminalConfigNode } from './support/terminal-config';

/** An output message of the pay node, as far as these tests read it. */
interface PayOutput {
  readonly _msgid?: unknown;
  readonly payload: TransactionResult;
  readonly error?: unknown;
}

/** What the pay node sent, on which output, for which input. */
interface SentByNode {
  readonly id: unknown;
  readonly output: 1 | 2;
  readonly payload: unknown;
}

describe('faults: the pay node in Node-RED (one output per input, nothing left behind)', function () {
  this.timeout(20000);
  let e: TcpEnv;
  let startCounts: ResourceCounts;
  let sentByNode: SentByNode[];
  let inputs: string[];

  useInProcessNodeRed();

  function flow(port: number, name = 'pay node'): object[] {
    return [
      { id: 'tab', type: 'tab', label: 'faults' },
      // A short window for late answers keeps the suite quick; a queue of one lets the next message wait it out.
      terminalConfigNode('cfg', port, { z: 'tab', name: 'terminal', responseTimeout: '1', connectTimeout: '2', lateAnswerWindow: '0.1', queueLimit: '1' }),
      { id: 'pay', type: 'mypos-pay', z: 'tab', name, terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'err', type: 'helper', z: 'tab' },
    ];
  }

  /**
   * Records what the pay node sends, on which output, by the input's _msgid (from the calls of
   * node.send that node-red-node-test-helper reports as `call:send` events).
   */
  function watchPayNode(): void {
    const node = helper.getNode('pay');
    node.on('call:send', (call: { readonly args: readonly unknown[] }) => {
      const [ok, err] = call.args[0] as [PayOutput | null | undefined, PayOutput | null | undefined];
      const msg = ok ?? err;
      assert.ok(msg, 'the pay node sent a message');
      sentByNode.push({ id: msg._msgid, output: ok ? 1 : 2, payload: msg.payload });
    });
  }

  async function runMessage(fields: Fields): Promise<{ output: 1 | 2; msg: PayOutput }> {
    const id = unique('msg');
    const delivered = new Promise<{ output: 1 | 2; msg: PayOutput }>((resolve) => {
      const okNode = helper.getNode('ok');
      const errNode = helper.getNode('err');
      const onOk = (msg: Record<string, unknown>): void => finish(1, msg as unknown as PayOutput);
      const onErr = (msg: Record<string, unknown>): void => finish(2, msg as unknown as PayOutput);
      function finish(output: 1 | 2, msg: PayOutput): void {
        if (msg._msgid !== id) return;
        okNode.removeListener('input', onOk);
        errNode.removeListener('input', onErr);
        resolve({ output, msg });
      }
      okNode.on('input', onOk);
      errNode.on('input', onErr);
    });
    helper.getNode('pay').receive({ _msgid: id, payload: fields.amount, invoice: fields.invoice });
    const out = await delivered;
    inputs.push(id);
    return out;
  }

  /** After a quiet while: every input got exactly one output message from the pay node. */
  async function assertOneOutputEach() {
    await sleep(QUIET_MS);
    for (const id of inputs) assert.equal(sentByNode.filter((sent) => sent.id === id).length, 1, `exactly one output message for input ${id}`);
    assert.equal(sentByNode.length, inputs.length, 'no output without an input');
  }

  beforeEach(async () => {
    startCounts = await baseline();
    e = await tcpEnv();
    sentByNode = [];
    inputs = [];
  });

  afterEach(async () => {
    await e.close();
    await expectResources(startCounts, 'after unloading the flow');
  });

  const cases: FaultCase[] = TCP_CASES.filter((kase) => !['never answers'].includes(kase.name) && !kase.late).concat([
    { name: 'never answers', fault: { fault: 'silent' }, expect: TIMEOUT },
    { name: 'answers after the timeout', fault: { delayMs: 1300 }, followUp: { delayMs: 600 }, expect: TIMEOUT, late: true },
  ]);

  for (const kase of cases) {
    const expected = kase.expect.result === 'OK' ? 'output 1' : `output 2 ${kase.expect.code}/${kase.expect.outcome}`;
    it(`the terminal ${kase.name} -> ${expected}; the next message gets its own answer`, async () => {
      await helper.load([terminalNode, actionNodes], flow(e.port));
      await deployedConfigNode().whenClient;
      watchPayNode();
      const fields = FIELDS.pay();
      const key = keyFor('pay', fields);
      e.simulator.nextBehaviours.push(kase.fault, ...(kase.followUp ? [kase.followUp] : []));
      const { output, msg } = await runMessage(fields);
      assert.equal(output, kase.expect.result === 'OK' ? 1 : 2, describeResult(msg.payload));
      assertResult(msg.payload, kase.expect, 'pay', fields);
      if (output === 2) {
        assert.ok(msg.payload.result === 'ERROR' && kase.expect.result === 'ERROR', describeResult(msg.payload)); // as asserted above
        assert.deepEqual(msg.error, { message: msg.payload.message, code: kase.expect.code, outcome: kase.expect.outcome });
      }
      assert.equal(e.log.count(key), 1, 'received exactly once');

      const next = FIELDS.pay();
      const followUp = await runMessage(next);
      assert.equal(followUp.output, 1, describeResult(followUp.msg.payload));
      const nextKey = keyFor('pay', next);
      await waitFor(() => e.log.refsFor(nextKey).length > 0, `the terminal to answer ${nextKey}`, 3000);
      const taken = e.log.answers.find((entry) => entry.ref === followUp.msg.payload.ref);
      assert.equal(followUp.msg.payload.ref, e.log.refsFor(nextKey)[0], `the next message took the answer made for ${taken?.key ?? 'nothing the terminal made'} instead of its own`);
      if (kase.late) {
        await waitFor(() => e.log.refsFor(key).length === 1, 'the late answer to be made', 3000);
        assert.notEqual(followUp.msg.payload.ref, e.log.refsFor(key)[0]);
      }
      assert.equal(e.log.count(keyFor('pay', next)), 1);
      await assertOneOutputEach();
      assert.equal(e.log.count(key), 1, 'never re-sent');
    });
  }

  it('the terminal refuses connections -> output 2 CONNECT/not-sent, nothing received', async () => {
    const port = await freePort();
    await helper.load([terminalNode, actionNodes], flow(port));
    watchPayNode();
    const fields = FIELDS.pay();
    const { output, msg } = await runMessage(fields);
    assert.equal(output, 2);
    assertResult(msg.payload, CONNECT, 'pay', fields);
    await assertOneOutputEach();
    assert.equal(e.log.received.length, 0);
  });

  it('redeploying the pay node 10 times under faults leaves the shared journal and client with the same listeners', async () => {
    await helper.load([terminalNode, actionNodes], flow(e.port));
    const config = deployedConfigNode();
    const client = await config.whenClient;
    const { journal } = config;
    assert.ok(client && journal, 'the config node has its client and journal');
    // The listeners registered on the shared objects (onChange, onConnectionState), counted through
    // their test-only seams (Journal.changeListenerCountForTests, TerminalClient.listenerCountsForTests).
    const listeners = () => ({ journal: journal.changeListenerCountForTests(), client: client.listenerCountsForTests().connectionState });
    const start = listeners();
    const faults: FaultCase['fault'][] = [{ fault: 'garbage' }, { fault: 'drop' }, { fault: 'twice' }, { fault: 'halfway' }, {}];
    for (let round = 0; round < 10; round++) {
      await helper.setFlows(flow(e.port, `pay node ${round}`), 'nodes');
      assert.equal(helper.getNode('cfg'), config, 'the config node was not restarted');
      watchPayNode();
      e.simulator.nextBehaviours.push(faults[round % faults.length]);
      await runMessage(FIELDS.pay());
    }
    assert.deepEqual(listeners(), start);
    await assertOneOutputEach();
    assert.equal(sentByNode.length, 10);
  });
});
