// The requests, expectations and checks the fault-injection suite (test/faults-*.test.ts) shares:
// what each case sends, what its result must be, and what the wire and the journal must show.
import assert from 'node:assert/strict';
import type { Action, ErrorCode, Outcome, TerminalClient, TransactionResult } from '../../src';
import type { TransactionPhase } from '../../src/client/transaction';
import type { ClientOptions, FaultBehaviour, FaultEnv } from './fault-env';
import { journalRecords, keyOf, sleep, waitFor } from './fault-env';

const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;
/** The generous bound on event-loop blocking: a loaded 2-core machine must not make it flaky. */
export const EVENT_LOOP_BOUND_MS = 50;
/** How long to watch for a re-send after a result. */
export const QUIET_MS = 60;

/** The result a case expects. */
export type Expected = { readonly result: 'OK' } | { readonly result: 'ERROR'; readonly code: ErrorCode; readonly outcome: Outcome };

export const OK: Expected = { result: 'OK' };
export const TIMEOUT: Expected = { result: 'ERROR', code: 'TIMEOUT', outcome: 'unknown' };
export const LOST: Expected = { result: 'ERROR', code: 'CONNECTION_LOST', outcome: 'unknown' };
const PROTOCOL: Expected = { result: 'ERROR', code: 'PROTOCOL', outcome: 'unknown' };
export const CONNECT: Expected = { result: 'ERROR', code: 'CONNECT', outcome: 'not-sent' };
const DECLINED: Expected = { result: 'ERROR', code: 'TERMINAL', outcome: 'failed' };
const BAD_XML: Expected = { result: 'ERROR', code: 'BAD_XML', outcome: 'failed' };

/** "OK", or "CODE/outcome". */
export const expectedText = (expected: Expected): string => (expected.result === 'OK' ? 'OK' : `${expected.code}/${expected.outcome}`);

