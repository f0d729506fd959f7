// The journal's crash-consistency suite, in the manner of SQLite's I/O-error and crash tests:
// one workload (load a journal with history, begin and end requests, an operator's finding,
// compact, begin and end more, another finding, acknowledge) is run once to count its file
// operations, then again with a fault injected at the 1st, 2nd, … Nth operation, for every N,
// for each kind of fault:
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
// torn write is not damage), keep every finding resolve() confirmed and hold none that was never
// tried, and go on working, durably, through a second restart.
import assert from 'node:assert/strict';
import { Journal } from '../src/journal/journal';
import { MemoryFileSystem } from './support/memory-fs';
import type { Unsynced } from './support/memory-fs';
import { FaultFileSystem } from './support/fault-fs';
import type { FaultKind } from './support/fault-fs';
import { FILE, NOW, request, resultFor, seedHistory, workload, violations } from './support/journal-workload';
import type { Promised, RequestRecord } from './support/journal-workload';

interface Run {
  readonly memory: MemoryFileSystem;
  readonly promised: Promised;
  readonly ops: number;
  readonly workloadMs?: number;
  readonly closeMs?: number;
}

async function reload(memory: MemoryFileSystem, label: string): Promise<Journal> {
  // After a hang, the previous writer lets go of the lock once the released operation returns.
  for (let attempt = 0; ; attempt += 1) {
    const journal = new Journal(FILE, { fs: memory, now: () => new Date(NOW), ioTimeoutMs: 1000 });
    try {
      await journal.ready;
      return journal;
    } catch (error) {
      await journal.close();
      if ((error as { code?: unknown }).code === 'ELOCKED' && attempt < 100) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      throw new Error(`${label}: the journal does not load after the fault: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** After a restart the journal must take new requests, durably, and survive another restart. */
async function goesOn(memory: MemoryFileSystem, promised: Promised, label: string): Promise<string[]> {
  const journal = await reload(memory, `${label}, second restart`);
  const found = violations(journal, promised, `${label}, second restart`);
  const next: RequestRecord = { invoice: 'NEXT', action: 'pay', truth: 'ok', sent: true };
  const begun = await journal.begin(request('pay', { amount: '9', invoice: 'NEXT' }));
  if (begun.refusal) found.push(`${label}: a new request is refused: ${begun.refusal.message}`);
  else await journal.end(begun.id, resultFor('ok', 'R-NEXT'));
  await journal.close();
  const third = await reload(memory.crash(), `${label}, third restart`);
  if (third.refusal(request('pay', { amount: '9', invoice: 'NEXT' }))?.code !== 'DUPLICATE') found.push(`${label}: the request made after the restart was not durable`);
  const all = Object.assign([...promised, next], { resolutions: promised.resolutions });
  found.push(...violations(third, all, `${label}, third restart`));
  await third.close();
  return found;
}

async function runOnce(syncWrites: boolean, fault?: { n: number; kind: FaultKind }): Promise<Run> {
  const memory = new MemoryFileSystem({ syncWrites });
  seedHistory((text) => memory.writeFileSync(FILE, text));
  const faulty = new FaultFileSystem(memory);
  if (process.env.LOGOPS) faulty.onOperation = (e) => console.log('op', e.n, e.op, e.path, e.handle ? 'handle' : '');
  if (fault) faulty.failAt(fault.n, fault.kind);
  const journal = new Journal(FILE, { fs: faulty, now: () => new Date(NOW), ioTimeoutMs: fault?.kind === 'hang' ? 30 : 1000, maxBytes: 1 << 30 });
  let promised: Promised;
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
      let total: number;

      before(async () => {
        const clean = await runOnce(syncWrites);
        total = clean.ops;
        const journal = await reload(clean.memory, 'no fault');
        assert.deepEqual(violations(journal, clean.promised, 'no fault'), []);
        assert.ok(
          clean.promised.every((record) => record.sent),
          'without a fault every request is recorded',
        );
        assert.deepEqual(
          clean.promised.resolutions.map((r) => [r.invoice, r.finding, r.confirmed]),
          [
            ['H-LOST', 'charged', true],
            ['W-UNKNOWN', 'not-charged', true],
          ],
          'without a fault both findings are recorded',
        );
        await journal.close();
        assert.ok(total > 40, `the workload does ${total} file operations`);
      });

      const kinds: readonly [FaultKind, Unsynced?][] = [['crash', 'lost'], ['crash', 'torn'], ['crash', 'kept'], ['crash-mid-write', 'lost'], ['error'], ['enospc']];
      for (const [fault, unsynced] of kinds) {
        const kind = unsynced === undefined ? fault : `${fault}:${unsynced}`;
        it(`${kind}: at every operation, nothing approved or unknown is forgotten and nothing reads as approved that was not`, async () => {
          const found: string[] = [];
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
        const found: string[] = [];
        let slowestClose = 0;
        for (let n = 1; n <= total; n += 1) {
          const run = await runOnce(syncWrites, { n, kind: 'hang' });
          const label = `hang at operation ${n}/${total}`;
          slowestClose = Math.max(slowestClose, run.closeMs ?? Infinity);
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
