'use strict';
// The journal on its own, and with the client against the simulator: durable before sending,
// duplicate protection, unresolved requests after a crash, compaction, and the request queue.
const assert = require('node:assert/strict');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { Journal, TcpTransport, TerminalClient, TerminalSimulator } = require('../dist/src');
const { compareAmounts, createRequest } = require('../dist/src/protocol');
const { nodeFileSystem } = require('../dist/src/journal/file-system');
const { FaultFileSystem } = require('./support/fault-fs');
const { request } = require('./support/journal-workload');
const { waitFor } = require('./support/wait');

function tempFile() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-journal-'));
  return path.join(dir, 'terminal.jsonl');
}

function lines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const OK = { result: 'OK', ref: 'R1' };

/** Records a request that the journal must accept, and returns its id. */
async function beginId(journal, req, options) {
  const begun = await journal.begin(req, options);
  assert.equal(begun.refusal, undefined, `begin refused: ${begun.refusal?.message}`);
  return begun.id;
}

describe('journal file', () => {
  let file;
  let journal;

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
    await journal.end(id, { action: 'pay', result: 'ERROR', ref: '', status: 2, statusName: 'TRANSACTION_DECLINED', statusText: 'DECLINED', code: 'TERMINAL', outcome: 'failed', message: 'declined' });
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
      acknowledged.map((e) => e.invoice),
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
    assert.equal(refusal.code, 'DUPLICATE');
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

    journal = new Journal(file);
    await journal.ready;
    const invoices = (terminal) => journal.unresolvedAt(terminal).map((entry) => entry.invoice);
    assert.deepEqual(invoices('tcp:10.0.0.1:51042'), ['OLD-1', 'A-1', 'A-2']);
    assert.deepEqual(invoices('tcp:10.0.0.2:51042'), ['OLD-1', 'B-1']);
    assert.deepEqual(invoices('serial:/dev/rfcomm0'), ['OLD-1']);
    await journal.acknowledge([journal.unresolvedAt('tcp:10.0.0.1:51042')[1].id]);
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
      journal.explainedNotes.map((note) => [note.key, note.params.bytes]),
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
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' })).code, 'DUPLICATE');
    assert.match(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' })).message, /allowDuplicate/);
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-1' }), true), undefined);
    assert.equal(journal.refusal(request('refund', { amount: '10', invoice: 'D-1' })), undefined, 'a refund may reuse the payment invoice');

    const declined = await beginId(journal, request('pay', { amount: '10', invoice: 'D-2' }));
    await journal.end(declined, { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: null, message: '' });
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-2' })), undefined, 'a declined invoice may be tried again');

    const lost = await beginId(journal, request('pay', { amount: '10', invoice: 'D-3' }));
    await journal.end(lost, { result: 'ERROR', outcome: 'unknown', code: 'TIMEOUT', ref: '', status: null, statusText: null, message: '' });
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'D-3' })).code, 'DUPLICATE');

    const authorized = await beginId(journal, request('preauth', { amount: '50', invoice: 'P-1' }));
    await journal.end(authorized, { result: 'OK', ref: 'CODE-1' });
    const over = journal.refusal(request('complete', { amount: '50.01', preauthcode: 'CODE-1' }));
    assert.equal(over.code, 'INVALID_INPUT');
    assert.match(over.message, /50\.01 is above the pre-authorized 50\.00/);
    assert.equal(journal.refusal(request('complete', { amount: '50', preauthcode: 'CODE-1' })), undefined);
    const completed = await beginId(journal, request('complete', { amount: '40', preauthcode: 'CODE-1' }));
    await journal.end(completed, OK);
    assert.equal(journal.refusal(request('complete', { amount: '40', preauthcode: 'CODE-1' })).code, 'DUPLICATE');
    assert.equal(journal.refusal(request('cancel', { preauthcode: 'CODE-1' })).code, 'DUPLICATE');
    assert.equal(journal.refusal(request('cancel', { preauthcode: 'OTHER' })), undefined);
  });

  it('still refuses an approved invoice after a later attempt at it, sent with allowDuplicate, was declined', async () => {
    journal = new Journal(file);
    const paid = await beginId(journal, request('pay', { amount: '10', invoice: 'A-1' }));
    await journal.end(paid, OK);
    const again = await beginId(journal, request('pay', { amount: '10', invoice: 'A-1' }), { allowDuplicate: true });
    await journal.end(again, { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: null, message: '' });
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'A-1' })).code, 'DUPLICATE');
    await journal.close();
    journal = new Journal(file);
    await journal.ready;
    assert.equal(journal.refusal(request('pay', { amount: '10', invoice: 'A-1' })).code, 'DUPLICATE', 'the same after a restart');
  });

  it('keeps the end of a request begun while the file is being compacted', async () => {
    const at = new Date().toISOString();
    const old = [];
    for (let i = 0; i < 1200; i += 1) {
      old.push(JSON.stringify({ v: 1, at, id: `old-${i}`, event: 'begin', action: 'pay', invoice: `OLD-${i}`, amount: '1.00' }));
      old.push(JSON.stringify({ v: 1, at, id: `old-${i}`, event: 'end', action: 'pay', invoice: `OLD-${i}`, amount: '1.00', outcome: 'ok', ref: `R-${i}` }));
    }
    fs.writeFileSync(file, `${old.join('\n')}\n`);
    journal = new Journal(file, { maxBytes: 4096 });
    await journal.ready;
    let during;
    const target = journal.file;
    const compact = target.compact.bind(target);
    target.compact = () => {
      const running = compact();
      during = beginId(journal, request('pay', { amount: '2', invoice: 'DURING' })).then((id) => journal.end(id, OK));
      return running;
    };
    await beginId(journal, request('pay', { amount: '3', invoice: 'TRIGGER' }));
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
    assert.equal(journal.refusal(request('pay', { amount: '2', invoice: 'DURING' })).code, 'DUPLICATE');
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'OLD-1199' })).code, 'DUPLICATE');
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
    await journal.end(oldDeclined, { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: null, message: '' });
    now = new Date('2026-03-01T00:00:00Z');
    const declined = await beginId(journal, request('pay', { amount: '1', invoice: 'DECLINED' }));
    await journal.end(declined, { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: null, message: '' });
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
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'NEW-29' })).code, 'DUPLICATE');
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
    assert.equal(result.code, 'JOURNAL');
    assert.equal(result.outcome, 'not-sent');
    client.close();
    fs.rmSync(path.dirname(blocker), { recursive: true, force: true });
  });
});

