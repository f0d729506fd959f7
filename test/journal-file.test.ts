// The journal on its own, with its real file: durable lines, duplicate protection, unresolved
// requests after a crash, compaction, checksums and damaged lines, recovery and one writer.
// (With the client: journal-client.test.ts; operator findings and the history: journal-findings.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Journal } from '../src/journal/journal';
import type { JournalOptions } from '../src/journal/journal';
import { nodeFileSystem } from '../src/journal/file-system';
import type { FileStats, JournalFileSystem, OpenMode } from '../src/journal/file-system';
import { compareAmounts, createRequest } from '../src/protocol';
import type { TerminalRequest } from '../src/protocol';
import { TcpTransport } from '../src/transport/tcp';
import { TerminalClient } from '../src/client/terminal-client';
import { FaultFileSystem } from './support/fault-fs';
import { journalLines as lines, tempJournalFile as tempFile } from './support/journal-files';
import { OK, approved, declined as declinedResult, unknownOutcome } from './support/journal-results';
import { asFailure } from './support/results';
import { beginId, request } from './support/journal-workload';
import { waitFor } from './support/wait';

describe('journal file', () => {
  let file: string;
  let journal: Journal | undefined;

  beforeEach(() => {
    file = tempFile();
  });

  afterEach(async () => {
    await journal?.close();
    journal = undefined;
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('writes a begin line and an end line holding what an operator needs', async () => {
    journal = new Journal(file);
    const id = await beginId(journal, request('pay', { amount: '12.5', invoice: 'INV-1' }));
    assert.equal(lines(file).length, 1, 'the begin line is on disk before begin() resolves');
    await journal.end(id, declinedResult('declined', 'DECLINED'));
    const [begin, end] = lines(file);
    assert.deepEqual(
      { event: begin.event, action: begin.action, invoice: begin.invoice, amount: begin.amount, id: begin.id },
      { event: 'begin', action: 'pay', invoice: 'INV-1', amount: '12.50', id },
    );
    assert.ok(!Number.isNaN(Date.parse(begin.at)));
    assert.equal(end.event, 'end');
    assert.equal(end.id, id);
    assert.equal(end.outcome, 'failed');
    assert.equal(end.status, 2);
    assert.equal(end.statusText, 'DECLINED');
    assert.equal(end.code, 'TERMINAL');
    assert.equal(end.invoice, 'INV-1');
    assert.equal(end.amount, '12.50');
  });

  it('reports a request with a beginning and no end as unresolved after a restart, until acknowledged', async () => {
    journal = new Journal(file);
    await beginId(journal, request('pay', { amount: '3', invoice: 'CRASH-1' }));
    const done = await beginId(journal, request('pay', { amount: '4', invoice: 'FINE-1' }));
    assert.deepEqual(journal.unresolved, [], 'requests open in this process are not unresolved');
    await journal.end(done, OK);
    await journal.close();

    journal = new Journal(file);
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((e) => [e.invoice, e.amount]),
      [['CRASH-1', '3.00']],
    );
    let changes = 0;
    journal.onChange(() => (changes += 1));
    const acknowledged = await journal.acknowledge();
    assert.deepEqual(
      acknowledged.map((e) => ('invoice' in e ? e.invoice : undefined)),
      ['CRASH-1'],
    );
    assert.deepEqual(journal.unresolved, []);
    assert.equal(changes, 1);
    await journal.close();

    journal = new Journal(file);
    await journal.ready;
    assert.deepEqual(journal.unresolved, [], 'the acknowledgement is durable');
    // Acknowledged or not, the outcome stays unknown: the invoice is still protected.
    const refusal = journal.refusal(request('pay', { amount: '3', invoice: 'CRASH-1' }));
    assert.equal(refusal?.code, 'DUPLICATE');
  });

  it('lists each terminal its own unresolved requests, with those an older version recorded without a terminal', async () => {
    // A line of the first format (v1: no checksum, no terminal), left open by a crash.
    fs.writeFileSync(file, `${JSON.stringify({ v: 1, at: '2026-11-01T10:00:00.000Z', id: 'legacy-1', event: 'begin', action: 'pay', invoice: 'OLD-1', amount: '1.00' })}\n`);
    journal = new Journal(file);
    await journal.ready;
    await beginId(journal, request('pay', { amount: '2', invoice: 'A-1' }), { terminal: 'tcp:10.0.0.1:51042' });
    await beginId(journal, request('pay', { amount: '3', invoice: 'B-1' }), { terminal: 'tcp:10.0.0.2:51042' });
    await beginId(journal, request('pay', { amount: '4', invoice: 'A-2' }), { terminal: 'tcp:10.0.0.1:51042' });
    await journal.close();

    const reloaded = new Journal(file);
    journal = reloaded;
    await journal.ready;
    const invoices = (terminal: string): (string | undefined)[] => reloaded.unresolvedAt(terminal).map((entry) => entry.invoice);
    assert.deepEqual(invoices('tcp:10.0.0.1:51042'), ['OLD-1', 'A-1', 'A-2']);
    assert.deepEqual(invoices('tcp:10.0.0.2:51042'), ['OLD-1', 'B-1']);
    assert.deepEqual(invoices('serial:/dev/rfcomm0'), ['OLD-1']);
    const second = journal.unresolvedAt('tcp:10.0.0.1:51042')[1];
    assert.ok(second);
    await journal.acknowledge([second.id]);
    assert.deepEqual(invoices('tcp:10.0.0.1:51042'), ['OLD-1', 'A-2']);
    assert.deepEqual(journal.unresolved.map((entry) => entry.invoice).sort(), ['A-2', 'B-1', 'OLD-1']);
  });

  it('loads past a torn last line and keeps appending whole lines', async () => {
    journal = new Journal(file);
    const id = await beginId(journal, request('refund', { amount: '1', invoice: 'T-1' }));
    await journal.end(id, OK);
    await journal.close();
    const whole = fs.statSync(file).size;
    fs.appendFileSync(file, '{"v":1,"at":"2026-01-01T00:00:00.000Z","id":"torn","event":"beg');

    journal = new Journal(file);
    await journal.ready;
    assert.equal(fs.statSync(file).size, whole, 'the torn line is cut off as the journal loads');
    assert.match(journal.notes.join('\n'), /The last line of the journal .* was incomplete .*: its 63 bytes from byte \d+ were removed\./);
    // The same for other languages: a key of src/protocol/messages.ts and its values.
    assert.deepEqual(
      journal.explainedNotes.map((note) => [note.key, note.params['bytes']]),
      [['journalNote.tornLine', 63]],
    );
    assert.deepEqual(journal.unresolved, []);
    assert.deepEqual(journal.damaged, [], 'a torn last line is not damage');
    await beginId(journal, request('pay', { amount: '2', invoice: 'T-2' }));
    const records = lines(file);
    assert.deepEqual(
      records.map((r) => r.invoice),
      ['T-1', 'T-1', 'T-2'],
    );
  });

  it('refuses duplicates by action and invoice, and pre-authorization codes used once', async () => {
    journal = new Journal(file);
    const paid = await beginId(journal, request('pay', { amount: '10', invoice: 'D-1' }));
    await journal.end(paid, OK);
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' }))?.code, 'DUPLICATE');
    assert.match(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' }))?.message ?? '', /allowDuplicate/);
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' }), true), undefined);
    assert.equal(journal.refusal(request('refund', { amount: '10', invoice: 'D-1' })), undefined, 'a refund may reuse the payment invoice');

    const declined = await beginId(journal, request('pay', { amount: '10', invoice: 'D-2' }));
    await journal.end(declined, declinedResult());
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-2' })), undefined, 'a declined invoice may be tried again');

    const lost = await beginId(journal, request('pay', { amount: '10', invoice: 'D-3' }));
    await journal.end(lost, unknownOutcome());
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-3' }))?.code, 'DUPLICATE');

    const authorized = await beginId(journal, request('preauth', { amount: '50', invoice: 'P-1' }));
    await journal.end(authorized, approved('CODE-1', 'preauth'));
    const over = journal.refusal(request('complete', { amount: '50.01', preauthcode: 'CODE-1' }));
    assert.equal(over?.code, 'INVALID_INPUT');
    assert.match(over.message, /50\.01 is above the pre-authorized 50\.00/);
    assert.equal(journal.refusal(request('complete', { amount: '50', preauthcode: 'CODE-1' })), undefined);
    const completed = await beginId(journal, request('complete', { amount: '40', preauthcode: 'CODE-1' }));
    await journal.end(completed, OK);
    assert.equal(journal.refusal(request('complete', { amount: '40', preauthcode: 'CODE-1' }))?.code, 'DUPLICATE');
    assert.equal(journal.refusal(request('cancel', { preauthcode: 'CODE-1' }))?.code, 'DUPLICATE');
    assert.equal(journal.refusal(request('cancel', { preauthcode: 'OTHER' })), undefined);
  });

  it('still refuses an approved invoice after a later attempt at it, sent with allowDuplicate, was declined', async () => {
    journal = new Journal(file);
    const paid = await beginId(journal, request('pay', { amount: '10', invoice: 'A-1' }));
    await journal.end(paid, OK);
    const again = await beginId(journal, request('pay', { amount: '10', invoice: 'A-1' }), { allowDuplicate: true });
    await journal.end(again, declinedResult());
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'A-1' }))?.code, 'DUPLICATE');
    await journal.close();
    journal = new Journal(file);
    await journal.ready;
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'A-1' }))?.code, 'DUPLICATE', 'the same after a restart');
  });

  it('keeps the end of a request begun while the file is being compacted', async () => {
    const at = new Date().toISOString();
    const old = [];
    for (let i = 0; i < 1200; i += 1) {
      old.push(JSON.stringify({ v: 1, at, id: `old-${i}`, event: 'begin', action: 'pay', invoice: `OLD-${i}`, amount: '1.00' }));
      old.push(JSON.stringify({ v: 1, at, id: `old-${i}`, event: 'end', action: 'pay', invoice: `OLD-${i}`, amount: '1.00', outcome: 'ok', ref: `R-${i}` }));
    }
    fs.writeFileSync(file, `${old.join('\n')}\n`);
    // The compaction is seen through the file system it is given: it writes the next generation
    // into <file>.compacting, and the request is begun the moment it creates that file.
    const watched = new FaultFileSystem(nodeFileSystem);
    const compacting = new Journal(file, { maxBytes: 4096, fs: watched });
    journal = compacting;
    await journal.ready;
    let during: Promise<void> | undefined;
    watched.onOperation = (entry) => {
      if (during === undefined && entry.op === 'open' && entry.path.endsWith('.compacting')) {
        during = beginId(compacting, request('pay', { amount: '2', invoice: 'DURING' })).then((id) => compacting.end(id, OK));
      }
    };
    await beginId(journal, request('pay', { amount: '3', invoice: 'TRIGGER' }));
    await waitFor(() => during !== undefined, 'the compaction to start', 5000);
    assert.ok(during, 'compaction ran');
    await during;
    await journal.close();

    journal = new Journal(file);
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((entry) => entry.invoice),
      ['TRIGGER'],
      'only the request left open is unresolved',
    );
    assert.equal(journal.refusal(request('pay', { amount: '2', invoice: 'DURING' }))?.code, 'DUPLICATE');
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'OLD-1199' }))?.code, 'DUPLICATE');
    const duringLines = lines(file).filter((r) => r.invoice === 'DURING');
    assert.deepEqual(
      duringLines.map((r) => r.event),
      ['begin', 'end'],
    );
  });

  it('compacts past its size limit: keeps unresolved and recent requests (declined ones too, for the history), moves the old file to .1', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const clock = () => now;
    journal = new Journal(file, { maxBytes: 4096, retentionDays: 31, now: clock });
    const stuck = await beginId(journal, request('pay', { amount: '1', invoice: 'STUCK' }));
    void stuck;
    const old = await beginId(journal, request('pay', { amount: '1', invoice: 'OLD' }));
    await journal.end(old, OK);
    const oldDeclined = await beginId(journal, request('pay', { amount: '1', invoice: 'OLD-DECLINED' }));
    await journal.end(oldDeclined, declinedResult());
    now = new Date('2026-03-01T00:00:00Z');
    const declined = await beginId(journal, request('pay', { amount: '1', invoice: 'DECLINED' }));
    await journal.end(declined, declinedResult());
    for (let i = 0; i < 30; i += 1) {
      const id = await beginId(journal, request('pay', { amount: '1', invoice: `NEW-${i}` }));
      await journal.end(id, OK);
    }
    assert.ok(fs.existsSync(`${file}.1`), 'the old file is kept');
    await journal.close();

    journal = new Journal(file, { maxBytes: 4096, now: clock });
    await journal.ready;
    const invoices = lines(file).map((r) => r.invoice);
    assert.ok(invoices.includes('STUCK'), 'an unresolved request survives compaction');
    assert.ok(!invoices.includes('OLD'), 'a request older than the retention period is dropped');
    assert.ok(!invoices.includes('OLD-DECLINED'), 'a declined request older than the retention period is dropped');
    assert.ok(invoices.includes('DECLINED'), 'a recent declined request is kept for the history');
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'DECLINED' })), undefined, 'and blocks nothing');
    assert.ok(invoices.includes('NEW-29'));
    assert.deepEqual(
      journal.unresolved.map((e) => e.invoice),
      ['STUCK'],
    );
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'NEW-29' }))?.code, 'DUPLICATE');
    const held = journal.history().entries.map((e) => e.invoice);
    assert.ok(held.includes('DECLINED') && !held.includes('OLD-DECLINED') && !held.includes('OLD'), `the history holds what the file holds: ${held.join(', ')}`);
  });

  it('refuses to start when the journal cannot be written', async () => {
    const blocker = tempFile();
    fs.writeFileSync(blocker, 'a file where a folder should be');
    journal = new Journal(path.join(blocker, 'journal.jsonl'));
    await assert.rejects(journal.ready);
    const client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: 9 }), journal });
    const result = await client.pay({ amount: 1 });
    assert.equal(asFailure(result).code, 'JOURNAL');
    assert.equal(asFailure(result).outcome, 'not-sent');
    client.close();
    fs.rmSync(path.dirname(blocker), { recursive: true, force: true });
  });
});

