/**
 * TerminalClient over TcpTransport against the real TerminalSimulator (test/support/client-harness.ts):
 * the five actions, what the terminal answers, and waiting for it.
 */
import assert from 'node:assert/strict';
import { TerminalSimulator } from '../src';
import type { Activity, LateAnswer, TerminalClient } from '../src';
import { delay as sleep, waitFor } from './support/wait';
import { HOST, assertFailure, assertOk, checkLeaksAroundEachTest, closeAfterTest, makeClient, refCounter, startSimulator, wireXml } from './support/client-harness';

describe('client: TerminalClient over TCP against the simulator', function () {
  this.timeout(8000);

  // Leak check around every test of this file.
  checkLeaksAroundEachTest();

  it('simulators given different ref prefixes never give the same ref (one for each of several terminals)', async () => {
    assert.throws(() => new TerminalSimulator({ refPrefix: '1a' }), /refPrefix must be digits/);
    const refs = [];
    for (const refPrefix of ['07', '08']) {
      const simulator = new TerminalSimulator({ refPrefix });
      const port = await simulator.listen(0, HOST);
      closeAfterTest(() => simulator.close());
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
      assert.match(a.invoice ?? '', /^[\x20-\x7e]{1,50}$/);
      assert.notEqual(a.invoice, b.invoice);
      assert.equal(simulator.received[0].request?.invoice, a.invoice);
      assert.equal(simulator.received[1].request?.invoice, b.invoice);
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

    for (const connectionMode of ['per-request', 'reuse'] as const) {
      it(`${connectionMode}: a late answer is taken as its own request's outcome, and never as the next one's; the next waits for it`, async () => {
        const { simulator, port } = await startSimulator();
        // Request 1 times out at 300 ms; request 2, queued meanwhile, must not go out before
        // request 1's late answer (due at 400 ms), which is its outcome, not request 2's.
        simulator.nextBehaviours.push({ delayMs: 400 }, { delayMs: 50 });
        const client = makeClient(port, { connectionMode, responseTimeoutMs: 300, queueLimit: 1, answerGuardMs: 0 });
        const late: LateAnswer[] = [];
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
          simulator.received.map((m) => m.request?.invoice),
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
    function watchActivity(client: TerminalClient): Activity[] {
      const heard: Activity[] = [];
      client.onActivity((activity) => heard.push(activity));
      return heard;
    }
    const named = (activity: Activity): string => (activity.kind === 'idle' ? 'idle' : `${activity.kind} ${activity.request.invoice}`);

    /** An open request or the wait for a late answer (not idle), with what it is about and since when. */
    function held(activity: Activity | undefined): Exclude<Activity, { kind: 'idle' }> {
      assert.ok(activity && activity.kind !== 'idle', `the terminal is held, not ${activity?.kind ?? 'nothing'}`);
      return activity;
    }

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
      assert.equal(open.request.amount?.text, '12.50');
      assert.equal(open.request.invoice, 'ACT-1');
      assert.ok(open.since >= before && open.since <= Date.now(), 'since it left the queue');
      await sleep(150);
      assert.equal(held(client.activity).since, open.since, 'the same time while it stays open');
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
      assert.equal('code' in result && result.code, 'TIMEOUT');
      const waiting = client.activity;
      assert.equal(waiting.kind, 'late-answer');
      assert.equal(waiting.request.invoice, 'ACT-LATE');
      assert.ok(Date.now() - waiting.since < 100, 'since the request ended');
      await sleep(0);
      assert.equal(held(heard[1]).since - held(heard[0]).since >= 190, true, 'the wait began a timeout after the request');
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
      assert.equal(held(client.activity).request.invoice, 'Q-1', 'a queued request holds nothing yet');
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
});
