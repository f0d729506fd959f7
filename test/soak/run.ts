/**
 * Soak test: thousands of transactions through the action nodes in a real Node-RED runtime
 * (node-red-node-test-helper), against the terminal simulator on 127.0.0.1, with random faults,
 * bursts (BUSY / queue), invalid and duplicate inputs, and periodic redeploys ("full" and
 * "nodes"), some of them while a transaction is open.
 *
 *   npm run soak                                  3000 transactions, a random seed
 *   node --require tsx/cjs test/soak/run.ts --transactions 500 --seed 42 [--redeploy-every 200] [--heap-mb 8]
 *                         [--settle-ms 100 | --product-settle] [--nagle] [--verbose]
 *
 * After an unknown outcome the terminal is kept for the request's late answer (the config node's
 * lateAnswerWindow, 10 s by default), and nothing else is sent to it meanwhile. About one
 * transaction in ten here ends unknown on purpose, so the soak shortens that window to
 * --settle-ms (100 ms) to finish in a few minutes. --product-settle keeps the 10 s.
 *
 * Checks, and exits non-zero when any fails:
 * - inputs = outputs: every input message got exactly one output message from its node;
 * - no duplicate on the wire: each invoice (or pre-authorization code) reached the terminal at
 *   most once, and only for a message whose result says it may have been sent; an answered
 *   request (OK, TERMINAL, BAD_XML) reached it exactly once;
 * - answers go to their own request: an OK result carries the ref the terminal made for it;
 * - results of isolated transactions are the ones their fault calls for;
 * - no request is left unresolved in the journal after a redeploy unless its outcome was unknown;
 * - flat memory: heapUsed after forced GC at the end within --heap-mb (default 8) of the value
 *   after warm-up; active handles back to their count at the start.
 *
 * The seed is printed; the same seed gives the same plan (timings still vary).
 */

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import helper from 'node-red-node-test-helper';
import actionNodes from '../../nodes/mypos-actions';
import terminalNode from '../../nodes/mypos-terminal';
import type { TerminalConfigNode } from '../../nodes/terminal-settings';
import { type SimulatorBehaviour, TerminalSimulator } from '../../src/simulator/simulator';
import { nodeRedPath } from '../support/node-red-path';
import { seededRandom } from '../support/random';
import { terminalConfigNode } from '../support/terminal-config';
import { typeScriptChild } from '../support/typescript-child';
import { delay as sleep } from '../support/wait';

type TestNode = ReturnType<typeof helper.getNode>;
type NodeMessage = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------------------------

