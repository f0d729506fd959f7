'use strict';

/**
 * Robustness of the action nodes in a real Node-RED runtime (node-red-node-test-helper) against
 * the TerminalSimulator on 127.0.0.1:
 *
 * 1. Every internal step of a transaction made to throw, in turn: each input still gets exactly
 *    one output, with the outcome the step's place implies (not-sent before the wire, unknown
 *    after; a failing status or log line changes nothing), the node keeps working, and nothing
 *    escapes as an uncaughtException or unhandledRejection.
 * 2. Awkward messages (throwing getters, Proxies, frozen and sealed messages, ...): exactly one
 *    output each; an input that cannot be read is INVALID_INPUT/not-sent naming it, with nothing
 *    sent; a message that can be read but not written is charged once and its output carries the
 *    result.
 * 3. The operator's trail: the warning for an unknown outcome, the unresolved status, the
 *    acknowledgement of one entry, and a late answer.
 */

const assert = require('node:assert/strict');
const helper = require('node-red-node-test-helper');

helper.init(require('./support/node-red-path').nodeRedPath());

const terminalNode = require('../dist/nodes/mypos-terminal.js');
const actionNodes = require('../dist/nodes/mypos-actions.js');
const { TerminalSimulator } = require('../dist/src');
const { delay, waitFor } = require('./support/wait');
const { terminalConfigNode } = require('./support/terminal-config');

const NODES = [terminalNode, actionNodes];
const TAB = { id: 'tab', type: 'tab', label: 'robustness' };
/** How long to watch for a second (forbidden) output after the first. */
const QUIET_MS = 150;
const REF = /^\d{12}$/;

let simulator;
let port;
/** Every message the helper nodes got: { output: 1 | 2, msg }. */
let outputs;
let invoiceCounter = 0;

/** A fresh invoice, so that the journal never refuses a message as a duplicate of an earlier test's. */
function invoice(prefix = 'RB') {
  invoiceCounter += 1;
  return `${prefix}-${process.pid}-${invoiceCounter}`;
}

// --- the process must stay up: nothing may escape into the event loop ------------------------

const escaped = [];
const onUncaught = (error) => escaped.push(`uncaughtException: ${error && error.stack ? error.stack : String(error)}`);
const onUnhandled = (reason) => escaped.push(`unhandledRejection: ${reason && reason.stack ? reason.stack : String(reason)}`);

/** Gives pending rejections a chance to be reported, then asserts that none was and the runtime still answers. */
async function expectNodeRedUp() {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await delay(20);
  assert.deepEqual(escaped, [], 'nothing escaped into the event loop');
  // The admin API of the running runtime still answers (it goes through the deployed config node).
  await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
}

// --- flows --------------------------------------------------------------------------------

function flow(config = {}, extra = []) {
  return [
    TAB,
    terminalConfigNode('cfg', port, config),
    { id: 'pay', type: 'mypos-pay', z: 'tab', name: 'pay node', terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'err', type: 'helper', z: 'tab' },
    ...extra,
  ];
}

/** Another action node wired to the same helper nodes. */
function actionNode(id, action) {
  return { id, type: `mypos-${action}`, z: 'tab', name: `${action} node`, terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] };
}

async function deploy(config = {}, extra = []) {
  await helper.load(NODES, flow(config, extra));
  outputs = [];
  helper.getNode('ok').on('input', (msg) => outputs.push({ output: 1, msg }));
  helper.getNode('err').on('input', (msg) => outputs.push({ output: 2, msg }));
  const cfg = helper.getNode('cfg');
  const client = await cfg.whenClient;
  await cfg.journal.ready;
  assert.equal(client.journal, cfg.journal, "the shared client writes the config node's journal");
  return { cfg, client, journal: cfg.journal, pay: helper.getNode('pay') };
}

/** Waits for the first output, then makes sure no second one follows. */
async function oneOutput(timeoutMs = 4000) {
  await waitFor(() => outputs.length >= 1, 'an output message', timeoutMs);
  await delay(QUIET_MS);
  assert.equal(outputs.length, 1, `exactly one output message (got ${outputs.map((o) => `output ${o.output}: ${JSON.stringify(o.msg.payload)}`).join('; ')})`);
  return outputs[0];
}

