// The journal against real faults on this machine: a process killed with SIGKILL at every file
// operation of a real file, a tiny tmpfs filled to ENOSPC, journals deleted and replaced under
// a running Node-RED, two config nodes on one journal, a change of the decimals setting with a
// pre-authorization open, and damaged lines, all through a real Node-RED runtime and the
// simulator on 127.0.0.1. (Whole processes: two Node-RED on one file, a frozen disk, SIGTERM:
// test/journal-processes.test.ts. Every operation in memory, with power cuts: journal-crash.)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import { Journal, TerminalSimulator } from '../src';
import type { DamagedEntry, JournalEntry, TransactionFailure, TransactionResult } from '../src';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import { NOW, request, seedHistory, violations, type Expected } from './support/journal-workload';
import { typeScriptChild } from './support/typescript-child';
import { terminalConfigNode } from './support/terminal-config';
import { waitFor } from './support/wait';
import { nodeRedRoot } from './support/node-red-path';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { useSimulatorPerTest } from './support/simulator-per-test';

/** Node-RED's runtime events (@node-red/util of the Node-RED under test). */
const { events: runtimeEvents } = createRequire(__filename)(require.resolve('@node-red/util', { paths: [nodeRedRoot()] })) as { events: EventEmitter };

const KILL_CHILD = path.join(__dirname, 'support', 'journal-kill-child.ts');

/** A line the kill child printed: its count of operations, a request as it stood, or a finding. */
interface KillReport {
  readonly ops?: number;
  readonly action?: string;
  readonly invoice?: string;
  readonly resolution?: unknown;
  readonly [field: string]: unknown;
}

/** A result as these checks read it: a success has no code, message or outcome (undefined here). */
type ResultView = TransactionResult & Partial<Pick<TransactionFailure, 'code' | 'message' | 'outcome'>>;

/** What GET /mypos-terminal/:id/unresolved answers. */
interface Listing {
  readonly unresolved: JournalEntry[];
  /** Each damaged line with `kind`, which names its damage for the editor's words. */
  readonly damaged: (DamagedEntry & { readonly kind: string })[];
}

/** The requests a killed child promised, with the findings it tried. */
type Promised = KillReport[] & { resolutions?: KillReport[] };

interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly err: string;
  readonly reports: KillReport[];
}

function runChild(file: string, killAt: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, typeScriptChild(KILL_CHILD, file, String(killAt)), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const reports = out
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as KillReport);
      resolve({ code, signal, err, reports });
    });
  });
}

/** The requests a killed child tried, as it last reported each: sent or not; and its findings, confirmed or not. */
function promisedBy(reports: KillReport[]): Promised {
  const byKey = new Map<string, KillReport>();
  const findings = new Map<string, KillReport>();
  for (const report of reports) {
    if (report.resolution) findings.set(`${report.action}:${report.invoice}`, report);
    else if (report.invoice !== undefined || report.action) byKey.set(`${report.action}:${report.invoice}`, report);
  }
  const promised: Promised = [...byKey.values()].filter((report) => report.action);
  promised.resolutions = [...findings.values()];
  return promised;
}

