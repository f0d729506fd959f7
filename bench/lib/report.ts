/** Turns the sections' results into the Markdown tables of BENCHMARKS.md and the target checks. */
import type { BreaksResult } from '../sections/breaks';
import type { EnduranceResult, Snapshot } from '../sections/endurance';
import type { GuardResult, GuardRow } from '../sections/guard';
import type { ContenderReport, HeadlineResult } from '../sections/headline';
import type { StallResult } from '../sections/stall';
import type { CheckedRun, TerminalsResult } from '../sections/terminals';
import type { ProbeCounts } from './node-red';
import type { Measured } from './package';
import { median, ms, ratio, mb, signedMb, table } from './stats';

/** What each section hands back, by name (bench/sections/<name>.ts). */
export interface SectionResults {
  headline: HeadlineResult;
  breaks: BreaksResult;
  stall: StallResult;
  guard: GuardResult;
  terminals: TerminalsResult;
  endurance: EnduranceResult;
}

export type SectionName = keyof SectionResults;

/** The results of the sections that ran. */
export type Results = Partial<SectionResults>;

/** A target or a correctness check: what it asks, whether it was met, and the measured value. */
export interface Target {
  name: string;
  met: boolean;
  value: string;
}

/** A section that did not finish, or whose process did not end by itself. */
export interface Failure {
  section: SectionName;
  why: string;
}

/** What a section's result always has (a missing one is a bug in the bench, not a measurement). */
function found<T>(item: T | undefined, what: string): T {
  if (item === undefined) throw new Error(`the results have no ${what}`);
  return item;
}

function contender(headline: HeadlineResult, key: string): ContenderReport {
  return found(
    headline.contenders.find((c) => c.key === key),
    `headline contender ${key}`,
  );
}

/** Per round, each contender's throughput over the base contender's in the same round; the median of those. */
function ratiosTo(headline: HeadlineResult, baseKey: string): Record<string, number> {
  const base = contender(headline, baseKey);
  const baseByRound = new Map(base.batches.map((b) => [b.round, b.throughput]));
  const ratios: Record<string, number> = {};
  for (const c of headline.contenders) {
    // The base runs in every round; a round without it would divide by NaN.
    ratios[c.key] = median(c.batches.map((b) => b.throughput / (baseByRound.get(b.round) ?? NaN)));
  }
  return ratios;
}

function ratiosToFloor(headline: HeadlineResult): Record<string, number> {
  return ratiosTo(headline, 'floor');
}

/** The node's targets against the durable floor (1d): same disk, same run, same rounds. */
const DURABLE_RATIO_TARGET = 0.8;
const DURABLE_P99_MARGIN_MS = 1;
const DURABLE_KEYS = ['floor', 'floor-durable', 'client-guard0-journal', 'node-guard0'];

/** 1, 1d and 3z side by side: what the flush costs the floor, and what the node costs beyond that. */
export function durableTable(headline: HeadlineResult): string {
  const ratios = ratiosTo(headline, 'floor-durable');
  const durable = contender(headline, 'floor-durable');
  const rows = DURABLE_KEYS.map((key) => contender(headline, key)).map((c) => [
    c.label,
    String(c.txns),
    c.throughput.toFixed(0),
    ratio(ratios[c.key]),
    ms(c.latency.p50),
    ms(c.latency.p99),
    signedMs((c.latency.p99 ?? NaN) - (durable.latency.p99 ?? NaN)),
    c.key === 'floor-durable' ? '2 (by construction)' : c.key === 'floor' ? '0' : writesPerTxn(c.journalWritesPerTxn),
  ]);
  return table(['contender', 'n', 'tx/s', 'ratio to 1d (median per round)', 'p50 ms', 'p99 ms', 'p99 minus 1d p99 ms', 'journal write() calls per payment'], rows);
}

function signedMs(value: number): string {
  return `${value >= 0 ? '+' : '-'}${ms(Math.abs(value))}`;
}

function writesPerTxn(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(2);
}

/** A line under the durable table: where the files are, and a warning when nothing is really flushed there. */
export function journalDiskNote(headline: HeadlineResult): string {
  const disk = headline.journalDisk;
  const tmpfs = disk.fileSystem === 'tmpfs' ? ' **This is a memory file system: nothing is flushed to a disk, so the comparison measures no disk at all.**' : '';
  return `3z's journal and 1d's file are both in ${disk.folder} (${disk.fileSystem}).${tmpfs}`;
}

