/**
 * The ways of doing the same sequential pay transactions, each as
 * { key, label, flow?, setup(), once(i), outputs?(), teardown() }: once(i) does one whole
 * transaction and throws if its result is not the simulator's approval; outputs() counts the
 * messages in and out of a Node-RED contender.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Journal, TerminalClient } from '../../src/index';
import * as flows from './flows';
import { type EmbeddedNodeRed, Probe, type ProbeCounts, probeCounts } from './node-red';
import type { PackageApi } from './package';

/** One way of doing the bench's pay transactions. */
export interface Contender {
  key: string;
  label: string;
  flow?: flows.FlowNode[];
  setup(): Promise<void>;
  /** One whole transaction; throws if its result is not the simulator's approval. */
  once(i: number | string): Promise<void>;
  outputs?: () => ProbeCounts;
  /** The folder of this node's journal, once deployed (node contenders). */
  journalFolder?: () => string;
  teardown(): void | Promise<void>;
}

/** A node contender: it always knows its journal's folder. */
export type NodeContender = Contender & { journalFolder: () => string };

const HOST = '127.0.0.1';
const AMOUNT = '12.50';
/** The window the core `tcp request` node waits after a reply's first byte, in mode 'time'. */
export const CORE_TIME_WINDOW_MS = 20;
/** The durable floor's file, beside the node's journal (never the journal itself: that one is locked). */
/** The library contender's own journal: a file of its own, as the node's is locked by its Node-RED. */
const CLIENT_JOURNAL_FILE = 'client-contender.jsonl';
const DURABLE_FLOOR_FILE = 'durable-floor.jsonl';
const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = fs.constants;

function payXml(invoice: string): string {
  return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pay>\n' + `  <invoice>${invoice}</invoice>\n  <sum>${AMOUNT}</sum>\n  <receipt>OFF</receipt>\n  <custrcpt>OFF</custrcpt>\n</pay>\n`;
}

/** A bare socket to the simulator: exchange() writes a request and resolves at the reply's closing tag. */
function rawLink(port: number) {
  let socket: net.Socket | undefined;
  let pending: (() => void) | undefined;
  let text = '';
  return {
    async open(): Promise<void> {
      const opened = net.connect(port, HOST);
      socket = opened;
      opened.setNoDelay(true);
      await new Promise((resolve, reject) => opened.once('connect', resolve).once('error', reject));
      opened.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (pending && text.includes('</payresp>')) {
          text = '';
          const done = pending;
          pending = undefined;
          done();
        }
      });
    },
    exchange(xml: string): Promise<void> {
      return new Promise((resolve) => {
        pending = resolve;
        socket?.write(xml);
      });
    },
    close(): void {
      socket?.destroy();
    },
  };
}

/** 1. The physical floor: write the request, wait for the reply's closing tag, nothing else. */
export function floor(port: number): Contender {
  const link = rawLink(port);
  return {
    key: 'floor',
    label: '1 floor: raw net client',
    setup: () => link.open(),
    once: (i) => link.exchange(payXml(`F-${i}`)),
    teardown() {
      link.close();
    },
  };
}

/**
 * 1d. The floor plus the least a durable journal needs: per payment a begin line (about 200
 * bytes of JSON) appended and flushed (O_DSYNC) before the request goes out, and an end line the
 * same way after the reply, in the folder of the node's journal (the same disk). No checksum,
 * no lock, no duplicate check. journalFolder() names that folder; it is asked once the flows run.
 */
export function durableFloor(port: number, journalFolder: () => string): Contender {
  const link = rawLink(port);
  const terminal = `tcp:${HOST}:${port}`;
  let file: fs.promises.FileHandle | undefined;
  return {
    key: 'floor-durable',
    label: '1d durable floor: raw net client + begin/end lines flushed (O_DSYNC) beside the journal',
    async setup() {
      await link.open();
      const dir = journalFolder();
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      file = await fs.promises.open(path.join(dir, DURABLE_FLOOR_FILE), O_WRONLY | O_APPEND | O_CREAT | O_DSYNC, 0o600);
    },
    async once(i) {
      const invoice = `D-${i}`;
      const begin = { v: 2, at: new Date().toISOString(), id: randomUUID(), event: 'begin', action: 'pay', invoice, amount: AMOUNT, terminal };
      await file?.write(`${JSON.stringify(begin)}\n`);
      await link.exchange(payXml(invoice));
      await file?.write(`${JSON.stringify({ ...begin, at: new Date().toISOString(), event: 'end', outcome: 'ok' })}\n`);
    },
    async teardown() {
      link.close();
      await file?.close();
    },
  };
}

/**
 * 2. TerminalClient from plain Node.js; answerGuardMs 0, or undefined for the package's default.
 * With journalFolder (answerGuardMs 0 only), the client has a journal of its own in that folder:
 * the journal's cost apart from Node-RED's, against the durable floor in the same folder.
 */
