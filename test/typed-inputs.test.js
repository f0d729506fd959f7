'use strict';

/**
 * Issue 5, in the editor: the action nodes' typed inputs (amount, invoice, preauthcode from msg,
 * a fixed value, flow / global context, env or JSONata), flows saved before those settings
 * existed, the config dialog's "Test connection" endpoint, and the Hungarian message catalogs.
 * Runs in a real Node-RED runtime (node-red-node-test-helper) against the real TerminalSimulator
 * on 127.0.0.1.
 */

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

const nodeRedPath = fs.existsSync(path.join(__dirname, 'support', 'node-red-path.js')) ? require('./support/node-red-path').nodeRedPath() : require.resolve('node-red');
helper.init(nodeRedPath);

const terminalNode = require('../dist/nodes/mypos-terminal.js');
const actionNodes = require('../dist/nodes/mypos-actions.js');
const message = require('../dist/nodes/message.js');
const typedInputs = require('../dist/nodes/typed-inputs.js');
const statuses = require('../dist/nodes/statuses.js');
const i18n = require('../dist/nodes/i18n.js');
const { probeTransport } = require('../dist/nodes/terminal-probe.js');
const { TerminalSimulator } = require('../dist/src');

const NODES = [terminalNode, actionNodes];
const ROOT = path.join(__dirname, '..');
const LOCALES = path.join(ROOT, 'nodes', 'locales');
const TAB = { id: 'tab1', type: 'tab', label: 'typed inputs' };
const QUIET_MS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let simulator;
let simPort;
let userDir;
/** The user directory set before each test (e.g. by test/support/root-hooks.js), put back after it. */
let previousUserDir;
/** outputs[nodeId] = { ok: msg[], err: msg[] } */
let outputs;

const { delay: sleep, waitFor } = require('./support/wait');
const { terminalConfigNode } = require('./support/terminal-config');
const { freePort } = require('./support/ports');

