/**
 * A hostile terminal pours 10 MB that never completes a message into the client. The framer
 * caps a message at 64 KiB, so the client must give up early, drop the connection, and never
 * block its event loop for long while doing so. The hostile server runs in another process so
 * the loop measured here is the client's alone. A control case (normal payments, measured the
 * same way) shows how much delay this shared machine adds by itself.
 */
import type { TerminalClient } from '../../src/index';
import { LoopMonitor } from '../lib/loop-monitor';
import { loadApi, packageDir as resolvePackage } from '../lib/package';
import { HOSTILE_KINDS } from '../lib/scenarios';
import { runSection, progress, sleep } from '../lib/section';
import { SimHost } from '../lib/sim-client';
import { type Summary, median, summarize } from '../lib/stats';

export interface StallOptions {
  packageDir?: string;
  repeats?: number;
  bytes?: number;
  warmup?: number;
}

export interface StallCase {
  kind: string;
  repeats: number;
  codes: string[];
  message: string;
  endedAfterMs: Summary;
  maxLoopDelayMs: number;
  medianMaxLoopDelayMs: number;
  maxBusyMs: number;
}

export interface StallResult {
  clientOptions: typeof CLIENT_OPTIONS;
  warmup: number;
  bytes: number;
  cases: StallCase[];
}

const TEN_MB = 10 * 1024 * 1024;
/** A reply the framer does not bound ends only at this timeout (the product's default is 180 s). */
const RESPONSE_TIMEOUT_MS = 2000;
/**
 * Each attempt is timed on its own: no wait for quiet after an answer, nor after an unknown
 * outcome (2 s by default). Neither has anything to do with reading the reply.
 */
const CLIENT_OPTIONS = { responseTimeoutMs: RESPONSE_TIMEOUT_MS, answerGuardMs: 0, lateAnswerWindowMs: 1 };

runSection(async ({ packageDir: dirOption, repeats = 5, bytes = TEN_MB, warmup = 300 }: StallOptions): Promise<StallResult> => {
  const packageDir = resolvePackage(dirOption);
  const api = loadApi(packageDir);
  const sims = new SimHost(packageDir);
  const cases: StallCase[] = [];
  const clientFor = (port: number) => new api.TerminalClient({ transport: new api.TcpTransport({ host: '127.0.0.1', port }), ...CLIENT_OPTIONS });
  try {
    const { ports } = await sims.call('simulators', { count: 1 });
    const [simulatorPort] = ports;
    if (simulatorPort === undefined) throw new Error('no simulator');
    // Warm: a Node-RED that has taken some payments has its parsing code compiled.
    const normal = clientFor(simulatorPort);
    for (let i = 0; i < warmup; i++) await normal.pay({ amount: '1.00', invoice: `H-warm-${i}`, receipt: 'OFF', custrcpt: 'OFF' });
    normal.close();
    cases.push(await measure('control: normal payments', clientFor(simulatorPort), repeats));
    for (const kind of HOSTILE_KINDS) {
      const { port } = await sims.call('hostile', { kind, bytes });
      cases.push(await measure(kind, clientFor(port), repeats));
    }
  } finally {
    await sims.close();
  }
  return { clientOptions: CLIENT_OPTIONS, warmup, bytes, cases };
});

/** `repeats` payments, each under its own loop-delay monitor. */
async function measure(kind: string, client: TerminalClient, repeats: number): Promise<StallCase> {
  const endedAfter: number[] = [];
  const loopDelays: number[] = [];
  const busy: number[] = [];
  const codes = new Set<string>();
  let message = '';
  for (let i = 0; i < repeats; i++) {
    const monitor = new LoopMonitor().start();
    const start = performance.now();
    const result = await client.pay({ amount: '12.50', invoice: `H-${kind.slice(0, 20)}-${i}`, receipt: 'OFF', custrcpt: 'OFF' });
    endedAfter.push(performance.now() - start);
    // The monitor records a delay only when its timer next runs: give it the chance.
    await sleep(5);
    const { maxDelayMs, maxBusyMs } = monitor.stop();
    loopDelays.push(maxDelayMs);
    busy.push(maxBusyMs);
    codes.add(result.result === 'OK' ? 'OK' : result.code);
    // A success has no message: the last attempt's failure message, or nothing.
    message = result.result === 'OK' ? '' : result.message;
  }
  client.close();
  progress(
    'stall',
    `${kind}: ${[...codes].join(',')}, ended after ${endedAfter.map((v) => v.toFixed(1)).join(', ')} ms; max loop delay ${loopDelays.map((v) => v.toFixed(1)).join(', ')} ms, busy ${busy.map((v) => v.toFixed(1)).join(', ')} ms`,
  );
  return {
    kind,
    repeats,
    codes: [...codes],
    message,
    endedAfterMs: summarize(endedAfter),
    maxLoopDelayMs: Math.max(...loopDelays),
    medianMaxLoopDelayMs: median(loopDelays),
    maxBusyMs: Math.max(...busy),
  };
}
