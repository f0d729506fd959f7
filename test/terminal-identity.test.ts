// "One terminal, one truth": a terminal is the physical device, not the config node that names it.
// Addresses written differently, a serial device reached through a link, a config node deleted
// and made again, a full redeploy and the dialog's Test connection all meet the same terminal:
// one request at a time, one history. Real components only: TCP on 127.0.0.1, a real Node-RED
// runtime (node-red-node-test-helper), a socat pty pair for the serial device.
//
// Not here: two serial config nodes naming one device through a symlink share one port (and one
// request at a time, one history): test/serial.test.ts covers it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import helper from 'node-red-node-test-helper';
import { SerialTransport, TcpTransport, TerminalSimulator, type TransactionResult } from '../src';
import { identify, sameTerminal } from '../src/terminal/identity';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import type { NodeMessage } from '../nodes/node-red';
import { PtyPair } from './support/pty';
import { terminalConfigNode } from './support/terminal-config';
import { baseline, expectResources } from './support/resources';
import { delay as sleep, waitFor } from './support/wait';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { useSimulatorPerTest } from './support/simulator-per-test';

const NODES = [terminalNode, actionNodes];
const TAB = { id: 'tab', type: 'tab', label: 'one terminal' };
/** Spellings of 127.0.0.1, as a user might type them into the config dialog. */
const SPELLINGS = ['localhost', '127.1', '::ffff:127.0.0.1'];

let counter = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

// ---------------------------------------------------------------------------------------------
// identify() and sameTerminal()
// ---------------------------------------------------------------------------------------------

