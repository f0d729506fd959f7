/**
 * An embedded Node-RED 4 runtime, as a user runs it: core nodes, this package installed in the
 * user directory's node_modules (a symlink to the package under test), flows deployed through
 * the runtime API. HTTP on 127.0.0.1 only; the editor is off.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { TerminalClient } from '../../src/client/terminal-client';
import type { NodeMessage } from '../../nodes/node-red';
import type { TerminalConfigNode } from '../../nodes/terminal-settings';
import type { FlowNode } from './flows';
import * as hub from './probe-hub';

const PACKAGE_NAME = '@payment-interface/node-red-mypos';
const LATE_TIMER_MS = 1000;
const GRACE_MS = 1000;

/** A log event as Node-RED hands it to a logging handler. */
interface LogEntry {
  level: number;
  msg: unknown;
}

/** The part of Node-RED's embedding API (require('node-red')) the bench uses; node-red ships no types. */
interface NodeRedRuntime {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getType(type: string): unknown; getNode(id: string): unknown };
  runtime: { flows: { setFlows(options: { flows: { flows: FlowNode[] }; deploymentType: 'full' | 'nodes' | 'flows' }): Promise<unknown> } };
}

/** The client options the bench sets on a deployed client, which the config node does not expose. */
export type PatchableOption = 'answerGuardMs' | 'lateAnswerWindowMs';

export interface LogCounts {
  warn: number;
  error: number;
  firstWarnings: string[];
  firstErrors: string[];
}

const loadModule = createRequire(__filename);

export class EmbeddedNodeRed {
  readonly userDir: string;
  /** Log lines at warn and error, counted: the nodes warn on every unknown outcome. */
  readonly logCounts: LogCounts = { warn: 0, error: 0, firstWarnings: [], firstErrors: [] };
  private RED: NodeRedRuntime | undefined;
  private server: http.Server | undefined;

  constructor(readonly packageDir: string) {
    this.userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-bench-'));
  }