function expectOk(out) {
  assert.equal(out.output, 1, `expected the success output, got ${JSON.stringify(out.msg.payload)}`);
  assert.equal(out.msg.payload.result, 'OK');
  assert.match(out.msg.payload.ref, REF);
  return out.msg;
}

function expectError(out, code, outcome) {
  assert.equal(out.output, 2, `expected the error output, got ${JSON.stringify(out.msg.payload)}`);
  const p = out.msg.payload;
  assert.equal(p.result, 'ERROR');
  assert.equal(p.code, code, `code (message: ${p.message})`);
  assert.equal(p.outcome, outcome, `outcome (message: ${p.message})`);
  assert.deepEqual(out.msg.error, { message: p.message, code, outcome });
  return out.msg;
}

/** Records every status the node shows; with `fail`, every call also throws (after recording). */
function watchStatus(node, { fail = false } = {}) {
  const seen = [];
  const original = node.status;
  node.status = function (status) {
    seen.push(status);
    if (fail) throw new Error('injected: status failed');
    return original.apply(this, arguments);
  };
  return seen;
}

function warnings() {
  const log = helper.log();
  return log.args.filter((args) => args[0].level === log.WARN).map((args) => ({ id: args[0].id, msg: String(args[0].msg) }));
}

/**
 * A normal payment after the injection was undone: the node, the client and the link still work.
 * Waits first for the terminal to be free (a late-answer window may still hold it).
 */
async function expectStillWorks(client, before) {
  await client.idle();
  outputs.length = 0;
  const inv = invoice('AFTER');
  helper.getNode('pay').receive({ payload: '1.25', invoice: inv });
  const msg = expectOk(await oneOutput());
  assert.equal(msg.payload.invoice, inv);
  assert.equal(simulator.received.length, before + 1, 'the follow-up reached the terminal once');
  assert.equal(simulator.received[simulator.received.length - 1].request.invoice, inv);
}

// ---------------------------------------------------------------------------------------------

/**
 * An injection for CASES: for one case, target(ctx)[method] records its calls and throws, or
 * returns a rejected promise. Returns the undo, carrying the calls.
 */
function replacing(pick, method, fails) {
  return (ctx) => {
    const target = pick(ctx);
    const own = Object.getOwnPropertyDescriptor(target, method);
    const calls = [];
    target[method] = (...args) => {
      calls.push(args);
      return fails(method);
    };
    const undo = () => (own ? Object.defineProperty(target, method, own) : delete target[method]);
    return Object.assign(undo, { calls });
  };
}
const throwing = (pick, method) =>
  replacing(pick, method, (name) => {
    throw new Error(`injected: ${name} threw`);
  });
const rejecting = (pick, method) => replacing(pick, method, (name) => Promise.reject(new Error(`injected: ${name} rejected`)));

