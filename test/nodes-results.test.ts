/**
 * Every node of the package in a real Node-RED runtime (node-red-node-test-helper), against the
 * real TerminalSimulator on 127.0.0.1. Covers the contract of issue 2: output shape, input rules,
 * the error table, one output per input, node status, closing mid-transaction and partial deploys.
 * This file: loading, each action succeeding, node status.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { ACTION_TYPES, actionNode, expectSuccess, useActionNodeFlow } from './support/action-node-flow';
import { lastStatusText, watchStatus } from './support/flow-outputs';
import { deployedConfigNode } from './support/in-process-node-red';

const REF = /^\d{12}$/;

describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(5000);
  const flow = useActionNodeFlow();

  describe('loading', function () {
    it('registers the config node and the five action nodes', async function () {
      await flow.deploy([flow.terminalConfig(), ...ACTION_TYPES.flatMap((action) => actionNode(action, action))]);
      assert.equal(helper.getNode('cfg').type, 'mypos-terminal');
      for (const action of ACTION_TYPES) assert.equal(helper.getNode(action).type, `mypos-${action}`);
      assert.ok(deployedConfigNode().client, 'the config node made a client from valid settings');
    });
  });

  describe('each action succeeding', function () {
    it('pay: payload {action, result, ref, invoice, amount}, message properties kept, nothing on output 2', async function () {
      await flow.deployOne('pay');
      const msg = expectSuccess(await flow.run('act', { _msgid: 'msg-pay-1', topic: 'kiosk 3', order: { id: 7 }, payload: 12.5, invoice: 'INV-PAY-1' }));
      assert.equal(msg._msgid, 'msg-pay-1');
      assert.equal(msg.topic, 'kiosk 3');
      assert.deepEqual(msg.order, { id: 7 });
      assert.equal(msg.invoice, 'INV-PAY-1');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'pay', result: 'OK', ref: msg.payload.ref, invoice: 'INV-PAY-1', amount: '12.50' });
      assert.equal(msg.preauthcode, undefined);
      assert.equal(flow.outputs.act.err.length, 0);
      assert.equal(flow.simulator.received.length, 1);
      assert.deepEqual(flow.simulator.received[0].request, {
        action: 'pay',
        invoice: 'INV-PAY-1',
        sum: '12.50',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
    });

    it('refund: payload {action, result, ref, invoice, amount}', async function () {
      await flow.deployOne('refund');
      const msg = expectSuccess(await flow.run('act', { _msgid: 'msg-refund-1', topic: 't', payload: '3.20', invoice: 'INV-REF-1' }));
      assert.equal(msg._msgid, 'msg-refund-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'refund', result: 'OK', ref: msg.payload.ref, invoice: 'INV-REF-1', amount: '3.20' });
      assert.equal(flow.outputs.act.err.length, 0);
      assert.deepEqual(
        flow.simulator.received.map((r) => r.request),
        [{ action: 'refund', invoice: 'INV-REF-1', sum: '3.20', receipt: 'ON', custrcpt: 'OFF' }],
      );
    });

    it('preauth: payload {action, result, ref, invoice, amount} and msg.preauthcode = ref', async function () {
      await flow.deployOne('preauth');
      const msg = expectSuccess(await flow.run('act', { _msgid: 'msg-pa-1', topic: 't', payload: 50, invoice: 'INV-PA-1' }));
      assert.equal(msg._msgid, 'msg-pa-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'preauth', result: 'OK', ref: msg.payload.ref, invoice: 'INV-PA-1', amount: '50.00' });
      assert.equal(msg.preauthcode, msg.payload.ref);
      assert.equal(flow.simulator.preauthState(msg.preauthcode), 'open');
      assert.equal(flow.outputs.act.err.length, 0);
    });

    it('complete: payload {action, result, ref, amount, preauthcode}', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'complete')]);
      const code = await flow.preauthorize('pa', 40);
      const msg = expectSuccess(await flow.run('act', { _msgid: 'msg-co-1', topic: 't', payload: 35.5, preauthcode: code }));
      assert.equal(msg._msgid, 'msg-co-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'complete', result: 'OK', ref: msg.payload.ref, amount: '35.50', preauthcode: code });
      assert.equal(flow.simulator.preauthState(code), 'completed');
      assert.deepEqual(flow.simulator.received[1].request, {
        action: 'complete',
        preauthCode: code,
        sum: '35.50',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
      assert.equal(flow.outputs.act.err.length, 0);
    });

    it('cancel: payload {action, result, ref, preauthcode}, no amount', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'cancel')]);
      const code = await flow.preauthorize('pa', 40);
      const msg = expectSuccess(await flow.run('act', { _msgid: 'msg-ca-1', topic: 't', preauthcode: code }));
      assert.equal(msg._msgid, 'msg-ca-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'cancel', result: 'OK', ref: msg.payload.ref, preauthcode: code });
      assert.equal(flow.simulator.preauthState(code), 'cancelled');
      assert.deepEqual(flow.simulator.received[1].request, { action: 'cancel', preauthCode: code, receipt: 'ON', custrcpt: 'OFF' });
      assert.equal(flow.outputs.act.err.length, 0);
    });

    it('preauth → complete and preauth → cancel, wired through the success output, work end to end in one flow', async function () {
      await flow.deploy([
        flow.terminalConfig(),
        ...actionNode('pa1', 'preauth', {}, ['co']),
        ...actionNode('co', 'complete'),
        ...actionNode('pa2', 'preauth', {}, ['ca']),
        ...actionNode('ca', 'cancel'),
      ]);
      helper.getNode('pa1').receive({ topic: 'room 12', payload: '80.00', invoice: 'HOTEL-12' });
      const completed = expectSuccess(await flow.one('co'));
      const preauth1 = expectSuccess(await flow.one('pa1'));
      const code1 = preauth1.payload.ref;
      assert.match(code1, REF);
      assert.deepEqual(completed.payload, { action: 'complete', result: 'OK', ref: completed.payload.ref, amount: '80.00', preauthcode: code1 });
      assert.equal(completed.topic, 'room 12');
      assert.equal(flow.simulator.preauthState(code1), 'completed');

      helper.getNode('pa2').receive({ topic: 'room 14', payload: { amount: 20, invoice: 'HOTEL-14' } });
      const cancelled = expectSuccess(await flow.one('ca'));
      const preauth2 = expectSuccess(await flow.one('pa2'));
      const code2 = preauth2.payload.ref;
      assert.notEqual(code2, code1);
      assert.deepEqual(cancelled.payload, { action: 'cancel', result: 'OK', ref: cancelled.payload.ref, preauthcode: code2 });
      assert.equal(cancelled.topic, 'room 14');
      assert.equal(flow.simulator.preauthState(code2), 'cancelled');

      assert.deepEqual(
        flow.simulator.received.map((r) => [r.request?.action, r.request?.preauthCode ?? r.request?.invoice]),
        [
          ['preauth', 'HOTEL-12'],
          ['complete', code1],
          ['preauth', 'HOTEL-14'],
          ['cancel', code2],
        ],
      );
      for (const id of ['pa1', 'co', 'pa2', 'ca']) assert.equal(flow.outputs[id].err.length, 0, `${id} error output`);
    });
  });

  describe('node status', function () {
    it('success: connecting, waiting with the amount, then approved with the amount', async function () {
      flow.simulator.behaviour = { delayMs: 50 };
      const node = await flow.deployOne('pay');
      const statuses = watchStatus(node);
      expectSuccess(await flow.run('act', { payload: '42.5' }));
      const text = lastStatusText(statuses);
      assert.match(text, /approved/);
      assert.ok(text.includes('42.50'), `status shows the amount: "${text}"`);
      assert.equal(statuses[statuses.length - 1].fill, 'green');
      const texts = statuses.map((s) => s.text ?? '');
      const waiting = texts.findIndex((t) => /waiting/.test(t) && t.includes('42.50'));
      assert.ok(waiting >= 0, `a waiting status with the amount: ${JSON.stringify(texts)}`);
      const connecting = texts.findIndex((t) => /connecting/.test(t));
      assert.ok(connecting >= 0 && connecting < waiting, `connecting before waiting: ${JSON.stringify(texts)}`);
    });

    it('success of a cancel says the reservation is released, with its code', async function () {
      await flow.deploy([flow.terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'cancel')]);
      const code = await flow.preauthorize('pa', 3);
      const statuses = watchStatus(helper.getNode('act'));
      expectSuccess(await flow.run('act', { preauthcode: code }));
      assert.equal(lastStatusText(statuses), `released ${code}`);
    });
  });
});
