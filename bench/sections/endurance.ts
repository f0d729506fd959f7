/**
 * Many transactions in one Node-RED process, with declines and faults mixed in, to show where
 * memory goes and that handles come back to where they started. Run with --expose-gc: memory is
 * read after forced garbage collections, with no transaction in flight.
 *
 * Many terminals work at once (each config node with its own simulator and its own pay, refund,
 * pre-authorize and complete nodes, driven one transaction at a time), so that 100,000
 * transactions take minutes with the product's defaults: a 250 ms answer guard and a 2 s
 * settle after an unknown outcome cost each terminal time, not CPU.
 *
 * Every input must give exactly one output, and every result that states an outcome (approved,
 * declined, refused by the app, not sent) must agree with what that terminal's simulator did
 * with that very request: each result goes to the simulator's process at once and is checked
 * there, so this process keeps nothing per transaction.
 *
 * The journal keeps every approved or unknown request for 31 days (duplicate protection), so
 * heap grows with the transactions by design. The last step moves each journal's clock past the
 * retention period and compacts it: what memory remains then is everything else.
 */
import type { NodeMessage } from '../../nodes/node-red';
import type { Journal, SimulatorFault, TransactionFailure, TransactionResult } from '../../src/index';
import * as flows from '../lib/flows';
import { LoopMonitor } from '../lib/loop-monitor';
import { EmbeddedNodeRed, type LogCounts, Probe, type ProbeCounts, probeCounts } from '../lib/node-red';
import { loadApi, packageDir as resolvePackage } from '../lib/package';
import { runSection, progress, sleep } from '../lib/section';
import { SimHost } from '../lib/sim-client';
import type { Verdict } from '../lib/sim-host';
import { mb, seededRandom } from '../lib/stats';

/** 'default' leaves the config nodes' clients as deployed; a number patches them (a patched instance). */
type Setting = 'default' | number;

export interface EnduranceOptions {
  packageDir?: string;
  count?: number;
  terminals?: number;
  guard?: Setting;
  settle?: Setting;
  seed?: number;
}

const ACTIONS = ['pay', 'refund', 'preauth', 'complete'] as const;
type BenchAction = (typeof ACTIONS)[number];

interface Kind {
  name: string;
  weight: number;
  action: BenchAction;
  cents?: string;
  /** Asked of the simulator through the invoice (sim-host.ts). */
  fault?: SimulatorFault;
  over?: boolean;
}

interface Terminal {
  index: number;
  port: number;
  cfg: string;
  random: () => number;
  openPreauths: { code: string; amount: string }[];
  probes: Record<BenchAction, Probe>;
}

/** Count and total time from input to output of one kind of transaction. */
export interface KindTally {
  count: number;
  totalMs: number;
}

interface Tally {
  byKind: Record<string, KindTally>;
  byCode: Record<string, number>;
  wrongRequest: number;
  wrongRequestExamples: { sent: Message; got: NodeResult }[];
}

interface Run {
  sims: SimHost;
  fleet: Terminal[];
  tally: Tally;
  nodeRed: EmbeddedNodeRed;
}

/** What the section sends into an action node. */
interface Message extends NodeMessage {
  payload: string;
  invoice?: string;
  preauthcode?: string;
}

/**
 * What the bench reads of an action node's output: msg.payload is the TransactionResult
 * (nodes/message.ts), read field by field, as the section is there to check it.
 */
type NodeResult = Partial<Pick<TransactionFailure, 'action' | 'invoice' | 'ref' | 'code' | 'status' | 'outcome'>> & { result?: TransactionResult['result'] };

/** Memory after forced collections, the process's open handles by type, and the journals' entries. */
export interface Snapshot {
  memory: NodeJS.MemoryUsage;
  resources: Record<string, number>;
  journalEntries: number;
}

type LoopStats = ReturnType<LoopMonitor['stop']>;

interface TrendPoint {
  done: number;
  elapsedS: number;
  heapUsed: number;
  rss: number;
  journalEntries: number;
}

