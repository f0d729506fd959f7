/**
 * One Node-RED runtime, 50 terminals: 50 config nodes, each with its own simulator (all in one
 * helper process), each with a pay node driven by its own sequential loop, all loops at once.
 * Every result must come back to the node that asked, carrying its own invoice and the ref the
 * simulator of that terminal sent for it; no simulator may ever see another terminal's invoice.
 * Then group commit: all config nodes share one journal (the default), so with the guard off one
 * terminal alone and all of them at once are measured in alternating rounds: many terminals
 * should share the journal's flushes, not queue for them.
 */
import path from 'node:path';
import type { Journal } from '../../src/index';
import * as flows from '../lib/flows';
import { countJournalWrites, fileSystemOf } from '../lib/journal-io';
import { LoopMonitor } from '../lib/loop-monitor';
import { EmbeddedNodeRed, type LogCounts, Probe, type ProbeCounts, probeCounts } from '../lib/node-red';
import { loadApi, packageDir as resolvePackage } from '../lib/package';
import { runSection, progress, sleep } from '../lib/section';
import { SimHost } from '../lib/sim-client';
import type { SentReply } from '../lib/sim-host';
import { type Summary, median, summarize } from '../lib/stats';

type Guard = 'default' | number;

export interface TerminalsOptions {
  packageDir?: string;
  terminals?: number;
  perTerminal?: number;
  warm?: number;
  guards?: Guard[];
  groupRounds?: number;
  oneTerminalTxns?: number;
}

interface Ids {
  cfg: string;
  pay: string;
  probe: string;
}

interface PaymentOutcome {
  invoice: string;
  declined: boolean;
  gotInvoice: unknown;
  result: unknown;
  code: unknown;
  status: unknown;
  ref: unknown;
}

interface TerminalRun {
  terminal: number;
  latencies: number[];
  outcomes: PaymentOutcome[];
}

export interface Check {
  wrongNode: number;
  wrongReply: number;
  foreignAtSimulator: number;
}

/** One run: the terminals' payments, all terminals at once. */
export interface Run {
  guard: Guard | string;
  total: number;
  wallMs: number;
  throughput: number;
  latency: Summary;
  perTerminalP99: { median: number; max: number; min: number };
  maxLoopDelayMs: number;
  maxBusyMs: number;
  journalWrites: number | undefined;
}

/** A run as measured, with each payment's outcome to be checked. */
interface MeasuredRun extends Run {
  results: TerminalRun[];
}

/** A run as the result reports it: checked against the simulators' records, without the payments. */
export interface CheckedRun extends Run {
  check: Check;
}

/** A run with one answer guard: the package's default, or a patched instance's. */
export interface GuardRun extends CheckedRun {
  guardMs: number;
}

export interface GroupRound<R extends Run = CheckedRun> {
  one: R;
  all: R;
  ratio: number;
  journalEntries: number | null;
}

export interface GroupCommit<R extends Run = CheckedRun> {
  oneRate: number;
  allRate: number;
  ratio: number;
  rounds: GroupRound<R>[];
}

/** The journal of the first config node, and how many config nodes write that same file. */
export interface SharedJournal {
  file: string;
  fileSystem: string;
  sharedBy: number;
}

export interface TerminalsResult {
  terminals: number;
  perTerminal: number;
  runs: GuardRun[];
  groupCommit: GroupCommit & { journal: SharedJournal };
  outputs: ProbeCounts;
  nodeRedLog: LogCounts;
}

/** Every tenth payment is declined (.51), so both outputs carry traffic. */
const DECLINE_EVERY = 10;

