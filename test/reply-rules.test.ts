// How an answer is matched to its request ("One terminal, one truth"), in each connection model:
// TCP per-request (the default), TCP reuse, and serial (kept open, over a socat pty pair). The
// client is used directly, with a journal in a temporary directory, against the simulator (with
// a record of what it received and answered, see support/fault-env.ts) or a hand-made terminal
// for answers the simulator cannot make.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SerialPort } from 'serialport';
import { Journal, SerialTransport, TcpTransport, TerminalClient } from '../src';
import type { ConnectionMode, ErrorCode, LateAnswer, TerminalClientOptions, TransactionResult } from '../src';
import type { RequestEnding } from '../src/protocol';
import { HOST, baseline, expectResources, journalRecords, keyOf, serialEnv, sleep, tcpEnv, tempDir, waitFor, type FaultBehaviour, type WireWrite } from './support/fault-env';
import { PtyPair } from './support/pty';
import { PendingTimers, handMadeServer, requestSplitter } from './support/hand-made-terminal';
import { asFailure } from './support/results';

const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

/** The options of the client a case sets; the connection is the case's own. */
type ClientOptions = Partial<TerminalClientOptions>;

interface Model {
  readonly name: string;
  readonly kind: 'tcp' | 'serial';
  readonly connectionMode: ConnectionMode;
}

/** The three ways to a terminal; `env` opens the client against the simulator (fault-env.ts). */
const TCP_PER_REQUEST: Model = { name: 'TCP per-request', kind: 'tcp', connectionMode: 'per-request' };
const TCP_REUSE: Model = { name: 'TCP reuse', kind: 'tcp', connectionMode: 'reuse' };
const SERIAL: Model = { name: 'serial (kept open)', kind: 'serial', connectionMode: 'keep-open' };
const MODELS = [TCP_PER_REQUEST, TCP_REUSE, SERIAL];
const TCP_MODELS = MODELS.filter((model) => model.kind === 'tcp');

type SimulatorEnv = Awaited<ReturnType<typeof tcpEnv>> | Awaited<ReturnType<typeof serialEnv>>;

function simulatorEnv(model: Model, clientOptions: ClientOptions = {}): Promise<SimulatorEnv> {
  return model.kind === 'serial' ? serialEnv({ clientOptions }) : tcpEnv({ clientOptions: { connectionMode: model.connectionMode, ...clientOptions } });
}

const summary = (result: TransactionResult) => (result.result === 'OK' ? `OK ref ${result.ref}` : `${result.code}/${result.outcome}: ${result.message}`);

function assertOk(result: TransactionResult, ref: string | undefined, what: string): void {
  assert.equal(result.result, 'OK', `${what}: ${summary(result)}`);
  assert.equal(result.ref, ref, `${what} carries the answer the terminal made for it (ref ${ref}), not ${result.ref}`);
}

function assertUnknown(result: TransactionResult, code: ErrorCode, what: string): void {
  assert.equal(result.result, 'ERROR', `${what}: ${summary(result)}`);
  const failure = asFailure(result);
  assert.equal(failure.code, code, `${what}: ${summary(result)}`);
  assert.equal(failure.outcome, 'unknown', `${what}: ${summary(result)}`);
  assert.match(failure.message, UNKNOWN_ADVICE);
}

interface Wire {
  /** When each request reached the simulator, by request key (undefined: a message it could not read). */
  readonly received: Map<string | undefined, number>;
  /** Every answer written since recordWire, repeats (the `repeatsAfterMs` fault) included. */
  readonly writes: readonly WireWrite[];
}

/** Times of what the simulator receives, by request key (`pay:INV`), and of every answer it writes from now on. */
function recordWire(e: SimulatorEnv): Wire {
  const received = new Map<string | undefined, number>();
  e.log.onReceive((message: { request?: Parameters<typeof keyOf>[0] }) => received.set(keyOf(message.request), performance.now()));
  const from = e.log.writes.length;
  return {
    received,
    get writes() {
      return e.log.writes.slice(from);
    },
  };
}

