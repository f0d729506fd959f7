// The journal with the client against the simulator: durable before sending, duplicates refused
// before they are sent, requests left open by a killed process, and the request queue.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Journal } from '../src/journal/journal';
import { TcpTransport } from '../src/transport/tcp';
import { TerminalClient } from '../src/client/terminal-client';
import type { TerminalClientOptions } from '../src/client/terminal-client';
import { TerminalSimulator } from '../src/simulator/simulator';
import { journalLines as lines, tempJournalFile as tempFile } from './support/journal-files';
import { asFailure } from './support/results';
import { TYPESCRIPT_EXEC_ARGV } from './support/typescript-child';
import { waitFor } from './support/wait';

describe('client with a journal', function () {
  this.timeout(10000);
  let file: string;
  let journal: Journal;
  let simulator: TerminalSimulator;
  let client: TerminalClient;

  beforeEach(async () => {
    file = tempFile();
    journal = new Journal(file);
    simulator = new TerminalSimulator();
    const port = await simulator.listen(0, '127.0.0.1');
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port }), journal, responseTimeoutMs: 300 });
  });

  afterEach(async () => {
    client.close();
    await simulator.close();
    await journal.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('refuses to pay an invoice twice, and never sends the second', async () => {
    assert.equal((await client.pay({ amount: '5', invoice: 'KIOSK-1' })).result, 'OK');
    const again = await client.pay({ amount: '5', invoice: 'KIOSK-1' });
    assert.equal(asFailure(again).code, 'DUPLICATE');
    assert.equal(asFailure(again).outcome, 'not-sent');
    assert.equal(simulator.received.length, 1);
    const forced = await client.pay({ amount: '5', invoice: 'KIOSK-1' }, { allowDuplicate: true });
    assert.equal(forced.result, 'OK');
    assert.equal(simulator.received.length, 2);
  });

  it('refuses an invoice whose outcome is unknown', async () => {
    client.close();
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: simulator.port }), journal, responseTimeoutMs: 300, lateAnswerWindowMs: 0 });
    simulator.nextBehaviours.push({ fault: 'silent' });
    const lost = await client.pay({ amount: '6', invoice: 'LOST-1' });
    assert.equal(asFailure(lost).code, 'TIMEOUT');
    const retry = await client.pay({ amount: '6', invoice: 'LOST-1' });
    assert.equal(asFailure(retry).code, 'DUPLICATE');
    assert.match(asFailure(retry).message, /unknown outcome/);
    assert.equal(simulator.received.length, 1);
    const end = await waitFor(() => lines(file).find((r) => r.event === 'end'), 'the end line');
    assert.equal(end.outcome, 'unknown');
    assert.equal(end.code, 'TIMEOUT');
  });

  it('refuses a completion above the pre-authorized amount before sending it', async () => {
    const authorized = await client.preauth({ amount: '20', invoice: 'HOTEL-1' });
    assert.equal(authorized.result, 'OK');
    const over = await client.complete({ amount: '25', preauthcode: authorized.ref });
    assert.equal(asFailure(over).code, 'INVALID_INPUT');
    assert.equal(simulator.received.length, 1);
    assert.equal((await client.complete({ amount: '18', preauthcode: authorized.ref })).result, 'OK');
    assert.equal(asFailure(await client.cancel({ preauthcode: authorized.ref })).code, 'DUPLICATE');
    assert.equal(simulator.received.length, 2);
  });

  it('records the end of a request cut short by closing, before the journal closes', async () => {
    simulator.behaviour = { fault: 'silent' };
    const pending = client.pay({ amount: '8', invoice: 'STOPPED-1' });
    await waitFor(() => simulator.received.length === 1, 'the request to be sent');
    client.close();
    assert.equal(asFailure(await pending).code, 'CONNECTION_LOST');
    await journal.close();
    const end = lines(file).find((r) => r.event === 'end');
    assert.ok(end, 'an end line was written');
    assert.equal(end.invoice, 'STOPPED-1');
    assert.equal(end.outcome, 'unknown');
    assert.equal(end.code, 'CONNECTION_LOST');
    journal = new Journal(file);
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((entry) => [entry.invoice, entry.outcome, entry.code]),
      [['STOPPED-1', 'unknown', 'CONNECTION_LOST']],
      'its outcome is unknown: it needs a person until acknowledged',
    );
  });

  it('has the request on disk before its first byte reaches the terminal', async () => {
    const seen: string[] = [];
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        seen.push(fs.readFileSync(file, 'utf8'));
        socket.end('<payresp><result>OK</result><ref>X1</ref></payresp>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const own = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }), journal });
    const result = await own.pay({ amount: '7', invoice: 'DURABLE-1' });
    own.close();
    await new Promise((resolve) => server.close(resolve));
    assert.equal(result.result, 'OK');
    assert.match(seen[0], /"event":"begin".*"invoice":"DURABLE-1"/);
  });

  it('reports requests left open by a killed process as unresolved', async () => {
    const code = `const m = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
      const journal = new m.Journal(${JSON.stringify(file + '.crash')});
      const client = new m.TerminalClient({ transport: new m.TcpTransport({ host: '127.0.0.1', port: ${simulator.port} }), journal });
      client.pay({ amount: '9.99', invoice: 'KILLED-1' });`;
    simulator.behaviour = { fault: 'silent' };
    const child = spawn(process.execPath, [...TYPESCRIPT_EXEC_ARGV, '-e', code], { stdio: 'ignore' });
    await waitFor(() => simulator.received.length === 1, 'the child to send its request', 5000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const reopened = new Journal(file + '.crash');
    await reopened.ready;
    assert.deepEqual(
      reopened.unresolved.map((e) => [e.action, e.invoice, e.amount]),
      [['pay', 'KILLED-1', '9.99']],
    );
    await reopened.close();
  });
});