export function client(api: PackageApi, port: number, answerGuardMs: number | undefined, journalFolder?: () => string): Contender {
  const zero = answerGuardMs === 0;
  const journaled = journalFolder !== undefined;
  let terminal: TerminalClient | undefined;
  let journal: Journal | undefined;
  return {
    key: journaled ? 'client-guard0-journal' : zero ? 'client-guard0' : 'client',
    label: journaled
      ? "2j client, answerGuardMs: 0, connection reused, with a journal beside the node's"
      : zero
        ? '2z client, answerGuardMs: 0, connection reused, no journal'
        : `2 client (default answerGuardMs ${api.DEFAULT_ANSWER_GUARD_MS} ms), no journal`,
    async setup() {
      if (journaled) {
        journal = new api.Journal(path.join(journalFolder(), CLIENT_JOURNAL_FILE));
        await journal.ready;
      }
      terminal = new api.TerminalClient({
        transport: new api.TcpTransport({ host: HOST, port }),
        // Against the floor's one long-lived connection: the client's reused connection.
        ...(zero && { answerGuardMs: 0, connectionMode: 'reuse' }),
        ...(journal && { journal }),
      });
    },
    async once(i) {
      const invoice = `C${journaled ? 'j' : zero ? 'z' : ''}-${i}`;
      if (!terminal) throw new Error('client: not set up');
      const result = await terminal.pay({ amount: AMOUNT, invoice, receipt: 'OFF', custrcpt: 'OFF' });
      if (result.result !== 'OK' || result.invoice !== invoice) throw new Error(`client: unexpected result ${JSON.stringify(result)}`);
    },
    async teardown() {
      terminal?.close();
      await journal?.close();
    },
  };
}

/**
 * 3. The mypos-pay node in Node-RED: a probe sends the message, the result comes back to it.
 * With guard 0 the config node's client is patched after deploy (the config node does not
 * expose answerGuardMs), labelled "patched instance". Undefined: the default. With journalDir,
 * the config node's journal path (a real setting) points there: a directory in /dev/shm shows
 * what the node costs without waiting for the disk to flush the journal.
 */
export function node(api: PackageApi, nodeRed: EmbeddedNodeRed, port: number, answerGuardMs: number | undefined, journalDir?: string): NodeContender {
  const zero = answerGuardMs === 0;
  const prefix = `n${zero ? 'z' : ''}${journalDir ? 'm' : ''}`;
  const key = `node${zero ? '-guard0' : ''}${journalDir ? '-shm' : ''}`;
  const label = journalDir
    ? '3m mypos-pay node, answerGuardMs: 0 (patched instance), connection reused, journal on tmpfs (/dev/shm)'
    : zero
      ? '3z mypos-pay node, answerGuardMs: 0 (patched instance), connection reused'
      : `3 mypos-pay node (default, ${api.DEFAULT_ANSWER_GUARD_MS} ms guard)`;
  let probe: Probe | undefined;
  return {
    key,
    label,
    flow: [
      flows.terminalConfig(`${prefix}-cfg`, port, {
        ...(zero && { connectionMode: 'reuse' }),
        ...(journalDir && { journalPath: `${journalDir}/${prefix}.jsonl` }),
      }),
      ...flows.actionWithProbe({ probeId: `${prefix}-probe`, nodeId: `${prefix}-pay`, action: 'pay', terminalId: `${prefix}-cfg` }),
    ],
    async setup() {
      if (zero) nodeRed.patchClient(`${prefix}-cfg`, 'answerGuardMs', 0);
      probe = new Probe(`${prefix}-probe`);
    },
    async once(i) {
      const invoice = `${prefix.toUpperCase()}-${i}`;
      if (!probe) throw new Error('node: not set up');
      const out = await probe.request({ payload: AMOUNT, invoice });
      const payload = out.payload as { result?: unknown; invoice?: unknown } | undefined;
      if (payload?.result !== 'OK' || payload.invoice !== invoice) throw new Error(`node: unexpected ${JSON.stringify(out.payload)}`);
    },
    outputs: () => probeCounts(probe ? [probe] : []),
    /** The folder of this node's journal, once deployed. */
    journalFolder: () => path.dirname(nodeRed.journalPath(`${prefix}-cfg`)),
    teardown() {
      // Nothing of its own to close: the flow stops with Node-RED.
    },
  };
}

/** 4. Core nodes only: template -> tcp request -> xml (see flows.coreFlow). */
export function core(port: number, mode: 'sit' | 'time'): Contender {
  const sit = mode === 'sit';
  const { ids, nodes } = flows.coreFlow({ prefix: sit ? 'cs' : 'ct', port, mode, windowMs: CORE_TIME_WINDOW_MS });
  let probe: Probe | undefined;
  return {
    key: sit ? 'core-sit' : 'core-time',
    label: sit ? '4a core nodes, tcp request "keep connection open"' : `4b core nodes, tcp request "fixed timeout ${CORE_TIME_WINDOW_MS} ms"`,
    flow: nodes,
    async setup() {
      probe = new Probe(ids.probe);
    },
    async once(i) {
      const invoice = `${sit ? 'S' : 'T'}-${i}`;
      if (!probe) throw new Error(`core ${mode}: not set up`);
      const out = await probe.request({ payload: AMOUNT, invoice });
      const payload = out.payload as { payresp?: { result?: unknown[] } } | undefined;
      if (out.error || payload?.payresp?.result?.[0] !== 'OK') {
        throw new Error(`core ${mode}: unexpected ${JSON.stringify(out.error ?? out.payload)}`);
      }
    },
    outputs: () => probeCounts(probe ? [probe] : []),
    teardown() {
      // Nothing of its own to close: the flow stops with Node-RED.
    },
  };
}
