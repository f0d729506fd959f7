'use strict';
/**
 * A child process that plays the terminals, so the process being measured spends its CPU and
 * memory on the client side only. Driven over IPC by sim-client.js. Everything listens on
 * 127.0.0.1 only.
 *
 * Commands: simulators {count} -> {ports}; records -> {records}; verify {simulator, result}
 * (posted, no answer); verdict -> the counts of verify so far; scripted {scenario} -> {port};
 * hostile {kind, bytes} -> {port}; memory -> process.memoryUsage(); close.
 */
const net = require('node:net');
const { loadApi } = require('./package');
const { SCENARIOS, hostilePayload } = require('./scenarios');

const api = loadApi(process.env.BENCH_PACKAGE_DIR);
const HOST = '127.0.0.1';
/** `...~fault` at the end of an invoice asks the simulator to misbehave on that request. */
const FAULT_TAG = /<invoice>[^<]*~([a-z-]+)<\/invoice>/;
const REPLY_FIELDS = /<result>([^<]*)<\/result>(?:\s*<status>([^<]*)<\/status>)?[\s\S]*?<ref>([^<]*)<\/ref>/;

/**
 * The package's simulator, plus a record of which reply went out for which invoice (so the
 * bench can prove no reply reached the wrong node) and faults picked per request by invoice tag.
 * `handle` and `answer` are private in the TypeScript source; overriding them here keeps the
 * package untouched.
 */
class RecordingSimulator extends api.TerminalSimulator {
  /** index: which of the bench's terminals, put before its refs so that no two give the same. */
  constructor(index) {
    super({ behaviour: {}, refPrefix: String(index).padStart(2, '0') });
    /** invoice -> { result, status, ref } of the reply sent for it. */
    this.replies = new Map();
  }

  handle(stream, frame) {
    const tag = FAULT_TAG.exec(frame.toString('latin1'));
    if (tag) this.nextBehaviours.push({ fault: tag[1], byteDelayMs: 1 });
    super.handle(stream, frame);
    // The base class keeps every message for tests; a long run must not grow on that.
    if (this.received.length > 1000) this.received.length = 0;
  }

  answer(request, behaviour) {
    const reply = super.answer(request, behaviour);
    const key = request.invoice ?? request.preauthCode;
    if (key !== undefined) {
      const fields = reply === undefined ? null : REPLY_FIELDS.exec(reply);
      this.replies.set(key, fields ? { result: fields[1], status: fields[2] ?? null, ref: fields[3] } : { result: 'none' });
    }
    return reply;
  }
}

for (const method of ['handle', 'answer']) {
  if (typeof api.TerminalSimulator.prototype[method] !== 'function') {
    throw new Error(`TerminalSimulator.${method} is gone; update bench/lib/sim-host.js`);
  }
}

const simulators = [];
const servers = new Set();
const sockets = new Set();

function listen(server) {
  servers.add(server);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server.address().port));
  });
}

async function startSimulators({ count }) {
  const ports = [];
  for (let i = 0; i < count; i++) {
    const simulator = new RecordingSimulator(simulators.length);
    simulators.push(simulator);
    ports.push(await simulator.listen(0, HOST));
  }
  return { ports };
}

/** Answers every request (anything ending in a request's closing tag) with the scenario's writes. */
function scripted({ scenario }) {
  const plan = SCENARIOS.find((s) => s.name === scenario);
  if (!plan) throw new Error(`unknown scenario ${scenario}`);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let text = '';
    socket.on('data', (chunk) => {
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
function hostile({ kind, bytes }) {
  const payload = hostilePayload(kind, bytes);
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.write(payload));
  });
  return listen(server).then((port) => ({ port }));
}

function records() {
  return { records: simulators.map((simulator) => [...simulator.replies]) };
}

const verdict = { checked: 0, wrongApproval: 0, wrongRefusal: 0, sentThoughNotSent: 0, unknownOnNormal: 0, examples: [] };

/**
 * Compares one result [key, code, ref, status, outcome] with what simulator `simulator` did for
 * that key, then forgets the key, so neither process keeps anything per transaction: an approval
 * must carry the ref sent for that very request, a decline its status, `Hibás XML` that answer;
 * a result saying nothing was sent must have no request here. An unknown outcome may follow
 * anything, but is counted when the simulator answered normally and no fault was asked.
 */
function verify({ simulator, result }) {
  const replies = simulators[simulator].replies;
  const [key, code, ref, status, outcome] = result;
  const reply = replies.get(key);
  replies.delete(key);
  verdict.checked += 1;
  const wrong = (kind) => {
    verdict[kind] += 1;
    if (verdict.examples.length < 5) verdict.examples.push({ kind, simulator, result, reply: reply ?? null });
  };
  if (code === 'OK') {
    if (reply?.result !== 'OK' || reply.ref !== ref) wrong('wrongApproval');
  } else if (code === 'TERMINAL') {
    if (reply?.result !== 'ERROR' || String(reply.status) !== String(status)) wrong('wrongRefusal');
  } else if (code === 'BAD_XML') {
    if (reply?.result !== 'ERROR' || !/^hib/i.test(reply.ref)) wrong('wrongRefusal');
  } else if (outcome === 'not-sent') {
    if (reply) wrong('sentThoughNotSent');
  } else if (outcome === 'unknown' && !key.includes('~') && reply?.result === 'OK') {
    verdict.unknownOnNormal += 1;
  }
}

async function closeAll() {
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
  verdict: () => verdict,
  memory: () => process.memoryUsage(),
  close: closeAll,
};

/** The first failure of a posted command, reported by the next answered one. */
let failedPost;

process.on('message', async ({ id, cmd, args }) => {
  try {
    if (id !== undefined && failedPost && cmd !== 'close') throw new Error(`a posted command failed earlier: ${failedPost}`);
    const result = await COMMANDS[cmd](args ?? {});
    if (id !== undefined) process.send({ id, result });
    if (cmd === 'close') process.disconnect();
  } catch (error) {
    // A posted command has nobody to answer: it fails the next answered one instead.
    if (id !== undefined) process.send({ id, error: error.stack ?? String(error) });
    else failedPost ??= error.stack ?? String(error);
  }
});
// The parent going away ends this process too: nothing is left behind.
process.on('disconnect', () => process.exit(0));