describe('request queue', function () {
  this.timeout(10000);
  let simulator: TerminalSimulator;
  let client: TerminalClient;

  async function start(options: Partial<TerminalClientOptions>): Promise<void> {
    simulator = new TerminalSimulator({ behaviour: { delayMs: 40 } });
    const port = await simulator.listen(0, '127.0.0.1');
    client = new TerminalClient({ transport: new TcpTransport({ host: '127.0.0.1', port }), answerGuardMs: 0, ...options });
  }

  afterEach(async () => {
    client.close();
    await simulator.close();
  });

  it('runs waiting requests first in, first out, each with its own result', async () => {
    await start({ queueLimit: 3 });
    const results = await Promise.all(['Q-1', 'Q-2', 'Q-3', 'Q-4'].map((invoice) => client.pay({ amount: 1, invoice })));
    assert.deepEqual(
      results.map((r) => [r.invoice, r.result]),
      [
        ['Q-1', 'OK'],
        ['Q-2', 'OK'],
        ['Q-3', 'OK'],
        ['Q-4', 'OK'],
      ],
    );
    assert.deepEqual(
      simulator.received.map((m) => m.request?.invoice),
      ['Q-1', 'Q-2', 'Q-3', 'Q-4'],
    );
    assert.equal(new Set(results.map((r) => r.ref)).size, 4);
  });

  it('refuses at once when the queue is full', async () => {
    await start({ queueLimit: 1 });
    const first = client.pay({ amount: 1, invoice: 'F-1' });
    const second = client.pay({ amount: 1, invoice: 'F-2' });
    const third = await client.pay({ amount: 1, invoice: 'F-3' });
    assert.equal(asFailure(third).code, 'BUSY');
    assert.match(asFailure(third).message, /1 requests are already waiting/);
    assert.equal((await first).result, 'OK');
    assert.equal((await second).result, 'OK');
    assert.deepEqual(
      simulator.received.map((m) => m.request?.invoice),
      ['F-1', 'F-2'],
    );
  });

  it('refuses a request that waited too long, without sending it', async () => {
    await start({ queueLimit: 2, queueTimeoutMs: 50 });
    simulator.behaviour = { delayMs: 300 };
    const first = client.pay({ amount: 1, invoice: 'W-1' });
    const waited = await client.pay({ amount: 1, invoice: 'W-2' });
    assert.equal(asFailure(waited).code, 'BUSY');
    assert.equal(asFailure(waited).outcome, 'not-sent');
    assert.equal((await first).result, 'OK');
    assert.deepEqual(
      simulator.received.map((m) => m.request?.invoice),
      ['W-1'],
    );
  });

  it('ends waiting requests as not sent when the client closes', async () => {
    await start({ queueLimit: 2 });
    simulator.behaviour = { fault: 'silent' };
    const first = client.pay({ amount: 1, invoice: 'C-1' });
    const waiting = client.pay({ amount: 1, invoice: 'C-2' });
    await waitFor(() => simulator.received.length === 1, 'the first request to be sent');
    client.close();
    assert.equal(asFailure(await first).code, 'CONNECTION_LOST');
    const second = await waiting;
    assert.equal(asFailure(second).outcome, 'not-sent');
    assert.equal(simulator.received.length, 1);
  });
});
