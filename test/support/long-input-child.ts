// Run as `node --require tsx/cjs test/support/long-input-child.ts <case> <port>`: builds a very
// long input (about 1 MB), hands it to client.pay against 127.0.0.1:<port> (nothing listens
// there), and prints { code, ms } (after LONG_INPUT_READY, and a line from the parent). A child process, so that a parent can kill it when the input
// rules take too long (a quadratic regular expression would block Node-RED's event loop for minutes).
import { TcpTransport, TerminalClient } from '../../src';
import type { ActionFields } from '../../src';

/** What the child prints. */
export interface LongInputRun {
  readonly code: string;
  readonly outcome: string | undefined;
  readonly ms: number;
  readonly messageLength: number;
}

/**
 * The line the child prints once loaded; it then waits for a line on stdin before it builds the
 * input, so that a parent can start several at once (none still loading, which tsx makes take
 * seconds on a loaded machine) and time them from there.
 */
export const LONG_INPUT_READY = 'READY';

const MB = 1024 * 1024;
export const INPUTS: Readonly<Record<string, () => ActionFields>> = {
  'amount-1mb-digits': () => ({ amount: '1'.repeat(MB) }),
  'amount-1mb-leading-zeros': () => ({ amount: `${'0'.repeat(MB)}1.00` }),
  'amount-1mb-fraction-zeros': () => ({ amount: `0.${'0'.repeat(MB)}1` }),
  'amount-1mb-letters': () => ({ amount: 'a'.repeat(MB) }),
  'amount-1mb-digits-then-exponent': () => ({ amount: `${'1'.repeat(MB)}e5` }),
  'invoice-1mb': () => ({ amount: '1.00', invoice: 'A'.repeat(MB) }),
  'receipt-1mb': () => ({ amount: '1.00', receipt: 'O'.repeat(MB) }),
};

async function main(): Promise<void> {
  const [name, port] = process.argv.slice(2);
  process.stdout.write(`${LONG_INPUT_READY}\n`);
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  const client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: Number(port) }), connectTimeoutMs: 2000 });
  const fields = INPUTS[name]();
  const started = process.hrtime.bigint();
  const result = await client.pay(fields);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  client.close();
  const run: LongInputRun = {
    code: result.result === 'OK' ? 'OK' : result.code,
    outcome: result.result === 'OK' ? undefined : result.outcome,
    ms,
    messageLength: (result.result === 'OK' ? '' : result.message).length,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

if (require.main === module) void main();