/** 'default' leaves the config nodes as deployed; a number patches their clients' answerGuardMs. */
/** groupRounds, oneTerminalTxns: the group-commit comparison's rounds, and the lone terminal's payments in each. */
runSection(async (options: TerminalsOptions): Promise<TerminalsResult> => {
  const { packageDir: dirOption, terminals = 50, perTerminal = 100, warm = 5, guards = ['default', 0] as Guard[], groupRounds = 3, oneTerminalTxns = 1000 } = options;
  const packageDir = resolvePackage(dirOption);
  const { DEFAULT_ANSWER_GUARD_MS } = loadApi(packageDir);
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  // Before any journal opens.
  const journalWrites = countJournalWrites(packageDir);
  try {
    const { ports } = await sims.call('simulators', { count: terminals });
    await nodeRed.start();
    const ids: Ids[] = ports.map((_, i) => ({ cfg: `t${i}-cfg`, pay: `t${i}-pay`, probe: `t${i}-probe` }));
    await nodeRed.deploy([
      flows.tab('terminals'),
      ...ports.flatMap((port, i) => {
        const id = ids[i] ?? { cfg: '', pay: '', probe: '' };
        return [flows.terminalConfig(id.cfg, port), ...flows.actionWithProbe({ probeId: id.probe, nodeId: id.pay, action: 'pay', terminalId: id.cfg })];
      }),
    ]);
    const probes = ids.map((id) => new Probe(id.probe));
    // Connect every terminal and warm the code up; these payments are not counted.
    await runAll(probes, warm, 'warm');
    const runs: (MeasuredRun & { guardMs: number })[] = [];
    for (const guard of guards) {
      if (guard !== 'default') for (const id of ids) nodeRed.patchClient(id.cfg, 'answerGuardMs', guard);
      progress('terminals', `${terminals} terminals x ${perTerminal} payments, answerGuardMs ${guard}`);
      const run = await runAll(probes, perTerminal, guard);
      runs.push({ ...run, guardMs: guard === 'default' ? DEFAULT_ANSWER_GUARD_MS : guard });
    }
    for (const id of ids) nodeRed.patchClient(id.cfg, 'answerGuardMs', 0);
    const first = ids[0];
    if (!first) throw new Error('no terminals');
    const journal = nodeRed.getNode(first.cfg)?.journal;
    const groupCommit = await compareGroupCommit(probes, { rounds: groupRounds, oneTerminalTxns, perTerminal, journalWrites, journal });
    const shared = sharedJournal(nodeRed, ids);
    await sleep(300); // an output sent twice would arrive about now
    const { records } = await sims.call('records');
    // Each run checked against what the simulators sent; the payments themselves are left out.
    const checked = <R extends MeasuredRun>({ results, ...run }: R) => ({ ...run, check: verify(results, records) });
    return {
      terminals,
      perTerminal,
      runs: runs.map(checked),
      groupCommit: { ...groupCommit, rounds: groupCommit.rounds.map((r) => ({ ...r, one: checked(r.one), all: checked(r.all) })), journal: shared },
      outputs: probeCounts(probes),
      nodeRedLog: nodeRed.logCounts,
    };
  } finally {
    await nodeRed.stop().catch(() => undefined);
    await sims.close();
  }
});

/**
 * Terminal 0 alone, then all terminals at once (or the other way round, every other round), the
 * guard off; the rate of each and, per round, their ratio. One terminal's rate is what one
 * durable flush after another allows; all at once, the journal writes what arrived meanwhile in
 * one go.
 */
async function compareGroupCommit(
  probes: Probe[],
  {
    rounds,
    oneTerminalTxns,
    perTerminal,
    journalWrites,
    journal,
  }: { rounds: number; oneTerminalTxns: number; perTerminal: number; journalWrites: { writes: number } | undefined; journal: Journal | undefined },
): Promise<GroupCommit<MeasuredRun>> {
  const results: GroupRound<MeasuredRun>[] = [];
  for (let round = 0; round < rounds; round++) {
    // The journal remembers approved payments for 31 days: the rounds do not start equal.
    // Through its public size (a package without it, as an older build may be, reports null).
    const size: unknown = journal?.size;
    const journalEntries = typeof size === 'number' ? size : null;
    progress('terminals', `group commit, round ${round + 1}/${rounds}: 1 terminal x ${oneTerminalTxns}, ${probes.length} terminals x ${perTerminal}, answerGuardMs 0`);
    const runOne = () => runAll(probes.slice(0, 1), oneTerminalTxns, `one${round}`, journalWrites);
    const runEvery = () => runAll(probes, perTerminal, `all${round}`, journalWrites);
    let one: MeasuredRun;
    let all: MeasuredRun;
    if (round % 2 === 0) {
      one = await runOne();
      all = await runEvery();
    } else {
      all = await runEvery();
      one = await runOne();
    }
    results.push({ one, all, ratio: all.throughput / one.throughput, journalEntries });
  }
  return {
    oneRate: median(results.map((r) => r.one.throughput)),
    allRate: median(results.map((r) => r.all.throughput)),
    ratio: median(results.map((r) => r.ratio)),
    rounds: results,
  };
}

