/**
 * What the core-nodes flow (contender 4) does with replies a real terminal can send, next to the
 * mypos node (contender 3), shown by runs: a scripted server on 127.0.0.1 answers every request
 * with the scenario's bytes (see scenarios.ts), and the bench records every message that comes
 * out of each flow.
 */
import { CORE_TIME_WINDOW_MS } from '../lib/contenders';
import * as flows from '../lib/flows';
import { type BenchMessage, EmbeddedNodeRed, type LogCounts, Probe } from '../lib/node-red';
import { packageDir as resolvePackage } from '../lib/package';
import { SCENARIOS, type Expectation } from '../lib/scenarios';
import { runSection, progress } from '../lib/section';
import { SimHost } from '../lib/sim-client';

/** What came out of a flow, read for the table: the core flow's parsed reply or error, or our node's result. */
interface Seen {
  atMs: number;
  error?: string;
  payload?: string;
  root?: string;
  text?: string;
  result?: unknown;
  status?: unknown;
  ref?: unknown;
  code?: unknown;
  outcome?: unknown;
}

export interface Verdict {
  ok: boolean;
  why: string;
}

export interface BreaksRow {
  scenario: string;
  what: string;
  contender: string;
  ours: boolean;
  outputs: Seen[];
  verdict: Verdict;
}

export interface BreaksOptions {
  packageDir?: string;
}

export interface BreaksResult {
  windowMs: number;
  rows: BreaksRow[];
  nodeRedLog: LogCounts;
}

const COLLECT = { quietMs: 400, maxMs: 3000 };

runSection(async ({ packageDir: dirOption }: BreaksOptions): Promise<BreaksResult> => {
  const packageDir = resolvePackage(dirOption);
  const sims = new SimHost(packageDir);
  const nodeRed = new EmbeddedNodeRed(packageDir);
  const rows: BreaksRow[] = [];
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
      const contenders: [label: string, probeId: string, kind: 'core' | 'ours'][] = [
        ['4a core nodes, keep connection open', sit.ids.probe, 'core'],
        [`4b core nodes, fixed timeout ${CORE_TIME_WINDOW_MS} ms`, time.ids.probe, 'core'],
        ['3 mypos node (pay; complete for the completion reply)', 'b-ours-probe', 'ours'],
      ];
      // The three flows are independent (each its own connection): they are asked at once.
      const collected = await Promise.all(contenders.map(([, probeId]) => new Probe(probeId).collect({ ...msg }, COLLECT)));
      contenders.forEach(([label, , kind], i) => {
        const seen: Seen[] = (collected[i] ?? []).map(({ msg: out, atMs }) => ({ atMs: Math.round(atMs), ...(kind === 'core' ? readCore(out) : readOurs(out)) }));
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
function readCore(msg: BenchMessage): Omit<Seen, 'atMs'> {
  if (msg.error) {
    const text = typeof msg.payload === 'string' ? msg.payload : JSON.stringify(msg.payload);
    return { error: String((msg.error as { message?: unknown }).message).split('\n')[0] ?? '', payload: text };
  }
  const parsed = (msg.payload ?? {}) as Record<string, unknown>;
  const [root] = Object.keys(parsed);
  const body = (root === undefined ? undefined : parsed[root]) ?? {};
  // A fragment such as `<ref>1</ref></payresp>` parses to { ref: '1' }: a root with text only.
  if (typeof body === 'string') return { root, text: body };
  const fields = body as Record<string, unknown>;
  const field = (name: string): unknown => {
    const value = fields[name];
    return Array.isArray(value) ? (value[0] as unknown) : value;
  };
  return { root, result: field('result'), status: field('status'), ref: field('ref') };
}

function readOurs(msg: BenchMessage): Omit<Seen, 'atMs'> {
  const p = (msg.payload ?? {}) as { result?: unknown; code?: unknown; outcome?: unknown; status?: unknown; ref?: unknown };
  return { result: p.result, code: p.code, outcome: p.outcome, status: p.status, ref: p.ref };
}

/** Whether the outputs are what a correct reader gives: exactly one message saying `expect`. */
function judge(expect: Expectation, seen: Seen[]): Verdict {
  if (seen.length === 0) return { ok: false, why: 'no output at all: the flow waits forever' };
  if (seen.length > 1) return { ok: false, why: `${seen.length} outputs for one input` };
  const [out] = seen;
  if (!out) throw new Error('unreachable: one output');
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
      throw new Error(`unknown expectation ${(expect as { kind: string }).kind}`);
  }
}