export function headlineTable(headline: HeadlineResult): string {
  const ratios = ratiosToFloor(headline);
  const rows = headline.contenders.map((c) => [
    c.label,
    String(c.txns),
    c.throughput.toFixed(c.throughput >= 100 ? 0 : 1),
    ratio(ratios[c.key]),
    ms(c.latency.p50),
    ms(c.latency.p99),
    c.cpuMicrosPerTxn === null ? 'n/a' : c.cpuMicrosPerTxn.toFixed(0),
    `${ms(c.maxLoopDelayMs)} (${ms(c.maxBusyMs)})`,
    ms(c.paced.p50),
    ms(c.paced.p99),
  ]);
  return table(['contender', 'n', 'tx/s', 'ratio to 1', 'p50 ms', 'p99 ms', 'CPU µs/tx', 'max loop delay ms (busy)', 'paced p50 ms', 'paced p99 ms'], rows);
}

export function breaksTable(breaks: BreaksResult): string {
  const scenarios = [...new Set(breaks.rows.map((r) => r.scenario))];
  const contenders = [...new Set(breaks.rows.map((r) => r.contender))];
  const rows = scenarios.map((name) => {
    const cells = contenders.map((label) => {
      const row = found(
        breaks.rows.find((r) => r.scenario === name && r.contender === label),
        `breaks row for ${name}, ${label}`,
      );
      return `${row.verdict.ok ? 'correct' : '**broken**'}: ${row.verdict.why.replace(/\|/g, '\\|').replace(/\n/g, '\\n')}`;
    });
    return [
      found(
        breaks.rows.find((r) => r.scenario === name),
        `breaks row for ${name}`,
      ).what,
      ...cells,
    ];
  });
  return table(['reply', ...contenders], rows);
}

export function stallTable(stall: StallResult): string {
  return table(
    ['10 MB reply that never ends', 'result', 'ended after, median ms', 'max loop delay, median of attempts ms', 'max loop delay, worst attempt ms (busy)'],
    stall.cases.map((c) => [c.kind, c.codes.join(', '), ms(c.endedAfterMs.p50), ms(c.medianMaxLoopDelayMs), `${ms(c.maxLoopDelayMs)} (${ms(c.maxBusyMs)})`]),
  );
}

export function guardTable(guard: GuardResult): string {
  const cell = (t: GuardRow['afterApproval'], pairs: number) => `${t.wrong} of ${pairs}${t.unknown ? ` (${t.unknown} unknown)` : ''}`;
  return table(
    ['answerGuardMs', 'back-to-back tx/s (client)', 'next payment wrong, after a repeated approval', 'after a repeated decline'],
    guard.rows.map((r) => [`${r.guard}${r.isDefault ? ' (default)' : ''}`, r.perSecond.toFixed(0), cell(r.afterApproval, r.pairs), cell(r.afterDecline, r.pairs)]),
  );
}

