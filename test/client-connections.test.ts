/**
 * TerminalClient over TcpTransport against the real TerminalSimulator and hand-made servers
 * (test/support/client-harness.ts): connecting, broken connections, one request at a time, input
 * rules, abort and close.
 */
import assert from 'node:assert/strict';
import { TerminalClient, TcpTransport } from '../src';
import type { ConnectionState, TransactionResult } from '../src';
import type { TransactionPhase } from '../src/client/transaction';
import type { TerminalRequest } from '../src/protocol';
import { delay as sleep, waitFor } from './support/wait';
import { resources, expectResources } from './support/resources';
import { HOST, WATCHED, assertFailure, assertOk, checkLeaksAroundEachTest, makeClient, onRequests, refCounter, startServer, startSimulator, startUnacceptingListener } from './support/client-harness';
import { freePort } from './support/ports';

describe('client: TerminalClient over TCP against the simulator', function () {
  this.timeout(8000);

  // Leak check around every test of this file.
  checkLeaksAroundEachTest();

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
      const states: ConnectionState[] = [];
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
        simulator.received.map((m) => m.request?.invoice),
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
      // P: pay, R: refund, mixed so that a repeated answer of one kind meets a request of the other.
      const plan = [...'PPRPRRPRPPRPRRPPRPRP'].map((letter) => (letter === 'P' ? 'pay' : 'refund'));
      const results: TransactionResult[] = [];
      for (const [i, action] of plan.entries()) {
        const result = await client[action]({ amount: `${i + 1}.00`, invoice: `TW-${i}` });
        results.push(result);
        assertOk(result, { action, invoice: `TW-${i}`, amount: `${i + 1}.00` });
        assert.equal(refCounter(result.ref), i + 1, `request ${i} got the answer ${result.ref}`);
      }
      assert.equal(simulator.received.length, plan.length, 'no request was re-sent');
      assert.deepEqual(
        simulator.received.map((m) => m.request?.invoice),
        plan.map((_, i) => `TW-${i}`),
      );
      assert.deepEqual(
        simulator.received.map((m) => m.request?.action),
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
      assert.equal(simulator.received[0].request?.invoice, 'FIRST');
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
      const states: ConnectionState[] = [];
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
      const cases: [() => Promise<TransactionResult>, RegExp][] = [
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
      assert.equal(simulator.received[0].request?.sum, '1200');
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
      await assert.rejects(transport.connect({ data: () => undefined, closed: () => undefined }, 60_000), /port/i);
      assert.ok(Date.now() - started < 1000, 'rejected without waiting for the connect timeout');
      await expectResources(before, 'after the failed start');
    });

    it('connection refused -> CONNECT / not-sent, quickly', async () => {
      const port = await freePort();
      const client = makeClient(port, { connectTimeoutMs: 5000 });
      const phases: string[] = [];
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
      const phases: string[] = [];
      const onPhase = (phase: TransactionPhase, request: TerminalRequest): number => phases.push(`${phase}:${request.invoice}`);
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
      const states: ConnectionState[] = [];
      const other: ConnectionState[] = [];
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
      const answers: Record<string, string> = {
        preauthcompletion: '< preautcompletionhresp >\n  <result>ERROR</result>\n  <status>3</status>\n  <status_text>TRANSACTION_FAILED</status_text>\n  <ref></ref>\n</ preautcompletionhresp >\n',
        preauthcancel: '<preautcancelresp>\n  <result>OK</result>\n  <ref>REF</ref>\n</preautcancelresp >\n',
      };
      const { port } = await startServer((socket) => {
        onRequests(socket, (request) => {
          const root = String(/<(preauthcompletion|preauthcancel)>/.exec(request)?.[1]);
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
      const states: ConnectionState[] = [];
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
