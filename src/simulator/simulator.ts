import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Action, FramingError, ReceivedRequest, STATUS_NAMES, XmlFormatError, XmlFramer, decodeUtf8, escapeXmlText, parseFlatXml, readRequest } from '../protocol';

/**
 * A stand-in for the Payment Interface app on a myPOS terminal, for tests and demos. It answers
 * with the app's own spellings, remembers pre-authorization codes, and can misbehave on request.
 */

export type SimulatorFault =
  /** Answer normally. */
  | 'none'
  /** Answer ERROR with `declineStatus` (default 2, TRANSACTION_DECLINED). */
  | 'decline'
  /** Never answer. */
  | 'silent'
  /** Close the connection instead of answering. */
  | 'drop'
  /** Send half of the answer, then close the connection. */
  | 'halfway'
  /** Send the answer one byte at a time. */
  | 'bytewise'
  /** Answer with bytes that are not XML. */
  | 'garbage'
  /** Send the answer twice. */
  | 'twice'
  /** Answer `Hibás XML`, as the app does for a request it cannot read. */
  | 'bad-xml'
  /** Answer with the root element of another action. */
  | 'wrong-root';

export interface SimulatorBehaviour {
  readonly fault?: SimulatorFault;
  /** Wait this long before answering, like a customer taking time over the card. */
  readonly delayMs?: number;
  /** Status for `decline`. */
  readonly declineStatus?: number;
  /** Close the connection after each answer, as some app versions do. */
  readonly closeAfterAnswer?: boolean;
  /** Pause between bytes for `bytewise`. */
  readonly byteDelayMs?: number;
}

export interface SimulatorOptions {
  readonly behaviour?: SimulatorBehaviour;
  /**
   * Digits put before every ref, so that simulators standing for several terminals never give
   * the same ref (a pre-authorization code is checked across all terminals sharing a journal).
   */
  readonly refPrefix?: string;
}

export interface ReceivedMessage {
  /** The request as read, or undefined when it could not be read. */
  readonly request?: ReceivedRequest;
  /** The bytes received, decoded. */
  readonly xml: string;
}

/** One connection (or serial link) the simulator served: what arrived on it. */
export interface SimulatorConnection {
  /** Bytes received on it, whatever they were. */
  bytes: number;
  /** Messages read from it: requests, and anything answered as unreadable. */
  messages: number;
  closed: boolean;
}

/**
 * TEST-ONLY SEAM (issue #14), not for production callers: how the tests, the soak and the
 * benchmark watch a simulator and steer it per request. Nothing in the package sets it.
 */
export interface SimulatorHooksForTests {
  /** A connection or serial link is about to be served. */
  serving?(stream: Duplex): void;
  /**
   * A message arrived (`request` is undefined for one it cannot read). For a readable request, a
   * behaviour returned here is used instead of the planned one (`nextBehaviours`, `behaviour`).
   */
  received?(message: ReceivedMessage): SimulatorBehaviour | undefined;
  /** An answer was decided for a request and sent, as far as its behaviour sends it. */
  answered?(answered: SimulatorAnswer): void;
  /** The simulator is closing: whatever a hook scheduled must stop. */
  closing?(): void;
}

/** What the `answered` hook is told. */
export interface SimulatorAnswer {
  readonly request: ReceivedRequest;
  /** The answer decided on (undefined: none, as for `silent` or `drop`); written unless the link was already gone. */
  readonly answer: string | undefined;
  readonly behaviour: SimulatorBehaviour;
  /** The connection (or serial port) it went out on. */
  readonly stream: Duplex;
}

/** How many connections `connectionLog` keeps, newest last: a demo left running must not grow without end. */
export const CONNECTION_LOG_LIMIT = 1000;
/** How many messages `received` keeps, newest last, for the same reason. */
export const RECEIVED_LOG_LIMIT = 1000;

interface Preauthorization {
  readonly minor: bigint;
  state: 'open' | 'completed' | 'cancelled';
}

/**
 * Amounts whose cents pick an answer, so a demo can show a decline without changing settings:
 * x.51 declined, x.52 cancelled by the customer, x.53 failed on the terminal.
 */
export const MAGIC_CENTS: Readonly<Record<string, number>> = { '51': 2, '52': 1, '53': 3 };

const REPLY_ROOTS: Readonly<Record<Action, { ok: string; error: string }>> = {
  pay: { ok: 'payresp', error: 'payresp' },
  refund: { ok: 'refundresp', error: 'refundresp' },
  preauth: { ok: 'preauthresp', error: 'preauthresp' },
  complete: { ok: 'preautcompletionresp', error: 'preautcompletionhresp' },
  cancel: { ok: 'preautcancelresp', error: 'preautcancelresp' },
};

const AMOUNT = /^[0-9]+(\.[0-9]+)?$/;
const RECEIPT = /^(ON|OFF|AFTER_CONFIRMATION)$/;