/** A unique reference, so no two tests (or runs) share an invoice. */
let serial = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(serial += 1)}`;

function terminalConfig(overrides = {}) {
  return terminalConfigNode('cfg', simPort, { name: 'simulated terminal', ...overrides });
}

/**
 * An action node as a flow saved before typed inputs existed has it: name, terminal, receipt,
 * custrcpt and nothing else. `props` adds typed-input settings.
 */
function actionNode(id, action, props = {}) {
  return [
    {
      id,
      type: `mypos-${action}`,
      z: 'tab1',
      name: '',
      terminal: 'cfg',
      receipt: 'ON',
      custrcpt: 'OFF',
      wires: [[`${id}-ok`], [`${id}-err`]],
      ...props,
    },
    { id: `${id}-ok`, type: 'helper', z: 'tab1' },
    { id: `${id}-err`, type: 'helper', z: 'tab1' },
  ];
}

async function deploy(nodes) {
  const flow = [TAB, terminalConfig(), ...nodes];
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

/** Sends msg into node `id`, waits for its single output and returns { output: 1 | 2, msg }. */
async function run(id, msg) {
  outputs[id] = { ok: [], err: [] };
  helper.getNode(id).receive(msg);
  const count = () => outputs[id].ok.length + outputs[id].err.length;
  await waitFor(() => count() >= 1, `an output message from ${id}`, 3000);
  await sleep(QUIET_MS);
  assert.equal(count(), 1, `exactly one output message from ${id}`);
  return outputs[id].ok.length === 1 ? { output: 1, msg: outputs[id].ok[0] } : { output: 2, msg: outputs[id].err[0] };
}

function ok(result) {
  assert.equal(result.output, 1, `expected success, got ${JSON.stringify(result.msg.payload)}`);
  assert.equal(result.msg.payload.result, 'OK');
  return result.msg.payload;
}

/** An INVALID_INPUT error whose message begins with `field`; nothing reached the terminal. */
function invalid(result, field) {
  assert.equal(result.output, 2, `expected the error output, got ${JSON.stringify(result.msg.payload)}`);
  const p = result.msg.payload;
  assert.equal(p.code, 'INVALID_INPUT', p.message);
  assert.equal(p.outcome, 'not-sent');
  assert.ok(p.message.startsWith(`${field} `), `message names ${field}: "${p.message}"`);
  assert.match(p.message, /Nothing was sent\.$/);
  assert.equal(result.msg.error.code, 'INVALID_INPUT');
  return p;
}

/** The last request the simulator received. */
function lastRequest() {
  assert.ok(simulator.received.length > 0, 'the simulator received a request');
  return simulator.received[simulator.received.length - 1].request;
}

function watchStatus(node) {
  const seen = [];
  const original = node.status;
  node.status = function (status) {
    seen.push(status);
    return original.apply(this, arguments);
  };
  return seen;
}

describe('typed inputs, test connection and catalogs (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(8000);

  before(function (done) {
    helper.startServer(done);
  });

  after(function (done) {
    helper.stopServer(done);
  });

  beforeEach(async function () {
    // Terminals keep a journal in the user directory: give each test its own.
    previousUserDir = helper.settings()?.userDir;
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-typed-'));
    helper.settings({ userDir });
    simulator = new TerminalSimulator();
    simPort = await simulator.listen(0, '127.0.0.1');
  });

  afterEach(async function () {
    await helper.unload();
    await simulator.close();
    fs.rmSync(userDir, { recursive: true, force: true });
    helper.settings({ userDir: previousUserDir });
    delete process.env.MYPOS_TEST_PRICE;
    delete process.env.MYPOS_TEST_CODE;
  });

  describe('a flow saved before typed inputs existed (name, terminal, receipt, custrcpt only)', function () {
    it('has the default sources: msg.payload, msg.invoice, msg.preauthcode', function () {
      const old = { id: 'a', type: 'mypos-pay', name: '', terminal: 'cfg', receipt: 'ON', custrcpt: 'ON' };
      assert.deepEqual(typedInputs.sourcesFromDefinition(old), typedInputs.DEFAULT_SOURCES);
      assert.deepEqual(typedInputs.DEFAULT_SOURCES, {
        amount: { type: 'msg', value: 'payload' },
        invoice: { type: 'msg', value: 'invoice' },
        preauthcode: { type: 'msg', value: 'preauthcode' },
      });
      // The editor's defaults for a new node, and a msg property left blank, mean the same places.
      const saved = { amount: 'payload', amountType: 'msg', invoice: '', invoiceType: 'msg', preauthcode: 'preauthcode', preauthcodeType: 'msg' };
      assert.deepEqual(typedInputs.sourcesFromDefinition(saved), typedInputs.DEFAULT_SOURCES);
    });

    it('pay: amount from msg.payload (number and string), or msg.payload.amount when the payload is an object', async function () {
      await deploy(actionNode('old', 'pay'));
      assert.equal(ok(await run('old', { payload: 12.5 })).amount, '12.50');
      assert.equal(lastRequest().sum, '12.50');
      assert.equal(ok(await run('old', { payload: '7.1' })).amount, '7.10');
      const invoice = unique('OLD');
      const p = ok(await run('old', { payload: { amount: '3.00', invoice } }));
      assert.equal(p.amount, '3.00');
      assert.equal(p.invoice, invoice);
      assert.equal(lastRequest().invoice, invoice);
    });

    it('pay: invoice from msg.invoice, which wins over msg.payload.invoice; null falls back; absent is generated', async function () {
      await deploy(actionNode('old', 'pay'));
      const own = unique('OWN');
      assert.equal(ok(await run('old', { payload: { amount: 1, invoice: unique('INNER') }, invoice: own })).invoice, own);
      const inner = unique('INNER');
      assert.equal(ok(await run('old', { payload: { amount: 1, invoice: inner }, invoice: null })).invoice, inner);
      const generated = ok(await run('old', { payload: 2 })).invoice;
      assert.match(generated, UUID);
      assert.equal(lastRequest().invoice, generated);
    });

    it('pay: errors name the same fields as before (msg.payload, msg.payload.amount, msg.invoice)', async function () {
      await deploy(actionNode('old', 'pay'));
      invalid(await run('old', {}), 'msg.payload');
      invalid(await run('old', { payload: '12,50' }), 'msg.payload');
      invalid(await run('old', { payload: { invoice: unique('X') } }), 'msg.payload.amount');
      invalid(await run('old', { payload: 1, invoice: '' }), 'msg.invoice');
      assert.equal(simulator.received.length, 0, 'nothing was sent');
    });

    it('refund and preauth read the same places; preauth sets msg.preauthcode', async function () {
      await deploy([...actionNode('r', 'refund'), ...actionNode('p', 'preauth')]);
      const invoice = unique('REFUND');
      assert.deepEqual({ ...ok(await run('r', { payload: '4.00', invoice })), ref: 'x' }, { action: 'refund', result: 'OK', ref: 'x', invoice, amount: '4.00' });
      const result = await run('p', { payload: { amount: '20.00' } });
      const p = ok(result);
      assert.equal(p.amount, '20.00');
      assert.equal(result.msg.preauthcode, p.ref);
    });

    it('complete and cancel: code from msg.preauthcode, else msg.payload.preauthcode; missing names msg.preauthcode', async function () {
      await deploy([...actionNode('p', 'preauth'), ...actionNode('c', 'complete'), ...actionNode('x', 'cancel')]);
      const first = (await run('p', { payload: '20.00' })).msg.preauthcode;
      const done = ok(await run('c', { payload: '15.00', preauthcode: first }));
      assert.deepEqual([done.amount, done.preauthcode], ['15.00', first]);
      assert.equal(simulator.preauthState(first), 'completed');
      const second = (await run('p', { payload: '20.00' })).msg.preauthcode;
      assert.equal(ok(await run('x', { payload: { preauthcode: second } })).preauthcode, second);
      assert.equal(simulator.preauthState(second), 'cancelled');
      const sent = simulator.received.length;
      invalid(await run('x', { payload: 'not an object' }), 'msg.preauthcode');
      invalid(await run('c', { payload: '5.00' }), 'msg.preauthcode');
      assert.equal(simulator.received.length, sent, 'nothing was sent');
    });

    it('an old node and a node saved with the explicit defaults give the same results and requests', async function () {
      const defaults = {
        pay: { amount: 'payload', amountType: 'msg', invoice: 'invoice', invoiceType: 'msg' },
        cancel: { preauthcode: 'preauthcode', preauthcodeType: 'msg' },
      };
      await deploy([...actionNode('oldPay', 'pay'), ...actionNode('newPay', 'pay', defaults.pay), ...actionNode('oldCancel', 'cancel'), ...actionNode('newCancel', 'cancel', defaults.cancel)]);
      const messages = [
        { payload: 9.99 },
        { payload: { amount: '1.5', receipt: 'OFF' } },
        { payload: 0.1 + 0.2, custrcpt: 'AFTER_CONFIRMATION' },
        { payload: -1 },
        { payload: { amount: 1 }, receipt: 'MAYBE' },
        {},
      ];
      const strip = ({ msg, output }) => {
        const { ref, invoice, message: text, ...rest } = msg.payload;
        return { output, rest, invoiceGenerated: invoice === undefined ? undefined : UUID.test(invoice), text, ref: typeof ref };
      };
      for (const m of messages) {
        const before = simulator.received.length;
        const a = strip(await run('oldPay', structuredClone(m)));
        const wireA = simulator.received.slice(before).map((r) => ({ ...r.request, invoice: typeof r.request.invoice }));
        const b = strip(await run('newPay', structuredClone(m)));
        const wireB = simulator.received.slice(before + wireA.length).map((r) => ({ ...r.request, invoice: typeof r.request.invoice }));
        assert.deepEqual(b, a, `same result for ${JSON.stringify(m)}`);
        assert.deepEqual(wireB, wireA, `same request for ${JSON.stringify(m)}`);
      }
      for (const m of [{ preauthcode: 'UNKNOWN-1' }, { payload: { preauthcode: 'UNKNOWN-2' } }, {}]) {
        assert.deepEqual(strip(await run('newCancel', structuredClone(m))), strip(await run('oldCancel', structuredClone(m))));
      }
    });

    it('status texts are English when RED._ cannot translate (the test helper returns the key)', async function () {
      await deploy(actionNode('old', 'pay'));
      const statuses = watchStatus(helper.getNode('old'));
      ok(await run('old', { payload: '12.50' }));
      const texts = statuses.map((s) => s.text);
      assert.ok(texts.includes('connecting…'), JSON.stringify(texts));
      assert.ok(texts.includes('waiting for terminal: 12.50'), JSON.stringify(texts));
      assert.equal(texts[texts.length - 1], 'approved 12.50');
      await run('old', { payload: '13.51' });
      assert.equal(statuses[statuses.length - 1].text, 'card declined');
      await run('old', { payload: 'lots' });
      assert.equal(statuses[statuses.length - 1].text, 'invalid input: msg.payload');
    });
  });

  describe('amount from each type of typed input', function () {
    it('msg: another property, read as it is (no object-payload rule); errors name it', async function () {
      await deploy(actionNode('a', 'pay', { amount: 'order.total', amountType: 'msg' }));
      assert.equal(ok(await run('a', { payload: 99, order: { total: '42.10' } })).amount, '42.10');
      assert.equal(lastRequest().sum, '42.10');
      invalid(await run('a', { payload: 5 }), 'msg.order.total');
      const p = invalid(await run('a', { order: { total: { amount: 5 } } }), 'msg.order.total');
      assert.match(p.message, /must be a number or a decimal text, not an object/);
    });

    it('msg: a property expression that cannot be read is INVALID_INPUT naming it', async function () {
      await deploy(actionNode('a', 'pay', { amount: 'items[', amountType: 'msg' }));
      const p = invalid(await run('a', { payload: 5 }), 'msg.items[');
      assert.match(p.message, /cannot be read/);
      assert.equal(simulator.received.length, 0);
    });

    it('num: a fixed price typed in the node (a kiosk that always charges 2.00), used exactly as typed', async function () {
      await deploy([
        ...actionNode('kiosk', 'pay', { amount: '2.00', amountType: 'num' }),
        ...actionNode('exp', 'pay', { amount: '1e3', amountType: 'num' }),
        ...actionNode('many', 'pay', { amount: '2.001', amountType: 'num' }),
      ]);
      assert.equal(ok(await run('kiosk', { payload: 'button pressed' })).amount, '2.00');
      assert.equal(lastRequest().sum, '2.00');
      assert.equal(ok(await run('kiosk', { payload: { amount: '50.00' } })).amount, '2.00', 'the payload is not the amount');
      const statuses = watchStatus(helper.getNode('exp'));
      assert.match(invalid(await run('exp', {}), "the node's amount").message, /without an exponent/);
      assert.equal(statuses[statuses.length - 1].text, "invalid input: the node's amount");
      assert.match(invalid(await run('many', {}), "the node's amount").message, /at most 2\./);
    });

    it('flow and global context, including a key picked by a message property', async function () {
      await deploy([...actionNode('f', 'pay', { amount: 'price', amountType: 'flow' }), ...actionNode('g', 'refund', { amount: 'prices[msg.topic]', amountType: 'global' })]);
      const context = helper.getNode('f').context();
      context.flow.set('price', 7.25);
      context.global.set('prices', { coffee: '1.80', tea: 1.2 });
      assert.equal(ok(await run('f', { payload: 1 })).amount, '7.25');
      assert.equal(ok(await run('g', { topic: 'coffee' })).amount, '1.80');
      assert.equal(ok(await run('g', { topic: 'tea' })).amount, '1.20');
      context.flow.set('price', undefined);
      assert.match(invalid(await run('f', { payload: 1 }), 'flow.price').message, /is missing/);
      invalid(await run('g', { topic: 'juice' }), 'global.prices[msg.topic]');
    });

    it('env: an environment variable', async function () {
      await deploy([...actionNode('e', 'preauth', { amount: 'MYPOS_TEST_PRICE', amountType: 'env' }), ...actionNode('m', 'pay', { amount: 'MYPOS_TEST_MISSING', amountType: 'env' })]);
      process.env.MYPOS_TEST_PRICE = '4.40';
      assert.equal(ok(await run('e', {})).amount, '4.40');
      assert.equal(lastRequest().sum, '4.40');
      invalid(await run('m', {}), 'env.MYPOS_TEST_MISSING');
    });

    it('jsonata: an expression over the message; a bad expression is INVALID_INPUT naming it, nothing sent', async function () {
      await deploy([
        ...actionNode('j', 'pay', { amount: '$sum(payload.items.(price * qty))', amountType: 'jsonata' }),
        ...actionNode('bad', 'pay', { amount: '$sum(payload.items', amountType: 'jsonata' }),
        ...actionNode('fails', 'pay', { amount: '$number("twelve")', amountType: 'jsonata' }),
      ]);
      const basket = {
        items: [
          { price: 2.5, qty: 2 },
          { price: 1.2, qty: 1 },
        ],
      };
      assert.equal(ok(await run('j', { payload: basket })).amount, '6.20');
      assert.equal(lastRequest().sum, '6.20');
      const sent = simulator.received.length;
      const statuses = watchStatus(helper.getNode('bad'));
      assert.match(invalid(await run('bad', { payload: basket }), "the node's amount expression").message, /cannot be read/);
      assert.equal(statuses[statuses.length - 1].text, "invalid input: the node's amount expression");
      invalid(await run('fails', { payload: basket }), "the node's amount expression");
      invalid(await run('j', { payload: { items: [] } }), "the node's amount expression");
      assert.equal(simulator.received.length, sent, 'nothing was sent');
    });

    it('a hand-written node with an amount but no amountType takes it as a fixed value', async function () {
      await deploy(actionNode('h', 'pay', { amount: '3.30' }));
      assert.equal(ok(await run('h', { payload: 99 })).amount, '3.30');
    });
  });

  describe('invoice and pre-authorization code from each type', function () {
    it('invoice: a fixed string, flow context, JSONata and a msg property; an absent one is generated', async function () {
      const fixed = unique('KIOSK');
      await deploy([
        ...actionNode('s', 'pay', { invoice: fixed, invoiceType: 'str' }),
        ...actionNode('f', 'refund', { invoice: 'lastInvoice', invoiceType: 'flow' }),
        ...actionNode('j', 'preauth', { invoice: '"ORDER-" & $string(payload.order)', invoiceType: 'jsonata' }),
        ...actionNode('m', 'pay', { invoice: 'order.ref', invoiceType: 'msg' }),
      ]);
      assert.equal(ok(await run('s', { payload: 1, invoice: unique('IGNORED') })).invoice, fixed);
      assert.equal(lastRequest().invoice, fixed);
      const original = unique('A');
      helper.getNode('f').context().flow.set('lastInvoice', original);
      assert.equal(ok(await run('f', { payload: '2.00' })).invoice, original);
      helper.getNode('f').context().flow.set('lastInvoice', undefined);
      assert.match(ok(await run('f', { payload: '2.00' })).invoice, UUID, 'absent: generated');
      const order = Date.now();
      assert.equal(ok(await run('j', { payload: { amount: '5.00', order } })).invoice, `ORDER-${order}`);
      const ref = unique('REF');
      assert.equal(ok(await run('m', { payload: 1, order: { ref } })).invoice, ref);
      assert.match(ok(await run('m', { payload: 1, invoice: unique('NOT-USED') })).invoice, UUID, 'only the chosen property counts');
    });

    it('invoice: the reference rules apply, naming the source', async function () {
      await deploy([...actionNode('s', 'pay', { invoice: 'Hibás', invoiceType: 'str' }), ...actionNode('f', 'pay', { invoice: 'inv', invoiceType: 'flow' })]);
      assert.match(invalid(await run('s', { payload: 1 }), "the node's invoice").message, /printable ASCII/);
      helper.getNode('f').context().flow.set('inv', 'x'.repeat(51));
      invalid(await run('f', { payload: 1 }), 'flow.inv');
      assert.equal(simulator.received.length, 0);
    });

    it('preauthcode: a deposit kept in flow context is completed, another cancelled; a missing one names flow.deposits[msg.room]', async function () {
      await deploy([
        ...actionNode('p', 'preauth', { amount: '50.00', amountType: 'num' }),
        ...actionNode('c', 'complete', { preauthcode: 'deposits[msg.room]', preauthcodeType: 'flow' }),
        ...actionNode('x', 'cancel', { preauthcode: 'deposits[msg.room]', preauthcodeType: 'flow' }),
      ]);
      const flow = helper.getNode('p').context().flow;
      const checkIn = async (room) => {
        const { msg } = await run('p', { room });
        assert.equal(msg.payload.amount, '50.00');
        flow.set(`deposits["${room}"]`, msg.preauthcode);
        return msg.preauthcode;
      };
      const code101 = await checkIn('101');
      const code102 = await checkIn('102');
      const done = ok(await run('c', { room: '101', payload: '35.00' }));
      assert.deepEqual([done.amount, done.preauthcode], ['35.00', code101]);
      assert.equal(simulator.preauthState(code101), 'completed');
      assert.equal(ok(await run('x', { room: '102' })).preauthcode, code102);
      assert.equal(simulator.preauthState(code102), 'cancelled');
      const p = invalid(await run('x', { room: '103', preauthcode: code101 }), 'flow.deposits[msg.room]');
      assert.match(p.message, /is missing: give the code the pre-authorization returned/);
    });

    it('preauthcode: JSONata, env and a fixed string', async function () {
      await deploy([
        ...actionNode('p', 'preauth'),
        ...actionNode('j', 'cancel', { preauthcode: 'payload.booking.code', preauthcodeType: 'jsonata' }),
        ...actionNode('e', 'cancel', { preauthcode: 'MYPOS_TEST_CODE', preauthcodeType: 'env' }),
        ...actionNode('s', 'complete', { preauthcode: '000000000000', preauthcodeType: 'str', amount: '1.00', amountType: 'num' }),
      ]);
      const first = (await run('p', { payload: '10.00' })).msg.preauthcode;
      assert.equal(ok(await run('j', { payload: { booking: { code: first } } })).preauthcode, first);
      const second = (await run('p', { payload: '10.00' })).msg.preauthcode;
      process.env.MYPOS_TEST_CODE = second;
      assert.equal(ok(await run('e', {})).preauthcode, second);
      const unknown = await run('s', {});
      assert.equal(unknown.output, 2);
      assert.equal(unknown.msg.payload.code, 'TERMINAL', 'the fixed code reached the terminal, which does not know it');
      assert.equal(lastRequest().preauthCode, '000000000000');
      invalid(await run('j', { payload: {} }), "the node's pre-authorization code expression");
    });

    it('msg.receipt and msg.custrcpt still override the node settings with typed inputs', async function () {
      await deploy(actionNode('k', 'pay', { amount: '2.00', amountType: 'num' }));
      ok(await run('k', { receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' }));
      assert.deepEqual([lastRequest().receipt, lastRequest().custrcpt], ['OFF', 'AFTER_CONFIRMATION']);
    });

    it('an input read asynchronously (JSONata) that finishes after the node was stopped is not sent', async function () {
      // The action node module with a stand-in runtime whose evaluation we finish by hand.
      let finishEvaluation;
      let submitted = 0;
      const terminal = { keepOpen: false, submit: () => ((submitted += 1), Promise.resolve({ result: 'OK' })) };
      let constructor;
      const fakeRED = {
        nodes: {
          registerType: (type, fn) => {
            if (type === 'mypos-pay') constructor = fn;
          },
          createNode() {},
          getNode: () => terminal,
        },
        util: {
          evaluateNodeProperty: (_value, _type, _node, _msg, callback) => {
            finishEvaluation = () => callback(null, '6.20');
          },
        },
        _: (key) => key,
      };
      actionNodes(fakeRED);
      const handlers = {};
      const sent = [];
      const node = { id: 'n', on: (event, handler) => (handlers[event] = handler), status() {}, warn() {}, error() {} };
      constructor.call(node, { id: 'n', type: 'mypos-pay', terminal: 'cfg', amount: '$sum(payload)', amountType: 'jsonata' });
      let doneCalled = false;
      handlers.input(
        { payload: [1, 2] },
        (out) => sent.push(out),
        () => (doneCalled = true),
      );
      const closed = new Promise((resolve) => handlers.close(false, resolve));
      finishEvaluation();
      await closed;
      assert.equal(submitted, 0, 'the request was not handed to the terminal client');
      assert.ok(doneCalled, 'the message was finished');
      assert.equal(sent.length, 1);
      assert.equal(sent[0][1].payload.code, 'CONNECT');
      assert.equal(sent[0][1].payload.outcome, 'not-sent');
    });
  });

  describe('POST /mypos-terminal/test (the config dialog\'s "Test connection")', function () {
    it('connected: opens a connection with the given settings, says how long it took, closes it and sends nothing', async function () {
      await deploy([]);
      const res = await helper
        .request()
        .post('/mypos-terminal/test')
        .send({ connection: 'tcp', host: '127.0.0.1', port: String(simPort), connectTimeout: '2' })
        .expect(200);
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'connected');
      assert.equal(res.body.target, `127.0.0.1:${simPort}`);
      assert.equal(typeof res.body.ms, 'number');
      assert.match(res.body.message, new RegExp(`^connected to 127\\.0\\.0\\.1:${simPort} in \\d+\\sms$`));
      await waitFor(() => simulator.connectionCount === 0, 'the test connection to close', 2000);
      assert.equal(simulator.received.length, 0, 'nothing was sent to the terminal');
    });

    it('refused: nothing listens on the port', async function () {
      await deploy([]);
      const port = await freePort();
      const res = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port, connectTimeout: 2 }).expect(200);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.outcome, 'refused');
      assert.match(res.body.message, new RegExp(`^refused: nothing accepts connections on 127\\.0\\.0\\.1:${port}`));
      // The system's own words are kept apart, for a log; the words are the dialog's.
      assert.match(res.body.detail, /ECONNREFUSED/);
      assert.doesNotMatch(res.body.message, /ECONNREFUSED|connect /);
    });

    it('invalid: settings that cannot make a connection are named as the dialog labels them, and nothing is tried', async function () {
      await deploy([]);
      const noHost = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: ' ', port: '51042' }).expect(200);
      assert.equal(noHost.body.outcome, 'invalid');
      assert.equal(noHost.body.reason, '"Host" is empty: enter the IP address the Payment Interface app shows.');
      assert.equal(noHost.body.message, `check the settings: ${noHost.body.reason}`);
      const badPort = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port: '70000' }).expect(200);
      assert.equal(badPort.body.outcome, 'invalid');
      assert.equal(badPort.body.reason, '"Port" must be a whole number from 1 to 65535, not "70000".');
      const noPath = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: '' }).expect(200);
      assert.equal(noPath.body.outcome, 'invalid');
      assert.equal(noPath.body.reason, '"Serial port" is empty: enter the device of the paired terminal, e.g. /dev/rfcomm0.');
      const badBaud = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: '/dev/x', baudRate: '9600.5' }).expect(200);
      assert.equal(badBaud.body.reason, '"Baud rate" must be a whole number from 50 to 4000000, not "9600.5".');
      const badChoice = await helper.request().post('/mypos-terminal/test').send({ connection: 'bluetooth', host: '127.0.0.1' }).expect(200);
      assert.equal(badChoice.body.reason, '"Connection" must be "TCP/IP (Wi-Fi or LAN)" or "Bluetooth / serial", not "bluetooth".');
      const badTimeout = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', connectTimeout: '0' }).expect(200);
      assert.equal(badTimeout.body.reason, '"Connect within" must be a number of seconds from 1 to 300, not "0".');
    });

    it("failed: the reason in words (explainError), the system's error text only in `detail`", async function () {
      const failing = (error) => ({ description: '/dev/ttyMYPOS', connect: () => Promise.reject(error) });
      const busy = await probeTransport(failing(Object.assign(new Error('EBUSY: resource busy or locked, open'), { code: 'EBUSY' })), 1000);
      assert.equal(busy.outcome, 'in-use');
      assert.equal(busy.message, '/dev/ttyMYPOS is in use by another program');
      const reset = await probeTransport(failing(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 1000);
      assert.equal(reset.outcome, 'failed');
      assert.equal(reset.reason, 'the terminal closed the connection.');
      assert.equal(reset.message, 'cannot connect: the terminal closed the connection.');
      assert.equal(reset.detail, 'read ECONNRESET');
      for (const result of [busy, reset]) assert.doesNotMatch(result.message, /\bE[A-Z]{3,}\b/, 'no system error code in the words');
    });

    it('busy: a terminal with a request open is not disturbed', async function () {
      simulator.behaviour = { delayMs: 600 };
      await deploy(actionNode('a', 'pay'));
      helper.getNode('a').receive({ payload: '5.00' });
      await waitFor(() => simulator.received.length === 1, 'the payment to reach the terminal', 2000);
      const connections = simulator.connectionCount;
      const res = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port: simPort }).expect(200);
      assert.equal(res.body.outcome, 'busy');
      assert.equal(res.body.ok, false);
      assert.equal(simulator.connectionCount, connections, 'no second connection was opened');
      await waitFor(() => outputs.a.ok.length === 1, 'the payment to succeed', 3000);
    });

    it('timed out: a transport that does not connect within the connect timeout', async function () {
      let aborted = false;
      const silent = {
        description: '192.0.2.1:51042',
        connect: (_handlers, _timeoutMs, signal) =>
          new Promise((_resolve, reject) => {
            signal.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('the connection attempt was cancelled'));
            });
          }),
      };
      const started = Date.now();
      const result = await probeTransport(silent, 150);
      assert.equal(result.outcome, 'timeout');
      assert.equal(result.ok, false);
      assert.match(result.message, /^timed out: no connection to 192\.0\.2\.1:51042 within 0\.15\ss$/);
      assert.ok(aborted, 'the attempt was given up');
      assert.ok(Date.now() - started < 1000);
    });

    it('serial: opens and closes a device; one the deployed config node holds is reported, not opened twice', async function () {
      if (!fs.existsSync('/usr/bin/socat') && !fs.existsSync('/bin/socat')) this.skip();
      const { PtyPair } = require('./support/pty');
      const pty = new PtyPair();
      await pty.start();
      try {
        await deploy([]);
        const free = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: pty.nodeSide, connectTimeout: 2 }).expect(200);
        assert.equal(free.body.outcome, 'connected', JSON.stringify(free.body));
        assert.equal(free.body.target, pty.nodeSide);
        await helper.unload();
        await helper.load(NODES, [TAB, terminalConfig({ connection: 'serial', serialPath: pty.nodeSide })]);
        await waitFor(() => helper.getNode('cfg').client?.connectionState === 'connected', 'the serial link to open', 3000);
        const held = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: pty.nodeSide }).expect(200);
        assert.equal(held.body.outcome, 'in-use');
        assert.equal(held.body.state, 'connected');
        assert.equal(held.body.ok, true);
        assert.equal(helper.getNode('cfg').client.connectionState, 'connected', 'the deployed link was not disturbed');
      } finally {
        await helper.unload();
        await pty.dispose();
      }
    });

    it('is registered behind RED.auth.needsPermission("mypos-terminal.write")', function () {
      const routes = [];
      const guards = new Map();
      const fakeRED = {
        nodes: { registerType() {}, createNode() {}, getNode() {} },
        httpAdmin: {
          get: (route, ...handlers) => routes.push({ method: 'get', route, handlers }),
          post: (route, ...handlers) => routes.push({ method: 'post', route, handlers }),
        },
        auth: {
          needsPermission(permission) {
            const guard = () => undefined;
            guards.set(guard, permission);
            return guard;
          },
        },
        settings: {},
        _: (key) => key,
      };
      terminalNode(fakeRED);
      const test = routes.find((r) => r.method === 'post' && r.route === '/mypos-terminal/test');
      assert.ok(test, 'POST /mypos-terminal/test is registered');
      assert.equal(test.handlers.length, 2, 'a permission guard, then the handler');
      assert.equal(guards.get(test.handlers[0]), 'mypos-terminal.write');
    });
  });

  describe('Hungarian', function () {
    const flatten = (object, prefix = '') =>
      Object.entries(object).flatMap(([key, value]) => (typeof value === 'object' && value !== null ? flatten(value, `${prefix}${key}.`) : [[`${prefix}${key}`, value]]));
    const catalog = (lang, file) => new Map(flatten(JSON.parse(fs.readFileSync(path.join(LOCALES, lang, file), 'utf8'))));
    const placeholders = (text) => [...String(text).matchAll(/__([A-Za-z0-9_]+?)__/g)].map((m) => m[1]).sort();

    for (const file of ['mypos-actions.json', 'mypos-terminal.json']) {
      it(`${file}: every en-US key exists in hu and vice versa, with the same __placeholders__`, function () {
        const en = catalog('en-US', file);
        const hu = catalog('hu', file);
        assert.deepEqual(
          [...en.keys()].filter((key) => !hu.has(key)),
          [],
          'keys missing in hu',
        );
        // The sentences of src/protocol/messages.ts have their English there, not in en-US (test/words.test.js checks them).
        assert.deepEqual(
          [...hu.keys()].filter((key) => !en.has(key) && !key.startsWith('mypos-actions.messages.')),
          [],
          'keys only in hu',
        );
        for (const [key, text] of en) {
          assert.deepEqual(placeholders(hu.get(key)), placeholders(text), `placeholders of ${key}`);
          assert.ok(String(hu.get(key)).trim() !== '', `${key} is translated`);
        }
      });
    }

    // The help of both languages (built, in Node-RED's layout): test/help.test.js.

    it('every catalog key the editor files use exists (data-i18n and t() calls)', function () {
      const problems = [];
      for (const [html, json, prefix] of [
        ['mypos-actions.html', 'mypos-actions.json', 'mypos-actions.'],
        ['mypos-terminal.html', 'mypos-terminal.json', 'mypos-terminal.'],
      ]) {
        const source = fs.readFileSync(path.join(ROOT, 'nodes', html), 'utf8');
        const keys = new Set(catalog('en-US', json).keys());
        const used = [...source.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]).filter((key) => key.startsWith(prefix));
        used.push(...[...source.matchAll(/\bt\('([a-zA-Z.-]+)'/g)].map((m) => prefix + m[1]));
        for (const key of used) {
          // t('label.node.' + action): a prefix that some keys must start with.
          const known = key.endsWith('.') ? [...keys].some((k) => k.startsWith(key)) : keys.has(key);
          if (!known) problems.push(`${html}: ${key}`);
        }
        // The myPOS sidebar tab's texts: sidebar.* of the config node's catalog.
        for (const [, key] of source.matchAll(/\bsidebarText\('([a-zA-Z.-]+)'/g)) {
          const full = `${prefix}sidebar.${key}`;
          if (!(full.endsWith('.') ? [...keys].some((k) => k.startsWith(full)) : keys.has(full))) problems.push(`${html}: ${full}`);
        }
        // The terminal dialog writes requests, amounts and times with the action nodes' catalog, as the runtime does.
        const actionKeys = new Set(catalog('en-US', 'mypos-actions.json').keys());
        for (const [, key] of source.matchAll(/\bactionsText\('([a-zA-Z.-]+)'/g)) {
          const full = `mypos-actions.${key}`;
          if (!(full.endsWith('.') ? [...actionKeys].some((k) => k.startsWith(full)) : actionKeys.has(full))) problems.push(`${html}: ${full}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it("runtime status texts come out in Hungarian through Node-RED's i18n, English otherwise", async function () {
      const { i18n: nodeRedI18n } = require(require.resolve('@node-red/util', { paths: [path.dirname(nodeRedPath)] }));
      const namespace = '@payment-interface/node-red-mypos/mypos-actions';
      await nodeRedI18n.registerMessageCatalog(namespace, path.join(ROOT, 'dist', 'nodes', 'locales'), 'mypos-actions.json');
      await nodeRedI18n.i.loadLanguages(['hu', 'en-US']);
      await nodeRedI18n.i.loadNamespaces(namespace);
      const translateIn = (lang) => {
        const fixed = nodeRedI18n.i.getFixedT(lang, namespace);
        // As Node-RED's RED._ does for a node module: the key gets the module's namespace.
        return { _: (key, substitutions) => fixed(key, substitutions) };
      };
      const approved = { action: 'pay', result: 'OK', ref: '1', invoice: 'A', amount: '12.50' };
      const declined = {
        action: 'pay',
        result: 'ERROR',
        ref: '',
        amount: '13.51',
        status: 2,
        statusName: 'TRANSACTION_DECLINED',
        statusText: 'TRANSACTION_DECLINED',
        code: 'TERMINAL',
        outcome: 'failed',
        message: 'x',
        messageKey: 'declined.declined',
        messageParams: {},
      };
      const unknownOutcome = { ...declined, status: null, statusName: null, statusText: null, code: 'TIMEOUT', outcome: 'unknown', messageKey: 'timeout.noAnswer', messageParams: { seconds: 60 } };
      const badInput = {
        ...declined,
        code: 'INVALID_INPUT',
        outcome: 'not-sent',
        messageKey: 'input.notPositive',
        messageParams: { field: { key: 'field.nodeSetting', params: { name: { key: 'fieldName.amount', params: {} } } } },
      };
      try {
        i18n.useMessageCatalog(translateIn('hu'));
        assert.equal(statuses.statusForResult(approved).text, 'jóváhagyva: 12,50');
        assert.equal(statuses.statusForResult(declined).text, 'a bank elutasította');
        assert.equal(statuses.statusForResult(unknownOutcome).text, 'ismeretlen: nézze meg a terminált');
        assert.equal(statuses.statusForResult(badInput).text, 'hibás adat: a node »Összeg« beállítása');
        assert.equal(statuses.statusWaiting({ action: 'cancel', preauthCode: 'P1' }).text, 'a terminálra vár: visszavonás P1');
        assert.equal(message.localized(declined).message, 'A bank elutasította a kártyát.');
        assert.equal(statuses.statusForConnection('connected').text, 'csatlakozva');
        assert.equal(statuses.statusForConnection('disconnected').text, 'nincs kapcsolat');
        assert.equal(statuses.statusConnecting().text, 'csatlakozás…');
        i18n.useMessageCatalog(translateIn('en-US'));
        assert.equal(statuses.statusForResult(approved).text, 'approved 12.50');
        assert.equal(statuses.statusForResult(badInput).text, "invalid input: the node's amount");
        // A runtime whose RED._ answers with the key gets English from the en-US catalog.
        i18n.useMessageCatalog({ _: (key) => key });
        assert.equal(statuses.statusForResult(unknownOutcome).text, 'outcome unknown: check terminal');
        assert.equal(message.localized(declined).message, 'Card declined by the bank.');
        assert.equal(statuses.statusForConnection('connected').text, 'connected');
      } finally {
        i18n.useMessageCatalog({ _: (key) => key });
      }
    });
  });
});

