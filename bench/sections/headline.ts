/**
 * The four contenders side by side, in one process against one simulator (in its own process),
 * with the floor also made durable (1d: its own begin and end lines flushed beside the node's
 * journal, the node's real cost to compare with): back to back (the next transaction starts when the previous result arrives), in interleaved
 * rounds so the machine's noise falls on all of them alike; then paced (a pause longer than the
 * answer guard before each transaction, as when customers come one after another).
 */
import fs from 'node:fs';
import * as contenders from '../lib/contenders';
import type { Contender } from '../lib/contenders';
import * as flows from '../lib/flows';
import { countJournalWrites, fileSystemOf } from '../lib/journal-io';
import { LoopMonitor } from '../lib/loop-monitor';
import { EmbeddedNodeRed, type LogCounts, type ProbeCounts } from '../lib/node-red';
import { loadApi, packageDir as resolvePackage } from '../lib/package';
import { runSection, progress, sleep } from '../lib/section';
import { SimHost } from '../lib/sim-client';
import { median, summarize } from '../lib/stats';

export interface HeadlineOptions {
  packageDir?: string;
  txns?: number;
  rounds?: number;
  paced?: number;
  thinkMs?: number;
  warmupFast?: number;
  warmupSlow?: number;
  guardedBudgetMs?: number;
  idleMs?: number;
}

interface Batch {
  round: number;
  count: number;
  wallMs: number;
  cpuMicros: number | undefined;
  maxLoopDelayMs: number | undefined;
  maxBusyMs: number | undefined;
  journalWrites: number | undefined;
}

interface Stats {
  latencies: number[];
  batches: Batch[];
}

type JournalWrites = { writes: number } | undefined;

export interface HeadlineResult {
  txns: number;
  rounds: number;
  thinkMs: number;
  defaultGuardMs: number;
  windowMs: number;
  idleCpuMicrosPerSecond: number;
  nodeRedLog: LogCounts;
  simulatorRssBytes: number;
  /** Inputs and outputs of each Node-RED contender, by key. */
  outputs: Record<string, ProbeCounts>;
  journalDisk: { folder: string; fileSystem: string; writesCounted: boolean };
  contenders: ContenderReport[];
}

/**
 * warmupFast, warmupSlow: fast contenders warm up longer, as the JIT needs more calls than a
 * slow path's few dozen. guardedBudgetMs: back to back, a contender with the default answer
 * guard spends the guard's wait on every payment, so it does only about this much of them.
 */
