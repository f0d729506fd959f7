'use strict';

/**
 * The fault-injection suite of issue 4: the proof that no request is lost, re-sent or answered
 * with another request's answer, whatever the terminal does.
 *
 * - Every action (pay, refund, preauth, complete, cancel) against every simulator fault over real
 *   TCP sockets on 127.0.0.1, and pay over a real serial link (socat pty pair).
 * - Hostile answers from a terminal (DOCTYPE, entity bombs, deep nesting, 10 MB with no end,
 *   __proto__ / constructor names, invalid UTF-8), with the event loop and the heap watched.
 * - Hostile input messages: every input rule, and values that try to inject XML.
 * - The pay node in a real Node-RED runtime against the same faults.
 *
 * For each case: the exact result (OK or ERROR, code, outcome), one result per request, what the
 * terminal received (never a re-send; nothing for `not-sent`), what the journal recorded, and that
 * no socket, server, timer or file handle is left once client and terminal are closed.
 */

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');
const helper = require('node-red-node-test-helper');
const { Journal, SerialTransport, TcpTransport, TerminalClient } = require('../dist/src');
const { ACTION_SPECS, parseFlatXml } = require('../dist/src/protocol');
const { HOST, baseline, keyOf, expectResources, freePort, journalRecords, sleep, serialEnv, tcpEnv, tempDir, waitFor } = require('./support/fault-env');
const { CASES: HOSTILE, startHostileServer } = require('./support/hostile-answers');
const { INPUTS: LONG_INPUTS } = require('./support/long-input-child');

helper.init(require('./support/node-red-path').nodeRedPath());
const terminalNode = require('../dist/nodes/mypos-terminal.js');
const actionNodes = require('../dist/nodes/mypos-actions.js');
const { CHILDREN } = require('./support/request-layout');

const ACTIONS = ['pay', 'refund', 'preauth', 'complete', 'cancel'];
const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;
/** The generous bound on event-loop blocking: a loaded 2-core machine must not make it flaky. */
const EVENT_LOOP_BOUND_MS = 50;
/** How long to watch for a re-send after a result. */
const QUIET_MS = 60;

const OK = { result: 'OK' };
const TIMEOUT = { result: 'ERROR', code: 'TIMEOUT', outcome: 'unknown' };
const LOST = { result: 'ERROR', code: 'CONNECTION_LOST', outcome: 'unknown' };
const PROTOCOL = { result: 'ERROR', code: 'PROTOCOL', outcome: 'unknown' };
const CONNECT = { result: 'ERROR', code: 'CONNECT', outcome: 'not-sent' };
const DECLINED = { result: 'ERROR', code: 'TERMINAL', outcome: 'failed' };
const BAD_XML = { result: 'ERROR', code: 'BAD_XML', outcome: 'failed' };

