// The journal's operator findings (resolve) and the history the console reads from it, and a
// large journal. (The journal on its own: journal-file.test.ts; with the client: journal-client.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Journal, ResolveError } from '../src/journal/journal';
import type { HistoryQuery, JournalOptions, ResolveInput } from '../src/journal/journal';
import { nodeFileSystem } from '../src/journal/file-system';
import { decodeLine, encodeRecord } from '../src/journal/record';
import type { Action, Explanation, TransactionResult } from '../src/protocol';
import type { JournalRecord } from '../src/journal/record';
import type { FaultKind } from './support/fault-fs';
import { FaultFileSystem } from './support/fault-fs';
import { tempJournalFile as tempFile } from './support/journal-files';
import { OK, approved, declined, failed, unknownOutcome } from './support/journal-results';
import { beginId, request } from './support/journal-workload';
import type { RequestFields } from './support/journal-workload';

describe('journal: operator findings (resolve) and the history the console reads', () => {
  const UNKNOWN = unknownOutcome('no answer');
  const DECLINED = declined('declined', 'DECLINED');
  let file: string;
  const open: Journal[] = [];

  function journalAt(options?: JournalOptions): Journal {
    const journal = new Journal(file, options);
    open.push(journal);
    return journal;
  }

  async function reopen(journal: Journal, options?: JournalOptions): Promise<Journal> {
    await journal.close();
    const next = journalAt(options);
    await next.ready;
    return next;
  }

  /** A request that ended with an unknown outcome; resolves its id. */
  async function unknownPayment(journal: Journal, invoice: string, options?: { terminal?: string }): Promise<string> {
    const id = await beginId(journal, request('pay', { amount: '7', invoice }), options);
    await journal.end(id, UNKNOWN);
    return id;
  }

  async function rejectsWith(promise: Promise<unknown>, code: ResolveError['code'], field?: string): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof ResolveError, String(error));
      assert.equal(error.name, 'ResolveError', error.stack);
      assert.equal(error.code, code, error.message);
      if (field !== undefined) {
        assert.equal(error.field, field, error.message);
        assert.ok(error.message.startsWith(`${field} `), `the message names the field: ${error.message}`);
      }
      return true;
    });
  }

  beforeEach(() => {
    file = tempFile();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((journal) => journal.close()));
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('"not-charged": one checked line with who and when; off the unresolved list; the same invoice goes again without allowDuplicate, also after a restart', async () => {
    let journal = journalAt({ now: () => new Date('2026-12-02T10:00:00.000Z') });
    const id = await unknownPayment(journal, 'NC-1');
    journal = await reopen(journal);
    assert.deepEqual(
      journal.unresolved.map((e) => e.id),
      [id],
    );
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' }))?.code, 'DUPLICATE');
    let changes = 0;
    journal.onChange(() => (changes += 1));

    const resolved = await journal.resolve(id, { finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.' });
    assert.equal(resolved.state, 'not-charged');
    assert.equal(resolved.needsAttention, false);
    assert.deepEqual({ ...resolved.resolution, at: undefined }, { finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.', at: undefined });
    assert.ok(!Number.isNaN(Date.parse(resolved.resolution?.at ?? '')));
    assert.deepEqual(journal.unresolved, []);
    assert.equal(changes, 1, 'the nodes hear that the unresolved list changed');
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' })), undefined, 'duplicate protection lifted');

    const raw = fs.readFileSync(file, 'utf8').trim().split('\n');
    const last = raw[raw.length - 1];
    assert.equal(decodeLine(last).kind, 'record', 'the line carries a valid CRC like every other line');
    const line = JSON.parse(last);
    assert.deepEqual(
      { event: line.event, id: line.id, finding: line.finding, by: line.by, note: line.note, at: line.at },
      { event: 'resolved', id, finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.', at: resolved.resolution?.at },
    );
    assert.equal(raw.filter((text) => text.includes('"resolved"')).length, 1, 'one line per resolution');

    journal = await reopen(journal);
    assert.deepEqual(journal.unresolved, [], 'durable');
    assert.deepEqual(journal.find(id)?.resolution, resolved.resolution);
    const again = await beginId(journal, request('pay', { amount: '7', invoice: 'NC-1' }));
    await journal.end(again, OK);
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' }))?.code, 'DUPLICATE', 'the new payment protects the invoice again');
  });

  it('"charged" keeps duplicate protection and records the ref; the line survives compaction unchanged, and restarts', async () => {
    let journal = journalAt({ maxBytes: 1 << 30 });
    const id = await unknownPayment(journal, 'CH-1');
    journal = await reopen(journal, { maxBytes: 1 << 30 });
    await journal.resolve(id, { finding: 'charged', ref: '000123456789', by: 'béla@shop', note: 'Láttam a terminálon: sikeres.' });
    assert.deepEqual(journal.unresolved, []);
    const refusal = journal.refusal(request('pay', { amount: '7', invoice: 'CH-1' }));
    assert.equal(refusal?.code, 'DUPLICATE');
    assert.match(refusal.message, /found charged on the terminal by béla@shop/);
    const written = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .find((text) => text.includes('"resolved"'));
    for (let i = 0; i < 60; i += 1) {
      const other = await beginId(journal, request('pay', { amount: '1', invoice: `FILL-${i}` }));
      await journal.end(other, OK);
    }
    assert.ok(await journal.compactNowForTests(), 'compaction ran');
    const after = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((text) => text.includes('"resolved"'));
    assert.deepEqual(after, [written], 'the very same line: who, when, finding, ref and note are never rewritten');
    journal = await reopen(journal, { maxBytes: 1 << 30 });
    const entry = journal.find(id);
    assert.equal(entry?.state, 'charged');
    assert.equal(entry.resolution?.ref, '000123456789');
    assert.equal(entry.resolution?.note, 'Láttam a terminálon: sikeres.');
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'CH-1' }))?.code, 'DUPLICATE');
  });

  it('settles a request left open by a stop, either way', async () => {
    let journal = journalAt();
    const open1 = await beginId(journal, request('pay', { amount: '1', invoice: 'OPEN-NC' }));
    const open2 = await beginId(journal, request('pay', { amount: '1', invoice: 'OPEN-CH' }));
    await rejectsWith(journal.resolve(open1, { finding: 'not-charged', by: 'x' }), 'NOT_NEEDED');
    journal = await reopen(journal);
    assert.deepEqual(
      journal.history({ states: ['unknown'] }).entries.map((e) => e.invoice),
      ['OPEN-CH', 'OPEN-NC'],
    );
    await journal.resolve(open1, { finding: 'not-charged', by: 'x' });
    await journal.resolve(open2, { finding: 'charged', by: 'x' });
    journal = await reopen(journal);
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'OPEN-NC' })), undefined);
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'OPEN-CH' }))?.code, 'DUPLICATE');
    assert.deepEqual(journal.unresolved, []);
  });

  it('refuses, with a clear error: an unknown id, resolving twice, after an acknowledgement, a request that needs no person, a damaged line', async () => {
    let journal = journalAt();
    const twice = await unknownPayment(journal, 'TWICE');
    const acked = await unknownPayment(journal, 'ACKED');
    const paid = await beginId(journal, request('pay', { amount: '1', invoice: 'PAID' }));
    await journal.end(paid, OK);
    const declined = await beginId(journal, request('pay', { amount: '1', invoice: 'DECLINED' }));
    await journal.end(declined, DECLINED);
    const late = await unknownPayment(journal, 'LATE');
    await journal.late(late, approved('R-LATE'));
    const inFlight = await beginId(journal, request('pay', { amount: '1', invoice: 'IN-FLIGHT' }));

    await rejectsWith(journal.resolve('no-such-id', { finding: 'charged', by: 'x' }), 'NOT_FOUND');
    await journal.resolve(twice, { finding: 'not-charged', by: 'x' });
    await rejectsWith(journal.resolve(twice, { finding: 'charged', by: 'y' }), 'ALREADY_RESOLVED');
    await assert.rejects(journal.resolve(twice, { finding: 'charged', by: 'y' }), /already resolved as not-charged by x/);
    await journal.acknowledge([acked]);
    await assert.rejects(journal.resolve(acked, { finding: 'not-charged', by: 'x' }), /already acknowledged without a finding.*allowDuplicate/);
    await rejectsWith(journal.resolve(paid, { finding: 'not-charged', by: 'x' }), 'NOT_NEEDED');
    await assert.rejects(journal.resolve(declined, { finding: 'not-charged', by: 'x' }), /its outcome is known \(declined\)/);
    await assert.rejects(journal.resolve(late, { finding: 'not-charged', by: 'x' }), /a late answer from the terminal settled it \(approved/);
    await assert.rejects(journal.resolve(inFlight, { finding: 'not-charged', by: 'x' }), /still in progress/);
    await journal.end(inFlight, OK);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.filter((text) => text.includes('"resolved"')).length, 1, 'nothing refused was written');

    // A damaged line is acknowledged, not resolved.
    await journal.close();
    fs.appendFileSync(file, 'garbage\n');
    journal = journalAt();
    await journal.ready;
    await rejectsWith(journal.resolve(journal.damaged[0].id, { finding: 'charged', by: 'x' }), 'NOT_NEEDED');
  });

  it('checks every field, naming it: finding, ref (printable ASCII, at most 50, charged only), by and note (printable, limited)', async () => {
    const journal = journalAt();
    const id = await unknownPayment(journal, 'FIELDS');
    // Inputs the type does not allow, as a JavaScript caller or a console request could send them.
    const cases: [unknown, string][] = [
      [{ finding: 'maybe', by: 'x' }, 'finding'],
      [{ by: 'x' }, 'finding'],
      [{ finding: 'charged' }, 'by'],
      [{ finding: 'charged', by: '' }, 'by'],
      [{ finding: 'charged', by: 'x'.repeat(101) }, 'by'],
      [{ finding: 'charged', by: 'x', ref: 'R-ő' }, 'ref'],
      [{ finding: 'charged', by: 'x', ref: 'R'.repeat(51) }, 'ref'],
      [{ finding: 'charged', by: 'x', ref: '' }, 'ref'],
      [{ finding: 'charged', by: 'x', ref: ' R1' }, 'ref'],
      [{ finding: 'charged', by: 'x', ref: 12 }, 'ref'],
      [{ finding: 'not-charged', by: 'x', ref: 'R1' }, 'ref'],
      [{ finding: 'charged', by: 'x', note: 'two\nlines' }, 'note'],
      [{ finding: 'charged', by: 'x', note: 'bidi \u202e trick' }, 'note'],
      [{ finding: 'charged', by: 'x', note: 'n'.repeat(501) }, 'note'],
      [{ finding: 'charged', by: 'x', note: '' }, 'note'],
      [{ finding: 'charged', by: 'x', note: { text: 'x' } }, 'note'],
    ];
    for (const [input, field] of cases) await rejectsWith(journal.resolve(id, input as ResolveInput), 'INVALID_INPUT', field);
    assert.deepEqual(
      journal.unresolved.map((e) => e.id),
      [id],
      'nothing was recorded',
    );
    const ok = await journal.resolve(id, { finding: 'charged', by: 'x'.repeat(100), ref: 'R'.repeat(50), note: 'ű'.repeat(500) });
    assert.equal(ok.state, 'charged');
  });

  it('never counts a finding whose line was not written: the write fails, nothing changes', async () => {
    const counted = new FaultFileSystem(nodeFileSystem);
    let journal = journalAt({ fs: counted });
    const id = await unknownPayment(journal, 'FAIL-1');
    for (const kind of ['error', 'enospc'] satisfies FaultKind[]) {
      counted.failAt(counted.ops + 1, kind);
      await assert.rejects(journal.resolve(id, { finding: 'not-charged', by: 'x' }));
      counted.clear();
      assert.deepEqual(
        journal.unresolved.map((e) => e.id),
        [id],
        `${kind}: still unresolved`,
      );
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'FAIL-1' }))?.code, 'DUPLICATE', `${kind}: still protected`);
      assert.equal(journal.find(id)?.resolution, undefined);
    }
    journal = await reopen(journal);
    assert.deepEqual(
      journal.unresolved.map((e) => e.id),
      [id],
    );
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /"resolved"/);
    await journal.resolve(id, { finding: 'not-charged', by: 'x' });
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'FAIL-1' })), undefined, 'works once the disk does');
  });

  it('one decision per request: acknowledge() and resolve() at the same moment do not both count', async () => {
    const journal = journalAt();
    const id = await unknownPayment(journal, 'RACE');
    const resolving = journal.resolve(id, { finding: 'not-charged', by: 'x' });
    const acknowledged = await journal.acknowledge();
    await resolving;
    assert.deepEqual(acknowledged, [], 'the request being resolved is not acknowledged meanwhile');
    assert.equal(journal.find(id)?.state, 'not-charged');
    assert.equal(journal.find(id)?.acknowledged, false);
  });

  it('pre-authorizations: a preauth found charged gives its code (completions are checked against its amount); a completion found not charged frees its code', async () => {
    let journal = journalAt();
    const preauth = await beginId(journal, request('preauth', { amount: '50', invoice: 'ROOM-9' }));
    await journal.end(preauth, UNKNOWN);
    await journal.resolve(preauth, { finding: 'charged', ref: 'CODE-9', by: 'x' });
    const complete = (amount: string) => request('complete', { amount, preauthcode: 'CODE-9' });
    assert.equal(journal.refusal(complete('60'))?.code, 'INVALID_INPUT', 'above the pre-authorized amount');
    assert.equal(journal.refusal(complete('40')), undefined);
    assert.equal(journal.refusal(request('preauth', { amount: '50', invoice: 'ROOM-9' }))?.code, 'DUPLICATE');

    const completion = await beginId(journal, complete('40'));
    await journal.end(completion, UNKNOWN);
    assert.equal(journal.refusal(complete('40'))?.code, 'DUPLICATE', 'a completion of unknown outcome blocks its code');
    journal = await reopen(journal);
    assert.equal(journal.refusal(complete('60'), true)?.code, 'INVALID_INPUT', 'the code found by the operator is remembered');
    await journal.resolve(completion, { finding: 'not-charged', by: 'x' });
    assert.equal(journal.refusal(complete('40')), undefined, 'not completed: the code can be completed again');
    const cancel = await beginId(journal, request('cancel', { preauthcode: 'CODE-9' }));
    await journal.end(cancel, UNKNOWN);
    await journal.resolve(cancel, { finding: 'charged', by: 'x' });
    assert.equal(journal.refusal(complete('40'))?.code, 'DUPLICATE', 'cancelled: the code is used');
  });

  it('a late answer after a finding is recorded and wins for the display; duplicate protection takes the safe side of both', async () => {
    let journal = journalAt();
    const approvedLate = await unknownPayment(journal, 'LATE-OK');
    const declinedLate = await unknownPayment(journal, 'LATE-NO');
    await journal.resolve(approvedLate, { finding: 'not-charged', by: 'x' });
    await journal.resolve(declinedLate, { finding: 'charged', by: 'x' });
    await journal.late(approvedLate, approved('R-LATE'));
    await journal.late(declinedLate, DECLINED);
    const check = () => {
      assert.equal(journal.find(approvedLate)?.state, 'late-approved');
      assert.equal(journal.find(approvedLate)?.resolution?.finding, 'not-charged', 'the finding stays on record');
      assert.equal(journal.find(declinedLate)?.state, 'late-declined');
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'LATE-OK' }))?.code, 'DUPLICATE', 'the terminal said approved');
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'LATE-NO' }))?.code, 'DUPLICATE', 'the operator said charged');
    };
    check();
    journal = await reopen(journal);
    check();
    assert.ok(await journal.compactNowForTests());
    journal = await reopen(journal);
    check();
  });

  it('loads an old journal (version 1 lines, version 2 without findings) unchanged; a finding in a damaged line frees nothing', async () => {
    const v1 = (record: Record<string, string>): string => JSON.stringify({ v: 1, at: '2026-11-30T10:00:00.000Z', ...record });
    fs.writeFileSync(file, `${v1({ id: 'old', event: 'begin', action: 'pay', invoice: 'OLD-1', amount: '3.00' })}\n${v1({ id: 'old', event: 'end', outcome: 'unknown' })}\n`);
    let journal = journalAt();
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((e) => e.invoice),
      ['OLD-1'],
    );
    assert.equal(journal.find('old')?.state, 'unknown');
    await journal.resolve('old', { finding: 'not-charged', by: 'x' });
    await journal.close();
    // The same finding, its checksum broken: it counts for nothing.
    const text = fs.readFileSync(file, 'utf8').replace('"by":"x"', '"by":"y"');
    fs.writeFileSync(file, text);
    journal = journalAt();
    await journal.ready;
    assert.equal(journal.damaged.length, 1);
    assert.equal(journal.refusal(request('pay', { amount: '3', invoice: 'OLD-1' }))?.code, 'DUPLICATE');
    assert.deepEqual(
      journal.unresolved.map((e) => e.invoice),
      ['OLD-1'],
    );
  });

  it('history: newest first, paged, by local day, action, state, invoice text and terminal; declined requests too; after a restart the same', async () => {
    let clock = new Date(2026, 11, 1, 23, 59, 0); // local time
    const now = () => clock;
    let journal = journalAt({ now });
    const at = async (date: Date, action: Action, fields: RequestFields, result?: TransactionResult, terminal = 'tcp:10.0.0.1:51042'): Promise<string> => {
      clock = date;
      const id = await beginId(journal, request(action, fields), { terminal });
      if (result) await journal.end(id, result);
      return id;
    };
    await at(new Date(2026, 11, 1, 23, 59, 0), 'pay', { amount: '1', invoice: 'A-1001' }, OK);
    await at(new Date(2026, 11, 2, 0, 0, 0), 'pay', { amount: '2', invoice: 'a-1002' }, DECLINED);
    await at(new Date(2026, 11, 2, 9, 30, 0), 'refund', { amount: '1', invoice: 'A-1001' }, OK);
    const lost = await at(new Date(2026, 11, 2, 12, 0, 0), 'pay', { amount: '3', invoice: 'B-7' }, UNKNOWN, 'tcp:10.0.0.2:51042');
    await at(new Date(2026, 11, 2, 23, 59, 59, 999), 'pay', { amount: '4', invoice: 'C-1' }, failed('BUSY', 'busy'));
    await at(new Date(2026, 11, 3, 0, 0, 0), 'pay', { amount: '5', invoice: 'D-1' }, OK);
    await journal.resolve(lost, { finding: 'not-charged', by: 'x' });

    const check = () => {
      const invoices = (query?: HistoryQuery): (string | undefined)[] => journal.history(query).entries.map((e) => e.invoice);
      assert.deepEqual(invoices(), ['D-1', 'C-1', 'B-7', 'A-1001', 'a-1002', 'A-1001']);
      const day = { from: new Date(2026, 11, 2), to: new Date(2026, 11, 3) };
      assert.deepEqual(invoices(day), ['C-1', 'B-7', 'A-1001', 'a-1002'], 'a local day, its first and last millisecond included');
      assert.deepEqual(journal.history({ ...day, offset: 1, limit: 2 }), { total: 4, entries: journal.history(day).entries.slice(1, 3) });
      assert.deepEqual(invoices({ ...day, actions: ['refund'] }), ['A-1001']);
      assert.deepEqual(invoices({ invoice: 'a-100' }), ['A-1001', 'a-1002', 'A-1001'], 'invoice text in any case');
      assert.deepEqual(invoices({ states: ['declined', 'not-sent'] }), ['C-1', 'a-1002']);
      assert.deepEqual(invoices({ states: ['not-charged'] }), ['B-7']);
      assert.deepEqual(invoices({ terminal: 'tcp:10.0.0.2:51042' }), ['B-7']);
      const states = journal.history().entries.map((e) => e.state);
      assert.deepEqual(states, ['approved', 'not-sent', 'not-charged', 'approved', 'declined', 'approved']);
      assert.equal(journal.history({ limit: 0 }).total, 6);
      assert.equal(journal.oldest, new Date(2026, 11, 1, 23, 59, 0).toISOString());
    };
    check();
    journal = await reopen(journal, { now });
    check();
    assert.ok(await journal.compactNowForTests());
    journal = await reopen(journal, { now });
    check();
  });

  it('history: records merged out of order are listed in order; a clock set back is put in its place', async () => {
    const line = (id: string, at: string, invoice: string): string[] => [
      JSON.stringify({ v: 1, at, id, event: 'begin', action: 'pay', invoice, amount: '1.00' }),
      JSON.stringify({ v: 1, at, id, event: 'end', outcome: 'ok', ref: id }),
    ];
    fs.writeFileSync(file, `${[...line('b', '2026-12-02T10:00:00.000Z', 'B'), ...line('c', '2026-12-03T10:00:00.000Z', 'C'), ...line('a', '2026-12-01T10:00:00.000Z', 'A')].join('\n')}\n`);
    let clock = new Date('2026-12-04T10:00:00.000Z');
    const journal = journalAt({ now: () => clock });
    await journal.ready;
    assert.deepEqual(
      journal.history().entries.map((e) => e.invoice),
      ['C', 'B', 'A'],
    );
    await beginId(journal, request('pay', { amount: '1', invoice: 'D' }));
    clock = new Date('2026-12-02T12:00:00.000Z');
    await beginId(journal, request('pay', { amount: '1', invoice: 'BACK' }));
    assert.deepEqual(
      journal.history().entries.map((e) => e.invoice),
      ['D', 'C', 'BACK', 'B', 'A'],
    );
  });

  it("keeps a failure's message key and values, so the console can say it in another language; a key or value that does not fit is dropped and the English stays", async () => {
    let journal = journalAt();
    const why: Explanation = { key: 'declined.terminalSays', params: { reason: { key: 'declined.amount', params: { amount: { amount: '12.50' } } }, text: 'Too much' } };
    const id = await beginId(journal, request('pay', { amount: '12.5', invoice: 'KEY-1' }));
    await journal.end(id, { ...DECLINED, messageKey: why.key, messageParams: why.params });
    journal = await reopen(journal);
    const entry = journal.history({ invoice: 'KEY-1' }).entries[0];
    assert.deepEqual([entry.messageKey, entry.messageParams, entry.message], [why.key, why.params, 'declined']);

    // Lines with a valid checksum whose key is not one of ours, or whose values are of no known kind.
    const at = '2026-12-02T10:00:00.000Z';
    const foreign: [string, { messageKey: string; messageParams: Record<string, unknown> }][] = [
      ['FOREIGN-KEY', { messageKey: 'declined.noSuchKey', messageParams: {} }],
      ['FOREIGN-VALUE', { messageKey: 'declined.amount', messageParams: { amount: { html: '<b>x</b>' } } }],
      ['PROTOTYPE-KEY', { messageKey: 'constructor', messageParams: {} }],
      ['TOO-DEEP', { messageKey: 'declined.terminalSays', messageParams: { reason: nested(8), text: 'x' } }],
    ];
    await journal.close();
    for (const [invoice, fields] of foreign) {
      fs.appendFileSync(file, encodeRecord({ v: 2, at, id: invoice, event: 'begin', action: 'pay', invoice, amount: '1.00' }));
      // A key or values the type does not allow: what a foreign or newer writer may have put in the file.
      const end = { v: 2, at, id: invoice, event: 'end', outcome: 'failed', code: 'TERMINAL', message: 'English', ...fields } as unknown as JournalRecord;
      fs.appendFileSync(file, encodeRecord(end));
    }
    journal = journalAt();
    await journal.ready;
    for (const [invoice] of foreign) {
      const read = journal.history({ invoice }).entries[0];
      assert.deepEqual([read.state, read.messageKey, read.messageParams, read.message], ['declined', undefined, undefined, 'English'], invoice);
    }
    assert.deepEqual(journal.damaged, [], 'such a line is not damaged: only its key is not used');

    function nested(depth: number): Explanation {
      return depth === 0 ? { key: 'outcome.notSent', params: {} } : { key: 'declined.terminalSays', params: { reason: nested(depth - 1), text: 'x' } };
    }
  });

  it('a late answer replaces what the unknown end said, after a restart as before it: no TIMEOUT code or message is left on an approved entry', async () => {
    let journal = journalAt();
    const id = await unknownPayment(journal, 'LATE-RELOAD');
    await journal.late(id, approved('R-LATE'));
    const live = journal.history({ invoice: 'LATE-RELOAD' }).entries[0];
    journal = await reopen(journal);
    const reloaded = journal.history({ invoice: 'LATE-RELOAD' }).entries[0];
    for (const entry of [live, reloaded]) {
      assert.deepEqual([entry.state, entry.outcome, entry.ref, entry.code, entry.message, entry.status], ['late-approved', 'ok', 'R-LATE', undefined, undefined, undefined]);
    }
  });
});