describe('journal file: checks, recovery and one writer', () => {
  let dir;
  let file;
  const open = [];

  function journalAt(target, options) {
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

  const v1 = (record) => JSON.stringify({ v: 1, at: '2026-11-30T10:00:00.000Z', ...record });

  it('ends every line with a CRC-32 of the rest of it, and still reads version 1 lines', async () => {
    fs.writeFileSync(file, `${v1({ id: 'old', event: 'begin', action: 'pay', invoice: 'V1-PAID', amount: '3.00' })}\n${v1({ id: 'old', event: 'end', outcome: 'ok', ref: 'R' })}\n`);
    const journal = journalAt(file);
    await journal.ready;
    assert.equal(journal.refusal(request('pay', { amount: '3', invoice: 'V1-PAID' })).code, 'DUPLICATE');
    await beginId(journal, request('pay', { amount: '4', invoice: 'V2' }));
    const last = fs.readFileSync(file, 'utf8').trim().split('\n').pop();
    const match = /^(\{.*),"c":"([0-9a-f]{8})"\}$/.exec(last);
    assert.ok(match, `the line ends with its checksum: ${last}`);
    assert.equal(zlib.crc32(`${match[1]}}`).toString(16).padStart(8, '0'), match[2]);
    assert.equal(JSON.parse(last).v, 2);
    assert.deepEqual(journal.damaged, []);
  });

  it('reports a damaged line anywhere with its line and byte offset; a begin still readable in it keeps its invoice blocked, an end in it unblocks nothing', async () => {
    let journal = journalAt(file);
    const paid = await beginId(journal, request('pay', { amount: '5', invoice: 'FLIPPED' }));
    await journal.end(paid, OK);
    const declined = await beginId(journal, request('pay', { amount: '6', invoice: 'END-DAMAGED' }));
    await journal.end(declined, { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: null, message: 'declined' });
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
    assert.equal(journal.refusal(request('pay', { amount: '5', invoice: 'FLIPPED' })).code, 'DUPLICATE', 'a damaged begin still blocks');
    assert.equal(journal.refusal(request('pay', { amount: '6', invoice: 'END-DAMAGED' })).code, 'DUPLICATE', 'its end is lost: no known end');
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
    assert.ok(await journal.file.compact(), 'compaction ran');
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
    assert.ok(await journal.file.compact());
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    assert.deepEqual(journal.damaged, []);
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'A' })).code, 'DUPLICATE');
  });

  it('checks a completion against its pre-authorization whatever the decimals setting is now, and never throws on an old amount', async () => {
    let journal = journalAt(file);
    const authorized = await beginId(journal, request('preauth', { amount: '50.50', invoice: 'ROOM-1' }));
    await journal.end(authorized, { result: 'OK', ref: 'CODE-1' });
    await journal.close();
    journal = journalAt(file);
    await journal.ready;
    const completion = (amount, decimals) =>
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
    assert.equal(journal.refusal(completion('51', 0)).code, 'INVALID_INPUT');
    assert.equal(journal.refusal(completion('50.5', 1)), undefined);
    assert.equal(journal.refusal(completion('50.5001', 4)).code, 'INVALID_INPUT');
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
    const paid = (n) => [v1({ id: `p${n}`, event: 'begin', action: 'pay', invoice: `INV-${n}`, amount: '1.00' }), v1({ id: `p${n}`, event: 'end', outcome: 'ok', ref: `R${n}` })];
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
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'GEN' })).code, 'DUPLICATE');
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'LIVE' })).code, 'DUPLICATE');
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
        await assert.rejects(second.ready, (error) => {
          assert.equal(error.code, 'ELOCKED');
          assert.match(error.message, new RegExp(`in use by this process already \\(config node A, since `));
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
    let writing;
    const halfway = {
      ...nodeFileSystem,
      async stat(target) {
        const stats = await nodeFileSystem.stat(target);
        if (!writing || target !== writing.file) return stats;
        return Object.assign(Object.create(Object.getPrototypeOf(stats)), stats, { size: writing.before + Math.floor(writing.length / 2) });
      },
      async open(target, mode) {
        const handle = await nodeFileSystem.open(target, mode);
        if (mode !== 'journal') return handle;
        return {
          ...handle,
          async append(buffer) {
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

describe('client with a journal', function () {
  this.timeout(10000);
  let file;
  let journal;
  let simulator;
  let client;

  beforeEach(async () => {
    file = tempFile();
    journal = new Journal(file);
    simulator = new TerminalSimulator();
    const port = await simulator.listen(0, '127.0.0.1');
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port }), journal, responseTimeoutMs: 300 });
  });

  afterEach(async () => {
    client.close();
    await simulator.close();
    await journal.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('refuses to pay an invoice twice, and never sends the second', async () => {
    assert.equal((await client.pay({ amount: '5', invoice: 'KIOSK-1' })).result, 'OK');
    const again = await client.pay({ amount: '5', invoice: 'KIOSK-1' });
    assert.equal(again.code, 'DUPLICATE');
    assert.equal(again.outcome, 'not-sent');
    assert.equal(simulator.received.length, 1);
    const forced = await client.pay({ amount: '5', invoice: 'KIOSK-1' }, { allowDuplicate: true });
    assert.equal(forced.result, 'OK');
    assert.equal(simulator.received.length, 2);
  });

  it('refuses an invoice whose outcome is unknown', async () => {
    client.close();
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: simulator.port }), journal, responseTimeoutMs: 300, lateAnswerWindowMs: 0 });
    simulator.nextBehaviours.push({ fault: 'silent' });
    const lost = await client.pay({ amount: '6', invoice: 'LOST-1' });
    assert.equal(lost.code, 'TIMEOUT');
    const retry = await client.pay({ amount: '6', invoice: 'LOST-1' });
    assert.equal(retry.code, 'DUPLICATE');
    assert.match(retry.message, /unknown outcome/);
    assert.equal(simulator.received.length, 1);
    const end = await waitFor(() => lines(file).find((r) => r.event === 'end'), 'the end line');
    assert.equal(end.outcome, 'unknown');
    assert.equal(end.code, 'TIMEOUT');
  });

  it('refuses a completion above the pre-authorized amount before sending it', async () => {
    const authorized = await client.preauth({ amount: '20', invoice: 'HOTEL-1' });
    assert.equal(authorized.result, 'OK');
    const over = await client.complete({ amount: '25', preauthcode: authorized.ref });
    assert.equal(over.code, 'INVALID_INPUT');
    assert.equal(simulator.received.length, 1);
    assert.equal((await client.complete({ amount: '18', preauthcode: authorized.ref })).result, 'OK');
    assert.equal((await client.cancel({ preauthcode: authorized.ref })).code, 'DUPLICATE');
    assert.equal(simulator.received.length, 2);
  });

  it('records the end of a request cut short by closing, before the journal closes', async () => {
    simulator.behaviour = { fault: 'silent' };
    const pending = client.pay({ amount: '8', invoice: 'STOPPED-1' });
    await waitFor(() => simulator.received.length === 1, 'the request to be sent');
    client.close();
    assert.equal((await pending).code, 'CONNECTION_LOST');
    await journal.close();
    const end = lines(file).find((r) => r.event === 'end');
    assert.ok(end, 'an end line was written');
    assert.equal(end.invoice, 'STOPPED-1');
    assert.equal(end.outcome, 'unknown');
    assert.equal(end.code, 'CONNECTION_LOST');
    journal = new Journal(file);
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((entry) => [entry.invoice, entry.outcome, entry.code]),
      [['STOPPED-1', 'unknown', 'CONNECTION_LOST']],
      'its outcome is unknown: it needs a person until acknowledged',
    );
  });

  it('has the request on disk before its first byte reaches the terminal', async () => {
    const seen = [];
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        seen.push(fs.readFileSync(file, 'utf8'));
        socket.end('<payresp><result>OK</result><ref>X1</ref></payresp>');
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const own = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: server.address().port }), journal });
    const result = await own.pay({ amount: '7', invoice: 'DURABLE-1' });
    own.close();
    await new Promise((resolve) => server.close(resolve));
    assert.equal(result.result, 'OK');
    assert.match(seen[0], /"event":"begin".*"invoice":"DURABLE-1"/);
  });

  it('reports requests left open by a killed process as unresolved', async () => {
    const code = `const m = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'src'))});
      const journal = new m.Journal(${JSON.stringify(file + '.crash')});
      const client = new m.TerminalClient({ transport: new m.TcpTransport({ host: '127.0.0.1', port: ${simulator.port} }), journal });
      client.pay({ amount: '9.99', invoice: 'KILLED-1' });`;
    simulator.behaviour = { fault: 'silent' };
    const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    await waitFor(() => simulator.received.length === 1, 'the child to send its request', 5000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const reopened = new Journal(file + '.crash');
    await reopened.ready;
    assert.deepEqual(
      reopened.unresolved.map((e) => [e.action, e.invoice, e.amount]),
      [['pay', 'KILLED-1', '9.99']],
    );
    await reopened.close();
  });
});

