'use strict';
/**
 * One Node-RED runtime, 50 terminals: 50 config nodes, each with its own simulator (all in one
 * helper process), each with a pay node driven by its own sequential loop, all loops at once.
 * Every result must come back to the node that asked, carrying its own invoice and the ref the
 * simulator of that terminal sent for it; no simulator may ever see another terminal's invoice.
 * Then group commit: all config nodes share one journal (the default), so with the guard off one
 * terminal alone and all of them at once are measured in alternating rounds: many terminals
 * should share the journal's flushes, not queue for them.
 */
const path = require('node:path');
const { LoopMonitor } = require('../lib/loop-monitor');
const { runSection, progress, sleep } = require('../lib/section');
const { loadApi, packageDir: resolvePackage } = require('../lib/package');
const { SimHost } = require('../lib/sim-client');
const { EmbeddedNodeRed, Probe, probeCounts } = require('../lib/node-red');
const flows = require('../lib/flows');
const { median, summarize } = require('../lib/stats');
const { fileSystemOf, countJournalWrites } = require('../lib/journal-io');

/** Every tenth payment is declined (.51), so both outputs carry traffic. */
const DECLINE_EVERY = 10;

/** 'default' leaves the config nodes as deployed; a number patches their clients' answerGuardMs. */
/** groupRounds, oneTerminalTxns: the group-commit comparison's rounds, and the lone terminal's payments in each. */
runSection(async (options) => {
  const { packageDir: dirOption, terminals = 50, perTerminal = 100, warm = 5, guards = ['default', 0], groupRounds = 3, oneTerminalTxns = 1000 } = options;
  const packageDir = resolvePackage(dirOption);
  const { DEFAULT_ANSWER_GUARD_MS } = loadApi(packageDir);
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  // Before any journal opens.
  const journalWrites = countJournalWrites(packageDir);
  try {
    const { ports } = await sims.call('simulators', { count: terminals });
    await nodeRed.start();
    const ids = ports.map((_, i) => ({ cfg: `t${i}-cfg`, pay: `t${i}-pay`, probe: `t${i}-probe` }));
    await nodeRed.deploy([
      flows.tab('terminals'),
      ...ports.flatMap((port, i) => [flows.terminalConfig(ids[i].cfg, port), ...flows.actionWithProbe({ probeId: ids[i].probe, nodeId: ids[i].pay, action: 'pay', terminalId: ids[i].cfg })]),
    ]);
    const probes = ids.map((id) => new Probe(id.probe));
    // Connect every terminal and warm the code up; these payments are not counted.
    await runAll(probes, warm, 'warm');
    const runs = [];
    for (const guard of guards) {
      if (guard !== 'default') for (const id of ids) nodeRed.patchClient(id.cfg, 'answerGuardMs', guard);
      progress('terminals', `${terminals} terminals x ${perTerminal} payments, answerGuardMs ${guard}`);
      const run = await runAll(probes, perTerminal, guard);
      runs.push({ ...run, guardMs: guard === 'default' ? DEFAULT_ANSWER_GUARD_MS : guard });
    }
    for (const id of ids) nodeRed.patchClient(id.cfg, 'answerGuardMs', 0);
    const journal = nodeRed.getNode(ids[0].cfg).journal;
    const groupCommit = await compareGroupCommit(probes, { rounds: groupRounds, oneTerminalTxns, perTerminal, journalWrites, journal });
    groupCommit.journal = sharedJournal(nodeRed, ids);
    await sleep(300); // an output sent twice would arrive about now
    const { records } = await sims.call('records');
    for (const run of [...runs, ...groupCommit.rounds.flatMap((r) => [r.one, r.all])]) run.check = verify(run, records);
    const withoutResults = (run) => Object.fromEntries(Object.entries(run).filter(([key]) => key !== 'results'));
    return {
      terminals,
      perTerminal,
      runs: runs.map(withoutResults),
      groupCommit: { ...groupCommit, rounds: groupCommit.rounds.map((r) => ({ ...r, one: withoutResults(r.one), all: withoutResults(r.all) })) },
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
async function compareGroupCommit(probes, { rounds, oneTerminalTxns, perTerminal, journalWrites, journal }) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    // The journal remembers approved payments for 31 days: the rounds do not start equal.
    const journalEntries = journal?.entries instanceof Map ? journal.entries.size : null;
    progress('terminals', `group commit, round ${round + 1}/${rounds}: 1 terminal x ${oneTerminalTxns}, ${probes.length} terminals x ${perTerminal}, answerGuardMs 0`);
    const runOne = () => runAll(probes.slice(0, 1), oneTerminalTxns, `one${round}`, journalWrites);
    const runEvery = () => runAll(probes, perTerminal, `all${round}`, journalWrites);
    let one;
    let all;
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
function sharedJournal(nodeRed, ids) {
  const file = nodeRed.journalPath(ids[0].cfg);
  return { file, fileSystem: fileSystemOf(path.dirname(file)), sharedBy: ids.filter((id) => nodeRed.journalPath(id.cfg) === file).length };
}

async function runAll(probes, perTerminal, guard, journalWrites) {
  const monitor = new LoopMonitor().start();
  const writesBefore = journalWrites?.writes;
  const started = performance.now();
  const results = await Promise.all(probes.map((probe, terminal) => oneTerminal(probe, terminal, perTerminal, guard)));
  const wallMs = performance.now() - started;
  // The monitor records a delay when its timer next runs; meanwhile the last end lines are written.
  await sleep(5);
  const loop = monitor.stop();
  const p99s = results.map((r) => summarize(r.latencies).p99);
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
    journalWrites: journalWrites ? journalWrites.writes - writesBefore : undefined,
    results,
  };
}

async function oneTerminal(probe, terminal, count, guard) {
  const latencies = [];
  const outcomes = [];
  for (let k = 0; k < count; k++) {
    const invoice = `T${terminal}-${guard}-${k}`;
    const declined = k % DECLINE_EVERY === DECLINE_EVERY - 1;
    const start = performance.now();
    const out = await probe.request({ payload: declined ? '5.51' : '5.00', invoice });
    latencies.push(performance.now() - start);
    const p = out.payload ?? {};
    outcomes.push({ invoice, declined, gotInvoice: p.invoice, result: p.result, code: p.code, status: p.status, ref: p.ref });
  }
  return { terminal, latencies, outcomes };
}

/**
 * Every result went to the node that asked and carries what that node's simulator sent (outputs
 * that came back for no input are counted over the whole run, in `outputs`).
 */
function verify(run, records) {
  let wrongNode = 0;
  let wrongReply = 0;
  let foreignAtSimulator = 0;
  for (const { terminal, outcomes } of run.results) {
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
