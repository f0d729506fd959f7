/**
 * Robustness of the action nodes in a real Node-RED runtime against the TerminalSimulator on
 * 127.0.0.1 (test/support/robustness-runtime.ts), 2: awkward messages (throwing getters, Proxies,
 * frozen and sealed messages, ...): exactly one output each; an input that cannot be read is
 * INVALID_INPUT/not-sent naming it, with nothing sent; a message that can be read but not written
 * is charged once and its output carries the result.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { delay, waitFor } from './support/wait';
import { QUIET_MS, REF, actionNode, deploy, expectNodeRedUp, invoice, outputs, simulator, useRobustnessRuntime } from './support/robustness-runtime';
import type { OutputMessage, ResultPayload } from './support/robustness-runtime';

/**
 * The members of Node-RED's own Node object (@node-red/runtime) that deliver() calls directly, as
 * Node._emitInput does: not the nodes' API (nodes/node-red.ts), the runtime's.
 */
interface RuntimeNode {
  _inputCallback?: (this: RuntimeNode, msg: object, send: (...args: unknown[]) => void, done: (error?: unknown) => void) => void;
  send(...args: unknown[]): void;
  _complete(msg: object, error?: unknown): void;
}

/** What the node did with one delivered message: its sends, its done() calls, and the runtime's failures to forward them. */
interface Delivery {
  sent: unknown[];
  done: unknown[];
  forwardFailures: unknown[];
}

/** What one message should come to (see SHAPES). */
interface ShapeExpectation {
  invalid?: string;
  says?: RegExp;
  ok?: string;
  topic?: string;
  preauth?: boolean;
  code?: string;
  outcome?: string;
  received?: number;
}

interface Shape {
  name: string;
  node?: string;
  msg: () => object;
  expect: ShapeExpectation;
}

const runtimeNode = (id: string): RuntimeNode => helper.getNode(id) as unknown as RuntimeNode;