describe('journal: a process killed with SIGKILL at every file operation (real files)', function () {
  this.timeout(300000);

  it('after each kill, nothing approved or unknown is forgotten, nothing reads as approved that was not, and the journal goes on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-kill-'));
    try {
      const seed = (file: string) => seedHistory((text: string) => fs.writeFileSync(file, text));
      const cleanFile = path.join(dir, 'clean', 'journal.jsonl');
      fs.mkdirSync(path.dirname(cleanFile));
      seed(cleanFile);
      const clean = await runChild(cleanFile, 0);
      assert.equal(clean.code, 0, clean.err);
      const total = clean.reports.find((report) => report.ops !== undefined)?.ops ?? 0;
      assert.ok(total > 40, `the workload does ${total} operations`);
      const found: string[] = [];
      for (let n = 1; n <= total; n += 1) {
        const file = path.join(dir, String(n), 'journal.jsonl');
        fs.mkdirSync(path.dirname(file));
        seed(file);
        const run = await runChild(file, n);
        assert.equal(run.signal, 'SIGKILL', `the child was killed at operation ${n}: ${run.err}`);
        const journal = new Journal(file, { now: () => new Date(NOW) });
        await journal.ready;
        const promised = promisedBy(run.reports);
        // The child's lines are journal-workload's own records, read back from JSON.
        found.push(...violations(journal, promised as unknown as Expected, `killed at operation ${n}/${total}`));
        const next = await journal.begin(request('pay', { amount: '9', invoice: 'NEXT' }));
        if (next.refusal) found.push(`killed at operation ${n}: a new request is refused: ${next.refusal.message}`);
        else await journal.end(next.id, { result: 'OK', action: 'pay', ref: 'R-NEXT' });
        await journal.close();
      }
      console.log(`      ${total} kill points covered`);
      assert.deepEqual(found, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('journal faults under a real Node-RED runtime', function () {
  this.timeout(30000);
  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-journal-faults-');

  /** The journal of a config node (one with valid settings has one). */
  function journalOf(id: string): Journal {
    const { journal } = deployedConfigNode(id);
    assert.ok(journal, `config node ${id} has a journal`);
    return journal;
  }

  /** With secondTerminal, a second config node and pay node, for another terminal (secondTerminal.port) unless it says otherwise. */
  function flow(terminal: Record<string, string> = {}, secondTerminal?: Record<string, string>): object[] {
    const nodes: object[] = [
      { id: 'tab', type: 'tab', label: 'Tab' },
      terminalConfigNode('term', each.port, { responseTimeout: '2', connectTimeout: '2', ...terminal }),
      { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
      { id: 'preauth', z: 'tab', type: 'mypos-preauth', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
      { id: 'complete', z: 'tab', type: 'mypos-complete', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ];
    if (secondTerminal) {
      nodes.push(terminalConfigNode('term2', secondTerminal.port ?? each.port, { responseTimeout: '2', connectTimeout: '2', ...secondTerminal }));
      nodes.push({ id: 'pay2', z: 'tab', type: 'mypos-pay', terminal: 'term2', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] });
    }
    return nodes;
  }

  /** Sends msg to a node and resolves with the one message that comes out. */
  function roundTrip(nodeId: string, msg: Record<string, unknown>): Promise<ResultView> {
    return new Promise((resolve) => {
      const out = helper.getNode('out');
      const listener = (message: Record<string, unknown>): void => {
        if (message._trip !== trip) return;
        out.removeListener('input', listener);
        resolve(message.payload as ResultView);
      };
      const trip = Math.random();
      out.on('input', listener);
      helper.getNode(nodeId).receive({ ...msg, _trip: trip });
    });
  }

  const received = () => each.simulator.received.map((message) => message.request?.invoice ?? message.request?.preauthCode);

  describe('a full disk (a 64 KiB tmpfs filled up)', () => {
    let mount: string | undefined;

    beforeEach(function () {
      mount = path.join(each.dir, 'tmpfs');
      fs.mkdirSync(mount);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount], { stdio: 'pipe' });
      } catch (error) {
        mount = undefined;
        if (process.env.CI) throw new Error(`CI must be able to mount a tmpfs (it runs as root): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        this.skip(); // needs root: runs in CI
      }
    });

    afterEach(() => {
      if (mount) execFileSync('umount', ['-l', mount]);
    });

    it('refuses with JOURNAL what it cannot record whole, sends none of it, leaves no fragment, and goes on once there is room', async () => {
      assert.ok(mount, 'the tmpfs is mounted');
      const tmpfs = mount;
      const file = path.join(tmpfs, 'journal.jsonl');
      await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
      await journalOf('term').ready;
      // Fill the disk to within two 4 KiB blocks of full: a dozen payments.
      const filler = path.join(tmpfs, 'filler');
      const free = () => Number(execFileSync('df', ['--output=avail', '-B1', tmpfs]).toString().trim().split('\n').pop());
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 8192)));
      const approved: string[] = [];
      const refused: string[] = [];
      for (let n = 0; n < 40 && refused.length < 3; n += 1) {
        const invoice = `FULL-${n}`;
        const result = await roundTrip('pay', { payload: 1, invoice });
        if (result.result === 'OK') approved.push(invoice);
        else {
          assert.equal(result.code, 'JOURNAL', result.message);
          assert.equal(result.outcome, 'not-sent');
          assert.match(result.message, /Nothing was sent/);
          refused.push(invoice);
        }
      }
      assert.ok(approved.length > 0 && refused.length > 0, `approved ${approved.length}, refused ${refused.length}`);
      assert.deepEqual(received(), approved, 'nothing refused with JOURNAL reached the terminal');
      // Every line in the file is whole and verified: no fragment glued onto the next line.
      const check = new Journal(path.join(each.dir, 'copy.jsonl'));
      fs.copyFileSync(file, path.join(each.dir, 'copy.jsonl'));
      await check.ready;
      assert.deepEqual(check.damaged, []);
      await check.close();
      // Refused is not blocked: the same invoice is refused again for the disk, not as a duplicate.
      const again = await roundTrip('pay', { payload: 1, invoice: refused[0] });
      assert.equal(again.code, 'JOURNAL');
      fs.unlinkSync(filler);
      const retried = await roundTrip('pay', { payload: 1, invoice: refused[0] });
      assert.equal(retried.result, 'OK', retried.message);
      approved.push(refused[0]);
      await helper.unload();

      await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
      const journal = journalOf('term');
      await journal.ready;
      assert.deepEqual(journal.unresolved, [], 'ends that could not be written while the disk was full were written since');
      assert.deepEqual(journal.damaged, []);
      for (const invoice of approved) {
        const repeat = await roundTrip('pay', { payload: 1, invoice });
        assert.equal(repeat.code, 'DUPLICATE', invoice);
      }
      for (const invoice of refused.slice(1)) {
        const first = await roundTrip('pay', { payload: 1, invoice });
        assert.equal(first.result, 'OK', `${invoice} was never sent, so it may be paid now`);
      }
    });
  });

  it('a journal deleted while running is written anew before the next payment; after a restart all twelve later payments are protected', async () => {
    const file = path.join(each.dir, 'journal.jsonl');
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    assert.equal((await roundTrip('pay', { payload: 1, invoice: 'BEFORE-DELETE' })).result, 'OK');
    fs.unlinkSync(file);
    for (let n = 0; n < 12; n += 1) assert.equal((await roundTrip('pay', { payload: 1, invoice: `AFTER-${n}` })).result, 'OK');
    assert.ok(fs.existsSync(file));
    await helper.unload();
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    for (const invoice of ['BEFORE-DELETE', ...Array.from({ length: 12 }, (_, n) => `AFTER-${n}`)]) {
      assert.equal((await roundTrip('pay', { payload: 1, invoice })).code, 'DUPLICATE', invoice);
    }
    assert.equal(each.simulator.received.length, 13);
  });

  it('a FIFO swapped in for the journal while running is set aside, not opened; the payment goes on', async () => {
    const file = path.join(each.dir, 'journal.jsonl');
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    assert.equal((await roundTrip('pay', { payload: 1, invoice: 'F-1' })).result, 'OK');
    fs.unlinkSync(file);
    execFileSync('mkfifo', [file]);
    const started = performance.now();
    assert.equal((await roundTrip('pay', { payload: 1, invoice: 'F-2' })).result, 'OK');
    assert.ok(performance.now() - started < 2000);
    assert.ok(fs.statSync(file).isFile());
    assert.ok(fs.readdirSync(each.dir).some((name) => name.startsWith('journal.jsonl.replaced-')));
  });

  it('a journal that is a FIFO or a link to /dev/null gives JOURNAL at once, and a redeploy is quick', async () => {
    for (const make of [(file: string) => execFileSync('mkfifo', [file]), (file: string) => fs.symlinkSync('/dev/null', file)]) {
      const file = path.join(each.dir, `odd-${Math.random()}.jsonl`);
      make(file);
      await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
      const started = performance.now();
      const result = await roundTrip('pay', { payload: 1, invoice: 'ODD-1' });
      assert.equal(result.code, 'JOURNAL');
      assert.match(result.message ?? '', /is not a regular file/);
      assert.ok(performance.now() - started < 1000);
      const closing = performance.now();
      await helper.unload();
      assert.ok(performance.now() - closing < 1000, 'close does not wait for anything');
    }
    assert.equal(each.simulator.received.length, 0);
  });

  it('two config nodes for two terminals naming one journal file share it (one writer): an invoice paid on one is refused on the other, across restarts', async () => {
    const file = path.join(each.dir, 'shared.jsonl');
    const other = new TerminalSimulator();
    const otherPort = await other.listen(0, '127.0.0.1');
    try {
      await helper.load([terminalNode, actionNodes], flow({ journalPath: file }, { journalPath: file, port: String(otherPort) }));
      assert.equal(journalOf('term'), journalOf('term2'));
      const both = await Promise.all([roundTrip('pay', { payload: 1, invoice: 'SHARED-1' }), roundTrip('pay2', { payload: 1, invoice: 'SHARED-2' })]);
      assert.deepEqual(
        both.map((r) => r.result),
        ['OK', 'OK'],
      );
      assert.equal((await roundTrip('pay2', { payload: 1, invoice: 'SHARED-1' })).code, 'DUPLICATE');
      await helper.unload();
      await helper.load([terminalNode, actionNodes], flow({ journalPath: file }, { journalPath: file, port: String(otherPort) }));
      assert.equal((await roundTrip('pay', { payload: 1, invoice: 'SHARED-2' })).code, 'DUPLICATE');
      assert.equal((await roundTrip('pay2', { payload: 1, invoice: 'SHARED-1' })).code, 'DUPLICATE');
    } finally {
      await helper.unload();
      await other.close();
    }
  });

  it('a pre-authorization of 50.50 completed after decimals was changed to 0: checked correctly, Node-RED stays up, also after a restart', async () => {
    const file = path.join(each.dir, 'journal.jsonl');
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file, decimals: '2' }));
    const authorized = await roundTrip('preauth', { payload: '50.50', invoice: 'ROOM-7' });
    assert.equal(authorized.result, 'OK');
    await helper.unload();
    for (let restart = 0; restart < 2; restart += 1) {
      await helper.load([terminalNode, actionNodes], flow({ journalPath: file, decimals: '0' }));
      const over = await roundTrip('complete', { payload: '51', preauthcode: authorized.ref });
      assert.equal(over.code, 'INVALID_INPUT');
      assert.match(over.message ?? '', /51 is above the pre-authorized 50\.50/);
      await helper.unload();
    }
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file, decimals: '0' }));
    // The simulator holds 50.50 as 5050 minor units at decimals 2; the check here is the journal's.
    assert.notEqual((await roundTrip('complete', { payload: '50', preauthcode: authorized.ref })).code, 'INVALID_INPUT');
  });

  it('damaged lines are logged with file, line and byte offset, shown on the nodes, listed, and cleared when acknowledged by id', async () => {
    const file = path.join(each.dir, 'journal.jsonl');
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    assert.equal((await roundTrip('pay', { payload: 3, invoice: 'DAMAGED-PAID' })).result, 'OK');
    assert.equal((await roundTrip('pay', { payload: 4, invoice: 'LATER' })).result, 'OK');
    await helper.unload();
    const text = fs.readFileSync(file, 'utf8').split('\n');
    text[0] = text[0].replace('DAMAGED-PAID', 'DAMAGED-PAIE');
    fs.writeFileSync(file, text.join('\n'));

    // What the pay node shows, from its first status on: Node-RED's own event for every status drawn.
    const shown: unknown[] = [];
    const heard = ({ id, status }: { id: string; status: { text?: unknown } }) => id === 'pay' && shown.push(status.text);
    runtimeEvents.on('node-status', heard);
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    const journal = journalOf('term');
    await journal.ready;
    const errors = () =>
      helper
        .log()
        .args.filter((a) => a[0].level === helper.log().ERROR)
        .map((a) => String(a[0].msg));
    await waitFor(() => errors().some((m) => m.includes(`Line 1 (byte 0) of the journal ${file} is damaged (its content changed after it was written)`)), 'the damaged line in the log');
    await waitFor(() => shown.length > 0, 'a status on the pay node');
    assert.deepEqual(shown, ['damaged journal lines: 1']);
    // The journal tells its listeners of a change that changes nothing (adopting no records).
    journal.adopt([]);
    assert.deepEqual(shown, ['damaged journal lines: 1'], 'drawn once: a change that changes nothing draws nothing');
    runtimeEvents.off('node-status', heard);
    const listed = await helper.request().get('/mypos-terminal/term/unresolved').expect(200);
    const { damaged } = listed.body as Listing;
    assert.equal(damaged.length, 1);
    assert.equal(damaged[0].line, 1);
    assert.equal(damaged[0].kind, 'changed', "the damage named for the editor's words (catalog damage.changed)");
    // The damaged begin still blocks what it holds (a flipped letter: the invoice as written there).
    assert.equal((await roundTrip('pay', { payload: 3, invoice: 'DAMAGED-PAIE' })).code, 'DUPLICATE');
    await helper
      .request()
      .post('/mypos-terminal/term/acknowledge')
      .send({ ids: [damaged[0].id] })
      .expect(200);
    const after = await helper.request().get('/mypos-terminal/term/unresolved').expect(200);
    assert.deepEqual((after.body as Listing).damaged, []);
  });
});