describe('journal file: checks, recovery and one writer', () => {
  let dir: string;
  let file: string;
  const open: Journal[] = [];

  function journalAt(target: string, options?: JournalOptions): Journal {
    const journal = new Journal(target, options);
    open.push(journal);
    return journal;
  }

  beforeEach(() => {
    file = tempFile();
    dir = path.dirname(file);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((journal) => journal.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const v1 = (record: Record<string, string>): string => JSON.stringify({ v: 1, at: '2026-11-30T10:00:00.000Z', ...record });

  it('ends every line with a CRC-32 of the rest of it, and still reads version 1 lines', async () => {
    fs.writeFileSync(file, `${v1({ id: 'old', event: 'begin', action: 'pay', invoice: 'V1-PAID', amount: '3.00' })}\n${v1({ id: 'old', event: 'end', outcome: 'ok', ref: 'R' })}\n`);
    const journal = journalAt(file);
    await journal.ready;
    assert.equal(journal.refusal(request('pay', { amount: '3', invoice: 'V1-PAID' }))?.code, 'DUPLICATE');
    await beginId(journal, request('pay', { amount: '4', invoice: 'V2' }));
    const last = fs.readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
    const match = /^(\{.*),"c":"([0-9a-f]{8})"\}$/.exec(last);
    assert.ok(match, `the line ends with its checksum: ${last}`);
    assert.equal(zlib.crc32(`${match[1]}}`).toString(16).padStart(8, '0'), match[2]);
    assert.equal((JSON.parse(last) as { v: unknown }).v, 2);
    assert.deepEqual(journal.damaged, []);
  });

  it('reports a damaged line anywhere with its line and byte offset; a begin still readable in it keeps its invoice blocked, an end in it unblocks nothing', async () => {
    let journal = journalAt(file);
    const paid = await beginId(journal, request('pay', { amount: '5', invoice: 'FLIPPED' }));
    await journal.end(paid, OK);
    const declined = await beginId(journal, request('pay', { amount: '6', invoice: 'END-DAMAGED' }));
    await journal.end(declined, declinedResult('declined'));
    await beginId(journal, request('pay', { amount: '7', invoice: 'AFTER' }));
    await journal.close();
    const text = fs.readFileSync(file, 'utf8').split('\n');
    // A flipped character in the begin of an approved payment (still JSON), garbage over the
    // end of a declined one, and a later line intact: both are inside the file, not its end.
    text[0] = text[0].replace('"amount":"5.00"', '"amount":"5.01"');
    const garbageOffset = Buffer.byteLength(`${text.slice(0, 3).join('\n')}\n`);
    text[3] = 'x'.repeat(text[3].length);
    fs.writeFileSync(file, text.join('\n'));

    journal = journalAt(file);
    await journal.ready;
    const damaged = journal.damaged.map(({ line, offset, reason }) => ({ line, offset, reason }));
    assert.deepEqual(damaged, [
      { line: 1, offset: 0, reason: 'checksum mismatch' },
      { line: 4, offset: garbageOffset, reason: 'not JSON' },
    ]);
    assert.equal(journal.refusal(request('pay', { amount: '5', invoice: 'FLIPPED' }))?.code, 'DUPLICATE', 'a damaged begin still blocks');
    assert.equal(journal.refusal(request('pay', { amount: '6', invoice: 'END-DAMAGED' }))?.code, 'DUPLICATE', 'its end is lost: no known end');
    assert.deepEqual(journal.unresolved.map((entry) => entry.invoice).sort(), ['AFTER', 'END-DAMAGED']);

    // Acknowledged by id, durably; the rest stays reported.
    await journal.acknowledge([journal.damaged[0].id]);
    assert.equal(journal.damaged.length, 1);
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    assert.deepEqual(
      journal.damaged.map((d) => d.line),
      [4],
    );
  });

  it('carries a damaged line over compaction as a record of it, until it is acknowledged', async () => {
    fs.writeFileSync(file, `${v1({ id: 'a', event: 'begin', action: 'pay', invoice: 'A', amount: '1.00' })}\nnot a journal line\n${v1({ id: 'a', event: 'end', outcome: 'ok', ref: 'R' })}\n`);
    let journal = journalAt(file);
    await journal.ready;
    assert.equal(journal.damaged.length, 1);
    assert.ok(await journal.compactNowForTests(), 'compaction ran');
    assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /not a journal line\n/);
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    assert.deepEqual(
      journal.damaged.map((d) => [d.line, d.text]),
      [[2, 'not a journal line']],
      'still reported, as found',
    );
    await journal.acknowledge();
    assert.ok(await journal.compactNowForTests());
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    assert.deepEqual(journal.damaged, []);
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'A' }))?.code, 'DUPLICATE');
  });

  it('checks a completion against its pre-authorization whatever the decimals setting is now, and never throws on an old amount', async () => {
    let journal = journalAt(file);
    const authorized = await beginId(journal, request('preauth', { amount: '50.50', invoice: 'ROOM-1' }));
    await journal.end(authorized, approved('CODE-1', 'preauth'));
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    const completion = (amount: string, decimals: number): TerminalRequest =>
      createRequest(
        {
          action: 'complete',
          amount: { value: amount, field: 'amount' },
          preauthCode: { value: 'CODE-1', field: 'preauthcode' },
          receipt: { value: 'ON', field: 'r' },
          custrcpt: { value: 'ON', field: 'c' },
        },
        { decimals },
      );
    assert.equal(journal.refusal(completion('50', 0)), undefined, '50 (decimals 0) is within 50.50');
    assert.equal(journal.refusal(completion('51', 0))?.code, 'INVALID_INPUT');
    assert.equal(journal.refusal(completion('50.5', 1)), undefined);
    assert.equal(journal.refusal(completion('50.5001', 4))?.code, 'INVALID_INPUT');
    // An old or damaged entry whose amount is no decimal checks nothing and throws nothing.
    fs.appendFileSync(file, `${v1({ id: 'odd', event: 'begin', action: 'preauth', invoice: 'ODD', amount: '1,5e3' })}\n${v1({ id: 'odd', event: 'end', outcome: 'ok', ref: 'CODE-ODD' })}\n`);
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    const odd = createRequest(
      { action: 'complete', amount: { value: '9', field: 'amount' }, preauthCode: { value: 'CODE-ODD', field: 'p' }, receipt: { value: 'ON', field: 'r' }, custrcpt: { value: 'ON', field: 'c' } },
      { decimals: 2 },
    );
    assert.equal(journal.refusal(odd), undefined);
    assert.deepEqual([compareAmounts('50.50', '50'), compareAmounts('50', '50.00'), compareAmounts('0.3', '0.30'), compareAmounts('1e3', '1')], [1, 0, 0, undefined]);
  });

  it('recovers a compaction of version 0.1 cut between its two renames: only .1 and .new were left', async () => {
    const paid = (n: number): string[] => [v1({ id: `p${n}`, event: 'begin', action: 'pay', invoice: `INV-${n}`, amount: '1.00' }), v1({ id: `p${n}`, event: 'end', outcome: 'ok', ref: `R${n}` })];
    const all = Array.from({ length: 25 }, (_, n) => paid(n)).flat();
    fs.writeFileSync(`${file}.1`, `${all.join('\n')}\n${v1({ id: 'declined', event: 'begin', action: 'pay', invoice: 'D', amount: '1.00' })}\n`);
    fs.writeFileSync(`${file}.new`, `${all.join('\n')}\n`);
    const journal = journalAt(file);
    await journal.ready;
    for (let n = 0; n < 25; n += 1) assert.equal(journal.refusal(request('pay', { amount: '1', invoice: `INV-${n}` }))?.code, 'DUPLICATE', `INV-${n}`);
    assert.ok(fs.existsSync(file), 'the live journal is written anew');
    assert.ok(!fs.existsSync(`${file}.new`), 'the leftover is removed once merged');
    assert.match(journal.notes.join('\n'), /was missing: rebuilt from terminal\.jsonl\.1, terminal\.jsonl\.new\./);
  });

  it('merges a new generation that a crash left before its rename', async () => {
    fs.writeFileSync(file, `${v1({ id: 'live', event: 'begin', action: 'pay', invoice: 'LIVE', amount: '1.00' })}\n`);
    fs.writeFileSync(`${file}.compacting`, `${v1({ id: 'gen', event: 'begin', action: 'pay', invoice: 'GEN', amount: '1.00' })}\n{"v":2,"torn`);
    const journal = journalAt(file);
    await journal.ready;
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'GEN' }))?.code, 'DUPLICATE');
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'LIVE' }))?.code, 'DUPLICATE');
    assert.ok(!fs.existsSync(`${file}.compacting`));
    assert.deepEqual(journal.damaged, [], 'its torn end is not damage');
  });

  it('has one writer per file: a second journal on the same file, by any path, is refused naming the holder', async () => {
    const first = journalAt(file, { owner: 'config node A' });
    await first.ready;
    fs.symlinkSync(dir, `${dir}-link`);
    try {
      for (const other of [file, path.join(`${dir}-link`, path.basename(file)), path.join(dir, '.', path.basename(file))]) {
        const second = journalAt(other);
        await assert.rejects(second.ready, (error: unknown) => {
          assert.equal((error as NodeJS.ErrnoException).code, 'ELOCKED');
          assert.match((error as Error).message, new RegExp(`in use by this process already \\(config node A, since `));
          return true;
        });
      }
    } finally {
      fs.unlinkSync(`${dir}-link`);
    }
    await first.close();
    const third = journalAt(file);
    await third.ready; // free again once closed
  });

  it('refuses at once a journal that is not a regular file: a FIFO, a link to /dev/null, a folder', async () => {
    const fifo = path.join(dir, 'fifo.jsonl');
    execFileSync('mkfifo', [fifo]);
    fs.symlinkSync('/dev/null', path.join(dir, 'null.jsonl'));
    fs.mkdirSync(path.join(dir, 'folder.jsonl'));
    for (const name of ['fifo.jsonl', 'null.jsonl', 'folder.jsonl']) {
      const started = performance.now();
      const journal = journalAt(path.join(dir, name));
      await assert.rejects(journal.ready, /is not a regular file/, name);
      assert.ok(performance.now() - started < 1000, `${name} refused in ${performance.now() - started} ms`);
    }
  });

  it('notices before the next request that its file was deleted, moved or replaced, and writes it anew with everything it holds', async () => {
    const journal = journalAt(file);
    const first = await beginId(journal, request('pay', { amount: '1', invoice: 'BEFORE' }));
    await journal.end(first, OK);
    fs.unlinkSync(file);
    await beginId(journal, request('pay', { amount: '1', invoice: 'AFTER-DELETE' }));
    assert.match(fs.readFileSync(file, 'utf8'), /"invoice":"BEFORE".*\n.*\n.*"invoice":"AFTER-DELETE"/);
    fs.renameSync(file, `${file}.moved`);
    await beginId(journal, request('pay', { amount: '1', invoice: 'AFTER-MOVE' }));
    // Replaced by another journal (a restored copy): its lines are merged, the file itself kept aside.
    fs.writeFileSync(`${file}.copy`, `${v1({ id: 'foreign', event: 'begin', action: 'pay', invoice: 'FOREIGN', amount: '2.00' })}\n`);
    fs.renameSync(`${file}.copy`, file);
    await beginId(journal, request('pay', { amount: '1', invoice: 'AFTER-REPLACE' }));
    assert.ok(fs.readdirSync(dir).some((name) => name.startsWith(`${path.basename(file)}.replaced-`)));
    // Written to behind its back (an old writer with no lock): read, merged, written anew.
    fs.appendFileSync(file, `${v1({ id: 'rogue', event: 'begin', action: 'pay', invoice: 'ROGUE', amount: '3.00' })}\n`);
    await beginId(journal, request('pay', { amount: '1', invoice: 'AFTER-ROGUE' }));
    // Emptied in place (`> journal.jsonl`): everything it held is written again.
    fs.writeFileSync(file, '');
    await beginId(journal, request('pay', { amount: '1', invoice: 'AFTER-EMPTIED' }));
    await journal.close();
    const reloaded = journalAt(file);
    await reloaded.ready;
    for (const invoice of ['BEFORE', 'AFTER-DELETE', 'AFTER-MOVE', 'FOREIGN', 'AFTER-REPLACE', 'ROGUE', 'AFTER-ROGUE', 'AFTER-EMPTIED']) {
      assert.equal(reloaded.refusal(request('pay', { amount: '1', invoice }))?.code, 'DUPLICATE', invoice);
    }
    assert.deepEqual(reloaded.damaged, []);
  });

  it('creates its folder 0700 and its file 0600, and makes an existing file 0600', async () => {
    const nested = path.join(dir, 'new-folder', 'journal.jsonl');
    const journal = journalAt(nested);
    await journal.ready;
    assert.equal(fs.statSync(path.dirname(nested)).mode & 0o777, 0o700);
    assert.equal(fs.statSync(nested).mode & 0o777, 0o600);
    fs.writeFileSync(file, '');
    fs.chmodSync(file, 0o644);
    await journalAt(file).ready;
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('never writes itself anew when nothing happened to its file: a size seen halfway through its own write is its own', async () => {
    // The kernel extends a file page by page, so a stat beside a write can see any size between
    // before and after it. This file system shows exactly that: the size halfway through.
    let writing: { file: string; before: number; length: number } | undefined;
    const halfway: JournalFileSystem = {
      ...nodeFileSystem,
      async stat(target: string): Promise<FileStats> {
        const stats = await nodeFileSystem.stat(target);
        if (!writing || target !== writing.file) return stats;
        return Object.assign(Object.create(Object.getPrototypeOf(stats)), stats, { size: writing.before + Math.floor(writing.length / 2) });
      },
      async open(target: string, mode: OpenMode) {
        const handle = await nodeFileSystem.open(target, mode);
        if (mode !== 'journal') return handle;
        return {
          ...handle,
          async append(buffer: Buffer): Promise<number> {
            writing = { file: target, before: (await handle.stat()).size, length: buffer.length };
            await new Promise((resolve) => setImmediate(resolve)); // the stat runs now
            try {
              return await handle.append(buffer);
            } finally {
              writing = undefined;
            }
          },
        };
      },
    };
    const counted = new FaultFileSystem(halfway);
    const journal = journalAt(file, { fs: counted, maxBytes: 1 << 30 });
    for (let n = 0; n < 20; n += 1) {
      const id = await beginId(journal, request('pay', { amount: '1', invoice: `HALF-${n}` }));
      await journal.end(id, OK);
    }
    assert.deepEqual(
      counted.log.filter((entry) => entry.op === 'rename'),
      [],
      'no new generation was written',
    );
    assert.equal(lines(file).length, 40);
  });

  it('writes lines that arrive together in one write, each durable before it counts (group commit)', async () => {
    const counted = new FaultFileSystem(nodeFileSystem);
    const journal = journalAt(file, { fs: counted });
    await journal.ready;
    const before = counted.log.filter((entry) => entry.op === 'write').length;
    const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => beginId(journal, request('pay', { amount: '1', invoice: `G-${n}` }))));
    const writes = counted.log.filter((entry) => entry.op === 'write').length - before;
    assert.equal(new Set(ids).size, 50);
    assert.ok(writes <= 3, `50 lines took ${writes} writes`);
    assert.equal(lines(file).length, 50);
  });
});
