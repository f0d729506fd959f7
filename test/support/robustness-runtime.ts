/**
 * The action nodes in a real Node-RED runtime (node-red-node-test-helper) against the
 * TerminalSimulator on 127.0.0.1, for the robustness tests (test/robustness-*.test.ts): a flow with
 * a pay node wired to two helper nodes, every output they get, and checks that each input got
 * exactly one output and that nothing escaped into the event loop.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import terminalNode from '../../nodes/mypos-terminal';
import actionNodes from '../../nodes/mypos-actions';
import type { Node, NodeMessage } from '../../nodes/node-red';
import type { TerminalConfigNode } from '../../nodes/terminal-settings';
import { TerminalSimulator } from '../../src';
import type { Journal, TerminalClient, TransactionFailure, TransactionResult } from '../../src';
import { delay, waitFor } from './wait';
import { terminalConfigNode } from './terminal-config';
import { nodeRedPath } from './node-red-path';

helper.init(nodeRedPath());

const NODES = [terminalNode, actionNodes];
const TAB = { id: 'tab', type: 'tab', label: 'robustness' };
/** How long to watch for a second (forbidden) output after the first. */
export const QUIET_MS = 150;
export const REF = /^\d{12}$/;

/** A result as an output message carries it in msg.payload, each field read as it may be there. */
export type ResultPayload = Readonly<Partial<Omit<TransactionFailure, 'result'>>> & { readonly result: TransactionResult['result'] };

/** A message on one of an action node's outputs. */
export interface OutputMessage extends NodeMessage {
  payload: ResultPayload;
  error?: unknown;
}

/** A message one of the helper nodes got, and on which output of the action node. */
export interface Output {
  output: 1 | 2;
  msg: OutputMessage;
}

/** An action node of the loaded flow: the node's own methods (nodes/node-red.ts) and the helper's receive. */
export interface ActionNode extends Node {
  receive(msg: Record<string, unknown>): void;
}

/** What deploy() hands a test. */
export interface Deployed {
  cfg: TerminalConfigNode;
  client: TerminalClient;
  journal: Journal;
  pay: ActionNode;
}

let current: { simulator: TerminalSimulator; port: number } | undefined;

/** The simulator of the current test. */
export function simulator(): TerminalSimulator {
  assert.ok(current, 'a test of useRobustnessRuntime() runs');
  return current.simulator;
}

/** The simulator's port. */
export function port(): number {
  assert.ok(current, 'a test of useRobustnessRuntime() runs');
  return current.port;
}

/** Every message the helper nodes got since the flow was deployed. */
export const outputs: Output[] = [];

let invoiceCounter = 0;

/** A fresh invoice, so that the journal never refuses a message as a duplicate of an earlier test's. */
export function invoice(prefix = 'RB'): string {
  invoiceCounter += 1;
  return `${prefix}-${process.pid}-${invoiceCounter}`;
}

// --- the process must stay up: nothing may escape into the event loop ------------------------

const escaped: string[] = [];
const described = (value: unknown): string => {
  const stack = typeof value === 'object' && value !== null && 'stack' in value ? value.stack : undefined;
  return stack ? String(stack) : String(value);
};
const onUncaught = (error: unknown): void => {
  escaped.push(`uncaughtException: ${described(error)}`);
};
const onUnhandled = (reason: unknown): void => {
  escaped.push(`unhandledRejection: ${described(reason)}`);
};

/**
 * The runtime around every test of the calling describe block: Node-RED's server for the block,
 * a fresh simulator for each test, and the watch for anything escaping into the event loop.
 */
export function useRobustnessRuntime(): void {
  before(async function () {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    await helper.startServer();
  });

  after(async function () {
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onUnhandled);
    await helper.stopServer();
  });

  beforeEach(async function () {
    escaped.length = 0;
    const simulator = new TerminalSimulator();
    current = { simulator, port: await simulator.listen(0, '127.0.0.1') };
  });

  afterEach(async function () {
    await helper.unload();
    await simulator().close();
    current = undefined;
  });
}

