// Run as `node --expose-gc --require tsx/cjs test/support/hostile-memory-child.ts <port> <rounds>`
// against the hostile server (hostile-answers.ts) on 127.0.0.1:<port>. For every hostile case: a
// few warm-up requests, forced GC, heapUsed; then <rounds> more requests, forced GC, heapUsed
// again. Prints one JSON line per case: { name, codes, before, after }.
import { TcpTransport, TerminalClient } from '../../src';
import { CASES } from './hostile-answers';

/** One line of this child's output. */
export interface HostileMemoryRow {
  readonly name: string;
  readonly codes: string[];
  readonly before: number;
  readonly after: number;
}

const gc = globalThis.gc;
if (typeof gc !== 'function') {
  process.stderr.write('run me with --expose-gc\n');
  process.exit(2);
}

async function settle(collect: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
  return process.memoryUsage().heapUsed;
}

async function main(collect: () => void): Promise<void> {
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
  const once = async (name: string): Promise<string> => {
    n += 1;
    const result = await client.pay({ amount: '1.00', invoice: `${name}#m${n}` });
    return result.result === 'OK' ? 'OK' : result.code;
  };
  for (const name of Object.keys(CASES)) {
    const codes = new Set<string>();
    for (let i = 0; i < 3; i++) codes.add(await once(name));
    const before = await settle(collect);
    for (let i = 0; i < Number(rounds); i++) codes.add(await once(name));
    const after = await settle(collect);
    const row: HostileMemoryRow = { name, codes: [...codes], before, after };
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
  client.close();
}

main(() => gc()).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