let counter = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${++counter}`;

/** Fields of a request of each action; complete and cancel need the code of a pre-authorization. */
const FIELDS = {
  pay: () => ({ amount: '12.34', invoice: unique('PAY') }),
  refund: () => ({ amount: '5.60', invoice: unique('REF') }),
  preauth: () => ({ amount: '40.00', invoice: unique('PRE') }),
  complete: (code) => ({ amount: '30.00', preauthcode: code }),
  cancel: (code) => ({ preauthcode: code }),
};
const needsCode = (action) => action === 'complete' || action === 'cancel';
const keyFor = (action, fields) => `${action}:${fields.invoice ?? fields.preauthcode}`;

function describeResult(result) {
  return JSON.stringify(result);
}

/** The result is `expected`, and says which request it is about. */
function assertResult(result, expected, action, fields) {
  const shown = describeResult(result);
  assert.equal(result.result, expected.result, `result of ${action}: ${shown}`);
  assert.equal(result.action, action, shown);
  if (fields.invoice !== undefined) assert.equal(result.invoice, fields.invoice, shown);
  if (fields.preauthcode !== undefined) assert.equal(result.preauthcode, fields.preauthcode, shown);
  if (fields.amount !== undefined) assert.equal(result.amount, fields.amount, shown);
  if (expected.result === 'OK') {
    for (const key of ['code', 'outcome', 'message', 'status']) assert.ok(!(key in result), `a success has no ${key}: ${shown}`);
    return;
  }
  assert.equal(result.code, expected.code, shown);
  assert.equal(result.outcome, expected.outcome, shown);
  assert.equal(typeof result.message, 'string');
  if (expected.outcome === 'unknown') assert.match(result.message, UNKNOWN_ADVICE, shown);
  else assert.doesNotMatch(result.message, UNKNOWN_ADVICE, shown);
  if (expected.outcome === 'not-sent') assert.match(result.message, /Nothing was sent/, shown);
}

/** Sends one request; returns its result and the phases the client reported for it. */
async function send(client, action, fields) {
  const phases = [];
  const result = await client[action](fields, { onPhase: (phase) => phases.push(phase) });
  return { result, phases };
}

const JOURNAL_OUTCOME = { OK: 'ok', TERMINAL: 'failed', BAD_XML: 'failed', TIMEOUT: 'unknown', CONNECTION_LOST: 'unknown', PROTOCOL: 'unknown' };

/**
 * What the wire and the journal say about one request: received `sent` times (0 or 1, never
 * more, even a while later), reported `sent` once by onPhase, journalled with one begin and
 * one end whose outcome matches the result.
 */
async function assertDelivery(e, action, fields, { result, phases }, sent) {
  const key = keyFor(action, fields);
  (e.expectedCounts ??= new Map()).set(key, sent);
  assert.equal(e.log.count(key), sent, `${key} reached the terminal ${e.log.count(key)} times, expected ${sent}`);
  assert.equal(phases.filter((phase) => phase === 'sent').length, sent, `onPhase reported "sent" ${phases.join(',')}`);
  assert.equal(e.client.busy, false, 'the client holds no request');
  let records = journalRecords(e.journalFile, key);
  await waitFor(
    () => {
      records = journalRecords(e.journalFile, key);
      return records.ends.length >= records.begins.length;
    },
    `the journal to record the end of ${key}`,
    1000,
  );
  assert.equal(records.begins.length, sent, `journal begin lines for ${key}`);
  assert.equal(records.ends.length, sent, `journal end lines for ${key}`);
  if (sent) {
    const expected = JOURNAL_OUTCOME[result.result === 'OK' ? 'OK' : result.code];
    assert.equal(records.ends[0].outcome, expected, `journal outcome for ${key}`);
  }
}

/** After a quiet while: no request was received again (checked once per test, at its end). */
async function assertNoResend(e) {
  await sleep(QUIET_MS);
  for (const [key, sent] of e.expectedCounts ?? []) {
    assert.equal(e.log.count(key), sent, `${key} reached the terminal ${e.log.count(key)} times by the end of the test, expected ${sent}`);
  }
}

/** Creates a pre-authorization on the terminal and returns the fields of the request that uses it. */
async function fieldsFor(e, action) {
  if (!needsCode(action)) return FIELDS[action]();
  const pre = await e.client.preauth({ amount: '40.00', invoice: unique('SETUP') });
  assert.equal(pre.result, 'OK', `setting up a pre-authorization: ${describeResult(pre)}`);
  assert.equal(e.simulator.preauthState(pre.ref), 'open');
  return FIELDS[action](pre.ref);
}

/** What the terminal's state says after the request: did a complete/cancel take effect? */
function assertPreauthState(e, action, fields, expected) {
  if (!needsCode(action)) return;
  const state = e.simulator.preauthState(fields.preauthcode);
  if (expected.result === 'OK') assert.equal(state, action === 'complete' ? 'completed' : 'cancelled');
  if (expected.outcome === 'not-sent' || expected.code === 'TERMINAL') assert.equal(state, 'open', 'a request that failed or was not sent left the pre-authorization open');
}

// ---------------------------------------------------------------------------------------------
// The simulator's faults, for every action over TCP
// ---------------------------------------------------------------------------------------------

/**
 * Each case: the simulator's behaviour for the request under test (`fault`), client options,
 * the expected result, and the follow-up's behaviour. Every case ends with a follow-up request on
 * the same client that must get its own answer.
 */
const TCP_CASES = [
  { name: 'answers late but within the timeout', client: { responseTimeoutMs: 3000 }, fault: { delayMs: 300 }, expect: OK },
  { name: 'never answers', client: { responseTimeoutMs: 300 }, fault: { fault: 'silent' }, expect: TIMEOUT },
  { name: 'closes the connection before answering', fault: { fault: 'drop' }, expect: LOST },
  { name: 'closes the connection half-way through the answer', fault: { fault: 'halfway' }, expect: LOST },
  { name: 'answers in one-byte pieces', fault: { fault: 'bytewise', byteDelayMs: 1 }, expect: OK },
  { name: 'answers with garbage', fault: { fault: 'garbage' }, expect: PROTOCOL },
  { name: 'answers twice', fault: { fault: 'twice' }, expect: OK },
  // The next request goes out after the client's answer guard (250 ms of quiet); a repeat that
  // arrives later, before the next request's own answer, must not be taken for it.
  { name: 'answers twice, the repeat 40 ms later', fault: { repeatAfterMs: 40 }, followUp: { delayMs: 150 }, expect: OK },
  // The same with a decline, whose answer has an empty <ref>: taken for the next request's answer,
  // it would report a request the terminal has not answered yet as declined (or as unknown).
  { name: 'declines twice, the repeat 40 ms later', fault: { fault: 'decline', repeatAfterMs: 40 }, followUp: { delayMs: 150 }, expect: DECLINED },
  {
    // Timeout at 800 ms; the window for a late answer ends 100 ms later and the link is replaced;
    // the follow-up, queued meanwhile, goes out then; the late answer is due at 1050 ms, before
    // the follow-up's own (~1450 ms), on the old link: it must not be taken for the follow-up's.
    name: 'answers after the timeout (later than the window for a late answer)',
    client: { responseTimeoutMs: 800, lateAnswerWindowMs: 100 },
    fault: { delayMs: 1050 },
    followUp: { delayMs: 550 },
    expect: TIMEOUT,
    late: true,
  },
  {
    // The same answer, within the window: it is the request's outcome after all, recorded in the
    // journal as such; the queued follow-up goes out only after it.
    name: 'answers after the timeout (within the window for a late answer)',
    client: { responseTimeoutMs: 800, lateAnswerWindowMs: 2000 },
    fault: { delayMs: 1050 },
    followUp: { delayMs: 100 },
    expect: TIMEOUT,
    late: true,
    lateRecorded: true,
  },
  { name: 'closes the connection after every answer', fault: { closeAfterAnswer: true }, followUp: { closeAfterAnswer: true }, expect: OK, reconnects: true },
  { name: 'declines', fault: { fault: 'decline' }, expect: DECLINED },
  { name: 'answers Hibás XML', fault: { fault: 'bad-xml' }, expect: BAD_XML },
  { name: "answers with another action's reply", fault: { fault: 'wrong-root' }, expect: PROTOCOL },
];

/**
 * Sends the request under test, then at once (as a kiosk's next customer or a queue would) a
 * follow-up pay on the same client, then checks both: results, what the terminal received and
 * answered, the journal, and that nothing is re-sent a while later.
 */
async function runCase(e, action, kase, { during } = {}) {
  const fields = await fieldsFor(e, action);
  const key = keyFor(action, fields);
  e.simulator.nextBehaviours.push(kase.fault, ...(kase.followUp ? [kase.followUp] : []));
  let duringDone;
  if (during) {
    e.log.onReceive((message) => {
      if (keyOf(message.request) === key) duringDone = during(e);
    });
  }
  const sent = await send(e.client, action, fields);
  await duringDone;
  if (kase.restore) await e.restore();
  const acceptedBefore = e.accepted;
  const nextFields = FIELDS.pay();
  const next = await send(e.client, 'pay', nextFields);

  assertResult(sent.result, kase.expect, action, fields);
  if (kase.expect.result === 'OK') {
    assert.deepEqual([sent.result.ref], e.log.refsFor(key), 'the result carries the answer the terminal made for this request');
  }
  assertPreauthState(e, action, fields, kase.expect);
  await assertDelivery(e, action, fields, sent, 1);

  assertResult(next.result, OK, 'pay', nextFields);
  const nextKey = keyFor('pay', nextFields);
  // Its own answer may still be on its way when another was taken for it.
  await waitFor(() => e.log.refsFor(nextKey).length > 0, `the terminal to answer ${nextKey}`, 3000);
  const nextRefs = e.log.refsFor(nextKey);
  assert.equal(nextRefs.length, 1, 'one answer was made for the follow-up');
  const taken = e.log.answers.find((entry) => entry.ref === next.result.ref);
  assert.equal(
    next.result.ref,
    nextRefs[0],
    `the follow-up ${nextKey} took the answer made for ${taken?.key ?? 'nothing the terminal made'} (ref ${next.result.ref}) instead of its own (ref ${nextRefs[0]})`,
  );
  await assertDelivery(e, 'pay', nextFields, next, 1);
  if (kase.late) {
    await waitFor(() => e.log.refsFor(key).length === 1, 'the late answer to be made', 2000);
    assert.notEqual(next.result.ref, e.log.refsFor(key)[0], 'the late answer was not taken for the follow-up');
    const { lates } = journalRecords(e.journalFile, key);
    if (kase.lateRecorded) {
      assert.equal(lates.length, 1, "the late answer is recorded as the request's outcome");
      assert.equal(lates[0].ref, e.log.refsFor(key)[0]);
      assert.equal(lates[0].outcome, JOURNAL_OUTCOME[e.log.answers.find((a) => a.key === key)?.answer?.includes('<result>OK') ? 'OK' : 'TERMINAL']);
    } else {
      assert.equal(lates.length, 0, 'an answer after the window is not recorded');
    }
  }
  if (kase.reconnects) assert.equal(e.accepted, acceptedBefore + 1, 'the follow-up reconnected');
  await assertNoResend(e);
}

describe('faults: every simulator fault, every action, over TCP on 127.0.0.1', function () {
  this.timeout(20000);

  for (const action of ACTIONS) {
    describe(action, () => {
      for (const kase of TCP_CASES) {
        const expected = kase.expect.result === 'OK' ? 'OK' : `${kase.expect.code}/${kase.expect.outcome}`;
        it(`the terminal ${kase.name} -> ${expected}; never re-sent; the next request gets its own answer`, async () => {
          const before = await baseline();
          const e = await tcpEnv({ clientOptions: kase.client });
          try {
            await runCase(e, action, kase);
          } finally {
            await e.close();
          }
          await expectResources(before, `after "${kase.name}" (${action})`);
        });
      }

      it('the terminal refuses connections -> CONNECT/not-sent; nothing received, nothing journalled', async () => {
        const before = await baseline();
        const e = await tcpEnv();
        try {
          const fields = await fieldsFor(e, action);
          // The terminal goes away: nothing listens on its port any more.
          await e.simulator.close();
          await waitFor(() => e.client.connectionState === 'disconnected', 'the client to notice');
          const sent = await send(e.client, action, fields);
          assertResult(sent.result, CONNECT, action, fields);
          assert.match(sent.result.message, /nothing answers there\. Is the Payment Interface app open on the terminal\?/);
          assert.deepEqual(sent.phases, ['connecting']);
          await assertDelivery(e, action, fields, sent, 0);
          assertPreauthState(e, action, fields, CONNECT);
          await assertNoResend(e);
        } finally {
          await e.close();
        }
        await expectResources(before, `after "refuses connections" (${action})`);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The same faults over a serial link (socat pty pair), for pay
// ---------------------------------------------------------------------------------------------

/** Waits until part of an answer arrived at the client (white-box: its framer is mid-frame). */
const answerBegan = (e) => waitFor(() => e.client.link?.framer.inFrame, 'the first half of the answer to arrive');

/**
 * Over a pty pair a port closed by one end is not seen by the other (socat keeps both open, as a
 * wired null-modem link would); a closed link is socat going away (`vanish`), as a Bluetooth
 * terminal that leaves does. `during` runs once the request reached the terminal.
 */
const SERIAL_CASES = [
  { name: 'answers late but within the timeout', client: { responseTimeoutMs: 3000 }, fault: { delayMs: 300 }, expect: OK },
  { name: 'never answers', client: { responseTimeoutMs: 300 }, fault: { fault: 'silent' }, expect: TIMEOUT },
  {
    name: 'link goes away before the answer',
    fault: { fault: 'silent' },
    during: (e) => e.vanish(),
    expect: LOST,
    restore: true,
  },
  {
    name: 'link goes away half-way through the answer',
    client: { replyStallTimeoutMs: 5000 },
    fault: { fault: 'halfway' },
    during: async (e) => {
      await answerBegan(e);
      await e.vanish();
    },
    expect: LOST,
    restore: true,
  },
  {
    // The simulator closes its end of the pty; the client cannot see that, so it times out.
    name: 'closes its end of the link instead of answering (unseen over a pty: times out)',
    client: { responseTimeoutMs: 400 },
    fault: { fault: 'drop' },
    expect: TIMEOUT,
    restore: true,
  },
  { name: 'answers in one-byte pieces', fault: { fault: 'bytewise', byteDelayMs: 1 }, expect: OK },
  { name: 'answers with garbage', fault: { fault: 'garbage' }, expect: PROTOCOL },
  { name: 'answers twice', fault: { fault: 'twice' }, expect: OK },
  { name: 'answers twice, the repeat 40 ms later', fault: { repeatAfterMs: 40 }, followUp: { delayMs: 150 }, expect: OK },
  {
    // 250 ms late: within the window for a late answer, it is the request's outcome after all,
    // recorded as such; the follow-up, queued, goes out after it.
    name: 'answers after the timeout (within the window for a late answer)',
    client: { responseTimeoutMs: 800, lateAnswerWindowMs: 2000 },
    fault: { delayMs: 1050 },
    followUp: { delayMs: 550 },
    expect: TIMEOUT,
    late: true,
    lateRecorded: true,
  },
  {
    // Later than the window for a late answer: it arrives while the follow-up is open, on the
    // same serial link (replacing the port does not stop it, as closing a TCP socket does).
    // Known limitation, documented in the README: a serial link has no per-request channel, so
    // an answer later than lateAnswerWindowMs (10 s by default) cannot be told from the next
    // request's answer.
    knownLimitation: true,
    name: 'answers after the timeout (later than the window for a late answer)',
    client: { responseTimeoutMs: 800, lateAnswerWindowMs: 100 },
    fault: { delayMs: 1050 },
    followUp: { delayMs: 550 },
    expect: TIMEOUT,
    late: true,
  },
  { name: 'declines', fault: { fault: 'decline' }, expect: DECLINED },
  { name: 'answers Hibás XML', fault: { fault: 'bad-xml' }, expect: BAD_XML },
];

describe('faults: pay over a serial link (socat pty pair)', function () {
  this.timeout(20000);

  for (const kase of SERIAL_CASES) {
    const expected = kase.expect.result === 'OK' ? 'OK' : `${kase.expect.code}/${kase.expect.outcome}`;
    (kase.knownLimitation && !process.env.MYPOS_KNOWN_LIMITS ? it.skip : it)(`the terminal ${kase.name} -> ${expected}; never re-sent; the next request gets its own answer`, async () => {
      const before = await baseline();
      const e = await serialEnv({ clientOptions: kase.client });
      try {
        await runCase(e, 'pay', kase, { during: kase.during });
      } finally {
        await e.close();
      }
      await expectResources(before, `after "${kase.name}" (serial)`);
    });
  }

  it('the link drops after every answer -> each request OK on the reopened link, each sent once', async () => {
    const before = await baseline();
    const e = await serialEnv();
    try {
      for (let round = 0; round < 3; round++) {
        const fields = FIELDS.pay();
        const sent = await send(e.client, 'pay', fields);
        assertResult(sent.result, OK, 'pay', fields);
        assert.deepEqual([sent.result.ref], e.log.refsFor(keyFor('pay', fields)));
        await assertDelivery(e, 'pay', fields, sent, 1);
        // A moment after the answer (right after it is the next test).
        await sleep(100);
        await e.vanish();
        await waitFor(() => e.client.connectionState !== 'connected', 'the client to see the link go');
        await e.restore();
      }
      await assertNoResend(e);
    } finally {
      await e.close();
    }
    await expectResources(before, 'after "the link drops after every answer" (serial)');
  });

  // Known limitation, documented in the README: serialport's reader can miss a pty that vanishes
  // right after a read and spin instead of reporting the close; the next write then fails and the
  // request ends CONNECTION_LOST/unknown. Kept (pending) until that is fixed upstream or worked
  // around. Since an answer counts only 250 ms after it arrived, this test's link goes 250 ms after
  // the read and it passes (65 of 65 rounds, MYPOS_KNOWN_LIMITS=1); a link that goes within those
  // 250 ms still meets the race, so the limit stands.
  (process.env.MYPOS_KNOWN_LIMITS ? it : it.skip)('the link goes away right after an answer -> the client sees it, and the next request is CONNECT/not-sent (5 rounds)', async () => {
    // A race: whether the client notices depends on when the link goes; five rounds make a
    // miss show up reliably (it was missed in about half of the rounds when this was written).
    const before = await baseline();
    const rounds = [];
    for (let round = 0; round < 5; round++) {
      const e = await serialEnv();
      try {
        const fields = FIELDS.pay();
        const sent = await send(e.client, 'pay', fields);
        assertResult(sent.result, OK, 'pay', fields);
        await e.vanish();
        await e.closeTerminalSide();
        // What the client's end costs while it waits: a port stuck reading a vanished device spins.
        const cpu = process.cpuUsage();
        await sleep(500);
        const cpuMs = Math.round(process.cpuUsage(cpu).user / 1000);
        const state = e.client.connectionState;
        const nextFields = FIELDS.pay();
        const next = await send(e.client, 'pay', nextFields);
        rounds.push({ state, cpuMsIn500ms: cpuMs, code: next.result.code, outcome: next.result.outcome, message: next.result.message });
      } finally {
        await e.close();
      }
    }
    const bad = rounds.filter((round) => round.state !== 'disconnected' || round.code !== 'CONNECT');
    assert.deepEqual(
      bad,
      [],
      `in ${bad.length} of 5 rounds the client still showed the vanished link as "${bad[0]?.state}" 500 ms later (using ${bad[0]?.cpuMsIn500ms} ms of CPU in those 500 ms), and the next request ended ${bad[0]?.code}/${bad[0]?.outcome} instead of CONNECT/not-sent`,
    );
    await expectResources(before, 'after "the link goes away right after an answer"');
  });

  it('the device does not exist -> CONNECT/not-sent at once; nothing journalled', async () => {
    const before = await baseline();
    const dir = tempDir('mypos-faults-nodevice-');
    const journalFile = path.join(dir, 'terminal.jsonl');
    const journal = new Journal(journalFile);
    // A connect timeout far beyond the test's own: the refusal cannot come from waiting.
    const client = new TerminalClient({
      transport: new SerialTransport({ path: path.join(dir, 'rfcomm-that-is-not-there') }),
      keepOpen: true,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      connectTimeoutMs: 600000,
      journal,
    });
    try {
      client.start();
      const fields = FIELDS.pay();
      const sent = await send(client, 'pay', fields);
      assertResult(sent.result, CONNECT, 'pay', fields);
      assert.match(sent.result.message, /rfcomm-that-is-not-there/);
      assert.equal(sent.phases.includes('sent'), false);
      await sleep(QUIET_MS);
      assert.equal(client.busy, false);
      const records = journalRecords(journalFile, keyFor('pay', fields));
      assert.equal(records.begins.length, 0, 'a request that was not sent is not journalled as sent');
    } finally {
      client.close();
      await journal.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expectResources(before, 'after "the device does not exist"');
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile answers
// ---------------------------------------------------------------------------------------------

const protoSnapshot = () => ({
  object: Object.getOwnPropertyNames(Object.prototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
  func: Object.getOwnPropertyNames(Function.prototype).sort(),
});

function assertNotPolluted(before) {
  assert.deepEqual(protoSnapshot(), before, 'Object/Array/Function prototypes are unchanged');
  assert.equal({}.polluted, undefined, 'Object.prototype.polluted');
  assert.equal([].polluted, undefined);
  assert.equal(Object.prototype.prototype, undefined);
}

describe('faults: hostile answers from the terminal', function () {
  this.timeout(20000);
  let server;
  let snapshot;

  before(async () => {
    snapshot = protoSnapshot();
    server = await startHostileServer();
  });

  after(async () => {
    await server?.stop();
    assertNotPolluted(snapshot);
  });

  for (const [name, { expect }] of Object.entries(HOSTILE)) {
    const expected = expect.result === 'OK' ? 'OK' : `${expect.code}/${expect.outcome}`;
    it(`${name} -> ${expected}, quickly, without blocking the event loop; the next request is answered normally`, async () => {
      const before = await baseline();
      const client = new TerminalClient({
        transport: new TcpTransport({ host: HOST, port: server.port }),
        // Long enough that a rejection by waiting would show as TIMEOUT, not as the expected code.
        responseTimeoutMs: 8000,
        replyStallTimeoutMs: 8000,
        connectTimeoutMs: 2000,
        // No pause after an unknown outcome: no late answer is coming here.
        lateAnswerWindowMs: 0,
      });
      try {
        // Three times: the median of the three worst delays is what the answer costs, not a GC
        // pause or another process taking the CPU for a moment.
        const maxima = [];
        const invoices = [];
        for (let round = 0; round < 3; round++) {
          const invoice = `${name}#${++counter}`;
          invoices.push(invoice);
          const delay = monitorEventLoopDelay({ resolution: 1 });
          delay.enable();
          const started = performance.now();
          const result = await client.pay({ amount: '1.00', invoice });
          const elapsed = performance.now() - started;
          await sleep(20);
          delay.disable();
          maxima.push(delay.max / 1e6);
          console.log(`        ${name}: ${result.result === 'OK' ? 'OK' : result.code} after ${elapsed.toFixed(1)} ms; event loop max delay ${(delay.max / 1e6).toFixed(1)} ms`);
          assertResult(result, expect, 'pay', { amount: '1.00', invoice });
          if (expect.refPrefix !== undefined) assert.equal(result.ref, `${expect.refPrefix}${invoice}`);
          assertNotPolluted(snapshot);
          if (expect.outcome === 'unknown') assert.equal(client.connectionState, 'disconnected', 'the connection was dropped');
          await waitFor(() => server.received.get(invoice) === 1, 'the server to report the request');
        }
        const median = [...maxima].sort((x, y) => x - y)[1];
        assert.ok(median < EVENT_LOOP_BOUND_MS, `the event loop was blocked for ${median.toFixed(1)} ms (median of ${maxima.map((m) => m.toFixed(1)).join(', ')}; bound ${EVENT_LOOP_BOUND_MS} ms)`);

        const normal = `normal#${++counter}`;
        const next = await client.pay({ amount: '1.00', invoice: normal });
        assertResult(next, OK, 'pay', { amount: '1.00', invoice: normal });
        assert.equal(next.ref, `NORMAL-${normal}`);
        await waitFor(() => server.received.get(normal) === 1, 'the server to report the follow-up');
        await sleep(QUIET_MS);
        for (const invoice of invoices) assert.equal(server.received.get(invoice), 1, `${invoice} was sent exactly once`);
      } finally {
        client.close();
      }
      await expectResources(before, `after "${name}"`);
    });
  }

  it('no hostile answer grows the heap: 20 more of each, heapUsed after forced GC (child node --expose-gc)', async function () {
    this.timeout(60000);
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'support', 'hostile-memory-child.js'), String(server.port), '20'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => {
      stdout += data;
    });
    child.stderr.on('data', (data) => {
      stderr += data;
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `the memory child failed: ${stderr}`);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      rows.map((row) => row.name),
      Object.keys(HOSTILE),
    );
    const MB = 1024 * 1024;
    for (const row of rows) {
      const growth = (row.after - row.before) / MB;
      console.log(
        `        ${row.name.padEnd(30)} ${row.codes.join(',').padEnd(9)} heap ${(row.before / MB).toFixed(2)} -> ${(row.after / MB).toFixed(2)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(2)})`,
      );
      const { expect } = HOSTILE[row.name];
      assert.deepEqual(row.codes, [expect.result === 'OK' ? 'OK' : expect.code], row.name);
      assert.ok(growth < 2, `${row.name}: the heap grew by ${growth.toFixed(2)} MB over 20 answers`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile input messages
// ---------------------------------------------------------------------------------------------

const MB_STRING = 'A'.repeat(1024 * 1024);

/** [label, action, fields, field the message must name]: each must be INVALID_INPUT / not-sent. */
function rejectedInputs() {
  const amountCases = [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['zero', 0],
    ['"0.00"', '0.00'],
    ['-1', -1],
    ['"-1"', '-1'],
    ['"-0.01"', '-0.01'],
    ['-0', -0],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['"1e3"', '1e3'],
    ['"1E-2"', '1E-2'],
    ['".5e1"', '.5e1'],
    ['1e21', 1e21],
    ['1e-7', 1e-7],
    ['"12,50"', '12,50'],
    ['"1,000.00"', '1,000.00'],
    ['"12.505"', '12.505'],
    ['12.505', 12.505],
    ['0.001', 0.001],
    ['"1.2.3"', '1.2.3'],
    ['"abc"', 'abc'],
    ['"0x10"', '0x10'],
    ['"+5"', '+5'],
    ['"5 5"', '5 5'],
    ['Arabic-Indic digits', '١٢'],
    ['fullwidth digits', '１２'],
    ['injection', '12.50</sum><sum>0.01'],
    ['"5]]>"', '5]]>'],
    ['quote', '5"'],
    ['apostrophe', "5'"],
    ['newline inside', '5\n0'],
    ['NUL', '\u00005'],
    ['escape sequence', '\u001b[31m5'],
    ['13 integer digits', '1234567890123'],
    ['an object', {}],
    ['an object with amount', { amount: 5 }],
    ['an array', [5]],
    ['an array of a string', ['5']],
    ['a function', () => 5],
    ['a Symbol', Symbol('5')],
    ['a BigInt', 5n],
    ['true', true],
    ['a Number object', Object(5)],
    ['a String object', Object('5')],
    ['a Buffer', Buffer.from('5')],
    ['a Date', new Date()],
    ['a 1 MB string of letters', MB_STRING],
  ];
  const referenceCases = [
    ['empty', ''],
    ['a space', ' '],
    ['a leading space', ' A'],
    ['a trailing space', 'A '],
    ['51 characters', 'A'.repeat(51)],
    ['é', 'Café-1'],
    ['€', '€1'],
    ['a newline', 'A\nB'],
    ['a CR', 'A\rB'],
    ['a tab', 'A\tB'],
    ['NUL', 'A\u0000B'],
    ['an escape sequence', 'A\u001b[31m'],
    ['DEL', 'A\u007f'],
    ['NEL', 'A\u0085'],
    ['LINE SEPARATOR', 'A\u2028B'],
    ['a lone surrogate', 'A\ud800'],
    ['an emoji', 'A💳'],
    ['injection with a newline', '1</invoice>\n<sum>0.01</sum>'],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['2^53', 2 ** 53],
    ['true', true],
    ['an object', {}],
    ['an empty array', []],
    ['an array', ['A']],
    ['a function', () => 'A'],
    ['a Symbol', Symbol('A')],
    ['a BigInt', 5n],
    ['a String object', Object('A')],
    ['a Buffer', Buffer.from('A')],
    ['a 1 MB string', MB_STRING],
  ];
  const receiptCases = [
    ['lower case', 'on'],
    ['mixed case', 'On'],
    ['YES', 'YES'],
    ['empty', ''],
    ['a leading space', ' ON'],
    ['a trailing space', 'ON '],
    ['injection', 'ON</receipt><x>'],
    ['1', 1],
    ['true', true],
    ['an object', {}],
    ['an array', ['ON']],
    ['a Symbol', Symbol('ON')],
    ['a 1 MB string', MB_STRING],
  ];
  const cases = [];
  for (const [label, value] of amountCases) {
    cases.push([`pay amount ${label}`, 'pay', { amount: value, invoice: unique('IN') }, /^amount /]);
  }
  for (const action of ['refund', 'preauth', 'complete']) {
    for (const [label, value] of [
      ['missing', undefined],
      ['zero', 0],
      ['"12,50"', '12,50'],
      ['an object', {}],
      ['injection', '1</sum><sum>2'],
    ]) {
      cases.push([`${action} amount ${label}`, action, { amount: value, invoice: unique('IN'), preauthcode: 'CODE-1' }, /^amount /]);
    }
  }
  for (const [label, value] of referenceCases) {
    cases.push([`pay invoice ${label}`, 'pay', { amount: '1.00', invoice: value }, /^invoice /]);
  }
  for (const action of ['refund', 'preauth']) {
    for (const [label, value] of [
      ['51 characters', 'B'.repeat(51)],
      ['a newline', 'A\nB'],
      ['an object', {}],
    ]) {
      cases.push([`${action} invoice ${label}`, action, { amount: '1.00', invoice: value }, /^invoice /]);
    }
  }
  for (const action of ['complete', 'cancel']) {
    for (const [label, value] of [['missing', undefined], ['null', null], ...referenceCases]) {
      cases.push([`${action} preauthcode ${label}`, action, { amount: '1.00', preauthcode: value }, /^preauthcode /]);
    }
  }
  for (const field of ['receipt', 'custrcpt']) {
    for (const [label, value] of receiptCases) {
      cases.push([`pay ${field} ${label}`, 'pay', { amount: '1.00', invoice: unique('IN'), [field]: value }, new RegExp(`^${field} `)]);
    }
    cases.push([`cancel ${field} injection`, 'cancel', { preauthcode: 'CODE-1', [field]: 'OFF"/><x y="' }, new RegExp(`^${field} `)]);
  }
  return cases;
}

/**
 * Values that are legitimately accepted although they look like XML: [label, action, fields, the
 * request the terminal must receive]. Nothing may be injected: exactly the intended children.
 */
function acceptedInputs() {
  const invoices = [
    ['an element injection', 'A</invoice><sum>0.01</sum>'],
    ['a closing root', '</pay><pay><invoice>X'],
    ['a CDATA end', ']]>'],
    ['a CDATA section', '<![CDATA[x]]>'],
    ['quotes', `"quoted" and 'single'`],
    ['entity-like text', '&amp;&lt;&#65;&#x41;&lol;'],
    ['a comment', '<!--x-->'],
    ['a declaration', '<?xml version="1.0"?>'],
    ['a DOCTYPE', '<!DOCTYPE pay [<!ENTITY a "b">]>'],
    ['format strings', '%s%n{0}${x}'],
    ['a backslash', 'C:\\x\\'],
    ['50 characters', 'Z'.repeat(50)],
    ['all punctuation', '~!@#$%^&*()_+`-=[]{}|;:,./<>?'],
  ];
  const cases = invoices.map(([label, invoice], i) => [
    `pay invoice with ${label}`,
    'pay',
    { amount: `${i + 1}.00`, invoice: `${invoice}`.slice(0, 50) },
    { action: 'pay', invoice: `${invoice}`.slice(0, 50), sum: `${i + 1}.00`, receipt: 'ON', custrcpt: 'ON' },
  ]);
  const n = 100000 + (process.pid % 100000) * 10 + (counter % 10);
  cases.push(
    ['pay invoice as a whole number', 'pay', { amount: 1, invoice: n }, { action: 'pay', invoice: String(n), sum: '1.00', receipt: 'ON', custrcpt: 'ON' }],
    ['refund amount with spaces around it', 'refund', { amount: ' 12.50 ', invoice: unique('SP') }, { action: 'refund', sum: '12.50', receipt: 'ON', custrcpt: 'ON' }],
    [
      'preauth amount 0.1 + 0.2',
      'preauth',
      { amount: 0.1 + 0.2, invoice: unique('FP'), receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' },
      { action: 'preauth', sum: '0.30', receipt: 'OFF', custrcpt: 'AFTER_CONFIRMATION' },
    ],
    ['pay amount with leading zeros', 'pay', { amount: '0012.5', invoice: unique('LZ') }, { action: 'pay', sum: '12.50', receipt: 'ON', custrcpt: 'ON' }],
    [
      'complete with a code that injects a sum',
      'complete',
      { amount: '1.00', preauthcode: 'X</preauthcode><sum>999.00</sum>' },
      { action: 'complete', preauthCode: 'X</preauthcode><sum>999.00</sum>', sum: '1.00', receipt: 'ON', custrcpt: 'ON' },
    ],
    ['cancel with a code holding quotes and ]]>', 'cancel', { preauthcode: `"]]>'` }, { action: 'cancel', preauthCode: `"]]>'`, receipt: 'ON', custrcpt: 'ON' }],
  );
  return cases;
}

describe('faults: hostile input messages through the client', function () {
  this.timeout(20000);

  describe('refused: INVALID_INPUT / not-sent, nothing reaches the terminal', () => {
    let e;
    let startCounts;
    before(async () => {
      startCounts = await baseline();
      e = await tcpEnv({ clientOptions: { maxAmount: '500.00' } });
    });
    after(async () => {
      // Not one of them opened even a connection.
      assert.equal(e.accepted, 0, 'no connection was opened for any refused input');
      assert.equal(e.log.received.length, 0);
      await e.close();
      await expectResources(startCounts, 'after the refused inputs');
    });

    const cases = [
      ...rejectedInputs(),
      ['pay amount above maxAmount (500.01)', 'pay', { amount: '500.01', invoice: unique('MAX') }, /^amount is 500\.01, above this terminal's limit/],
      ['pay amount above maxAmount (1000 as a number)', 'pay', { amount: 1000, invoice: unique('MAX') }, /^amount is 1000\.00, above this terminal's limit/],
    ];
    for (const [label, action, fields, field] of cases) {
      it(`${label}`, async () => {
        const sent = await send(e.client, action, fields);
        const { result } = sent;
        assert.equal(result.result, 'ERROR', describeResult(result));
        assert.equal(result.code, 'INVALID_INPUT', describeResult(result));
        assert.equal(result.outcome, 'not-sent');
        assert.equal(result.action, action);
        assert.match(result.message, field, 'the message names the field');
        assert.match(result.message, /Nothing was sent\.$/);
        // The message quotes the input safely: printable, short, no raw control characters.
        assert.match(result.message, /^[\x20-\x7e…]*$/, `the message is printable: ${JSON.stringify(result.message)}`);
        assert.ok(result.message.length < 400, `the message is short (${result.message.length} characters)`);
        assert.deepEqual(sent.phases, [], 'not even a connection was attempted');
        assert.equal(e.log.received.length, 0);
      });
    }
  });

  describe('1 MB inputs are refused without blocking the event loop (each in a child process)', () => {
    const expected = {
      'amount-1mb-digits': 'INVALID_INPUT',
      // 1.00 with a million leading zeros: a length limit may refuse it, or it is accepted (then
      // nothing listens on the port).
      'amount-1mb-leading-zeros': ['INVALID_INPUT', 'CONNECT'],
      'amount-1mb-fraction-zeros': 'INVALID_INPUT',
      'amount-1mb-letters': 'INVALID_INPUT',
      'amount-1mb-digits-then-exponent': 'INVALID_INPUT',
      'invoice-1mb': 'INVALID_INPUT',
      'receipt-1mb': 'INVALID_INPUT',
    };
    const KILL_AFTER_MS = 5000;
    const runs = {};

    before(async function () {
      this.timeout(KILL_AFTER_MS + 10000);
      const port = await freePort();
      await Promise.all(
        Object.keys(LONG_INPUTS).map(async (name) => {
          const child = spawn(process.execPath, [path.join(__dirname, 'support', 'long-input-child.js'), name, String(port)], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          child.stdout.on('data', (data) => {
            stdout += data;
          });
          let killed = false;
          const timer = setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, KILL_AFTER_MS);
          await new Promise((resolve) => child.once('exit', resolve));
          clearTimeout(timer);
          runs[name] = killed ? { killed } : JSON.parse(stdout.trim());
        }),
      );
    });

    for (const [name, code] of Object.entries(expected)) {
      it(`${name} -> ${[code].flat().join(' or ')}, with client.pay returning within ${EVENT_LOOP_BOUND_MS} ms`, () => {
        const run = runs[name];
        assert.ok(run, `${name} ran`);
        assert.ok(!run.killed, `client.pay({ ${name} }) was still running after ${KILL_AFTER_MS / 1000} s (the input rules block the event loop)`);
        console.log(`        ${name}: ${run.code} in ${run.ms.toFixed(1)} ms (message ${run.messageLength} characters)`);
        assert.ok([code].flat().includes(run.code), `${name}: ${run.code}, expected ${[code].flat().join(' or ')}`);
        assert.ok(run.ms < EVENT_LOOP_BOUND_MS, `client.pay blocked for ${run.ms.toFixed(1)} ms`);
        assert.ok(run.messageLength < 400, 'the message does not echo the input');
      });
    }
  });

  describe('accepted although they look like XML: the terminal receives exactly the intended fields', () => {
    let e;
    let startCounts;
    before(async () => {
      startCounts = await baseline();
      e = await tcpEnv();
    });
    after(async () => {
      await e.close();
      await expectResources(startCounts, 'after the accepted inputs');
    });

    for (const [label, action, fields, intended] of acceptedInputs()) {
      it(label, async () => {
        const count = e.log.received.length;
        const { result } = await send(e.client, action, fields);
        assert.equal(e.log.received.length, count + 1, 'exactly one request reached the terminal');
        const received = e.log.received[count];
        const request = { ...received.request };
        // Generated or given invoices: compare with what the result reports.
        const want = { ...intended };
        if (ACTION_SPECS[action].hasInvoice && want.invoice === undefined) want.invoice = result.invoice;
        assert.deepEqual(request, want, `received ${JSON.stringify(received.xml)}`);
        if (fields.invoice !== undefined) assert.equal(result.invoice, String(fields.invoice));
        if (fields.preauthcode !== undefined) assert.equal(result.preauthcode, fields.preauthcode);
        // Exactly the seed's children, in the seed's order: nothing injected.
        const document = parseFlatXml(received.xml);
        assert.equal(document.root, ACTION_SPECS[action].requestRoot);
        assert.deepEqual([...document.fields.keys()], CHILDREN[action]);
        assert.equal((received.xml.match(/</g) ?? []).length, 3 + 2 * CHILDREN[action].length, `no markup beyond the request's own: ${received.xml}`);
        assert.doesNotMatch(received.xml.replace(/^<\?xml[^>]*\?>/, ''), /<[!?]/, 'no declaration, comment or CDATA after the prolog');
        if (needsCode(action)) assert.equal(result.code, 'TERMINAL', 'an unknown code is NO_DATA_FOUND on the terminal');
        else assert.equal(result.result, 'OK', describeResult(result));
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The pay node in a real Node-RED runtime against the same faults
// ---------------------------------------------------------------------------------------------

describe('faults: the pay node in Node-RED (one output per input, nothing left behind)', function () {
  this.timeout(20000);
  let e;
  let startCounts;
  let sentByNode;
  let inputs;

  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });

  function flow(port, name = 'pay node') {
    return [
      { id: 'tab', type: 'tab', label: 'faults' },
      // A short window for late answers keeps the suite quick; a queue of one lets the next message wait it out.
      {
        id: 'cfg',
        type: 'mypos-terminal',
        z: 'tab',
        name: 'terminal',
        connection: 'tcp',
        host: HOST,
        port: String(port),
        responseTimeout: '1',
        connectTimeout: '2',
        decimals: '2',
        maxAmount: '',
        lateAnswerWindow: '0.1',
        queueLimit: '1',
      },
      { id: 'pay', type: 'mypos-pay', z: 'tab', name, terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
      { id: 'ok', type: 'helper', z: 'tab' },
      { id: 'err', type: 'helper', z: 'tab' },
    ];
  }

  /** Records what the pay node sends, on which output, by the input's _msgid. */
  function watchPayNode() {
    const node = helper.getNode('pay');
    const send = node.send;
    node.send = function (msgs) {
      const [ok, err] = msgs;
      const msg = ok ?? err;
      sentByNode.push({ id: msg._msgid, output: ok ? 1 : 2, payload: msg.payload });
      return send.apply(this, arguments);
    };
  }

  async function runMessage(fields) {
    const id = unique('msg');
    const delivered = new Promise((resolve) => {
      const okNode = helper.getNode('ok');
      const errNode = helper.getNode('err');
      const onOk = (msg) => finish(1, msg);
      const onErr = (msg) => finish(2, msg);
      function finish(output, msg) {
        if (msg._msgid !== id) return;
        okNode.removeListener('input', onOk);
        errNode.removeListener('input', onErr);
        resolve({ output, msg });
      }
      okNode.on('input', onOk);
      errNode.on('input', onErr);
    });
    helper.getNode('pay').receive({ _msgid: id, payload: fields.amount, invoice: fields.invoice });
    const out = await delivered;
    inputs.push(id);
    return out;
  }

  /** After a quiet while: every input got exactly one output message from the pay node. */
  async function assertOneOutputEach() {
    await sleep(QUIET_MS);
    for (const id of inputs) assert.equal(sentByNode.filter((sent) => sent.id === id).length, 1, `exactly one output message for input ${id}`);
    assert.equal(sentByNode.length, inputs.length, 'no output without an input');
  }

  beforeEach(async () => {
    startCounts = await baseline();
    e = await tcpEnv();
    sentByNode = [];
    inputs = [];
  });

  afterEach(async () => {
    await helper.unload();
    await e.close();
    await expectResources(startCounts, 'after unloading the flow');
  });

  const cases = TCP_CASES.filter((kase) => !['never answers'].includes(kase.name) && !kase.late).concat([
    { name: 'never answers', fault: { fault: 'silent' }, expect: TIMEOUT },
    { name: 'answers after the timeout', fault: { delayMs: 1300 }, followUp: { delayMs: 600 }, expect: TIMEOUT, late: true },
  ]);

  for (const kase of cases) {
    const expected = kase.expect.result === 'OK' ? 'output 1' : `output 2 ${kase.expect.code}/${kase.expect.outcome}`;
    it(`the terminal ${kase.name} -> ${expected}; the next message gets its own answer`, async () => {
      await helper.load([terminalNode, actionNodes], flow(e.port));
      await helper.getNode('cfg').whenClient;
      watchPayNode();
      const fields = FIELDS.pay();
      const key = keyFor('pay', fields);
      e.simulator.nextBehaviours.push(kase.fault, ...(kase.followUp ? [kase.followUp] : []));
      const { output, msg } = await runMessage(fields);
      assert.equal(output, kase.expect.result === 'OK' ? 1 : 2, describeResult(msg.payload));
      assertResult(msg.payload, kase.expect, 'pay', fields);
      if (output === 2) assert.deepEqual(msg.error, { message: msg.payload.message, code: kase.expect.code, outcome: kase.expect.outcome });
      assert.equal(e.log.count(key), 1, 'received exactly once');

      const next = FIELDS.pay();
      const followUp = await runMessage(next);
      assert.equal(followUp.output, 1, describeResult(followUp.msg.payload));
      const nextKey = keyFor('pay', next);
      await waitFor(() => e.log.refsFor(nextKey).length > 0, `the terminal to answer ${nextKey}`, 3000);
      const taken = e.log.answers.find((entry) => entry.ref === followUp.msg.payload.ref);
      assert.equal(followUp.msg.payload.ref, e.log.refsFor(nextKey)[0], `the next message took the answer made for ${taken?.key ?? 'nothing the terminal made'} instead of its own`);
      if (kase.late) {
        await waitFor(() => e.log.refsFor(key).length === 1, 'the late answer to be made', 3000);
        assert.notEqual(followUp.msg.payload.ref, e.log.refsFor(key)[0]);
      }
      assert.equal(e.log.count(keyFor('pay', next)), 1);
      await assertOneOutputEach();
      assert.equal(e.log.count(key), 1, 'never re-sent');
    });
  }

  it('the terminal refuses connections -> output 2 CONNECT/not-sent, nothing received', async () => {
    const port = await freePort();
    await helper.load([terminalNode, actionNodes], flow(port));
    watchPayNode();
    const fields = FIELDS.pay();
    const { output, msg } = await runMessage(fields);
    assert.equal(output, 2);
    assertResult(msg.payload, CONNECT, 'pay', fields);
    await assertOneOutputEach();
    assert.equal(e.log.received.length, 0);
  });

  it('redeploying the pay node 10 times under faults leaves the shared journal and client with the same listeners', async () => {
    await helper.load([terminalNode, actionNodes], flow(e.port));
    const config = helper.getNode('cfg');
    const client = await config.whenClient;
    const { journal } = config;
    // White-box: the listener sets the action nodes register on the shared objects.
    const listeners = () => ({ journal: journal.listeners.size, client: client.stateListeners.size });
    const start = listeners();
    const faults = [{ fault: 'garbage' }, { fault: 'drop' }, { fault: 'twice' }, { fault: 'halfway' }, {}];
    for (let round = 0; round < 10; round++) {
      await helper.setFlows(flow(e.port, `pay node ${round}`), 'nodes');
      assert.equal(helper.getNode('cfg'), config, 'the config node was not restarted');
      watchPayNode();
      e.simulator.nextBehaviours.push(faults[round % faults.length]);
      await runMessage(FIELDS.pay());
    }
    assert.deepEqual(listeners(), start);
    await assertOneOutputEach();
    assert.equal(sentByNode.length, 10);
  });
});
