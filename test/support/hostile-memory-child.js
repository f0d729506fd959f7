'use strict';
// Run as `node --expose-gc test/support/hostile-memory-child.js <port> <rounds>` against the
// hostile server (hostile-answers.js) on 127.0.0.1:<port>. For every hostile case: a few warm-up
// requests, forced GC, heapUsed; then <rounds> more requests, forced GC, heapUsed again. Prints
// one JSON line per case: { name, codes, before, after }.
const { TcpTransport, TerminalClient } = require('../../dist/src');
const { CASES } = require('./hostile-answers');

const gc = global.gc;
if (typeof gc !== 'function') {
  process.stderr.write('run me with --expose-gc\n');
  process.exit(2);
}

async function settle() {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

async function main() {
  const [port, rounds = '20'] = process.argv.slice(2);
  const client = new TerminalClient({
    transport: new TcpTransport({ host: '127.0.0.1', port: Number(port) }),
    responseTimeoutMs: 5000,
    replyStallTimeoutMs: 5000,
    connectTimeoutMs: 2000,
    // No pause after an unknown outcome: no late answer is coming, and 460 requests must be quick.
    lateAnswerWindowMs: 0,
  });
  let n = 0;
  const once = async (name) => {
    n += 1;
    const result = await client.pay({ amount: '1.00', invoice: `${name}#m${n}` });
    return result.result === 'OK' ? 'OK' : result.code;
  };
  for (const name of Object.keys(CASES)) {
    const codes = new Set();
    for (let i = 0; i < 3; i++) codes.add(await once(name));
    const before = await settle();
    for (let i = 0; i < Number(rounds); i++) codes.add(await once(name));
    const after = await settle();
    process.stdout.write(`${JSON.stringify({ name, codes: [...codes], before, after })}\n`);
  }
  client.close();
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