runSection(async (options: HeadlineOptions): Promise<HeadlineResult> => {
  const { packageDir: dirOption, txns = 1000, rounds = 5, paced = 60, thinkMs: thinkOption, warmupFast = 300, warmupSlow = 20, guardedBudgetMs = 20_000, idleMs = 2000 } = options;
  const packageDir = resolvePackage(dirOption);
  const api = loadApi(packageDir);
  // Paced means the link has been idle longer than the answer guard, as between two customers.
  const thinkMs = thinkOption ?? api.DEFAULT_ANSWER_GUARD_MS + 5;
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  // Before any journal opens; counts the journals' write() calls per batch.
  const journalWrites = countJournalWrites(packageDir);
  // Linux's memory-backed file system, where a flush costs nothing; skipped where there is none.
  const shmDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/mypos-bench-') : undefined;
  try {
    // One terminal for the contenders outside Node-RED, and one per node contender: config nodes
    // for one terminal share one client, so patching one would patch them all.
    const { ports } = await sims.call('simulators', { count: 4 });
    const [port, nodePort, nodeOnDiskPort, nodeShmPort] = ports as [number, number, number, number];
    await nodeRed.start();
    // The node with the guard off and its journal where it is by default, in the user directory.
    const nodeOnDisk = contenders.node(api, nodeRed, nodeOnDiskPort, 0);
    const all: Contender[] = [
      contenders.floor(port),
      contenders.durableFloor(port, () => nodeOnDisk.journalFolder()),
      contenders.client(api, port, undefined),
      contenders.client(api, port, 0),
      contenders.client(api, port, 0, () => nodeOnDisk.journalFolder()),
      contenders.node(api, nodeRed, nodePort, undefined),
      nodeOnDisk,
      ...(shmDir ? [contenders.node(api, nodeRed, nodeShmPort, 0, shmDir)] : []),
      contenders.core(port, 'sit'),
      contenders.core(port, 'time'),
    ];
    await nodeRed.deploy([flows.tab(), ...all.flatMap((c) => c.flow ?? [])]);
    for (const contender of all) await contender.setup();

    const idleMicrosPerMs = await idleCpu(idleMs);
    progress('headline', `idle CPU with everything deployed: ${(idleMicrosPerMs * 1000).toFixed(0)} µs per second`);
    progress('headline', 'warming up');
    let index = 0;
    for (const contender of all) {
      const warm = isSlow(contender) ? warmupSlow : warmupFast;
      for (let w = 0; w < warm; w++) await contender.once(`w${index++}`);
    }

    const stats = new Map(all.map((c) => [c.key, newStats()]));
    const statsOf = (contender: Contender): Stats => stats.get(contender.key) ?? newStats();
    const guardedTxns = Math.min(txns, Math.max(rounds, Math.floor(guardedBudgetMs / Math.max(1, api.DEFAULT_ANSWER_GUARD_MS))));
    const target = (contender: Contender) => (isGuarded(contender) ? guardedTxns : txns);
    for (let round = 0; round < rounds; round++) {
      // The loop-delay monitor wakes up every millisecond, which costs CPU time of its own
      // (about 2% of a core): it watches every other round, and CPU time is taken from the others.
      const watch = round % 2 === 0;
      progress('headline', `back-to-back round ${round + 1}/${rounds}${watch ? ' (watching the event loop)' : ' (timing the CPU)'}`);
      for (const contender of rotate(all, round)) {
        const done = statsOf(contender).latencies.length;
        const count = Math.min(Math.ceil(target(contender) / rounds), target(contender) - done);
        if (count > 0) await batch(contender, count, statsOf(contender), () => index++, { round, watch, journalWrites });
      }
    }

    progress('headline', `paced: ${paced} per contender, ${thinkMs} ms pause before each`);
    const pacedLatencies = new Map(all.map((c): [string, number[]] => [c.key, []]));
    for (let k = 0; k < paced; k++) {
      for (const contender of rotate(all, k)) {
        await sleep(thinkMs);
        const start = performance.now();
        await contender.once(`p${index++}`);
        pacedLatencies.get(contender.key)?.push(performance.now() - start);
      }
    }

    await sleep(300); // an output sent twice would arrive about now
    const outputs = Object.fromEntries(all.flatMap((c) => (c.outputs ? [[c.key, c.outputs()]] : [])));
    for (const contender of all) await contender.teardown();
    const simMemory = await sims.call('memory');
    const journalFolder = nodeOnDisk.journalFolder();
    return {
      txns,
      rounds,
      thinkMs,
      defaultGuardMs: api.DEFAULT_ANSWER_GUARD_MS,
      windowMs: contenders.CORE_TIME_WINDOW_MS,
      idleCpuMicrosPerSecond: idleMicrosPerMs * 1000,
      nodeRedLog: nodeRed.logCounts,
      simulatorRssBytes: simMemory.rss,
      outputs,
      // Where 3z's journal and 1d's file are: on tmpfs the comparison would measure no flush at all.
      journalDisk: { folder: journalFolder, fileSystem: fileSystemOf(journalFolder), writesCounted: journalWrites !== undefined },
      contenders: all.map((c) => report(c, statsOf(c), pacedLatencies.get(c.key) ?? [])),
    };
  } finally {
    await nodeRed.stop().catch(() => undefined);
    await sims.close();
    if (shmDir) fs.rmSync(shmDir, { recursive: true, force: true });
  }
});

