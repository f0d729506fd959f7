/**
 * Issue 5, in the editor: the action nodes' typed inputs (amount, invoice, preauthcode from msg,
 * a fixed value, flow / global context, env or JSONata), flows saved before those settings
 * existed, the config dialog's "Test connection" endpoint, and the Hungarian message catalogs.
 * Runs in a real Node-RED runtime (node-red-node-test-helper) against the real TerminalSimulator
 * on 127.0.0.1.
 * This file: where amount, invoice and pre-authorization code come from.
 */
import assert from 'node:assert/strict';
import actionNodes from '../nodes/mypos-actions';
import type { DoneFunction, Node, NodeAPI, NodeDefinition, NodeMessage, SendFunction } from '../nodes/node-red';
import { DEFAULT_SOURCES, sourcesFromDefinition } from '../nodes/typed-inputs';
import { type FailureMessage, type OneOutput, type ResultPayload, packageNode, watchStatus } from './support/flow-outputs';
import { invalid, ok, savedActionNode, useTypedInputFlow } from './support/typed-input-flow';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A unique reference, so no two tests (or runs) share an invoice. */
let serial = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${Date.now().toString(36)}-${(serial += 1)}`;

describe('typed inputs, test connection and catalogs (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(8000);
  const { flow, deploy, run, lastRequest } = useTypedInputFlow();

  afterEach(function () {
    delete process.env.MYPOS_TEST_PRICE;
    delete process.env.MYPOS_TEST_CODE;
  });

  describe('a flow saved before typed inputs existed (name, terminal, receipt, custrcpt only)', function () {
    it('has the default sources: msg.payload, msg.invoice, msg.preauthcode', function () {
      const old = { id: 'a', type: 'mypos-pay', name: '', terminal: 'cfg', receipt: 'ON', custrcpt: 'ON' };
      assert.deepEqual(sourcesFromDefinition(old), DEFAULT_SOURCES);
      assert.deepEqual(DEFAULT_SOURCES, {
        amount: { type: 'msg', value: 'payload' },
        invoice: { type: 'msg', value: 'invoice' },
        preauthcode: { type: 'msg', value: 'preauthcode' },
      });
      // The editor's defaults for a new node, and a msg property left blank, mean the same places.
      const saved = { amount: 'payload', amountType: 'msg', invoice: '', invoiceType: 'msg', preauthcode: 'preauthcode', preauthcodeType: 'msg' };
      assert.deepEqual(sourcesFromDefinition(saved), DEFAULT_SOURCES);
    });

    it('pay: amount from msg.payload (number and string), or msg.payload.amount when the payload is an object', async function () {
      await deploy(savedActionNode('old', 'pay'));
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
      await deploy(savedActionNode('old', 'pay'));
      const own = unique('OWN');
      assert.equal(ok(await run('old', { payload: { amount: 1, invoice: unique('INNER') }, invoice: own })).invoice, own);
      const inner = unique('INNER');
      assert.equal(ok(await run('old', { payload: { amount: 1, invoice: inner }, invoice: null })).invoice, inner);
      const generated = ok(await run('old', { payload: 2 })).invoice;
      assert.match(generated ?? '', UUID);
      assert.equal(lastRequest().invoice, generated);
    });

    it('pay: errors name the same fields as before (msg.payload, msg.payload.amount, msg.invoice)', async function () {
      await deploy(savedActionNode('old', 'pay'));
      invalid(await run('old', {}), 'msg.payload');
      invalid(await run('old', { payload: '12,50' }), 'msg.payload');
      invalid(await run('old', { payload: { invoice: unique('X') } }), 'msg.payload.amount');
      invalid(await run('old', { payload: 1, invoice: '' }), 'msg.invoice');
      assert.equal(flow.simulator.received.length, 0, 'nothing was sent');
    });

    it('refund and preauth read the same places; preauth sets msg.preauthcode', async function () {
      await deploy([...savedActionNode('r', 'refund'), ...savedActionNode('p', 'preauth')]);
      const invoice = unique('REFUND');
      assert.deepEqual({ ...ok(await run('r', { payload: '4.00', invoice })), ref: 'x' }, { action: 'refund', result: 'OK', ref: 'x', invoice, amount: '4.00' });
      const result = await run('p', { payload: { amount: '20.00' } });
      const p = ok(result);
      assert.equal(p.amount, '20.00');
      assert.equal(result.msg.preauthcode, p.ref);
    });

    it('complete and cancel: code from msg.preauthcode, else msg.payload.preauthcode; missing names msg.preauthcode', async function () {
      await deploy([...savedActionNode('p', 'preauth'), ...savedActionNode('c', 'complete'), ...savedActionNode('x', 'cancel')]);
      const first = (await run('p', { payload: '20.00' })).msg.preauthcode;
      const done = ok(await run('c', { payload: '15.00', preauthcode: first }));
      assert.deepEqual([done.amount, done.preauthcode], ['15.00', first]);
      assert.equal(flow.simulator.preauthState(first ?? ''), 'completed');
      const second = (await run('p', { payload: '20.00' })).msg.preauthcode;
      assert.equal(ok(await run('x', { payload: { preauthcode: second } })).preauthcode, second);
      assert.equal(flow.simulator.preauthState(second ?? ''), 'cancelled');
      const sent = flow.simulator.received.length;
      invalid(await run('x', { payload: 'not an object' }), 'msg.preauthcode');
      invalid(await run('c', { payload: '5.00' }), 'msg.preauthcode');
      assert.equal(flow.simulator.received.length, sent, 'nothing was sent');
    });

    it('an old node and a node saved with the explicit defaults give the same results and requests', async function () {
      const defaults = {
        pay: { amount: 'payload', amountType: 'msg', invoice: 'invoice', invoiceType: 'msg' },
        cancel: { preauthcode: 'preauthcode', preauthcodeType: 'msg' },
      };
      await deploy([
        ...savedActionNode('oldPay', 'pay'),
        ...savedActionNode('newPay', 'pay', defaults.pay),
        ...savedActionNode('oldCancel', 'cancel'),
        ...savedActionNode('newCancel', 'cancel', defaults.cancel),
      ]);
      const messages = [
        { payload: 9.99 },
        { payload: { amount: '1.5', receipt: 'OFF' } },
        { payload: 0.1 + 0.2, custrcpt: 'AFTER_CONFIRMATION' },
        { payload: -1 },
        { payload: { amount: 1 }, receipt: 'MAYBE' },
        {},
      ];
      const strip = ({ msg, output }: OneOutput) => {
        const { ref, invoice, message: text, ...rest }: ResultPayload = msg.payload;
        return { output, rest, invoiceGenerated: invoice === undefined ? undefined : UUID.test(invoice), text, ref: typeof ref };
      };
      for (const m of messages) {
        const before = flow.simulator.received.length;
        const a = strip(await run('oldPay', structuredClone(m)));
        const wireA = flow.simulator.received.slice(before).map((r) => ({ ...r.request, invoice: typeof r.request?.invoice }));
        const b = strip(await run('newPay', structuredClone(m)));
        const wireB = flow.simulator.received.slice(before + wireA.length).map((r) => ({ ...r.request, invoice: typeof r.request?.invoice }));
        assert.deepEqual(b, a, `same result for ${JSON.stringify(m)}`);
        assert.deepEqual(wireB, wireA, `same request for ${JSON.stringify(m)}`);
      }
      for (const m of [{ preauthcode: 'UNKNOWN-1' }, { payload: { preauthcode: 'UNKNOWN-2' } }, {}]) {
        assert.deepEqual(strip(await run('newCancel', structuredClone(m))), strip(await run('oldCancel', structuredClone(m))));
      }
    });

    it('status texts are English when RED._ cannot translate (the test helper returns the key)', async function () {
      await deploy(savedActionNode('old', 'pay'));
      const statuses = watchStatus(packageNode('old'));
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
      await deploy(savedActionNode('a', 'pay', { amount: 'order.total', amountType: 'msg' }));
      assert.equal(ok(await run('a', { payload: 99, order: { total: '42.10' } })).amount, '42.10');
      assert.equal(lastRequest().sum, '42.10');
      invalid(await run('a', { payload: 5 }), 'msg.order.total');
      const p = invalid(await run('a', { order: { total: { amount: 5 } } }), 'msg.order.total');
      assert.match(p.message, /must be a number or a decimal text, not an object/);
    });

    it('msg: a property expression that cannot be read is INVALID_INPUT naming it', async function () {
      await deploy(savedActionNode('a', 'pay', { amount: 'items[', amountType: 'msg' }));
      const p = invalid(await run('a', { payload: 5 }), 'msg.items[');
      assert.match(p.message, /cannot be read/);
      assert.equal(flow.simulator.received.length, 0);
    });

    it('num: a fixed price typed in the node (a kiosk that always charges 2.00), used exactly as typed', async function () {
      await deploy([
        ...savedActionNode('kiosk', 'pay', { amount: '2.00', amountType: 'num' }),
        ...savedActionNode('exp', 'pay', { amount: '1e3', amountType: 'num' }),
        ...savedActionNode('many', 'pay', { amount: '2.001', amountType: 'num' }),
      ]);
      assert.equal(ok(await run('kiosk', { payload: 'button pressed' })).amount, '2.00');
      assert.equal(lastRequest().sum, '2.00');
      assert.equal(ok(await run('kiosk', { payload: { amount: '50.00' } })).amount, '2.00', 'the payload is not the amount');
      const statuses = watchStatus(packageNode('exp'));
      assert.match(invalid(await run('exp', {}), "the node's amount").message, /without an exponent/);
      assert.equal(statuses[statuses.length - 1].text, "invalid input: the node's amount");
      assert.match(invalid(await run('many', {}), "the node's amount").message, /at most 2\./);
    });

    it('flow and global context, including a key picked by a message property', async function () {
      await deploy([...savedActionNode('f', 'pay', { amount: 'price', amountType: 'flow' }), ...savedActionNode('g', 'refund', { amount: 'prices[msg.topic]', amountType: 'global' })]);
      const context = packageNode('f').context();
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
      await deploy([...savedActionNode('e', 'preauth', { amount: 'MYPOS_TEST_PRICE', amountType: 'env' }), ...savedActionNode('m', 'pay', { amount: 'MYPOS_TEST_MISSING', amountType: 'env' })]);
      process.env.MYPOS_TEST_PRICE = '4.40';
      assert.equal(ok(await run('e', {})).amount, '4.40');
      assert.equal(lastRequest().sum, '4.40');
      invalid(await run('m', {}), 'env.MYPOS_TEST_MISSING');
    });

    it('jsonata: an expression over the message; a bad expression is INVALID_INPUT naming it, nothing sent', async function () {
      await deploy([
        ...savedActionNode('j', 'pay', { amount: '$sum(payload.items.(price * qty))', amountType: 'jsonata' }),
        ...savedActionNode('bad', 'pay', { amount: '$sum(payload.items', amountType: 'jsonata' }),
        ...savedActionNode('fails', 'pay', { amount: '$number("twelve")', amountType: 'jsonata' }),
      ]);
      const basket = {
        items: [
          { price: 2.5, qty: 2 },
          { price: 1.2, qty: 1 },
        ],
      };
      assert.equal(ok(await run('j', { payload: basket })).amount, '6.20');
      assert.equal(lastRequest().sum, '6.20');
      const sent = flow.simulator.received.length;
      const statuses = watchStatus(packageNode('bad'));
      assert.match(invalid(await run('bad', { payload: basket }), "the node's amount expression").message, /cannot be read/);
      assert.equal(statuses[statuses.length - 1].text, "invalid input: the node's amount expression");
      invalid(await run('fails', { payload: basket }), "the node's amount expression");
      invalid(await run('j', { payload: { items: [] } }), "the node's amount expression");
      assert.equal(flow.simulator.received.length, sent, 'nothing was sent');
    });

    it('a hand-written node with an amount but no amountType takes it as a fixed value', async function () {
      await deploy(savedActionNode('h', 'pay', { amount: '3.30' }));
      assert.equal(ok(await run('h', { payload: 99 })).amount, '3.30');
    });
  });

  describe('invoice and pre-authorization code from each type', function () {
    it('invoice: a fixed string, flow context, JSONata and a msg property; an absent one is generated', async function () {
      const fixed = unique('KIOSK');
      await deploy([
        ...savedActionNode('s', 'pay', { invoice: fixed, invoiceType: 'str' }),
        ...savedActionNode('f', 'refund', { invoice: 'lastInvoice', invoiceType: 'flow' }),
        ...savedActionNode('j', 'preauth', { invoice: '"ORDER-" & $string(payload.order)', invoiceType: 'jsonata' }),
        ...savedActionNode('m', 'pay', { invoice: 'order.ref', invoiceType: 'msg' }),
      ]);
      assert.equal(ok(await run('s', { payload: 1, invoice: unique('IGNORED') })).invoice, fixed);
      assert.equal(lastRequest().invoice, fixed);
      const original = unique('A');
      packageNode('f').context().flow.set('lastInvoice', original);
      assert.equal(ok(await run('f', { payload: '2.00' })).invoice, original);
      packageNode('f').context().flow.set('lastInvoice', undefined);
      assert.match(ok(await run('f', { payload: '2.00' })).invoice ?? '', UUID, 'absent: generated');
      const order = Date.now();
      assert.equal(ok(await run('j', { payload: { amount: '5.00', order } })).invoice, `ORDER-${order}`);
      const ref = unique('REF');
      assert.equal(ok(await run('m', { payload: 1, order: { ref } })).invoice, ref);
      assert.match(ok(await run('m', { payload: 1, invoice: unique('NOT-USED') })).invoice ?? '', UUID, 'only the chosen property counts');
    });

    it('invoice: the reference rules apply, naming the source', async function () {
      await deploy([...savedActionNode('s', 'pay', { invoice: 'Hibás', invoiceType: 'str' }), ...savedActionNode('f', 'pay', { invoice: 'inv', invoiceType: 'flow' })]);
      assert.match(invalid(await run('s', { payload: 1 }), "the node's invoice").message, /printable ASCII/);
      packageNode('f').context().flow.set('inv', 'x'.repeat(51));
      invalid(await run('f', { payload: 1 }), 'flow.inv');
      assert.equal(flow.simulator.received.length, 0);
    });

    it('preauthcode: a deposit kept in flow context is completed, another cancelled; a missing one names flow.deposits[msg.room]', async function () {
      await deploy([
        ...savedActionNode('p', 'preauth', { amount: '50.00', amountType: 'num' }),
        ...savedActionNode('c', 'complete', { preauthcode: 'deposits[msg.room]', preauthcodeType: 'flow' }),
        ...savedActionNode('x', 'cancel', { preauthcode: 'deposits[msg.room]', preauthcodeType: 'flow' }),
      ]);
      const deposits = packageNode('p').context().flow;
      const checkIn = async (room: string): Promise<string | undefined> => {
        const { msg } = await run('p', { room });
        assert.equal(msg.payload.amount, '50.00');
        deposits.set(`deposits["${room}"]`, msg.preauthcode);
        return msg.preauthcode;
      };
      const code101 = await checkIn('101');
      const code102 = await checkIn('102');
      const done = ok(await run('c', { room: '101', payload: '35.00' }));
      assert.deepEqual([done.amount, done.preauthcode], ['35.00', code101]);
      assert.equal(flow.simulator.preauthState(code101 ?? ''), 'completed');
      assert.equal(ok(await run('x', { room: '102' })).preauthcode, code102);
      assert.equal(flow.simulator.preauthState(code102 ?? ''), 'cancelled');
      const p = invalid(await run('x', { room: '103', preauthcode: code101 }), 'flow.deposits[msg.room]');
      assert.match(p.message, /is missing: give the code the pre-authorization returned/);
    });

    it('preauthcode: JSONata, env and a fixed string', async function () {
      await deploy([
        ...savedActionNode('p', 'preauth'),
        ...savedActionNode('j', 'cancel', { preauthcode: 'payload.booking.code', preauthcodeType: 'jsonata' }),
        ...savedActionNode('e', 'cancel', { preauthcode: 'MYPOS_TEST_CODE', preauthcodeType: 'env' }),
        ...savedActionNode('s', 'complete', { preauthcode: '000000000000', preauthcodeType: 'str', amount: '1.00', amountType: 'num' }),
      ]);
      const first = (await run('p', { payload: '10.00' })).msg.preauthcode;
      assert.equal(ok(await run('j', { payload: { booking: { code: first } } })).preauthcode, first);
      const second = (await run('p', { payload: '10.00' })).msg.preauthcode;
      process.env.MYPOS_TEST_CODE = second;
      assert.equal(ok(await run('e', {})).preauthcode, second);
      const unknown = await run('s', {});
      assert.equal(unknown.output, 2);
      assert.equal((unknown.msg as FailureMessage).payload.code, 'TERMINAL', 'the fixed code reached the terminal, which does not know it');
      assert.equal(lastRequest().preauthCode, '000000000000');
      invalid(await run('j', { payload: {} }), "the node's pre-authorization code expression");
    });

    it('msg.receipt and msg.custrcpt still override the node settings with typed inputs', async function () {
      await deploy(savedActionNode('k', 'pay', { amount: '2.00', amountType: 'num' }));
      ok(await run('k', { receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' }));
      assert.deepEqual([lastRequest().receipt, lastRequest().custrcpt], ['OFF', 'AFTER_CONFIRMATION']);
    });

    it('an input read asynchronously (JSONata) that finishes after the node was stopped is not sent', async function () {
      // The action node module with a stand-in runtime whose evaluation we finish by hand.
      let finishEvaluation: (() => void) | undefined;
      let submitted = 0;
      const terminal = { keepOpen: false, submit: () => ((submitted += 1), Promise.resolve({ result: 'OK' })) };
      let constructor: ((this: Node, definition: NodeDefinition) => void) | undefined;
      // Only what the action nodes use at registration and on a message.
      const fakeRED: Pick<NodeAPI, 'nodes' | 'util' | '_'> = {
        nodes: {
          registerType: (type, fn) => {
            if (type === 'mypos-pay') constructor = fn;
          },
          createNode: () => undefined,
          getNode: () => terminal,
        },
        util: {
          evaluateNodeProperty: (_value, _type, _node, _msg, callback) => {
            finishEvaluation = () => callback(null, '6.20');
          },
        },
        _: (key) => key,
      };
      actionNodes(fakeRED as NodeAPI);
      let onInput: ((msg: NodeMessage, send: SendFunction, done: DoneFunction) => void) | undefined;
      let onClose: ((removed: boolean, done: () => void) => void) | undefined;
      function on(event: 'input', handler: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): void;
      function on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
      function on(event: string, handler: unknown): void {
        if (event === 'input') onInput = handler as typeof onInput;
        if (event === 'close') onClose = handler as typeof onClose;
      }
      const sent: Parameters<SendFunction>[0][] = [];
      const node: Node = { id: 'n', on, status: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined };
      assert.ok(constructor);
      constructor.call(node, { id: 'n', type: 'mypos-pay', terminal: 'cfg', amount: '$sum(payload)', amountType: 'jsonata' });
      let doneCalled = false;
      assert.ok(onInput && onClose);
      onInput(
        { payload: [1, 2] },
        (out) => sent.push(out),
        () => (doneCalled = true),
      );
      const close = onClose;
      const closed = new Promise<void>((resolve) => close(false, resolve));
      assert.ok(finishEvaluation);
      finishEvaluation();
      await closed;
      assert.equal(submitted, 0, 'the request was not handed to the terminal client');
      assert.ok(doneCalled, 'the message was finished');
      assert.equal(sent.length, 1);
      const [, failed] = sent[0] as (FailureMessage | null)[];
      assert.equal(failed?.payload.code, 'CONNECT');
      assert.equal(failed?.payload.outcome, 'not-sent');
    });
  });
});
