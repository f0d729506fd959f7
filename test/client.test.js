'use strict';

/**
 * TerminalClient over TcpTransport against the real TerminalSimulator and a few hand-made
 * servers, all on 127.0.0.1 with ports picked by the OS. After every test the client and the
 * servers are closed and no socket, server or timer may be left behind.
 */

const assert = require('node:assert/strict');
const net = require('node:net');
const { spawn } = require('node:child_process');
const { TerminalClient, TcpTransport, TerminalSimulator } = require('../dist/src');
const { buildRequestXml, createRequest } = require('../dist/src/protocol');
const { freePort } = require('./support/ports');

const HOST = '127.0.0.1';
const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;
/** The handles these tests check are back after each test. */
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const { delay: sleep, waitFor } = require('./support/wait');
const { resources, expectResources } = require('./support/resources');

/** Things to close after the current test, newest first. */
let cleanups = [];
let baseline;

async function startSimulator(behaviour = {}) {
  const simulator = new TerminalSimulator({ behaviour });
  const port = await simulator.listen(0, HOST);
  assert.equal(typeof port, 'number');
  cleanups.push(() => simulator.close());
  return { simulator, port };
}

function makeClient(port, options = {}) {
  const client = new TerminalClient({
    transport: new TcpTransport({ host: HOST, port }),
    responseTimeoutMs: 3000,
    connectTimeoutMs: 2000,
    replyStallTimeoutMs: 1000,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

/** A raw TCP server on 127.0.0.1; `onConnection(socket)` decides what it sends. */
async function startServer(onConnection) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  const timers = new Set();
  const later = (ms, fn) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const close = async () => {
    for (const timer of timers) clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  cleanups.push(close);
  return { server, port: server.address().port, sockets, later };
}

/** Calls back with each whole request (up to the closing root tag) received on a socket. */
function onRequests(socket, callback) {
  let buffer = '';
  socket.on('data', (chunk) => {
    buffer += chunk.toString('latin1');
    let match;
    while ((match = /<\/(pay|refund|preauth|preauthcompletion|preauthcancel)>/.exec(buffer))) {
      const request = buffer.slice(0, match.index + match[0].length);
      buffer = buffer.slice(match.index + match[0].length);
      callback(request);
    }
  });
}

/**
 * A listener on 127.0.0.1 whose accept queue is full, so that a further connect() hangs (the
 * kernel drops the SYN). It lives in a child process whose event loop is blocked, since a Node
 * server in this process would accept at once.
 */
async function startUnacceptingListener() {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const net = require('net'), fs = require('fs');
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      fs.writeSync(1, server.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    });
  `,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (data) => resolve(Number(String(data).trim())));
    child.once('exit', () => reject(new Error('listener child exited')));
  });
  const fillers = [];
  const stop = async () => {
    for (const socket of fillers) socket.destroy();
    fillers.length = 0;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(stop);
  // Fill the accept queue until a connection no longer completes.
  for (let i = 0; i < 8; i++) {
    const connected = await new Promise((resolve) => {
      const socket = net.createConnection({ host: HOST, port });
      fillers.push(socket);
      socket.on('error', () => resolve(false));
      const timer = setTimeout(() => resolve(false), 150);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) break;
  }
  return {
    port,
    stopFillers: () => {
      for (const socket of fillers) socket.destroy();
      fillers.length = 0;
    },
    stop,
  };
}

/** The request the client will put on the wire for these fields, for comparing with what arrived. */
function wireXml(action, fields) {
  const draft = {
    action,
    amount: { value: fields.amount, field: 'amount' },
    invoice: { value: fields.invoice, field: 'invoice' },
    preauthCode: { value: fields.preauthcode, field: 'preauthcode' },
    receipt: { value: fields.receipt ?? 'ON', field: 'receipt' },
    custrcpt: { value: fields.custrcpt ?? 'ON', field: 'custrcpt' },
  };
  return buildRequestXml(createRequest(draft, { decimals: 2 }));
}

function assertFailure(result, expected) {
  assert.equal(result.result, 'ERROR', `expected an error, got ${JSON.stringify(result)}`);
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(result[key], value, `${key} of ${JSON.stringify(result)}`);
  assert.equal(typeof result.message, 'string');
  if (result.outcome === 'unknown') assert.match(result.message, UNKNOWN_ADVICE);
  else assert.doesNotMatch(result.message, UNKNOWN_ADVICE);
  for (const key of ['status', 'statusName', 'statusText', 'code', 'outcome', 'message', 'ref', 'action']) {
    assert.ok(key in result, `result has ${key}`);
  }
}

function assertOk(result, expected = {}) {
  assert.equal(result.result, 'OK', `expected OK, got ${JSON.stringify(result)}`);
  for (const key of ['code', 'outcome', 'status', 'message']) assert.ok(!(key in result), `a success has no ${key}`);
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(result[key], value, key);
}

/** The simulator's refs end with a 6-digit counter of the answers it made. */
const refCounter = (ref) => Number(ref.slice(-6));

// =============================================================================================

describe('client: TerminalClient over TCP against the simulator', function () {
  this.timeout(8000);

  // Leak check around every test of this file (hooks inside the describe, so that other
  // test files run in the same Mocha process are not affected).
  beforeEach(async () => {
    cleanups = [];
    // Mocha arms its own hook timer once the hook has started: measure after that, so the
    // baseline holds exactly one Timeout of Mocha's, as the after-each hook will.
    await new Promise((resolve) => setImmediate(resolve));
    baseline = resources(WATCHED);
  });

  afterEach(async function () {
    const errors = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    cleanups = [];
    if (errors.length > 0) throw errors[0];
    // A test that already failed may have left what it was checking for; reporting it twice (and
    // stopping the suite, as a failed hook does) would only hide the other results.
    if (this.currentTest.state === 'failed') return;
    await expectResources(baseline, `after "${this.currentTest.title}"`);
  });

  it('simulators given different ref prefixes never give the same ref (one for each of several terminals)', async () => {
    assert.throws(() => new TerminalSimulator({ refPrefix: '1a' }), /refPrefix must be digits/);
    const refs = [];
    for (const refPrefix of ['07', '08']) {
      const simulator = new TerminalSimulator({ refPrefix });
      const port = await simulator.listen(0, HOST);
      cleanups.push(() => simulator.close());
      const client = makeClient(port);
      const result = await client.pay({ amount: '1.00', invoice: `PREFIX-${refPrefix}` });
      assert.equal(result.result, 'OK');
      assert.match(result.ref, new RegExp(`^${refPrefix}[0-9]{12}$`));
      refs.push(result.ref);
    }
    assert.notEqual(refs[0], refs[1]);
  });

  describe('the five actions', () => {
    it('pay: sends exactly the seed request and returns OK with the terminal ref', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const result = await client.pay({ amount: 12.5, invoice: 'INV-1' });
      assert.deepEqual(Object.keys(result).sort(), ['action', 'amount', 'invoice', 'ref', 'result']);
      assertOk(result, { action: 'pay', invoice: 'INV-1', amount: '12.50' });
      assert.match(result.ref, /^[0-9]{12}$/);
      assert.equal(simulator.received.length, 1);
      assert.deepEqual(simulator.received[0].request, { action: 'pay', invoice: 'INV-1', sum: '12.50', receipt: 'ON', custrcpt: 'ON' });
      assert.equal(simulator.received[0].xml, wireXml('pay', { amount: 12.5, invoice: 'INV-1' }).trimEnd());
    });

    it('refund with receipt options', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const result = await client.refund({ amount: '3.10', invoice: 'R-1', receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' });
      assertOk(result, { action: 'refund', invoice: 'R-1', amount: '3.10' });
      assert.deepEqual(simulator.received[0].request, { action: 'refund', invoice: 'R-1', sum: '3.10', receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' });
    });

    it('pay without an invoice sends a generated one and reports it', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const a = await client.pay({ amount: '1' });
      const b = await client.pay({ amount: '1' });
      assertOk(a);
      assertOk(b);
      assert.match(a.invoice, /^[\x20-\x7e]{1,50}$/);
      assert.notEqual(a.invoice, b.invoice);
      assert.equal(simulator.received[0].request.invoice, a.invoice);
      assert.equal(simulator.received[1].request.invoice, b.invoice);
    });

    it('preauth -> complete (lower amount) -> cancel after complete is NO_DATA_FOUND', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const pre = await client.preauth({ amount: '50.00', invoice: 'HOTEL-1' });
      assertOk(pre, { action: 'preauth', invoice: 'HOTEL-1', amount: '50.00' });
      const code = pre.ref;
      assert.equal(simulator.preauthState(code), 'open');

      const done = await client.complete({ amount: '42.10', preauthcode: code });
      assertOk(done, { action: 'complete', amount: '42.10', preauthcode: code });
      assert.ok(!('invoice' in done));
      assert.equal(simulator.preauthState(code), 'completed');
      assert.deepEqual(simulator.received[1].request, { action: 'complete', preauthCode: code, sum: '42.10', receipt: 'ON', custrcpt: 'ON' });
      assert.equal(simulator.received[1].xml, wireXml('complete', { amount: '42.10', preauthcode: code }).trimEnd());

      const cancelled = await client.cancel({ preauthcode: code });
      assertFailure(cancelled, {
        action: 'cancel',
        preauthcode: code,
        code: 'TERMINAL',
        outcome: 'failed',
        status: 5,
        statusName: 'NO_DATA_FOUND',
        statusText: 'NO_DATA_FOUND',
        ref: '',
      });
      assert.ok(!('amount' in cancelled));
      assert.equal(simulator.received.length, 3);
    });

    it('preauth -> cancel succeeds; a completion afterwards is NO_DATA_FOUND', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const pre = await client.preauth({ amount: 20, invoice: 'CAR-1' });
      assertOk(pre);
      const cancelled = await client.cancel({ preauthcode: pre.ref, receipt: 'OFF', custrcpt: 'OFF' });
      assert.deepEqual(Object.keys(cancelled).sort(), ['action', 'preauthcode', 'ref', 'result']);
      assertOk(cancelled, { action: 'cancel', preauthcode: pre.ref });
      assert.equal(simulator.preauthState(pre.ref), 'cancelled');
      assert.deepEqual(simulator.received[1].request, { action: 'cancel', preauthCode: pre.ref, receipt: 'OFF', custrcpt: 'OFF' });
      const late = await client.complete({ amount: 20, preauthcode: pre.ref });
      assertFailure(late, { code: 'TERMINAL', outcome: 'failed', status: 5, statusName: 'NO_DATA_FOUND' });
    });

    it('complete above the pre-authorized amount is INVALID_AMOUNT (status 7), and the pre-authorization stays open', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const pre = await client.preauth({ amount: '10.00', invoice: 'P-7' });
      assertOk(pre);
      const tooMuch = await client.complete({ amount: '10.01', preauthcode: pre.ref });
      assertFailure(tooMuch, {
        action: 'complete',
        amount: '10.01',
        preauthcode: pre.ref,
        code: 'TERMINAL',
        outcome: 'failed',
        status: 7,
        statusName: 'INVALID_AMOUNT',
        statusText: 'INVALID_AMOUNT',
      });
      assert.equal(simulator.preauthState(pre.ref), 'open');
      assertOk(await client.complete({ amount: '10.00', preauthcode: pre.ref }));
    });

    it('complete and cancel of an unknown code are NO_DATA_FOUND', async () => {
      const { port } = await startSimulator();
      const client = makeClient(port);
      assertFailure(await client.complete({ amount: 1, preauthcode: 'NOPE' }), { code: 'TERMINAL', status: 5, outcome: 'failed' });
      assertFailure(await client.cancel({ preauthcode: 'NOPE' }), { code: 'TERMINAL', status: 5, outcome: 'failed' });
    });
  });

  describe('the terminal says no', () => {
    it("fault 'decline' -> TERMINAL / failed, status 2 TRANSACTION_DECLINED", async () => {
      const { port } = await startSimulator({ fault: 'decline' });
      const client = makeClient(port);
      for (const run of [() => client.pay({ amount: 5, invoice: 'D-1' }), () => client.refund({ amount: 5, invoice: 'D-2' }), () => client.preauth({ amount: 5, invoice: 'D-3' })]) {
        const result = await run();
        assertFailure(result, { code: 'TERMINAL', outcome: 'failed', status: 2, statusName: 'TRANSACTION_DECLINED', statusText: 'TRANSACTION_DECLINED', ref: '' });
        assert.equal(result.message, 'Card declined by the bank.');
      }
      // a decline of the completion comes in the malformed `< preautcompletionhresp >` reply
      assertFailure(await client.complete({ amount: 5, preauthcode: 'X' }), { code: 'TERMINAL', status: 2, outcome: 'failed' });
      assertFailure(await client.cancel({ preauthcode: 'X' }), { code: 'TERMINAL', status: 2, outcome: 'failed' });
    });

    it("fault 'decline' with another status", async () => {
      const { port } = await startSimulator({ fault: 'decline', declineStatus: 4 });
      const client = makeClient(port);
      assertFailure(await client.pay({ amount: 5 }), { code: 'TERMINAL', status: 4, statusName: 'DEVICE_NOT_ACTIVATED', outcome: 'failed' });
    });

    it('magic cents: x.51 declined, x.52 cancelled, x.53 failed', async () => {
      const { port } = await startSimulator();
      const client = makeClient(port);
      assertFailure(await client.pay({ amount: '12.51', invoice: 'M-1' }), {
        action: 'pay',
        invoice: 'M-1',
        amount: '12.51',
        code: 'TERMINAL',
        outcome: 'failed',
        status: 2,
        statusName: 'TRANSACTION_DECLINED',
      });
      assertFailure(await client.pay({ amount: 0.52 }), { status: 1, statusName: 'TRANSACTION_CANCELED', code: 'TERMINAL' });
      assertFailure(await client.refund({ amount: '1.53' }), { status: 3, statusName: 'TRANSACTION_FAILED', code: 'TERMINAL' });
      // a failure does not drop the connection or poison the next request
      assertOk(await client.pay({ amount: '12.50' }));
    });

    it("'bad-xml' -> BAD_XML / failed for every action", async () => {
      const { port } = await startSimulator({ fault: 'bad-xml' });
      const client = makeClient(port);
      const runs = {
        pay: () => client.pay({ amount: 1 }),
        refund: () => client.refund({ amount: 1 }),
        preauth: () => client.preauth({ amount: 1 }),
        complete: () => client.complete({ amount: 1, preauthcode: 'P' }),
        cancel: () => client.cancel({ preauthcode: 'P' }),
      };
      for (const [action, run] of Object.entries(runs)) {
        const result = await run();
        assertFailure(result, { action, code: 'BAD_XML', outcome: 'failed', ref: 'Hibás XML', status: null, statusName: null, statusText: null });
      }
    });
  });

  describe('answers that cannot be understood', () => {
    it("'wrong-root' -> PROTOCOL / unknown, and the connection is dropped", async () => {
      const { simulator, port } = await startSimulator();
      simulator.nextBehaviours.push({ fault: 'wrong-root' });
      const client = makeClient(port, { lateAnswerWindowMs: 300 });
      const result = await client.pay({ amount: 1, invoice: 'W-1' });
      assertFailure(result, { action: 'pay', invoice: 'W-1', amount: '1.00', code: 'PROTOCOL', outcome: 'unknown', status: null });
      assert.match(result.message, /refundresp/);
      await waitFor(() => simulator.connectionCount === 0, 'the connection to drop', 500);
      assert.equal(client.connectionState, 'disconnected');
      // Its real answer may still come: nothing else goes to the terminal for the window.
      const meanwhile = await client.refund({ amount: 1 });
      assertFailure(meanwhile, { code: 'BUSY', outcome: 'not-sent' });
      assert.match(meanwhile.message, /has not answered an earlier payment \(W-1\); it may still, for up to 1 s/);
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      assertOk(await client.refund({ amount: 1 }));
      assert.equal(simulator.received.length, 2);
    });

    it("'garbage' -> PROTOCOL / unknown, and the connection is dropped", async () => {
      const { simulator, port } = await startSimulator();
      simulator.nextBehaviours.push({ fault: 'garbage' });
      const client = makeClient(port, { lateAnswerWindowMs: 100 });
      assertFailure(await client.pay({ amount: 1 }), { code: 'PROTOCOL', outcome: 'unknown' });
      await waitFor(() => simulator.connectionCount === 0, 'the connection to drop', 500);
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      assertOk(await client.pay({ amount: 1 }));
      assert.equal(simulator.received.length, 2);
    });
  });

  describe('waiting for the terminal', () => {
    it("'silent' -> TIMEOUT / unknown; the connection is kept for a late answer, then dropped; nothing is re-sent", async () => {
      const { simulator, port } = await startSimulator({ fault: 'silent' });
      const client = makeClient(port, { responseTimeoutMs: 200, lateAnswerWindowMs: 300 });
      const started = Date.now();
      const result = await client.pay({ amount: 9.99, invoice: 'T-1' });
      assert.ok(Date.now() - started >= 190, 'waited for the response timeout');
      assertFailure(result, { action: 'pay', invoice: 'T-1', amount: '9.99', code: 'TIMEOUT', outcome: 'unknown', status: null });
      assert.match(result.message, /0\.2 s/);
      assert.equal(simulator.connectionCount, 1, 'its connection stays, for the late answer');
      assert.ok(client.busy);
      await waitFor(() => simulator.connectionCount === 0, 'the connection to drop after the window', 1000);
      assert.ok(Date.now() - started >= 480, 'not before the window passed');
      assert.equal(client.connectionState, 'disconnected');
      await sleep(100);
      assert.equal(simulator.received.length, 1, 'never re-sent');
    });

    for (const connectionMode of ['per-request', 'reuse']) {
      it(`${connectionMode}: a late answer is taken as its own request's outcome, and never as the next one's; the next waits for it`, async () => {
        const { simulator, port } = await startSimulator();
        // Request 1 times out at 300 ms; request 2, queued meanwhile, must not go out before
        // request 1's late answer (due at 400 ms), which is its outcome, not request 2's.
        simulator.nextBehaviours.push({ delayMs: 400 }, { delayMs: 50 });
        const client = makeClient(port, { connectionMode, responseTimeoutMs: 300, queueLimit: 1, answerGuardMs: 0 });
        const late = [];
        client.onLateAnswer((answer) => late.push(answer));
        const first = await client.pay({ amount: 1, invoice: 'LATE-1' });
        assertFailure(first, { code: 'TIMEOUT', outcome: 'unknown', invoice: 'LATE-1' });
        const second = await client.pay({ amount: 2, invoice: 'LATE-2' });
        assertOk(second, { invoice: 'LATE-2', amount: '2.00' });
        assert.equal(refCounter(second.ref), 2, `request 2 got the answer ${second.ref}`);
        assert.equal(late.length, 1);
        assert.equal(late[0].request.invoice, 'LATE-1');
        assert.equal(late[0].result.result, 'OK');
        assert.equal(refCounter(late[0].result.ref), 1, 'request 1 got its own late answer');
        assert.ok(late[0].afterMs >= 50 && late[0].afterMs < 400, `${late[0].afterMs} ms after the timeout`);
        assert.deepEqual(
          simulator.received.map((m) => m.request.invoice),
          ['LATE-1', 'LATE-2'],
        );
      });
    }

    it("'delayMs' shorter than the timeout succeeds", async () => {
      const { port } = await startSimulator({ delayMs: 150 });
      const client = makeClient(port, { responseTimeoutMs: 600 });
      const started = Date.now();
      assertOk(await client.pay({ amount: 1 }));
      assert.ok(Date.now() - started >= 140);
    });

    it('the response timeout is not restarted by a second request: each request gets its own', async () => {
      const { port } = await startSimulator({ delayMs: 200 });
      const client = makeClient(port, { responseTimeoutMs: 350 });
      assertOk(await client.pay({ amount: 1 }));
      assertOk(await client.pay({ amount: 1 }));
    });
  });

  describe("what holds the terminal (activity) and the link's state, with since when", () => {
    /** Records every activity a listener hears, as `kind invoice`. */
    function watchActivity(client) {
      const heard = [];
      client.onActivity((activity) => heard.push(activity));
      return heard;
    }
    const named = (activity) => (activity.kind === 'idle' ? 'idle' : `${activity.kind} ${activity.request.invoice}`);

    it('idle, then the open request (what, since it began), then idle again: each change heard once', async () => {
      const { port } = await startSimulator({ delayMs: 300 });
      const client = makeClient(port);
      const heard = watchActivity(client);
      assert.deepEqual(client.activity, { kind: 'idle' });
      const before = Date.now();
      const paying = client.pay({ amount: '12.50', invoice: 'ACT-1' });
      const open = client.activity;
      assert.equal(open.kind, 'request');
      assert.equal(open.request.action, 'pay');
      assert.equal(open.request.amount.text, '12.50');
      assert.equal(open.request.invoice, 'ACT-1');
      assert.ok(open.since >= before && open.since <= Date.now(), 'since it left the queue');
      await sleep(150);
      assert.equal(client.activity.since, open.since, 'the same time while it stays open');
      assertOk(await paying, { invoice: 'ACT-1' });
      assert.deepEqual(client.activity, { kind: 'idle' });
      await sleep(0);
      assert.deepEqual(heard.map(named), ['request ACT-1', 'idle']);
    });

    it('a timed-out request becomes the wait for its late answer (since it ended), heard as one change; idle once the window passed', async () => {
      const { port } = await startSimulator({ fault: 'silent' });
      const client = makeClient(port, { responseTimeoutMs: 200, lateAnswerWindowMs: 300 });
      const heard = watchActivity(client);
      const result = await client.pay({ amount: '3.00', invoice: 'ACT-LATE' });
      assert.equal(result.code, 'TIMEOUT');
      const waiting = client.activity;
      assert.equal(waiting.kind, 'late-answer');
      assert.equal(waiting.request.invoice, 'ACT-LATE');
      assert.ok(Date.now() - waiting.since < 100, 'since the request ended');
      await sleep(0);
      assert.equal(heard[1].since - heard[0].since >= 190, true, 'the wait began a timeout after the request');
      await waitFor(() => client.activity.kind === 'idle', 'the window to pass', 1000);
      await sleep(0);
      assert.deepEqual(heard.map(named), ['request ACT-LATE', 'late-answer ACT-LATE', 'idle']);
    });

    it('a queued request that follows at once is a change of its own; the listener stops when asked, and close() ends it', async () => {
      const { port } = await startSimulator({ delayMs: 100 });
      const client = makeClient(port, { queueLimit: 1, answerGuardMs: 0 });
      const heard = watchActivity(client);
      let other = 0;
      const stop = client.onActivity(() => (other += 1));
      const first = client.pay({ amount: '1.00', invoice: 'Q-1' });
      const second = client.pay({ amount: '2.00', invoice: 'Q-2' });
      assert.equal(client.activity.request.invoice, 'Q-1', 'a queued request holds nothing yet');
      assertOk(await first, { invoice: 'Q-1' });
      stop();
      assertOk(await second, { invoice: 'Q-2' });
      await sleep(0);
      assert.deepEqual(heard.map(named), ['request Q-1', 'request Q-2', 'idle']);
      assert.equal(other, 1, 'the stopped listener heard only the first');
      const late = client.pay({ amount: '3.00', invoice: 'Q-3' });
      client.close();
      await late;
      await sleep(0);
      assert.deepEqual(heard.map(named), ['request Q-1', 'request Q-2', 'idle'], 'nothing after close');
    });

    it('keep-open: connected since it came up; disconnected since it went down, however often it tries again', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { connectionMode: 'keep-open', reconnectMinMs: 50, reconnectMaxMs: 50 });
      const down = client.linkState;
      assert.equal(down.state, 'disconnected');
      client.start();
      await waitFor(() => client.connectionState === 'connected', 'the link to come up', 1000);
      const up = client.linkState;
      assert.ok(up.since >= down.since && Date.now() - up.since < 500);
      await sleep(60);
      assert.equal(client.linkState.since, up.since, 'unchanged while it stays up');
      await simulator.close();
      await waitFor(() => client.connectionState !== 'connected', 'the link to go down', 1000);
      const wentDown = client.linkState.since;
      assert.ok(wentDown >= up.since);
      const states = new Set();
      const stop = client.onConnectionState((state) => states.add(state));
      await sleep(300);
      stop();
      assert.ok(states.has('connecting'), 'it kept trying');
      assert.notEqual(client.connectionState, 'connected');
      assert.equal(client.linkState.since, wentDown, 'attempts to reconnect do not move "since"');
    });
  });

  describe('the connection breaks', () => {
    it("'drop' -> CONNECTION_LOST / unknown", async () => {
      const { simulator, port } = await startSimulator({ fault: 'drop' });
      const client = makeClient(port);
      const result = await client.refund({ amount: 4, invoice: 'DR-1' });
      assertFailure(result, { action: 'refund', invoice: 'DR-1', code: 'CONNECTION_LOST', outcome: 'unknown', status: null });
      assert.equal(client.connectionState, 'disconnected');
      assert.equal(simulator.received.length, 1);
    });

    it("'halfway' -> CONNECTION_LOST / unknown", async () => {
      const { simulator, port } = await startSimulator({ fault: 'halfway' });
      const client = makeClient(port, { lateAnswerWindowMs: 50 });
      assertFailure(await client.pay({ amount: 4 }), { code: 'CONNECTION_LOST', outcome: 'unknown' });
      await waitFor(() => !client.busy, 'the window for a late answer to pass', 1000);
      assertFailure(await client.cancel({ preauthcode: 'P' }), { code: 'CONNECTION_LOST', outcome: 'unknown', action: 'cancel' });
      assert.equal(simulator.received.length, 2);
    });

    it("'closeAfterAnswer': the next request reconnects and succeeds", async () => {
      const { simulator, port } = await startSimulator({ closeAfterAnswer: true });
      const client = makeClient(port);
      const states = [];
      client.onConnectionState((state) => states.push(state));
      for (let i = 0; i < 4; i++) {
        assertOk(await client.pay({ amount: 1, invoice: `C-${i}` }));
        await waitFor(() => client.connectionState === 'disconnected', 'the app to close the connection', 500);
      }
      assert.deepEqual(states, Array(4).fill(['connecting', 'connected', 'disconnected']).flat());
      assert.equal(simulator.received.length, 4);
    });

    it("'closeAfterAnswer' with the next request sent at once", async () => {
      const { simulator, port } = await startSimulator({ closeAfterAnswer: true });
      const client = makeClient(port);
      for (let i = 0; i < 6; i++) assertOk(await client.pay({ amount: 1, invoice: `N-${i}` }));
      assert.deepEqual(
        simulator.received.map((m) => m.request.invoice),
        ['N-0', 'N-1', 'N-2', 'N-3', 'N-4', 'N-5'],
      );
    });

    it("'bytewise' answers succeed", async () => {
      const { port } = await startSimulator({ fault: 'bytewise' });
      const client = makeClient(port);
      assertOk(await client.pay({ amount: 1, invoice: 'B-1' }), { invoice: 'B-1' });
      // the malformed completion error reply, one byte at a time
      assertFailure(await client.complete({ amount: 1, preauthcode: 'NONE' }), { code: 'TERMINAL', status: 5, outcome: 'failed' });
    });

    it('a slow but steady answer is not a stall: replyStallTimeoutMs limits a pause, not the whole answer', async () => {
      // about 60 bytes, 5 ms apart: the answer takes ~300+ ms, no pause is longer than ~5 ms
      const { port } = await startSimulator({ fault: 'bytewise', byteDelayMs: 5 });
      const client = makeClient(port, { replyStallTimeoutMs: 150 });
      const result = await client.pay({ amount: 1, invoice: 'SLOW-1' });
      assertOk(result, { invoice: 'SLOW-1' });
    });
  });

  describe("'twice': a repeated answer never answers the next request", () => {
    it('many alternating pays and refunds, each OK with its own answer, each received exactly once', async () => {
      const { simulator, port } = await startSimulator({ fault: 'twice' });
      const client = makeClient(port);
      const plan = ['pay', 'pay', 'refund', 'pay', 'refund', 'refund', 'pay', 'refund', 'pay', 'pay', 'refund', 'pay', 'refund', 'refund', 'pay', 'pay', 'refund', 'pay', 'refund', 'pay'];
      const results = [];
      for (const [i, action] of plan.entries()) {
        const result = await client[action]({ amount: `${i + 1}.00`, invoice: `TW-${i}` });
        results.push(result);
        assertOk(result, { action, invoice: `TW-${i}`, amount: `${i + 1}.00` });
        assert.equal(refCounter(result.ref), i + 1, `request ${i} got the answer ${result.ref}`);
      }
      assert.equal(simulator.received.length, plan.length, 'no request was re-sent');
      assert.deepEqual(
        simulator.received.map((m) => m.request.invoice),
        plan.map((_, i) => `TW-${i}`),
      );
      assert.deepEqual(
        simulator.received.map((m) => m.request.action),
        plan,
      );
      assert.equal(new Set(results.map((r) => r.ref)).size, plan.length);
    });
  });

  describe('one request at a time', () => {
    it('a second request while one is open is BUSY, and is not sent', async () => {
      const { simulator, port } = await startSimulator({ delayMs: 200 });
      const client = makeClient(port);
      const first = client.pay({ amount: 1, invoice: 'FIRST' });
      assert.equal(client.busy, true);
      const second = await client.pay({ amount: 2, invoice: 'SECOND' });
      assertFailure(second, { action: 'pay', invoice: 'SECOND', amount: '2.00', code: 'BUSY', outcome: 'not-sent' });
      assert.match(second.message, /Nothing was sent/);
      const third = await client.cancel({ preauthcode: 'P' });
      assertFailure(third, { action: 'cancel', code: 'BUSY', outcome: 'not-sent' });
      assertOk(await first, { invoice: 'FIRST' });
      assert.equal(client.busy, false);
      await sleep(50);
      assert.equal(simulator.received.length, 1);
      assert.equal(simulator.received[0].request.invoice, 'FIRST');
    });

    it('BUSY also while the first request is still connecting', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const first = client.pay({ amount: 1 });
      assertFailure(await client.refund({ amount: 1 }), { code: 'BUSY', outcome: 'not-sent' });
      assertOk(await first);
      assert.equal(simulator.received.length, 1);
    });
  });

  describe('input rules', () => {
    it("client.pay({ amount: '12,50' }) -> INVALID_INPUT / not-sent, and nothing reaches the terminal", async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      const states = [];
      client.onConnectionState((state) => states.push(state));
      const result = await client.pay({ amount: '12,50', invoice: 'X' });
      assertFailure(result, {
        action: 'pay',
        code: 'INVALID_INPUT',
        outcome: 'not-sent',
        ref: '',
        status: null,
        statusName: null,
        statusText: null,
      });
      assert.match(result.message, /amount/);
      assert.match(result.message, /dot/);
      assert.match(result.message, /Nothing was sent/);
      await sleep(30);
      assert.equal(simulator.received.length, 0);
      assert.equal(simulator.connectionCount, 0);
      assert.deepEqual(states, [], 'no connection was even opened');
    });

    it('other input rules through the client', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { maxAmount: '100.00' });
      const cases = [
        [() => client.pay({ amount: '100.01' }), /amount is 100\.01, above this terminal's limit of 100\.00/],
        [() => client.pay({ amount: 0 }), /greater than zero/],
        [() => client.refund({ amount: 1, invoice: 'é' }), /invoice/],
        [() => client.preauth({ amount: 1, receipt: 'YES' }), /receipt/],
        [() => client.complete({ amount: 1 }), /preauthcode/],
        [() => client.cancel({ preauthcode: 'A\nB' }), /preauthcode/],
        [() => client.pay({ amount: '1e3' }), /exponent/],
      ];
      for (const [run, pattern] of cases) {
        const result = await run();
        assertFailure(result, { code: 'INVALID_INPUT', outcome: 'not-sent' });
        assert.match(result.message, pattern);
      }
      assertOk(await client.pay({ amount: '100.00' }));
      assert.equal(simulator.received.length, 1);
    });

    it('the decimals option shapes the amount on the wire', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { decimals: 0 });
      assertOk(await client.pay({ amount: 1200 }), { amount: '1200' });
      assert.equal(simulator.received[0].request.sum, '1200');
      assertFailure(await client.pay({ amount: '12.5' }), { code: 'INVALID_INPUT' });
    });

    it('bad client options are refused at construction', () => {
      const transport = new TcpTransport({ host: HOST, port: 1 });
      assert.throws(() => new TerminalClient({ transport, responseTimeoutMs: 0 }), RangeError);
      assert.throws(() => new TerminalClient({ transport, connectTimeoutMs: -1 }), RangeError);
      assert.throws(() => new TerminalClient({ transport, decimals: 9 }), /decimals/);
      assert.throws(() => new TerminalClient({ transport, maxAmount: '12,50' }), /maxAmount/);
    });
  });

  describe('abort and close', () => {
    it('abort() while waiting -> CONNECTION_LOST / unknown, and the connection is dropped', async () => {
      const { simulator, port } = await startSimulator({ fault: 'silent' });
      const client = makeClient(port, { lateAnswerWindowMs: 200 });
      const pending = client.pay({ amount: 1, invoice: 'AB-1' });
      await waitFor(() => simulator.received.length === 1, 'the request to arrive', 1000);
      client.abort();
      const result = await pending;
      assertFailure(result, { action: 'pay', invoice: 'AB-1', code: 'CONNECTION_LOST', outcome: 'unknown' });
      assert.equal(client.busy, true, 'the terminal may still be at it: the window for a late answer');
      await waitFor(() => simulator.connectionCount === 0, 'the connection to drop', 500);
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      simulator.behaviour = {};
      assertOk(await client.pay({ amount: 1 }));
      assert.equal(simulator.received.length, 2);
    });

    it('abort() with nothing open does nothing', async () => {
      const { port } = await startSimulator();
      const client = makeClient(port);
      client.abort();
      assertOk(await client.pay({ amount: 1 }));
    });

    it('close() while waiting delivers CONNECTION_LOST / unknown and leaves no handle behind', async () => {
      const { simulator, port } = await startSimulator({ fault: 'silent' });
      const withServer = resources(WATCHED);
      const client = makeClient(port, { responseTimeoutMs: 5000 });
      const pending = client.pay({ amount: 1, invoice: 'CL-1' });
      await waitFor(() => simulator.received.length === 1, 'the request to arrive', 1000);
      client.close();
      const result = await pending;
      assertFailure(result, { invoice: 'CL-1', code: 'CONNECTION_LOST', outcome: 'unknown' });
      // the simulator still listens; the client left nothing: no socket, no response timer
      await expectResources(withServer, 'after close()');
      assert.equal(simulator.connectionCount, 0);

      const after = await client.pay({ amount: 1, invoice: 'CL-2' });
      assertFailure(after, { invoice: 'CL-2', code: 'CONNECT', outcome: 'not-sent' });
      assert.match(after.message, /Nothing was sent/);
      await sleep(30);
      assert.equal(simulator.received.length, 1);
    });

    it('close() on an idle connected client closes the connection', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      assertOk(await client.pay({ amount: 1 }));
      assert.equal(simulator.connectionCount, 1);
      client.close();
      await waitFor(() => simulator.connectionCount === 0, 'the connection to close', 500);
      assert.equal(client.connectionState, 'disconnected');
    });

    it('close() while connecting ends at once and leaves no socket or timer behind', async function () {
      const listener = await startUnacceptingListener();
      const client = makeClient(listener.port, { connectTimeoutMs: 1500 });
      const without = resources(WATCHED);
      const pending = client.pay({ amount: 1 });
      await sleep(50);
      assert.equal(client.connectionState, 'connecting');
      client.close();
      const result = await pending;
      assertFailure(result, { code: 'CONNECT', outcome: 'not-sent' });
      // Nothing of the client may linger for the rest of the 1.5 s connect timeout.
      await expectResources(without, 'after close() while connecting');
    });
  });

  describe('connecting', () => {
    it('a connection attempt that fails as it starts (a port out of range) ends at once, with no timer left behind', async () => {
      await new Promise((resolve) => setImmediate(resolve)); // Mocha's own timer starts after the test does
      const before = resources(['Timeout', 'TCPSocketWrap']);
      const transport = new TcpTransport({ host: HOST, port: 70000 });
      const started = Date.now();
      await assert.rejects(transport.connect({ data() {}, closed() {} }, 60_000), /port/i);
      assert.ok(Date.now() - started < 1000, 'rejected without waiting for the connect timeout');
      await expectResources(before, 'after the failed start');
    });

    it('connection refused -> CONNECT / not-sent, quickly', async () => {
      const port = await freePort();
      const client = makeClient(port, { connectTimeoutMs: 5000 });
      const phases = [];
      const started = Date.now();
      const result = await client.pay({ amount: 1, invoice: 'CR-1' }, { onPhase: (phase) => phases.push(phase) });
      assert.ok(Date.now() - started < 2000, 'a refused connection is reported without waiting for the timeout');
      assertFailure(result, { action: 'pay', invoice: 'CR-1', amount: '1.00', code: 'CONNECT', outcome: 'not-sent', status: null });
      assert.match(result.message, /^Terminal not reachable at 127\.0\.0\.1:\d+: nothing answers there\. Is the Payment Interface app open on the terminal\? Nothing was sent\.$/);
      assert.match(result.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(result.message, /Nothing was sent/);
      assert.deepEqual(phases, ['connecting']);
      assert.equal(client.connectionState, 'disconnected');
      assert.equal(client.busy, false);
    });

    it('connect timeout (a listener on 127.0.0.1 whose accept queue is full) -> CONNECT / not-sent', async () => {
      const listener = await startUnacceptingListener();
      const client = makeClient(listener.port, { connectTimeoutMs: 300 });
      const started = Date.now();
      const result = await client.pay({ amount: 1 });
      const elapsed = Date.now() - started;
      assertFailure(result, { code: 'CONNECT', outcome: 'not-sent' });
      assert.match(result.message, /no answer within 0\.3 s\. Is the terminal switched on/);
      assert.ok(elapsed >= 280, `waited for the connect timeout (${elapsed} ms)`);
      listener.stopFillers();
    });

    it('onPhase: connecting, then sent; per request a connection each, reused only sent', async () => {
      const { simulator, port } = await startSimulator();
      const phases = [];
      const onPhase = (phase, request) => phases.push(`${phase}:${request.invoice}`);
      const perRequest = makeClient(port);
      assert.equal(perRequest.connectionMode, 'per-request', 'the default');
      assertOk(await perRequest.pay({ amount: 1, invoice: 'A' }, { onPhase }));
      assertOk(await perRequest.pay({ amount: 1, invoice: 'B' }, { onPhase }));
      assert.deepEqual(phases.splice(0), ['connecting:A', 'sent:A', 'connecting:B', 'sent:B']);
      await waitFor(() => simulator.connectionCount === 0, 'each connection to be closed after its answer', 500);
      const reuse = makeClient(port, { connectionMode: 'reuse' });
      assertOk(await reuse.pay({ amount: 1, invoice: 'C' }, { onPhase }));
      assertOk(await reuse.pay({ amount: 1, invoice: 'D' }, { onPhase }));
      assert.deepEqual(phases, ['connecting:C', 'sent:C', 'sent:D']);
    });

    it('onConnectionState (reuse): connecting, connected, disconnected; the connection is reused; unsubscribing works', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { connectionMode: 'reuse' });
      const states = [];
      const other = [];
      client.onConnectionState((state) => states.push(state));
      const stop = client.onConnectionState((state) => other.push(state));
      assert.equal(client.connectionState, 'disconnected');
      assertOk(await client.pay({ amount: 1 }));
      assert.deepEqual(states, ['connecting', 'connected']);
      assert.equal(client.connectionState, 'connected');
      assertOk(await client.refund({ amount: 1 }));
      assertOk(await client.preauth({ amount: 1 }));
      assert.deepEqual(states, ['connecting', 'connected'], 'one connection for three requests');
      assert.equal(simulator.connectionCount, 1);
      stop();
      simulator.dropConnections();
      await waitFor(() => client.connectionState === 'disconnected', 'the drop to be noticed', 500);
      assert.deepEqual(states, ['connecting', 'connected', 'disconnected']);
      assert.deepEqual(other, ['connecting', 'connected']);
      assertOk(await client.pay({ amount: 1 }));
      assert.deepEqual(states, ['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
      client.close();
      assert.deepEqual(states, ['connecting', 'connected', 'disconnected', 'connecting', 'connected', 'disconnected']);
    });

    it('a connection the terminal dropped while idle is replaced on the next request', async () => {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { connectionMode: 'reuse' });
      assertOk(await client.pay({ amount: 1 }));
      simulator.dropConnections();
      await waitFor(() => client.connectionState === 'disconnected', 'the drop to be noticed', 500);
      assertOk(await client.pay({ amount: 1 }));
      assert.equal(simulator.received.length, 2);
    });
  });

  describe('hand-made terminals', () => {
    it('a reply that stalls after its first bytes -> TIMEOUT / unknown after replyStallTimeoutMs', async () => {
      const answer = '<payresp>\n  <result>OK</result>\n  <ref>123</ref>\n</payresp>\n';
      const { port, sockets } = await startServer((socket) => {
        onRequests(socket, () => socket.write(answer.slice(0, 20)));
      });
      const client = makeClient(port, { responseTimeoutMs: 5000, replyStallTimeoutMs: 200 });
      const started = Date.now();
      const result = await client.pay({ amount: 1, invoice: 'ST-1' });
      const elapsed = Date.now() - started;
      assertFailure(result, { code: 'TIMEOUT', outcome: 'unknown', invoice: 'ST-1' });
      assert.match(result.message, /began to answer/);
      assert.ok(elapsed >= 190 && elapsed < 2000, `gave up after the stall timeout, not the response timeout (${elapsed} ms)`);
      await waitFor(() => sockets.size === 0, 'the connection to drop', 500);
    });

    it('a multi-byte status_text split across TCP writes is decoded correctly', async () => {
      const reply = Buffer.from('<payresp>\n  <result>ERROR</result>\n  <status>2</status>\n  <status_text>Hibás kártya – elutasítva</status_text>\n  <ref></ref>\n</payresp>\n', 'utf8');
      const a = reply.indexOf(Buffer.from('á')) + 1; // inside "á"
      const b = reply.indexOf(Buffer.from('–')) + 2; // inside the 3-byte dash
      const { port, later } = await startServer((socket) => {
        onRequests(socket, () => {
          socket.write(reply.subarray(0, a));
          later(30, () => socket.write(reply.subarray(a, b)));
          later(60, () => socket.write(reply.subarray(b)));
        });
      });
      const client = makeClient(port);
      const result = await client.pay({ amount: 1 });
      assertFailure(result, { code: 'TERMINAL', outcome: 'failed', status: 2, statusName: 'TRANSACTION_DECLINED', statusText: 'Hibás kártya – elutasítva' });
    });

    it('the malformed completion reply and the seed spellings over TCP', async () => {
      const answers = {
        preauthcompletion: '< preautcompletionhresp >\n  <result>ERROR</result>\n  <status>3</status>\n  <status_text>TRANSACTION_FAILED</status_text>\n  <ref></ref>\n</ preautcompletionhresp >\n',
        preauthcancel: '<preautcancelresp>\n  <result>OK</result>\n  <ref>REF</ref>\n</preautcancelresp >\n',
      };
      const { port } = await startServer((socket) => {
        onRequests(socket, (request) => {
          const root = /<(preauthcompletion|preauthcancel)>/.exec(request)[1];
          socket.write(answers[root]);
        });
      });
      const client = makeClient(port);
      assertFailure(await client.complete({ amount: 1, preauthcode: 'P' }), { code: 'TERMINAL', status: 3, statusText: 'TRANSACTION_FAILED' });
      assertOk(await client.cancel({ preauthcode: 'P' }), { ref: 'REF' });
    });

    it('an answer nobody asked for drops the connection; the next request gets its own answer', async () => {
      let count = 0;
      const { port, later } = await startServer((socket) => {
        onRequests(socket, () => {
          count += 1;
          socket.write(`<payresp><result>OK</result><ref>R${count}</ref></payresp>`);
          // a stray answer, after the answer's confirmation window
          later(150, () => {
            if (!socket.destroyed) socket.write('<payresp><result>OK</result><ref>STRAY</ref></payresp>');
          });
        });
      });
      const client = makeClient(port, { connectionMode: 'reuse', answerGuardMs: 50 });
      const states = [];
      client.onConnectionState((state) => states.push(state));
      assertOk(await client.pay({ amount: 1 }), { ref: 'R1' });
      await waitFor(() => client.connectionState === 'disconnected', 'the stray answer to drop the connection', 500);
      assertOk(await client.pay({ amount: 1 }), { ref: 'R2' });
      assert.deepEqual(states.slice(0, 4), ['connecting', 'connected', 'disconnected', 'connecting']);
      assert.equal(count, 2);
    });

    it('a stray partial answer on an idle connection drops it', async () => {
      let count = 0;
      const { port, later } = await startServer((socket) => {
        onRequests(socket, () => {
          count += 1;
          socket.write(`<payresp><result>OK</result><ref>R${count}</ref></payresp>`);
          later(40, () => {
            if (!socket.destroyed) socket.write('<payresp><result>O');
          });
        });
      });
      const client = makeClient(port, { connectionMode: 'reuse', answerGuardMs: 10 });
      assertOk(await client.pay({ amount: 1 }), { ref: 'R1' });
      await waitFor(() => client.connectionState === 'disconnected', 'the stray bytes to drop the connection', 500);
      assertOk(await client.pay({ amount: 1 }), { ref: 'R2' });
    });

    it('a reply for another action is PROTOCOL even when it says OK', async () => {
      const { port } = await startServer((socket) => {
        onRequests(socket, () => socket.write('<payresp><result>OK</result><ref>1</ref></payresp>'));
      });
      const client = makeClient(port);
      assertFailure(await client.refund({ amount: 1 }), { code: 'PROTOCOL', outcome: 'unknown', action: 'refund' });
      await waitFor(() => client.connectionState === 'disconnected', 'the connection to drop', 500);
    });

    it('an oversized answer is PROTOCOL and drops the connection', async () => {
      const { port, sockets } = await startServer((socket) => {
        onRequests(socket, () => socket.write(`<payresp><result>OK</result><ref>${'9'.repeat(70 * 1024)}</ref></payresp>`));
      });
      const client = makeClient(port);
      const result = await client.pay({ amount: 1 });
      assertFailure(result, { code: 'PROTOCOL', outcome: 'unknown' });
      assert.match(result.message, /longer than/);
      await waitFor(() => sockets.size === 0, 'the connection to drop', 500);
    });

    it('a DOCTYPE answer is PROTOCOL', async () => {
      const { port } = await startServer((socket) => {
        onRequests(socket, () => socket.write('<!DOCTYPE payresp [<!ENTITY a "b">]><payresp><result>OK</result><ref>&a;</ref></payresp>'));
      });
      const client = makeClient(port);
      assertFailure(await client.pay({ amount: 1 }), { code: 'PROTOCOL', outcome: 'unknown' });
    });
  });
});