/** Memory at the start, then after each tenth of the run with its event loop's longest delay. */
export type Trend = [start: TrendPoint, ...phases: (TrendPoint & { loop: LoopStats })[]];

export interface EnduranceResult {
  count: number;
  warmup: number;
  terminals: number;
  responseTimeoutS: number;
  guard: string;
  settle: string;
  elapsedMs: number;
  perSecond: number;
  maxLoopDelayMs: number;
  maxBusyMs: number;
  byKind: Record<string, KindTally>;
  byCode: Record<string, number>;
  outputs: ProbeCounts;
  wrongRequest: number;
  wrongRequestExamples: Tally['wrongRequestExamples'];
  check: Verdict;
  start: Snapshot;
  end: Snapshot;
  afterRetention: Snapshot;
  retentionShiftDays: number;
  heapBytesPerJournalEntry: number | null;
  trend: Trend;
  nodeRedLog: LogCounts;
}

/**
 * The mix, by weight. `fault` is asked of the simulator through the invoice; `cents` picks the
 * simulator's decline (.51), customer cancel (.52) and failure (.53).
 */
const MIX: readonly Kind[] = [
  { name: 'pay', weight: 700, action: 'pay' },
  { name: 'pay declined', weight: 60, action: 'pay', cents: '51' },
  { name: 'pay cancelled', weight: 20, action: 'pay', cents: '52' },
  { name: 'pay failed', weight: 20, action: 'pay', cents: '53' },
  { name: 'refund', weight: 40, action: 'refund' },
  { name: 'preauth', weight: 30, action: 'preauth' },
  { name: 'complete', weight: 20, action: 'complete' },
  // Above the pre-authorized amount: the journal knows the pre-authorization and refuses it
  // before sending (INVALID_INPUT); the simulator would answer status 7.
  { name: 'complete above amount', weight: 10, action: 'complete', over: true },
  { name: 'fault garbage', weight: 10, action: 'pay', fault: 'garbage' },
  { name: 'fault wrong-root', weight: 10, action: 'pay', fault: 'wrong-root' },
  { name: 'fault bad-xml', weight: 10, action: 'pay', fault: 'bad-xml' },
  // Answered twice: a repeated approval can be recognised by its ref, a repeated decline only
  // by the answer guard.
  { name: 'fault twice', weight: 10, action: 'pay', fault: 'twice' },
  { name: 'fault twice declined', weight: 5, action: 'pay', fault: 'twice', cents: '51' },
  { name: 'fault drop', weight: 10, action: 'pay', fault: 'drop' },
  { name: 'fault halfway', weight: 10, action: 'pay', fault: 'halfway' },
  { name: 'fault bytewise', weight: 0.5, action: 'pay', fault: 'bytewise' },
  // Costs the response timeout each time.
  { name: 'fault silent', weight: 0.1, action: 'pay', fault: 'silent' },
];
const TOTAL_WEIGHT = MIX.reduce((total, kind) => total + kind.weight, 0);
/** Memory is sampled after every tenth of the run. */
const PHASES = 10;
/** The config node's setting (seconds): long enough for a loaded machine, short for `silent`. */
const RESPONSE_TIMEOUT_S = 5;
/** Open pre-authorizations a terminal keeps for later completions; older ones are left open. */
const MAX_OPEN_PREAUTHS = 20;
const RETENTION_SHIFT_DAYS = 32;

/**
 * guard, settle: 'default' leaves the config nodes' clients as deployed; a number patches their
 * answerGuardMs or lateAnswerWindowMs (labelled as a patched instance in the results).
 */