describe('the config node\'s words in Hungarian, in a real Node-RED started with lang: "hu"', function () {
  this.timeout(90000);
  const { MESSAGES, substitute } = require('../dist/src/protocol/messages');
  const { localSettings, startNodeRed } = require('./support/node-red-process');
  const http = require('node:http');
  const catalogOf = (lang, name) => JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'nodes', 'locales', lang, `${name}.json`), 'utf8'))[name];
  const terminalHu = catalogOf('hu', 'mypos-terminal');
  const actionsHu = catalogOf('hu', 'mypos-actions');
  /**
   * A message's Hungarian template: `messages.<key>` of the Hungarian catalog. The sentences of
   * src/protocol/messages.ts that the Hungarian catalog does not have yet come out in English, as
   * Node-RED's i18next falls back to them.
   */
  const huMessage = (key) => key.split('.').reduce((entry, part) => entry?.[part], actionsHu.messages) ?? MESSAGES[key];
  const fill = (template, values) => substitute(template, Object.fromEntries(Object.entries(values).map(([name, value]) => [name, String(value)])));
  /** Words a person reads that must not be there: machine constants, the system's error codes, an English rule. */
  const UNWANTED = /\b(CONNECT|JOURNAL|SETTINGS|ECONNREFUSED|EISDIR|ENOENT|ENOTFILE)\b|must be|is empty|Requests are refused|serialPath|journalPath/;

  let nodeRed;
  let userDir;
  let notAFile;
  let closedPort;

  function post(urlPath, body) {
    return new Promise((resolve, reject) => {
      const request = http.request({ host: '127.0.0.1', port: nodeRed.port, path: urlPath, method: 'POST', timeout: 20000, headers: { 'Content-Type': 'application/json' } }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      request.on('timeout', () => request.destroy(new Error(`POST ${urlPath} timed out`)));
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
  }

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-hu-runtime-'));
    const link = path.join(userDir, 'node_modules', '@payment-interface', 'node-red-mypos');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(ROOT, link, 'dir');
    // A journal path that is a folder: the journal cannot be used.
    notAFile = path.join(userDir, 'journal-folder');
    fs.mkdirSync(notAFile);
    closedPort = await freePort();
    const flow = [
      { id: 'tab', type: 'tab', label: 'Fizetés' },
      terminalConfigNode('badPort', closedPort, { name: 'Rossz port', port: '70000' }),
      terminalConfigNode('badJournal', closedPort, { name: 'Rossz napló', journalPath: notAFile }),
      { id: 'in', z: 'tab', type: 'http in', url: '/pay', method: 'post', wires: [['pay']] },
      { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'badPort', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
      { id: 'out', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
    ];
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
    nodeRed = await startNodeRed(userDir, localSettings({ lang: 'hu', httpNodeRoot: '/' }));
  });

  after(async function () {
    if (nodeRed) await nodeRed.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** The settings error of the badPort node, in Hungarian: the dialog's label „Port” and the rule. */
  const portError = () => fill(huMessage('settings.wholeNumber'), { setting: terminalHu.label.port, min: 1, max: 65535, got: 70000 });

  it('a settings error: the config node logs the setting by its Hungarian label and the rule, and that nothing is sent', async function () {
    assert.equal(portError(), '„Port”: 1 és 65535 közötti egész szám kell, nem „70000”.');
    const expected = fill(terminalHu.log.refusedUntilFixed, { problem: fill(huMessage('node.badSettings'), { reason: portError() }) });
    await waitFor(() => nodeRed.log().includes(expected), `the settings error in the log:\n${expected}`, 20000).catch((error) => {
      throw new Error(`${error.message}\n--- Node-RED's log:\n${nodeRed.log()}`);
    });
    const line = nodeRed
      .log()
      .split('\n')
      .find((text) => text.includes(expected));
    assert.match(line, /\[error\] \[mypos-terminal:Rossz port\]/);
    assert.match(line, /Amíg ez nincs javítva, a node-ok egyetlen kérést sem küldenek ennek a terminálnak\.$/);
    assert.doesNotMatch(line, UNWANTED);
  });

  it("a settings error on the action node's error output, in Hungarian", async function () {
    const answer = await post('/pay', { payload: 1 });
    assert.equal(answer.body.code, 'CONNECT');
    assert.equal(answer.body.messageKey, 'node.badSettings');
    assert.deepEqual(answer.body.messageParams.reason, { key: 'settings.wholeNumber', params: { setting: { setting: 'port' }, min: 1, max: 65535, got: '70000' } });
    assert.equal(answer.body.message, `${fill(huMessage('node.badSettings'), { reason: portError() })} ${huMessage('outcome.notSent')}`);
    assert.doesNotMatch(answer.body.message, UNWANTED);
  });

  it('a journal that cannot be used: the config node says so in Hungarian, with the reason in words and no constant', async function () {
    const problem = fill(huMessage('journal.unusable'), { path: notAFile, reason: huMessage('journal.notRegularFile') });
    const expected = fill(terminalHu.log.refusedUntilFixed, { problem });
    await waitFor(() => nodeRed.log().includes(expected), `the journal error in the log:\n${expected}`, 20000).catch((error) => {
      throw new Error(`${error.message}\n--- Node-RED's log:\n${nodeRed.log()}`);
    });
    const line = nodeRed
      .log()
      .split('\n')
      .find((text) => text.includes(expected));
    assert.match(line, /\[error\] \[mypos-terminal:Rossz napló\]/);
    assert.doesNotMatch(line, UNWANTED);
  });

  it('Test connection to a closed port, and with a wrong setting, answers in Hungarian', async function () {
    const refused = await post('/mypos-terminal/test', { connection: 'tcp', host: '127.0.0.1', port: String(closedPort), connectTimeout: '2' });
    assert.equal(refused.body.outcome, 'refused');
    assert.equal(refused.body.message, fill(terminalHu.test.refused, { target: `127.0.0.1:${closedPort}` }));
    assert.doesNotMatch(refused.body.message, UNWANTED);
    assert.match(refused.body.detail, /ECONNREFUSED/, "the system's words only in `detail`");

    const invalid = await post('/mypos-terminal/test', { connection: 'tcp', host: '127.0.0.1', port: '70000' });
    assert.equal(invalid.body.outcome, 'invalid');
    assert.equal(invalid.body.reason, portError());
    assert.equal(invalid.body.message, fill(terminalHu.test.invalid, { message: portError() }));
  });
});