/** Runs `body(e)` against the simulator in `model`; closes everything and checks nothing is left. */
async function withSimulator(model: Model, clientOptions: ClientOptions, body: (e: SimulatorEnv) => Promise<void>): Promise<void> {
  const before = await baseline();
  const e = await simulatorEnv(model, clientOptions);
  try {
    await body(e);
  } finally {
    await e.close();
  }
  await expectResources(before, `after the ${model.name} case`);
}

// ---------------------------------------------------------------------------------------------
// A hand-made terminal: what it answers is up to the test; it records the raw bytes it received.
// ---------------------------------------------------------------------------------------------

/** Writes an answer on the link a request came by. */
type Write = (text: string) => unknown;

interface Terminal {
  raw: string;
  readonly requests: { xml: string; at: number }[];
  connections: number;
  /** Answers the `count`th request, on its link. */
  onRequest: (xml: string, write: Write, count: number) => void;
  readonly timers: PendingTimers;
  later(ms: number, fn: () => void): void;
}

interface HandMade extends Terminal {
  readonly client: TerminalClient;
  readonly journal: Journal;
  readonly journalFile: string;
  /** The terminal's app restarts: its connections are gone (TCP). */
  readonly dropConnections?: () => void;
  close(): Promise<void>;
}

/** Splits what a link carries into requests; `onRequest(xml, write)` answers on the same link. */
function requestReader(terminal: Terminal, write: Write): (chunk: Buffer) => void {
  const split = requestSplitter((xml) => {
    terminal.requests.push({ xml, at: performance.now() });
    terminal.onRequest(xml, write, terminal.requests.length);
  });
  return (chunk) => {
    terminal.raw += chunk.toString('latin1');
    split(chunk);
  };
}

function newTerminal(): Terminal {
  const timers = new PendingTimers();
  return { raw: '', requests: [], connections: 0, onRequest: () => undefined, timers, later: (ms, fn) => timers.later(ms, fn) };
}

