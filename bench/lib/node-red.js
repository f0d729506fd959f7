'use strict';
/**
 * An embedded Node-RED 4 runtime, as a user runs it: core nodes, this package installed in the
 * user directory's node_modules (a symlink to the package under test), flows deployed through
 * the runtime API. HTTP on 127.0.0.1 only; the editor is off.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const hub = require('./probe-hub');

const PACKAGE_NAME = '@payment-interface/node-red-mypos';
const LATE_TIMER_MS = 1000;
const GRACE_MS = 1000;

class EmbeddedNodeRed {
  constructor(packageDir) {
    this.packageDir = packageDir;
    this.userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-bench-'));
    /** Log lines at warn and error, counted: the nodes warn on every unknown outcome. */
    this.logCounts = { warn: 0, error: 0, firstWarnings: [], firstErrors: [] };
  }

  async start() {
    const link = path.join(this.userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(this.packageDir, link, 'dir');
    this.RED = require('node-red');
    this.server = http.createServer();
    const counts = this.logCounts;
    this.RED.init(this.server, {
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
          handler: () => (entry) => {
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
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    await this.RED.start();
    const missing = ['mypos-pay', 'mypos-terminal', 'bench-probe', 'tcp request', 'xml', 'template', 'catch'].filter((type) => !this.RED.nodes.getType(type));
    if (missing.length > 0) throw new Error(`Node-RED did not load node types: ${missing.join(', ')}`);
  }

  /** Replaces every flow (a full deploy) and resolves once the nodes are running. */
  async deploy(flows) {
    await this.RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
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

  getNode(id) {
    return this.RED.nodes.getNode(id);
  }

  /** The file a deployed config node's journal writes (its own journalPath, or the shared default). */
  journalPath(configId) {
    const file = this.getNode(configId)?.journal?.path;
    if (typeof file !== 'string') throw new Error(`config node ${configId} has no journal; update the bench`);
    return file;
  }

  /**
   * Sets an option (answerGuardMs, lateAnswerWindowMs) on a deployed config node's client, which the
   * config node does not expose; labelled "patched instance" wherever it is used.
   */
  patchClient(configId, option, value) {
    const client = this.getNode(configId)?.client;
    if (!client) throw new Error(`config node ${configId} has no client`);
    if (!(option in client)) throw new Error(`the client has no ${option}; update the bench`);
    client[option] = value;
    if (client[option] !== value) throw new Error(`cannot set ${option} on the client instance`);
  }

  async stop() {
    try {
      await this.RED?.stop();
      if (this.server?.listening) await new Promise((resolve) => this.server.close(resolve));
    } finally {
      fs.rmSync(this.userDir, { recursive: true, force: true });
    }
  }
}

/**
 * The bench's end of one probe. request(msg) sends msg into the flow, tagged with a sequence
 * number, and resolves with the message that comes back carrying the same number: an action
 * node sends its input message on with the result as payload. Anything else that comes back (a
 * second output, or an output for an earlier input) is counted as extra, with a few examples.
 */
class Probe {
  constructor(id) {
    this.id = id;
    this.sent = 0;
    this.received = 0;
    this.extra = 0;
    this.extraExamples = [];
    this.waiting = undefined;
    this.collecting = undefined;
    hub.listen(id, (msg) => this.arrive(msg));
  }

  arrive(msg) {
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

  request(msg, timeoutMs = 30_000) {
    if (this.waiting) throw new Error(`probe ${this.id} already awaits a message`);
    const seq = ++this.sent;
    return new Promise((resolve, reject) => {
      const due = performance.now() + timeoutMs;
      const expire = (grace) => {
        // A timer that fires long after it was due means the event loop was blocked, and the
        // answer may be waiting in the queue behind it: give it a moment before giving up.
        if (!grace && performance.now() - due > LATE_TIMER_MS) {
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
  async collect(msg, { quietMs = 300, maxMs = 3000 } = {}) {
    const got = [];
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

/** Inputs sent, outputs received and extra outputs over a set of probes. */
function probeCounts(probes) {
  const sum = (pick) => probes.reduce((total, probe) => total + pick(probe), 0);
  return {
    inputs: sum((p) => p.sent),
    outputs: sum((p) => p.received),
    extra: sum((p) => p.extra),
    examples: probes.flatMap((p) => p.extraExamples.map((e) => ({ probe: p.id, ...e }))).slice(0, 3),
  };
}

module.exports = { EmbeddedNodeRed, Probe, probeCounts };