runSection(async ({ packageDir: dirOption, count = 5000, terminals = 50, guard = 'default', settle = 'default', seed = 6 }: EnduranceOptions): Promise<EnduranceResult> => {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const packageDir = resolvePackage(dirOption);
  const api = loadApi(packageDir);
  const guardMs = guard === 'default' ? api.DEFAULT_ANSWER_GUARD_MS : guard;
  const settleMs = settle === 'default' ? api.DEFAULT_LATE_ANSWER_WINDOW_MS : settle;
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  try {
    const { ports } = await sims.call('simulators', { count: terminals });
    await nodeRed.start();
    const places = ports.map((port, t) => ({ index: t, port, cfg: `e${t}-cfg`, random: seededRandom(seed + t), openPreauths: [] }));
    await nodeRed.deploy([
      flows.tab('endurance'),
      ...places.flatMap((term) => [
        flows.terminalConfig(term.cfg, term.port, { responseTimeout: String(RESPONSE_TIMEOUT_S) }),
        ...ACTIONS.flatMap((action) => flows.actionWithProbe({ probeId: `e${term.index}-${action}-probe`, nodeId: `e${term.index}-${action}`, action, terminalId: term.cfg })),
      ]),
    ]);
    const fleet: Terminal[] = [];
    for (const term of places) {
      if (guard !== 'default') nodeRed.patchClient(term.cfg, 'answerGuardMs', guard);
      if (settle !== 'default') nodeRed.patchClient(term.cfg, 'lateAnswerWindowMs', settle);
      const probe = (action: BenchAction) => new Probe(`e${term.index}-${action}-probe`);
      fleet.push({ ...term, probes: { pay: probe('pay'), refund: probe('refund'), preauth: probe('preauth'), complete: probe('complete') } });
    }
    const allProbes = fleet.flatMap((term) => Object.values(term.probes));
    const journals = await journalsOf(nodeRed, fleet);
    const tally: Tally = { byKind: {}, byCode: {}, wrongRequest: 0, wrongRequestExamples: [] };
    const run: Run = { sims, fleet, tally, nodeRed };

    const warmup = Math.max(terminals, Math.min(1000, Math.ceil(count / 10)));
    progress('endurance', `${terminals} terminals; warming up with ${warmup} transactions`);
    await runPhase(run, 'w', 0, warmup);
    // A plain payment on every terminal before each snapshot, so every link is open both times
    // (a fault may have just dropped one): the handle counts then compare like with like.
    await settlingPayments(run, 'start');
    const start = await snapshot(journals);
    Object.assign(tally, { byKind: {}, byCode: {} }); // the counts below are of the measured transactions only
    const trend: Trend = [{ done: 0, elapsedS: 0, ...trendPoint(start) }];
    const loops: LoopStats[] = [];
    const startedAt = performance.now();
    progress('endurance', `${count} transactions, answerGuardMs ${guardMs}, lateAnswerWindowMs ${settleMs}; heap ${mb(start.memory.heapUsed)}, ${start.journalEntries} journal entries`);
    let done = 0;
    for (let phase = 0; phase < PHASES; phase++) {
      const quota = Math.floor((count * (phase + 1)) / PHASES) - done;
      // The forced collections of the samples stall the loop by design: they are not watched.
      const monitor = new LoopMonitor().start();
      await runPhase(run, '', done, quota);
      await sleep(5); // the monitor records a delay when its timer next runs
      const loop = monitor.stop();
      loops.push(loop);
      done += quota;
      const elapsedS = (performance.now() - startedAt) / 1000;
      const now = await snapshot(journals);
      trend.push({ done, elapsedS, ...trendPoint(now), loop });
      progress('endurance', `${done}/${count} (${(done / elapsedS).toFixed(0)}/s), heap ${mb(now.memory.heapUsed)}, RSS ${mb(now.memory.rss)}, ${now.journalEntries} journal entries`);
    }
    const elapsedMs = performance.now() - startedAt;
    await settlingPayments(run, 'end');
    await sleep(500); // let the last answer guards and socket events pass
    const verdict = await sims.call('verdict'); // warm-up and settling payments included
    const end = await snapshot(journals);

    // The retention period passes: each journal's clock moves forward and it compacts, as its
    // next compaction 32 days later would (through the journal's test-only seams).
    const shiftMs = RETENTION_SHIFT_DAYS * 24 * 3600 * 1000;
    for (const journal of journals) {
      journal.setClockForTests(() => new Date(Date.now() + shiftMs));
      await forceCompaction(journal);
    }
    const afterRetention = await snapshot(journals);
    progress('endurance', `after the retention period: heap ${mb(afterRetention.memory.heapUsed)}, RSS ${mb(afterRetention.memory.rss)}, ${afterRetention.journalEntries} journal entries`);
    const released = end.journalEntries - afterRetention.journalEntries;
    return {
      count,
      warmup,
      terminals,
      responseTimeoutS: RESPONSE_TIMEOUT_S,
      guard: guard === 'default' ? `${guardMs} (default)` : `${guardMs} (patched instance)`,
      settle: settle === 'default' ? `${settleMs} (default)` : `${settleMs} (patched instance)`,
      elapsedMs,
      perSecond: count / (elapsedMs / 1000),
      maxLoopDelayMs: Math.max(...loops.map((l) => l.maxDelayMs)),
      maxBusyMs: Math.max(...loops.map((l) => l.maxBusyMs)),
      byKind: tally.byKind,
      byCode: tally.byCode,
      outputs: probeCounts(allProbes),
      wrongRequest: tally.wrongRequest,
      wrongRequestExamples: tally.wrongRequestExamples,
      check: verdict,
      start,
      end,
      afterRetention,
      retentionShiftDays: RETENTION_SHIFT_DAYS,
      heapBytesPerJournalEntry: released > 0 ? (end.memory.heapUsed - afterRetention.memory.heapUsed) / released : null,
      trend,
      nodeRedLog: nodeRed.logCounts,
    };
  } finally {
    await nodeRed.stop().catch(() => undefined);
    await sims.close();
  }
});

