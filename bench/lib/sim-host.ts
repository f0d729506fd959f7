/**
 * A child process that plays the terminals, so the process being measured spends its CPU and
 * memory on the client side only. Driven over IPC by sim-client.ts. Everything listens on
 * 127.0.0.1 only.
 *
 * Commands: simulators {count} -> {ports}; records -> {records}; verify {simulator, result}
 * (posted, no answer); verdict -> the counts of verify so far; scripted {scenario} -> {port};
 * hostile {kind, bytes} -> {port}; memory -> process.memoryUsage(); close.
 */
import net from 'node:net';
import type { SimulatorBehaviour } from '../../src/simulator/simulator';
import { loadApi } from './package';
import { SCENARIOS, hostilePayload } from './scenarios';

const api = loadApi(process.env.BENCH_PACKAGE_DIR);
const HOST = '127.0.0.1';
/** `...~fault` at the end of an invoice asks the simulator to misbehave on that request. */
const FAULT_TAG = /<invoice>[^<]*~([a-z-]+)<\/invoice>/;
const REPLY_FIELDS = /<result>([^<]*)<\/result>(?:\s*<status>([^<]*)<\/status>)?[\s\S]*?<ref>([^<]*)<\/ref>/;

/** The reply sent for an invoice: { result, status, ref }, or { result: 'none' } when none went out. */
export type SentReply = { result: string; status: string | null; ref: string } | { result: 'none'; status?: undefined; ref?: undefined };

/** One result as a section reports it: [key, code, ref, status, outcome]; null where the result has none. */
export type ResultRow = [key: string, code: string | null, ref: string, status: number | null, outcome: string | null];

/**
 * The package's simulator, plus a record of which reply went out for which invoice (so the
 * bench can prove no reply reached the wrong node) and faults picked per request by invoice tag,
 * through its test-only hooks, which leave the package's behaviour untouched.
 */
class RecordingSimulator extends api.TerminalSimulator {
  /** invoice -> { result, status, ref } of the reply sent for it. */
  readonly replies = new Map<string, SentReply>();

  /** index: which of the bench's terminals, put before its refs so that no two give the same. */
  constructor(index: number) {
    super({ behaviour: {}, refPrefix: String(index).padStart(2, '0') });
    this.hooksForTests = {
      received: ({ xml }) => {
        const tag = FAULT_TAG.exec(xml);
        return tag ? { fault: tag[1] as SimulatorBehaviour['fault'], byteDelayMs: 1 } : undefined;
      },
      answered: ({ request, answer }) => {
        const key = request.invoice ?? request.preauthCode;
        if (key === undefined) return;
        const fields = answer === undefined ? null : REPLY_FIELDS.exec(answer);
        this.replies.set(key, fields ? { result: fields[1] ?? '', status: fields[2] ?? null, ref: fields[3] ?? '' } : { result: 'none' });
      },
    };
  }
}

// A package built before the hooks existed (bench/snapshot.ts of an older commit) would answer
// without the faults the invoices ask for.
if (!('hooksForTests' in new api.TerminalSimulator())) {
  throw new Error("this package's TerminalSimulator has no hooksForTests (older than the benchmark); update bench/lib/sim-host.ts");
}

const simulators: RecordingSimulator[] = [];
const servers = new Set<net.Server>();
const sockets = new Set<net.Socket>();

function listen(server: net.Server): Promise<number> {
  servers.add(server);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as net.AddressInfo).port));
  });
}

async function startSimulators({ count }: { count: number }): Promise<{ ports: number[] }> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const simulator = new RecordingSimulator(simulators.length);
    simulators.push(simulator);
    ports.push(await simulator.listen(0, HOST));
  }
  return { ports };
}

/** Answers every request (anything ending in a request's closing tag) with the scenario's writes. */
function scripted({ scenario }: { scenario: string }): Promise<{ port: number }> {
  const plan = SCENARIOS.find((s) => s.name === scenario);
  if (!plan) throw new Error(`unknown scenario ${scenario}`);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = /<\/(pay|refund|preauth|preauthcompletion|preauthcancel)>/.exec(text);
      if (!end) return;
      text = text.slice(end.index + end[0].length);
      let delay = 0;
      for (const [bytes, pause] of plan.writes) {
        delay += pause;
        // Separate timers, so each write leaves as its own packet.
        setTimeout(() => socket.destroyed || socket.write(bytes), delay);
      }
    });
  });
  return listen(server).then((port) => ({ port }));
}

