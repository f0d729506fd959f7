'use strict';
// Run as `node test/support/long-input-child.js <case> <port>`: builds a very long input (about
// 1 MB), hands it to client.pay against 127.0.0.1:<port> (nothing listens there), and prints
// { code, ms }. A child process, so that a parent can kill it when the input rules take too long
// (a quadratic regular expression would block Node-RED's event loop for minutes).
const { TcpTransport, TerminalClient } = require('../../dist/src');

const MB = 1024 * 1024;
const INPUTS = {
  'amount-1mb-digits': () => ({ amount: '1'.repeat(MB) }),
  'amount-1mb-leading-zeros': () => ({ amount: `${'0'.repeat(MB)}1.00` }),
  'amount-1mb-fraction-zeros': () => ({ amount: `0.${'0'.repeat(MB)}1` }),
  'amount-1mb-letters': () => ({ amount: 'a'.repeat(MB) }),
  'amount-1mb-digits-then-exponent': () => ({ amount: `${'1'.repeat(MB)}e5` }),
  'invoice-1mb': () => ({ amount: '1.00', invoice: 'A'.repeat(MB) }),
  'receipt-1mb': () => ({ amount: '1.00', receipt: 'O'.repeat(MB) }),
};

async function main() {
  const [name, port] = process.argv.slice(2);
  const client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: Number(port) }), connectTimeoutMs: 2000 });
  const fields = INPUTS[name]();
  const started = process.hrtime.bigint();
  const result = await client.pay(fields);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  client.close();
  process.stdout.write(`${JSON.stringify({ code: result.result === 'OK' ? 'OK' : result.code, outcome: result.outcome, ms, messageLength: (result.message ?? '').length })}\n`);
}

if (require.main === module) main();

module.exports = { INPUTS };