  async start(): Promise<void> {
    const link = path.join(this.userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(this.packageDir, link, 'dir');
    const RED = loadModule('node-red') as NodeRedRuntime;
    this.RED = RED;
    const server = http.createServer();
    this.server = server;
    const counts = this.logCounts;
    RED.init(server, {
      userDir: this.userDir,
      nodesDir: [path.join(__dirname, '..', 'nodes')],
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: '/admin',
      httpNodeRoot: '/api',
      disableEditor: true,
      uiHost: '127.0.0.1',
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      logging: {
        console: { level: process.env.BENCH_NODE_RED_LOG || 'off' },
        bench: {
          level: 'warn',
          handler: () => (entry: LogEntry) => {
            if (entry.level === 30) {
              counts.warn += 1; // Node-RED's WARN
              if (counts.firstWarnings.length < 3) counts.firstWarnings.push(String(entry.msg).slice(0, 200));
            }
            if (entry.level <= 20) {
              counts.error += 1;
              if (counts.firstErrors.length < 3) counts.firstErrors.push(String(entry.msg).slice(0, 200));
            }
          },
        },
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await RED.start();
    const missing = ['mypos-pay', 'mypos-terminal', 'bench-probe', 'tcp request', 'xml', 'template', 'catch'].filter((type) => !RED.nodes.getType(type));
    if (missing.length > 0) throw new Error(`Node-RED did not load node types: ${missing.join(', ')}`);
  }

  private get runtime(): NodeRedRuntime {
    if (!this.RED) throw new Error('Node-RED is not started');
    return this.RED;
  }

  /** Replaces every flow (a full deploy) and resolves once the nodes are running. */
  async deploy(flows: FlowNode[]): Promise<void> {
    await this.runtime.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
    // setFlows resolves once the flows are saved; they start a little later.
    const ids = flows.filter((n) => n.type !== 'tab').map((n) => n.id);
    const deadline = Date.now() + 10_000;
    while (!ids.every((id) => this.getNode(id))) {
      if (Date.now() > deadline) throw new Error(`nodes did not start: ${ids.filter((id) => !this.getNode(id)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const node of flows.filter((n) => n.type === 'bench-probe')) {
      if (!hub.has(node.id)) throw new Error(`probe ${node.id} did not start`);
    }
  }

  /** A deployed node; the bench asks only for config nodes (mypos-terminal) by their id, and for presence. */
  getNode(id: string): TerminalConfigNode | undefined {
    return (this.RED?.nodes.getNode(id) ?? undefined) as TerminalConfigNode | undefined;
  }

  /** The file a deployed config node's journal writes (its own journalPath, or the shared default). */
  journalPath(configId: string): string {
    const file: unknown = this.getNode(configId)?.journal?.path;
    if (typeof file !== 'string') throw new Error(`config node ${configId} has no journal; update the bench`);
    return file;
  }

  /**
   * Sets an option (answerGuardMs, lateAnswerWindowMs) on a deployed config node's client, which the
   * config node does not expose; labelled "patched instance" wherever it is used.
   */
  patchClient(configId: string, option: PatchableOption, value: number): void {
    const client = this.getNode(configId)?.client;
    if (!client) throw new Error(`config node ${configId} has no client`);
    if (!(option in client)) throw new Error(`the client has no ${option}; update the bench`);
    // The options are readonly in the client's type: the bench writes them on this one instance on purpose.
    const patchable = client as { -readonly [Key in PatchableOption]: TerminalClient[Key] };
    patchable[option] = value;
    if (client[option] !== value) throw new Error(`cannot set ${option} on the client instance`);
  }

  async stop(): Promise<void> {
    try {
      await this.RED?.stop();
      const server = this.server;
      if (server?.listening) await new Promise((resolve) => server.close(resolve));
    } finally {
      fs.rmSync(this.userDir, { recursive: true, force: true });
    }
  }
}

/** A message the bench sends into a flow or gets back from it, tagged with the probe's sequence number. */
export type BenchMessage = NodeMessage & { benchSeq?: number; error?: unknown };

interface Waiting {
  seq: number;
  resolve: (msg: BenchMessage) => void;
  timer: NodeJS.Timeout;
}

/**
 * The bench's end of one probe. request(msg) sends msg into the flow, tagged with a sequence
 * number, and resolves with the message that comes back carrying the same number: an action
 * node sends its input message on with the result as payload. Anything else that comes back (a
 * second output, or an output for an earlier input) is counted as extra, with a few examples.
 */
export class Probe {
  sent = 0;
  received = 0;
  extra = 0;
  readonly extraExamples: { benchSeq: unknown; awaited: number | null; payload: unknown }[] = [];
  private waiting: Waiting | undefined = undefined;
  private collecting: { msg: BenchMessage; atMs: number }[] | undefined = undefined;
  private collectStart = 0;

  constructor(readonly id: string) {
    hub.listen(id, (msg) => this.arrive(msg));
  }

  private arrive(msg: BenchMessage): void {
    this.received += 1;
    if (this.collecting) {
      this.collecting.push({ msg, atMs: performance.now() - this.collectStart });
      return;
    }
    const waiting = this.waiting;
    if (!waiting || msg.benchSeq !== waiting.seq) {
      this.extra += 1;
      if (this.extraExamples.length < 3) this.extraExamples.push({ benchSeq: msg.benchSeq, awaited: waiting?.seq ?? null, payload: msg.payload });
      return;
    }
    this.waiting = undefined;
    clearTimeout(waiting.timer);
    waiting.resolve(msg);
  }

  request(msg: NodeMessage, timeoutMs = 30_000): Promise<BenchMessage> {
    if (this.waiting) throw new Error(`probe ${this.id} already awaits a message`);
    const seq = ++this.sent;
    return new Promise((resolve, reject) => {
      const due = performance.now() + timeoutMs;
      const expire = (grace: boolean) => {
        // A timer that fires long after it was due means the event loop was blocked, and the
        // answer may be waiting in the queue behind it: give it a moment before giving up.
        if (!grace && performance.now() - due > LATE_TIMER_MS && this.waiting) {
          this.waiting.timer = setTimeout(() => expire(true), GRACE_MS);
          return;
        }
        this.waiting = undefined;
        reject(new Error(`no output for input ${seq} at probe ${this.id} within ${timeoutMs} ms`));
      };
      this.waiting = { seq, resolve, timer: setTimeout(() => expire(false), timeoutMs) };
      hub.send(this.id, { ...msg, benchSeq: seq });
    });
  }

  /**
   * Sends msg and gathers everything that comes back: after the first message, until quietMs
   * pass without another; with none, until maxMs.
   */
  async collect(msg: NodeMessage, { quietMs = 300, maxMs = 3000 }: { quietMs?: number; maxMs?: number } = {}): Promise<{ msg: BenchMessage; atMs: number }[]> {
    const got: { msg: BenchMessage; atMs: number }[] = [];
    this.sent += 1;
    this.collecting = got;
    this.collectStart = performance.now();
    hub.send(this.id, msg);
    let seen = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      if (performance.now() - this.collectStart >= maxMs) break;
      if (got.length > 0 && got.length === seen) break;
      seen = got.length;
    }
    this.collecting = undefined;
    return got;
  }
}

export interface ProbeCounts {
  inputs: number;
  outputs: number;
  extra: number;
  examples: { probe: string; benchSeq: unknown; awaited: number | null; payload: unknown }[];
}

/** Inputs sent, outputs received and extra outputs over a set of probes. */
export function probeCounts(probes: readonly Probe[]): ProbeCounts {
  const sum = (pick: (probe: Probe) => number) => probes.reduce((total, probe) => total + pick(probe), 0);
  return {
    inputs: sum((p) => p.sent),
    outputs: sum((p) => p.received),
    extra: sum((p) => p.extra),
    examples: probes.flatMap((p) => p.extraExamples.map((e) => ({ probe: p.id, ...e }))).slice(0, 3),
  };
}