export class TerminalSimulator {
  /** Applies to every request that finds `nextBehaviours` empty. */
  behaviour: SimulatorBehaviour;
  /** Used one per request, in order, before `behaviour`. */
  readonly nextBehaviours: SimulatorBehaviour[] = [];
  /** The last RECEIVED_LOG_LIMIT messages received, oldest first. */
  readonly received: ReceivedMessage[] = [];
  /** Connections (and serial links) served since the simulator was made, across stops and restarts. */
  connectionsAccepted = 0;
  /** Bytes received on all of them. */
  bytesReceived = 0;
  /** The last CONNECTION_LOG_LIMIT connections, oldest first: a connection that carried no request shows `bytes: 0`. */
  readonly connectionLog: SimulatorConnection[] = [];
  /** TEST-ONLY SEAM (issue #14): see SimulatorHooksForTests. */
  hooksForTests: SimulatorHooksForTests = {};
  private readonly preauths = new Map<string, Preauthorization>();
  private readonly streams = new Set<Duplex>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: net.Server | undefined;
  private counter = 0;
  private readonly refPrefix: string;

  constructor(options: SimulatorOptions = {}) {
    this.behaviour = options.behaviour ?? {};
    this.refPrefix = options.refPrefix ?? '';
    if (!/^[0-9]*$/.test(this.refPrefix)) throw new RangeError('refPrefix must be digits');
  }

  /** Listens for TCP connections; resolves with the port (pass 0 for any free port). */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    const server = net.createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as net.AddressInfo).port;
  }

  /**
   * Serves a serial device, e.g. one end of a socat pty pair standing in for the terminal's
   * Bluetooth link. Resolves once the device is open.
   */
  async serveSerial(path: string, baudRate = 115200): Promise<void> {
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    this.serve(port);
  }

  get port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.streams.size;
  }

  /** Serves one connection or serial link: reads requests, answers them. */
  serve(stream: Duplex): void {
    this.hooksForTests.serving?.(stream);
    this.streams.add(stream);
    const record: SimulatorConnection = { bytes: 0, messages: 0, closed: false };
    this.connectionsAccepted += 1;
    this.connectionLog.push(record);
    if (this.connectionLog.length > CONNECTION_LOG_LIMIT) this.connectionLog.shift();
    const framer = new XmlFramer();
    stream.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
      this.bytesReceived += chunk.length;
      let frames: Buffer[];
      let unreadable = false;
      try {
        frames = framer.push(chunk);
      } catch (error) {
        if (!(error instanceof FramingError)) throw error;
        frames = error.completedFrames;
        unreadable = true;
      }
      record.messages += frames.length + (unreadable ? 1 : 0);
      for (const frame of frames) this.handle(stream, frame);
      if (unreadable) {
        // Like the app: whatever it cannot read gets the Hungarian "Invalid XML" answer.
        framer.reset();
        this.receive({ xml: chunk.toString('utf8') });
        this.send(stream, this.badXml(), {});
      }
    });
    stream.on('error', () => hangUp(stream));
    stream.on('close', () => {
      record.closed = true;
      this.streams.delete(stream);
    });
  }

  /** Drops every open connection, as when the terminal leaves the network. */
  dropConnections(): void {
    for (const stream of this.streams) hangUp(stream);
  }

  /** Stops listening, drops connections and cancels pending answers; resolves once all are closed. */
  async close(): Promise<void> {
    this.hooksForTests.closing?.();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = [...this.streams].map((stream) => new Promise((resolve) => stream.once('close', resolve)));
    this.dropConnections();
    await Promise.all(closed);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The state of a pre-authorization code the simulator issued. */
  preauthState(code: string): Preauthorization['state'] | undefined {
    return this.preauths.get(code)?.state;
  }

  private handle(stream: Duplex, frame: Buffer): void {
    let request: ReceivedRequest;
    let xml: string;
    try {
      xml = decodeUtf8(frame);
      request = readRequest(parseFlatXml(xml));
    } catch (error) {
      if (!(error instanceof XmlFormatError)) throw error;
      this.receive({ xml: frame.toString('utf8') });
      this.send(stream, this.badXml(), {});
      return;
    }
    const behaviour = this.receive({ request, xml }) ?? this.nextBehaviours.shift() ?? this.behaviour;
    const answer = () => {
      const text = this.answer(request, behaviour);
      this.send(stream, text, behaviour);
      this.hooksForTests.answered?.({ request, answer: text, behaviour, stream });
    };
    if (behaviour.delayMs) this.later(behaviour.delayMs, answer);
    else answer();
  }

  /** Keeps a message (the last RECEIVED_LOG_LIMIT); a hook may pick the behaviour for it. */
  private receive(message: ReceivedMessage): SimulatorBehaviour | undefined {
    this.received.push(message);
    if (this.received.length > RECEIVED_LOG_LIMIT) this.received.shift();
    return this.hooksForTests.received?.(message);
  }

  /** Decides the answer, and updates the pre-authorizations it affects. */
  private answer(request: ReceivedRequest, behaviour: SimulatorBehaviour): string | undefined {
    const fault = behaviour.fault ?? 'none';
    const roots = REPLY_ROOTS[request.action];
    switch (fault) {
      case 'silent':
      case 'drop':
        return undefined;
      case 'garbage':
        return 'this is not XML at all\r\n';
      case 'bad-xml':
        return this.badXml();
      case 'wrong-root':
        return reply(request.action === 'refund' ? 'payresp' : 'refundresp', 'OK', { ref: this.nextRef() });
      case 'decline':
        return errorReply(roots.error, behaviour.declineStatus ?? 2);
      default:
        break;
    }
    if (!this.readable(request)) return this.badXml();
    const magic = request.sum && MAGIC_CENTS[request.sum.split('.')[1] ?? ''];
    if (magic) return errorReply(roots.error, magic);

    if (request.action === 'complete' || request.action === 'cancel') {
      const preauth = this.preauths.get(request.preauthCode ?? '');
      if (preauth?.state !== 'open') return errorReply(roots.error, 5);
      if (request.action === 'complete') {
        if (toMinor(request.sum ?? '') > preauth.minor) return errorReply(roots.error, 7);
        preauth.state = 'completed';
      } else {
        preauth.state = 'cancelled';
      }
      return reply(roots.ok, 'OK', { ref: this.nextRef() });
    }
    const ref = this.nextRef();
    if (request.action === 'preauth') this.preauths.set(ref, { minor: toMinor(request.sum ?? ''), state: 'open' });
    return reply(roots.ok, 'OK', { ref });
  }

  /** What the app checks before it hands a request to the terminal. */
  private readable(request: ReceivedRequest): boolean {
    if (!RECEIPT.test(request.receipt ?? '') || !RECEIPT.test(request.custrcpt ?? '')) return false;
    if (request.action !== 'cancel' && !AMOUNT.test(request.sum ?? '')) return false;
    if (request.action === 'complete' || request.action === 'cancel') return Boolean(request.preauthCode);
    return Boolean(request.invoice);
  }

  private badXml(): string {
    return reply('payresp', 'ERROR', { ref: 'Hibás XML' });
  }

  private nextRef(): string {
    this.counter += 1;
    return `${this.refPrefix}${Date.now().toString().slice(-6)}${String(this.counter).padStart(6, '0')}`;
  }

  private send(stream: Duplex, answer: string | undefined, behaviour: SimulatorBehaviour): void {
    if (stream.destroyed) return;
    const fault = behaviour.fault ?? 'none';
    if (fault === 'drop') {
      hangUp(stream);
      return;
    }
    if (answer === undefined) return;
    const bytes = Buffer.from(answer, 'utf8');
    const after = () => {
      if (behaviour.closeAfterAnswer) stream.end();
    };
    if (fault === 'halfway') {
      stream.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => hangUp(stream));
    } else if (fault === 'bytewise') {
      this.writeBytewise(stream, bytes, behaviour.byteDelayMs ?? 1, after);
    } else if (fault === 'twice') {
      stream.write(bytes);
      stream.write(bytes);
      after();
    } else {
      stream.write(bytes);
      after();
    }
  }

  private writeBytewise(stream: Duplex, bytes: Buffer, delayMs: number, done: () => void): void {
    let index = 0;
    const next = () => {
      if (stream.destroyed) return;
      if (index >= bytes.length) {
        done();
        return;
      }
      stream.write(bytes.subarray(index, index + 1));
      index += 1;
      this.later(delayMs, next);
    };
    next();
  }

  private later(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }
}