describe('terminal identity: identify() and sameTerminal()', function () {
  const tcp = (host: string, port = 51042) => identify(new TcpTransport({ host, port }));

  for (const host of ['127.0.0.1', '127.1', '::ffff:127.0.0.1', '[::ffff:7f00:1]', 'localhost']) {
    it(`"${host}" port 51042 is the same terminal as 127.0.0.1 port 51042`, async () => {
      const reference = await tcp('127.0.0.1');
      const other = await tcp(host);
      assert.ok(other.addresses.includes('127.0.0.1'), `"${host}" resolved to ${JSON.stringify(other.addresses)}`);
      assert.equal(sameTerminal(other, reference), true, `${other.label} vs ${reference.label}`);
      assert.equal(sameTerminal(reference, other), true, 'in both directions');
    });
  }

  it('another port of the same address is another terminal, however the address is written', async () => {
    const reference = await tcp('127.0.0.1', 51042);
    for (const host of ['127.0.0.1', 'localhost', '127.1', '::ffff:127.0.0.1']) {
      const other = await tcp(host, 51043);
      assert.equal(sameTerminal(other, reference), false, `${other.label} vs ${reference.label}`);
    }
  });

  it('another address at the same port is another terminal', async () => {
    // 127.0.0.2 is loopback too, but it is not 127.0.0.1: a second simulator could listen there.
    assert.equal(sameTerminal(await tcp('127.0.0.2'), await tcp('127.0.0.1')), false);
    assert.equal(sameTerminal(await tcp('::1'), await tcp('127.0.0.1')), false);
  });

  it('a serial device and a symlink to it are the same device; the far end of the pty pair is another', async () => {
    const pty = new PtyPair();
    await pty.start();
    const alias = path.join(pty.dir, 'rfcomm-alias');
    try {
      fs.symlinkSync(pty.nodeSide, alias);
      const serial = (device: string) => identify(new SerialTransport({ path: device }));
      const device = await serial(pty.nodeSide);
      const viaAlias = await serial(alias);
      // socat's own link names /dev/pts/N: the identity is the device, not the name it was given by.
      assert.equal(device.device, fs.realpathSync(pty.nodeSide));
      assert.notEqual(device.device, pty.nodeSide);
      assert.equal(sameTerminal(viaAlias, device), true, `${viaAlias.label} vs ${device.label}`);
      assert.equal(sameTerminal(await serial(pty.terminalSide), device), false, 'the other end of the pair is another device');
      // A TCP terminal is never a serial one.
      assert.equal(sameTerminal(device, await tcp('127.0.0.1')), false);
    } finally {
      fs.rmSync(alias, { force: true });
      await pty.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// In Node-RED
// ---------------------------------------------------------------------------------------------

/** What watchTerminal has seen of the simulator. */
interface TerminalWatch {
  open: number;
  max: number;
  accepted: number;
  received: { at: number; invoice: string | undefined }[];
  answers: { at: number }[];
  invoices(): (string | undefined)[];
}

/**
 * Watches what the simulator has open: +1 for each request it receives, -1 for each answer it
 * writes on a link it serves. `max` is the most requests it ever had open at once.
 */
function watchTerminal(simulator: TerminalSimulator): TerminalWatch {
  const watch: TerminalWatch = { open: 0, max: 0, accepted: 0, received: [], answers: [], invoices: () => watch.received.map((entry) => entry.invoice) };
  simulator.hooksForTests = {
    serving: () => {
      watch.accepted += 1;
    },
    received: ({ request }) => {
      watch.open += 1;
      watch.max = Math.max(watch.max, watch.open);
      watch.received.push({ at: performance.now(), invoice: request?.invoice });
      return undefined;
    },
    // The behaviours used here answer in one piece or not at all.
    answered: ({ answer, behaviour, stream }) => {
      if (answer === undefined || behaviour.fault === 'drop' || stream.destroyed) return;
      watch.open -= 1;
      watch.answers.push({ at: performance.now() });
    },
  };
  return watch;
}

describe('terminal identity in Node-RED: config nodes naming one terminal share it', function () {
  this.timeout(10000);
  let watch: TerminalWatch;
  let startCounts: Awaited<ReturnType<typeof baseline>>;
  /** Every output of every action node, in order: { node, output, payload, at }. */
  let outputs: { node: string; output: string; payload: TransactionResult; at: number }[];

  // The handles are counted before this test's simulator starts, and again once it closed.
  beforeEach(async () => {
    startCounts = await baseline();
  });
  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-identity-');
  beforeEach(() => {
    watch = watchTerminal(each.simulator);
    outputs = [];
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') return;
    // A config node's client that was busy at unload closes once its window for a late answer passed.
    await expectResources(startCounts, `after "${this.currentTest?.title}"`, 2000);
  });

  /** A config node for the simulator, its host written as given; short waits keep the tests quick. */
  function terminal(id: string, host: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return terminalConfigNode(id, each.port, { host, responseTimeout: '5', connectTimeout: '2', lateAnswerWindow: '0.5', ...extra });
  }

  /** A pay node with its own two helper nodes. */
  function payNode(id: string, terminalId: string): Record<string, unknown>[] {
    return [
      { id, type: 'mypos-pay', z: 'tab', name: `pay node ${id}`, terminal: terminalId, receipt: 'ON', custrcpt: 'ON', wires: [[`${id}-ok`], [`${id}-err`]] },
      { id: `${id}-ok`, type: 'helper', z: 'tab' },
      { id: `${id}-err`, type: 'helper', z: 'tab' },
    ];
  }

  /** Deploys (first time: load; later: setFlows) and collects every action node's outputs. */
  async function deploy(flow: Record<string, unknown>[], type?: 'full'): Promise<void> {
    if (type) await helper.setFlows(flow, type);
    else await helper.load(NODES, flow);
    for (const node of flow) {
      const match = /^(.*)-(ok|err)$/.exec(String(node.id));
      if (node.type !== 'helper' || !match) continue;
      helper.getNode(String(node.id)).on('input', (msg) => outputs.push({ node: match[1], output: match[2], payload: msg.payload as TransactionResult, at: performance.now() }));
    }
  }

  /** Sends a message into action node `id` and waits for its output. */
  async function pay(id: string, invoice: string, amount = '1.00'): Promise<TransactionResult> {
    const seen = outputs.length;
    helper.getNode(id).receive({ payload: amount, invoice });
    await waitFor(() => outputs.slice(seen).some((out) => out.node === id), `the output of ${id} for ${invoice}`, 6000);
    const output = outputs.slice(seen).find((out) => out.node === id);
    assert.ok(output);
    return output.payload;
  }

  const summary = (payload: TransactionResult): string => `${payload.invoice} ${payload.result === 'OK' ? 'OK' : `${payload.code}/${payload.outcome}`}`;
  /** The words of a failure, for an assertion's message. */
  const messageOf = (payload: TransactionResult): string | undefined => (payload.result === 'OK' ? undefined : payload.message);
  const warnings = (): string[] =>
    helper
      .log()
      .args.filter((args) => args[0].level === helper.log().WARN)
      .map((args) => String(args[0].msg));

  for (const spelling of SPELLINGS) {
    it(`"${spelling}" and "127.0.0.1": one client; sent at once, one is BUSY and the terminal never has two open; one after the other, the same invoice is DUPLICATE`, async () => {
      // Each config node its own journal file: a DUPLICATE can then only come from the one client
      // (and so the one journal) the two config nodes share, not from a journal they happen to share.
      await deploy([
        TAB,
        terminal('written', spelling, { journalPath: path.join(each.dir, 'written.jsonl') }),
        terminal('plain', '127.0.0.1', { journalPath: path.join(each.dir, 'plain.jsonl') }),
        ...payNode('payWritten', 'written'),
        ...payNode('payPlain', 'plain'),
      ]);

      // (c) One client for both.
      const clientWritten = await deployedConfigNode('written').whenClient;
      const clientPlain = await deployedConfigNode('plain').whenClient;
      assert.equal(clientWritten, clientPlain, `"${spelling}" and "127.0.0.1" got two clients for one terminal`);
      // The one that joined was told whose settings apply (here: the other's journal).
      assert.ok(
        warnings().some((text) => /^The terminal \S+ is also set up as "terminal \w+", whose settings apply to both: Journal\.$/.test(text)),
        `a warning about the shared settings; got ${JSON.stringify(warnings())}`,
      );

      // (a) At once, while the terminal takes its time.
      each.simulator.behaviour = { delayMs: 300 };
      const atOnce = [unique('AT-ONCE'), unique('AT-ONCE')];
      helper.getNode('payWritten').receive({ payload: '1.00', invoice: atOnce[0] });
      helper.getNode('payPlain').receive({ payload: '1.00', invoice: atOnce[1] });
      await waitFor(() => outputs.length === 2, 'both outputs', 3000);
      const results = outputs.map((out) => out.payload);
      const busy = results.filter((result) => result.result === 'ERROR' && result.code === 'BUSY');
      const ok = results.filter((result) => result.result === 'OK');
      assert.equal(ok.length, 1, `one approved: ${results.map(summary).join(', ')}`);
      assert.equal(busy.length, 1, `one BUSY: ${results.map(summary).join(', ')}`);
      const [firstBusy] = busy;
      assert.ok(firstBusy.result === 'ERROR');
      assert.equal(firstBusy.outcome, 'not-sent');
      assert.equal(watch.max, 1, `the terminal had ${watch.max} requests open at once`);
      assert.deepEqual(watch.invoices(), [ok[0].invoice], 'only the approved request reached the terminal');

      // (b) One after the other, the same invoice: through one, then through the other.
      each.simulator.behaviour = {};
      const invoice = unique('SEQ');
      assert.equal(summary(await pay('payWritten', invoice)), `${invoice} OK`);
      const again = await pay('payPlain', invoice);
      assert.equal(summary(again), `${invoice} DUPLICATE/not-sent`, messageOf(again));
      assert.equal(watch.received.filter((entry) => entry.invoice === invoice).length, 1, 'the repeat never reached the terminal');
      assert.equal(watch.max, 1);
    });
  }

  it('four config nodes, four spellings, a queue: four payments at once all go through, one at a time at the terminal', async () => {
    const hosts = ['127.0.0.1', ...SPELLINGS];
    await deploy([TAB, ...hosts.map((host, index) => terminal(`t${index}`, host, { queueLimit: '3' })), ...hosts.flatMap((_, index) => payNode(`p${index}`, `t${index}`))]);
    const clients = await Promise.all(hosts.map((_, index) => deployedConfigNode(`t${index}`).whenClient ?? Promise.resolve(undefined)));
    assert.equal(new Set(clients).size, 1, 'one client for the four config nodes');
    each.simulator.behaviour = { delayMs: 150 };
    const invoices = hosts.map(() => unique('Q'));
    hosts.forEach((_, index) => helper.getNode(`p${index}`).receive({ payload: '1.00', invoice: invoices[index] }));
    await waitFor(() => outputs.length === 4, 'four outputs', 6000);
    assert.deepEqual(outputs.map((out) => summary(out.payload)).sort(), invoices.map((invoice) => `${invoice} OK`).sort());
    assert.equal(watch.received.length, 4);
    assert.equal(watch.max, 1, `the terminal had ${watch.max} requests open at once`);
  });

  describe('the history outlives the config node', () => {
    async function paidThenRemade(remake: (flow: Record<string, unknown>[]) => Promise<void>): Promise<void> {
      await deploy([TAB, terminal('old', '127.0.0.1'), ...payNode('pay', 'old')]);
      const invoice = unique('KEPT');
      assert.equal(summary(await pay('pay', invoice)), `${invoice} OK`);
      // The config node is deleted; a new one (new id, the address written otherwise) names the same terminal.
      await remake([TAB, terminal('new', 'localhost'), ...payNode('pay', 'new')]);
      assert.equal(helper.getNode('old'), null, 'the old config node is gone');
      assert.ok(helper.getNode('new'), 'the new config node is deployed');
      const again = await pay('pay', invoice);
      assert.equal(summary(again), `${invoice} DUPLICATE/not-sent`, messageOf(again));
      // Not a terminal that cannot be used: another invoice goes through.
      const other = unique('NEW');
      assert.equal(summary(await pay('pay', other)), `${other} OK`);
      assert.deepEqual(watch.invoices(), [invoice, other], 'the paid invoice reached the terminal once');
    }

    it('deleting the config node and deploying a new one (full deploy, new id): an invoice paid before is DUPLICATE', async () => {
      await paidThenRemade((flow) => deploy(flow, 'full'));
    });

    it('stopping Node-RED and starting a flow with a new config node (unload, load): an invoice paid before is DUPLICATE', async () => {
      await paidThenRemade(async (flow) => {
        await helper.unload();
        await deploy(flow);
      });
    });
  });

  it('a full redeploy while a payment is open: it ends CONNECTION_LOST/unknown, and the new flow sends nothing before its window for a late answer passed', async () => {
    const flow = [TAB, terminal('term', '127.0.0.1', { lateAnswerWindow: '0.5' }), ...payNode('pay', 'term')];
    await deploy(flow);
    const oldClient = await deployedConfigNode('term').whenClient;
    // The old pay node's output goes out as it stops: caught at the node itself.
    const oldPay = helper.getNode('pay');
    const sentByOld: { msgs: (NodeMessage | null)[]; at: number }[] = [];
    const sending = oldPay as unknown as { send(msgs: (NodeMessage | null)[]): void };
    const send = sending.send.bind(oldPay);
    sending.send = (msgs) => {
      sentByOld.push({ msgs, at: performance.now() });
      send(msgs);
    };
    each.simulator.nextBehaviours.push({ fault: 'silent' });
    const open = unique('OPEN');
    oldPay.receive({ payload: '1.00', invoice: open });
    await waitFor(() => watch.received.length === 1, 'the request to reach the terminal');

    await deploy(flow, 'full');
    assert.notEqual(helper.getNode('pay'), oldPay, 'the pay node was restarted');
    await waitFor(() => sentByOld.length === 1, 'the open request to end');
    const [ok, err] = sentByOld[0].msgs;
    assert.equal(ok, null);
    assert.ok(err);
    assert.equal(summary(err.payload as TransactionResult), `${open} CONNECTION_LOST/unknown`);
    const endedAt = sentByOld[0].at;

    // At once, from the newly deployed flow, to the same terminal.
    const next = unique('NEXT');
    const result = await pay('pay', next);
    assert.equal(summary(result), `${next} OK`, messageOf(result));
    const [first, second] = watch.received;
    assert.deepEqual(watch.invoices(), [open, next]);
    const gap = second.at - endedAt;
    console.log(`      the new flow's request reached the terminal ${gap.toFixed(0)} ms after the old one ended (lateAnswerWindow 500 ms)`);
    // The window runs from the moment the old request ended, which is before its output was sent.
    assert.ok(gap >= 490, `the new flow's request went out ${gap.toFixed(0)} ms after the old one ended, inside its 500 ms window for a late answer`);
    assert.ok(second.at - first.at >= 500);
    assert.notEqual(await deployedConfigNode('term').whenClient, oldClient, 'the new config node has a client of its own, made once the old one let go');
  });

  it('Test connection reports "busy", and connects to nothing, while a request is open, however the host is written', async () => {
    await deploy([TAB, terminal('term', '127.0.0.1'), ...payNode('pay', 'term')]);
    const client = await deployedConfigNode('term').whenClient;
    assert.ok(client, 'the config node has a client');
    each.simulator.behaviour = { delayMs: 1200 };
    const invoice = unique('OPEN');
    helper.getNode('pay').receive({ payload: '1.00', invoice });
    await waitFor(() => watch.received.length === 1, 'the request to reach the terminal');
    const accepted = watch.accepted;

    const probe = (host: string) =>
      helper
        .request()
        .post('/mypos-terminal/test')
        .send({ connection: 'tcp', host, port: String(each.port) })
        .expect(200);
    for (const host of SPELLINGS) {
      const { body } = await probe(host);
      assert.equal(body.outcome, 'busy', `host "${host}": ${JSON.stringify(body)}`);
      assert.equal(body.ok, false);
    }
    assert.equal(client.busy, true, 'the request was still open while the dialog tested');
    assert.equal(watch.accepted, accepted, 'no test opened a connection to the terminal');
    assert.deepEqual(watch.invoices(), [invoice], 'nothing but the request reached the terminal');

    // Once the terminal is free, the same test connects (and still sends nothing).
    await waitFor(() => outputs.length === 1, 'the payment to end', 3000);
    assert.equal(summary(outputs[0].payload), `${invoice} OK`);
    await waitFor(() => !client.busy, 'the terminal to be free');
    const { body } = await probe('localhost');
    assert.equal(body.outcome, 'connected', JSON.stringify(body));
    assert.equal(watch.accepted, accepted + 1);
    await sleep(50);
    assert.deepEqual(watch.invoices(), [invoice]);
  });
});
