// The five actions over a serial link, with a real pty pair from socat standing in for the
// terminal's Bluetooth link (/dev/rfcomm0), in the client and in a real Node-RED runtime.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import helper from 'node-red-node-test-helper';
import { SerialTransport, TerminalClient, TerminalSimulator } from '../src';
import type { ConnectionState, TerminalClientOptions, TransactionResult } from '../src';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import { packageNode, watchStatus } from './support/flow-outputs';
import { asFailure } from './support/results';
import { serialConfigNode } from './support/terminal-config';
import { useSerialSimulatorPerTest } from './support/simulator-per-test';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { delay, waitFor } from './support/wait';

async function openRawPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, lock: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  return port;
}

function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));
}

/** What a failed result said, for the assertion message of a result expected to be OK. */
const said = (result: TransactionResult): string | undefined => (result.result === 'ERROR' ? result.message : undefined);

/** What a helper node received: a message carrying a result. */
interface ResultMessage {
  payload: TransactionResult;
}

describe('serial link (socat pty pair)', function () {
  this.timeout(15000);
  let client: TerminalClient | undefined;

  // The client closes before its terminal goes away (hooks run in the order they are registered).
  afterEach(() => {
    client?.close();
    client = undefined;
  });
  const each = useSerialSimulatorPerTest();

  function newClient(options: Partial<TerminalClientOptions> = {}): TerminalClient {
    const created = new TerminalClient({
      transport: new SerialTransport({ path: each.pty.nodeSide }),
      keepOpen: true,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      responseTimeoutMs: 3000,
      ...options,
    });
    client = created;
    created.start();
    return created;
  }

  it('runs all five actions over the serial link', async () => {
    const terminal = newClient();
    const paid = await terminal.pay({ amount: '12.50', invoice: 'S-1' });
    assert.equal(paid.result, 'OK', said(paid));
    assert.equal(paid.amount, '12.50');
    const refunded = await terminal.refund({ amount: 2, invoice: 'S-2' });
    assert.equal(refunded.result, 'OK', said(refunded));
    const authorized = await terminal.preauth({ amount: '30', invoice: 'S-3' });
    assert.equal(authorized.result, 'OK', said(authorized));
    assert.ok(authorized.ref.length > 0);
    const completed = await terminal.complete({ amount: '25.00', preauthcode: authorized.ref });
    assert.equal(completed.result, 'OK', said(completed));
    const second = await terminal.preauth({ amount: '5', invoice: 'S-4' });
    const cancelled = await terminal.cancel({ preauthcode: second.ref });
    assert.equal(cancelled.result, 'OK', said(cancelled));
    assert.deepEqual(
      each.simulator.received.map((m) => m.request?.action),
      ['pay', 'refund', 'preauth', 'complete', 'preauth', 'cancel'],
    );
    assert.equal(each.simulator.preauthState(authorized.ref), 'completed');
    assert.equal(each.simulator.preauthState(second.ref), 'cancelled');
  });

  it('reports a decline with the terminal status', async () => {
    const terminal = newClient();
    each.simulator.behaviour = { fault: 'decline' };
    const result = asFailure(await terminal.pay({ amount: '3.00' }));
    assert.equal(result.code, 'TERMINAL');
    assert.equal(result.outcome, 'failed');
    assert.equal(result.status, 2);
    assert.equal(result.statusName, 'TRANSACTION_DECLINED');
  });

  it('reads an answer that arrives one byte at a time', async () => {
    const terminal = newClient();
    each.simulator.behaviour = { fault: 'bytewise', byteDelayMs: 1 };
    const result = await terminal.pay({ amount: '4.00' });
    assert.equal(result.result, 'OK', said(result));
    assert.match(result.ref, /^[0-9]+$/);
  });

  it('decodes a multi-byte UTF-8 status text split across reads', async () => {
    await each.simulator.close();
    const far = await openRawPort(each.pty.terminalSide);
    try {
      let request = '';
      far.on('data', (chunk) => {
        request += chunk.toString('latin1');
      });
      const terminal = newClient();
      const pending = terminal.pay({ amount: '5.00', invoice: 'UTF-1' });
      await waitFor(() => request.includes('</pay>'), 'the request to arrive');
      const answer = Buffer.from('<payresp><result>ERROR</result><status>1</status><status_text>Ügyfél megszakította – Hibás</status_text><ref></ref></payresp>', 'utf8');
      // Cut inside the two-byte "Ü" and inside the three-byte dash.
      const cuts = [answer.indexOf(0xc3) + 1, answer.indexOf(0xe2) + 1, answer.indexOf(0xe2) + 2];
      let start = 0;
      for (const cut of [...cuts, answer.length]) {
        far.write(answer.subarray(start, cut));
        await new Promise((resolve) => far.drain(resolve));
        await delay(30);
        start = cut;
      }
      const result = asFailure(await pending);
      assert.equal(result.code, 'TERMINAL');
      assert.equal(result.statusText, 'Ügyfél megszakította – Hibás');
      assert.equal(result.statusName, 'TRANSACTION_CANCELED');
    } finally {
      await closePort(far);
    }
  });

  it('ends an open request as CONNECTION_LOST when the device vanishes, refuses promptly while it is away, and works again when it returns', async () => {
    const terminal = newClient({ lateAnswerWindowMs: 200 });
    const states: ConnectionState[] = [];
    terminal.onConnectionState((state) => states.push(state));
    await waitFor(() => terminal.connectionState === 'connected', 'the port to open');
    each.simulator.behaviour = { delayMs: 5000 };
    const pending = terminal.pay({ amount: '7.00', invoice: 'LOST-1' });
    await waitFor(() => each.simulator.received.length === 1, 'the request to reach the simulator');
    await each.simulator.close();
    await each.pty.stop();

    const lost = asFailure(await pending);
    assert.equal(lost.code, 'CONNECTION_LOST');
    assert.equal(lost.outcome, 'unknown');
    assert.match(lost.message, /check the terminal/);
    assert.equal(terminal.connectionState, 'disconnected');
    // Its answer may still come when the link is back: nothing else goes out until the window passed.
    assert.equal(asFailure(await terminal.pay({ amount: '8.00', invoice: 'TOO-SOON' })).code, 'BUSY');
    await waitFor(() => !terminal.busy, 'the window for a late answer to pass');

    const startedAt = Date.now();
    const absent = asFailure(await terminal.pay({ amount: '8.00', invoice: 'ABSENT-1' }));
    assert.equal(absent.code, 'CONNECT');
    assert.equal(absent.outcome, 'not-sent');
    assert.ok(Date.now() - startedAt < 1000, `refused after ${Date.now() - startedAt} ms`);

    await each.pty.start();
    const returned = new TerminalSimulator();
    try {
      await returned.serveSerial(each.pty.terminalSide);
      await waitFor(() => terminal.connectionState === 'connected', 'the keep-open loop to reopen the port', 5000);
      const back = await terminal.pay({ amount: '9.00', invoice: 'BACK-1' });
      assert.equal(back.result, 'OK', said(back));
      // Nothing written to the dead port went out later: the terminal back saw only the new request.
      assert.deepEqual(
        returned.received.map((m) => m.request?.invoice),
        ['BACK-1'],
      );
    } finally {
      await returned.close();
    }
    assert.ok(states.includes('disconnected'));
    assert.equal(states[states.length - 1], 'connected');
  });
});