/** CPU time the process spends per millisecond doing nothing (timers, Node-RED housekeeping). */
async function idleCpu(durationMs: number): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await sleep(durationMs);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / (performance.now() - started);
}

function isGuarded(contender: Contender): boolean {
  return contender.key === 'client' || contender.key === 'node';
}

function isSlow(contender: Contender): boolean {
  return isGuarded(contender) || contender.key === 'core-time';
}

function newStats(): Stats {
  return { latencies: [], batches: [] };
}

/** `count` back-to-back transactions, timed; with `watch`, under the event-loop delay monitor. */
async function batch(
  contender: Contender,
  count: number,
  stats: Stats,
  nextIndex: () => number,
  { round, watch, journalWrites }: { round: number; watch: boolean; journalWrites: JournalWrites },
): Promise<void> {
  // A fresh monitor per batch: a re-enabled histogram counts the time it was off as one delay.
  const monitor = watch ? new LoopMonitor().start() : undefined;
  const writesBefore = journalWrites?.writes;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    await contender.once(nextIndex());
    stats.latencies.push(performance.now() - start);
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (monitor) await sleep(5); // the monitor records a delay when its timer next runs
  const loop = monitor?.stop();
  stats.batches.push({
    round,
    count,
    wallMs,
    cpuMicros: watch ? undefined : cpu.user + cpu.system,
    maxLoopDelayMs: loop?.maxDelayMs,
    maxBusyMs: loop?.maxBusyMs,
    // The last payment's end line may be written in the next batch: off by one write at most.
    journalWrites: journalWrites ? journalWrites.writes - (writesBefore ?? 0) : undefined,
  });
}

/** The package journals' write() calls per transaction of this contender; null where none were counted. */
function journalWritesPerTxn(batches: Batch[]): number | null {
  const writes = batches.reduce((total, b) => total + (b.journalWrites ?? 0), 0);
  const count = batches.reduce((total, b) => total + b.count, 0);
  return writes > 0 ? writes / count : null;
}

/** Each round starts with a different contender, so none always runs first or last. */
function rotate<T>(list: T[], by: number): T[] {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/** What the headline reports of one contender (results.json, the tables and the plot). */
export type ContenderReport = ReturnType<typeof report>;

function report(contender: Contender, stats: Stats, paced: number[]) {
  const timed = stats.batches.filter((b) => b.cpuMicros !== undefined);
  const watched = stats.batches.filter((b) => b.maxLoopDelayMs !== undefined);
  const sum = (list: Batch[], pick: (b: Batch) => number) => list.reduce((total, b) => total + pick(b), 0);
  return {
    key: contender.key,
    label: contender.label,
    txns: stats.latencies.length,
    // Per round, so the run's ratios can pair each contender with the floor of the same round.
    batches: stats.batches.map((b) => ({ round: b.round, count: b.count, wallMs: b.wallMs, throughput: b.count / (b.wallMs / 1000) })),
    throughput: median(stats.batches.map((b) => b.count / (b.wallMs / 1000))),
    latency: summarize(stats.latencies),
    cpuMicrosPerTxn: timed.length ? sum(timed, (b) => b.cpuMicros ?? 0) / sum(timed, (b) => b.count) : null,
    maxLoopDelayMs: watched.length ? Math.max(...watched.map((b) => b.maxLoopDelayMs ?? NaN)) : null,
    maxBusyMs: watched.length ? Math.max(...watched.map((b) => b.maxBusyMs ?? NaN)) : null,
    journalWritesPerTxn: journalWritesPerTxn(stats.batches),
    samples: stats.latencies.map((v) => Number(v.toFixed(4))),
    paced: summarize(paced),
    pacedSamples: paced.map((v) => Number(v.toFixed(4))),
  };
}
