// The journal workload and the checks shared by the crash-consistency suite (in memory, a fault
// at every operation) and the kill -9 suite (a real process killed at every operation): what
// the journal promised, and what must hold when it is loaded again.
import assert from 'node:assert/strict';
import type { BeginOptions, Journal } from '../../src/journal/journal';
import type { Finding } from '../../src/journal/record';
import { createRequest } from '../../src/protocol';
import type { Action, Field, TerminalRequest, TransactionResult } from '../../src/protocol';
import { approved, declined, unknownOutcome } from './journal-results';

export const FILE = '/data/mypos-journal/journal.jsonl';
export const NOW = '2026-12-01T10:00:00.000Z';

/** What a test asks for: amount as a decimal string, the invoice or the pre-authorization code. */
export interface RequestFields {
  readonly amount?: string;
  readonly invoice?: string;
  readonly preauthcode?: string;
}

/** How a request of the workload really ended; 'open' while it has no end. */
export type Truth = 'ok' | 'unknown' | 'failed' | 'open';

/** A request the workload tried, and whether begin() resolved (it was sent). */
export interface RequestRecord {
  readonly invoice: string | undefined;
  readonly action: Action;
  readonly truth: Truth;
  sent: boolean;
  id?: string | undefined;
}

/** An operator's finding the workload tried, and whether resolve() resolved. */
export interface ResolutionRecord {
  readonly resolution: true;
  readonly invoice: string;
  readonly action: Action;
  readonly finding: Finding;
  readonly ref?: string;
  readonly note?: string;
  confirmed: boolean;
}

/** What the journal promised: the requests, and the problems seen while it ran (`live`) and the findings. */
export type Promised = RequestRecord[] & { live: string[]; resolutions: ResolutionRecord[] };

/** What violations() checks a reloaded journal against. */
export type Expected = readonly RequestRecord[] & { readonly resolutions?: readonly ResolutionRecord[] };

export function request(action: Action, fields: RequestFields): TerminalRequest {
  const sourced = (value: string | undefined, field: Field): { value: string | undefined; field: Field } => ({ value, field });
  return createRequest(
    {
      action,
      amount: sourced(fields.amount, 'amount'),
      invoice: sourced(fields.invoice, 'invoice'),
      preauthCode: sourced(fields.preauthcode, 'preauthcode'),
      receipt: sourced('ON', 'receipt'),
      custrcpt: sourced('ON', 'custrcpt'),
    },
    { decimals: 2 },
  );
}

export function resultFor(outcome: 'ok' | 'failed' | 'unknown', ref = '', action: Action = 'pay'): TransactionResult {
  if (outcome === 'ok') return approved(ref, action);
  return outcome === 'failed' ? declined(outcome) : unknownOutcome(outcome);
}

/** A journal with history, as an earlier run (version 1 lines) and a later one (version 2) left it. */
export function seedHistory(write: (text: string) => void): void {
  const v1 = (record: Record<string, string>): string => JSON.stringify({ v: 1, at: NOW, ...record });
  write(
    [
      v1({ id: 'h-paid', event: 'begin', action: 'pay', invoice: 'H-PAID', amount: '10.00' }),
      v1({ id: 'h-paid', event: 'end', action: 'pay', invoice: 'H-PAID', amount: '10.00', outcome: 'ok', ref: 'R-H1' }),
      v1({ id: 'h-lost', event: 'begin', action: 'pay', invoice: 'H-LOST', amount: '11.00' }),
      v1({ id: 'h-lost', event: 'end', action: 'pay', invoice: 'H-LOST', amount: '11.00', outcome: 'unknown' }),
      v1({ id: 'h-open', event: 'begin', action: 'pay', invoice: 'H-OPEN', amount: '12.00' }),
      v1({ id: 'h-declined', event: 'begin', action: 'pay', invoice: 'H-DECLINED', amount: '13.00' }),
      v1({ id: 'h-declined', event: 'end', action: 'pay', invoice: 'H-DECLINED', amount: '13.00', outcome: 'failed' }),
    ].join('\n') + '\n',
  );
}

