/**
 * The fault-injection suite (see faults-tcp.test.ts): hostile answers from a terminal (DOCTYPE,
 * entity bombs, deep nesting, 10 MB with no end, __proto__ / constructor names, invalid UTF-8),
 * with the event loop and the heap watched.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { TcpTransport, TerminalClient } from '../src';
import { HOST, baseline, expectResources, sleep, waitFor } from './support/fault-env';
import { EVENT_LOOP_BOUND_MS, OK, QUIET_MS, assertResult, nextCount } from './support/fault-cases';
import type { HostileServer } from './support/hostile-answers';
import { CASES as HOSTILE, startHostileServer } from './support/hostile-answers';
import type { HostileMemoryRow } from './support/hostile-memory-child';
import { typeScriptChild } from './support/typescript-child';

const protoSnapshot = () => ({
  object: Object.getOwnPropertyNames(Object.prototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
  func: Object.getOwnPropertyNames(Function.prototype).sort(),
});

/** What a polluted prototype would show. */
interface Pollutable {
  readonly polluted?: unknown;
  readonly prototype?: unknown;
}

function assertNotPolluted(before: ReturnType<typeof protoSnapshot>): void {
  assert.deepEqual(protoSnapshot(), before, 'Object/Array/Function prototypes are unchanged');
  assert.equal(({} as Pollutable).polluted, undefined, 'Object.prototype.polluted');
  assert.equal(([] as Pollutable).polluted, undefined);
  assert.equal((Object.prototype as Pollutable).prototype, undefined);
}

describe('faults: hostile answers from the terminal', function () {
  this.timeout(20000);
  let server: HostileServer | undefined;
  let snapshot: ReturnType<typeof protoSnapshot>;

  before(async () => {
    snapshot = protoSnapshot();
    server = await startHostileServer();
  });

  after(async () => {
    await server?.stop();
    assertNotPolluted(snapshot);
  });

  for (const [name, { expect }] of Object.entries(HOSTILE)) {
    const expected = expect.result === 'OK' ? 'OK' : `${expect.code}/${expect.outcome}`;
    it(`${name} -> ${expected}, quickly, without blocking the event loop; the next request is answered normally`, async () => {
      const before = await baseline();
      assert.ok(server, 'the hostile server started');
      const hostile = server;
      const client = new TerminalClient({
        transport: new TcpTransport({ host: HOST, port: hostile.port }),
        // Long enough that a rejection by waiting would show as TIMEOUT, not as the expected code.
        responseTimeoutMs: 8000,
        replyStallTimeoutMs: 8000,
        connectTimeoutMs: 2000,
        // No pause after an unknown outcome: no late answer is coming here.
        lateAnswerWindowMs: 0,
      });
      try {
        // Three times: the median of the three worst delays is what the answer costs, not a GC
        // pause or another process taking the CPU for a moment.
        const maxima: number[] = [];
        const invoices: string[] = [];
        for (let round = 0; round < 3; round++) {
          const invoice = `${name}#${nextCount()}`;
          invoices.push(invoice);
          const delay = monitorEventLoopDelay({ resolution: 1 });
          delay.enable();
          const started = performance.now();
          const result = await client.pay({ amount: '1.00', invoice });
          const elapsed = performance.now() - started;
          await sleep(20);
          delay.disable();
          maxima.push(delay.max / 1e6);
          console.log(`        ${name}: ${result.result === 'OK' ? 'OK' : result.code} after ${elapsed.toFixed(1)} ms; event loop max delay ${(delay.max / 1e6).toFixed(1)} ms`);
          assertResult(result, expect.result === 'OK' ? OK : expect, 'pay', { amount: '1.00', invoice });
          if (expect.result === 'OK') assert.equal(result.ref, `${expect.refPrefix}${invoice}`);
          assertNotPolluted(snapshot);
          if (expect.result === 'ERROR' && expect.outcome === 'unknown') assert.equal(client.connectionState, 'disconnected', 'the connection was dropped');
          await waitFor(() => hostile.received.get(invoice) === 1, 'the server to report the request');
        }
        const median = [...maxima].sort((x, y) => x - y)[1];
        assert.ok(median < EVENT_LOOP_BOUND_MS, `the event loop was blocked for ${median.toFixed(1)} ms (median of ${maxima.map((m) => m.toFixed(1)).join(', ')}; bound ${EVENT_LOOP_BOUND_MS} ms)`);

        const normal = `normal#${nextCount()}`;
        const next = await client.pay({ amount: '1.00', invoice: normal });
        assertResult(next, OK, 'pay', { amount: '1.00', invoice: normal });
        assert.equal(next.ref, `NORMAL-${normal}`);
        await waitFor(() => hostile.received.get(normal) === 1, 'the server to report the follow-up');
        await sleep(QUIET_MS);
        for (const invoice of invoices) assert.equal(hostile.received.get(invoice), 1, `${invoice} was sent exactly once`);
      } finally {
        client.close();
      }
      await expectResources(before, `after "${name}"`);
    });
  }

  it('no hostile answer grows the heap: 20 more of each, heapUsed after forced GC (child node --expose-gc)', async function () {
    this.timeout(60000);
    assert.ok(server, 'the hostile server started');
    const child = spawn(process.execPath, ['--expose-gc', ...typeScriptChild(path.join(__dirname, 'support', 'hostile-memory-child.ts'), String(server.port), '20')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, `the memory child failed: ${stderr}`);
    const rows = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as HostileMemoryRow);
    assert.deepEqual(
      rows.map((row) => row.name),
      Object.keys(HOSTILE),
    );
    const MB = 1024 * 1024;
    for (const row of rows) {
      const growth = (row.after - row.before) / MB;
      console.log(
        `        ${row.name.padEnd(30)} ${row.codes.join(',').padEnd(9)} heap ${(row.before / MB).toFixed(2)} -> ${(row.after / MB).toFixed(2)} MB (${growth >= 0 ? '+' : ''}${growth.toFixed(2)})`,
      );
      const { expect } = HOSTILE[row.name];
      assert.deepEqual(row.codes, [expect.result === 'OK' ? 'OK' : expect.code], row.name);
      assert.ok(growth < 2, `${row.name}: the heap grew by ${growth.toFixed(2)} MB over 20 answers`);
    }
  });
});