let counter = 0;
/** A number not used before in this process. */
export const nextCount = (): number => ++counter;
/** The number last handed out. */
export const lastCount = (): number => counter;
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${nextCount()}`;

/** The fields of a request a case sends. */
export interface Fields {
  readonly amount?: string;
  readonly invoice?: string;
  readonly preauthcode?: string;
}

/** Fields of a request of each action; complete and cancel need the code of a pre-authorization. */
export const FIELDS: Readonly<Record<Action, (code?: string) => Fields>> = {
  pay: () => ({ amount: '12.34', invoice: unique('PAY') }),
  refund: () => ({ amount: '5.60', invoice: unique('REF') }),
  preauth: () => ({ amount: '40.00', invoice: unique('PRE') }),
  complete: (code) => ({ amount: '30.00', preauthcode: code }),
  cancel: (code) => ({ preauthcode: code }),
};
export const needsCode = (action: Action): boolean => action === 'complete' || action === 'cancel';
export const keyFor = (action: Action, fields: Fields): string => `${action}:${fields.invoice ?? fields.preauthcode}`;

export function describeResult(result: unknown): string {
  return JSON.stringify(result);
}

/** The result is `expected`, and says which request it is about. */
export function assertResult(result: TransactionResult, expected: Expected, action: Action, fields: Fields): void {
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
  assert.ok(result.result === 'ERROR', shown); // as asserted above; tells TypeScript it is a failure
  assert.equal(result.code, expected.code, shown);
  assert.equal(result.outcome, expected.outcome, shown);
  assert.equal(typeof result.message, 'string');
  if (expected.outcome === 'unknown') assert.match(result.message, UNKNOWN_ADVICE, shown);
  else assert.doesNotMatch(result.message, UNKNOWN_ADVICE, shown);
  if (expected.outcome === 'not-sent') assert.match(result.message, /Nothing was sent/, shown);
}

/** A result and the phases the client reported for it. */
export interface Sent {
  readonly result: TransactionResult;
  readonly phases: TransactionPhase[];
}

/** Sends one request; returns its result and the phases the client reported for it. */
export async function send(client: TerminalClient, action: Action, fields: object): Promise<Sent> {
  const phases: TransactionPhase[] = [];
  const result = await client[action](fields, { onPhase: (phase) => phases.push(phase) });
  return { result, phases };
}

const JOURNAL_OUTCOME: Readonly<Record<string, string>> = { OK: 'ok', TERMINAL: 'failed', BAD_XML: 'failed', TIMEOUT: 'unknown', CONNECTION_LOST: 'unknown', PROTOCOL: 'unknown' };

/** How many times each request of an environment must have reached the terminal. */
const expectedCounts = new WeakMap<FaultEnv, Map<string, number>>();

/**
 * What the wire and the journal say about one request: received `sent` times (0 or 1, never
 * more, even a while later), reported `sent` once by onPhase, journalled with one begin and
 * one end whose outcome matches the result.
 */
export async function assertDelivery(e: FaultEnv, action: Action, fields: Fields, { result, phases }: Sent, sent: number): Promise<void> {
  const key = keyFor(action, fields);
  const counts = expectedCounts.get(e) ?? new Map<string, number>();
  expectedCounts.set(e, counts);
  counts.set(key, sent);
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
export async function assertNoResend(e: FaultEnv): Promise<void> {
  await sleep(QUIET_MS);
  for (const [key, sent] of expectedCounts.get(e) ?? []) {
    assert.equal(e.log.count(key), sent, `${key} reached the terminal ${e.log.count(key)} times by the end of the test, expected ${sent}`);
  }
}

/** Creates a pre-authorization on the terminal and returns the fields of the request that uses it. */
export async function fieldsFor(e: FaultEnv, action: Action): Promise<Fields> {
  if (!needsCode(action)) return FIELDS[action]();
  const pre = await e.client.preauth({ amount: '40.00', invoice: unique('SETUP') });
  assert.equal(pre.result, 'OK', `setting up a pre-authorization: ${describeResult(pre)}`);
  assert.equal(e.simulator.preauthState(pre.ref), 'open');
  return FIELDS[action](pre.ref);
}

/** What the terminal's state says after the request: did a complete/cancel take effect? */
export function assertPreauthState(e: FaultEnv, action: Action, fields: Fields, expected: Expected): void {
  if (!needsCode(action)) return;
  const state = e.simulator.preauthState(fields.preauthcode ?? '');
  if (expected.result === 'OK') assert.equal(state, action === 'complete' ? 'completed' : 'cancelled');
  if (expected.result === 'ERROR' && (expected.outcome === 'not-sent' || expected.code === 'TERMINAL')) {
    assert.equal(state, 'open', 'a request that failed or was not sent left the pre-authorization open');
  }
}

/**
 * One case: the simulator's behaviour for the request under test (`fault`), client options,
 * the expected result, and the follow-up's behaviour. `during` runs once the request reached the
 * terminal; `restore` brings a vanished link back before the follow-up.
 */
export interface FaultCase<E extends FaultEnv = FaultEnv> {
  readonly name: string;
  readonly client?: ClientOptions;
  readonly fault: FaultBehaviour;
  readonly followUp?: FaultBehaviour;
  readonly expect: Expected;
  /** The answer comes after the timeout. */
  readonly late?: boolean;
  /** ...and within the window for a late answer: the journal records it. */
  readonly lateRecorded?: boolean;
  /** The follow-up needs a new connection. */
  readonly reconnects?: boolean;
  readonly restore?: boolean;
  readonly during?: (e: E) => Promise<void>;
  /** A known limitation (docs/bluetooth.md, "Known limits"): run only with MYPOS_KNOWN_LIMITS set. */
  readonly knownLimitation?: boolean;
}

/**
 * An answer due at 1050 ms, after an 800 ms timeout: `within` the window for a late answer (2 s)
 * it is the request's outcome after all, recorded in the journal; `after` it (100 ms), the link
 * is replaced and the answer, arriving on the old link while the follow-up is open, must not be
 * taken for the follow-up's. The follow-up goes out once the first request is over.
 */
export function lateAnswerCase<E extends FaultEnv = FaultEnv>(window: 'within' | 'after', followUpDelayMs: number, more: Partial<FaultCase<E>> = {}): FaultCase<E> {
  const within = window === 'within';
  return {
    name: within ? 'answers after the timeout (within the window for a late answer)' : 'answers after the timeout (later than the window for a late answer)',
    client: { responseTimeoutMs: 800, lateAnswerWindowMs: within ? 2000 : 100 },
    fault: { delayMs: 1050 },
    followUp: { delayMs: followUpDelayMs },
    expect: TIMEOUT,
    late: true,
    ...(within && { lateRecorded: true }),
    ...more,
  };
}

/** What the terminal's answer itself may be, the same over any link. */
const ANSWER_CASES: readonly FaultCase[] = [
  { name: 'answers in one-byte pieces', fault: { fault: 'bytewise', byteDelayMs: 1 }, expect: OK },
  { name: 'answers with garbage', fault: { fault: 'garbage' }, expect: PROTOCOL },
  { name: 'answers twice', fault: { fault: 'twice' }, expect: OK },
  // The next request goes out after the client's answer guard (250 ms of quiet); a repeat that
  // arrives later, before the next request's own answer, must not be taken for it.
  { name: 'answers twice, the repeat 40 ms later', fault: { repeatsAfterMs: [40] }, followUp: { delayMs: 150 }, expect: OK },
  // The same with a decline, whose answer has an empty <ref>: taken for the next request's answer,
  // it would report a request the terminal has not answered yet as declined (or as unknown).
  { name: 'declines twice, the repeat 40 ms later', fault: { fault: 'decline', repeatsAfterMs: [40] }, followUp: { delayMs: 150 }, expect: DECLINED },
  { name: 'declines', fault: { fault: 'decline' }, expect: DECLINED },
  { name: 'answers Hibás XML', fault: { fault: 'bad-xml' }, expect: BAD_XML },
  { name: "answers with another action's reply", fault: { fault: 'wrong-root' }, expect: PROTOCOL },
];

/** Cases over any link: the terminal is slow or silent, or its answer is odd. */
export function commonCases<E extends FaultEnv>(): FaultCase<E>[] {
  return [
    { name: 'answers late but within the timeout', client: { responseTimeoutMs: 3000 }, fault: { delayMs: 300 }, expect: OK },
    { name: 'never answers', client: { responseTimeoutMs: 300 }, fault: { fault: 'silent' }, expect: TIMEOUT },
    ...ANSWER_CASES,
  ];
}

/**
 * Each case: the simulator's behaviour for the request under test (`fault`), client options,
 * the expected result, and the follow-up's behaviour. Every case ends with a follow-up request on
 * the same client that must get its own answer.
 */
export const TCP_CASES: readonly FaultCase[] = [
  ...commonCases(),
  { name: 'closes the connection before answering', fault: { fault: 'drop' }, expect: LOST },
  { name: 'closes the connection half-way through the answer', fault: { fault: 'halfway' }, expect: LOST },
  lateAnswerCase('after', 550),
  lateAnswerCase('within', 100),
  { name: 'closes the connection after every answer', fault: { closeAfterAnswer: true }, followUp: { closeAfterAnswer: true }, expect: OK, reconnects: true },
];

/**
 * Sends the request under test, then at once (as a kiosk's next customer or a queue would) a
 * follow-up pay on the same client, then checks both: results, what the terminal received and
 * answered, the journal, and that nothing is re-sent a while later.
 */
export async function runCase<E extends FaultEnv>(e: E, action: Action, kase: FaultCase<E>, { during }: { during?: (e: E) => Promise<void> } = {}): Promise<void> {
  const fields = await fieldsFor(e, action);
  const key = keyFor(action, fields);
  e.simulator.nextBehaviours.push(kase.fault, ...(kase.followUp ? [kase.followUp] : []));
  let duringDone: Promise<void> | undefined;
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