/** What the history holds, as the truth after any restart. */
export const HISTORY: readonly RequestRecord[] = [
  { invoice: 'H-PAID', action: 'pay', truth: 'ok', sent: true },
  { invoice: 'H-LOST', action: 'pay', truth: 'unknown', sent: true },
  { invoice: 'H-OPEN', action: 'pay', truth: 'open', sent: true },
  { invoice: 'H-DECLINED', action: 'pay', truth: 'failed', sent: true },
];

/**
 * The workload. Returns what the journal promised: for each request, whether begin() resolved
 * (the request would have been sent) and how it really ended; in `promised.resolutions`, each
 * operator's finding tried and whether resolve() resolved (`confirmed`). `report(record)` hears
 * of each request and finding as it is tried and again once it counts.
 */
export async function workload(journal: Journal, report: (record: RequestRecord | ResolutionRecord) => void = () => undefined): Promise<Promised> {
  const promised: Promised = Object.assign([], { live: [], resolutions: [] });
  const step = async (action: Action, fields: RequestFields, truth?: 'ok' | 'failed' | 'unknown', ref?: string): Promise<RequestRecord> => {
    const record: RequestRecord = { invoice: fields.invoice, action, truth: truth ?? 'open', sent: false, id: undefined };
    promised.push(record);
    report(record);
    let begun;
    try {
      begun = await journal.begin(request(action, fields));
    } catch {
      // JOURNAL: not sent, so it must block nothing now (not only after a restart).
      if (journal.refusal(request(action, fields))?.code === 'DUPLICATE') promised.live.push(`${fields.invoice ?? fields.preauthcode} stays blocked after its begin failed`);
      return record;
    }
    assert.equal(begun.refusal, undefined, `unexpected refusal of ${fields.invoice}: ${begun.refusal?.message}`);
    record.sent = true;
    record.id = begun.id;
    report(record);
    if (truth) await journal.end(begun.id, resultFor(truth, ref, action));
    return record;
  };
  // An operator's finding for a request of unknown outcome: until it is confirmed, the request
  // stays protected; once it is, "not-charged" frees its invoice at once.
  const settle = async (id: string | undefined, invoice: string, finding: Finding, extra: { ref?: string; note?: string } = {}): Promise<void> => {
    if (id === undefined) return;
    const record: ResolutionRecord = { resolution: true, invoice, action: 'pay', finding, ...extra, confirmed: false };
    promised.resolutions.push(record);
    report(record);
    const blocked = () => journal.refusal(request('pay', { amount: '1', invoice }))?.code === 'DUPLICATE';
    try {
      await journal.resolve(id, { finding, by: 'operator', ...extra });
    } catch {
      if (!blocked()) promised.live.push(`${invoice}: no longer refused, though its finding was not recorded`);
      return;
    }
    record.confirmed = true;
    report(record);
    if (finding === 'not-charged' && blocked()) promised.live.push(`${invoice}: still refused after its "not-charged" finding was recorded`);
    if (finding === 'charged' && !blocked()) promised.live.push(`${invoice}: no longer refused after its "charged" finding`);
  };
  // Open, or not: a journal that could not open stays closed for the workload (it retries after 5 s at the earliest).
  const open = await journal.ready.then(
    () => true,
    () => false,
  );
  await step('pay', { amount: '1', invoice: 'W-OK' }, 'ok', 'R-1');
  const unknown = await step('pay', { amount: '2', invoice: 'W-UNKNOWN' }, 'unknown');
  await step('pay', { amount: '3', invoice: 'W-OPEN' }); // in flight when the process dies
  await step('pay', { amount: '4', invoice: 'W-DECLINED' }, 'failed');
  await step('preauth', { amount: '50', invoice: 'W-PRE' }, 'ok', 'CODE-W');
  // Before compaction, which must carry it over; the history's lost payment, found charged.
  if (open) await settle('h-lost', 'H-LOST', 'charged', { ref: 'R-H2', note: 'Found in the myPOS account.' });
  if (open) await journal.compactNowForTests();
  await step('pay', { amount: '5', invoice: 'W-AFTER' }, 'ok', 'R-5');
  await settle(unknown.id, 'W-UNKNOWN', 'not-charged');
  await step('complete', { amount: '40', preauthcode: 'CODE-W' }, 'ok', 'R-6');
  await journal.acknowledge().catch(() => undefined);
  return promised;
}