interface Options {
  transactions: number;
  seed: number;
  redeployEvery: number;
  heapMb: number;
  settleMs: number | undefined;
  verbose: boolean;
  nagle: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    transactions: 3000,
    seed: (Date.now() ^ (process.pid << 8)) >>> 0,
    redeployEvery: 200,
    heapMb: 8,
    settleMs: 100,
    verbose: false,
    nagle: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || !/^[0-9]+$/.test(next)) usage(`${arg} needs a whole number`);
      return Number(next);
    };
    if (arg === '--transactions') options.transactions = value();
    else if (arg === '--seed') options.seed = value() >>> 0;
    else if (arg === '--redeploy-every') options.redeployEvery = value();
    else if (arg === '--heap-mb') options.heapMb = value();
    else if (arg === '--settle-ms') options.settleMs = value();
    else if (arg === '--product-settle') options.settleMs = undefined;
    else if (arg === '--verbose') options.verbose = true;
    else if (arg === '--nagle') options.nagle = true;
    else usage(`unknown argument ${arg}`);
  }
  if (options.transactions < 1 || options.redeployEvery < 1) usage('--transactions and --redeploy-every must be at least 1');
  return options;
}

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: node --require tsx/cjs test/soak/run.ts [--transactions N] [--seed S] [--redeploy-every K] [--heap-mb M] [--settle-ms MS | --product-settle] [--nagle] [--verbose]`,
  );
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));

const random = seededRandom(options.seed);
const pick = <T>(weighted: readonly (readonly [number, T])[]): T => {
  const total = weighted.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, value] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  const last = weighted[weighted.length - 1];
  if (!last) throw new Error('pick from nothing');
  return last[1];
};
const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

// ---------------------------------------------------------------------------------------------
// faults and what an isolated transaction must end with
// ---------------------------------------------------------------------------------------------

const RESPONSE_TIMEOUT_S = 1;
interface Fault {
  name: string;
  behaviour: SimulatorBehaviour | undefined;
  expected: string;
}

/** [weight, name, behaviour, expected code (OK for success)] */
const FAULTS: [number, string, SimulatorBehaviour | 'delay', string][] = [
  [620, 'none', {}, 'OK'],
  [50, 'decline', { fault: 'decline' }, 'TERMINAL'],
  [20, 'bad-xml', { fault: 'bad-xml' }, 'BAD_XML'],
  [20, 'wrong-root', { fault: 'wrong-root' }, 'PROTOCOL'],
  [30, 'garbage', { fault: 'garbage' }, 'PROTOCOL'],
  [30, 'drop', { fault: 'drop' }, 'CONNECTION_LOST'],
  [30, 'halfway', { fault: 'halfway' }, 'CONNECTION_LOST'],
  [40, 'bytewise', { fault: 'bytewise', byteDelayMs: 0 }, 'OK'],
  [40, 'twice', { fault: 'twice' }, 'OK'],
  [40, 'close-after-answer', { closeAfterAnswer: true }, 'OK'],
  [40, 'late-within-timeout', 'delay', 'OK'],
  [5, 'silent', { fault: 'silent' }, 'TIMEOUT'],
  [5, 'late-after-timeout', { delayMs: RESPONSE_TIMEOUT_S * 1000 + 250 }, 'TIMEOUT'],
];

function chooseFault(): Fault {
  const [, name, behaviour, expected] = pick(FAULTS.map((fault) => [fault[0], fault]));
  return { name, behaviour: behaviour === 'delay' ? { delayMs: between(20, 250) } : behaviour, expected };
}

const NOT_SENT = new Set<unknown>(['INVALID_INPUT', 'BUSY', 'CONNECT', 'DUPLICATE', 'JOURNAL']);
const ANSWERED = new Set<unknown>(['OK', 'TERMINAL', 'BAD_XML']);

// ---------------------------------------------------------------------------------------------
// the terminal
// ---------------------------------------------------------------------------------------------

const keyOf = (action: string, reference: string | undefined) => `${action}:${reference}`;
/** key → times received; key → refs of the answers made for it; key → planned behaviour. */
const arrivals = new Map<string, number>();
const answers = new Map<string, string[]>();
const plans = new Map<string, SimulatorBehaviour>();
let unreadableRequests = 0;

/**
 * The package's simulator, through its test-only hooks: counts the requests as they arrive, picks
 * the behaviour planned for each by its key (whatever order requests arrive in), records the refs
 * of the answers it makes, and turns Nagle's algorithm off on its sockets unless --nagle.
 */
function makeSimulator(): TerminalSimulator {
  const simulator = new TerminalSimulator();
  simulator.hooksForTests = {
    serving: (stream) => {
      // Back-to-back writes (fault `twice`) leave at once. With --nagle the terminal's socket keeps
      // Nagle's algorithm, as an app's socket would: the repeat then often comes after the client's
      // answer guard and is taken for the next request's answer (see test/faults-tcp.test.ts).
      if (!options.nagle) (stream as Duplex & { setNoDelay?: (noDelay: boolean) => void }).setNoDelay?.(true);
    },
    received: ({ request }) => {
      if (!request) {
        unreadableRequests += 1;
        return undefined;
      }
      const key = keyOf(request.action, request.invoice ?? request.preauthCode);
      arrivals.set(key, (arrivals.get(key) ?? 0) + 1);
      const plan = plans.get(key);
      plans.delete(key);
      return plan;
    },
    answered: ({ request, answer }) => {
      const key = keyOf(request.action, request.invoice ?? request.preauthCode);
      const ref = /<ref>([^<]*)<\/ref>/.exec(answer ?? '')?.[1];
      if (ref !== undefined) answers.set(key, [...(answers.get(key) ?? []), ref]);
    },
  };
  return simulator;
}

// ---------------------------------------------------------------------------------------------
// the flow
// ---------------------------------------------------------------------------------------------

const ACTION_NODES: [string, string][] = [
  ['pay1', 'pay'],
  ['pay2', 'pay'],
  ['refund', 'refund'],
  ['preauth', 'preauth'],
  ['complete', 'complete'],
  ['cancel', 'cancel'],
];

function flow(port: number, deployment: number): object[] {
  // The config node changes (queue on or off) only with a full deploy, so that a "nodes" deploy
  // keeps it, and its connection, running.
  const queued = Math.floor(deployment / 2) % 2 === 1;
  return [
    { id: 'tab', type: 'tab', label: 'soak' },
    terminalConfigNode('cfg', port, {
      z: 'tab',
      name: `terminal ${queued ? 'queued' : 'busy'}`,
      responseTimeout: String(RESPONSE_TIMEOUT_S),
      connectTimeout: '2',
      queueLimit: queued ? '3' : '0',
      queueTimeout: '10',
      ...(options.settleMs !== undefined && { lateAnswerWindow: String(options.settleMs / 1000) }),
    }),
    ...ACTION_NODES.flatMap(([id, action]) => [
      // A "nodes" deploy restarts the nodes whose name changed: pay1 and refund, every time.
      {
        id,
        type: `mypos-${action}`,
        z: 'tab',
        name: ['pay1', 'refund'].includes(id) ? `soak ${id} #${deployment}` : `soak ${id}`,
        terminal: 'cfg',
        receipt: 'ON',
        custrcpt: 'OFF',
        wires: [[`${id}-ok`], [`${id}-err`]],
      },
      { id: `${id}-ok`, type: 'helper', z: 'tab' },
      { id: `${id}-err`, type: 'helper', z: 'tab' },
    ]),
  ];
}