/** The journal file of the first config node, and how many of them write that same file. */
function sharedJournal(nodeRed: EmbeddedNodeRed, ids: Ids[]): SharedJournal {
  const file = nodeRed.journalPath(ids[0]?.cfg ?? '');
  return { file, fileSystem: fileSystemOf(path.dirname(file)), sharedBy: ids.filter((id) => nodeRed.journalPath(id.cfg) === file).length };
}

async function runAll(probes: Probe[], perTerminal: number, guard: Guard | string, journalWrites?: { writes: number }): Promise<MeasuredRun> {
  const monitor = new LoopMonitor().start();
  const writesBefore = journalWrites?.writes;
  const started = performance.now();
  const results = await Promise.all(probes.map((probe, terminal) => oneTerminal(probe, terminal, perTerminal, guard)));
  const wallMs = performance.now() - started;
  // The monitor records a delay when its timer next runs; meanwhile the last end lines are written.
  await sleep(5);
  const loop = monitor.stop();
  const p99s = results.map((r) => summarize(r.latencies).p99 ?? NaN);
  const all = results.flatMap((r) => r.latencies);
  return {
    guard,
    total: all.length,
    wallMs,
    throughput: all.length / (wallMs / 1000),
    latency: summarize(all),
    perTerminalP99: { median: median(p99s), max: Math.max(...p99s), min: Math.min(...p99s) },
    maxLoopDelayMs: loop.maxDelayMs,
    maxBusyMs: loop.maxBusyMs,
    journalWrites: journalWrites ? journalWrites.writes - (writesBefore ?? 0) : undefined,
    results,
  };
}

async function oneTerminal(probe: Probe, terminal: number, count: number, guard: Guard | string): Promise<TerminalRun> {
  const latencies: number[] = [];
  const outcomes: PaymentOutcome[] = [];
  for (let k = 0; k < count; k++) {
    const invoice = `T${terminal}-${guard}-${k}`;
    const declined = k % DECLINE_EVERY === DECLINE_EVERY - 1;
    const start = performance.now();
    const out = await probe.request({ payload: declined ? '5.51' : '5.00', invoice });
    latencies.push(performance.now() - start);
    const p = (out.payload ?? {}) as { invoice?: unknown; result?: unknown; code?: unknown; status?: unknown; ref?: unknown };
    outcomes.push({ invoice, declined, gotInvoice: p.invoice, result: p.result, code: p.code, status: p.status, ref: p.ref });
  }
  return { terminal, latencies, outcomes };
}

/**
 * Every result went to the node that asked and carries what that node's simulator sent (outputs
 * that came back for no input are counted over the whole run, in `outputs`).
 */
function verify(results: TerminalRun[], records: [string, SentReply][][]): Check {
  let wrongNode = 0;
  let wrongReply = 0;
  let foreignAtSimulator = 0;
  for (const { terminal, outcomes } of results) {
    const sent = new Map(records[terminal]);
    for (const o of outcomes) {
      if (o.gotInvoice !== o.invoice) wrongNode += 1;
      const reply = sent.get(o.invoice);
      const ok = o.declined ? o.result === 'ERROR' && o.code === 'TERMINAL' && o.status === 2 && reply?.status === '2' : o.result === 'OK' && reply?.result === 'OK' && reply.ref === o.ref;
      if (!ok) wrongReply += 1;
    }
    foreignAtSimulator += [...sent.keys()].filter((invoice) => !invoice.startsWith(`T${terminal}-`)).length;
  }
  return { wrongNode, wrongReply, foreignAtSimulator };
}