/** `quota` transactions numbered from `first`, spread over all terminals, each one at a time. */
async function runPhase(run: Run, prefix: string, first: number, quota: number): Promise<void> {
  let next = first;
  const last = first + quota;
  const loop = async (term: Terminal) => {
    while (next < last) await transact(run, term, `${prefix}${next++}`);
  };
  await Promise.all(run.fleet.map(loop));
}

function pick(term: Terminal): Kind {
  let roll = term.random() * TOTAL_WEIGHT;
  for (const kind of MIX) {
    roll -= kind.weight;
    if (roll < 0) return kind;
  }
  return MIX[0];
}

/** One transaction of a kind drawn from MIX; its result goes to the simulator's process to be checked. */
async function transact(run: Run, term: Terminal, id: string, forced?: Kind): Promise<string | undefined> {
  let kind = forced ?? pick(term);
  // A completion needs an open pre-authorization; with none, a plain payment instead.
  const preauth = kind.action === 'complete' ? term.openPreauths.shift() : undefined;
  if (kind.action === 'complete' && !preauth) kind = MIX[0];
  const amount = `${10 + (term.index % 7)}.${kind.cents ?? '25'}`;
  let msg: Message;
  let key: string;
  if (preauth) {
    key = preauth.code;
    msg = { payload: kind.over ? '999.00' : preauth.amount, preauthcode: preauth.code };
  } else {
    key = `E${term.index}-${id}${kind.fault ? `~${kind.fault}` : ''}`;
    msg = { payload: amount, invoice: key };
  }
  const started = performance.now();
  const out = await term.probes[kind.action].request(msg, 60_000);
  const elapsedMs = performance.now() - started;
  const result = (out.payload ?? {}) as NodeResult;
  const code = result.result === 'OK' ? 'OK' : result.code;
  const { tally } = run;
  // Time per kind, waits for the guard and the settle after an unknown outcome included.
  const byKind = (tally.byKind[kind.name] ??= { count: 0, totalMs: 0 });
  byKind.count += 1;
  byKind.totalMs += elapsedMs;
  // A result with no code shows as "undefined" among the outcomes.
  tally.byCode[String(code)] = (tally.byCode[String(code)] ?? 0) + 1;
  // The result must be about the request sent: same action, and the same invoice where there is one.
  if (result.action !== kind.action || (msg.invoice !== undefined && result.invoice !== msg.invoice)) {
    tally.wrongRequest += 1;
    if (tally.wrongRequestExamples.length < 3) tally.wrongRequestExamples.push({ sent: msg, got: result });
  }
  run.sims.post('verify', { simulator: term.index, result: [key, code ?? null, result.ref ?? '', result.status ?? null, result.outcome ?? null] });
  // The terminal is held for a late answer after an unknown outcome: its next customer waits
  // until it is free, as a kiosk that says "please ask staff" would.
  if (result.outcome === 'unknown') await run.nodeRed.getNode(term.cfg)?.client?.idle();
  if (code === 'OK' && kind.action === 'preauth') {
    // An approval always carries its ref (TransactionSuccess.ref).
    term.openPreauths.push({ code: result.ref ?? '', amount });
    if (term.openPreauths.length > MAX_OPEN_PREAUTHS) term.openPreauths.shift();
  }
  return code;
}

