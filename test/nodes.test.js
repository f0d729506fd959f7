'use strict';

/**
 * Every node of the package in a real Node-RED runtime (node-red-node-test-helper), against the
 * real TerminalSimulator on 127.0.0.1. Covers the contract of issue 2: output shape, input rules,
 * the error table, one output per input, node status, closing mid-transaction and partial deploys.
 */

const assert = require('node:assert/strict');
const helper = require('node-red-node-test-helper');

helper.init(require('./support/node-red-path').nodeRedPath());

const terminalNode = require('../dist/nodes/mypos-terminal.js');
const actionNodes = require('../dist/nodes/mypos-actions.js');
const { TerminalSimulator } = require('../dist/src');

const NODES = [terminalNode, actionNodes];
const ACTION_TYPES = ['pay', 'refund', 'preauth', 'complete', 'cancel'];
/** How long to watch for a second (forbidden) output message after the first one. */
const QUIET_MS = 120;
const REF = /^\d{12}$/;
const TAB = { id: 'tab1', type: 'tab', label: 'tests' };

let simulator;
let simPort;
let accepted; // TCP connections the simulator accepted in this test
/** outputs[nodeId] = { ok: msg[], err: msg[] } filled by the helper nodes wired to that node. */
let outputs;

const { delay: sleep, waitFor } = require('./support/wait');
const { terminalConfigNode } = require('./support/terminal-config');
const { freePort } = require('./support/ports');
const { resources, expectResources } = require('./support/resources');
/** Handles a stopped node must give back. */
const SOCKETS_AND_TIMERS = ['TCPSocketWrap', 'Timeout'];

function terminalConfig(overrides = {}) {
  return terminalConfigNode('cfg', simPort, { name: 'simulated terminal', ...overrides });
}

/**
 * An action node with its own two helper nodes: `${id}-ok` on output 1 and `${id}-err` on output 2.
 * `alsoOk` adds more nodes to the success output (e.g. preauth → complete).
 */