describe('request queue', function () {
  this.timeout(10000);
  let simulator;
  let client;

  async function start(options) {
    simulator = new TerminalSimulator({ behaviour: { delayMs: 40 } });
    const port = await simulator.listen(0, '127.0.0.1');
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port }), answerGuardMs: 0, ...options });
  }

  afterEach(async () => {
    client.close();
    await simulator.close();
  });

  it('runs waiting requests first in, first out, each with its own result', async () => {
    await start({ queueLimit: 3 });
    const results = await Promise.all(['Q-1', 'Q-2', 'Q-3', 'Q-4'].map((invoice) => client.pay({ amount: 1, invoice })));
    assert.deepEqual(
      results.map((r) => [r.invoice, r.result]),
      [
        ['Q-1', 'OK'],
        ['Q-2', 'OK'],
        ['Q-3', 'OK'],
        ['Q-4', 'OK'],
      ],
    );
    assert.deepEqual(
      simulator.received.map((m) => m.request.invoice),
      ['Q-1', 'Q-2', 'Q-3', 'Q-4'],
    );
    assert.equal(new Set(results.map((r) => r.ref)).size, 4);
  });

  it('refuses at once when the queue is full', async () => {
    await start({ queueLimit: 1 });
    const first = client.pay({ amount: 1, invoice: 'F-1' });
    const second = client.pay({ amount: 1, invoice: 'F-2' });
    const third = await client.pay({ amount: 1, invoice: 'F-3' });
    assert.equal(third.code, 'BUSY');
    assert.match(third.message, /1 requests are already waiting/);
    assert.equal((await first).result, 'OK');
    assert.equal((await second).result, 'OK');
    assert.deepEqual(
      simulator.received.map((m) => m.request.invoice),
      ['F-1', 'F-2'],
    );
  });

  it('refuses a request that waited too long, without sending it', async () => {
    await start({ queueLimit: 2, queueTimeoutMs: 50 });
    simulator.behaviour = { delayMs: 300 };
    const first = client.pay({ amount: 1, invoice: 'W-1' });
    const waited = await client.pay({ amount: 1, invoice: 'W-2' });
    assert.equal(waited.code, 'BUSY');
    assert.equal(waited.outcome, 'not-sent');
    assert.equal((await first).result, 'OK');
    assert.deepEqual(
      simulator.received.map((m) => m.request.invoice),
      ['W-1'],
    );
  });

  it('ends waiting requests as not sent when the client closes', async () => {
    await start({ queueLimit: 2 });
    simulator.behaviour = { fault: 'silent' };
    const first = client.pay({ amount: 1, invoice: 'C-1' });
    const waiting = client.pay({ amount: 1, invoice: 'C-2' });
    await waitFor(() => simulator.received.length === 1, 'the first request to be sent');
    client.close();
    assert.equal((await first).code, 'CONNECTION_LOST');
    const second = await waiting;
    assert.equal(second.outcome, 'not-sent');
    assert.equal(simulator.received.length, 1);
  });
});

