'use strict';
// The journal's crash-consistency suite, in the manner of SQLite's I/O-error and crash tests:
// one workload (load a journal with history, begin and end requests, compact, begin and end
// more, acknowledge) is run once to count its file operations, then again with a fault injected
// at the 1st, 2nd, … Nth operation, for every N, for each kind of fault:
//
//   crash (lost | torn | kept)  power is cut at that operation; unflushed data is lost, half
//                               written or kept; the journal is then loaded from what the
//                               "disk" kept
//   error                       that one operation fails (EIO), the process goes on
//   enospc                      the disk is full from that operation on (short writes)
//   hang                        that operation does not return until released
//
// After each run the journal is loaded again and must: have forgotten no request that was
// approved, ended unknown or has no end (a repeat is refused), read nothing as approved that
// was not, list every request begun without an end as unresolved, report no damaged line (a
// torn write is not damage), and go on working, durably, through a second restart.
const assert = require('node:assert/strict');
const { Journal, createRequest } = require('../dist/src');
const { MemoryFileSystem } = require('./support/memory-fs');
const { FaultFileSystem } = require('./support/fault-fs');

const FILE = '/data/mypos-journal/journal.jsonl';
const NOW = '2026-12-01T10:00:00.000Z';

function request(action, fields) {
  const sourced = (value, field) => ({ value, field });
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

function resultFor(outcome, ref) {
  if (outcome === 'ok') return { result: 'OK', ref };
  const code = outcome === 'failed' ? 'TERMINAL' : 'TIMEOUT';
  return { result: 'ERROR', ref: '', outcome, code, status: outcome === 'failed' ? 2 : null, statusText: null, message: outcome };
}

/** A journal with history, as an earlier run (version 1 lines) and a later one (version 2) left it. */
function seedHistory(memory) {
  const v1 = (record) => JSON.stringify({ v: 1, at: NOW, ...record });
  memory.writeFileSync(
    FILE,
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
const HISTORY = [
  { invoice: 'H-PAID', action: 'pay', truth: 'ok', sent: true },
  { invoice: 'H-LOST', action: 'pay', truth: 'unknown', sent: true },
  { invoice: 'H-OPEN', action: 'pay', truth: 'open', sent: true },
  { invoice: 'H-DECLINED', action: 'pay', truth: 'failed', sent: true },
];

/**
 * The workload. Returns what the journal promised: for each request, whether begin() resolved
 * (the request would have been sent) and how it really ended.
 */
async function workload(journal) {
  const promised = [];
  promised.live = [];
  const step = async (action, fields, truth, ref) => {
    const record = { invoice: fields.invoice, action, truth: truth ?? 'open', sent: false, id: undefined };
    promised.push(record);
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
    if (truth) await journal.end(begun.id, resultFor(truth, ref));
    return record;
  };
  await journal.ready.catch(() => undefined);
  await step('pay', { amount: '1', invoice: 'W-OK' }, 'ok', 'R-1');
  await step('pay', { amount: '2', invoice: 'W-UNKNOWN' }, 'unknown');
  await step('pay', { amount: '3', invoice: 'W-OPEN' }); // in flight when the process dies
  await step('pay', { amount: '4', invoice: 'W-DECLINED' }, 'failed');
  await step('preauth', { amount: '50', invoice: 'W-PRE' }, 'ok', 'CODE-W');
  if (journal.file) await journal.file.compact();
  await step('pay', { amount: '5', invoice: 'W-AFTER' }, 'ok', 'R-5');
  await step('complete', { amount: '40', preauthcode: 'CODE-W' }, 'ok', 'R-6');
  await journal.acknowledge().catch(() => undefined);
  return promised;
}

/** Checks a reloaded journal against what was promised; returns a list of violations. */
function violations(journal, promised, label) {
  const found = [];
  const unresolved = new Set(journal.unresolved.map((entry) => entry.invoice ?? entry.preauthcode));
  for (const record of promised) {
    const req =
      record.action === 'complete'
        ? request('complete', { amount: '40', preauthcode: 'CODE-W' })
        : request(record.action, { amount: '1', invoice: record.invoice });
    const refusal = journal.refusal(req);
    const key = record.invoice ?? 'CODE-W';
    if (record.sent && ['ok', 'unknown', 'open'].includes(record.truth) && refusal?.code !== 'DUPLICATE') {
      found.push(`${label}: ${key} (${record.truth}) is no longer refused`);
    }
    // Acknowledged by the workload or not, an open request must be remembered; unresolved unless acknowledged.
    if (!record.sent && refusal?.code === 'DUPLICATE' && !unresolved.has(key)) {
      found.push(`${label}: ${key} was never sent, yet is refused without being listed unresolved`);
    }
  }
  for (const entry of journal.entries.values()) {
    const key = entry.entry.invoice ?? entry.entry.preauthcode;
    const truth = [...HISTORY, ...promised].find((record) => (record.invoice ?? 'CODE-W') === key && record.action === entry.entry.action);
    if (!truth) found.push(`${label}: an entry for ${key} that nobody began`);
    else if (entry.entry.outcome === 'ok' && truth.truth !== 'ok') found.push(`${label}: ${key} reads as approved, but was ${truth.truth}`);
    else if (entry.entry.outcome !== undefined && entry.entry.outcome !== truth.truth) {
      found.push(`${label}: ${key} reads as ${entry.entry.outcome}, but was ${truth.truth}`);
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

async function reload(memory, label) {
  // After a hang, the previous writer lets go of the lock once the released operation returns.
  for (let attempt = 0; ; attempt += 1) {
    const journal = new Journal(FILE, { fs: memory, now: () => new Date(NOW), ioTimeoutMs: 1000 });
    try {
      await journal.ready;
      return journal;
    } catch (error) {
      await journal.close();
      if (error.code === 'ELOCKED' && attempt < 100) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      throw new Error(`${label}: the journal does not load after the fault: ${error.message}`);
    }
  }
}

/** After a restart the journal must take new requests, durably, and survive another restart. */
async function goesOn(memory, promised, label) {
  const journal = await reload(memory, `${label}, second restart`);
  const found = violations(journal, promised, `${label}, second restart`);
  const next = { invoice: 'NEXT', action: 'pay', truth: 'ok', sent: true };
  const begun = await journal.begin(request('pay', { amount: '9', invoice: 'NEXT' }));
  if (begun.refusal) found.push(`${label}: a new request is refused: ${begun.refusal.message}`);
  else await journal.end(begun.id, resultFor('ok', 'R-NEXT'));
  await journal.close();
  const third = await reload(memory.crash(), `${label}, third restart`);
  if (third.refusal(request('pay', { amount: '9', invoice: 'NEXT' }))?.code !== 'DUPLICATE') found.push(`${label}: the request made after the restart was not durable`);
  found.push(...violations(third, [...promised, next], `${label}, third restart`));
  await third.close();
  return found;
}

async function runOnce(syncWrites, fault) {
  const memory = new MemoryFileSystem({ syncWrites });
  seedHistory(memory);
  const faulty = new FaultFileSystem(memory);
  if (process.env.LOGOPS) faulty.onOperation = (e) => console.log('op', e.n, e.op, e.path, e.handle ? 'handle' : '');
  if (fault) faulty.failAt(fault.n, fault.kind);
  const journal = new Journal(FILE, { fs: faulty, now: () => new Date(NOW), ioTimeoutMs: fault?.kind === 'hang' ? 30 : 1000, maxBytes: 1 << 30 });
  let promised;
  if (fault?.kind === 'hang') {
    const started = performance.now();
    promised = await workload(journal);
    const closeStarted = performance.now();
    await journal.close();
    const closeMs = performance.now() - closeStarted;
    faulty.release();
    // Let the released operation finish and the journal repair itself before anything reloads.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { memory, promised, ops: faulty.ops, workloadMs: closeStarted - started, closeMs };
  }
  promised = await workload(journal);
  await journal.close();
  return { memory, promised, ops: faulty.ops };
}

describe('journal crash consistency (SQLite-style: a fault at every file operation)', function () {
  this.timeout(600000);

  for (const syncWrites of [true, false]) {
    describe(syncWrites ? 'writes durable on return (O_DSYNC)' : 'writes flushed by datasync (no O_DSYNC, e.g. Windows)', () => {
      let total;

      before(async () => {
        const clean = await runOnce(syncWrites);
        total = clean.ops;
        const journal = await reload(clean.memory, 'no fault');
        assert.deepEqual(violations(journal, clean.promised, 'no fault'), []);
        assert.ok(clean.promised.every((record) => record.sent), 'without a fault every request is recorded');
        await journal.close();
        assert.ok(total > 40, `the workload does ${total} file operations`);
      });

      for (const kind of ['crash:lost', 'crash:torn', 'crash:kept', 'crash-mid-write:lost', 'error', 'enospc']) {
        it(`${kind}: at every operation, nothing approved or unknown is forgotten and nothing reads as approved that was not`, async () => {
          const [fault, unsynced] = kind.split(':');
          const found = [];
          for (let n = 1; n <= total; n += 1) {
            const run = await runOnce(syncWrites, { n, kind: fault });
            const label = `${kind} at operation ${n}/${total}`;
            const disk = fault.startsWith('crash') ? run.memory.crash({ unsynced }) : run.memory;
            const journal = await reload(disk, label);
            found.push(...violations(journal, run.promised, label), ...run.promised.live.map((problem) => `${label}: ${problem}`));
            await journal.close();
            found.push(...(await goesOn(disk, run.promised, label)));
          }
          console.log(`      ${kind}: ${total} injection points covered`);
          assert.deepEqual(found, []);
        });
      }

      it('hang: at every operation, the request gets JOURNAL within the time limit, close is bounded, and nothing is forgotten once the disk answers', async () => {
        const found = [];
        let slowestClose = 0;
        for (let n = 1; n <= total; n += 1) {
          const run = await runOnce(syncWrites, { n, kind: 'hang' });
          const label = `hang at operation ${n}/${total}`;
          slowestClose = Math.max(slowestClose, run.closeMs);
          const journal = await reload(run.memory, label);
          found.push(...violations(journal, run.promised, label));
          await journal.close();
        }
        console.log(`      hang: ${total} injection points covered; slowest close ${slowestClose.toFixed(0)} ms`);
        assert.deepEqual(found, []);
        assert.ok(slowestClose < 5500, `close took ${slowestClose} ms; Node-RED gives 15 s`);
      });
    });
  }
});
