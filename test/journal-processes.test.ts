// The journal's guarantees that only whole processes can show: one writer per journal file
// across Node-RED processes, a time limit on every file operation when the disk really hangs
// (a frozen ext4 file system), and a FIFO refused as a journal. Each test starts real Node-RED
// child processes (test/support/payment-node-red) and a terminal simulator on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TerminalSimulator } from '../src';
import type { TransactionResult } from '../src';
import { REOPEN_AFTER_MS } from '../src/journal/journal';
import { startPaymentNodeRed } from './support/payment-node-red';
import { typeScriptChild } from './support/typescript-child';
import { delay, waitFor } from './support/wait';

/** A Node-RED process with the payment flow (support/payment-node-red). */
type PaymentNodeRed = Awaited<ReturnType<typeof startPaymentNodeRed>>;

/** What POST /pay answered: the result (msg.payload, or the text of a body that is not JSON), and how long it took. */
interface PayAnswer {
  readonly status: number;
  readonly body: Partial<Omit<TransactionResult, 'result'>> & { readonly result?: string; readonly code?: string; readonly message?: string; readonly outcome?: string };
  readonly ms: number;
}

/** POST /pay to that Node-RED. */
async function pay(nodeRed: PaymentNodeRed, body: object): Promise<PayAnswer> {
  return (await nodeRed.pay(body)) as PayAnswer;
}

/** How a child process ended. */
interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
}

/** Node-RED gives up waiting for nodes to close after this long. */
const NODE_RED_CLOSE_TIMEOUT_MS = 15000;

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function payment(invoice: string): { amount: number; invoice: string } {
  return { amount: 1.5, invoice };
}

function receivedInvoices(simulator: TerminalSimulator | undefined): (string | undefined)[] | undefined {
  return simulator?.received.map((message) => message.request?.invoice);
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves { code, signal, ms } when the child exits, or undefined if it is still running after ms. */
function exitWithin(child: ChildProcess, ms: number): Promise<Exit | undefined> {
  const started = performance.now();
  if (!running(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode, ms: 0 });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(undefined);
    }, ms);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: performance.now() - started });
    };
    child.once('exit', onExit);
  });
}

/** SIGKILLs whatever the test left running and waits (bounded) until each is gone. */
async function killLeftovers(nodeReds: PaymentNodeRed[]): Promise<void> {
  for (const nodeRed of nodeReds.splice(0)) {
    if (!running(nodeRed.child)) continue;
    nodeRed.child.kill('SIGKILL');
    if (!(await exitWithin(nodeRed.child, 10000))) console.error(`    Node-RED pid ${nodeRed.child.pid} did not end after SIGKILL`);
  }
}

/** Waits until the journal file holds the end of `invoice`: its last write is done, nothing is pending. */
async function waitForEndLine(journalFile: string, invoice: string): Promise<void> {
  const ended = new RegExp(`"event":"end"[^\\n]*"invoice":"${invoice}"|"invoice":"${invoice}"[^\\n]*"event":"end"`);
  await waitFor(() => fs.existsSync(journalFile) && ended.test(fs.readFileSync(journalFile, 'utf8')), `the end of ${invoice} in ${journalFile}`, 5000);
}