/** Gives pending rejections a chance to be reported, then asserts that none was and the runtime still answers. */
export async function expectNodeRedUp(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await delay(20);
  assert.deepEqual(escaped, [], 'nothing escaped into the event loop');
  // The admin API of the running runtime still answers (it goes through the deployed config node).
  await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
}

// --- flows --------------------------------------------------------------------------------

function flow(config: Record<string, string> = {}, extra: object[] = []): object[] {
  return [
    TAB,
    terminalConfigNode('cfg', port(), config),
    { id: 'pay', type: 'mypos-pay', z: 'tab', name: 'pay node', terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
    { id: 'ok', type: 'helper', z: 'tab' },
    { id: 'err', type: 'helper', z: 'tab' },
    ...extra,
  ];
}

/** Another action node wired to the same helper nodes. */
export function actionNode(id: string, action: string): object {
  return { id, type: `mypos-${action}`, z: 'tab', name: `${action} node`, terminal: 'cfg', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] };
}

/** A node of the loaded flow, as the action node it is. */
const actionNodeOf = (id: string): ActionNode => helper.getNode(id) as unknown as ActionNode;

export async function deploy(config: Record<string, string> = {}, extra: object[] = []): Promise<Deployed> {
  await helper.load(NODES, flow(config, extra));
  outputs.length = 0;
  helper.getNode('ok').on('input', (msg) => outputs.push({ output: 1, msg: msg as OutputMessage }));
  helper.getNode('err').on('input', (msg) => outputs.push({ output: 2, msg: msg as OutputMessage }));
  const cfg = helper.getNode('cfg') as unknown as TerminalConfigNode;
  const client = await cfg.whenClient;
  const journal = cfg.journal;
  assert.ok(client && journal, 'the config node has its client and its journal');
  await journal.ready;
  assert.equal(client.journal, journal, "the shared client writes the config node's journal");
  return { cfg, client, journal, pay: actionNodeOf('pay') };
}

/** Waits for the first output, then makes sure no second one follows. */
export async function oneOutput(timeoutMs = 4000): Promise<Output> {
  await waitFor(() => outputs.length >= 1, 'an output message', timeoutMs);
  await delay(QUIET_MS);
  assert.equal(outputs.length, 1, `exactly one output message (got ${outputs.map((o) => `output ${o.output}: ${JSON.stringify(o.msg.payload)}`).join('; ')})`);
  return outputs[0];
}

export function expectOk(out: Output): OutputMessage {
  assert.equal(out.output, 1, `expected the success output, got ${JSON.stringify(out.msg.payload)}`);
  assert.equal(out.msg.payload.result, 'OK');
  assert.match(out.msg.payload.ref ?? '', REF);
  return out.msg;
}

export function expectError(out: Output, code: string, outcome: string): OutputMessage {
  assert.equal(out.output, 2, `expected the error output, got ${JSON.stringify(out.msg.payload)}`);
  const p = out.msg.payload;
  assert.equal(p.result, 'ERROR');
  assert.equal(p.code, code, `code (message: ${p.message})`);
  assert.equal(p.outcome, outcome, `outcome (message: ${p.message})`);
  assert.deepEqual(out.msg.error, { message: p.message, code, outcome });
  return out.msg;
}

export { watchStatus } from './flow-outputs';

/** The warnings logged so far, by node id. */
export function warnings(): { id: string | undefined; msg: string }[] {
  const log = helper.log();
  return log.args.filter((args) => args[0].level === log.WARN).map((args) => ({ id: args[0].id, msg: String(args[0].msg) }));
}

/**
 * A normal payment after the injection was undone: the node, the client and the link still work.
 * Waits first for the terminal to be free (a late-answer window may still hold it).
 */
export async function expectStillWorks(client: TerminalClient, before: number): Promise<void> {
  await client.idle();
  outputs.length = 0;
  const inv = invoice('AFTER');
  actionNodeOf('pay').receive({ payload: '1.25', invoice: inv });
  const msg = expectOk(await oneOutput());
  assert.equal(msg.payload.invoice, inv);
  assert.equal(simulator().received.length, before + 1, 'the follow-up reached the terminal once');
  assert.equal(simulator().received[simulator().received.length - 1].request?.invoice, inv);
}