// ---------------------------------------------------------------------------------------------
// bookkeeping: inputs, outputs, violations
// ---------------------------------------------------------------------------------------------

interface Output {
  output: number;
  code: unknown;
  outcome: unknown;
  ref: unknown;
}

interface MessageRecord {
  id: string;
  node: string;
  action: string;
  reference: string;
  key: string;
  amount: string | undefined;
  fault: string;
  isolated: boolean;
  expected: string;
  duplicate: boolean;
  outputs: Output[];
}

/** id → { action, key, fault, isolated, expected, outputs: [{output, code, outcome, ref}] } */
const messages = new Map<string, MessageRecord>();
const waiters = new Map<string, () => void>();
const violations: string[] = [];
const counts = new Map<unknown, number>();
let outputsWithoutInput = 0;

function violation(text: string): void {
  violations.push(text);
  if (options.verbose || violations.length <= 20) console.error(`  VIOLATION: ${text}`);
}

/** Records what an action node sends, by the input's _msgid, however the runtime delivers it. */
const watched = new WeakSet<object>();

function watch(node: TestNode | undefined): void {
  if (!node || watched.has(node)) return;
  watched.add(node);
  // The node's own send (the helper's spy on it), wrapped on this instance.
  const target = node as unknown as { send: (this: unknown, ...args: unknown[]) => unknown };
  const send = target.send;
  target.send = function (this: unknown, ...args: unknown[]) {
    const msgs = args[0] as NodeMessage | (NodeMessage | null)[] | null;
    const list = Array.isArray(msgs) ? msgs : [msgs];
    list.forEach((msg, index) => {
      if (!msg) return;
      const msgid = String(msg._msgid);
      const record = messages.get(msgid);
      if (!record) {
        outputsWithoutInput += 1;
        return;
      }
      const payload = (msg.payload ?? {}) as { result?: unknown; code?: unknown; outcome?: unknown; ref?: unknown };
      record.outputs.push({ output: index + 1, code: payload.result === 'OK' ? 'OK' : payload.code, outcome: payload.outcome, ref: payload.ref });
      if (payload.result === 'OK' && record.action === 'preauth') codes.push({ code: String(payload.ref), amount: record.amount ?? '' });
      if (payload.result === 'OK' && record.action === 'pay' && okPays.length < 200) okPays.push(record.reference);
      const waiter = waiters.get(msgid);
      if (waiter) {
        waiters.delete(msgid);
        waiter();
      }
    });
    return send.apply(this, args);
  };
}

function watchAll() {
  for (const [id] of ACTION_NODES) watch(helper.getNode(id));
}