export function enduranceTable(e: EnduranceResult): string {
  const handles = (snapshot: Snapshot) =>
    Object.entries(snapshot.resources)
      .map(([type, n]) => `${type} ${n}`)
      .join(', ');
  const [, ...phases] = e.trend;
  const memory = (label: string, snap: Snapshot) => [
    label,
    `heap ${mb(snap.memory.heapUsed)} (${signedMb(snap.memory.heapUsed - e.start.memory.heapUsed)}), RSS ${mb(snap.memory.rss)} (${signedMb(snap.memory.rss - e.start.memory.rss)}), ${entries(snap.journalEntries)}`,
  ];
  const unsafe = e.check.wrongApproval + e.check.wrongRefusal + e.check.sentThoughNotSent;
  return table(
    ['measure', 'value'],
    [
      [
        'transactions',
        `${e.count} (+${e.warmup} warm-up) over ${e.terminals} terminals at once, each one at a time; answerGuardMs ${e.guard}, lateAnswerWindowMs ${e.settle}; responseTimeout ${e.responseTimeoutS} s (config node setting)`,
      ],
      ['time', `${(e.elapsedMs / 1000).toFixed(0)} s (${e.perSecond.toFixed(0)} tx/s in total)`],
      ['longest event-loop delay (busy)', `${ms(e.maxLoopDelayMs)} ms (${ms(e.maxBusyMs)} ms)`],
      [
        'outcomes',
        Object.entries(e.byCode)
          .map(([code, n]) => `${code} ${n}`)
          .join(', '),
      ],
      [
        "kinds: count, mean ms from input to output (the guard's wait included; the wait after an unknown outcome falls on the next one)",
        Object.entries(e.byKind)
          .sort(([, a], [, b]) => b.count - a.count)
          .map(([kind, k]) => `${kind} ${k.count}, ${ms(k.totalMs / k.count)}`)
          .join('; '),
      ],
      [
        'outputs per input',
        e.outputs.extra === 0 && e.outputs.inputs === e.outputs.outputs
          ? `exactly one, every time (${e.outputs.inputs} inputs)`
          : `${e.outputs.inputs} inputs, ${e.outputs.outputs} outputs, ${e.outputs.extra} extra`,
      ],
      ['results about another request (action or invoice)', String(e.wrongRequest)],
      ['results checked against what the simulator did (warm-up included)', String(e.check.checked)],
      ["approvals the simulator did not give (another request's ref)", `${e.check.wrongApproval} of ${e.byCode.OK ?? 0}`],
      ['stated outcomes contradicting the simulator (wrong approvals, refusals, "not sent")', String(unsafe)],
      ['unknown outcome for a request the simulator approved without a fault (safe)', String(e.check.unknownOnNormal)],
      ['memory after forced GC, start', `heap ${mb(e.start.memory.heapUsed)}, RSS ${mb(e.start.memory.rss)}, ${entries(e.start.journalEntries)}`],
      // The rate of each tenth on its own: a journal that slows down as it grows shows here.
      ...phases.map((t, i) => [
        `… after ${t.done}`,
        `heap ${mb(t.heapUsed)}, RSS ${mb(t.rss)}, ${entries(t.journalEntries)}; this tenth: ${((t.done - e.trend[i].done) / (t.elapsedS - e.trend[i].elapsedS)).toFixed(0)} tx/s, longest loop delay ${ms(t.loop.maxDelayMs)} ms (busy ${ms(t.loop.maxBusyMs)})`,
      ]),
      memory('end', e.end),
      memory(`after the retention period (clock moved forward ${e.retentionShiftDays} days, compaction forced)`, e.afterRetention),
      [
        'heap per remembered journal entry',
        e.heapBytesPerJournalEntry === null ? 'n/a' : `${e.heapBytesPerJournalEntry.toFixed(0)} bytes (end minus after the retention period, over the entries released)`,
      ],
      ["active handles, start (ProcessWrap, PipeWrap: the simulators' process)", handles(e.start)],
      ['active handles, end', handles(e.end)],
    ],
  );
}

function entries(n: number): string {
  return `${n} journal entries in memory`;
}

export function terminalsTable(t: TerminalsResult): string {
  return table(
    ['answerGuardMs', 'payments', 'wall s', 'total tx/s', 'p50 ms', 'p99 ms', 'per-terminal p99 median / max ms', 'wrong node / wrong reply / foreign invoice', 'max loop delay ms (busy)'],
    t.runs.map((r) => [
      r.guard === 'default' ? `${r.guardMs} (default)` : `${r.guardMs} (patched instance)`,
      String(r.total),
      (r.wallMs / 1000).toFixed(1),
      r.throughput.toFixed(0),
      ms(r.latency.p50),
      ms(r.latency.p99),
      `${ms(r.perTerminalP99.median)} / ${ms(r.perTerminalP99.max)}`,
      `${r.check.wrongNode} / ${r.check.wrongReply} / ${r.check.foreignAtSimulator}`,
      `${ms(r.maxLoopDelayMs)} (${ms(r.maxBusyMs)})`,
    ]),
  );
}

/** One terminal alone against all of them at once, round by round, all on one shared journal. */
export function groupCommitTable(t: TerminalsResult): string {
  const g = t.groupCommit;
  const row = (label: string, runs: CheckedRun[], rate: number) => [
    label,
    String(runs.reduce((n, r) => n + r.total, 0)),
    rate.toFixed(0),
    ms(median(runs.map((r) => r.latency.p50 ?? NaN))),
    ms(Math.max(...runs.map((r) => r.latency.p99 ?? NaN))),
    writesPerTxn(sumWrites(runs)),
  ];
  return table(
    ['answerGuardMs 0 (patched instance), one shared journal', 'payments', 'total tx/s (median of rounds)', 'p50 ms (median of rounds)', 'p99 ms (worst round)', 'journal write() calls per payment'],
    [
      row(
        '1 terminal, its payments one at a time',
        g.rounds.map((r) => r.one),
        g.oneRate,
      ),
      row(
        `${t.terminals} terminals at once, each one at a time`,
        g.rounds.map((r) => r.all),
        g.allRate,
      ),
    ],
  );
}

