// Building blocks of the fault-injection suite (test/faults-*.test.ts): a terminal client wired to
// the simulator over TCP (127.0.0.1 only) or over a socat pty pair, with a journal, a record of
// every request the simulator received and every answer it made, and a check that nothing
// (socket, server, timer, file handle) is left behind once both ends are closed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { SerialPort } from 'serialport';
import { Journal, SerialTransport, TcpTransport, TerminalClient, TerminalSimulator } from '../../src';
import type { ReceivedMessage, SimulatorBehaviour, TerminalClientOptions } from '../../src';
import type { JournalRecord } from '../../src/journal/record';
import type { ReceivedRequest } from '../../src/protocol/request';
import { PassThroughTransport } from './pass-through-transport';
import { PtyPair } from './pty';
import { delay as sleep, waitFor } from './wait';
import { resources, baseline, expectResources } from './resources';
import { freePort } from './ports';

export { HOST } from './hand-made-terminal';
import { HOST } from './hand-made-terminal';
export { sleep, waitFor, resources, baseline, expectResources, freePort };

/**
 * A behaviour of the simulator, with one fault it does not have: `repeatsAfterMs: [ms, …]` writes
 * the same answer again that long after the first, on the same link if it is still open, as a
 * terminal whose two writes of one answer are split by Nagle's algorithm and a delayed ACK.
 */
export interface FaultBehaviour extends SimulatorBehaviour {
  readonly repeatsAfterMs?: readonly number[];
}

/** An answer as it went on the wire: when, what, whether it was a repeat and whether the link was still open for it. */
export interface WireWrite {
  readonly at: number;
  readonly text: string;
  readonly repeat: boolean;
  readonly delivered: boolean;
}

/** The `<ref>` of an answer the simulator wrote. */
export function refOf(answer: string | undefined): string | undefined {
  const match = /<ref>([^<]*)<\/ref>/.exec(answer ?? '');
  return match ? match[1] : undefined;
}

/** What identifies a request on the wire: its invoice, or for complete/cancel its code. */
export function keyOf(request: Pick<ReceivedRequest, 'action' | 'invoice' | 'preauthCode'> | undefined): string | undefined {
  if (!request) return undefined;
  return request.invoice !== undefined ? `${request.action}:${request.invoice}` : `${request.action}:${request.preauthCode}`;
}

/** An answer the simulator made, with the request it answers. */
export interface AnswerEntry {
  readonly key: string | undefined;
  readonly request: ReceivedRequest;
  readonly answer: string | undefined;
  readonly ref: string | undefined;
}

/**
 * Watches a simulator: every request it received (`received`) and every answer it decided on
 * (`answers`, with the request it answers), across simulators when a link is rebuilt.
 */
export class WireLog {
  readonly received: ReceivedMessage[] = [];
  readonly answers: AnswerEntry[] = [];
  /** Every answer written, first writes and repeats, in the order they went out. */
  readonly writes: WireWrite[] = [];
  private readonly listeners: ((message: ReceivedMessage) => void)[] = [];

  attach(simulator: TerminalSimulator): TerminalSimulator {
    // Through the simulator's test-only hooks: which answer was made for which request, so a test
    // can tell a request's own answer from another's; and the `repeatsAfterMs` fault, whose
    // repeats still to come are cancelled with the simulator's own pending answers.
    const repeats = new Set<NodeJS.Timeout>();
    simulator.hooksForTests = {
      received: (message) => {
        this.received.push(message);
        for (const listener of this.listeners) listener(message);
        return undefined;
      },
      answered: ({ request, answer, behaviour, stream }) => {
        this.answers.push({ key: keyOf(request), request, answer, ref: refOf(answer) });
        if (answer === undefined || stream.destroyed) return;
        this.writes.push({ at: performance.now(), text: answer, repeat: false, delivered: true });
        for (const ms of (behaviour as FaultBehaviour).repeatsAfterMs ?? []) {
          const timer = setTimeout(() => {
            repeats.delete(timer);
            const delivered = !stream.destroyed;
            if (delivered) stream.write(answer);
            this.writes.push({ at: performance.now(), text: answer, repeat: true, delivered });
          }, ms);
          repeats.add(timer);
        }
      },
      closing: () => {
        for (const timer of repeats) clearTimeout(timer);
        repeats.clear();
      },
    };
    return simulator;
  }