/** Pours a never-ending message into the first connection that sends anything. */
function hostile({ kind, bytes }: { kind: string; bytes: number }): Promise<{ port: number }> {
  const payload = hostilePayload(kind, bytes);
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.write(payload));
  });
  return listen(server).then((port) => ({ port }));
}

function records(): { records: [string, SentReply][][] } {
  return { records: simulators.map((simulator) => [...simulator.replies]) };
}

export interface Verdict {
  checked: number;
  wrongApproval: number;
  wrongRefusal: number;
  sentThoughNotSent: number;
  unknownOnNormal: number;
  examples: { kind: string; simulator: number; result: ResultRow; reply: SentReply | null }[];
}

const verdict: Verdict = { checked: 0, wrongApproval: 0, wrongRefusal: 0, sentThoughNotSent: 0, unknownOnNormal: 0, examples: [] };

/**
 * Compares one result [key, code, ref, status, outcome] with what simulator `simulator` did for
 * that key, then forgets the key, so neither process keeps anything per transaction: an approval
 * must carry the ref sent for that very request, a decline its status, `Hibás XML` that answer;
 * a result saying nothing was sent must have no request here. An unknown outcome may follow
 * anything, but is counted when the simulator answered normally and no fault was asked.
 */
function verify({ simulator, result }: { simulator: number; result: ResultRow }): void {
  const replies = simulators[simulator]?.replies;
  if (!replies) throw new Error(`no simulator ${simulator}`);
  const [key, code, ref, status, outcome] = result;
  const reply = replies.get(key);
  replies.delete(key);
  verdict.checked += 1;
  const wrong = (kind: 'wrongApproval' | 'wrongRefusal' | 'sentThoughNotSent') => {
    verdict[kind] += 1;
    if (verdict.examples.length < 5) verdict.examples.push({ kind, simulator, result, reply: reply ?? null });
  };
  if (code === 'OK') {
    if (reply?.result !== 'OK' || reply.ref !== ref) wrong('wrongApproval');
  } else if (code === 'TERMINAL') {
    if (reply?.result !== 'ERROR' || String(reply.status) !== String(status)) wrong('wrongRefusal');
  } else if (code === 'BAD_XML') {
    if (reply?.result !== 'ERROR' || !/^hib/i.test(reply.ref ?? '')) wrong('wrongRefusal');
  } else if (outcome === 'not-sent') {
    if (reply) wrong('sentThoughNotSent');
  } else if (outcome === 'unknown' && !key.includes('~') && reply?.result === 'OK') {
    verdict.unknownOnNormal += 1;
  }
}

async function closeAll(): Promise<Record<string, never>> {
  await Promise.all(simulators.map((simulator) => simulator.close()));
  for (const socket of sockets) socket.destroy();
  await Promise.all([...servers].map((server) => new Promise((resolve) => server.close(resolve))));
  return {};
}

const COMMANDS = {
  simulators: startSimulators,
  scripted,
  hostile,
  records,
  verify,
  verdict: (): Verdict => verdict,
  memory: (): NodeJS.MemoryUsage => process.memoryUsage(),
  close: closeAll,
};

/** The commands sim-client.ts may call, with their arguments and results. */
export type Commands = typeof COMMANDS;

/** The answer to a call. */
export interface HostReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** The first failure of a posted command, reported by the next answered one. */
let failedPost: string | undefined;

const describeError = (error: unknown) => (error instanceof Error ? (error.stack ?? String(error)) : String(error));

process.on('message', (message: { id?: number; cmd: keyof Commands; args?: unknown }) => {
  void handleCommand(message);
});

async function handleCommand({ id, cmd, args }: { id?: number; cmd: keyof Commands; args?: unknown }): Promise<void> {
  const send = (reply: HostReply) => process.send?.(reply);
  try {
    if (id !== undefined && failedPost && cmd !== 'close') throw new Error(`a posted command failed earlier: ${failedPost}`);
    const command = COMMANDS[cmd] as (args: unknown) => unknown;
    const result: unknown = await command(args ?? {});
    if (id !== undefined) send({ id, result });
    if (cmd === 'close') process.disconnect();
  } catch (error) {
    // A posted command has nobody to answer: it fails the next answered one instead.
    if (id !== undefined) send({ id, error: describeError(error) });
    else failedPost ??= describeError(error);
  }
}
// The parent going away ends this process too: nothing is left behind.
process.on('disconnect', () => process.exit(0));