/** Journal write() calls per payment over the runs; null where they were not counted. */
function sumWrites(runs: CheckedRun[]): number | null {
  let writes = 0;
  for (const r of runs) {
    if (r.journalWrites === undefined) return null;
    writes += r.journalWrites;
  }
  return writes > 0 ? writes / runs.reduce((n, r) => n + r.total, 0) : null;
}

export function groupCommitNote(t: TerminalsResult): string {
  const g = t.groupCommit;
  const shared = `${g.journal.sharedBy} of ${t.terminals} config nodes write it`;
  const rounds = g.rounds.map(
    (r, i) => `round ${i + 1}: ${r.one.throughput.toFixed(0)} and ${r.all.throughput.toFixed(0)} tx/s (${ratio(r.ratio)}), ${r.journalEntries ?? 'n/a'} requests in the journal's memory at its start`,
  );
  return [
    `${g.rounds.length} round(s), alternating which goes first; ${t.terminals} terminals at ${ratio(g.ratio)} × one terminal's rate (median of each round's ratio). Journal: ${g.journal.file} (${g.journal.fileSystem}; ${shared}).`,
    `By round: ${rounds.join('; ')}.`,
  ].join(' ');
}

/** The targets of issue 6, each with the measured value and whether it was met: informative, never an exit code. */
export function targets(results: Results): Target[] {
  const list: Target[] = [];
  const h = results.headline;
  if (h) {
    const r = ratiosToFloor(h);
    const node = (key: string) => contender(h, key);
    // A contender without latencies has no p99: NaN, shown as n/a, meets no target.
    const p99 = (key: string) => node(key).latency.p99 ?? NaN;
    list.push(target('client ≥ 0.7 × floor throughput (default guard)', r.client >= 0.7, ratio(r.client)));
    list.push(target('client ≥ 0.7 × floor throughput (answerGuardMs 0)', r['client-guard0'] >= 0.7, ratio(r['client-guard0'])));
    list.push(target('node ≥ 0.3 × floor throughput (default guard)', r.node >= 0.3, ratio(r.node)));
    list.push(target('node ≥ 0.3 × floor throughput (answerGuardMs 0, patched instance)', r['node-guard0'] >= 0.3, ratio(r['node-guard0'])));
    list.push(target('node p99 < 1 ms, back to back (default guard)', p99('node') < 1, `${ms(p99('node'))} ms`));
    list.push(target('node p99 < 1 ms, back to back (answerGuardMs 0, patched instance)', p99('node-guard0') < 1, `${ms(p99('node-guard0'))} ms`));
    const pacedP99 = node('node').paced.p99 ?? NaN;
    list.push(target('node p99 < 1 ms, paced (default guard)', pacedP99 < 1, `${ms(pacedP99)} ms`));
    // The durable floor and the tmpfs node are left out where the machine cannot run them.
    const durable = h.contenders.find((c) => c.key === 'floor-durable');
    if (durable) {
      const toDurable = ratiosTo(h, 'floor-durable')['node-guard0'];
      const nodeP99 = p99('node-guard0');
      const durableP99 = durable.latency.p99 ?? NaN;
      const onDisk = `answerGuardMs 0, patched instance; both on ${h.journalDisk.fileSystem}`;
      list.push(target(`node ≥ ${DURABLE_RATIO_TARGET} × durable floor throughput (${onDisk})`, toDurable >= DURABLE_RATIO_TARGET, ratio(toDurable)));
      list.push(
        target(`node p99 ≤ durable floor p99 + ${DURABLE_P99_MARGIN_MS} ms, back to back (${onDisk})`, nodeP99 <= durableP99 + DURABLE_P99_MARGIN_MS, `${ms(nodeP99)} ms against ${ms(durableP99)} ms`),
      );
    }
    if (h.contenders.some((c) => c.key === 'node-guard0-shm')) {
      list.push(target('node ≥ 0.3 × floor throughput (answerGuardMs 0, journal on tmpfs)', r['node-guard0-shm'] >= 0.3, ratio(r['node-guard0-shm'])));
      list.push(target('node p99 < 1 ms, back to back (answerGuardMs 0, journal on tmpfs)', p99('node-guard0-shm') < 1, `${ms(p99('node-guard0-shm'))} ms`));
    }
    const ours = h.contenders.filter((c) => !c.key.startsWith('core') && !c.key.startsWith('floor'));
    const worst = Math.max(...ours.map((c) => c.maxLoopDelayMs ?? 0));
    const worstBusy = Math.max(...ours.map((c) => c.maxBusyMs ?? 0));
    list.push(target('no event-loop delay > 10 ms during the runs (contenders 2 and 3)', worst <= 10, `${ms(worst)} ms`));
    list.push(target('… counting only time this process was on the CPU', worstBusy <= 10, `${ms(worstBusy)} ms`));
  }
  if (results.terminals) {
    const t = results.terminals;
    const g = t.groupCommit;
    list.push(
      target(
        `${t.terminals} terminals ≥ ${GROUP_COMMIT_TARGET} × one terminal's durable rate (answerGuardMs 0, one shared journal on ${g.journal.fileSystem})`,
        g.ratio >= GROUP_COMMIT_TARGET,
        `${ratio(g.ratio)} (${g.allRate.toFixed(0)} against ${g.oneRate.toFixed(0)} tx/s)`,
      ),
    );
  }
  if (results.stall) {
    const hostile = results.stall.cases.filter((c) => !c.kind.startsWith('control'));
    const worst = Math.max(...hostile.map((c) => c.maxLoopDelayMs));
    const worstBusy = Math.max(...hostile.map((c) => c.maxBusyMs));
    const control = results.stall.cases.find((c) => c.kind.startsWith('control'));
    list.push(target('no event-loop delay > 10 ms while a hostile 10 MB reply is rejected', worst <= 10, `${ms(worst)} ms worst (control: ${ms(control?.maxLoopDelayMs)} ms)`));
    list.push(target('… counting only time this process was on the CPU', worstBusy <= 10, `${ms(worstBusy)} ms`));
  }
  if (results.endurance) {
    const e = results.endurance;
    const heap = (snap: Snapshot) => snap.memory.heapUsed - e.start.memory.heapUsed;
    const within = (snap: Snapshot) => Math.abs(heap(snap)) <= 5 * 1048576;
    list.push(target(`endurance (${e.count} tx): heap after GC within 5 MB of start, after the retention period`, within(e.afterRetention), signedMb(heap(e.afterRetention))));
    list.push(target("… at the end, the journal's 31 days of approved requests included", within(e.end), signedMb(heap(e.end))));
  }
  return list;
}