  onReceive(listener: (message: ReceivedMessage) => void): void {
    this.listeners.push(listener);
  }

  /** How many times the request with this key reached the terminal. */
  count(key: string): number {
    return this.received.filter((message) => keyOf(message.request) === key).length;
  }

  /** The refs of the answers made for the request with this key. */
  refsFor(key: string): (string | undefined)[] {
    return this.answers.filter((entry) => entry.key === key).map((entry) => entry.ref);
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Journal records about one request: `begin` and `end` lines (and `late` ones) with this key. */
export interface RequestRecords {
  readonly begins: JournalRecord[];
  readonly ends: JournalRecord[];
  readonly lates: JournalRecord[];
}

/** Journal records about one request: `begin` and `end` lines with this key. */
export function journalRecords(file: string, key: string): RequestRecords {
  if (!fs.existsSync(file)) return { begins: [], ends: [], lates: [] };
  const records = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalRecord);
  const mine = records.filter((record) => record.action && keyOf({ action: record.action, invoice: record.invoice, preauthCode: record.preauthcode }) === key);
  const ids = new Set(mine.filter((record) => record.event === 'begin').map((record) => record.id));
  return {
    begins: mine.filter((record) => record.event === 'begin'),
    ends: records.filter((record) => record.event === 'end' && ids.has(record.id)),
    lates: records.filter((record) => record.event === 'late' && ids.has(record.id)),
  };
}

/**
 * Short timeouts keep the suite quick. `lateAnswerWindowMs` (how long the terminal is kept for a
 * late answer after an unknown outcome; 10 s by default) is short too: cases about late answers
 * set it themselves. A queue of one lets a follow-up sent at once wait out that window, as a
 * kiosk's next customer would, instead of being refused as BUSY.
 */
const CLIENT_DEFAULTS = { responseTimeoutMs: 1500, connectTimeoutMs: 2000, replyStallTimeoutMs: 1000, lateAnswerWindowMs: 100, queueLimit: 1 };

/** Options of the client a test may change (not its transport). */
export type ClientOptions = Partial<Omit<TerminalClientOptions, 'transport'>>;

export interface EnvOptions {
  readonly clientOptions?: ClientOptions;
  readonly behaviour?: SimulatorBehaviour;
}

/** What tcpEnv and serialEnv have in common. */
export interface FaultEnv {
  readonly kind: 'tcp' | 'serial';
  readonly log: WireLog;
  readonly simulator: TerminalSimulator;
  readonly client: TerminalClient;
  readonly journal: Journal;
  readonly journalFile: string;
  /** Connections (serial links) the simulator served. */
  readonly accepted: number;
  /** Brings a vanished link back (serial only: a TCP link is made per request). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpEnv extends FaultEnv {
  readonly kind: 'tcp';
  readonly port: number;
}

/**
 * The client against the simulator over TCP on 127.0.0.1, with a journal in a fresh directory.
 * `close()` closes everything and removes the directory.
 */
export async function tcpEnv({ clientOptions = {}, behaviour = {} }: EnvOptions = {}): Promise<TcpEnv> {
  const log = new WireLog();
  const simulator = log.attach(new TerminalSimulator({ behaviour }));
  const port = await simulator.listen(0, HOST);
  let accepted = 0;
  // Through the simulator's test-only hook, as each connection is about to be served.
  simulator.hooksForTests.serving = (stream) => {
    accepted += 1;
    // Every write goes out at once: `bytewise` then really arrives in one-byte pieces, and the two
    // copies of `twice` back to back (a repeat that comes later is the `repeatsAfterMs` fault).
    (stream as Socket).setNoDelay(true);
  };
  const dir = tempDir('mypos-faults-');
  const journalFile = path.join(dir, 'terminal.jsonl');
  const journal = new Journal(journalFile);
  const client = new TerminalClient({
    transport: new TcpTransport({ host: HOST, port }),
    ...CLIENT_DEFAULTS,
    journal,
    ...clientOptions,
  });
  let closed = false;
  return {
    kind: 'tcp',
    log,
    simulator,
    port,
    client,
    journal,
    journalFile,
    get accepted() {
      return accepted;
    },
    restore() {
      return Promise.reject(new Error('a TCP link is not restored: the client opens one per request'));
    },
    async close() {
      if (closed) return;
      closed = true;
      client.close();
      await simulator.close();
      await journal.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SerialEnv extends FaultEnv {
  readonly kind: 'serial';
  readonly pty: PtyPair;
  /** Bytes from the terminal that reached the client so far, over every link it opened. */
  readonly bytesToClient: number;
  vanish(): Promise<void>;
  closeTerminalSide(): Promise<void>;
  restore(): Promise<void>;
}

/**
 * The client over a serial link: a socat pty pair, the simulator serving one end, the client
 * (kept open, as the config node does for serial) the other. The link can vanish (socat killed,
 * as when a Bluetooth terminal goes away) and come back with a fresh simulator.
 */
export async function serialEnv({ clientOptions = {}, behaviour = {} }: EnvOptions = {}): Promise<SerialEnv> {
  const log = new WireLog();
  const pty = new PtyPair();
  await pty.start();
  const simulators: TerminalSimulator[] = [];
  const ports: SerialPort[] = [];
  const newSimulator = async (): Promise<TerminalSimulator> => {
    const simulator = log.attach(new TerminalSimulator({ behaviour }));
    // Through the simulator's test-only hook, as the link is about to be served.
    simulator.hooksForTests.serving = (stream) => {
      // serveSerial serves a SerialPort.
      const port = stream as SerialPort;
      ports.push(port);
      // The simulator ends a link with SerialPort#destroy (on close, and for its drop/halfway
      // faults), which leaves the device open; once the pty goes away, serialport's read loop
      // then spins on it for ever (CPU, memory, and a process that never exits). Close it.
      let closing = false;
      port.on('close', () => {
        if (port.isOpen && !closing) {
          closing = true;
          port.close(() => undefined);
        }
      });
    };
    await simulator.serveSerial(pty.terminalSide);
    simulators.push(simulator);
    return simulator;
  };
  /** Closes every simulator port that is still open. */
  const closePorts = () => Promise.all(ports.filter((port) => port.isOpen).map((port) => new Promise<void>((resolve) => port.close(() => resolve()))));
  let simulator = await newSimulator();
  const dir = tempDir('mypos-faults-serial-');
  const journalFile = path.join(dir, 'terminal.jsonl');
  const journal = new Journal(journalFile);
  const transport = new PassThroughTransport(new SerialTransport({ path: pty.nodeSide }));
  const client = new TerminalClient({
    transport,
    keepOpen: true,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    ...CLIENT_DEFAULTS,
    journal,
    ...clientOptions,
  });
  client.start();
  await waitFor(() => client.connectionState === 'connected', 'the serial port to open');
  let closed = false;
  const env: SerialEnv = {
    kind: 'serial',
    log,
    pty,
    client,
    journal,
    journalFile,
    get simulator() {
      return simulator;
    },
    get accepted() {
      return ports.length;
    },
    get bytesToClient() {
      return transport.bytesToClient;
    },
    /** The link vanishes: socat is killed, both ends of the pty pair are gone. */
    async vanish() {
      await pty.stop();
    },
    /** The terminal's side is closed for good (its ports too), leaving only the client's end. */
    async closeTerminalSide() {
      await simulator.close();
      await closePorts();
    },
    /**
     * The link comes back (a new pty pair at the same paths) with a fresh simulator; waits until
     * the client reopened it. Always a new pair: a simulator whose port was destroyed (faults
     * `drop`, `halfway`) still holds the old device open and locked (SerialPort#destroy does not
     * close it).
     */
    async restore() {
      await simulator.close();
      await closePorts();
      await pty.stop();
      await pty.start();
      simulator = await newSimulator();
      await waitFor(() => client.connectionState === 'connected', 'the client to reopen the serial port', 5000);
    },
    async close() {
      if (closed) return;
      closed = true;
      client.close();
      for (const each of simulators) await each.close();
      await closePorts();
      await journal.close();
      await pty.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