function assertRefused(answer: PayAnswer, code: string, outcome: string, what: string): void {
  assert.equal(answer.status, 200, `${what}: HTTP status (body ${JSON.stringify(answer.body)})`);
  assert.equal(answer.body.result, 'ERROR', `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.code, code, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.outcome, outcome, `${what}: ${JSON.stringify(answer.body)}`);
}

function assertPaid(answer: PayAnswer, what: string): void {
  assert.equal(answer.status, 200, `${what}: HTTP status (body ${JSON.stringify(answer.body)})`);
  assert.equal(answer.body.result, 'OK', `${what}: ${JSON.stringify(answer.body)}`);
}

describe('journal across real Node-RED processes', function () {
  this.timeout(120000);
  let simulator: TerminalSimulator;
  let port: number;
  let nodeReds: PaymentNodeRed[];
  let dirs: string[];

  beforeEach(async () => {
    simulator = new TerminalSimulator();
    port = await simulator.listen(0, '127.0.0.1');
    nodeReds = [];
    dirs = [];
  });

  afterEach(async () => {
    await killLeftovers(nodeReds);
    await simulator.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(userDir: string, overrides: Record<string, string>): Promise<PaymentNodeRed> {
    const nodeRed = await startPaymentNodeRed(userDir, port, overrides);
    nodeReds.push(nodeRed);
    return nodeRed;
  }

  function newDir(prefix: string): string {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  }

  it('lets one Node-RED write a journal file; a second is refused (JOURNAL, naming the holder) until the first stops', async function () {
    const shared = newDir('mypos-journal-shared-');
    const journalPath = path.join(shared, 'journal.jsonl');
    const a = await start(newDir('mypos-userdir-a-'), { journalPath });
    // A pays first: its journal is open (and holds the lock) before B starts.
    assertPaid(await pay(a, payment('INV-A')), 'A pays INV-A');
    const b = await start(newDir('mypos-userdir-b-'), { journalPath });

    const refused = await pay(b, payment('INV-B1'));
    assertRefused(refused, 'JOURNAL', 'not-sent', 'B while A holds the journal');
    assert.match(refused.body.message ?? '', new RegExp(`in use by another Node-RED \\(process ${a.child.pid}\\b`));
    assert.deepEqual(receivedInvoices(simulator), ['INV-A'], 'B sent nothing to the terminal');
    await waitFor(() => /in use by another Node-RED \(process \d+/.test(b.log()), "B's log saying the journal is in use", 5000);

    // A keeps working while B is refused.
    assertPaid(await pay(a, payment('INV-A2')), 'A pays INV-A2 while B is refused');

    // When A stops, the kernel frees the lock; B opens the journal on its next request (at most every 5 s).
    await a.stop();
    await delay(REOPEN_AFTER_MS + 1000);
    assertPaid(await pay(b, payment('INV-B2')), 'B pays INV-B2 after A stopped');
    // B read A's history from the file: INV-A is refused, not charged twice.
    const again = await pay(b, payment('INV-A'));
    assertRefused(again, 'DUPLICATE', 'not-sent', 'B repeats INV-A');
    assert.deepEqual(receivedInvoices(simulator), ['INV-A', 'INV-A2', 'INV-B2']);
  });

  it('refuses a FIFO as the journal at once, and SIGTERM still ends Node-RED promptly', async function () {
    const dir = newDir('mypos-journal-fifo-');
    const fifo = path.join(dir, 'journal.jsonl');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.error || made.status !== 0) {
      if (process.env.CI) assert.fail(`mkfifo failed: ${made.error ?? made.stderr}`);
      console.log(`      skipped: mkfifo failed: ${made.error ?? made.stderr}`);
      this.skip();
    }
    const nodeRed = await start(newDir('mypos-userdir-fifo-'), { journalPath: fifo });

    // Reading or opening a FIFO with no writer would block a thread forever: the journal must refuse it unopened.
    const answer = await pay(nodeRed, payment('INV-F1'));
    assertRefused(answer, 'JOURNAL', 'not-sent', 'payment with a FIFO as the journal');
    assert.match(answer.body.message ?? '', /not a regular file/);
    assert.ok(answer.ms < 2000, `the JOURNAL answer took ${Math.round(answer.ms)} ms`);
    assert.deepEqual(receivedInvoices(simulator), []);

    nodeRed.child.kill('SIGTERM');
    const exit = await exitWithin(nodeRed.child, 5000);
    assert.ok(exit, `Node-RED still running 5 s after SIGTERM:\n${nodeRed.log()}`);
    console.log(`      FIFO: JOURNAL answer ${Math.round(answer.ms)} ms; exit ${Math.round(exit.ms)} ms after SIGTERM (code ${exit.code}, signal ${exit.signal})`);
  });
});

/**
 * A disk that stops answering, for real: an ext4 image loop-mounted and frozen with fsfreeze,
 * so that writes block in the kernel (uninterruptibly) until it is thawed. Needs root; CI runs
 * as root and must run it, so there a missing prerequisite is a failure, not a skip.
 *
 * The three tests below share one mount and one Node-RED and run in order: the first leaves the
 * disk frozen with a write hung in Node-RED, the second stops that Node-RED, the third thaws the
 * disk and starts a new one.
 */
describe('journal: a process whose disk call never returns can still exit', function () {
  this.timeout(20000);

  it('gives up the request after the time limit, and exits (SIGKILL by its own hand) instead of waiting for the hung thread', async () => {
    const dir = tempDir('mypos-hung-exit-');
    try {
      const fifo = path.join(dir, 'nobody-reads');
      spawnSync('mkfifo', [fifo]);
      const child = spawn(process.execPath, typeScriptChild(path.join(__dirname, 'support', 'journal-hung-exit-child.ts'), path.join(dir, 'journal.jsonl'), fifo), {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exit = await exitWithin(child, 5000);
      if (!exit) child.kill('SIGKILL');
      assert.ok(exit, `the process still runs 5 s later:\n${out}`);
      assert.match(out, /refused: write .* did not finish within 0.2 s/);
      assert.match(out, /1 disk operation\(s\) never returned; ending the process/);
      assert.equal(exit.signal, 'SIGKILL');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('journal on a hung disk (frozen ext4, real Node-RED)', function () {
  this.timeout(120000);
  let simulator: TerminalSimulator | undefined;
  let workDir: string | undefined;
  let image: string;
  let mountPoint: string;
  let mounted = false;
  let journalPath: string;
  let nodeRed: PaymentNodeRed | undefined;
  let second: PaymentNodeRed | undefined;
  const nodeReds: PaymentNodeRed[] = [];
  const userDirs: string[] = [];
  let port: number;

  function run(command: string, args: string[]): void {
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30000 });
    if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  }

  function thaw(): void {
    if (mounted) spawnSync('fsfreeze', ['-u', mountPoint], { timeout: 30000 }); // fails harmlessly when not frozen
  }

  before(async function () {
    const missing = (): string | undefined => {
      if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (to loop-mount and freeze a file system)';
      for (const [tool, flag] of [
        ['mount', '--version'],
        ['fsfreeze', '--version'],
        ['mkfs.ext4', '-V'],
        ['umount', '--version'],
      ]) {
        const probe = spawnSync(tool, [flag], { timeout: 10000 });
        if (probe.error) return `needs ${tool} (${(probe.error as NodeJS.ErrnoException).code})`;
      }
      return undefined;
    };
    let reason = missing();
    if (!reason) {
      workDir = tempDir('mypos-hung-disk-');
      image = path.join(workDir, 'disk.img');
      mountPoint = path.join(workDir, 'mnt');
      fs.mkdirSync(mountPoint);
      try {
        run('truncate', ['-s', '32M', image]);
        run('mkfs.ext4', ['-q', image]);
        run('mount', ['-o', 'loop', image, mountPoint]);
        mounted = true;
      } catch (error) {
        reason = `cannot loop-mount an ext4 image: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (reason) {
      if (process.env.CI) throw new Error(`The hung-disk tests must run in CI, but this machine cannot: ${reason}`);
      console.log(`      hung-disk tests skipped: ${reason}`);
      this.skip();
    }
    // The journal directly in the mount's root: its folder is the mount point, whose mkdir is
    // answered by the parent file system, so it is the journal's own writes that hang.
    journalPath = path.join(mountPoint, 'journal.jsonl');
    simulator = new TerminalSimulator();
    port = await simulator.listen(0, '127.0.0.1');
  });

  after(async () => {
    // Thaw first: a process with a write hung on the frozen disk cannot end until it returns.
    thaw();
    await killLeftovers(nodeReds);
    await simulator?.close();
    if (mounted) spawnSync('umount', ['-l', mountPoint], { timeout: 30000 });
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    for (const dir of userDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<PaymentNodeRed> {
    const userDir = tempDir('mypos-userdir-hung-');
    userDirs.push(userDir);
    const started = await startPaymentNodeRed(userDir, port, { journalPath });
    nodeReds.push(started);
    return started;
  }

  it('answers JOURNAL (not sent) within the time limit while the disk hangs, at once for the next request, and redeploys within the close timeout', async () => {
    nodeRed = await start();
    assertPaid(await pay(nodeRed, payment('INV-H1')), 'payment before the freeze');
    // Its end line must be on disk before freezing, or the end's write (not the next begin) would hang.
    await waitForEndLine(journalPath, 'INV-H1');
    run('fsfreeze', ['-f', mountPoint]);

    const first = await pay(nodeRed, payment('INV-H2'));
    assertRefused(first, 'JOURNAL', 'not-sent', 'payment while the disk hangs');
    // The 5 s limit, plus connecting to the terminal first; not the 30 s HTTP timeout, not at once.
    assert.ok(first.ms > 4000 && first.ms < 8000, `the first JOURNAL answer took ${Math.round(first.ms)} ms`);

    const second = await pay(nodeRed, payment('INV-H3'));
    assertRefused(second, 'JOURNAL', 'not-sent', 'second payment while the disk hangs');
    assert.ok(second.ms < 1000, `the second JOURNAL answer took ${Math.round(second.ms)} ms`);
    assert.deepEqual(receivedInvoices(simulator), ['INV-H1'], 'nothing reached the terminal unrecorded');

    const redeployMs = await nodeRed.redeploy();
    assert.ok(redeployMs < NODE_RED_CLOSE_TIMEOUT_MS, `the redeploy took ${Math.round(redeployMs)} ms`);
    console.log(`      hung disk: JOURNAL answers ${Math.round(first.ms)} ms, then ${Math.round(second.ms)} ms; redeploy ${Math.round(redeployMs)} ms`);
  });

  // A thread blocked in the kernel on a frozen disk ignores every signal, SIGKILL included, and a
  // process ends only when all its threads have: nothing inside Node-RED can make it go sooner.
  // What must hold: the flows stop, the journal stays locked (no second writer can meet a late
  // write), and the process is gone as soon as the disk answers.
  it('on SIGTERM while a write hangs in the kernel: the flows stop, the journal stays locked meanwhile, and the process ends as soon as the disk answers', async () => {
    const hung = nodeRed;
    assert.ok(hung && running(hung.child), 'needs the Node-RED left with a hung write by the previous test');
    const stopped = performance.now();
    hung.child.kill('SIGTERM');
    await waitFor(() => /Stopped flows/.test(hung.log()), 'Node-RED to stop its flows', 10000);
    await waitFor(() => /disk operation\(s\) never returned; ending the process/.test(hung.log()), 'the journal to end the process', 10000);
    const stopMs = performance.now() - stopped;

    second = await start();
    const refused = await pay(second, payment('INV-H5'));
    assertRefused(refused, 'JOURNAL', 'not-sent', 'a payment in a second Node-RED while the first still holds the journal');
    assert.match(refused.body.message ?? '', /in use by another (Node-RED|program)/);

    const thawed = performance.now();
    thaw();
    const exit = await exitWithin(hung.child, 5000);
    assert.ok(exit, `Node-RED pid ${hung.child.pid} still there 5 s after the thaw (${processState(hung.child.pid)})`);
    assert.ok(exit.signal === 'SIGKILL' || exit.code === 137 || exit.code === 0, `exit code ${exit.code}, signal ${exit.signal}`);
    console.log(`      hung disk: flows stopped ${Math.round(stopMs)} ms after SIGTERM; process gone ${Math.round(performance.now() - thawed)} ms after the thaw (${exit.signal ?? exit.code})`);
  });

  it('after the disk answers again, the second Node-RED takes the journal over and refuses the first invoice as DUPLICATE', async () => {
    assert.ok(second, 'needs the second Node-RED of the previous test');
    // It tries the journal again at most every REOPEN_AFTER_MS, when a request needs it; a busy
    // machine may let the first attempt after the thaw meet the dying holder, never the second.
    const tookOverBy = performance.now() + 2 * REOPEN_AFTER_MS + 2000;
    let again: PayAnswer;
    const refusals: (string | undefined)[] = [];
    for (;;) {
      await delay(REOPEN_AFTER_MS + 500);
      again = await pay(second, payment('INV-H1'));
      if (again.body.code !== 'JOURNAL' || performance.now() > tookOverBy) break;
      refusals.push(again.body.message);
    }
    if (refusals.length > 0) console.log(`      took the journal over at the second attempt; the first was refused: ${refusals.join(' | ')}`);
    assertRefused(again, 'DUPLICATE', 'not-sent', 'INV-H1 again, in the second Node-RED');
    assertPaid(await pay(second, payment('INV-H4')), 'a new invoice in the second Node-RED');
    assert.deepEqual(receivedInvoices(simulator), ['INV-H1', 'INV-H4']);
  });
});

/** The process's state and kernel wait channel, e.g. "Z (zombie) / do_exit", for a failure message. */
function processState(pid: number | undefined): string {
  try {
    const state = /^State:\s*(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const threads = fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
      const threadState = /^State:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1];
      const wchan = fs.readFileSync(`/proc/${pid}/task/${tid}/wchan`, 'utf8');
      return `${tid}:${threadState}:${wchan}`;
    });
    return `${state}; threads ${threads.join(', ')}`;
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}
