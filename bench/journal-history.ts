// How long the console's history queries take on a journal of 100,000 requests (30 days of a
// busy shop, every tenth declined, one in a thousand unknown): a journal file is written, loaded
// as Node-RED would load it, then each query runs many times; the median and the slowest run are
// printed, with the load time and the heap the journal holds. Needs dist/ (npm run build).
// What is measured is the build (dist/), as a user runs it; src/ gives only the types.
//   node --require tsx/cjs bench/journal-history.ts [count]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HistoryPage, HistoryQuery, Journal as JournalType } from '../src/index';
import type * as PackageIndex from '../src/index';
import type * as RecordModule from '../src/journal/record';
import { loadBuilt } from './lib/package';

const DIST = path.join(__dirname, '..', 'dist', 'src');
const { Journal } = loadBuilt<typeof PackageIndex>(DIST);
const { encodeRecord } = loadBuilt<typeof RecordModule>(path.join(DIST, 'journal', 'record'));

const COUNT = Number(process.argv[2] ?? 100_000);
const DAYS = 30;
const RUNS = 50;
const NOW = new Date(2026, 11, 31, 12, 0, 0);

function writeJournal(file: string): void {
  const start = NOW.getTime() - DAYS * 24 * 3600 * 1000;
  const step = (DAYS * 24 * 3600 * 1000) / COUNT;
  const out = fs.openSync(file, 'w', 0o600);
  let chunk: string[] = [];
  for (let i = 0; i < COUNT; i += 1) {
    const at = new Date(start + i * step).toISOString();
    const id = `id-${i}`;
    const invoice = `K${i % 3}-${100000 + i}`;
    const action = i % 20 === 13 ? 'refund' : 'pay';
    const outcome = i % 1000 === 7 ? 'unknown' : i % 10 === 3 ? 'failed' : 'ok';
    chunk.push(encodeRecord({ v: 2, at, id, event: 'begin', action, invoice, amount: '12.50', terminal: `192.168.1.${20 + (i % 3)}:51042` }));
    chunk.push(
      encodeRecord({
        v: 2,
        at,
        id,
        event: 'end',
        action,
        invoice,
        amount: '12.50',
        outcome,
        ref: outcome === 'ok' ? String(482113000000 + i) : '',
        ...(outcome === 'failed' && { code: 'TERMINAL', status: 2, statusText: 'DECLINED', message: 'The card was declined.' }),
      }),
    );
    if (chunk.length >= 10_000) {
      fs.writeSync(out, chunk.join(''));
      chunk = [];
    }
  }
  fs.writeSync(out, chunk.join(''));
  fs.closeSync(out);
}

function measure(label: string, query: HistoryQuery, journal: JournalType): { label: string; median: number; slowest: number; total: number } {
  const times: number[] = [];
  let page: HistoryPage | undefined;
  for (let i = 0; i < RUNS; i += 1) {
    const started = process.hrtime.bigint();
    page = journal.history(query);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? NaN;
  const slowest = times[times.length - 1] ?? NaN;
  if (!page) throw new Error('no runs');
  console.log(`${label.padEnd(58)} median ${median.toFixed(2).padStart(7)} ms   slowest ${slowest.toFixed(2).padStart(7)} ms   ${page.total} match, ${page.entries.length} returned`);
  return { label, median, slowest, total: page.total };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-history-bench-'));
  const file = path.join(dir, 'journal.jsonl');
  try {
    writeJournal(file);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const loadStarted = performance.now();
    const journal = new Journal(file, { now: () => NOW, maxBytes: 1 << 30 });
    await journal.ready;
    const loadMs = performance.now() - loadStarted;
    global.gc?.();
    const heap = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `${COUNT} requests (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB) loaded in ${loadMs.toFixed(0)} ms; ` +
        `${journal.size} held, heap ${global.gc ? `+${(heap / 2 ** 20).toFixed(0)} MiB` : '(run with --expose-gc to measure)'}; Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown'}`,
    );
    const day = (d: number) => ({ from: new Date(2026, 11, d), to: new Date(2026, 11, d + 1) });
    const results = [
      measure('first page, no filter (limit 50)', { limit: 50 }, journal),
      measure('first page, one day (limit 50)', { ...day(15), limit: 50 }, journal),
      measure('first page, invoice text "00042" (all days)', { invoice: '00042', limit: 50 }, journal),
      measure('state unknown (all days)', { states: ['unknown'], limit: 50 }, journal),
      measure('declined refunds (all days)', { actions: ['refund'], states: ['declined'], limit: 50 }, journal),
      measure('page at offset 50,000, no filter', { offset: 50_000, limit: 50 }, journal),
      measure('one day, every row (an export)', { ...day(15) }, journal),
      measure('30 days, every row (an export)', {}, journal),
    ];
    await journal.close();
    if (process.argv.includes('--json')) console.log(JSON.stringify({ count: COUNT, loadMs, results }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