async function settlingPayments(run: Run, when: string): Promise<void> {
  // A terminal whose last request ended unknown is kept for its late answer: wait that out.
  await Promise.all(run.fleet.map(async (term) => run.nodeRed.getNode(term.cfg)?.client?.idle()));
  await Promise.all(
    run.fleet.map(async (term) => {
      const code = await transact(run, term, `settle-${when}`, MIX[0]);
      if (code !== 'OK') throw new Error(`settling payment on terminal ${term.index} gave ${code}`);
    }),
  );
}

/**
 * The config nodes' journals, open; by default they all share one, counted once. The section
 * moves their clocks and compacts them through test-only seams, which a package built before
 * they existed (an older snapshot made by bench/snapshot.ts) does not have.
 */
async function journalsOf(nodeRed: EmbeddedNodeRed, fleet: Terminal[]): Promise<Journal[]> {
  const journals: Journal[] = [];
  for (const journal of new Set(fleet.map((term) => nodeRed.getNode(term.cfg)?.journal))) {
    if (!journal) throw new Error('a config node has no journal; update bench/sections/endurance.ts');
    await journal.ready;
    // The type is this repository's Journal; the object is the measured build's, which may be older.
    const seams: Partial<Pick<Journal, 'setClockForTests' | 'compactNowForTests'>> = journal;
    if (typeof seams.setClockForTests !== 'function' || typeof seams.compactNowForTests !== 'function') {
      throw new Error(
        `the measured package's Journal has no setClockForTests() or compactNowForTests(): the build is older than these test-only seams, and the endurance section needs them to move the journal's clock and compact it`,
      );
    }
    journals.push(journal);
  }
  return journals;
}

/** Compacts the journal's file now; one the journal started by itself may be under way, so it waits its turn. */
async function forceCompaction(journal: Journal): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    if (await journal.compactNowForTests()) return;
    await sleep(50);
  }
  throw new Error(`the journal ${journal.path} did not compact within 2 s`);
}

/** Requests the journals keep in memory (every build with the seams journalsOf checks has `size`). */
function journalEntries(journals: Journal[]): number {
  return journals.reduce((total, journal) => total + journal.size, 0);
}

/** Memory after forced collections, the process's open handles by type, and the journals' entries. */
async function snapshot(journals: Journal[]): Promise<Snapshot> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await sleep(20);
  }
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  return { memory: process.memoryUsage(), resources, journalEntries: journalEntries(journals) };
}

/** A forced collection: the section runs with --expose-gc (checked when it starts). */
function collectGarbage(): void {
  if (!global.gc) throw new Error('run with node --expose-gc');
  global.gc();
}

function trendPoint(snap: Snapshot): Omit<TrendPoint, 'done' | 'elapsedS'> {
  return { heapUsed: snap.memory.heapUsed, rss: snap.memory.rss, journalEntries: snap.journalEntries };
}
