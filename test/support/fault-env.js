'use strict';
// Building blocks of the fault-injection suite (test/faults.test.js): a terminal client wired to
// the simulator over TCP (127.0.0.1 only) or over a socat pty pair, with a journal, a record of
// every request the simulator received and every answer it made, and a check that nothing
// (socket, server, timer, file handle) is left behind once both ends are closed.
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Journal, SerialTransport, TcpTransport, TerminalClient, TerminalSimulator } = require('../../dist/src');
const { PtyPair } = require('./pty');

const HOST = '127.0.0.1';
const { delay: sleep, waitFor } = require('./wait');
const { resources, baseline, expectResources } = require('./resources');
const { freePort } = require('./ports');

/** The `<ref>` of an answer the simulator wrote. */
function refOf(answer) {
  const match = /<ref>([^<]*)<\/ref>/.exec(answer ?? '');
  return match ? match[1] : undefined;
}

/** What identifies a request on the wire: its invoice, or for complete/cancel its code. */
function keyOf(request) {
  if (!request) return undefined;
  return request.invoice !== undefined ? `${request.action}:${request.invoice}` : `${request.action}:${request.preauthCode}`;
}

/**
 * Watches a simulator: every request it received (`received`) and every answer it decided on
 * (`answers`, with the request it answers), across simulators when a link is rebuilt.
 */
class WireLog {
  constructor() {
    this.received = [];
    this.answers = [];
    this.listeners = [];
  }

  attach(simulator) {
    const log = this;
    const received = simulator.received;
    const push = received.push.bind(received);
    received.push = function (...messages) {
      for (const message of messages) {
        log.received.push(message);
        for (const listener of log.listeners) listener(message);
      }
      return push(...messages);
    };
    // `answer` is the simulator's private decision function; wrapping it records which answer
    // was made for which request, so a test can tell a request's own answer from another's.
    const answer = simulator.answer.bind(simulator);
    simulator.answer = (request, behaviour) => {
      const text = answer(request, behaviour);
      log.answers.push({ key: keyOf(request), request, answer: text, ref: refOf(text) });
      return text;
    };
    // An extra fault: `repeatAfterMs` writes the same answer again that much later, as a terminal
    // whose two writes of one answer are split by Nagle's algorithm and a delayed ACK.
    const send = simulator.send.bind(simulator);
    simulator.send = (stream, text, behaviour) => {
      send(stream, text, behaviour);
      if (text !== undefined && behaviour.repeatAfterMs !== undefined) {
        simulator.later(behaviour.repeatAfterMs, () => {
          if (!stream.destroyed) stream.write(text);
        });
      }
    };
    return simulator;
  }

  onReceive(listener) {
    this.listeners.push(listener);
  }

  /** How many times the request with this key reached the terminal. */
  count(key) {
    return this.received.filter((message) => keyOf(message.request) === key).length;
  }

  /** The refs of the answers made for the request with this key. */
  refsFor(key) {
    return this.answers.filter((entry) => entry.key === key).map((entry) => entry.ref);
  }
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Journal records about one request: `begin` and `end` lines with this key. */
function journalRecords(file, key) {
  if (!fs.existsSync(file)) return { begins: [], ends: [] };
  const records = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
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

/**
 * The client against the simulator over TCP on 127.0.0.1, with a journal in a fresh directory.
 * `close()` closes everything and removes the directory.
 */
async function tcpEnv({ clientOptions = {}, behaviour = {} } = {}) {
  const log = new WireLog();
  const simulator = log.attach(new TerminalSimulator({ behaviour }));
  const port = await simulator.listen(0, HOST);
  let accepted = 0;
  const serve = simulator.serve.bind(simulator);
  simulator.serve = (stream) => {
    accepted += 1;
    // Every write goes out at once: `bytewise` then really arrives in one-byte pieces, and the two
    // copies of `twice` back to back (a repeat that comes later is the `repeatAfterMs` fault).
    stream.setNoDelay(true);
    serve(stream);
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

/**
 * The client over a serial link: a socat pty pair, the simulator serving one end, the client
 * (kept open, as the config node does for serial) the other. The link can vanish (socat killed,
 * as when a Bluetooth terminal goes away) and come back with a fresh simulator.
 */
async function serialEnv({ clientOptions = {}, behaviour = {} } = {}) {
  const log = new WireLog();
  const pty = new PtyPair();
  await pty.start();
  const simulators = [];
  const ports = [];
  const newSimulator = async () => {
    const simulator = log.attach(new TerminalSimulator({ behaviour }));
    const serve = simulator.serve.bind(simulator);
    simulator.serve = (port) => {
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
      serve(port);
    };
    await simulator.serveSerial(pty.terminalSide);
    simulators.push(simulator);
    return simulator;
  };
  /** Closes every simulator port that is still open. */
  const closePorts = () => Promise.all(ports.filter((port) => port.isOpen).map((port) => new Promise((resolve) => port.close(() => resolve()))));
  let simulator = await newSimulator();
  const dir = tempDir('mypos-faults-serial-');
  const journalFile = path.join(dir, 'terminal.jsonl');
  const journal = new Journal(journalFile);
  const client = new TerminalClient({
    transport: new SerialTransport({ path: pty.nodeSide }),
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
  const env = {
    kind: 'serial',
    log,
    pty,
    client,
    journal,
    journalFile,
    get simulator() {
      return simulator;
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

/**
 * A raw TCP server on 127.0.0.1 for answers the simulator cannot make. `onRequest(socket, xml)`
 * is called for each whole request received.
 */
async function rawServer(onRequest) {
  const sockets = new Set();
  const timers = new Set();
  const requests = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let match;
      while ((match = /<\/(pay|refund|preauth|preauthcompletion|preauthcancel)>/.exec(buffer))) {
        const xml = buffer.slice(0, match.index + match[0].length);
        buffer = buffer.slice(match.index + match[0].length);
        requests.push(xml);
        onRequest(socket, xml);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    port: server.address().port,
    sockets,
    requests,
    later(ms, fn) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = {
  HOST,
  WireLog,
  baseline,
  expectResources,
  freePort,
  journalRecords,
  keyOf,
  rawServer,
  refOf,
  resources,
  serialEnv,
  sleep,
  tcpEnv,
  tempDir,
  waitFor,
};