/** Ends a connection or serial link. A serial port must be closed: destroying its stream leaves the device open and locked. */
function hangUp(stream: Duplex): void {
  const port = stream as Duplex & { isOpen?: boolean; close?: (callback: () => void) => void };
  if (typeof port.close === 'function' && port.isOpen) port.close(() => stream.destroy());
  else stream.destroy();
}

function toMinor(sum: string): bigint {
  const [integer, fraction = ''] = sum.split('.');
  return BigInt(integer + fraction.padEnd(8, '0').slice(0, 8));
}

/** An answer laid out as the app lays it out. */
function reply(root: string, result: 'OK' | 'ERROR', fields: { status?: number; ref: string }): string {
  const lines = [`  <result>${result}</result>`];
  if (fields.status !== undefined) {
    lines.push(`  <status>${fields.status}</status>`, `  <status_text>${STATUS_NAMES[fields.status] ?? 'UNKNOWN'}</status_text>`);
  }
  lines.push(`  <ref>${escapeXmlText(fields.ref)}</ref>`);
  if (root === 'preautcompletionhresp') {
    // The app really writes this reply with spaces inside the tags.
    return `< ${root} >\n${lines.join('\n')}\n</ ${root} >\n`;
  }
  const closingSpace = root.startsWith('preaut') && !root.startsWith('preauth') ? ' ' : '';
  return `<${root}>\n${lines.join('\n')}\n</${root}${closingSpace}>\n`;
}

function errorReply(root: string, status: number): string {
  return reply(root, 'ERROR', { status, ref: '' });
}
