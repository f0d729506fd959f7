/**
 * What answerGuardMs buys. The client waits until a reused link has been quiet that long after
 * an answer before it sends the next request, so that a repeated or stray answer cannot be
 * taken for the answer to the next request. Here the simulator answers a payment twice (its
 * `twice` fault, as a confused app might), the next payment follows at once, and the bench counts
 * how often that next payment was given an outcome the simulator did not give it; and how many
 * back-to-back payments per second each guard allows. The simulator's sockets keep Nagle's
 * algorithm on, as an app's sockets usually do: the repeat then waits in the terminal until our
 * side ACKs, which Linux delays by up to 40-200 ms, or does at once when our next request goes out.
 */
import type { TransactionResult } from '../../src/index';
import { type PackageApi, loadApi, packageDir as resolvePackage } from '../lib/package';
import { runSection, progress } from '../lib/section';
import { SimHost } from '../lib/sim-client';
import type { SentReply } from '../lib/sim-host';

export interface GuardOptions {
  packageDir?: string;
  guards?: number[];
  pairs?: number;
  sequential?: number;
  warmup?: number;
}

interface Tally {
  wrong: number;
  unknown: number;
  right: number;
}

export interface GuardRow {
  guard: number;
  isDefault: boolean;
  perSecond: number;
  pairs: number;
  afterApproval: Tally;
  afterDecline: Tally;
}

export interface GuardResult {
  defaultGuardMs: number;
  rows: GuardRow[];
}

type Pay = (invoice: string, amount?: string) => Promise<TransactionResult>;
interface Outcome {
  first: TransactionResult;
  next: TransactionResult;
  invoice: string;
}

/** Guards tried besides the package's default, which is always tried too. */
const GUARDS = [0, 25, 50, 250];

runSection(async ({ packageDir: dirOption, guards = GUARDS, pairs = 30, sequential = 200, warmup = 300 }: GuardOptions): Promise<GuardResult> => {
  const packageDir = resolvePackage(dirOption);
  const api = loadApi(packageDir);
  const defaultGuard = api.DEFAULT_ANSWER_GUARD_MS;
  const sims = new SimHost(packageDir);
  const rows: GuardRow[] = [];
  // Back-to-back payments timed per guard: fewer for long guards, whose rate is plain anyway.
  const sequentialFor = (guard: number) => (guard >= 100 ? Math.min(20, sequential) : sequential);
  try {
    const { ports } = await sims.call('simulators', { count: 1 });
    const [port] = ports;
    if (port === undefined) throw new Error('no simulator');
    await warmUp(api, port, warmup);
    for (const guard of [...new Set([...guards, defaultGuard])].sort((a, b) => a - b)) {
      const client = new api.TerminalClient({ transport: new api.TcpTransport({ host: '127.0.0.1', port }), answerGuardMs: guard });
      const pay: Pay = (invoice, amount = '3.00') => client.pay({ amount, invoice, receipt: 'OFF', custrcpt: 'OFF' });
      await pay(`G${guard}-warm`);
      // Back to back, no faults: what the guard costs.
      const timed = sequentialFor(guard);
      const started = performance.now();
      for (let i = 0; i < timed; i++) await pay(`G${guard}-s${i}`);
      const perSecond = timed / ((performance.now() - started) / 1000);
      // A repeated answer, then the next payment at once: what the guard protects. An approval
      // carries a ref the client may recognise when it comes again; a decline carries none.
      const approvals = await repeats(pay, `G${guard}-a`, '3.00', pairs);
      const declines = await repeats(pay, `G${guard}-d`, '3.51', pairs);
      client.close();
      const { records } = await sims.call('records');
      const sent = new Map(records[0]);
      const last: GuardRow = { guard, isDefault: guard === defaultGuard, perSecond, pairs, afterApproval: tally(approvals, sent), afterDecline: tally(declines, sent) };
      rows.push(last);
      progress(
        'guard',
        `answerGuardMs ${guard}${guard === defaultGuard ? ' (default)' : ''}: ${perSecond.toFixed(0)}/s back to back; next payment given a wrong outcome after a repeated approval ${last.afterApproval.wrong}/${pairs}, after a repeated decline ${last.afterDecline.wrong}/${pairs}`,
      );
    }
  } finally {
    await sims.close();
  }
  return { defaultGuardMs: defaultGuard, rows };
});

/** `pairs` times: a payment answered twice (amount picks approval or decline), then one more at once. */
async function repeats(pay: Pay, prefix: string, amount: string, pairs: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = await pay(`${prefix}${i}~twice`, amount);
    const invoice = `${prefix}${i}-next`;
    const next = await pay(invoice, '3.00');
    outcomes.push({ first, next, invoice });
  }
  return outcomes;
}

/**
 * What became of the payments that followed a repeat: `wrong` when the client stated an
 * outcome the simulator did not give (another payment's approval or decline); an unknown
 * outcome is a safe answer and counted apart.
 */
function tally(outcomes: Outcome[], sent: Map<string, SentReply>): Tally {
  const result: Tally = { wrong: 0, unknown: 0, right: 0 };
  for (const { next, invoice } of outcomes) {
    const reply = sent.get(invoice);
    if (next.result === 'ERROR' && next.outcome === 'unknown') result.unknown += 1;
    else if (next.result === 'OK' && reply?.result === 'OK' && reply.ref === next.ref) result.right += 1;
    else if (next.result === 'ERROR' && next.outcome === 'not-sent' && !reply) result.right += 1;
    else result.wrong += 1;
  }
  return result;
}

/** Compiles the client's hot paths before anything is timed. */
async function warmUp(api: PackageApi, port: number, count: number): Promise<void> {
  const client = new api.TerminalClient({ transport: new api.TcpTransport({ host: '127.0.0.1', port }), answerGuardMs: 0 });
  for (let i = 0; i < count; i++) await client.pay({ amount: '3.00', invoice: `G-warm-${i}`, receipt: 'OFF', custrcpt: 'OFF' });
  client.close();
}
