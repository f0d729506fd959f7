'use strict';
/**
 * What the core-nodes flow (contender 4) does with replies a real terminal can send, next to the
 * mypos node (contender 3), shown by runs: a scripted server on 127.0.0.1 answers every request
 * with the scenario's bytes (see scenarios.js), and the bench records every message that comes
 * out of each flow.
 */
const { runSection, progress } = require('../lib/section');
const { packageDir: resolvePackage } = require('../lib/package');
const { SimHost } = require('../lib/sim-client');
const { EmbeddedNodeRed, Probe } = require('../lib/node-red');
const { SCENARIOS } = require('../lib/scenarios');
const { CORE_TIME_WINDOW_MS } = require('../lib/contenders');
const flows = require('../lib/flows');

const COLLECT = { quietMs: 400, maxMs: 3000 };

runSection(async ({ packageDir: dirOption }) => {
  const packageDir = resolvePackage(dirOption);
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  const rows = [];
  try {
    await nodeRed.start();
    for (const scenario of SCENARIOS) {
      const { port } = await sims.call('scripted', { scenario: scenario.name });
      const sit = flows.coreFlow({ prefix: 'b-sit', port, mode: 'sit' });
      const time = flows.coreFlow({ prefix: 'b-time', port, mode: 'time', windowMs: CORE_TIME_WINDOW_MS });
      const action = scenario.action ?? 'pay';
      await nodeRed.deploy([
        flows.tab('breaks'),
        // responseTimeout 1 s: the shortest the config node allows, so "silent" ends quickly.
        flows.terminalConfig('b-cfg', port, { responseTimeout: '1' }),
        ...flows.actionWithProbe({ probeId: 'b-ours-probe', nodeId: 'b-ours', action, terminalId: 'b-cfg' }),
        ...sit.nodes,
        ...time.nodes,
      ]);
      const msg = action === 'complete' ? { payload: '12.50', preauthcode: 'PA-1' } : { payload: '12.50', invoice: `B-${scenario.name}` };
      const contenders = [
        ['4a core nodes, keep connection open', sit.ids.probe, 'core'],
        [`4b core nodes, fixed timeout ${CORE_TIME_WINDOW_MS} ms`, time.ids.probe, 'core'],
        ['3 mypos node (pay; complete for the completion reply)', 'b-ours-probe', 'ours'],
      ];
      // The three flows are independent (each its own connection): they are asked at once.
      const collected = await Promise.all(contenders.map(([, probeId]) => new Probe(probeId).collect({ ...msg }, COLLECT)));
      contenders.forEach(([label, , kind], i) => {
        const seen = collected[i].map(({ msg: out, atMs }) => ({ atMs: Math.round(atMs), ...(kind === 'core' ? readCore(out) : readOurs(out)) }));
        const verdict = judge(scenario.expect, seen);
        rows.push({ scenario: scenario.name, what: scenario.what, contender: label, ours: kind === 'ours', outputs: seen, verdict });
        progress('breaks', `${scenario.name.padEnd(16)} ${label.slice(0, 34).padEnd(34)} ${verdict.ok ? 'correct' : 'BROKEN'}: ${verdict.why}`);
      });
    }
    return { windowMs: CORE_TIME_WINDOW_MS, rows, nodeRedLog: nodeRed.logCounts };
  } finally {
    await nodeRed.stop().catch(() => undefined);
    await sims.close();
  }
});

/** The core flow's output: the xml node's object, or the error the catch node caught. */
function readCore(msg) {
  if (msg.error) {
    const text = typeof msg.payload === 'string' ? msg.payload : JSON.stringify(msg.payload);
    return { error: String(msg.error.message).split('\n')[0], payload: text };
  }
  const [root] = Object.keys(msg.payload ?? {});
  const body = msg.payload?.[root] ?? {};
  // A fragment such as `<ref>1</ref></payresp>` parses to { ref: '1' }: a root with text only.
  if (typeof body === 'string') return { root, text: body };
  const field = (name) => (Array.isArray(body[name]) ? body[name][0] : body[name]);
  return { root, result: field('result'), status: field('status'), ref: field('ref') };
}

function readOurs(msg) {
  const p = msg.payload ?? {};
  return { result: p.result, code: p.code, outcome: p.outcome, status: p.status, ref: p.ref };
}

/** Whether the outputs are what a correct reader gives: exactly one message saying `expect`. */
function judge(expect, seen) {
  if (seen.length === 0) return { ok: false, why: 'no output at all: the flow waits forever' };
  if (seen.length > 1) return { ok: false, why: `${seen.length} outputs for one input` };
  const [out] = seen;
  if (out.error) return { ok: false, why: `error "${out.error}" on payload ${JSON.stringify(out.payload)}` };
  const status = out.status === undefined || out.status === null ? null : Number(out.status);
  switch (expect.kind) {
    case 'ok':
      return out.result === 'OK' && out.ref === expect.ref ? { ok: true, why: `OK, ref ${out.ref}` } : { ok: false, why: `got ${JSON.stringify(out)}` };
    case 'bad-xml':
      if (out.code !== undefined) return out.code === 'BAD_XML' && out.ref === expect.ref ? { ok: true, why: `BAD_XML, ref "${out.ref}"` } : { ok: false, why: `got ${JSON.stringify(out)}` };
      return out.result === 'ERROR' && out.ref === expect.ref ? { ok: true, why: `ERROR, ref "${out.ref}"` } : { ok: false, why: `got ${JSON.stringify(out)}` };
    case 'error':
      return out.result === 'ERROR' && status === expect.status
        ? { ok: true, why: `ERROR status ${status}${out.code ? ` (${out.code})` : `, root <${out.root}>`}` }
        : { ok: false, why: `got ${JSON.stringify(out)}` };
    case 'unknown':
      return out.outcome === 'unknown' ? { ok: true, why: `${out.code}, outcome unknown, after ${out.atMs} ms` } : { ok: false, why: `got ${JSON.stringify(out)}` };
    default:
      throw new Error(`unknown expectation ${expect.kind}`);
  }
}