/** Group commit: many terminals on one journal should share its flushes, not queue for them. */
const GROUP_COMMIT_TARGET = 5;

const SECTIONS_WITH_NODE_RED = ['headline', 'breaks', 'terminals', 'endurance'] as const;

/**
 * The correctness checks: any that fails makes the bench exit non-zero. None is about speed.
 * `failures` lists the sections that did not finish, or whose process did not end by itself.
 */
export function checks(results: Results, failures: readonly Failure[]): Target[] {
  const list: Target[] = [];
  for (const { section, why } of failures) list.push(target(`${section}: finished, and its process ended by itself`, false, why));
  const outputsOk = (o: ProbeCounts) => o.extra === 0 && o.inputs === o.outputs;
  const outputs = (o: ProbeCounts) => `${o.inputs} in, ${o.outputs} out, ${o.extra} extra`;
  const logged = SECTIONS_WITH_NODE_RED.flatMap((name) => {
    const log = results[name]?.nodeRedLog;
    return log && log.error > 0 ? [{ name, log }] : [];
  });
  if (SECTIONS_WITH_NODE_RED.some((name) => results[name])) {
    const value = logged.length === 0 ? 'none' : logged.map(({ name, log }) => `${name}: ${log.firstErrors.join(' / ')}`).join('; ');
    list.push(target('Node-RED logged no errors', logged.length === 0, value));
  }
  const h = results.headline;
  if (h) {
    for (const key of ['node', 'node-guard0', 'node-guard0-shm'].filter((k) => h.outputs[k])) {
      const o = h.outputs[key];
      list.push(target(`headline ${key}: every payment approved with its own invoice, one output per input`, outputsOk(o), outputs(o)));
    }
  }
  if (results.breaks) {
    const ours = results.breaks.rows.filter((r) => r.ours);
    const wrong = ours.filter((r) => !r.verdict.ok);
    const value = wrong.length === 0 ? `${ours.length} of ${ours.length} correct` : wrong.map((r) => `${r.scenario}: ${r.verdict.why}`).join('; ');
    list.push(target('breaks: the mypos node reads every awkward reply right, one output each', wrong.length === 0, value));
  }
  if (results.stall) {
    const hostile = results.stall.cases.filter((c) => !c.kind.startsWith('control'));
    const slow = hostile.filter((c) => !c.codes.every((code) => code === 'PROTOCOL')).map((c) => `${c.kind}: ${c.codes.join(',')} after ${ms(c.endedAfterMs.p50)} ms`);
    list.push(target('stall: every hostile 10 MB reply rejected as PROTOCOL', slow.length === 0, slow.length === 0 ? 'all PROTOCOL' : `not for ${slow.join('; ')}`));
  }
  if (results.guard) {
    const row = found(
      results.guard.rows.find((r) => r.isDefault),
      "guard row for the package's default",
    );
    const wrong = row.afterApproval.wrong + row.afterDecline.wrong;
    list.push(target(`guard: with the default answerGuardMs (${row.guard}) no payment after a repeated answer gets a wrong outcome`, wrong === 0, `${wrong} of ${2 * row.pairs}`));
  }
  if (results.terminals) {
    const t = results.terminals;
    const runs = [...t.runs, ...t.groupCommit.rounds.flatMap((r) => [r.one, r.all])];
    const wrong = runs.reduce((n, r) => n + r.check.wrongNode + r.check.wrongReply + r.check.foreignAtSimulator, 0);
    list.push(target(`terminals: ${t.terminals} at once, no reply at the wrong node or with the wrong content`, wrong === 0, `${wrong} wrong`));
    list.push(target('terminals: one output per input', outputsOk(t.outputs), outputs(t.outputs)));
  }
  if (results.endurance) {
    const e = results.endurance;
    list.push(target('endurance: one output per input, each about the request sent', outputsOk(e.outputs) && e.wrongRequest === 0, `${outputs(e.outputs)}, ${e.wrongRequest} about another request`));
    list.push(target("endurance: no approval carries another request's ref", e.check.wrongApproval === 0, `${e.check.wrongApproval} of ${e.check.checked} checked`));
    const contradicting = e.check.wrongRefusal + e.check.sentThoughNotSent;
    list.push(
      target(
        'endurance: no stated decline, refusal or "not sent" contradicts the simulator',
        contradicting === 0,
        `${e.check.wrongRefusal} wrong refusals, ${e.check.sentThoughNotSent} wrong "not sent"`,
      ),
    );
    const [start, end] = [e.start, e.end].map((snap) => JSON.stringify(packageHandles(snap.resources)));
    const busy = e.byCode.BUSY ?? 0;
    list.push(target('endurance: no BUSY (each terminal one request at a time, waiting out unknown outcomes)', busy === 0, `${busy} BUSY`));
    list.push(target('endurance: handles back to start', start === end, start === end ? 'same' : `start ${start}, end ${end}`));
  }
  return list;
}

/**
 * The process's handles without the bench's own plumbing: the simulator's child process and
 * its IPC pipe (which Node refs only while a message is on its way).
 */
function packageHandles(resources: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([type]) => type !== 'ProcessWrap' && type !== 'PipeWrap')
      .sort(),
  );
}

function target(name: string, met: boolean, value: string): Target {
  return { name, met, value };
}

/** What was measured, e.g. `694df98 (working tree differs) + change.diff`. */
export function measuredLabel(measured: Measured): string {
  return `${measured.commit}${measured.dirty ? ' (working tree differs)' : ''}${measured.patch ? ` + ${measured.patch}` : ''}`;
}

export function targetsTable(list: readonly Target[]): string {
  return table(
    ['target (issue 6)', 'measured', 'met'],
    list.map((t) => [t.name, t.value, t.met ? 'yes' : '**no**']),
  );
}

export function checksTable(list: readonly Target[]): string {
  return table(
    ['correctness check', 'measured', 'passed'],
    list.map((t) => [t.name, t.value, t.met ? 'yes' : '**NO**']),
  );
}