/** Open pre-authorization codes, and invoices of paid payments (for duplicate attempts). */
const codes: { code: string; amount: string }[] = [];
const okPays: string[] = [];
let sequence = 0;

function amountText(): string {
  let cents: number;
  do cents = between(100, 99999);
  while ([51, 52, 53].includes(cents % 100));
  return (cents / 100).toFixed(2);
}

/**
 * Plans one message: which node, which fields, which fault (by key, for the simulator), and the
 * result it must end with when nothing else is going on.
 */
interface Planned {
  record: MessageRecord;
  msg: NodeMessage;
  behaviour: SimulatorBehaviour | undefined;
}

type Kind = 'pay' | 'refund' | 'preauth' | 'complete' | 'cancel' | 'invalid' | 'duplicate';

function planMessage({ isolated, fault = chooseFault(), kind: forced }: { isolated: boolean; fault?: Fault; kind?: Kind }): Planned {
  sequence += 1;
  const id = `soak-${options.seed}-${sequence}`;
  const kind =
    forced ??
    pick<Kind>([
      [34, 'pay'],
      [14, 'refund'],
      [20, 'preauth'],
      [14, 'complete'],
      [14, 'cancel'],
      [3, 'invalid'],
      [2, 'duplicate'],
    ]);
  let node: string;
  let action: string;
  let msg: NodeMessage;
  let reference: string;
  let expected = fault.expected;
  let amount: string | undefined = amountText();
  switch (kind) {
    case 'pay':
    case 'refund':
    case 'preauth':
      action = kind;
      node = kind === 'pay' ? (forced || random() < 0.5 ? 'pay1' : 'pay2') : kind;
      reference = `S${options.seed}-${sequence}`;
      msg = random() < 0.3 ? { payload: { amount: Number(amount), invoice: reference } } : { payload: amount, invoice: reference };
      break;
    case 'complete':
    case 'cancel': {
      action = kind;
      node = kind;
      const open = codes.length > 0 && random() < 0.85 ? codes.splice(between(0, codes.length - 1), 1)[0] : undefined;
      reference = open ? open.code : `NOCODE-${options.seed}-${sequence}`;
      if (!open && expected === 'OK') expected = 'TERMINAL'; // NO_DATA_FOUND
      // Complete at most what was pre-authorized; avoid the simulator's magic cents.
      if (open) amount = (Number(open.amount) * 0.5).toFixed(2);
      if (open && /\.5[123]$/.test(amount)) amount = open.amount;
      msg = kind === 'complete' ? { payload: amount, preauthcode: reference } : { preauthcode: reference };
      if (kind === 'cancel') amount = undefined;
      break;
    }
    case 'invalid':
      action = 'pay';
      node = 'pay1';
      reference = `S${options.seed}-${sequence}`;
      msg = pick<NodeMessage>([
        [1, { payload: '12,50', invoice: reference }],
        [1, { payload: '1e3', invoice: reference }],
        [1, { payload: {}, invoice: reference }],
        [1, { payload: '5.00', invoice: `${reference}\n</invoice><sum>0.01</sum>` }],
        [1, { payload: '5.00', invoice: reference, receipt: 'YES' }],
      ]);
      expected = 'INVALID_INPUT';
      fault = { name: 'invalid-input', behaviour: undefined, expected };
      break;
    case 'duplicate':
      if (okPays.length === 0) return planMessage({ isolated, fault });
      action = 'pay';
      node = 'pay2';
      reference = okPays[between(0, okPays.length - 1)] ?? '';
      msg = { payload: amount, invoice: reference };
      expected = 'DUPLICATE';
      fault = { name: 'duplicate', behaviour: undefined, expected };
      break;
  }
  const key = keyOf(action, reference);
  msg._msgid = id;
  const record: MessageRecord = { id, node, action, reference, key, amount, fault: fault.name, isolated, expected, duplicate: kind === 'duplicate', outputs: [] };
  messages.set(id, record);
  return { record, msg, behaviour: fault.behaviour };
}