/** The client (TCP, `connectionMode`) against a hand-made terminal on 127.0.0.1, with a journal. */
async function handMadeTcp(connectionMode: ConnectionMode, clientOptions: ClientOptions = {}): Promise<HandMade> {
  const terminal = newTerminal();
  const server = await handMadeServer((socket) => {
    terminal.connections += 1;
    socket.on(
      'data',
      requestReader(terminal, (text) => !socket.destroyed && socket.write(text)),
    );
  });
  const dir = tempDir('mypos-reply-rules-');
  const journalFile = path.join(dir, 'journal.jsonl');
  const journal = new Journal(journalFile);
  const client = new TerminalClient({
    transport: new TcpTransport({ host: HOST, port: server.port }),
    connectionMode,
    responseTimeoutMs: 1500,
    connectTimeoutMs: 2000,
    lateAnswerWindowMs: 100,
    journal,
    ...clientOptions,
  });
  return Object.assign(terminal, {
    client,
    journal,
    journalFile,
    dropConnections: server.dropConnections,
    async close() {
      client.close();
      terminal.timers.clear();
      await server.close();
      await journal.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** The client (serial, kept open) on one end of a pty pair; the test writes the terminal's answers to the other. */
async function handMadeSerial(clientOptions: ClientOptions = {}): Promise<HandMade> {
  const terminal = newTerminal();
  const pty = new PtyPair();
  await pty.start();
  const far = new SerialPort({ path: pty.terminalSide, baudRate: 115200, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => far.open((error) => (error ? reject(error) : resolve())));
  terminal.connections = 1;
  far.on(
    'data',
    requestReader(terminal, (text) => far.isOpen && far.write(text)),
  );
  const dir = tempDir('mypos-reply-rules-serial-');
  const journalFile = path.join(dir, 'journal.jsonl');
  const journal = new Journal(journalFile);
  const client = new TerminalClient({
    transport: new SerialTransport({ path: pty.nodeSide }),
    keepOpen: true,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    responseTimeoutMs: 1500,
    connectTimeoutMs: 2000,
    lateAnswerWindowMs: 100,
    journal,
    ...clientOptions,
  });
  client.start();
  await waitFor(() => client.connectionState === 'connected', 'the serial port to open');
  return Object.assign(terminal, {
    client,
    journal,
    journalFile,
    async close() {
      client.close();
      terminal.timers.clear();
      await new Promise<void>((resolve) => (far.isOpen ? far.close(() => resolve()) : resolve()));
      await journal.close();
      await pty.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

function handMade(model: Model, clientOptions: ClientOptions): Promise<HandMade> {
  return model.kind === 'serial' ? handMadeSerial(clientOptions) : handMadeTcp(model.connectionMode, clientOptions);
}

async function withHandMade(model: Model, clientOptions: ClientOptions, body: (t: HandMade) => Promise<void>): Promise<void> {
  const before = await baseline();
  const t = await handMade(model, clientOptions);
  try {
    await body(t);
  } finally {
    await t.close();
  }
  await expectResources(before, `after the ${model.name} case`);
}

const approval = (ref: string) => `<payresp><result>OK</result><ref>${ref}</ref></payresp>`;
const DECLINE = '<payresp><result>ERROR</result><status>2</status><status_text>TRANSACTION_DECLINED</status_text><ref></ref></payresp>';

// =============================================================================================

describe('reply rules: how an answer is matched to its request, in each connection model', function () {
  this.timeout(10000);

  describe('a late answer is the outcome of the request it answers', () => {
    for (const model of MODELS) {
      it(`${model.name}: onLateAnswer names that request, the journal gets its "late" line and no longer lists it unresolved; a request queued meanwhile goes out after it and gets its own answer`, async () => {
        // Request 1 times out at 400 ms; its answer comes at 700 ms, within the 3 s window.
        await withSimulator(model, { responseTimeoutMs: 400, lateAnswerWindowMs: 3000, queueLimit: 1 }, async (e) => {
          const wire = recordWire(e);
          const lates: (LateAnswer & { at: number })[] = [];
          e.client.onLateAnswer((late) => lates.push({ ...late, at: performance.now() }));
          e.simulator.nextBehaviours.push({ delayMs: 700 }, { delayMs: 100 });
          const first = unique('LATE');
          const firstKey = `pay:${first}`;
          const timedOut = await e.client.pay({ amount: '1.00', invoice: first });
          assertUnknown(timedOut, 'TIMEOUT', first);
          await waitFor(() => e.journal.unresolved.some((entry) => entry.invoice === first), `${first} to be listed unresolved`, 250);
          assert.equal(lates.length, 0, 'no answer yet');

          // Made at once: waits (queue of one) while request 1 may still be answered.
          const second = unique('NEXT');
          const result = await e.client.pay({ amount: '2.00', invoice: second });

          assert.equal(lates.length, 1, 'onLateAnswer fired once');
          const [late] = lates;
          assert.equal(late.request.invoice, first);
          assertOk(late.result, e.log.refsFor(firstKey)[0], 'the late answer');
          assertOk(result, e.log.refsFor(`pay:${second}`)[0], second);
          const secondAt = wire.received.get(`pay:${second}`);
          assert.ok(secondAt !== undefined, `${second} reached the terminal`);
          assert.ok(secondAt > late.at, `${second} reached the terminal ${(late.at - secondAt).toFixed(0)} ms before the late answer to ${first} arrived`);
          assert.deepEqual(
            e.log.received.map((message) => message.request?.invoice),
            [first, second],
          );

          const records = await waitFor(
            () => {
              const found = journalRecords(e.journalFile, firstKey);
              return found.lates?.length === 1 ? { ends: found.ends, lates: found.lates } : undefined;
            },
            `the late line for ${first}`,
            1000,
          );
          assert.equal(records.ends.length, 1);
          assert.equal(records.ends[0].outcome, 'unknown', 'it ended unknown');
          assert.equal(records.lates[0].outcome, 'ok', 'then its late answer said: approved');
          assert.equal(records.lates[0].ref, late.result.ref);
          assert.deepEqual(
            e.journal.unresolved.map((entry) => entry.invoice),
            [],
            'the late answer settled it: nothing unresolved',
          );
        });
      });
    }
  });

  describe('a repeated answer never answers the next request (TCP)', () => {
    for (const model of TCP_MODELS) {
      for (const kind of ['approval', 'decline'] as const) {
        for (const repeatAt of [400, 2000]) {
          it(`${model.name}: ${kind === 'approval' ? 'an' : 'a'} ${kind} repeated ${repeatAt} ms after it, while the next request waits for its own slow answer: the next gets its own answer`, async () => {
            await withSimulator(model, { responseTimeoutMs: 3000 }, async (e) => {
              const wire = recordWire(e);
              const repeating: FaultBehaviour = { ...(kind === 'decline' && { fault: 'decline' }), repeatsAfterMs: [repeatAt] };
              e.simulator.nextBehaviours.push(repeating, { delayMs: 800 });
              const first = unique('FIRST');
              const result = await e.client.pay({ amount: '1.00', invoice: first });
              if (kind === 'approval') assertOk(result, e.log.refsFor(`pay:${first}`)[0], first);
              else assert.equal(`${asFailure(result).code}/${asFailure(result).outcome}/${asFailure(result).status}`, 'TERMINAL/failed/2', summary(result));
              const answeredAt = wire.writes[0].at;

              // The next request is sent so that it is open at the terminal when the repeat comes.
              await sleep(Math.max(0, answeredAt + repeatAt - 300 - performance.now()));
              const next = unique('NEXT');
              const nextResult = await e.client.pay({ amount: '2.00', invoice: next });
              assertOk(nextResult, e.log.refsFor(`pay:${next}`)[0], `${next} after a repeated ${kind}`);

              // The case shows what it claims: the repeat was due while the next was open.
              const sentAt = wire.received.get(`pay:${next}`);
              assert.ok(sentAt !== undefined, `${next} reached the terminal`);
              const ownAnswerAt = wire.writes.find((write) => !write.repeat && write.at > sentAt)?.at;
              assert.ok(ownAnswerAt !== undefined, `${next} was answered`);
              const repeatDue = answeredAt + repeatAt;
              assert.ok(
                sentAt < repeatDue && repeatDue < ownAnswerAt,
                `the next was open from +${(sentAt - answeredAt).toFixed(0)} to +${(ownAnswerAt - answeredAt).toFixed(0)} ms, the repeat came at +${repeatAt} ms`,
              );
            });
          });
        }
      }
    }
  });

  describe('serial: the link is quiet before the next request', () => {
    const serial = SERIAL;

    it('a decline repeated 400 ms and 1.5 s after it never answers the next request: the next goes out once the link was quiet for 2 s', async () => {
      await withSimulator(serial, { responseTimeoutMs: 3000 }, async (e) => {
        const wire = recordWire(e);
        const repeating: FaultBehaviour = { fault: 'decline', repeatsAfterMs: [400, 1500] };
        e.simulator.nextBehaviours.push(repeating, { delayMs: 800 });
        const declined = await e.client.pay({ amount: '1.00', invoice: unique('DECLINED') });
        assert.equal(`${asFailure(declined).code}/${asFailure(declined).outcome}/${asFailure(declined).status}`, 'TERMINAL/failed/2', summary(declined));
        const declinedAt = wire.writes[0].at;

        const next = unique('NEXT');
        const result = await e.client.pay({ amount: '2.00', invoice: next });
        assertOk(result, e.log.refsFor(`pay:${next}`)[0], `${next} after a repeated decline`);

        const sentAt = wire.received.get(`pay:${next}`);
        assert.ok(sentAt !== undefined, `${next} reached the terminal`);
        const repeats = wire.writes.filter((write) => write.repeat);
        assert.equal(repeats.length, 2);
        assert.ok(
          repeats.every((write) => write.delivered),
          'both repeats reached the client (a serial link stays open)',
        );
        const lastRepeatAt = repeats[repeats.length - 1].at;
        console.log(
          `      serial: the next request went out ${(sentAt - declinedAt).toFixed(0)} ms after the decline ` +
            `(repeats at +${repeats.map((write) => (write.at - declinedAt).toFixed(0)).join(' and +')} ms; ${(sentAt - lastRepeatAt).toFixed(0)} ms after the last)`,
        );
        assert.ok(sentAt - declinedAt >= 2000, `the next request went out ${(sentAt - declinedAt).toFixed(0)} ms after the decline, before 2 s of quiet`);
        // Bytes in the quiet time start it again: 2 s of quiet after the last of them.
        assert.ok(sentAt - lastRepeatAt >= 1990, `the next request went out ${(sentAt - lastRepeatAt).toFixed(0)} ms after the last repeat`);
      });
    });

    it('an approval repeated 400 ms after it, while the next request is open, is recognised by its ref and ignored', async () => {
      await withSimulator(serial, { responseTimeoutMs: 3000 }, async (e) => {
        const wire = recordWire(e);
        const repeating: FaultBehaviour = { repeatsAfterMs: [400] };
        e.simulator.nextBehaviours.push(repeating, { delayMs: 800 });
        const first = unique('FIRST');
        assertOk(await e.client.pay({ amount: '1.00', invoice: first }), e.log.refsFor(`pay:${first}`)[0], first);
        const answeredAt = wire.writes[0].at;
        const next = unique('NEXT');
        const result = await e.client.pay({ amount: '2.00', invoice: next });
        assertOk(result, e.log.refsFor(`pay:${next}`)[0], `${next} after a repeated approval`);
        const sentAt = wire.received.get(`pay:${next}`);
        assert.ok(sentAt !== undefined, `${next} reached the terminal`);
        const repeat = wire.writes.find((write) => write.repeat);
        assert.ok(repeat, 'the approval was repeated');
        assert.ok(repeat.delivered && sentAt < repeat.at, `the repeat (+${(repeat.at - answeredAt).toFixed(0)} ms) came while the next was open (sent +${(sentAt - answeredAt).toFixed(0)} ms)`);
      });
    });
  });

  describe('serial: a repeat of a late answer never answers the next request', () => {
    const serial = SERIAL;
    // The late answer ends the wait; the link stays (a serial port is not replaced for it), so the
    // next request, queued meanwhile, must still wait for the link to be quiet after it.
    for (const kind of ['approval', 'decline'] as const) {
      it(`a late ${kind} repeated 400 ms later: the queued request goes out after the quiet time and gets its own answer`, async () => {
        await withSimulator(serial, { responseTimeoutMs: 400, lateAnswerWindowMs: 3000, queueLimit: 1 }, async (e) => {
          const repeating: FaultBehaviour = { ...(kind === 'decline' && { fault: 'decline' }), delayMs: 700, repeatsAfterMs: [400] };
          e.simulator.nextBehaviours.push(repeating, { delayMs: 800 });
          const late: LateAnswer[] = [];
          e.client.onLateAnswer((answer) => late.push(answer));
          const first = unique('LATE');
          const next = unique('NEXT');
          const timedOut = e.client.pay({ amount: '1.00', invoice: first });
          await sleep(50);
          const queued = e.client.pay({ amount: '2.00', invoice: next }, { responseTimeoutMs: 5000 });
          const [a, b] = await Promise.all([timedOut, queued]);
          assert.equal(`${asFailure(a).code}/${asFailure(a).outcome}`, 'TIMEOUT/unknown', summary(a));
          assert.equal(late.length, 1, "the late answer was taken as the first request's");
          assertOk(b, e.log.refsFor(`pay:${next}`)[0], `${next} after a repeated late ${kind}`);
        });
      });
    }
  });

  describe('an answer that contradicts itself, or a second different answer, is PROTOCOL with the outcome unknown', () => {
    const CASES: { name: string; answer: (write: Write, t: HandMade) => void; message: RegExp }[] = [
      {
        name: 'ERROR with status 0 (TRANSACTION_SUCCESS)',
        answer: (write) => write('<payresp><result>ERROR</result><status>0</status><status_text>TRANSACTION_SUCCESS</status_text><ref>C-1</ref></payresp>'),
        message: /contradicts itself: ERROR with status 0/,
      },
      {
        name: 'OK with status 3 (TRANSACTION_FAILED)',
        answer: (write) => write('<payresp><result>OK</result><status>3</status><status_text>TRANSACTION_FAILED</status_text><ref>C-2</ref></payresp>'),
        message: /contradicts itself: OK with status 3/,
      },
      {
        name: 'a decline, then 50 ms later (within the confirmation window) an approval',
        answer: (write, t) => {
          write(DECLINE);
          t.later(50, () => write(approval('C-3')));
        },
        message: /two different answers to one request: first "ERROR, status 2, TRANSACTION_DECLINED", then "OK, ref C-3"/,
      },
    ];
    for (const model of MODELS) {
      for (const kase of CASES) {
        it(`${model.name}: ${kase.name} -> PROTOCOL/unknown, recorded unknown`, async () => {
          await withHandMade(model, {}, async (t) => {
            t.onRequest = (_xml, write) => kase.answer(write, t);
            const invoice = unique('CONTRA');
            const result = await t.client.pay({ amount: '1.00', invoice });
            assertUnknown(result, 'PROTOCOL', invoice);
            assert.match(asFailure(result).message, kase.message);
            assert.equal(t.requests.length, 1);
            const records = await waitFor(() => {
              const found = journalRecords(t.journalFile, `pay:${invoice}`);
              return found.ends.length === 1 ? found : undefined;
            }, 'the end line');
            assert.equal(records.ends[0].outcome, 'unknown');
            assert.deepEqual(
              t.journal.unresolved.map((entry) => entry.invoice),
              [invoice],
            );
          });
        });
      }
    }
  });

  describe('an approval with a ref seen before', () => {
    for (const model of TCP_MODELS) {
      it(`${model.name}: after the terminal restarted (new connection, refs counted from the start), an approval with an earlier ref is taken at once`, async () => {
        await withHandMade(model, { responseTimeoutMs: 3000 }, async (t) => {
          let count = 0;
          t.onRequest = (_xml, write) => write(approval(`R-${++count}`));
          assertOk(await t.client.pay({ amount: '1.00', invoice: unique('BEFORE') }), 'R-1', 'before the restart');
          // The app restarts: its connection is gone and it counts refs from the start again.
          assert.ok(t.dropConnections, 'a TCP terminal can drop its connections');
          t.dropConnections();
          count = 0;
          await waitFor(() => t.client.connectionState === 'disconnected', 'the client to see the connection go');
          const started = performance.now();
          const after = await t.client.pay({ amount: '2.00', invoice: unique('AFTER') });
          assertOk(after, 'R-1', 'after the restart');
          assert.ok(performance.now() - started < 1000, `answered in ${(performance.now() - started).toFixed(0)} ms, not waited out`);
          assert.equal(t.connections, 2);
        });
      });
    }

    const SAME_LINK = [TCP_REUSE, SERIAL];
    for (const model of SAME_LINK) {
      it(`${model.name}: on the same link, an approval carrying an earlier request's ref is a repeat: ignored, and the request times out naming that ref`, async () => {
        await withHandMade(model, { responseTimeoutMs: 600 }, async (t) => {
          t.onRequest = (_xml, write) => write(approval('SAME-REF'));
          assertOk(await t.client.pay({ amount: '1.00', invoice: unique('FIRST') }), 'SAME-REF', 'the first request');
          const second = unique('SECOND');
          const result = await t.client.pay({ amount: '2.00', invoice: second });
          assertUnknown(result, 'TIMEOUT', second);
          assert.match(asFailure(result).message, /approval with ref SAME-REF, which an earlier request had already received/);
          assert.equal(t.requests.length, 2);
          assert.equal(t.connections, 1, 'both went over one link');
        });
      });
    }
  });

  describe('what follows a request on the wire (requestEnding)', () => {
    for (const model of MODELS) {
      for (const [ending, tail] of [
        ['newline', '</pay>\n'],
        ['none', '</pay>'],
      ] satisfies [RequestEnding, string][]) {
        it(`${model.name}: requestEnding "${ending}" -> the bytes end with ${JSON.stringify(tail)}`, async () => {
          await withHandMade(model, { requestEnding: ending }, async (t) => {
            t.onRequest = (_xml, write) => write(approval('E-1'));
            assertOk(await t.client.pay({ amount: '1.00', invoice: unique('END') }), 'E-1', 'the request');
            await sleep(50); // anything sent after the closing tag has arrived by now
            assert.ok(t.raw.startsWith('<?xml'), JSON.stringify(t.raw.slice(0, 20)));
            assert.ok(t.raw.endsWith(tail), `the bytes end with ${JSON.stringify(t.raw.slice(-12))}`);
            assert.equal(t.raw.split('</pay>').length, 2, 'one request');
            assert.equal(t.raw.split('</pay>')[1], tail.slice('</pay>'.length), 'exactly that after the closing tag');
          });
        });
      }
    }
  });
});