function actionNode(id, action, props = {}, alsoOk = []) {
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

/** Loads the flow and starts capturing every helper node's input. */
async function deploy(nodes) {
  const flow = [TAB, ...nodes];
  await helper.load(NODES, flow);
  outputs = {};
  for (const node of flow) {
    const match = /^(.*)-(ok|err)$/.exec(node.id);
    if (node.type !== 'helper' || !match) continue;
    const [, owner, which] = match;
    outputs[owner] ??= { ok: [], err: [] };
    helper.getNode(node.id).on('input', (msg) => outputs[owner][which].push(msg));
  }
}

/** A flow with the config node and one action node called `id`. */
async function deployOne(action, { config = {}, props = {}, id = 'act' } = {}) {
  await deploy([terminalConfig(config), ...actionNode(id, action, props)]);
  return helper.getNode(id);
}

function count(id) {
  return outputs[id].ok.length + outputs[id].err.length;
}

/**
 * Waits for the first output of node `id`, then makes sure no second message follows.
 * Resolves with { output: 1 | 2, msg }.
 */
async function one(id, timeoutMs = 3000) {
  await waitFor(() => count(id) >= 1, `an output message from ${id}`, timeoutMs);
  await sleep(QUIET_MS);
  assert.equal(count(id), 1, `exactly one output message from ${id} (got ${outputs[id].ok.length} on output 1, ${outputs[id].err.length} on output 2)`);
  return outputs[id].ok.length === 1 ? { output: 1, msg: outputs[id].ok[0] } : { output: 2, msg: outputs[id].err[0] };
}

/** Sends msg into node `id` and returns its single output. */
async function run(id, msg, timeoutMs) {
  helper.getNode(id).receive(msg);
  return one(id, timeoutMs);
}

function expectSuccess(result) {
  assert.equal(result.output, 1, `expected the success output, got error: ${JSON.stringify(result.msg.payload)}`);
  assert.equal(result.msg.error, undefined);
  return result.msg;
}

/** Checks the error output shape common to every error, and returns the message. */
function expectError(result, code, outcome) {
  assert.equal(result.output, 2, `expected the error output, got success: ${JSON.stringify(result.msg.payload)}`);
  const { msg } = result;
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

/** Records every status the node shows. */
function watchStatus(node) {
  const seen = [];
  const original = node.status;
  node.status = function (status) {
    seen.push(status);
    return original.apply(this, arguments);
  };
  return seen;
}

function lastStatusText(seen) {
  assert.ok(seen.length > 0, 'the node showed a status');
  return seen[seen.length - 1].text;
}

/** Runs a pre-authorization on the simulator through a preauth node and returns its code. */
async function preauthorize(id, amount) {
  const { msg } = await run(id, { payload: amount });
  assert.equal(msg.payload.result, 'OK', JSON.stringify(msg.payload));
  outputs[id] = { ok: [], err: [] };
  return msg.preauthcode;
}

describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(5000);

  before(function (done) {
    helper.startServer(done);
  });

  after(function (done) {
    helper.stopServer(done);
  });

  beforeEach(async function () {
    simulator = new TerminalSimulator();
    simPort = await simulator.listen(0, '127.0.0.1');
    accepted = 0;
    const serve = simulator.serve.bind(simulator);
    simulator.serve = (stream) => {
      accepted += 1;
      serve(stream);
    };
  });

  afterEach(async function () {
    await helper.unload();
    await simulator.close();
  });

  describe('loading', function () {
    it('registers the config node and the five action nodes', async function () {
      await deploy([terminalConfig(), ...ACTION_TYPES.flatMap((action) => actionNode(action, action))]);
      assert.equal(helper.getNode('cfg').type, 'mypos-terminal');
      for (const action of ACTION_TYPES) assert.equal(helper.getNode(action).type, `mypos-${action}`);
      assert.ok(helper.getNode('cfg').client, 'the config node made a client from valid settings');
    });
  });

  describe('each action succeeding', function () {
    it('pay: payload {action, result, ref, invoice, amount}, message properties kept, nothing on output 2', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { _msgid: 'msg-pay-1', topic: 'kiosk 3', order: { id: 7 }, payload: 12.5, invoice: 'INV-PAY-1' }));
      assert.equal(msg._msgid, 'msg-pay-1');
      assert.equal(msg.topic, 'kiosk 3');
      assert.deepEqual(msg.order, { id: 7 });
      assert.equal(msg.invoice, 'INV-PAY-1');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'pay', result: 'OK', ref: msg.payload.ref, invoice: 'INV-PAY-1', amount: '12.50' });
      assert.equal(msg.preauthcode, undefined);
      assert.equal(outputs.act.err.length, 0);
      assert.equal(simulator.received.length, 1);
      assert.deepEqual(simulator.received[0].request, {
        action: 'pay',
        invoice: 'INV-PAY-1',
        sum: '12.50',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
    });

    it('refund: payload {action, result, ref, invoice, amount}', async function () {
      await deployOne('refund');
      const msg = expectSuccess(await run('act', { _msgid: 'msg-refund-1', topic: 't', payload: '3.20', invoice: 'INV-REF-1' }));
      assert.equal(msg._msgid, 'msg-refund-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'refund', result: 'OK', ref: msg.payload.ref, invoice: 'INV-REF-1', amount: '3.20' });
      assert.equal(outputs.act.err.length, 0);
      assert.deepEqual(
        simulator.received.map((r) => r.request),
        [{ action: 'refund', invoice: 'INV-REF-1', sum: '3.20', receipt: 'ON', custrcpt: 'OFF' }],
      );
    });

    it('preauth: payload {action, result, ref, invoice, amount} and msg.preauthcode = ref', async function () {
      await deployOne('preauth');
      const msg = expectSuccess(await run('act', { _msgid: 'msg-pa-1', topic: 't', payload: 50, invoice: 'INV-PA-1' }));
      assert.equal(msg._msgid, 'msg-pa-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'preauth', result: 'OK', ref: msg.payload.ref, invoice: 'INV-PA-1', amount: '50.00' });
      assert.equal(msg.preauthcode, msg.payload.ref);
      assert.equal(simulator.preauthState(msg.preauthcode), 'open');
      assert.equal(outputs.act.err.length, 0);
    });

    it('complete: payload {action, result, ref, amount, preauthcode}', async function () {
      await deploy([terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'complete')]);
      const code = await preauthorize('pa', 40);
      const msg = expectSuccess(await run('act', { _msgid: 'msg-co-1', topic: 't', payload: 35.5, preauthcode: code }));
      assert.equal(msg._msgid, 'msg-co-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'complete', result: 'OK', ref: msg.payload.ref, amount: '35.50', preauthcode: code });
      assert.equal(simulator.preauthState(code), 'completed');
      assert.deepEqual(simulator.received[1].request, {
        action: 'complete',
        preauthCode: code,
        sum: '35.50',
        receipt: 'ON',
        custrcpt: 'OFF',
      });
      assert.equal(outputs.act.err.length, 0);
    });

    it('cancel: payload {action, result, ref, preauthcode}, no amount', async function () {
      await deploy([terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'cancel')]);
      const code = await preauthorize('pa', 40);
      const msg = expectSuccess(await run('act', { _msgid: 'msg-ca-1', topic: 't', preauthcode: code }));
      assert.equal(msg._msgid, 'msg-ca-1');
      assert.equal(msg.topic, 't');
      assert.match(msg.payload.ref, REF);
      assert.deepEqual(msg.payload, { action: 'cancel', result: 'OK', ref: msg.payload.ref, preauthcode: code });
      assert.equal(simulator.preauthState(code), 'cancelled');
      assert.deepEqual(simulator.received[1].request, { action: 'cancel', preauthCode: code, receipt: 'ON', custrcpt: 'OFF' });
      assert.equal(outputs.act.err.length, 0);
    });

    it('preauth → complete and preauth → cancel, wired through the success output, work end to end in one flow', async function () {
      await deploy([terminalConfig(), ...actionNode('pa1', 'preauth', {}, ['co']), ...actionNode('co', 'complete'), ...actionNode('pa2', 'preauth', {}, ['ca']), ...actionNode('ca', 'cancel')]);
      helper.getNode('pa1').receive({ topic: 'room 12', payload: '80.00', invoice: 'HOTEL-12' });
      const completed = expectSuccess(await one('co'));
      const preauth1 = expectSuccess(await one('pa1'));
      const code1 = preauth1.payload.ref;
      assert.match(code1, REF);
      assert.deepEqual(completed.payload, { action: 'complete', result: 'OK', ref: completed.payload.ref, amount: '80.00', preauthcode: code1 });
      assert.equal(completed.topic, 'room 12');
      assert.equal(simulator.preauthState(code1), 'completed');

      helper.getNode('pa2').receive({ topic: 'room 14', payload: { amount: 20, invoice: 'HOTEL-14' } });
      const cancelled = expectSuccess(await one('ca'));
      const preauth2 = expectSuccess(await one('pa2'));
      const code2 = preauth2.payload.ref;
      assert.notEqual(code2, code1);
      assert.deepEqual(cancelled.payload, { action: 'cancel', result: 'OK', ref: cancelled.payload.ref, preauthcode: code2 });
      assert.equal(cancelled.topic, 'room 14');
      assert.equal(simulator.preauthState(code2), 'cancelled');

      assert.deepEqual(
        simulator.received.map((r) => [r.request.action, r.request.preauthCode ?? r.request.invoice]),
        [
          ['preauth', 'HOTEL-12'],
          ['complete', code1],
          ['preauth', 'HOTEL-14'],
          ['cancel', code2],
        ],
      );
      for (const id of ['pa1', 'co', 'pa2', 'ca']) assert.equal(outputs[id].err.length, 0, `${id} error output`);
    });
  });

  describe('where the inputs come from', function () {
    it('amount from a number payload', async function () {
      await deployOne('pay');
      expectSuccess(await run('act', { payload: 7 }));
      assert.equal(simulator.received[0].request.sum, '7.00');
    });

    it('amount from a float artifact (0.1 + 0.2) goes out as 0.30', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { payload: 0.1 + 0.2 }));
      assert.equal(msg.payload.amount, '0.30');
      assert.equal(simulator.received[0].request.sum, '0.30');
    });

    it('amount from a decimal string payload', async function () {
      await deployOne('refund');
      const msg = expectSuccess(await run('act', { payload: '19.9' }));
      assert.equal(msg.payload.amount, '19.90');
      assert.equal(simulator.received[0].request.sum, '19.90');
    });

    it('amount from msg.payload.amount when the payload is an object', async function () {
      await deployOne('preauth');
      const msg = expectSuccess(await run('act', { payload: { amount: '4.05', note: 'x' } }));
      assert.equal(msg.payload.amount, '4.05');
      assert.equal(simulator.received[0].request.sum, '4.05');
    });

    it('amount with decimals 0 in the config node', async function () {
      await deployOne('pay', { config: { decimals: '0' } });
      const msg = expectSuccess(await run('act', { payload: 1500 }));
      assert.equal(msg.payload.amount, '1500');
      assert.equal(simulator.received[0].request.sum, '1500');
    });

    it('amount equal to maxAmount is accepted', async function () {
      await deployOne('pay', { config: { maxAmount: '100' } });
      expectSuccess(await run('act', { payload: '100.00' }));
      assert.equal(simulator.received[0].request.sum, '100.00');
    });

    it('invoice from msg.invoice', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { payload: 1, invoice: 'ORDER-0001' }));
      assert.equal(msg.payload.invoice, 'ORDER-0001');
      assert.equal(simulator.received[0].request.invoice, 'ORDER-0001');
    });

    it('invoice from msg.payload.invoice', async function () {
      await deployOne('refund');
      const msg = expectSuccess(await run('act', { payload: { amount: 1, invoice: 'ORDER-0002' } }));
      assert.equal(msg.payload.invoice, 'ORDER-0002');
      assert.equal(simulator.received[0].request.invoice, 'ORDER-0002');
    });

    it('invoice of exactly 50 printable characters is accepted', async function () {
      await deployOne('pay');
      const invoice = `A-${'x'.repeat(46)}!~`;
      assert.equal(invoice.length, 50);
      expectSuccess(await run('act', { payload: 1, invoice }));
      assert.equal(simulator.received[0].request.invoice, invoice);
    });

    it('msg.invoice wins over msg.payload.invoice', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { payload: { amount: 2, invoice: 'FROM-PAYLOAD' }, invoice: 'FROM-MSG' }));
      assert.equal(msg.payload.invoice, 'FROM-MSG');
      assert.equal(simulator.received[0].request.invoice, 'FROM-MSG');
    });

    it('invoice generated when absent: unique, printable, at most 50 characters, reported in the output', async function () {
      await deployOne('pay');
      const first = expectSuccess(await run('act', { payload: 1 }));
      outputs.act = { ok: [], err: [] };
      const second = expectSuccess(await run('act', { payload: 1 }));
      const sent = simulator.received.map((r) => r.request.invoice);
      assert.equal(sent.length, 2);
      for (const invoice of sent) {
        assert.equal(typeof invoice, 'string');
        assert.match(invoice, /^[\x21-\x7e][\x20-\x7e]{0,48}[\x21-\x7e]$/);
      }
      assert.notEqual(sent[0], sent[1]);
      assert.equal(first.payload.invoice, sent[0]);
      assert.equal(second.payload.invoice, sent[1]);
    });

    it('invoice null counts as absent: one is generated', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { payload: 1, invoice: null }));
      const sent = simulator.received[0].request.invoice;
      assert.match(sent, /^[\x21-\x7e][\x20-\x7e]{0,48}[\x21-\x7e]$/);
      assert.equal(msg.payload.invoice, sent);
    });

    it('msg.invoice null (absent) falls back to msg.payload.invoice instead of generating one', async function () {
      await deployOne('pay');
      const msg = expectSuccess(await run('act', { payload: { amount: 1, invoice: 'FROM-PAYLOAD' }, invoice: null }));
      assert.equal(simulator.received[0].request.invoice, 'FROM-PAYLOAD');
      assert.equal(msg.payload.invoice, 'FROM-PAYLOAD');
    });

    it('a message retried after an error loses the old msg.error on success', async function () {
      await deployOne('pay');
      const first = expectError(await run('act', { payload: '12,50', invoice: 'RETRY-1' }), 'INVALID_INPUT', 'not-sent');
      outputs.act = { ok: [], err: [] };
      first.payload = '12.50';
      const second = expectSuccess(await run('act', first));
      assert.equal(second.error, undefined);
      assert.ok(!('error' in second), 'msg.error removed');
      assert.equal(second.payload.invoice, 'RETRY-1');
    });

    it('a failed preauth removes a stale msg.preauthcode, so it cannot be completed or cancelled by mistake', async function () {
      simulator.behaviour = { fault: 'decline' };
      await deployOne('preauth');
      const msg = expectError(await run('act', { payload: 5, preauthcode: 'OLD-CODE' }), 'TERMINAL', 'failed');
      assert.ok(!('preauthcode' in msg), `msg.preauthcode removed, got ${msg.preauthcode}`);
    });

    it('preauthcode from msg.preauthcode (complete)', async function () {
      await deploy([terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'complete')]);
      const code = await preauthorize('pa', 10);
      expectSuccess(await run('act', { payload: 10, preauthcode: code }));
      assert.equal(simulator.received[1].request.preauthCode, code);
    });

    it('preauthcode from msg.payload.preauthcode (complete and cancel)', async function () {
      await deploy([terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('co', 'complete'), ...actionNode('ca', 'cancel')]);
      const code1 = await preauthorize('pa', 10);
      const completed = expectSuccess(await run('co', { payload: { amount: '9.99', preauthcode: code1 } }));
      assert.equal(completed.payload.preauthcode, code1);
      assert.equal(completed.payload.amount, '9.99');
      assert.equal(simulator.received[1].request.preauthCode, code1);
      assert.equal(simulator.received[1].request.sum, '9.99');

      const code2 = await preauthorize('pa', 10);
      const cancelled = expectSuccess(await run('ca', { payload: { preauthcode: code2 } }));
      assert.equal(cancelled.payload.preauthcode, code2);
      assert.equal(simulator.received[3].request.preauthCode, code2);
      assert.equal(simulator.preauthState(code2), 'cancelled');
    });

    it('receipt and custrcpt come from the node settings', async function () {
      await deployOne('pay', { props: { receipt: 'AFTER_CONFIRMATION', custrcpt: 'OFF' } });
      expectSuccess(await run('act', { payload: 1 }));
      assert.equal(simulator.received[0].request.receipt, 'AFTER_CONFIRMATION');
      assert.equal(simulator.received[0].request.custrcpt, 'OFF');
    });

    it('msg.receipt and msg.custrcpt override the node settings', async function () {
      await deployOne('pay', { props: { receipt: 'ON', custrcpt: 'OFF' } });
      expectSuccess(await run('act', { payload: 1, receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' }));
      assert.equal(simulator.received[0].request.receipt, 'OFF');
      assert.equal(simulator.received[0].request.custrcpt, 'AFTER_CONFIRMATION');
    });

    it('msg.payload.receipt / msg.payload.custrcpt override the node settings too', async function () {
      await deployOne('cancel', { props: { receipt: 'ON', custrcpt: 'OFF' } });
      // An unknown code: the terminal declines, but the request shows what was sent.
      await run('act', { payload: { preauthcode: 'NOPE-1', receipt: 'AFTER_CONFIRMATION', custrcpt: 'ON' } });
      assert.equal(simulator.received[0].request.receipt, 'AFTER_CONFIRMATION');
      assert.equal(simulator.received[0].request.custrcpt, 'ON');
    });
  });

  describe('input rules → output 2, INVALID_INPUT, nothing sent', function () {
    const cases = [
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
        const node = await deployOne(c.action, { config: c.config });
        const statuses = watchStatus(node);
        const input = { _msgid: 'bad-1', topic: 'keep me', ...c.msg };
        const msg = expectError(await run('act', input), 'INVALID_INPUT', 'not-sent');
        assert.equal(msg._msgid, 'bad-1');
        assert.equal(msg.topic, 'keep me');
        assert.equal(msg.payload.action, c.action);
        assert.equal(msg.payload.status, null);
        assert.equal(msg.payload.statusName, null);
        assert.equal(msg.payload.statusText, null);
        assert.ok(msg.error.message.includes(`${c.field} `), `the message names ${c.field}: "${msg.error.message}"`);
        assert.match(msg.error.message, /nothing was sent/i);
        assert.equal(outputs.act.ok.length, 0);
        assert.equal(simulator.received.length, 0, 'the simulator received nothing');
        assert.match(lastStatusText(statuses), /invalid input/);
      });
    }

    it('a rejected message does not block the next good one', async function () {
      await deployOne('pay');
      expectError(await run('act', { payload: 'abc' }), 'INVALID_INPUT', 'not-sent');
      outputs.act = { ok: [], err: [] };
      expectSuccess(await run('act', { payload: 1 }));
      assert.equal(simulator.received.length, 1);
    });
  });

  describe('error table through the node', function () {
    it('TERMINAL: simulator fault "decline" → status 2, TRANSACTION_DECLINED, outcome failed; status shows declined', async function () {
      simulator.behaviour = { fault: 'decline' };
      const node = await deployOne('pay');
      const statuses = watchStatus(node);
      const msg = expectError(await run('act', { topic: 't', payload: 5, invoice: 'D-1' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'pay');
      assert.equal(msg.payload.status, 2);
      assert.equal(msg.payload.statusName, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.ref, '');
      assert.equal(msg.payload.invoice, 'D-1');
      assert.equal(msg.payload.amount, '5.00');
      assert.equal(msg.topic, 't');
      assert.equal(simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'card declined');
      // What a person reads comes first, in words; the machine fields stay for flows.
      assert.equal(msg.payload.message, 'Card declined by the bank.');
      assert.equal(Object.keys(msg.payload)[0], 'message');
      assert.equal(msg.payload.messageKey, 'declined.declined');
    });

    it('TERMINAL: amount 13.51 is declined by the simulator', async function () {
      await deployOne('refund');
      const msg = expectError(await run('act', { payload: 13.51 }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'refund');
      assert.equal(msg.payload.status, 2);
      assert.equal(msg.payload.statusName, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_DECLINED');
      assert.equal(msg.payload.amount, '13.51');
    });

    it('TERMINAL: amount 13.52 → status 1, TRANSACTION_CANCELED', async function () {
      await deployOne('pay');
      const msg = expectError(await run('act', { payload: '13.52' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.status, 1);
      assert.equal(msg.payload.statusName, 'TRANSACTION_CANCELED');
      assert.equal(msg.payload.statusText, 'TRANSACTION_CANCELED');
    });

    it("TERMINAL: complete of an unknown code (the app's malformed < preautcompletionhresp > reply) → status 5", async function () {
      await deployOne('complete');
      const msg = expectError(await run('act', { payload: 5, preauthcode: 'UNKNOWN-CODE' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.action, 'complete');
      assert.equal(msg.payload.status, 5);
      assert.equal(msg.payload.statusName, 'NO_DATA_FOUND');
      assert.equal(msg.payload.preauthcode, 'UNKNOWN-CODE');
      assert.equal(msg.preauthcode, 'UNKNOWN-CODE');
    });

    it('TERMINAL: cancel of an unknown code → status 5', async function () {
      await deployOne('cancel');
      const msg = expectError(await run('act', { preauthcode: 'UNKNOWN-CODE' }), 'TERMINAL', 'failed');
      assert.equal(msg.payload.status, 5);
      assert.equal(msg.payload.statusName, 'NO_DATA_FOUND');
    });

    it('BAD_XML: the app answers Hibás XML → outcome failed', async function () {
      simulator.behaviour = { fault: 'bad-xml' };
      await deployOne('preauth');
      const msg = expectError(await run('act', { payload: 5 }), 'BAD_XML', 'failed');
      assert.equal(msg.payload.action, 'preauth');
      assert.equal(msg.payload.ref, 'Hibás XML');
      assert.equal(msg.preauthcode, undefined, 'no preauthcode on an error');
      assert.equal(simulator.received.length, 1);
    });

    it('BUSY: a second message on another node of the same terminal while one is open gets BUSY at once; the first succeeds', async function () {
      simulator.behaviour = { delayMs: 400 };
      await deploy([terminalConfig(), ...actionNode('first', 'pay'), ...actionNode('second', 'pay')]);
      helper.getNode('first').receive({ payload: 10, invoice: 'FIRST' });
      await waitFor(() => simulator.received.length === 1, 'the first request', 2000);
      const sentAt = Date.now();
      helper.getNode('second').receive({ _msgid: 'busy-1', payload: 20, invoice: 'SECOND' });
      await waitFor(() => count('second') >= 1, 'the BUSY answer', 2000);
      const busyAfter = Date.now() - sentAt;
      assert.ok(busyAfter < 200, `BUSY came at once (${busyAfter} ms)`);
      assert.equal(count('first'), 0, 'BUSY arrives before the first request ends');
      const busy = expectError(await one('second'), 'BUSY', 'not-sent');
      assert.equal(busy._msgid, 'busy-1');
      assert.equal(busy.payload.invoice, 'SECOND');
      assert.equal(busy.payload.amount, '20.00');
      assert.match(busy.error.message, /nothing was sent/i);

      const first = expectSuccess(await one('first', 2000));
      assert.equal(first.payload.invoice, 'FIRST');
      assert.deepEqual(
        simulator.received.map((r) => r.request.invoice),
        ['FIRST'],
        'the second request never reached the terminal',
      );
      assert.equal(count('second'), 1);
    });

    it('BUSY: a second message on the same node while one is open', async function () {
      simulator.behaviour = { delayMs: 300 };
      await deployOne('pay');
      const node = helper.getNode('act');
      node.receive({ payload: 10, invoice: 'ONE' });
      await waitFor(() => simulator.received.length === 1, 'the first request', 2000);
      node.receive({ payload: 20, invoice: 'TWO' });
      await waitFor(() => count('act') === 2, 'two outputs', 2000);
      await sleep(QUIET_MS);
      assert.equal(count('act'), 2);
      assert.equal(outputs.act.err.length, 1);
      assert.equal(outputs.act.err[0].payload.code, 'BUSY');
      assert.equal(outputs.act.err[0].payload.invoice, 'TWO');
      assert.equal(outputs.act.ok.length, 1);
      assert.equal(outputs.act.ok[0].payload.invoice, 'ONE');
      assert.equal(simulator.received.length, 1);
    });

    it('CONNECT: nothing listens on the configured port → not-sent; status shows terminal not reachable', async function () {
      const port = await freePort();
      const node = await deployOne('pay', { config: { port: String(port) } });
      const statuses = watchStatus(node);
      const msg = expectError(await run('act', { payload: 5, invoice: 'C-1' }), 'CONNECT', 'not-sent');
      assert.equal(msg.payload.invoice, 'C-1');
      assert.match(msg.error.message, /nothing was sent/i);
      assert.ok(msg.error.message.includes(String(port)), `names the address: ${msg.error.message}`);
      assert.equal(lastStatusText(statuses), 'terminal not reachable');
      assert.ok(
        statuses.some((s) => /connecting/.test(s.text)),
        'showed connecting first',
      );
    });

    it('TIMEOUT: fault "silent" with responseTimeout 1 s → outcome unknown; status says to check that amount on the terminal', async function () {
      this.timeout(6000);
      simulator.behaviour = { fault: 'silent' };
      const node = await deployOne('pay', { config: { responseTimeout: '1' } });
      const statuses = watchStatus(node);
      const start = Date.now();
      const msg = expectError(await run('act', { payload: 5, invoice: 'T-1' }, 4000), 'TIMEOUT', 'unknown');
      const elapsed = Date.now() - start;
      assert.ok(elapsed >= 950 && elapsed < 3000, `answered after about 1 s (${elapsed} ms)`);
      assert.equal(msg.payload.invoice, 'T-1');
      assert.equal(msg.payload.amount, '5.00');
      assert.equal(simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
      assert.ok(
        statuses.some((s) => /waiting/.test(s.text) && s.text.includes('5.00')),
        'showed waiting with the amount',
      );
    });

    it('CONNECTION_LOST: fault "drop" → outcome unknown; status says to check that amount on the terminal', async function () {
      simulator.behaviour = { fault: 'drop' };
      const node = await deployOne('refund');
      const statuses = watchStatus(node);
      const msg = expectError(await run('act', { payload: 5 }), 'CONNECTION_LOST', 'unknown');
      assert.equal(msg.payload.action, 'refund');
      assert.equal(simulator.received.length, 1);
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
    });

    it('CONNECTION_LOST: fault "halfway" → outcome unknown', async function () {
      simulator.behaviour = { fault: 'halfway' };
      await deployOne('pay');
      expectError(await run('act', { payload: 5 }), 'CONNECTION_LOST', 'unknown');
    });

    it('PROTOCOL: fault "garbage" → outcome unknown', async function () {
      simulator.behaviour = { fault: 'garbage' };
      const node = await deployOne('pay');
      const statuses = watchStatus(node);
      const msg = expectError(await run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      assert.equal(msg.payload.action, 'pay');
      assert.equal(lastStatusText(statuses), 'check terminal: 5.00');
    });

    it('PROTOCOL: fault "wrong-root" → outcome unknown, even though the reply said OK', async function () {
      simulator.behaviour = { fault: 'wrong-root' };
      await deployOne('preauth');
      const msg = expectError(await run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      assert.equal(msg.payload.action, 'preauth');
      assert.equal(msg.preauthcode, undefined, 'no preauthcode from an answer to another action');
    });

    it('PROTOCOL: fault "wrong-root" on pay (answered as refund)', async function () {
      simulator.behaviour = { fault: 'wrong-root' };
      await deployOne('pay');
      expectError(await run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
    });

    it('after an unknown outcome the terminal is left alone for the window for a late answer, then the next request works on a new connection', async function () {
      simulator.nextBehaviours.push({ fault: 'garbage' });
      await deployOne('pay', { config: { connectionMode: 'reuse', lateAnswerWindow: '0.2' } });
      expectError(await run('act', { payload: 5 }), 'PROTOCOL', 'unknown');
      outputs.act = { ok: [], err: [] };
      const meanwhile = expectError(await run('act', { payload: 6 }), 'BUSY', 'not-sent');
      assert.match(meanwhile.error.message, /has not answered an earlier pay/);
      const client = helper.getNode('cfg').client;
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      outputs.act = { ok: [], err: [] };
      expectSuccess(await run('act', { payload: 6 }));
      assert.equal(accepted, 2, 'a fresh connection after the protocol error');
    });

    it('fault "twice": the first answer is taken, the repeated one never becomes a second output', async function () {
      simulator.nextBehaviours.push({ fault: 'twice' });
      await deployOne('pay');
      expectSuccess(await run('act', { payload: 5, invoice: 'TW-1' }));
      outputs.act = { ok: [], err: [] };
      const next = await run('act', { payload: 6, invoice: 'TW-2' });
      // The stray copy must never answer TW-2: either it was noticed (and TW-2 went out on a fresh
      // connection), or TW-2 got its own answer.
      expectSuccess(next);
      assert.equal(next.msg.payload.invoice, 'TW-2');
      assert.deepEqual(
        simulator.received.map((r) => r.request.invoice),
        ['TW-1', 'TW-2'],
      );
    });

    it('fault "bytewise" and closeAfterAnswer: answers in pieces and apps that hang up still work', async function () {
      simulator.behaviour = { fault: 'bytewise', byteDelayMs: 0, closeAfterAnswer: true };
      await deployOne('pay');
      expectSuccess(await run('act', { payload: 5 }));
      outputs.act = { ok: [], err: [] };
      expectSuccess(await run('act', { payload: 6 }));
      assert.equal(simulator.received.length, 2);
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
        const flow = [terminalConfig(bad.config), ...ACTION_TYPES.flatMap((action) => actionNode(action, action))];
        await deploy(flow);
        assert.equal(helper.getNode('cfg').client, undefined);
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
          const msg = expectError(await one(action), 'CONNECT', 'not-sent');
          assert.equal(msg._msgid, `cfg-${action}`);
          assert.equal(msg.payload.action, action);
          assert.match(msg.error.message, bad.mention);
          assert.ok(!msg.error.message.includes(`${bad.property} `), `"${msg.error.message}" names the property ${bad.property}`);
          assert.match(msg.error.message, /nothing was sent/i);
          // For words of one's own: the key and the setting, language-neutral.
          assert.equal(msg.payload.messageKey, 'node.badSettings');
          assert.match(msg.payload.messageParams.reason.key, /^(settings|input)\./);
          const { setting, field } = msg.payload.messageParams.reason.params;
          assert.deepEqual(setting ?? field, { setting: bad.property });
        }
        // Still alive: a second round is answered the same way.
        helper.getNode('pay').receive({ payload: 2 });
        await waitFor(() => count('pay') === 2, 'a second answer', 2000);
        assert.equal(outputs.pay.err[1].payload.code, 'CONNECT');
        assert.equal(simulator.received.length, 0);
        assert.equal(accepted, 0);
      });
    }

    it('CONNECT: an action node with no terminal selected', async function () {
      await deploy([terminalConfig(), ...actionNode('act', 'pay', { terminal: '' })]);
      const msg = expectError(await run('act', { payload: 1 }), 'CONNECT', 'not-sent');
      assert.match(msg.error.message, /terminal/);
      assert.equal(simulator.received.length, 0);
    });

    it('no terminal selected: the error and the status say so, not "cannot connect"', async function () {
      await deploy([terminalConfig(), ...actionNode('act', 'refund', { terminal: '' })]);
      const statuses = watchStatus(helper.getNode('act'));
      const msg = expectError(await run('act', { payload: 1 }), 'CONNECT', 'not-sent');
      assert.match(msg.error.message, /no terminal is selected/i);
      assert.match(msg.error.message, /nothing was sent/i);
      assert.equal(lastStatusText(statuses), 'no terminal selected');
      assert.equal(statuses[statuses.length - 1].fill, 'red');
    });
  });

  describe('node status', function () {
    it('success: connecting, waiting with the amount, then approved with the amount', async function () {
      simulator.behaviour = { delayMs: 50 };
      const node = await deployOne('pay');
      const statuses = watchStatus(node);
      expectSuccess(await run('act', { payload: '42.5' }));
      const text = lastStatusText(statuses);
      assert.match(text, /approved/);
      assert.ok(text.includes('42.50'), `status shows the amount: "${text}"`);
      assert.equal(statuses[statuses.length - 1].fill, 'green');
      const texts = statuses.map((s) => s.text);
      const waiting = texts.findIndex((t) => /waiting/.test(t) && t.includes('42.50'));
      assert.ok(waiting >= 0, `a waiting status with the amount: ${JSON.stringify(texts)}`);
      const connecting = texts.findIndex((t) => /connecting/.test(t));
      assert.ok(connecting >= 0 && connecting < waiting, `connecting before waiting: ${JSON.stringify(texts)}`);
    });

    it('success of a cancel says the reservation is released, with its code', async function () {
      await deploy([terminalConfig(), ...actionNode('pa', 'preauth'), ...actionNode('act', 'cancel')]);
      const code = await preauthorize('pa', 3);
      const statuses = watchStatus(helper.getNode('act'));
      expectSuccess(await run('act', { preauthcode: code }));
      assert.equal(lastStatusText(statuses), `released ${code}`);
    });
  });

  describe('closing mid-transaction', function () {
    it('unload with a request open: error output CONNECTION_LOST/unknown, done called, fast, nothing leaked', async function () {
      simulator.behaviour = { fault: 'silent' };
      // Let the simulator's listening server settle before the baseline.
      await sleep(20);
      const before = resources(SOCKETS_AND_TIMERS);
      // After the flow stops, the terminal is kept for its late answer this long, then let go.
      const node = await deployOne('pay', { config: { lateAnswerWindow: '0.2' } });
      const sent = [];
      const completions = [];
      const originalSend = node.send;
      node.send = function (msgs) {
        sent.push(msgs);
        return originalSend.apply(this, arguments);
      };
      const originalComplete = node._complete;
      node._complete = function (msg, error) {
        completions.push({ msg, error });
        return originalComplete.apply(this, arguments);
      };
      const uncaught = [];
      const onUncaught = (error) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUncaught);
      try {
        node.receive({ _msgid: 'open-1', payload: 9, invoice: 'OPEN-1' });
        await waitFor(() => simulator.received.length === 1, 'the request to arrive', 2000);
        await sleep(20);
        assert.equal(count('act'), 0, 'no answer yet');

        const start = Date.now();
        await helper.unload();
        const took = Date.now() - start;
        assert.ok(took < 1000, `unload took ${took} ms`);

        await sleep(50);
        assert.equal(sent.length, 1, 'exactly one output for the open request');
        const [ok, err] = sent[0];
        assert.equal(ok, null);
        assert.equal(err._msgid, 'open-1');
        assert.equal(err.payload.code, 'CONNECTION_LOST');
        assert.equal(err.payload.outcome, 'unknown');
        assert.equal(err.payload.invoice, 'OPEN-1');
        assert.deepEqual(err.error, { message: err.payload.message, code: 'CONNECTION_LOST', outcome: 'unknown' });
        assert.match(err.error.message, /may have gone through/i);
        // If the runtime still delivered it, it was delivered once, on output 2.
        assert.ok(count('act') <= 1);
        assert.equal(outputs.act.ok.length, 0);

        assert.equal(completions.length, 1, 'done() called once');
        assert.equal(completions[0].error, undefined);

        assert.equal(simulator.connectionCount, 0, 'the simulator saw the connection close');
        await expectResources(before, 'after unloading with a request open, once the window for a late answer passed', 1000);
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
      }
    });

    it('unload with an idle open connection: fast, nothing leaked', async function () {
      await sleep(20);
      const before = resources(SOCKETS_AND_TIMERS);
      await deployOne('pay', { config: { connectionMode: 'reuse' } });
      expectSuccess(await run('act', { payload: 1 }));
      assert.equal(simulator.connectionCount, 1, 'the connection stays open between requests');
      const start = Date.now();
      await helper.unload();
      assert.ok(Date.now() - start < 1000);
      await expectResources(before, 'after unloading with an idle connection');
      assert.equal(simulator.connectionCount, 0);
    });
  });

  describe('partial redeploy', function () {
    // One connection reused, so that a restart of the config node would show as a new one.
    function flowWith(ids, renamed = {}) {
      return [TAB, terminalConfig({ connectionMode: 'reuse', lateAnswerWindow: '0.2' }), ...ids.flatMap((id) => actionNode(id, 'pay', renamed[id] ? { name: renamed[id] } : {}))];
    }

    it('removing one action node mid-transaction of another does not close the shared connection', async function () {
      await deploy(flowWith(['a', 'b']));
      const client = helper.getNode('cfg').client;
      assert.ok(client);
      expectSuccess(await run('b', { payload: 1, invoice: 'B-1' }));
      assert.equal(accepted, 1);
      outputs.b = { ok: [], err: [] };

      simulator.behaviour = { delayMs: 300 };
      helper.getNode('b').receive({ payload: 2, invoice: 'B-2' });
      await waitFor(() => simulator.received.length === 2, 'B-2 to arrive', 2000);

      // Deploy "modified nodes" with node a removed, while b's request is open.
      await helper.setFlows(flowWith(['b']), 'nodes');
      assert.equal(helper.getNode('a'), null, 'node a was removed');
      assert.equal(helper.getNode('cfg').client, client, 'the config node was not restarted');

      const b2 = expectSuccess(await one('b', 2000));
      assert.equal(b2.payload.invoice, 'B-2');

      simulator.behaviour = {};
      outputs.b = { ok: [], err: [] };
      expectSuccess(await run('b', { payload: 3, invoice: 'B-3' }));
      assert.equal(accepted, 1, "all of b's requests went over the first connection");
      assert.equal(simulator.connectionCount, 1);
    });

    it('restarting a modified action node leaves the other node working on the same connection', async function () {
      await deploy(flowWith(['a', 'b']));
      const client = helper.getNode('cfg').client;
      expectSuccess(await run('a', { payload: 1 }));
      expectSuccess(await run('b', { payload: 1 }));
      assert.equal(accepted, 1);

      const helpersBefore = ['a-ok', 'a-err', 'b-ok', 'b-err'].map((id) => helper.getNode(id));
      const aBefore = helper.getNode('a');
      await helper.setFlows(flowWith(['a', 'b'], { a: 'a renamed' }), 'nodes');
      assert.notEqual(helper.getNode('a'), aBefore, 'node a was restarted');
      assert.equal(helper.getNode('a').name, 'a renamed');
      assert.equal(helper.getNode('cfg').client, client, 'the config node was not restarted');
      // Only the modified node restarts: the helper nodes (and their listeners) are the same.
      assert.deepEqual(
        ['a-ok', 'a-err', 'b-ok', 'b-err'].map((id) => helper.getNode(id)),
        helpersBefore,
      );
      outputs.a = { ok: [], err: [] };
      outputs.b = { ok: [], err: [] };

      expectSuccess(await run('b', { payload: 2 }));
      expectSuccess(await run('a', { payload: 3 }));
      assert.equal(accepted, 1, 'no reconnect was needed');
      assert.equal(simulator.connectionCount, 1);
    });

    /** Removes node a by a partial deploy while its request is open; returns what old a sent. */
    async function removeWhileOpen({ busyFirst }) {
      simulator.nextBehaviours.push({ fault: 'silent' });
      await deploy(flowWith(['a', 'b']));
      const oldA = helper.getNode('a');
      const sentByOldA = [];
      const originalSend = oldA.send;
      oldA.send = function (msgs) {
        sentByOldA.push(msgs);
        return originalSend.apply(this, arguments);
      };
      oldA.receive({ _msgid: 'a-open', payload: 5, invoice: 'A-OPEN' });
      await waitFor(() => simulator.received.length === 1, 'A-OPEN to arrive', 2000);
      if (busyFirst) {
        // A second message on the same node while its first is open: BUSY, as the contract says.
        oldA.receive({ _msgid: 'a-busy', payload: 6, invoice: 'A-BUSY' });
        await waitFor(() => sentByOldA.length === 1, 'the BUSY answer', 2000);
        assert.equal(sentByOldA[0][1].payload.code, 'BUSY');
        sentByOldA.shift();
      }

      const start = Date.now();
      await helper.setFlows(flowWith(['b']), 'nodes');
      assert.equal(helper.getNode('a'), null, 'node a was removed');
      await waitFor(() => sentByOldA.length === 1 || Date.now() - start > 1000, 'A-OPEN to end', 1500);
      assert.equal(sentByOldA.length, 1, 'A-OPEN got its output within a second of the node being removed');
      const [ok, err] = sentByOldA[0];
      assert.equal(ok, null);
      assert.equal(err._msgid, 'a-open');
      assert.equal(err.payload.code, 'CONNECTION_LOST');
      assert.equal(err.payload.outcome, 'unknown');

      // The terminal is free again for the nodes that remain, once A-OPEN's late answer can no longer come.
      const client = helper.getNode('cfg').client;
      assert.equal(client.busy, true, "kept for A-OPEN's late answer");
      await waitFor(() => !client.busy, 'the window for a late answer to pass', 1000);
      expectSuccess(await run('b', { payload: 7, invoice: 'B-AFTER' }));
      assert.equal(simulator.received[simulator.received.length - 1].request.invoice, 'B-AFTER');
    }

    it('removing a node whose request is open ends that request at once (CONNECTION_LOST) and frees the terminal after the window for a late answer', async function () {
      await removeWhileOpen({ busyFirst: false });
    });

    it('the same, after that node answered a second message with BUSY', async function () {
      await removeWhileOpen({ busyFirst: true });
    });

    it('closing an idle action node through its close handler does not touch the shared client', async function () {
      await deploy(flowWith(['a', 'b']));
      simulator.behaviour = { delayMs: 200 };
      helper.getNode('b').receive({ payload: 2, invoice: 'B-OPEN' });
      await waitFor(() => simulator.received.length === 1, 'the request', 2000);
      await helper.getNode('a').close(true);
      const b = expectSuccess(await one('b', 2000));
      assert.equal(b.payload.invoice, 'B-OPEN');
      assert.equal(accepted, 1);
    });
  });
});
