/**
 * Every node of the package in a real Node-RED runtime (node-red-node-test-helper), against the
 * real TerminalSimulator on 127.0.0.1. Covers the contract of issue 2: output shape, input rules,
 * the error table, one output per input, node status, closing mid-transaction and partial deploys.
 * This file: where the inputs come from and the input rules.
 */
import assert from 'node:assert/strict';
import type { NodeMessage } from '../nodes/node-red';
import { ActionType, actionNode, expectError, expectSuccess, useActionNodeFlow } from './support/action-node-flow';
import { lastStatusText, watchStatus } from './support/flow-outputs';

describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(5000);
  const flow = useActionNodeFlow();

  describe('where the inputs come from', function () {
    it('amount from a number payload', async function () {
      await flow.deployOne('pay');
      expectSuccess(await flow.run('act', { payload: 7 }));
      assert.equal(flow.simulator.received[0].request?.sum, '7.00');
    });

    it('amount from a float artifact (0.1 + 0.2) goes out as 0.30', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { payload: 0.1 + 0.2 }));
      assert.equal(msg.payload.amount, '0.30');
      assert.equal(flow.simulator.received[0].request?.sum, '0.30');
    });

    it('amount from a decimal string payload', async function () {
      await flow.deployOne('refund');
      const msg = expectSuccess(await flow.run('act', { payload: '19.9' }));
      assert.equal(msg.payload.amount, '19.90');
      assert.equal(flow.simulator.received[0].request?.sum, '19.90');
    });

    it('amount from msg.payload.amount when the payload is an object', async function () {
      await flow.deployOne('preauth');
      const msg = expectSuccess(await flow.run('act', { payload: { amount: '4.05', note: 'x' } }));
      assert.equal(msg.payload.amount, '4.05');
      assert.equal(flow.simulator.received[0].request?.sum, '4.05');
    });

    it('amount with decimals 0 in the config node', async function () {
      await flow.deployOne('pay', { config: { decimals: '0' } });
      const msg = expectSuccess(await flow.run('act', { payload: 1500 }));
      assert.equal(msg.payload.amount, '1500');
      assert.equal(flow.simulator.received[0].request?.sum, '1500');
    });

    it('amount equal to maxAmount is accepted', async function () {
      await flow.deployOne('pay', { config: { maxAmount: '100' } });
      expectSuccess(await flow.run('act', { payload: '100.00' }));
      assert.equal(flow.simulator.received[0].request?.sum, '100.00');
    });

    it('invoice from msg.invoice', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { payload: 1, invoice: 'ORDER-0001' }));
      assert.equal(msg.payload.invoice, 'ORDER-0001');
      assert.equal(flow.simulator.received[0].request?.invoice, 'ORDER-0001');
    });

    it('invoice from msg.payload.invoice', async function () {
      await flow.deployOne('refund');
      const msg = expectSuccess(await flow.run('act', { payload: { amount: 1, invoice: 'ORDER-0002' } }));
      assert.equal(msg.payload.invoice, 'ORDER-0002');
      assert.equal(flow.simulator.received[0].request?.invoice, 'ORDER-0002');
    });

    it('invoice of exactly 50 printable characters is accepted', async function () {
      await flow.deployOne('pay');
      const invoice = `A-${'x'.repeat(46)}!~`;
      assert.equal(invoice.length, 50);
      expectSuccess(await flow.run('act', { payload: 1, invoice }));
      assert.equal(flow.simulator.received[0].request?.invoice, invoice);
    });

    it('msg.invoice wins over msg.payload.invoice', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { payload: { amount: 2, invoice: 'FROM-PAYLOAD' }, invoice: 'FROM-MSG' }));
      assert.equal(msg.payload.invoice, 'FROM-MSG');
      assert.equal(flow.simulator.received[0].request?.invoice, 'FROM-MSG');
    });

    it('invoice generated when absent: unique, printable, at most 50 characters, reported in the output', async function () {
      await flow.deployOne('pay');
      const first = expectSuccess(await flow.run('act', { payload: 1 }));
      flow.outputs.act = { ok: [], err: [] };
      const second = expectSuccess(await flow.run('act', { payload: 1 }));
      const sent = flow.simulator.received.map((r) => r.request?.invoice);
      assert.equal(sent.length, 2);
      for (const invoice of sent) {
        assert.equal(typeof invoice, 'string');
        assert.match(invoice ?? '', /^[\x21-\x7e][\x20-\x7e]{0,48}[\x21-\x7e]$/);
      }
      assert.notEqual(sent[0], sent[1]);
      assert.equal(first.payload.invoice, sent[0]);
      assert.equal(second.payload.invoice, sent[1]);
    });

    it('invoice null counts as absent: one is generated', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { payload: 1, invoice: null }));
      const sent = flow.simulator.received[0].request?.invoice;
      assert.match(sent ?? '', /^[\x21-\x7e][\x20-\x7e]{0,48}[\x21-\x7e]$/);
      assert.equal(msg.payload.invoice, sent);
    });

    it('msg.invoice null (absent) falls back to msg.payload.invoice instead of generating one', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { payload: { amount: 1, invoice: 'FROM-PAYLOAD' }, invoice: null }));
      assert.equal(flow.simulator.received[0].request?.invoice, 'FROM-PAYLOAD');
      assert.equal(msg.payload.invoice, 'FROM-PAYLOAD');
    });

    it('a message retried after an error loses the old msg.error on success', async function () {
      await flow.deployOne('pay');
      const first = expectError(await flow.run('act', { payload: '12,50', invoice: 'RETRY-1' }), 'INVALID_INPUT', 'not-sent');
      flow.outputs.act = { ok: [], err: [] };
      const retried: NodeMessage = first;
      retried.payload = '12.50';
      const second = expectSuccess(await flow.run('act', retried));
      assert.equal(second.error, undefined);
      assert.ok(!('error' in second), 'msg.error removed');
      assert.equal(second.payload.invoice, 'RETRY-1');
    });

    it('a failed preauth removes a stale msg.preauthcode, so it cannot be completed or cancelled by mistake', async function () {
      flow.simulator.behaviour = { fault: 'decline' };
      await flow.deployOne('preauth');
      const msg = expectError(await flow.run('act', { payload: 5, preauthcode: 'OLD-CODE' }), 'TERMINAL', 'failed');
      assert.ok(!('preauthcode' in msg), `msg.preauthcode removed, got ${msg.preauthcode}`);
    });

    it('preauthcode from msg.preauthcode (complete)', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'complete')]);
      const code = await flow.preauthorize('pa', 10);
      expectSuccess(await flow.run('act', { payload: 10, preauthcode: code }));
      assert.equal(flow.simulator.received[1].request?.preauthCode, code);
    });

    it('preauthcode from msg.payload.preauthcode (complete and cancel)', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('co', 'complete'), ...actionNode('ca', 'cancel')]);
      const code1 = await flow.preauthorize('pa', 10);
      const completed = expectSuccess(await flow.run('co', { payload: { amount: '9.99', preauthcode: code1 } }));
      assert.equal(completed.payload.preauthcode, code1);
      assert.equal(completed.payload.amount, '9.99');
      assert.equal(flow.simulator.received[1].request?.preauthCode, code1);
      assert.equal(flow.simulator.received[1].request?.sum, '9.99');

      const code2 = await flow.preauthorize('pa', 10);
      const cancelled = expectSuccess(await flow.run('ca', { payload: { preauthcode: code2 } }));
      assert.equal(cancelled.payload.preauthcode, code2);
      assert.equal(flow.simulator.received[3].request?.preauthCode, code2);
      assert.equal(flow.simulator.preauthState(code2), 'cancelled');
    });

    it('receipt and custrcpt come from the node settings', async function () {
      await flow.deployOne('pay', { props: { receipt: 'AFTER_CONFIRMATION', custrcpt: 'OFF' } });
      expectSuccess(await flow.run('act', { payload: 1 }));
      assert.equal(flow.simulator.received[0].request?.receipt, 'AFTER_CONFIRMATION');
      assert.equal(flow.simulator.received[0].request?.custrcpt, 'OFF');
    });

    it('msg.receipt and msg.custrcpt override the node settings', async function () {
      await flow.deployOne('pay', { props: { receipt: 'ON', custrcpt: 'OFF' } });
      expectSuccess(await flow.run('act', { payload: 1, receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' }));
      assert.equal(flow.simulator.received[0].request?.receipt, 'OFF');
      assert.equal(flow.simulator.received[0].request?.custrcpt, 'AFTER_CONFIRMATION');
    });

    it('msg.payload.receipt / msg.payload.custrcpt override the node settings too', async function () {
      await flow.deployOne('cancel', { props: { receipt: 'ON', custrcpt: 'OFF' } });
      // An unknown code: the terminal declines, but the request shows what was sent.
      await flow.run('act', { payload: { preauthcode: 'NOPE-1', receipt: 'AFTER_CONFIRMATION', custrcpt: 'ON' } });
      assert.equal(flow.simulator.received[0].request?.receipt, 'AFTER_CONFIRMATION');
      assert.equal(flow.simulator.received[0].request?.custrcpt, 'ON');
    });
  });

  describe('input rules → output 2, INVALID_INPUT, nothing sent', function () {
    const cases: { name: string; action: ActionType; msg: NodeMessage; field: string; config?: Record<string, unknown> }[] = [
      { name: 'missing amount (no payload)', action: 'pay', msg: {}, field: 'msg.payload' },
      { name: 'missing amount (object payload without amount)', action: 'pay', msg: { payload: { invoice: 'X' } }, field: 'msg.payload.amount' },
      { name: 'empty string amount', action: 'refund', msg: { payload: '' }, field: 'msg.payload' },
      { name: 'amount 0', action: 'pay', msg: { payload: 0 }, field: 'msg.payload' },
      { name: 'amount "0.00"', action: 'pay', msg: { payload: '0.00' }, field: 'msg.payload' },
      { name: 'negative amount', action: 'pay', msg: { payload: -5 }, field: 'msg.payload' },
      { name: 'negative amount string', action: 'preauth', msg: { payload: '-5.00' }, field: 'msg.payload' },
      { name: 'NaN', action: 'pay', msg: { payload: NaN }, field: 'msg.payload' },
      { name: 'Infinity', action: 'pay', msg: { payload: Infinity }, field: 'msg.payload' },
      { name: 'exponent string "1e3"', action: 'pay', msg: { payload: '1e3' }, field: 'msg.payload' },
      { name: 'comma string "12,50"', action: 'refund', msg: { payload: '12,50' }, field: 'msg.payload' },
      { name: 'too many decimals 12.345', action: 'pay', msg: { payload: 12.345 }, field: 'msg.payload' },
      { name: 'too many decimals "12.345" in payload.amount', action: 'preauth', msg: { payload: { amount: '12.345' } }, field: 'msg.payload.amount' },
      { name: 'above maxAmount (100)', action: 'pay', msg: { payload: 100.01 }, field: 'msg.payload', config: { maxAmount: '100' } },
      { name: 'above maxAmount (100) on complete', action: 'complete', msg: { payload: '250', preauthcode: 'PA-1' }, field: 'msg.payload', config: { maxAmount: '100' } },
      { name: 'amount of the wrong type (boolean)', action: 'pay', msg: { payload: true }, field: 'msg.payload' },
      { name: 'invoice of 51 characters', action: 'pay', msg: { payload: 1, invoice: 'x'.repeat(51) }, field: 'msg.invoice' },
      { name: 'invoice of 51 characters in payload', action: 'refund', msg: { payload: { amount: 1, invoice: 'y'.repeat(51) } }, field: 'msg.payload.invoice' },
      { name: 'invoice with non-ASCII characters', action: 'pay', msg: { payload: 1, invoice: 'Számla-1' }, field: 'msg.invoice' },
      { name: 'invoice with a control character', action: 'preauth', msg: { payload: 1, invoice: 'A\nB' }, field: 'msg.invoice' },
      { name: 'empty invoice', action: 'pay', msg: { payload: 1, invoice: '' }, field: 'msg.invoice' },
      { name: 'missing preauthcode for complete', action: 'complete', msg: { payload: 10 }, field: 'msg.preauthcode' },
      { name: 'missing preauthcode for cancel', action: 'cancel', msg: { payload: {} }, field: 'msg.preauthcode' },
      { name: 'missing preauthcode for cancel (no payload at all)', action: 'cancel', msg: {}, field: 'msg.preauthcode' },
      { name: 'preauthcode with non-ASCII characters', action: 'cancel', msg: { preauthcode: 'kód' }, field: 'msg.preauthcode' },
      { name: 'msg.receipt "MAYBE"', action: 'pay', msg: { payload: 1, receipt: 'MAYBE' }, field: 'msg.receipt' },
      { name: 'msg.custrcpt "MAYBE" on cancel', action: 'cancel', msg: { preauthcode: 'PA-1', custrcpt: 'MAYBE' }, field: 'msg.custrcpt' },
      { name: 'msg.payload.receipt "on" (lower case)', action: 'refund', msg: { payload: { amount: 1, receipt: 'on' } }, field: 'msg.payload.receipt' },
    ];

    for (const c of cases) {
      it(`${c.action}: ${c.name}`, async function () {
        const node = await flow.deployOne(c.action, { config: c.config });
        const statuses = watchStatus(node);
        const input = { _msgid: 'bad-1', topic: 'keep me', ...c.msg };
        const msg = expectError(await flow.run('act', input), 'INVALID_INPUT', 'not-sent');
        assert.equal(msg._msgid, 'bad-1');
        assert.equal(msg.topic, 'keep me');
        assert.equal(msg.payload.action, c.action);
        assert.equal(msg.payload.status, null);
        assert.equal(msg.payload.statusName, null);
        assert.equal(msg.payload.statusText, null);
        assert.ok(msg.error.message.includes(`${c.field} `), `the message names ${c.field}: "${msg.error.message}"`);
        assert.match(msg.error.message, /nothing was sent/i);
        assert.equal(flow.outputs.act.ok.length, 0);
        assert.equal(flow.simulator.received.length, 0, 'the flow.simulator received nothing');
        assert.match(lastStatusText(statuses), /invalid input/);
      });
    }

    it('a rejected message does not block the next good one', async function () {
      await flow.deployOne('pay');
      expectError(await flow.run('act', { payload: 'abc' }), 'INVALID_INPUT', 'not-sent');
      flow.outputs.act = { ok: [], err: [] };
      expectSuccess(await flow.run('act', { payload: 1 }));
      assert.equal(flow.simulator.received.length, 1);
    });
  });
});