describe('robustness: the action nodes in Node-RED (simulator on 127.0.0.1)', function () {
  this.timeout(15000);

  useRobustnessRuntime();

  describe('2. awkward messages', function () {
    /**
     * Hands `msg` to the node's input handler exactly as Node-RED's Node._emitInput does, with the
     * same send (node.send) and done (node._complete), but without going through node.receive()
     * or node.emit('input'): receive() writes msg._msgid and _emitInput logs a metric that reads
     * msg._msgid, so a Proxy that throws, or a frozen message without an id, would fail in
     * Node-RED's code before our handler ever saw the object. This delivers the very object.
     * It records what the node itself sends (the contract: one send per input), then forwards it
     * into the runtime; a failure of Node-RED's own in forwarding is recorded, not ours to judge.
     */
    function deliver(node: RuntimeNode, msg: object): Delivery {
      const record: Delivery = { sent: [], done: [], forwardFailures: [] };
      const handler = node._inputCallback;
      assert.ok(typeof handler === 'function', 'the node has one input handler');
      handler.call(
        node,
        msg,
        function (...args: unknown[]) {
          record.sent.push(args[0]);
          try {
            node.send(...args);
          } catch (error) {
            record.forwardFailures.push(error);
          }
        },
        function (error?: unknown) {
          record.done.push(error);
          try {
            node._complete(msg, error);
          } catch (error2) {
            record.forwardFailures.push(error2);
          }
        },
      );
      return record;
    }

    /** Waits for the node's one send, then makes sure no second follows; returns { output, msg }. */
    async function oneSend(record: Delivery, timeoutMs = 4000): Promise<{ output: number; msg: OutputMessage; payload: ResultPayload }> {
      await waitFor(() => record.sent.length >= 1, 'the node to send its output', timeoutMs);
      await delay(QUIET_MS);
      assert.equal(record.sent.length, 1, `exactly one send (got ${record.sent.length})`);
      const first = record.sent[0];
      assert.ok(Array.isArray(first) && first.length === 2, 'one message on one of two outputs');
      const sent: unknown[] = first;
      const index = sent.findIndex((m) => m !== null && m !== undefined);
      assert.ok(index >= 0 && (sent[1 - index] === null || sent[1 - index] === undefined), 'exactly one of the two outputs carries a message');
      await waitFor(() => record.done.length >= 1, 'done()', 1000);
      assert.equal(record.done.length, 1, 'done() called once');
      assert.equal(record.done[0], undefined, 'done() without an error');
      const msg = sent[index] as OutputMessage;
      let payload: unknown;
      try {
        payload = msg.payload;
      } catch (error) {
        assert.fail(`the output message cannot be read: ${error instanceof Error ? error.message : String(error)}`);
      }
      assert.equal(typeof payload, 'object', 'the output carries the result in msg.payload');
      return { output: index + 1, msg, payload: payload as ResultPayload };
    }

    const thrower =
      (what = 'injected') =>
      () => {
        throw new Error(`${what}: cannot read`);
      };
    const getterThrows = (key: string, base: object = {}): object => Object.defineProperty({ _msgid: 'm1', ...base }, key, { get: thrower(key), enumerable: true, configurable: true });
    const proxyThrowing = (target: object, keys: 'all' | string[], extraTraps: ProxyHandler<object> = {}): object =>
      new Proxy(target, {
        get(t, key, receiver) {
          if (keys === 'all' ? true : typeof key === 'string' && keys.includes(key)) throw new Error(`trap: ${String(key)}`);
          return Reflect.get(t, key, receiver);
        },
        ...extraTraps,
      });
    const revoked = (): object => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };

    /**
     * `msg()` makes the message; `expect`: { invalid: field } (INVALID_INPUT/not-sent naming the
     * field, nothing sent), { ok: sum } (charged once with that sum, success output carries the
     * result), or { code, outcome, received } for anything else. `node` defaults to the pay node.
     */
    const SHAPES: Shape[] = [
      { name: 'a payload getter that throws', msg: () => getterThrows('payload', { invoice: invoice() }), expect: { invalid: 'msg.payload' } },
      { name: 'an invoice getter that throws', msg: () => getterThrows('invoice', { payload: 1 }), expect: { invalid: 'msg.invoice' } },
      { name: 'an allowDuplicate getter that throws', msg: () => getterThrows('allowDuplicate', { payload: 1, invoice: invoice() }), expect: { invalid: 'msg.allowDuplicate' } },
      { name: 'a receipt getter that throws', msg: () => getterThrows('receipt', { payload: 1, invoice: invoice() }), expect: { invalid: 'msg.receipt' } },
      { name: 'a custrcpt getter that throws', msg: () => getterThrows('custrcpt', { payload: 1, invoice: invoice() }), expect: { invalid: 'msg.custrcpt' } },
      {
        name: 'a payload getter inherited from the prototype that throws',
        msg: () => Object.assign(Object.create(getterThrows('payload')), { _msgid: 'm1', invoice: invoice() }),
        expect: { invalid: 'msg.payload' },
      },
      {
        name: 'a payload getter that throws a string',
        msg: () =>
          Object.defineProperty({ _msgid: 'm1' }, 'payload', {
            get() {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a getter that throws something other than an Error
              throw 'plain string thrown';
            },
          }),
        expect: { invalid: 'msg.payload', says: /plain string thrown/ },
      },
      {
        name: 'a payload getter that throws an object whose message getter throws',
        msg: () =>
          Object.defineProperty({ _msgid: 'm1' }, 'payload', {
            get() {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a getter that throws something other than an Error
              throw {
                get message() {
                  throw new Error('no');
                },
              };
            },
          }),
        expect: { invalid: 'msg.payload' },
      },
      {
        name: 'a payload getter that throws a Proxy whose every trap throws',
        msg: () =>
          Object.defineProperty({ _msgid: 'm1' }, 'payload', {
            get() {
              const trap = () => {
                throw new Error('trap');
              };
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a getter that throws something other than an Error
              throw new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
            },
          }),
        expect: { invalid: 'msg.payload' },
      },
      { name: 'a Proxy msg whose get trap throws for payload', msg: () => proxyThrowing({ _msgid: 'm1', payload: 1, invoice: invoice() }, ['payload']), expect: { invalid: 'msg.payload' } },
      { name: 'a Proxy msg whose get trap throws for invoice', msg: () => proxyThrowing({ _msgid: 'm1', payload: 1, invoice: invoice() }, ['invoice']), expect: { invalid: 'msg.invoice' } },
      {
        name: 'a Proxy msg whose get trap throws for allowDuplicate',
        msg: () => proxyThrowing({ _msgid: 'm1', payload: 1, invoice: invoice() }, ['allowDuplicate']),
        expect: { invalid: 'msg.allowDuplicate' },
      },
      // allowDuplicate is the first property the node reads.
      { name: 'a Proxy msg whose get trap throws for every key', msg: () => proxyThrowing({ _msgid: 'm1', payload: 1, invoice: invoice() }, 'all'), expect: { invalid: 'msg.allowDuplicate' } },
      { name: 'a revoked Proxy as the msg', msg: () => revoked(), expect: { invalid: 'msg.allowDuplicate' } },
      {
        name: 'a Proxy msg whose ownKeys trap throws',
        msg: () => new Proxy({ _msgid: 'm1', payload: '3.10', invoice: invoice() }, { ownKeys: thrower('ownKeys') }),
        expect: { ok: '3.10' },
      },
      {
        name: 'a Proxy msg whose ownKeys and set traps throw (neither writable nor copyable)',
        msg: () => new Proxy({ _msgid: 'm1', payload: '3.20', invoice: invoice() }, { ownKeys: thrower('ownKeys'), set: thrower('set'), defineProperty: thrower('defineProperty') }),
        expect: { ok: '3.20' },
      },
      {
        name: 'a Proxy msg whose set trap throws',
        msg: () => new Proxy({ _msgid: 'm1', topic: 'kept', payload: '3.30', invoice: invoice() }, { set: thrower('set'), defineProperty: thrower('defineProperty') }),
        expect: { ok: '3.30', topic: 'kept' },
      },
      { name: 'a frozen msg with a valid payload', msg: () => Object.freeze({ _msgid: 'm1', topic: 'kept', payload: '4.10', invoice: invoice() }), expect: { ok: '4.10', topic: 'kept' } },
      { name: 'a frozen msg without an _msgid', msg: () => Object.freeze({ payload: '4.20', invoice: invoice() }), expect: { ok: '4.20' } },
      {
        name: 'a frozen msg that the terminal declines',
        msg: () => Object.freeze({ _msgid: 'm1', topic: 'kept', payload: '4.51', invoice: invoice() }),
        expect: { code: 'TERMINAL', outcome: 'failed', received: 1, topic: 'kept' },
      },
      { name: 'a frozen msg with an invalid payload', msg: () => Object.freeze({ _msgid: 'm1', payload: 'abc', invoice: invoice() }), expect: { invalid: 'msg.payload' } },
      { name: 'a frozen msg to a preauth node', node: 'preauth', msg: () => Object.freeze({ _msgid: 'm1', payload: '4.30', invoice: invoice() }), expect: { ok: '4.30', preauth: true } },
      { name: 'a deeply frozen msg with an object payload', msg: () => Object.freeze({ _msgid: 'm1', payload: Object.freeze({ amount: '4.40', invoice: invoice() }) }), expect: { ok: '4.40' } },
      { name: 'a sealed msg', msg: () => Object.seal({ _msgid: 'm1', topic: 'kept', payload: '5.10', invoice: invoice() }), expect: { ok: '5.10', topic: 'kept' } },
      {
        name: 'a sealed msg that the terminal declines (msg.error cannot be added)',
        msg: () => Object.seal({ _msgid: 'm1', topic: 'kept', payload: '5.51', invoice: invoice() }),
        expect: { code: 'TERMINAL', outcome: 'failed', received: 1, topic: 'kept' },
      },
      {
        name: 'a read-only payload',
        msg: () => Object.defineProperty({ _msgid: 'm1', topic: 'kept', invoice: invoice() }, 'payload', { value: '5.20', writable: false, enumerable: true }),
        expect: { ok: '5.20', topic: 'kept' },
      },
      {
        name: 'a msg.error that cannot be deleted, on an approval',
        msg: () => Object.defineProperty({ _msgid: 'm1', payload: '5.30', invoice: invoice() }, 'error', { value: { old: true }, enumerable: true, configurable: false }),
        expect: { ok: '5.30' },
      },
      {
        name: 'a payload getter returning a different value each read',
        msg: () => {
          let reads = 0;
          return Object.defineProperty({ _msgid: 'm1', invoice: invoice() }, 'payload', { get: () => `6.${String(++reads).padStart(2, '0')}`, enumerable: true });
        },
        // Read once: the first value is the one charged.
        expect: { ok: '6.01' },
      },
      { name: 'a payload object whose amount getter throws', msg: () => ({ _msgid: 'm1', payload: getterThrows('amount', { invoice: invoice() }) }), expect: { invalid: 'msg.payload.amount' } },
      { name: 'a payload object whose invoice getter throws', msg: () => ({ _msgid: 'm1', payload: getterThrows('invoice', { amount: 1 }) }), expect: { invalid: 'msg.payload.invoice' } },
      {
        name: 'a payload object whose invoice getter throws, with msg.invoice set (msg.invoice wins)',
        msg: () => ({ _msgid: 'm1', invoice: invoice(), payload: getterThrows('invoice', { amount: '6.20' }) }),
        expect: { ok: '6.20' },
      },
      {
        name: 'a payload that is a Proxy whose get trap throws',
        msg: () => ({ _msgid: 'm1', invoice: invoice(), payload: proxyThrowing({ amount: 1 }, 'all') }),
        expect: { invalid: 'msg.payload.amount' },
      },
      {
        name: 'a payload that is a Proxy whose getPrototypeOf trap throws',
        msg: () => ({ _msgid: 'm1', invoice: invoice(), payload: new Proxy({ amount: 1 }, { getPrototypeOf: thrower('getPrototypeOf') }) }),
        expect: { invalid: 'msg.payload' },
      },
      { name: 'a payload that is a revoked Proxy', msg: () => ({ _msgid: 'm1', invoice: invoice(), payload: revoked() }), expect: { invalid: 'msg.payload' } },
      {
        name: 'an amount object whose toString and valueOf throw',
        msg: () => ({ _msgid: 'm1', invoice: invoice(), payload: { amount: { toString: thrower('toString'), valueOf: thrower('valueOf') } } }),
        expect: { invalid: 'msg.payload.amount' },
      },
      { name: 'an invoice object whose toString throws', msg: () => ({ _msgid: 'm1', payload: 1, invoice: { toString: thrower('toString') } }), expect: { invalid: 'msg.invoice' } },
      { name: 'a msg without a prototype', msg: () => Object.assign(Object.create(null), { _msgid: 'm1', payload: '7.10', invoice: invoice() }), expect: { ok: '7.10' } },
      {
        name: 'a msg that refers to itself',
        msg: () => {
          const msg: Record<string, unknown> = { _msgid: 'm1', payload: '7.20', invoice: invoice() };
          msg.self = msg;
          return msg;
        },
        expect: { ok: '7.20' },
      },
      { name: 'a preauthcode getter that throws, on a pay node (never read)', msg: () => getterThrows('preauthcode', { payload: '7.30', invoice: invoice() }), expect: { ok: '7.30' } },
      { name: 'a preauthcode getter that throws, on a cancel node', node: 'cancel', msg: () => getterThrows('preauthcode'), expect: { invalid: 'msg.preauthcode' } },
    ];

    for (const shape of SHAPES) {
      const e = shape.expect;
      const expected = e.invalid ? `INVALID_INPUT naming ${e.invalid}, nothing sent` : e.ok ? `charged ${e.ok} once, the result on the success output` : `${e.code}/${e.outcome}`;
      it(`${shape.name} -> ${expected}`, async function () {
        const extra = shape.node ? [actionNode('other', shape.node)] : [];
        await deploy({ responseTimeout: '2' }, extra);
        const node = runtimeNode(shape.node ? 'other' : 'pay');
        const record = deliver(node, shape.msg());
        const { output, msg, payload } = await oneSend(record);
        if (e.invalid) {
          assert.equal(output, 2, `the error output (got ${JSON.stringify(payload)})`);
          assert.equal(payload.code, 'INVALID_INPUT', payload.message);
          assert.equal(payload.outcome, 'not-sent');
          assert.ok(payload.message?.startsWith(`${e.invalid} `), `the message names ${e.invalid}: "${payload.message}"`);
          assert.match(payload.message ?? '', /Nothing was sent/);
          if (e.says) assert.match(payload.message ?? '', e.says);
          assert.deepEqual(msg.error, { message: payload.message, code: 'INVALID_INPUT', outcome: 'not-sent' });
          await delay(50);
          assert.equal(simulator().received.length, 0, 'nothing reached the terminal');
        } else if (e.ok) {
          assert.equal(output, 1, `the success output (got ${JSON.stringify(payload)})`);
          assert.equal(payload.result, 'OK');
          assert.match(payload.ref ?? '', REF);
          assert.equal(payload.amount, e.ok);
          assert.equal(simulator().received.length, 1, 'charged exactly once');
          assert.equal(simulator().received[0].request?.sum, e.ok);
          assert.equal(payload.invoice, simulator().received[0].request?.invoice);
          if (e.preauth) assert.equal(msg.preauthcode, payload.ref);
          assert.equal(msg.error, undefined, 'no error on the success output');
        } else {
          assert.equal(output, 2);
          assert.equal(payload.code, e.code, payload.message);
          assert.equal(payload.outcome, e.outcome);
          assert.deepEqual(msg.error, { message: payload.message, code: e.code, outcome: e.outcome });
          assert.equal(simulator().received.length, e.received);
        }
        if (e.topic) assert.equal(msg.topic, e.topic, 'what could be read of the message goes out with the result');
        // The runtime carried the output on to the helper node wired to that output.
        if (record.forwardFailures.length === 0) {
          await waitFor(() => outputs.length === 1, 'the output at the helper node', 1000);
          assert.equal(outputs[0].output, output);
        }
        await expectNodeRedUp();
      });
    }

    it('a payload getter that delivers another message to the same node while it is read: one output each', async function () {
      await deploy({ responseTimeout: '2' });
      const node = runtimeNode('pay');
      let inner: Delivery | undefined;
      const innerInvoice = invoice('INNER');
      const outerInvoice = invoice('OUTER');
      const outer = Object.defineProperty({ _msgid: 'outer', invoice: outerInvoice }, 'payload', {
        get() {
          if (!inner) inner = deliver(node, { _msgid: 'inner', payload: '8.10', invoice: innerInvoice });
          return '8.20';
        },
      });
      const record = deliver(node, outer);
      assert.ok(inner, 'the inner message was delivered while the outer one was read');
      const first = await oneSend(inner);
      const second = await oneSend(record);
      // The inner message reached the terminal first; the outer found it busy (queueLimit 0).
      assert.equal(first.output, 1, JSON.stringify(first.payload));
      assert.equal(first.payload.invoice, innerInvoice);
      assert.equal(second.output, 2, JSON.stringify(second.payload));
      assert.equal(second.payload.code, 'BUSY');
      assert.equal(second.payload.outcome, 'not-sent');
      assert.deepEqual(
        simulator().received.map((r) => r.request?.invoice),
        [innerInvoice],
      );
      await expectNodeRedUp();
    });
  });
});