/** Sends a planned message into its node; resolves when its output was sent (or after 15 s). */
function send({ record, msg, behaviour }: Planned): Promise<void> {
  if (behaviour && !record.duplicate) plans.set(record.key, behaviour);
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      waiters.delete(record.id);
      resolve();
    }, 15000);
    waiters.set(record.id, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const node = helper.getNode(record.node) as TestNode | undefined;
  if (!node) {
    violation(`node ${record.node} missing for ${record.id}`);
    return Promise.resolve();
  }
  node.receive(msg);
  return done.then(() => {
    // A plan left unused (the request never went out) must not apply to a later request.
    plans.delete(record.key);
    const out = record.outputs[0];
    const code = out ? out.code : 'NO OUTPUT';
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (record.isolated && out && out.code !== record.expected) {
      violation(`${record.id} (${record.action} ${record.reference}, fault ${record.fault}) ended ${out.code}, expected ${record.expected}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// measurements
// ---------------------------------------------------------------------------------------------

const HANDLE_TYPES = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'FileHandle', 'PipeWrap', 'ProcessWrap', 'TTYWrap'];

function handles(): Record<string, number> {
  const result: Record<string, number> = Object.fromEntries(HANDLE_TYPES.map((type) => [type, 0]));
  for (const type of process.getActiveResourcesInfo()) if (type in result) result[type] = (result[type] ?? 0) + 1;
  return result;
}

async function heap(): Promise<{ heapUsed: number; rss: number }> {
  // The test helper's sinon spies record every send/status/log call: clear their history, which
  // is the helper's memory, not the package's.
  helper._sandbox?.resetHistory?.();
  helper.log?.()?.resetHistory?.();
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
  }
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

/** global.gc: the soak runs with --expose-gc (it re-runs itself with it). */
function collectGarbage(): void {
  if (!globalThis.gc) throw new Error('run with --expose-gc');
  globalThis.gc();
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

async function deploy(port: number, deployment: number, type: 'full' | 'nodes'): Promise<void> {
  try {
    await helper.setFlows(flow(port, deployment), type);
  } catch (error) {
    // The helper waits only 300 ms for the runtime's "flows:started" event and may miss it.
    if (!(error instanceof Error) || !/timeout waiting event/.test(error.message)) throw error;
  }
  for (let i = 0; i < 200 && !ACTION_NODES.every(([id]) => helper.getNode(id)); i++) await sleep(10);
  afterDeploy();
}

/** After each deploy: watch the action nodes. */
function afterDeploy(): void {
  watchAll();
}

/**
 * Before an isolated transaction: the terminal is free (a request that ended unknown holds it
 * for its late answer), so that what the transaction ends with is what its fault calls for.
 */
function configNode(): TerminalConfigNode | undefined {
  return (helper.getNode('cfg') as unknown as TerminalConfigNode | null) ?? undefined;
}

async function terminalFree(): Promise<void> {
  const client = await configNode()?.whenClient?.catch(() => undefined);
  for (let i = 0; i < 1000 && client?.busy; i++) await sleep(5);
}

// ---------------------------------------------------------------------------------------------
// the run
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(`soak: ${options.transactions} transactions, seed ${options.seed}, redeploy every ${options.redeployEvery}`);
  console.log(`      (repeat with: node --require tsx/cjs test/soak/run.ts --transactions ${options.transactions} --seed ${options.seed})`);
  const handlesAtStart = handles();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-soak-'));
  helper.init(nodeRedPath());
  helper.settings({ userDir });
  await helper.startServer();
  const simulator = makeSimulator();
  const port = await simulator.listen(0, '127.0.0.1');

  let deployment = 0;
  await helper.load([terminalNode, actionNodes], flow(port, deployment));
  afterDeploy();

  const started = Date.now();
  const heapAtStart = await heap();
  let heapAfterWarmUp: { heapUsed: number; rss: number } | undefined;
  const warmUpAt = Math.min(300, Math.floor(options.transactions / 10));
  const redeploys = { full: 0, nodes: 0, midTransaction: 0 };
  let unresolvedAfterRedeploy = 0;
  let bursts = 0;
  let done = 0;
  let nextRedeployAt = options.redeployEvery;

  while (done < options.transactions) {
    if (done === warmUpAt && !heapAfterWarmUp) heapAfterWarmUp = await heap();
    if (done >= nextRedeployAt) {
      nextRedeployAt += options.redeployEvery;
      deployment += 1;
      const type = deployment % 2 === 0 ? 'full' : 'nodes';
      let open: Promise<void> | undefined;
      if (random() < 0.5) {
        // Redeploy while a payment is open on pay1 (restarted by both kinds of deploy).
        const planned = planMessage({ isolated: false, kind: 'pay', fault: { name: 'open-at-redeploy', behaviour: { delayMs: 400 }, expected: 'CONNECTION_LOST' } });
        open = send(planned);
        const deadline = Date.now() + 2000;
        while (!arrivals.has(planned.record.key) && Date.now() < deadline && planned.record.outputs.length === 0) await sleep(5);
        redeploys.midTransaction += 1;
        done += 1;
      }
      await deploy(port, deployment, type);
      redeploys[type] += 1;
      await open;
      if (type === 'full') {
        const journal = configNode()?.journal;
        if (journal) {
          await journal.ready;
          for (const entry of journal.unresolved) {
            unresolvedAfterRedeploy += 1;
            const record = [...messages.values()].find((m) => m.key === keyOf(entry.action, entry.invoice ?? entry.preauthcode) && !m.duplicate);
            const outcome = record?.outputs[0]?.outcome;
            if (outcome !== 'unknown')
              violation(`journal left ${entry.action} ${entry.invoice ?? entry.preauthcode} unresolved after a redeploy, though its result was ${record?.outputs[0]?.code ?? 'not found'}`);
          }
          if (journal.unresolved.length > 0) await journal.acknowledge();
        }
      }
      continue;
    }
    if (random() < 0.06) {
      // A burst: 2 to 4 messages at once to different nodes; one goes, the others are BUSY or queued.
      bursts += 1;
      const size = Math.min(between(2, 4), options.transactions - done);
      const planned: Planned[] = [];
      const used = new Set<string>();
      for (let i = 0; i < size; i++) {
        const one = planMessage({
          isolated: false,
          fault: pick<Fault>([
            [3, { name: 'none', behaviour: {}, expected: 'OK' }],
            [1, { name: 'delay', behaviour: { delayMs: between(20, 120) }, expected: 'OK' }],
          ]),
        });
        if (used.has(one.record.node)) one.record.node = ACTION_NODES.find(([id, action]) => action === one.record.action && !used.has(id))?.[0] ?? one.record.node;
        used.add(one.record.node);
        planned.push(one);
      }
      await Promise.all(planned.map((one) => send(one)));
      done += size;
    } else {
      await terminalFree();
      await send(planMessage({ isolated: true }));
      done += 1;
    }
    if (done % 500 === 0 || done === options.transactions) {
      console.log(`  ${String(done).padStart(6)} transactions, ${((Date.now() - started) / 1000).toFixed(0)} s, ${violations.length} violations`);
    }
  }

  // Let anything late arrive (a late answer, a stray re-send) before checking the wire.
  await sleep(RESPONSE_TIMEOUT_S * 1000 + 500);
  const duration = (Date.now() - started) / 1000;
  const heapAtEnd = await heap();
  // The journal keeps every request of the retention period (31 days) in memory, by design.
  const journalEntries = configNode()?.journal?.size;

  // ---- invariants ----
  let inputs = 0;
  let outputs = 0;
  const mayHaveSent = new Set<string>();
  for (const record of messages.values()) {
    inputs += 1;
    outputs += record.outputs.length;
    if (record.outputs.length !== 1) {
      violation(`${record.id} (${record.action} ${record.reference}, fault ${record.fault}) got ${record.outputs.length} output messages`);
      continue;
    }
    const { code } = record.outputs[0];
    const received = record.duplicate ? 0 : (arrivals.get(record.key) ?? 0);
    if (!NOT_SENT.has(code) && !record.duplicate) mayHaveSent.add(record.key);
    if (NOT_SENT.has(code) && !record.duplicate && received !== 0) {
      violation(`${record.id} ended ${code} (not sent) but the terminal received ${record.key} ${received} times`);
    }
    if (ANSWERED.has(code) && received !== 1) violation(`${record.id} ended ${code} but the terminal received ${record.key} ${received} times`);
    if (code === 'OK') {
      const made = answers.get(record.key) ?? [];
      if (!made.some((ref) => ref === record.outputs[0]?.ref)) {
        violation(`${record.id} (${record.key}) ended OK with ref ${record.outputs[0].ref}, but the terminal's answer to it was ${made.join(', ') || 'never made'}`);
      }
    }
  }
  for (const [key, times] of arrivals) {
    if (times > 1) violation(`${key} reached the terminal ${times} times`);
    if (!mayHaveSent.has(key)) violation(`${key} reached the terminal, but no result says it may have been sent`);
  }
  if (outputsWithoutInput > 0) violation(`${outputsWithoutInput} output messages without an input`);
  if (unreadableRequests > 0) violation(`the terminal could not read ${unreadableRequests} requests`);

  // The soak's own records go; what stays is the runtime's.
  const bookkept = messages.size;
  const receivedTotal = [...arrivals.values()].reduce((sum, n) => sum + n, 0);
  messages.clear();
  arrivals.clear();
  answers.clear();
  codes.length = 0;
  okPays.length = 0;
  const heapReleased = await heap();

  await helper.unload();
  await helper.stopServer();
  await simulator.close();
  fs.rmSync(userDir, { recursive: true, force: true });
  let handlesAtEnd = handles();
  for (let i = 0; i < 100 && HANDLE_TYPES.some((type) => handlesAtEnd[type] > handlesAtStart[type]); i++) {
    await sleep(20);
    handlesAtEnd = handles();
  }
  for (const type of HANDLE_TYPES) {
    if (handlesAtEnd[type] > handlesAtStart[type]) violation(`${handlesAtEnd[type] - handlesAtStart[type]} ${type} left behind`);
  }
  const warm = heapAfterWarmUp ?? heapAtStart;
  const growth = heapReleased.heapUsed - warm.heapUsed;
  if (growth > options.heapMb * MB) violation(`heapUsed grew by ${mb(growth)} after warm-up (limit ${options.heapMb} MB)`);

  // ---- summary ----
  const row = (label: string, value: unknown) => console.log(`  ${label.padEnd(42)} ${value}`);
  console.log('\nsoak summary');
  row('seed', options.seed);
  row('window for a late answer after an unknown outcome', options.settleMs === undefined ? 'product default' : `${options.settleMs} ms`);
  row('terminal sockets', options.nagle ? "Nagle's algorithm on (--nagle)" : 'no delay');
  row('transactions (input messages)', inputs);
  row('output messages', outputs);
  row('duration', `${duration.toFixed(1)} s (${(inputs / duration || 0).toFixed(0)} per second)`);
  row('redeploys full / nodes / mid-transaction', `${redeploys.full} / ${redeploys.nodes} / ${redeploys.midTransaction}`);
  row('bursts', bursts);
  row('requests received by the terminal', receivedTotal);
  row('unresolved in journal after redeploys', unresolvedAfterRedeploy);
  console.log('  results by code:');
  for (const [code, n] of [...counts].sort((a, b) => b[1] - a[1])) row(`    ${code}`, n);
  row('heapUsed start / after warm-up', `${mb(heapAtStart.heapUsed)} / ${mb(warm.heapUsed)} (after ${warmUpAt} transactions)`);
  row("heapUsed end, with the soak's records", `${mb(heapAtEnd.heapUsed)} (${bookkept} messages recorded)`);
  row('heapUsed end, soak records released', `${mb(heapReleased.heapUsed)} (${growth >= 0 ? '+' : ''}${mb(growth)} since warm-up; limit ${options.heapMb} MB)`);
  row('journal entries held in memory', journalEntries ?? 'n/a');
  row('rss start / end', `${mb(heapAtStart.rss)} / ${mb(heapAtEnd.rss)}`);
  row('handles start', JSON.stringify(handlesAtStart));
  row('handles end', JSON.stringify(handlesAtEnd));
  row('violations', violations.length);
  if (violations.length > 0) {
    console.log('\nFAILED');
    for (const text of violations.slice(0, 50)) console.log(`  - ${text}`);
    if (violations.length > 50) console.log(`  … and ${violations.length - 50} more`);
    process.exitCode = 1;
  } else {
    console.log('\nOK');
  }
}

if (typeof globalThis.gc !== 'function') {
  // Re-run with --expose-gc, so that heap figures are measured after a real collection.
  const child = spawn(process.execPath, ['--expose-gc', ...typeScriptChild(__filename, ...process.argv.slice(2))], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  main().then(
    // Anything still open would keep the process alive; every check has been made.
    () => process.exit(),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