describe('robustness: the action nodes in Node-RED (simulator on 127.0.0.1)', function () {
  this.timeout(15000);

  before(function (done) {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    helper.startServer(done);
  });

  after(function (done) {
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onUnhandled);
    helper.stopServer(done);
  });

  beforeEach(async function () {
    escaped.length = 0;
    simulator = new TerminalSimulator();
    port = await simulator.listen(0, '127.0.0.1');
  });

  afterEach(async function () {
    await helper.unload();
    await simulator.close();
  });

  // -------------------------------------------------------------------------------------------
  describe('1. every internal step made to throw, in turn', function () {
    /** Config for these cases: short answer timeout and late-answer window, as the editor saves them. */
    const FAST = { responseTimeout: '1', lateAnswerWindow: '0.1' };
    const LATE = { responseTimeout: '1', lateAnswerWindow: '3' };
    const covered = new Set();

    const once = (fn) => {
      let thrown = false;
      return function (...args) {
        if (!thrown) {
          thrown = true;
          throw new Error('injected: failed once');
        }
        return fn.apply(this, args);
      };
    };

    /**
     * Each case: `inject(ctx)` patches one step and returns the function that undoes it; `sim`
     * is the simulator's behaviour for the first request; `expect` the output: 'OK', or
     * [code, outcome]; `received` how many requests reached the simulator with the first
     * message; `check(ctx, out)` anything more.
     */
    const CASES = [
      {
        name: "the config node's submit throws synchronously",
        inject: throwing(({ cfg }) => cfg, 'submit'),
        // The node cannot know how far a failing submit got: the cautious answer.
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
      },
      {
        name: "the config node's submit returns a rejected promise",
        inject: rejecting(({ cfg }) => cfg, 'submit'),
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
        check: (_ctx, out) => assert.match(out.msg.payload.message, /injected: submit rejected/),
      },
      {
        name: 'journal.whenUsable throws synchronously',
        inject: throwing(({ journal }) => journal, 'whenUsable'),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.whenUsable rejects',
        inject: rejecting(({ journal }) => journal, 'whenUsable'),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.refusal throws',
        inject: throwing(({ journal }) => journal, 'refusal'),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.begin throws synchronously',
        inject: throwing(({ journal }) => journal, 'begin'),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.begin rejects',
        inject: rejecting(({ journal }) => journal, 'begin'),
        expect: ['JOURNAL', 'not-sent'],
        received: 0,
      },
      {
        name: 'journal.end throws synchronously',
        inject: throwing(({ journal }) => journal, 'end'),
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls.length, 1, 'journal.end was called (and threw)'),
      },
      {
        name: 'journal.end rejects',
        inject: rejecting(({ journal }) => journal, 'end'),
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls.length, 1, 'journal.end was called (and rejected)'),
      },
      {
        name: 'journal.late throws when the late answer arrives',
        config: LATE,
        sim: { delayMs: 1500 },
        inject: throwing(({ journal }) => journal, 'late'),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, journal, client }, out) => {
          await waitFor(() => undo.calls.length === 1, 'the late answer to reach journal.late', 3000);
          await client.idle();
          // Not recorded, so still unresolved: the safe side.
          assert.deepEqual(
            journal.unresolved.map((e) => e.invoice),
            [out.msg.payload.invoice],
          );
        },
      },
      {
        name: "the transport's connect throws synchronously",
        inject: throwing(({ client }) => client.transport, 'connect'),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: "the transport's connect rejects",
        inject: rejecting(({ client }) => client.transport, 'connect'),
        expect: ['CONNECT', 'not-sent'],
        received: 0,
      },
      {
        name: "the connection's write throws",
        inject: ({ client }) => {
          const original = client.transport.connect;
          client.transport.connect = async function (...args) {
            const connection = await original.apply(this, args);
            return {
              write() {
                throw new Error('injected: write threw');
              },
              destroy: () => connection.destroy(),
            };
          };
          return () => delete client.transport.connect;
        },
        // It was about to go on the wire: nobody can say it did not.
        expect: ['PROTOCOL', 'unknown'],
        received: 0,
      },
      {
        name: "onPhase: the node's status throws on every call (approval)",
        inject: ({ pay }) => {
          const seen = watchStatus(pay, { fail: true });
          return Object.assign(() => delete pay.status, { seen });
        },
        expect: 'OK',
        received: 1,
        check: ({ undo }) => {
          const texts = undo.seen.map((s) => s.text);
          assert.ok(
            texts.some((t) => /waiting for terminal/.test(t)),
            `onPhase tried to show the wait (${texts})`,
          );
          assert.ok(
            texts.some((t) => /approved/.test(t)),
            `the result status was tried (${texts})`,
          );
        },
      },
      {
        name: "the node's status throws on every call (unknown outcome, journal change listener)",
        sim: { fault: 'garbage' },
        inject: ({ pay }) => {
          const seen = watchStatus(pay, { fail: true });
          return Object.assign(() => delete pay.status, { seen });
        },
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
        check: ({ undo }) =>
          assert.ok(
            undo.seen.some((s) => /outcome unknown|check terminal/.test(s.text ?? '')),
            'the unknown outcome status was tried',
          ),
      },
      {
        name: 'node.warn throws for an unknown outcome (unreadable answer)',
        sim: { fault: 'garbage' },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls.length, 1, 'the warning was tried once'),
      },
      {
        name: 'the response timer path: TIMEOUT with node.warn throwing',
        config: FAST,
        sim: { fault: 'silent' },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: ({ undo }) => assert.equal(undo.calls.length, 1, 'the warning was tried once'),
      },
      {
        name: "the response timer's own work throws once (client.endUnknown)",
        config: FAST,
        sim: { fault: 'silent' },
        inject: ({ client }) => {
          client.endUnknown = once(Object.getPrototypeOf(client).endUnknown);
          return () => delete client.endUnknown;
        },
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "the response timer's own work always throws (client.endUnknown)",
        config: FAST,
        sim: { fault: 'silent' },
        inject: throwing(({ client }) => client, 'endUnknown'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: 'the confirmation timer throws (client.confirm)',
        inject: throwing(({ client }) => client, 'confirm'),
        // The terminal had answered, but the client could not confirm the answer.
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "the link's data handler throws (client.onAnswer)",
        inject: throwing(({ client }) => client, 'onAnswer'),
        expect: ['PROTOCOL', 'unknown'],
        received: 1,
      },
      {
        name: "a listener in the client's stateListeners throws",
        inject: ({ client }) => {
          const calls = [];
          const stop = client.onConnectionState((state) => {
            calls.push(state);
            throw new Error('injected: state listener threw');
          });
          return Object.assign(stop, { calls });
        },
        expect: 'OK',
        received: 1,
        check: ({ undo }) => assert.ok(undo.calls.includes('connected'), `the listener was called (${undo.calls})`),
      },
      {
        name: "a listener in the client's lateListeners throws (late answer)",
        config: LATE,
        sim: { delayMs: 1500 },
        inject: ({ client }) => {
          const calls = [];
          const stop = client.onLateAnswer((late) => {
            calls.push(late);
            throw new Error('injected: late listener threw');
          });
          return Object.assign(stop, { calls });
        },
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, journal, client }, out) => {
          await waitFor(() => undo.calls.length === 1, 'the late answer', 3000);
          await client.idle();
          const inv = out.msg.payload.invoice;
          // The node's own late listener still ran, and the journal recorded the answer.
          await waitFor(() => warnings().some((w) => w.id === 'pay' && /Late answer/.test(w.msg) && w.msg.includes(inv)), 'the late-answer warning');
          await waitFor(() => journal.unresolved.length === 0, 'the late answer recorded');
        },
      },
      {
        name: "the node's late-answer warning throws (node.warn on the late answer)",
        config: LATE,
        sim: { delayMs: 1500 },
        inject: throwing(({ pay }) => pay, 'warn'),
        expect: ['TIMEOUT', 'unknown'],
        received: 1,
        check: async ({ undo, client, journal }) => {
          await waitFor(() => undo.calls.some((m) => /Late answer/.test(m)), 'the late-answer warning to be tried', 3000);
          await client.idle();
          await waitFor(() => journal.unresolved.length === 0, 'the late answer recorded');
        },
      },
    ];

    for (const kase of CASES) {
      it(`${kase.name} -> ${kase.expect === 'OK' ? 'the normal approval' : kase.expect.join('/')}, one output, Node-RED stays up`, async function () {
        const ctx = await deploy(kase.config ?? FAST);
        if (kase.sim) simulator.nextBehaviours.push(kase.sim);
        ctx.undo = kase.inject(ctx);
        const inv = invoice('INJ');
        ctx.pay.receive({ payload: '2.50', invoice: inv });
        const out = await oneOutput();
        if (kase.expect === 'OK') {
          const msg = expectOk(out);
          assert.equal(msg.payload.invoice, inv);
        } else {
          const msg = expectError(out, ...kase.expect);
          if (kase.expect[1] === 'unknown') assert.match(msg.payload.message, /may have gone through/);
          if (kase.expect[1] === 'not-sent') assert.match(msg.payload.message, /Nothing was sent/);
        }
        if (kase.check) await kase.check(ctx, out);
        assert.equal(simulator.received.length, kase.received, 'requests that reached the terminal');
        ctx.undo();
        await expectStillWorks(ctx.client, kase.received);
        await expectNodeRedUp();
        covered.add(kase.name);
      });
    }

    after(function () {
      console.log(`      injection points covered: ${covered.size} of ${CASES.length} passed`);
    });
  });

  // -------------------------------------------------------------------------------------------
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
    function deliver(node, msg) {
      const record = { sent: [], done: [], forwardFailures: [] };
      const handler = node._inputCallback;
      assert.equal(typeof handler, 'function', 'the node has one input handler');
      handler.call(
        node,
        msg,
        function (...args) {
          record.sent.push(args[0]);
          try {
            node.send(...args);
          } catch (error) {
            record.forwardFailures.push(error);
          }
        },
        function (error) {
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
    async function oneSend(record, timeoutMs = 4000) {
      await waitFor(() => record.sent.length >= 1, 'the node to send its output', timeoutMs);
      await delay(QUIET_MS);
      assert.equal(record.sent.length, 1, `exactly one send (got ${record.sent.length})`);
      const sent = record.sent[0];
      assert.ok(Array.isArray(sent) && sent.length === 2, 'one message on one of two outputs');
      const index = sent.findIndex((m) => m !== null && m !== undefined);
      assert.ok(index >= 0 && (sent[1 - index] === null || sent[1 - index] === undefined), 'exactly one of the two outputs carries a message');
      await waitFor(() => record.done.length >= 1, 'done()', 1000);
      assert.equal(record.done.length, 1, 'done() called once');
      assert.equal(record.done[0], undefined, 'done() without an error');
      const msg = sent[index];
      let payload;
      try {
        payload = msg.payload;
      } catch (error) {
        assert.fail(`the output message cannot be read: ${error.message}`);
      }
      assert.equal(typeof payload, 'object', 'the output carries the result in msg.payload');
      return { output: index + 1, msg, payload };
    }

    const thrower =
      (what = 'injected') =>
      () => {
        throw new Error(`${what}: cannot read`);
      };
    const getterThrows = (key, base = {}) => Object.defineProperty({ _msgid: 'm1', ...base }, key, { get: thrower(key), enumerable: true, configurable: true });
    const proxyThrowing = (target, keys, extraTraps = {}) =>
      new Proxy(target, {
        get(t, key, receiver) {
          if (keys === 'all' ? true : keys.includes(key)) throw new Error(`trap: ${String(key)}`);
          return Reflect.get(t, key, receiver);
        },
        ...extraTraps,
      });
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };

    /**
     * `msg()` makes the message; `expect`: { invalid: field } (INVALID_INPUT/not-sent naming the
     * field, nothing sent), { ok: sum } (charged once with that sum, success output carries the
     * result), or { code, outcome, received } for anything else. `node` defaults to the pay node.
     */
    const SHAPES = [
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
          const msg = { _msgid: 'm1', payload: '7.20', invoice: invoice() };
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
        const node = helper.getNode(shape.node ? 'other' : 'pay');
        const record = deliver(node, shape.msg());
        const { output, msg, payload } = await oneSend(record);
        if (e.invalid) {
          assert.equal(output, 2, `the error output (got ${JSON.stringify(payload)})`);
          assert.equal(payload.code, 'INVALID_INPUT', payload.message);
          assert.equal(payload.outcome, 'not-sent');
          assert.ok(payload.message.startsWith(`${e.invalid} `), `the message names ${e.invalid}: "${payload.message}"`);
          assert.match(payload.message, /Nothing was sent/);
          if (e.says) assert.match(payload.message, e.says);
          assert.deepEqual(msg.error, { message: payload.message, code: 'INVALID_INPUT', outcome: 'not-sent' });
          await delay(50);
          assert.equal(simulator.received.length, 0, 'nothing reached the terminal');
        } else if (e.ok) {
          assert.equal(output, 1, `the success output (got ${JSON.stringify(payload)})`);
          assert.equal(payload.result, 'OK');
          assert.match(payload.ref, REF);
          assert.equal(payload.amount, e.ok);
          assert.equal(simulator.received.length, 1, 'charged exactly once');
          assert.equal(simulator.received[0].request.sum, e.ok);
          assert.equal(payload.invoice, simulator.received[0].request.invoice);
          if (e.preauth) assert.equal(msg.preauthcode, payload.ref);
          assert.equal(msg.error, undefined, 'no error on the success output');
        } else {
          assert.equal(output, 2);
          assert.equal(payload.code, e.code, payload.message);
          assert.equal(payload.outcome, e.outcome);
          assert.deepEqual(msg.error, { message: payload.message, code: e.code, outcome: e.outcome });
          assert.equal(simulator.received.length, e.received);
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
      const node = helper.getNode('pay');
      let inner;
      const innerInvoice = invoice('INNER');
      const outerInvoice = invoice('OUTER');
      const outer = Object.defineProperty({ _msgid: 'outer', invoice: outerInvoice }, 'payload', {
        get() {
          if (!inner) inner = deliver(node, { _msgid: 'inner', payload: '8.10', invoice: innerInvoice });
          return '8.20';
        },
      });
      const record = deliver(node, outer);
      const first = await oneSend(inner);
      const second = await oneSend(record);
      // The inner message reached the terminal first; the outer found it busy (queueLimit 0).
      assert.equal(first.output, 1, JSON.stringify(first.payload));
      assert.equal(first.payload.invoice, innerInvoice);
      assert.equal(second.output, 2, JSON.stringify(second.payload));
      assert.equal(second.payload.code, 'BUSY');
      assert.equal(second.payload.outcome, 'not-sent');
      assert.deepEqual(
        simulator.received.map((r) => r.request.invoice),
        [innerInvoice],
      );
      await expectNodeRedUp();
    });
  });

  // -------------------------------------------------------------------------------------------
  describe("3. the operator's trail", function () {
    for (const [fault, config, code] of [
      [{ fault: 'silent' }, { responseTimeout: '1', lateAnswerWindow: '0.1' }, 'TIMEOUT'],
      [{ fault: 'garbage' }, { lateAnswerWindow: '0.1' }, 'PROTOCOL'],
    ]) {
      it(`a. the warning for an unknown outcome (${fault.fault}) names the action, the invoice, the amount and the terminal`, async function () {
        await deploy(config);
        simulator.nextBehaviours.push(fault);
        const inv = invoice('WARN');
        helper.getNode('pay').receive({ payload: '12.34', invoice: inv });
        expectError(await oneOutput(), code, 'unknown');
        const found = await waitFor(() => warnings().find((w) => w.id === 'pay' && w.msg.includes(inv)), 'the warning', 1000);
        assert.match(found.msg, /^payment 12\.34, invoice /, 'names the action');
        assert.match(found.msg, /invoice /, 'says which is the invoice');
        assert.ok(found.msg.includes(`invoice ${inv}`), `names the invoice: ${found.msg}`);
        assert.ok(found.msg.includes('12.34'), `names the amount: ${found.msg}`);
        assert.ok(found.msg.includes(`127.0.0.1:${port}`), `names the terminal: ${found.msg}`);
        assert.match(found.msg, /may have gone through/, 'says what it means');
        await expectNodeRedUp();
      });
    }

    it('b. after an unknown outcome, the status keeps the unresolved request (red) through the next approval until it is acknowledged', async function () {
      const { client, journal, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const seen = watchStatus(pay);
      simulator.nextBehaviours.push({ fault: 'garbage' });
      const lost = invoice('LOST');
      pay.receive({ payload: '9.10', invoice: lost });
      expectError(await oneOutput(), 'PROTOCOL', 'unknown');
      await client.idle();
      assert.deepEqual(
        journal.unresolved.map((e) => e.invoice),
        [lost],
      );

      outputs.length = 0;
      pay.receive({ payload: '9.20', invoice: invoice() });
      expectOk(await oneOutput());
      // The approval is on the message; the status keeps what needs a person (both do not fit under a node).
      const afterApproval = seen[seen.length - 1];
      assert.equal(afterApproval.text, 'check terminal: 9.10', `the unresolved request is still shown: "${afterApproval.text}"`);
      assert.equal(afterApproval.fill, 'red');

      const id = journal.unresolved[0].id;
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [id] })
        .expect(200);
      assert.deepEqual(
        acknowledged.body.acknowledged.map((e) => e.id),
        [id],
      );

      outputs.length = 0;
      pay.receive({ payload: '9.30', invoice: invoice() });
      expectOk(await oneOutput());
      const last = seen[seen.length - 1];
      assert.match(last.text, /approved 9\.30/);
      assert.doesNotMatch(last.text, /check terminal/);
      assert.equal(last.fill, 'green');
      await expectNodeRedUp();
    });

    it('b. acknowledging clears the unresolved status at once, without waiting for the next message', async function () {
      const { client, journal, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const seen = watchStatus(pay);
      simulator.nextBehaviours.push({ fault: 'garbage' });
      pay.receive({ payload: '9.40', invoice: invoice('LOST') });
      expectError(await oneOutput(), 'PROTOCOL', 'unknown');
      await client.idle();
      outputs.length = 0;
      pay.receive({ payload: '9.50', invoice: invoice() });
      expectOk(await oneOutput());
      assert.match(seen[seen.length - 1].text, /check terminal/);
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [journal.unresolved[0].id] })
        .expect(200);
      assert.equal(acknowledged.body.acknowledged.length, 1);
      assert.deepEqual(journal.unresolved, []);
      // Nothing else happens on the node: the acknowledgement alone must take the red warning away.
      await waitFor(() => !/check terminal/.test(seen[seen.length - 1].text ?? ''), `the status to drop the acknowledged request (statuses: ${JSON.stringify(seen.map((s) => s.text))})`);
      await expectNodeRedUp();
    });

    it('c. acknowledging one entry by id when two are unresolved leaves the other listed', async function () {
      const { client, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const invoices = [invoice('ONE'), invoice('TWO')];
      for (const inv of invoices) {
        simulator.nextBehaviours.push({ fault: 'garbage' });
        outputs.length = 0;
        pay.receive({ payload: '10.00', invoice: inv });
        expectError(await oneOutput(), 'PROTOCOL', 'unknown');
        await client.idle();
      }
      const listed = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(
        listed.body.unresolved.map((e) => e.invoice),
        invoices,
      );
      const [first, second] = listed.body.unresolved;
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [first.id] })
        .expect(200);
      assert.deepEqual(
        acknowledged.body.acknowledged.map((e) => e.id),
        [first.id],
      );
      const after = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(
        after.body.unresolved.map((e) => e.id),
        [second.id],
      );
      assert.equal(after.body.unresolved[0].invoice, invoices[1]);
      await expectNodeRedUp();
    });

    it('d. a late answer is logged naming the request and what the terminal said, recorded, and no longer shown as unresolved', async function () {
      const { client, journal, pay } = await deploy({ responseTimeout: '1', lateAnswerWindow: '3' });
      const seen = watchStatus(pay);
      simulator.nextBehaviours.push({ delayMs: 1500 });
      const inv = invoice('LATE');
      pay.receive({ payload: '11.11', invoice: inv });
      expectError(await oneOutput(), 'TIMEOUT', 'unknown');
      await waitFor(() => seen.some((s) => /check terminal/.test(s.text ?? '')), 'the unresolved status after the timeout');
      assert.deepEqual(
        journal.unresolved.map((e) => e.invoice),
        [inv],
      );

      const late = await waitFor(() => warnings().find((w) => w.id === 'pay' && /Late answer/.test(w.msg)), 'the late-answer warning', 3000);
      await client.idle();
      const answered = simulator.received[0];
      assert.equal(answered.request.invoice, inv);
      assert.ok(late.msg.includes(`invoice ${inv}`), `names the invoice: ${late.msg}`);
      assert.ok(late.msg.includes('11.11'), `names the amount: ${late.msg}`);
      assert.ok(late.msg.includes(`127.0.0.1:${port}`), `names the terminal: ${late.msg}`);
      assert.match(late.msg, /\bpayment\b/);
      assert.match(late.msg, /It was approved \(ref \d{12}\)/, `says what the terminal said: ${late.msg}`);

      await waitFor(() => journal.unresolved.length === 0, 'the journal to record the late answer');
      const ref = /ref (\d{12})/.exec(late.msg)[1];
      const listed = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(listed.body.unresolved, []);
      await waitFor(() => !/check terminal/.test(seen[seen.length - 1].text ?? ''), 'the status to stop showing the request as unresolved');
      // Recorded as approved: the same invoice is now refused as already paid, not as unknown.
      outputs.length = 0;
      pay.receive({ payload: '11.11', invoice: inv });
      const refused = expectError(await oneOutput(), 'DUPLICATE', 'not-sent');
      assert.match(refused.payload.message, /already went through/);
      assert.equal(simulator.received.length, 1);
      assert.match(ref, /^\d{12}$/);
      await expectNodeRedUp();
    });
  });
});