describe('journal: operator findings (resolve) and the history the console reads', () => {
  const { decodeLine } = require('../dist/src/journal/record');
  const UNKNOWN = { result: 'ERROR', outcome: 'unknown', code: 'TIMEOUT', ref: '', status: null, statusText: null, message: 'no answer' };
  const DECLINED = { result: 'ERROR', outcome: 'failed', code: 'TERMINAL', ref: '', status: 2, statusText: 'DECLINED', message: 'declined' };
  let file;
  const open = [];

  function journalAt(options) {
    const journal = new Journal(file, options);
    open.push(journal);
    return journal;
  }

  async function reopen(journal, options) {
    await journal.close();
    const next = journalAt(options);
    await next.ready;
    return next;
  }

  /** A request that ended with an unknown outcome; resolves its id. */
  async function unknownPayment(journal, invoice, options) {
    const id = await beginId(journal, request('pay', { amount: '7', invoice }), options);
    await journal.end(id, UNKNOWN);
    return id;
  }

  async function rejectsWith(promise, code, field) {
    await assert.rejects(promise, (error) => {
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
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' })).code, 'DUPLICATE');
    let changes = 0;
    journal.onChange(() => (changes += 1));

    const resolved = await journal.resolve(id, { finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.' });
    assert.equal(resolved.state, 'not-charged');
    assert.equal(resolved.needsAttention, false);
    assert.deepEqual({ ...resolved.resolution, at: undefined }, { finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.', at: undefined });
    assert.ok(!Number.isNaN(Date.parse(resolved.resolution.at)));
    assert.deepEqual(journal.unresolved, []);
    assert.equal(changes, 1, 'the nodes hear that the unresolved list changed');
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' })), undefined, 'duplicate protection lifted');

    const raw = fs.readFileSync(file, 'utf8').trim().split('\n');
    const last = raw[raw.length - 1];
    assert.equal(decodeLine(last).kind, 'record', 'the line carries a valid CRC like every other line');
    const line = JSON.parse(last);
    assert.deepEqual(
      { event: line.event, id: line.id, finding: line.finding, by: line.by, note: line.note, at: line.at },
      { event: 'resolved', id, finding: 'not-charged', by: 'anna', note: 'Not in the terminal history; the customer paid cash.', at: resolved.resolution.at },
    );
    assert.equal(raw.filter((text) => text.includes('"resolved"')).length, 1, 'one line per resolution');

    journal = await reopen(journal);
    assert.deepEqual(journal.unresolved, [], 'durable');
    assert.deepEqual(journal.find(id).resolution, resolved.resolution);
    const again = await beginId(journal, request('pay', { amount: '7', invoice: 'NC-1' }));
    await journal.end(again, OK);
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'NC-1' })).code, 'DUPLICATE', 'the new payment protects the invoice again');
  });

  it('"charged" keeps duplicate protection and records the ref; the line survives compaction unchanged, and restarts', async () => {
    let journal = journalAt({ maxBytes: 1 << 30 });
    const id = await unknownPayment(journal, 'CH-1');
    journal = await reopen(journal, { maxBytes: 1 << 30 });
    await journal.resolve(id, { finding: 'charged', ref: '000123456789', by: 'béla@shop', note: 'Láttam a terminálon: sikeres.' });
    assert.deepEqual(journal.unresolved, []);
    const refusal = journal.refusal(request('pay', { amount: '7', invoice: 'CH-1' }));
    assert.equal(refusal.code, 'DUPLICATE');
    assert.match(refusal.message, /found charged on the terminal by béla@shop/);
    const written = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .find((text) => text.includes('"resolved"'));
    for (let i = 0; i < 60; i += 1) {
      const other = await beginId(journal, request('pay', { amount: '1', invoice: `FILL-${i}` }));
      await journal.end(other, OK);
    }
    assert.ok(await journal.file.compact(), 'compaction ran');
    const after = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((text) => text.includes('"resolved"'));
    assert.deepEqual(after, [written], 'the very same line: who, when, finding, ref and note are never rewritten');
    journal = await reopen(journal, { maxBytes: 1 << 30 });
    const entry = journal.find(id);
    assert.equal(entry.state, 'charged');
    assert.equal(entry.resolution.ref, '000123456789');
    assert.equal(entry.resolution.note, 'Láttam a terminálon: sikeres.');
    assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'CH-1' })).code, 'DUPLICATE');
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
    assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'OPEN-CH' })).code, 'DUPLICATE');
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
    await journal.late(late, { result: 'OK', ref: 'R-LATE' });
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
    const cases = [
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
    for (const [input, field] of cases) await rejectsWith(journal.resolve(id, input), 'INVALID_INPUT', field);
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
    for (const kind of ['error', 'enospc']) {
      counted.failAt(counted.ops + 1, kind);
      await assert.rejects(journal.resolve(id, { finding: 'not-charged', by: 'x' }));
      counted.clear();
      assert.deepEqual(
        journal.unresolved.map((e) => e.id),
        [id],
        `${kind}: still unresolved`,
      );
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'FAIL-1' })).code, 'DUPLICATE', `${kind}: still protected`);
      assert.equal(journal.find(id).resolution, undefined);
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
    assert.equal(journal.find(id).state, 'not-charged');
    assert.equal(journal.find(id).acknowledged, false);
  });

  it('pre-authorizations: a preauth found charged gives its code (completions are checked against its amount); a completion found not charged frees its code', async () => {
    let journal = journalAt();
    const preauth = await beginId(journal, request('preauth', { amount: '50', invoice: 'ROOM-9' }));
    await journal.end(preauth, UNKNOWN);
    await journal.resolve(preauth, { finding: 'charged', ref: 'CODE-9', by: 'x' });
    const complete = (amount) => request('complete', { amount, preauthcode: 'CODE-9' });
    assert.equal(journal.refusal(complete('60')).code, 'INVALID_INPUT', 'above the pre-authorized amount');
    assert.equal(journal.refusal(complete('40')), undefined);
    assert.equal(journal.refusal(request('preauth', { amount: '50', invoice: 'ROOM-9' })).code, 'DUPLICATE');

    const completion = await beginId(journal, complete('40'));
    await journal.end(completion, UNKNOWN);
    assert.equal(journal.refusal(complete('40')).code, 'DUPLICATE', 'a completion of unknown outcome blocks its code');
    journal = await reopen(journal);
    assert.equal(journal.refusal(complete('60'), true).code, 'INVALID_INPUT', 'the code found by the operator is remembered');
    await journal.resolve(completion, { finding: 'not-charged', by: 'x' });
    assert.equal(journal.refusal(complete('40')), undefined, 'not completed: the code can be completed again');
    const cancel = await beginId(journal, request('cancel', { preauthcode: 'CODE-9' }));
    await journal.end(cancel, UNKNOWN);
    await journal.resolve(cancel, { finding: 'charged', by: 'x' });
    assert.equal(journal.refusal(complete('40')).code, 'DUPLICATE', 'cancelled: the code is used');
  });

  it('a late answer after a finding is recorded and wins for the display; duplicate protection takes the safe side of both', async () => {
    let journal = journalAt();
    const approvedLate = await unknownPayment(journal, 'LATE-OK');
    const declinedLate = await unknownPayment(journal, 'LATE-NO');
    await journal.resolve(approvedLate, { finding: 'not-charged', by: 'x' });
    await journal.resolve(declinedLate, { finding: 'charged', by: 'x' });
    await journal.late(approvedLate, { result: 'OK', ref: 'R-LATE' });
    await journal.late(declinedLate, DECLINED);
    const check = () => {
      assert.equal(journal.find(approvedLate).state, 'late-approved');
      assert.equal(journal.find(approvedLate).resolution.finding, 'not-charged', 'the finding stays on record');
      assert.equal(journal.find(declinedLate).state, 'late-declined');
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'LATE-OK' })).code, 'DUPLICATE', 'the terminal said approved');
      assert.equal(journal.refusal(request('pay', { amount: '7', invoice: 'LATE-NO' })).code, 'DUPLICATE', 'the operator said charged');
    };
    check();
    journal = await reopen(journal);
    check();
    assert.ok(await journal.file.compact());
    journal = await reopen(journal);
    check();
  });

  it('loads an old journal (version 1 lines, version 2 without findings) unchanged; a finding in a damaged line frees nothing', async () => {
    const v1 = (record) => JSON.stringify({ v: 1, at: '2026-11-30T10:00:00.000Z', ...record });
    fs.writeFileSync(file, `${v1({ id: 'old', event: 'begin', action: 'pay', invoice: 'OLD-1', amount: '3.00' })}\n${v1({ id: 'old', event: 'end', outcome: 'unknown' })}\n`);
    let journal = journalAt();
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((e) => e.invoice),
      ['OLD-1'],
    );
    assert.equal(journal.find('old').state, 'unknown');
    await journal.resolve('old', { finding: 'not-charged', by: 'x' });
    await journal.close();
    // The same finding, its checksum broken: it counts for nothing.
    const text = fs.readFileSync(file, 'utf8').replace('"by":"x"', '"by":"y"');
    fs.writeFileSync(file, text);
    journal = journalAt();
    await journal.ready;
    assert.equal(journal.damaged.length, 1);
    assert.equal(journal.refusal(request('pay', { amount: '3', invoice: 'OLD-1' })).code, 'DUPLICATE');
    assert.deepEqual(
      journal.unresolved.map((e) => e.invoice),
      ['OLD-1'],
    );
  });

  it('history: newest first, paged, by local day, action, state, invoice text and terminal; declined requests too; after a restart the same', async () => {
    let clock = new Date(2026, 11, 1, 23, 59, 0); // local time
    const now = () => clock;
    let journal = journalAt({ now });
    const at = async (date, action, fields, result, terminal = 'tcp:10.0.0.1:51042') => {
      clock = date;
      const id = await beginId(journal, request(action, fields), { terminal });
      if (result) await journal.end(id, result);
      return id;
    };
    await at(new Date(2026, 11, 1, 23, 59, 0), 'pay', { amount: '1', invoice: 'A-1001' }, OK);
    await at(new Date(2026, 11, 2, 0, 0, 0), 'pay', { amount: '2', invoice: 'a-1002' }, DECLINED);
    await at(new Date(2026, 11, 2, 9, 30, 0), 'refund', { amount: '1', invoice: 'A-1001' }, OK);
    const lost = await at(new Date(2026, 11, 2, 12, 0, 0), 'pay', { amount: '3', invoice: 'B-7' }, UNKNOWN, 'tcp:10.0.0.2:51042');
    await at(
      new Date(2026, 11, 2, 23, 59, 59, 999),
      'pay',
      { amount: '4', invoice: 'C-1' },
      { result: 'ERROR', outcome: 'not-sent', code: 'BUSY', ref: '', status: null, statusText: null, message: 'busy' },
    );
    await at(new Date(2026, 11, 3, 0, 0, 0), 'pay', { amount: '5', invoice: 'D-1' }, OK);
    await journal.resolve(lost, { finding: 'not-charged', by: 'x' });

    const check = () => {
      const invoices = (query) => journal.history(query).entries.map((e) => e.invoice);
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
    assert.ok(await journal.file.compact());
    journal = await reopen(journal, { now });
    check();
  });

  it('history: records merged out of order are listed in order; a clock set back is put in its place', async () => {
    const line = (id, at, invoice) => [
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
    const { encodeRecord } = require('../dist/src/journal/record');
    let journal = journalAt();
    const why = { key: 'declined.terminalSays', params: { reason: { key: 'declined.amount', params: { amount: { amount: '12.50' } } }, text: 'Too much' } };
    const id = await beginId(journal, request('pay', { amount: '12.5', invoice: 'KEY-1' }));
    await journal.end(id, { ...DECLINED, messageKey: why.key, messageParams: why.params });
    journal = await reopen(journal);
    const entry = journal.history({ invoice: 'KEY-1' }).entries[0];
    assert.deepEqual([entry.messageKey, entry.messageParams, entry.message], [why.key, why.params, 'declined']);

    // Lines with a valid checksum whose key is not one of ours, or whose values are of no known kind.
    const at = '2026-12-02T10:00:00.000Z';
    const foreign = [
      ['FOREIGN-KEY', { messageKey: 'declined.noSuchKey', messageParams: {} }],
      ['FOREIGN-VALUE', { messageKey: 'declined.amount', messageParams: { amount: { html: '<b>x</b>' } } }],
      ['PROTOTYPE-KEY', { messageKey: 'constructor', messageParams: {} }],
      ['TOO-DEEP', { messageKey: 'declined.terminalSays', messageParams: { reason: nested(8), text: 'x' } }],
    ];
    await journal.close();
    for (const [invoice, fields] of foreign) {
      fs.appendFileSync(file, encodeRecord({ v: 2, at, id: invoice, event: 'begin', action: 'pay', invoice, amount: '1.00' }));
      fs.appendFileSync(file, encodeRecord({ v: 2, at, id: invoice, event: 'end', outcome: 'failed', code: 'TERMINAL', message: 'English', ...fields }));
    }
    journal = journalAt();
    await journal.ready;
    for (const [invoice] of foreign) {
      const read = journal.history({ invoice }).entries[0];
      assert.deepEqual([read.state, read.messageKey, read.messageParams, read.message], ['declined', undefined, undefined, 'English'], invoice);
    }
    assert.deepEqual(journal.damaged, [], 'such a line is not damaged: only its key is not used');

    function nested(depth) {
      return depth === 0 ? { key: 'outcome.notSent', params: {} } : { key: 'declined.terminalSays', params: { reason: nested(depth - 1), text: 'x' } };
    }
  });

  it('a late answer replaces what the unknown end said, after a restart as before it: no TIMEOUT code or message is left on an approved entry', async () => {
    let journal = journalAt();
    const id = await unknownPayment(journal, 'LATE-RELOAD');
    await journal.late(id, { result: 'OK', ref: 'R-LATE' });
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
      const at = (i) => new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString();
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
        assert.equal(journal.refusal(request('pay', { amount: '1', invoice: 'I-0' })).code, 'DUPLICATE');
      } finally {
        await journal.close();
      }
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
