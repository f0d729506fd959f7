/**
 * Every node of the package in a real Node-RED runtime (node-red-node-test-helper), against the
 * real TerminalSimulator on 127.0.0.1. Covers the contract of issue 2: output shape, input rules,
 * the error table, one output per input, node status, closing mid-transaction and partial deploys.
 * This file: the error table.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { ACTION_TYPES, QUIET_MS, actionNode, expectError, expectSuccess, useActionNodeFlow } from './support/action-node-flow';
import { lastStatusText, watchStatus } from './support/flow-outputs';
import { deployedConfigNode } from './support/in-process-node-red';
import { delay as sleep, waitFor } from './support/wait';
import { freePort } from './support/ports';

describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(5000);
  const flow = useActionNodeFlow();

  describe('error table through the node', function () {
    it('TERMINAL: flow.simulator fault "decline" → status 2, TRANSACTION_DECLINED, outcome failed; status shows declined', async function () {
      flow.simulator.behaviour = { fault: 'decline' };
      const node = await flow.deployOne('pay');
      const statuses = watchStatus(node);
      const msg = expectError(await flow.run('act', { topic: 't', payload: 5, invoice: 'D-1' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'pay');
      assert.equal(msg.payload.status, 2);
      assert.equal(msg.payload.statusName, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.ref, '');
      assert.equal(msg.payload.invoice, 'D-1');
      assert.equal(msg.payload.amount, '5.00');
      assert.equal(msg.topic, 't');
      assert.equal(flow.simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'card declined');
      // What a person reads comes first, in words; the machine fields stay for flows.
      assert.equal(msg.payload.message, 'Card declined by the bank.');
      assert.equal(Object.keys(msg.payload)[0], 'message');
      assert.equal(msg.payload.messageKey, 'declined.declined');
    });

    it('TERMINAL: amount 13.51 is declined by the simulator', async function () {
      await flow.deployOne('refund');
      const msg = expectError(await flow.run('act', { payload: 13.51 }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'refund');
      assert.equal(msg.payload.status, 2);
      assert.equal(msg.payload.statusName, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.amount, '13.51');
    });

    it('TERMINAL: amount 13.52 → status 1, TRANSACTION_CANCELED', async function () {
      await flow.deployOne('pay');
      const msg = expectError(await flow.run('act', { payload: '13.52' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.status, 1);
      assert.equal(msg.payload.statusName, 'TRANSACTION_CANCELED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_CANCELED');
    });

    it("TERMINAL: complete of an unknown code (the app's malformed < preautcompletionhresp > reply) → status 5", async function () {
      await flow.deployOne('complete');
      const msg = expectError(await flow.run('act', { payload: 5, preauthcode: 'UNKNOWN-CODE' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'complete');
      assert.equal(msg.payload.status, 5);
      assert.equal(msg.payload.statusName, 'NO_DATA_FOUND');
      assert.equal(msg.payload.preauthcode, 'UNKNOWN-CODE');
      assert.equal(msg.preauthcode, 'UNKNOWN-CODE');
    });

    it('TERMINAL: cancel of an unknown code → status 5', async function () {
      await flow.deployOne('cancel');
      const msg = expectError(await flow.run('act', { preauthcode: 'UNKNOWN-CODE' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.status, 5);
      assert.equal(msg.payload.statusName, 'NO_DATA_FOUND');
    });

    it('BAD_XML: the app answers Hibás XML → outcome failed', async function () {
      flow.simulator.behaviour = { fault: 'bad-xml' };
      await flow.deployOne('preauth');
      const msg = expectError(await flow.run('act', { payload: 5 }), 'BAD_XML', 'failed');
      assert.equal(msg.payload.action, 'preauth');
      assert.equal(msg.payload.ref, 'Hibás XML');
      assert.equal(msg.preauthcode, undefined, 'no preauthcode on an error');
      assert.equal(flow.simulator.received.length, 1);
    });

    it('BUSY: a second message on another node of the same terminal while one is open gets BUSY at once; the first succeeds', async function () {
      flow.simulator.behaviour = { delayMs: 400 };
      await flow.deploy([flow.terminalConfig(), ...actionNode('first', 'pay'), ...actionNode('second', 'pay')]);
      helper.getNode('first').receive({ payload: 10, invoice: 'FIRST' });
      await waitFor(() => flow.simulator.received.length === 1, 'the first request', 2000);
      const sentAt = Date.now();
      helper.getNode('second').receive({ _msgid: 'busy-1', payload: 20, invoice: 'SECOND' });
      await waitFor(() => flow.count('second') >= 1, 'the BUSY answer', 2000);
      const busyAfter = Date.now() - sentAt;
      assert.ok(busyAfter < 200, `BUSY came at once (${busyAfter} ms)`);
      assert.equal(flow.count('first'), 0, 'BUSY arrives before the first request ends');
      const busy = expectError(await flow.one('second'), 'BUSY', 'not-sent');
      assert.equal(busy._msgid, 'busy-1');
      assert.equal(busy.payload.invoice, 'SECOND');
      assert.equal(busy.payload.amount, '20.00');
      assert.match(busy.error.message, /nothing was sent/i);

      const first = expectSuccess(await flow.one('first', 2000));
      assert.equal(first.payload.invoice, 'FIRST');
      assert.deepEqual(
        flow.simulator.received.map((r) => r.request?.invoice),
        ['FIRST'],
        'the second request never reached the terminal',
      );
      assert.equal(flow.count('second'), 1);
    });

    it('BUSY: a second message on the same node while one is open', async function () {
      flow.simulator.behaviour = { delayMs: 300 };
      await flow.deployOne('pay');
      const node = helper.getNode('act');
      node.receive({ payload: 10, invoice: 'ONE' });
      await waitFor(() => flow.simulator.received.length === 1, 'the first request', 2000);
      node.receive({ payload: 20, invoice: 'TWO' });
      await waitFor(() => flow.count('act') === 2, 'two flow.outputs', 2000);
      await sleep(QUIET_MS);
      assert.equal(flow.count('act'), 2);
      assert.equal(flow.outputs.act.err.length, 1);
      assert.equal(flow.outputs.act.err[0].payload.code, 'BUSY');
      assert.equal(flow.outputs.act.err[0].payload.invoice, 'TWO');
      assert.equal(flow.outputs.act.ok.length, 1);
      assert.equal(flow.outputs.act.ok[0].payload.invoice, 'ONE');
      assert.equal(flow.simulator.received.length, 1);
    });

    it('CONNECT: nothing listens on the configured port → not-sent; status shows terminal not reachable', async function () {
      const port = await freePort();
      const node = await flow.deployOne('pay', { config: { port: String(port) } });
      const statuses = watchStatus(node);
      const msg = expectError(await flow.run('act', { payload: 5, invoice: 'C-1' }), 'CONNECT', 'not-sent');
      assert.equal(msg.payload.invoice, 'C-1');
      assert.match(msg.error.message, /nothing was sent/i);
      assert.ok(msg.error.message.includes(String(port)), `names the address: ${msg.error.message}`);
      assert.equal(lastStatusText(statuses), 'terminal not reachable');
      assert.ok(
        statuses.some((s) => /connecting/.test(s.text ?? '')),
        'showed connecting first',
      );
    });

    it('TIMEOUT: fault "silent" with responseTimeout 1 s → outcome unknown; status says to check that amount on the terminal', async function () {
      this.timeout(6000);
      flow.simulator.behaviour = { fault: 'silent' };
      const node = await flow.deployOne('pay', { config: { responseTimeout: '1' } });
      const statuses = watchStatus(node);
      const start = Date.now();
      const msg = expectError(await flow.run('act', { payload: 5, invoice: 'T-1' }, 4000), 'TIMEOUT', 'unknown');
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 950 && elapsed < 3000, `answered after about 1 s (${elapsed} ms)`);
      assert.equal(msg.payload.invoice, 'T-1');
      assert.equal(msg.payload.amount, '5.00');
      assert.equal(flow.simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
      assert.ok(
        statuses.some((s) => /waiting/.test(s.text ?? '') && (s.text ?? '').includes('5.00')),
        'showed waiting with the amount',
      );
    });

    it('CONNECTION_LOST: fault "drop" → outcome unknown; status says to check that amount on the terminal', async function () {
      flow.simulator.behaviour = { fault: 'drop' };
      const node = await flow.deployOne('refund');
      const statuses = watchStatus(node);
      const msg = expectError(await flow.run('act', { payload: 5 }), 'CONNECTION_LOST', 'unknown');
      assert.equal(msg.payload.action, 'refund');
      assert.equal(flow.simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
    });

    it('CONNECTION_LOST: fault "halfway" → outcome unknown', async function () {
      flow.simulator.behaviour = { fault: 'halfway' };
      await flow.deployOne('pay');
      expectError(await flow.run('act', { payload: 5 }), 'CONNECTION_LOST', 'unknown');
    });

    it('PROTOCOL: fault "garbage" → outcome unknown', async function () {
      flow.simulator.behaviour = { fault: 'garbage' };
      const node = await flow.deployOne('pay');
      const statuses = watchStatus(node);
      const msg = expectError(await flow.run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      assert.equal(msg.payload.action, 'pay');
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
    });

    it('PROTOCOL: fault "wrong-root" → outcome unknown, even though the reply said OK', async function () {
      flow.simulator.behaviour = { fault: 'wrong-root' };
      await flow.deployOne('preauth');
      const msg = expectError(await flow.run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      assert.equal(msg.payload.action, 'preauth');
      assert.equal(msg.preauthcode, undefined, 'no preauthcode from an answer to another action');
    });

    it('PROTOCOL: fault "wrong-root" on pay (answered as refund)', async function () {
      flow.simulator.behaviour = { fault: 'wrong-root' };
      await flow.deployOne('pay');
      expectError(await flow.run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
    });

    it('after an unknown outcome the terminal is left alone for the window for a late answer, then the next request works on a new connection', async function () {
      flow.simulator.nextBehaviours.push({ fault: 'garbage' });
      await flow.deployOne('pay', { config: { connectionMode: 'reuse', lateAnswerWindow: '0.2' } });
      expectError(await flow.run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      flow.outputs.act = { ok: [], err: [] };
      const meanwhile = expectError(await flow.run('act', { payload: 6 }), 'BUSY', 'not-sent');
      assert.match(meanwhile.error.message, /has not answered an earlier pay/);
      const client = deployedConfigNode().client;
      assert.ok(client);
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      flow.outputs.act = { ok: [], err: [] };
      expectSuccess(await flow.run('act', { payload: 6 }));
      assert.equal(flow.accepted, 2, 'a fresh connection after the protocol error');
    });

    it('fault "twice": the first answer is taken, the repeated one never becomes a second output', async function () {
      flow.simulator.nextBehaviours.push({ fault: 'twice' });
      await flow.deployOne('pay');
      expectSuccess(await flow.run('act', { payload: 5, invoice: 'TW-1' }));
      flow.outputs.act = { ok: [], err: [] };
      const next = await flow.run('act', { payload: 6, invoice: 'TW-2' });
      // The stray copy must never answer TW-2: either it was noticed (and TW-2 went out on a fresh
      // connection), or TW-2 got its own answer.
      expectSuccess(next);
      assert.equal(next.msg.payload.invoice, 'TW-2');
      assert.deepEqual(
        flow.simulator.received.map((r) => r.request?.invoice),
        ['TW-1', 'TW-2'],
      );
    });

    it('fault "bytewise" and closeAfterAnswer: answers in pieces and apps that hang up still work', async function () {
      flow.simulator.behaviour = { fault: 'bytewise', byteDelayMs: 0, closeAfterAnswer: true };
      await flow.deployOne('pay');
      expectSuccess(await flow.run('act', { payload: 5 }));
      flow.outputs.act = { ok: [], err: [] };
      expectSuccess(await flow.run('act', { payload: 6 }));
      assert.equal(flow.simulator.received.length, 2);
    });

    // Each setting named as the dialog labels it (catalog label.*), never by its property name.
    const badConfigs = [
      { name: 'port "abc"', config: { port: 'abc' }, mention: /"Port" must be a whole number from 1 to 65535, not "abc"\./, property: 'port' },
      { name: 'no host', config: { host: '' }, mention: /"Host" is empty: enter the IP address the Payment Interface app shows\./, property: 'host' },
      { name: 'responseTimeout 0', config: { responseTimeout: '0' }, mention: /"Answer within" must be a number of seconds from 1 to 3600, not "0"\./, property: 'responseTimeout' },
      { name: 'maxAmount "lots"', config: { maxAmount: 'lots' }, mention: /Max\. amount must be a decimal number like 12\.50, not "lots"\./, property: 'maxAmount' },
      { name: 'connection "serial" without serialPath', config: { connection: 'serial', serialPath: '' }, mention: /"Serial port" is empty/, property: 'serialPath' },
      {
        name: 'connection "carrier pigeon"',
        config: { connection: 'carrier pigeon' },
        mention: /"Connection" must be "TCP\/IP \(Wi-Fi or LAN\)" or "Bluetooth \/ serial", not "carrier pigeon"\./,
        property: 'connection',
      },
    ];
    for (const bad of badConfigs) {
      it(`CONNECT: config node with invalid settings (${bad.name}) → every message gets CONNECT/not-sent, no crash`, async function () {
        const nodes = [flow.terminalConfig(bad.config), ...ACTION_TYPES.flatMap((action) => actionNode(action, action))];
        await flow.deploy(nodes);
        assert.equal(deployedConfigNode().client, undefined);
        // The config node says it once in the log: the setting and its rule, and what it means; no constants.
        const logged = helper
          .log()
          .args.filter((args) => args[0].level === helper.log().ERROR && args[0].id === 'cfg')
          .map((args) => String(args[0].msg));
        assert.equal(logged.length, 1, JSON.stringify(logged));
        assert.match(logged[0], /^The terminal settings of this node are wrong: /);
        assert.match(logged[0], bad.mention);
        assert.match(logged[0], /Until this is fixed, requests to this terminal are refused: nothing is sent to it\.$/);
        assert.doesNotMatch(logged[0], /\bCONNECT\b/);
        const inputs = {
          pay: { payload: 1 },
          refund: { payload: 1 },
          preauth: { payload: 1 },
          complete: { payload: 1, preauthcode: 'PA-1' },
          cancel: { preauthcode: 'PA-1' },
        };
        for (const action of ACTION_TYPES) helper.getNode(action).receive({ _msgid: `cfg-${action}`, ...inputs[action] });
        for (const action of ACTION_TYPES) {
          const msg = expectError(await flow.one(action), 'CONNECT', 'not-sent');
          assert.equal(msg._msgid, `cfg-${action}`);
          assert.equal(msg.payload.action, action);
          assert.match(msg.error.message, bad.mention);
          assert.ok(!msg.error.message.includes(`${bad.property} `), `"${msg.error.message}" names the property ${bad.property}`);
          assert.match(msg.error.message, /nothing was sent/i);
          // For words of one's own: the key and the setting, language-neutral.
          assert.equal(msg.payload.messageKey, 'node.badSettings');
          const { reason } = msg.payload.messageParams;
          assert.ok(typeof reason === 'object' && 'key' in reason, 'the reason is a sentence of its own');
          assert.match(reason.key, /^(settings|input)\./);
          const { setting, field } = reason.params;
          assert.deepEqual(setting ?? field, { setting: bad.property });
        }
        // Still alive: a second round is answered the same way.
        helper.getNode('pay').receive({ payload: 2 });
        await waitFor(() => flow.count('pay') === 2, 'a second answer', 2000);
        assert.equal(flow.outputs.pay.err[1].payload.code, 'CONNECT');
        assert.equal(flow.simulator.received.length, 0);
        assert.equal(flow.accepted, 0);
      });
    }

    it('CONNECT: an action node with no terminal selected', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('act', 'pay', { terminal: '' })]);
      const msg = expectError(await flow.run('act', { payload: 1 }), 'CONNECT', 'not-sent');
      assert.match(msg.error.message, /terminal/);
      assert.equal(flow.simulator.received.length, 0);
    });

    it('no terminal selected: the error and the status say so, not "cannot connect"', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('act', 'refund', { terminal: '' })]);
      const statuses = watchStatus(helper.getNode('act'));
      const msg = expectError(await flow.run('act', { payload: 1 }), 'CONNECT', 'not-sent');
      assert.match(msg.error.message, /no terminal is selected/i);
      assert.match(msg.error.message, /nothing was sent/i);
      assert.equal(lastStatusText(statuses), 'no terminal selected');
      assert.equal(statuses[statuses.length - 1].fill, 'red');
    });
  });
});
