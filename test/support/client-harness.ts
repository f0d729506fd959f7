/**
 * TerminalClient over TcpTransport against the real TerminalSimulator and a few hand-made
 * servers, all on 127.0.0.1 with ports picked by the OS (test/client-*.test.ts). After every test
 * the client and the servers are closed and no socket, server or timer may be left behind.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { TerminalClient, TcpTransport, TerminalSimulator } from '../../src';
import type { Action, ActionFields, SimulatorBehaviour, TerminalClientOptions, TransactionFailure, TransactionResult, TransactionSuccess } from '../../src';
import { draftFromFields } from '../../src/client/terminal-client';
import { buildRequestXml, createRequest } from '../../src/protocol';
import { resources, expectResources } from './resources';
import { HOST, handMadeServer, requestSplitter, type HandMadeServer } from './hand-made-terminal';

export { HOST };
const UNKNOWN_ADVICE = /check the terminal.*before trying again/i;
/** The handles these tests check are back after each test. */
export const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

type Cleanup = () => unknown;

/** Things to close after the current test, newest first. */
let cleanups: Cleanup[] = [];
let baseline: Record<string, number>;

/** Closes `cleanup` after the current test. */
export function closeAfterTest(cleanup: Cleanup): void {
  cleanups.push(cleanup);
}

/**
 * The leak check around every test of the calling describe block (hooks inside the describe, so
 * that other test files run in the same Mocha process are not affected).
 */
export function checkLeaksAroundEachTest(): void {
  beforeEach(async () => {
    cleanups = [];
    // Mocha arms its own hook timer once the hook has started: measure after that, so the
    // baseline holds exactly one Timeout of Mocha's, as the after-each hook will.
    await new Promise((resolve) => setImmediate(resolve));
    baseline = resources(WATCHED);
  });

  afterEach(async function () {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    cleanups = [];
    if (errors.length > 0) throw errors[0];
    // A test that already failed may have left what it was checking for; reporting it twice (and
    // stopping the suite, as a failed hook does) would only hide the other results.
    const test = this.currentTest;
    if (!test || test.state === 'failed') return;
    await expectResources(baseline, `after "${test.title}"`);
  });
}

/** The simulator on 127.0.0.1, closed after the test: on a port picked by the OS, or on `port` (one a stopped simulator used). */
export async function startSimulator(behaviour: SimulatorBehaviour = {}, port = 0): Promise<{ simulator: TerminalSimulator; port: number }> {
  const simulator = new TerminalSimulator({ behaviour });
  const listening = await simulator.listen(port, HOST);
  assert.equal(typeof listening, 'number');
  cleanups.push(() => simulator.close());
  return { simulator, port: listening };
}

export function makeClient(port: number, options: Partial<TerminalClientOptions> = {}): TerminalClient {
  const client = new TerminalClient({
    transport: new TcpTransport({ host: HOST, port }),
    responseTimeoutMs: 3000,
    connectTimeoutMs: 2000,
    replyStallTimeoutMs: 1000,
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

/** A hand-made terminal on 127.0.0.1 (see hand-made-terminal.ts), closed after the test. */
export async function startServer(onConnection: (socket: net.Socket) => void): Promise<HandMadeServer> {
  const server = await handMadeServer(onConnection);
  cleanups.push(() => server.close());
  return server;
}

/** Calls back with each whole request (up to the closing root tag) received on a socket. */
export function onRequests(socket: net.Socket, callback: (request: string) => void): void {
  socket.on('data', requestSplitter(callback));
}

/**
 * A listener on 127.0.0.1 whose accept queue is full, so that a further connect() hangs (the
 * kernel drops the SYN). It lives in a child process whose event loop is blocked, since a Node
 * server in this process would accept at once.
 */
export async function startUnacceptingListener(): Promise<{ port: number; stopFillers: () => void; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `
    const net = require('net'), fs = require('fs');
    const server = net.createServer();
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      fs.writeSync(1, server.address().port + '\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    });
  `,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
    child.once('exit', () => reject(new Error('listener child exited')));
  });
  const fillers: net.Socket[] = [];
  const stop = async (): Promise<void> => {
    for (const socket of fillers) socket.destroy();
    fillers.length = 0;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(stop);
  // Fill the accept queue until a connection no longer completes.
  for (let i = 0; i < 8; i++) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.createConnection({ host: HOST, port });
      fillers.push(socket);
      socket.on('error', () => resolve(false));
      const timer = setTimeout(() => resolve(false), 150);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) break;
  }
  return {
    port,
    stopFillers: () => {
      for (const socket of fillers) socket.destroy();
      fillers.length = 0;
    },
    stop,
  };
}

/** The request the client will put on the wire for these fields, for comparing with what arrived. */
export function wireXml(action: Action, fields: ActionFields): string {
  return buildRequestXml(createRequest(draftFromFields(action, fields), { decimals: 2 }));
}

/** A result's fields by name, for comparing with what a test expects. */
function fieldsOf(result: TransactionResult): Readonly<Record<string, unknown>> {
  return result as unknown as Readonly<Record<string, unknown>>;
}

export function assertFailure(result: TransactionResult, expected: Readonly<Record<string, unknown>>): asserts result is TransactionFailure {
  assert.equal(result.result, 'ERROR', `expected an error, got ${JSON.stringify(result)}`);
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(fieldsOf(result)[key], value, `${key} of ${JSON.stringify(result)}`);
  assert.equal(typeof result.message, 'string');
  if (result.outcome === 'unknown') assert.match(result.message, UNKNOWN_ADVICE);
  else assert.doesNotMatch(result.message, UNKNOWN_ADVICE);
  for (const key of ['status', 'statusName', 'statusText', 'code', 'outcome', 'message', 'ref', 'action']) {
    assert.ok(key in result, `result has ${key}`);
  }
}

export function assertOk(result: TransactionResult, expected: Readonly<Record<string, unknown>> = {}): asserts result is TransactionSuccess {
  assert.equal(result.result, 'OK', `expected OK, got ${JSON.stringify(result)}`);
  for (const key of ['code', 'outcome', 'status', 'message']) assert.ok(!(key in result), `a success has no ${key}`);
  for (const [key, value] of Object.entries(expected)) assert.deepEqual(fieldsOf(result)[key], value, key);
}

/** The simulator's refs end with a 6-digit counter of the answers it made. */
export const refCounter = (ref: string): number => Number(ref.slice(-6));