/** Checks a reloaded journal against what was promised; returns a list of violations. */
export function violations(journal: Journal, promised: Expected, label: string): string[] {
  const found: string[] = [];
  const unresolved = new Set(journal.unresolved.map((entry) => entry.invoice ?? entry.preauthcode));
  const resolutions = promised.resolutions ?? [];
  // A finding is never invented: each one the journal holds was tried, as it reads.
  const freed = new Set<string | undefined>();
  const held = journal.history().entries;
  for (const entry of held) {
    if (!entry.resolution) continue;
    const { finding, ref, note, by } = entry.resolution;
    const key = entry.invoice ?? entry.preauthcode;
    const tried = resolutions.some((r) => r.invoice === key && r.action === entry.action && r.finding === finding && r.ref === ref && r.note === note);
    if (!tried || by !== 'operator') found.push(`${label}: ${key} reads as found ${finding} (ref ${ref}, by ${by}), which nobody recorded`);
    else if (finding === 'not-charged') freed.add(key);
    if (unresolved.has(key)) found.push(`${label}: ${key} has a finding, yet is listed unresolved`);
  }
  // A finding that resolve() confirmed is never lost, and means what it says.
  for (const record of resolutions.filter((r) => r.confirmed)) {
    const entry = held.find(({ invoice, action }) => invoice === record.invoice && action === record.action);
    if (entry?.resolution?.finding !== record.finding) found.push(`${label}: the confirmed finding ${record.finding} for ${record.invoice} is lost`);
    const refused = journal.refusal(request(record.action, { amount: '1', invoice: record.invoice }))?.code === 'DUPLICATE';
    if (record.finding === 'not-charged' && refused) found.push(`${label}: ${record.invoice} is still refused after its confirmed "not-charged" finding`);
  }
  for (const record of promised) {
    const req = record.action === 'complete' ? request('complete', { amount: '40', preauthcode: 'CODE-W' }) : request(record.action, { amount: '1', invoice: record.invoice });
    const refusal = journal.refusal(req);
    const key = record.invoice ?? 'CODE-W';
    if (record.sent && ['ok', 'unknown', 'open'].includes(record.truth) && refusal?.code !== 'DUPLICATE' && !freed.has(key)) {
      found.push(`${label}: ${key} (${record.truth}) is no longer refused`);
    }
    // Acknowledged by the workload or not, an open request must be remembered; unresolved unless acknowledged.
    if (!record.sent && refusal?.code === 'DUPLICATE' && !unresolved.has(key)) {
      found.push(`${label}: ${key} was never sent, yet is refused without being listed unresolved`);
    }
  }
  for (const entry of held) {
    const key = entry.invoice ?? entry.preauthcode;
    const truth = [...HISTORY, ...promised].find((record) => (record.invoice ?? 'CODE-W') === key && record.action === entry.action);
    if (!truth) found.push(`${label}: an entry for ${key} that nobody began`);
    else if (entry.outcome === 'ok' && truth.truth !== 'ok') found.push(`${label}: ${key} reads as approved, but was ${truth.truth}`);
    else if (entry.outcome !== undefined && entry.outcome !== truth.truth) {
      found.push(`${label}: ${key} reads as ${entry.outcome}, but was ${truth.truth}`);
    }
  }
  for (const record of HISTORY) {
    const refusal = journal.refusal(request(record.action, { amount: '1', invoice: record.invoice }));
    const blocked = refusal?.code === 'DUPLICATE';
    if (record.truth !== 'failed' && !blocked) found.push(`${label}: history ${record.invoice} (${record.truth}) is no longer refused`);
    if (record.truth === 'failed' && blocked) found.push(`${label}: history ${record.invoice} (declined) is refused`);
  }
  if (journal.damaged.length > 0) found.push(`${label}: damaged lines reported: ${journal.damaged.map((d) => `${d.reason} at ${d.offset}`).join(', ')}`);
  return found;
}

/** Records a request that the journal must accept, and returns its id. */
export async function beginId(journal: Journal, req: TerminalRequest, options?: BeginOptions): Promise<string> {
  const begun = await journal.begin(req, options);
  assert.equal(begun.refusal, undefined, `begin refused: ${begun.refusal?.message}`);
  return begun.id;
}