describe('serial link in Node-RED', function () {
  this.timeout(15000);
  useInProcessNodeRed();
  const each = useSerialSimulatorPerTest();

  function serialTerminal(id: string, path: string): Record<string, unknown> & { id: string } {
    return serialConfigNode(id, path, { name: `Terminal ${id}`, responseTimeout: '5', connectTimeout: '2' });
  }

  function actionNode(id: string, type: string, terminal: string, wires: string[][] = [['ok'], ['err']]): Record<string, unknown> {
    return { id, type, name: `Node ${id}`, terminal, receipt: 'ON', custrcpt: 'ON', wires };
  }

  const outputs = (): Record<string, string>[] => [
    { id: 'ok', type: 'helper' },
    { id: 'err', type: 'helper' },
  ];

  it('pays through a serial config node and shows the link state on the nodes', async () => {
    const flow = [serialTerminal('term', each.pty.nodeSide), actionNode('pay', 'mypos-pay', 'term'), ...outputs()];
    await helper.load([terminalNode, actionNodes], flow);
    const pay = helper.getNode('pay');
    const shown = watchStatus(packageNode('pay'));
    await waitFor(() => deployedConfigNode('term').client?.connectionState === 'connected', 'the port to open');
    const received = new Promise<ResultMessage>((resolve) => helper.getNode('ok').once('input', resolve));
    pay.receive({ payload: '11.00', invoice: 'NR-SERIAL-1' });
    const msg = await received;
    assert.equal(msg.payload.result, 'OK');
    assert.equal(msg.payload.amount, '11.00');
    assert.equal(each.simulator.received[0].request?.invoice, 'NR-SERIAL-1');
    assert.ok(
      shown.some((status) => /approved 11\.00/.test(status.text ?? '')),
      shown.map((status) => status.text).join(' | '),
    );

    await each.simulator.close();
    await each.pty.stop();
    await waitFor(() => shown.at(-1)?.text === 'disconnected', 'the node to show the link is gone');
  });

  it('two config nodes naming one serial device (by any path) are one terminal: one port, one request at a time, one history', async () => {
    const alias = `${each.pty.nodeSide}-alias`;
    fs.symlinkSync(each.pty.nodeSide, alias);
    try {
      const flow = [serialTerminal('first', each.pty.nodeSide), serialTerminal('second', alias), actionNode('pay1', 'mypos-pay', 'first'), actionNode('pay2', 'mypos-pay', 'second'), ...outputs()];
      await helper.load([terminalNode, actionNodes], flow);
      const first = await deployedConfigNode('first').whenClient;
      const second = await deployedConfigNode('second').whenClient;
      assert.equal(first, second, 'one client, so one port');
      await waitFor(() => first?.connectionState === 'connected', 'the port to open');
      each.simulator.behaviour = { delayMs: 300 };
      const results: TransactionResult[] = [];
      const collect = (msg: ResultMessage): number => results.push(msg.payload);
      helper.getNode('ok').on('input', collect);
      helper.getNode('err').on('input', collect);
      helper.getNode('pay1').receive({ payload: 1, invoice: 'SER-1' });
      await waitFor(() => each.simulator.received.length === 1, 'SER-1 to reach the terminal');
      helper.getNode('pay2').receive({ payload: 1, invoice: 'SER-2' });
      await waitFor(() => results.length === 2, 'both results', 3000);
      assert.deepEqual(results.map((r) => [r.invoice, r.result === 'OK' ? 'OK' : r.code]).sort(), [
        ['SER-1', 'OK'],
        ['SER-2', 'BUSY'],
      ]);
      each.simulator.behaviour = {};
      helper.getNode('pay2').receive({ payload: 1, invoice: 'SER-1' });
      await waitFor(() => results.length === 3, 'the repeat', 3000);
      assert.equal(asFailure(results[2]).code, 'DUPLICATE', 'an invoice paid through one is refused through the other');
      assert.deepEqual(
        each.simulator.received.map((m) => m.request?.invoice),
        ['SER-1'],
      );
    } finally {
      fs.unlinkSync(alias);
    }
  });

  it('keeps the port open for the other nodes when one action node is redeployed', async () => {
    const flow = [serialTerminal('term', each.pty.nodeSide), actionNode('pay', 'mypos-pay', 'term'), actionNode('refund', 'mypos-refund', 'term'), ...outputs()];
    await helper.load([terminalNode, actionNodes], flow);
    await waitFor(() => deployedConfigNode('term').client?.connectionState === 'connected', 'the port to open');
    const client = deployedConfigNode('term').client;
    const states: ConnectionState[] = [];
    client?.onConnectionState((state) => states.push(state));

    const changed = flow.map((node) => (node.id === 'refund' ? { ...node, name: 'renamed', receipt: 'OFF' } : node));
    await helper.setFlows(changed, 'nodes');
    assert.equal(deployedConfigNode('term').client, client, 'the config node was not restarted');
    assert.equal(client?.connectionState, 'connected');
    assert.deepEqual(states, []);

    const paid = new Promise<ResultMessage>((resolve) => helper.getNode('ok').once('input', resolve));
    helper.getNode('pay').receive({ payload: '2.00' });
    assert.equal((await paid).payload.result, 'OK');
    const refunded = new Promise<ResultMessage>((resolve) => helper.getNode('ok').once('input', resolve));
    helper.getNode('refund').receive({ payload: '1.00' });
    assert.equal((await refunded).payload.result, 'OK');
    assert.equal(each.simulator.received[1].request?.receipt, 'OFF');
  });

  it('closes the port when the config node is removed', async () => {
    const flow = [serialTerminal('term', each.pty.nodeSide), actionNode('pay', 'mypos-pay', 'term'), ...outputs()];
    await helper.load([terminalNode, actionNodes], flow);
    await waitFor(() => deployedConfigNode('term').client?.connectionState === 'connected', 'the port to open');
    await helper.setFlows(outputs(), 'full');
    // The device can be opened with a lock again: nobody holds it any more.
    await waitFor(async () => {
      try {
        const port = new SerialPort({ path: each.pty.nodeSide, baudRate: 115200, autoOpen: false, lock: true });
        await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
        await closePort(port);
        return true;
      } catch {
        return false;
      }
    }, 'the port to be released');
  });
});