describe('journal: a large journal', function () {
  this.timeout(60000);

  it('loads 100,000 requests (200,000 lines; spread into push() they overflowed the stack) and lists them newest first', async () => {
    const file = tempFile();
    try {
      const at = (i: number): string => new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString();
      const text = [];
      for (let i = 0; i < 100000; i += 1) {
        text.push(JSON.stringify({ v: 1, at: at(i), id: `r${i}`, event: 'begin', action: 'pay', invoice: `I-${i}`, amount: '1.00' }));
        text.push(JSON.stringify({ v: 1, at: at(i), id: `r${i}`, event: 'end', outcome: i % 10 === 3 ? 'failed' : 'ok', ref: `R${i}` }));
      }
      fs.writeFileSync(file, `${text.join('\n')}\n`);
      const journal = new Journal(file, { maxBytes: 1 << 30, now: () => new Date(Date.UTC(2026, 11, 3)) });
      await journal.ready;
      try {
        const page = journal.history({ limit: 3 });
        assert.equal(page.total, 100000);
        assert.deepEqual(
          page.entries.map((e) => e.invoice),
          ['I-99999', 'I-99998', 'I-99997'],
        );
        assert.equal(journal.history({ states: ['declined'], limit: 0 }).total, 10000);
        assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'I-0' }))?.code, 'DUPLICATE');
      } finally {
        await journal.close();
      }
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
