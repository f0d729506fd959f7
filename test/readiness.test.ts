/**
 * Terminal readiness (issue 13): a TCP terminal checked while idle by opening a connection and
 * closing it at once. All on 127.0.0.1 with real sockets: the TerminalClient against the package's
 * simulator, then the nodes in a real Node-RED (node-red-node-test-helper) with Node-RED's own
 * `status` node, as a kiosk flow would use it. The simulator counts every connection and every
 * byte it receives: a check never sends one.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import { TerminalClient, TcpTransport, TerminalSimulator } from '../src';
import type { Connection, Readiness } from '../src';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import { clientOptionsFromConfig, NUMBER_SETTINGS } from '../nodes/terminal-settings';
import { EDITOR_CONSTANTS } from '../nodes/editor-constants';
import { statusForReadiness } from '../nodes/statuses';
import { useMessageCatalog } from '../nodes/i18n';
import type { NodeStatus } from '../nodes/node-red';
import type { ResultPayload } from './support/flow-outputs';
import { type DeployedNode, type FailureMessage, type ResultMessage, type SuccessMessage, packageNode } from './support/flow-outputs';
import { deployedConfigNode, statusNode, useInProcessNodeRed } from './support/in-process-node-red';
import { delay as sleep, waitFor } from './support/wait';
import { freePort } from './support/ports';
import { HOST, checkLeaksAroundEachTest, makeClient, startSimulator } from './support/client-harness';
import { PassThroughTransport } from './support/pass-through-transport';
import { resources, expectResources, trackTimers } from './support/resources';
import { terminalConfigNode } from './support/terminal-config';

/** How late a check may come after its interval on a busy 2-core machine. */
const CLIENT_MARGIN_MS = 400;
const NODE_MARGIN_MS = 700;
/** Timers fire no earlier than asked; connections are timed where the simulator accepts them. */
const SPACING_SLACK_MS = 20;
/** Where the client and its transports are loaded from (their sources): the timers these make must all end. */
const CLIENT_FILES = /[\\/]src[\\/](client|transport)[\\/]/;

/** Times (performance.now()) at which the simulator accepted each connection, in connectionLog's order. */
function watchConnections(simulator: TerminalSimulator): number[] {
  const times: number[] = [];
  // Through the simulator's test-only hook, as each connection is about to be served.
  simulator.hooksForTests.serving = () => {
    times.push(performance.now());
  };
  return times;
}

/** Nothing was ever sent on a connection that carried no request; returns those connections. */
function expectSilentChecks(simulator: TerminalSimulator): TerminalSimulator['connectionLog'] {
  const checks = simulator.connectionLog.filter((connection) => connection.messages === 0);
  for (const connection of checks) assert.equal(connection.bytes, 0, 'a check connection received bytes');
  return checks;
}

function minGap(times: readonly number[]): number {
  let gap = Infinity;
  for (let i = 1; i < times.length; i += 1) gap = Math.min(gap, times[i] - times[i - 1]);
  return gap;
}

/** A status as Node-RED's `status` node delivers it (msg.status), and when it came. */
type HeardStatus = NodeStatus & { source: { id: string }; at: number };

/** A readiness check's connection, held open by holdChecks. */
interface HeldCheck {
  closedAt: number | undefined;
  cancelled: boolean;
  readonly signal: AbortSignal;
}

/** The client's transport, which the test made a PassThroughTransport (at construction, or through TerminalClient.replaceTransportForTests). */
function passThroughOf(client: TerminalClient): PassThroughTransport {
  const transport = client.transport;
  assert.ok(transport instanceof PassThroughTransport, "the client's transport is a PassThroughTransport");
  return transport;
}

/**
 * Makes the client's readiness checks slow, as on a slow network: the real TCP connect, then the
 * connection is held open for holdMs before the check gets it, unless the check is given up
 * (then it is closed at once). A request's own connections (the client is busy) pass unchanged.
 * `onHeld(check)` is told once a check's connection is open. The client's transport must be a
 * PassThroughTransport: the hold is its connect.
 */
function holdChecks(client: TerminalClient, holdMs: number, onHeld?: (check: HeldCheck) => void): HeldCheck[] {
  const checks: HeldCheck[] = [];
  passThroughOf(client).replaceConnect((connect) => (handlers, timeoutMs, signal) => {
    if (client.busy) return connect(handlers, timeoutMs, signal);
    assert.ok(signal, 'a check can be given up');
    const check: HeldCheck = { closedAt: undefined, cancelled: false, signal };
    checks.push(check);
    return connect(handlers, timeoutMs, signal).then(
      (connection) =>
        new Promise<Connection>((resolve, reject) => {
          const close = () => {
            connection.destroy();
            check.closedAt ??= performance.now();
          };
          const onAbort = () => {
            clearTimeout(timer);
            check.cancelled = true;
            close();
            reject(new Error('the connection attempt was cancelled'));
          };
          const timer = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve({ write: connection.write, destroy: close });
          }, holdMs);
          signal.addEventListener('abort', onAbort, { once: true });
          onHeld?.(check);
        }),
    );
  });
  return checks;
}

describe('terminal readiness', function () {
  describe('TerminalClient over TCP (simulator on 127.0.0.1)', function () {
    // The clients' harness: what a test starts (startSimulator, makeClient) is closed after it, and
    // no socket, server or timer may be left (test/support/client-harness.ts).
    checkLeaksAroundEachTest();
    let timers: ReturnType<typeof trackTimers>;

    beforeEach(function () {
      timers = trackTimers();
    });

    // After the harness's own check (hooks run in the order they were added): unref'd timers do
    // not show among the active resources, and a readiness check's timer is unref'd; the watch sees them.
    afterEach(function () {
      const left = timers.pending(CLIENT_FILES);
      timers.stop();
      assert.deepEqual(left, [], 'timers of the client left behind');
    });

    it('is off by default: no connection is ever opened while idle, and readiness stays unknown', async function () {
      const { simulator, port } = await startSimulator();
      const client = makeClient(port);
      client.start();
      await sleep(400);
      assert.equal(client.readinessCheckMs, 0);
      assert.equal(simulator.connectionsAccepted, 0);
      assert.equal(client.readiness.state, 'unknown');
      assert.ok(Math.abs(client.readiness.since - Date.now()) < 2000);
    });

    it('checks an idle terminal: ready; unreachable within the interval once the simulator stops; ready once it starts again; not one byte sent', async function () {
      const INTERVAL = 200;
      const { simulator, port } = await startSimulator();
      const times = watchConnections(simulator);
      const client = makeClient(port, { readinessCheckMs: INTERVAL });
      const changes: Readiness[] = [];
      client.onReadiness((readiness) => changes.push(readiness));
      client.start();
      await waitFor(() => client.readiness.state === 'ready', 'the first check at start', CLIENT_MARGIN_MS);
      await sleep(INTERVAL * 5);
      assert.ok(times.length >= 3 && times.length <= 7, `${times.length} checks in about ${INTERVAL * 5} ms`);
      assert.ok(minGap(times) >= INTERVAL - SPACING_SLACK_MS, `checks at most every ${INTERVAL} ms (closest two: ${minGap(times).toFixed(0)} ms apart)`);
      await waitFor(() => simulator.connectionCount === 0, 'no check connection left open', 150);

      await simulator.close();
      const stoppedAt = performance.now();
      await waitFor(() => client.readiness.state === 'unreachable', 'unreachable', INTERVAL + CLIENT_MARGIN_MS);
      const noticed = performance.now() - stoppedAt;
      assert.match(client.readiness.reason ?? '', /ECONNREFUSED/);
      assert.ok(Math.abs(client.readiness.since - Date.now()) < INTERVAL + CLIENT_MARGIN_MS);

      await simulator.listen(port, HOST);
      const startedAt = performance.now();
      await waitFor(() => client.readiness.state === 'ready', 'ready again', INTERVAL + CLIENT_MARGIN_MS);
      const noticedAgain = performance.now() - startedAt;
      console.log(`      stopped → unreachable in ${noticed.toFixed(0)} ms, started → ready in ${noticedAgain.toFixed(0)} ms (interval ${INTERVAL} ms)`);

      assert.deepEqual(
        changes.map((readiness) => readiness.state),
        ['ready', 'unreachable', 'ready'],
        'a listener hears changes only',
      );
      assert.equal(changes[2].reason, undefined);
      assert.equal(simulator.bytesReceived, 0, 'bytes received from check connections');
      assert.equal(simulator.received.length, 0);
      assert.equal(expectSilentChecks(simulator).length, simulator.connectionsAccepted);
      await waitFor(() => simulator.connectionLog.every((connection) => connection.closed), 'every check connection closed', 500);
    });

    it("never checks while a request is open: the slow answer's connection is the only one; the next check comes a whole interval after it", async function () {
      const INTERVAL = 300;
      const { simulator, port } = await startSimulator({ delayMs: 1500 });
      const times = watchConnections(simulator);
      const client = makeClient(port, { readinessCheckMs: INTERVAL });
      client.start();
      await waitFor(() => client.readiness.state === 'ready', 'the first check', CLIENT_MARGIN_MS);
      const checksBefore = simulator.connectionsAccepted;
      const result: ResultPayload = await client.pay({ amount: '1.00', invoice: 'SLOW-1' });
      const endedAt = performance.now();
      assert.equal(result.result, 'OK', result.message);
      assert.equal(simulator.connectionsAccepted, checksBefore + 1, 'no check beside a request open for 1.5 s (five intervals)');
      const request = simulator.connectionLog[checksBefore];
      assert.equal(request.messages, 1);
      assert.ok(request.bytes > 0);

      await waitFor(() => simulator.connectionsAccepted === checksBefore + 2, 'a check once the request ended', INTERVAL + CLIENT_MARGIN_MS);
      assert.ok(times[times.length - 1] - endedAt >= INTERVAL - SPACING_SLACK_MS - 260, 'the check waits an interval after the request (which ended a confirmation window before it resolved)');
      assert.equal(simulator.connectionLog.at(-1)?.bytes, 0);
      expectSilentChecks(simulator);
    });

    it('never checks while the late answer to a timed-out request is awaited; checks again once that window passed', async function () {
      const INTERVAL = 100;
      const { simulator, port } = await startSimulator({ fault: 'silent' });
      const client = makeClient(port, { readinessCheckMs: INTERVAL, responseTimeoutMs: 300, lateAnswerWindowMs: 900 });
      client.start();
      await waitFor(() => client.readiness.state === 'ready', 'the first check', CLIENT_MARGIN_MS);
      const checksBefore = simulator.connectionsAccepted;
      const result: ResultPayload = await client.pay({ amount: '1.00', invoice: 'LATE-1' });
      assert.equal(result.code, 'TIMEOUT');
      assert.ok(client.busy, 'the late answer is awaited');
      await sleep(700);
      assert.equal(simulator.connectionsAccepted, checksBefore + 1, 'no check during the window for a late answer');
      await waitFor(() => !client.busy, 'the window to pass', 1000);
      await waitFor(() => simulator.connectionsAccepted === checksBefore + 2, 'a check after the window', INTERVAL + CLIENT_MARGIN_MS);
      assert.equal(client.readiness.state, 'ready', 'a timeout says nothing about reachability');
      expectSilentChecks(simulator);
    });

    for (const phase of ['connecting', 'open']) {
      it(`a request arriving while a check connection is ${phase} goes ahead at once on its own connection, and succeeds (no BUSY)`, async function () {
        const { simulator, port } = await startSimulator();
        const client = makeClient(port, { readinessCheckMs: 100, transport: new PassThroughTransport(new TcpTransport({ host: HOST, port })) });
        let paying: Promise<ResultPayload> | undefined;
        let payAt = 0;
        const pay = () => {
          if (paying) return;
          payAt = performance.now();
          paying = client.pay({ amount: '2.00', invoice: `DURING-${phase}` });
        };
        const checks = holdChecks(client, 1000, phase === 'open' ? pay : undefined);
        if (phase === 'connecting') {
          // Right after the check's connect() began: its socket is still connecting.
          passThroughOf(client).replaceConnect((connect) => (...args) => {
            const attempt = connect(...args);
            if (!client.busy) queueMicrotask(pay);
            return attempt;
          });
        }
        client.start();
        // waitFor awaits what its check returns: the request's promise, so this is the request's result.
        const result = await waitFor(() => paying, 'a request during a check', 1000);
        const took = performance.now() - payAt;
        assert.equal(result.result, 'OK', `${result.code}: ${result.message}`);
        assert.ok(took < 600, `the request took ${took.toFixed(0)} ms: not held up by the check's 1 s`);
        assert.equal(checks[0].signal.aborted, true, 'the check gave way');
        assert.equal(client.readiness.state, 'ready');
        const withBytes = simulator.connectionLog.filter((connection) => connection.bytes > 0);
        assert.equal(withBytes.length, 1, "one connection carried bytes: the request's");
        assert.equal(withBytes[0].messages, 1);
        assert.equal(simulator.received.length, 1);
        expectSilentChecks(simulator);
        if (phase === 'open') {
          assert.equal(simulator.connectionLog[0].messages, 0, 'the check connection came first and carried nothing');
          assert.ok((checks[0].closedAt ?? Infinity) - payAt < 50, 'the check connection was closed as the request came');
        }
      });
    }

    it('reuse: no check beside an open reused connection (it is the sign of a terminal there); checks resume once it closes', async function () {
      const INTERVAL = 100;
      const { simulator, port } = await startSimulator();
      const client = makeClient(port, { connectionMode: 'reuse', readinessCheckMs: INTERVAL });
      client.start();
      await waitFor(() => client.readiness.state === 'ready', 'the first check', CLIENT_MARGIN_MS);
      const result: ResultPayload = await client.pay({ amount: '3.00', invoice: 'REUSE-1' });
      assert.equal(result.result, 'OK');
      const accepted = simulator.connectionsAccepted;
      assert.equal(simulator.connectionCount, 1, 'the reused connection stays open');
      await sleep(INTERVAL * 5);
      assert.equal(simulator.connectionsAccepted, accepted, 'no second connection beside the reused one');
      simulator.dropConnections();
      await waitFor(() => simulator.connectionsAccepted === accepted + 1, 'a check once the reused connection closed', INTERVAL * 2 + CLIENT_MARGIN_MS);
      assert.equal(simulator.connectionLog.at(-1)?.bytes, 0);
      assert.equal(client.readiness.state, 'ready');
    });

    it('requests update readiness with the checks off: a failed connect → unreachable, a connection and answer → ready', async function () {
      const port = await freePort();
      const client = makeClient(port);
      const changes: Readiness[] = [];
      client.onReadiness((readiness) => changes.push(readiness));
      const refused: ResultPayload = await client.pay({ amount: '1.00', invoice: 'R-1' });
      assert.equal(refused.code, 'CONNECT');
      assert.equal(client.readiness.state, 'unreachable');
      assert.match(client.readiness.reason ?? '', /ECONNREFUSED/);
      const { simulator } = await startSimulator({}, port);
      const paid = await client.pay({ amount: '1.00', invoice: 'R-2' });
      assert.equal(paid.result, 'OK');
      assert.deepEqual(
        changes.map((readiness) => readiness.state),
        ['unreachable', 'ready'],
      );
      assert.ok(changes[1].since >= changes[0].since);
      await sleep(200);
      assert.equal(simulator.connectionsAccepted, 1, 'with the checks off only requests connect');
    });

    it('refuses a readiness check on a link kept open, and a negative interval', function () {
      const transport = new TcpTransport({ host: HOST, port: 1 });
      assert.throws(() => new TerminalClient({ transport, keepOpen: true, readinessCheckMs: 1000 }), /readinessCheckMs is for links that are not kept open/);
      assert.throws(() => new TerminalClient({ transport, readinessCheckMs: -1 }), /readinessCheckMs must be zero or more/);
      assert.throws(() => new TerminalClient({ transport, readinessCheckMs: Number.NaN }), /readinessCheckMs/);
    });

    it('close() in the middle of a check closes its connection and leaves no timer; its listeners hear nothing more', async function () {
      const { simulator, port } = await startSimulator();
      const client = new TerminalClient({ transport: new PassThroughTransport(new TcpTransport({ host: HOST, port })), readinessCheckMs: 50 });
      let heard = 0;
      client.onReadiness(() => {
        heard += 1;
      });
      let held: HeldCheck | undefined;
      holdChecks(client, 5000, (check) => {
        held = check;
      });
      client.start();
      const check = await waitFor(() => held, 'a check connection held open', 1000);
      assert.equal(simulator.connectionCount, 1);
      client.close();
      assert.ok(check.cancelled && check.closedAt !== undefined, 'the check connection was closed');
      await waitFor(() => simulator.connectionCount === 0, 'the simulator to see it closed', 1000);
      await sleep(150);
      assert.equal(heard, 0);
      assert.equal(simulator.connectionsAccepted, 1, 'no check after close');
      assert.equal(simulator.bytesReceived, 0);
    });
  });

  describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
    this.timeout(15000);
    const TAB = { id: 'tab1', type: 'tab', label: 'readiness' };
    const NODES = [terminalNode, actionNodes, statusNode()];
    let simulator: TerminalSimulator;
    let simPort: number;
    let outputs: { ok: SuccessMessage[]; err: FailureMessage[]; statuses: HeardStatus[] };

    useInProcessNodeRed();

    beforeEach(async function () {
      simulator = new TerminalSimulator();
      simPort = await simulator.listen(0, HOST);
    });

    afterEach(async function () {
      await simulator.close();
    });

    /** The config node, a pay node and a `status` node watching it, each wired to a helper. */
    async function deploy(config: Record<string, unknown> = {}): Promise<DeployedNode> {
      const flow = [
        TAB,
        terminalConfigNode('cfg', simPort, config),
        { id: 'pay', type: 'mypos-pay', z: 'tab1', terminal: 'cfg', receipt: 'OFF', custrcpt: 'OFF', wires: [['pay-ok'], ['pay-err']] },
        { id: 'pay-ok', type: 'helper', z: 'tab1' },
        { id: 'pay-err', type: 'helper', z: 'tab1' },
        { id: 'watch', type: 'status', z: 'tab1', scope: ['pay'], wires: [['statuses']] },
        { id: 'statuses', type: 'helper', z: 'tab1' },
      ];
      await helper.load(NODES, flow);
      outputs = { ok: [], err: [], statuses: [] };
      helper.getNode('pay-ok').on('input', (msg) => outputs.ok.push(msg as SuccessMessage));
      helper.getNode('pay-err').on('input', (msg) => outputs.err.push(msg as FailureMessage));
      helper.getNode('statuses').on('input', (msg) => outputs.statuses.push({ ...(msg.status as HeardStatus), at: performance.now() }));
      return packageNode('pay');
    }

    const lastStatus = (): Partial<HeardStatus> => outputs.statuses.at(-1) ?? {};
    const readinessShown = () => lastStatus().readiness;

    async function result(): Promise<ResultMessage> {
      await waitFor(() => outputs.ok.length + outputs.err.length > 0, 'the result', 10000);
      return outputs.ok[0] ?? outputs.err[0];
    }

    it('off by default: a TCP terminal with the default settings opens no connection while idle, and the status says nothing of readiness', async function () {
      await deploy();
      assert.equal(deployedConfigNode().client?.readinessCheckMs ?? (await deployedConfigNode().whenClient)?.readinessCheckMs, 0);
      await sleep(1500);
      assert.equal(simulator.connectionsAccepted, 0);
      assert.ok(outputs.statuses.every((status) => status.readiness === undefined));
    });

    it('with the check on, the status node hears "ready", then "terminal not reachable" within the interval once the simulator stops, then "ready" once it starts; no check sends a byte', async function () {
      const times = watchConnections(simulator);
      await deploy({ readinessCheck: '1' });
      await waitFor(() => readinessShown() === 'ready', 'ready at deploy', 1000 + NODE_MARGIN_MS);
      assert.deepEqual({ fill: lastStatus().fill, shape: lastStatus().shape, text: lastStatus().text }, { fill: 'green', shape: 'ring', text: 'ready' });
      assert.equal(lastStatus().source?.id, 'pay');

      await simulator.close();
      const stoppedAt = performance.now();
      await waitFor(() => readinessShown() === 'unreachable', 'unreachable', 1000 + NODE_MARGIN_MS);
      const noticed = performance.now() - stoppedAt;
      assert.deepEqual({ fill: lastStatus().fill, shape: lastStatus().shape, text: lastStatus().text }, { fill: 'red', shape: 'ring', text: 'terminal not reachable' });

      await simulator.listen(simPort, HOST);
      const startedAt = performance.now();
      await waitFor(() => readinessShown() === 'ready', 'ready again', 1000 + NODE_MARGIN_MS);
      const noticedAgain = performance.now() - startedAt;
      console.log(`      stopped → "terminal not reachable" in ${noticed.toFixed(0)} ms, started → "ready" in ${noticedAgain.toFixed(0)} ms (interval 1 s)`);

      const shown = outputs.statuses.map((status) => status.readiness);
      assert.deepEqual(shown, ['ready', 'unreachable', 'ready'], 'each change once, nothing between');
      assert.ok(times.length >= 2);
      assert.ok(minGap(times) >= 1000 - SPACING_SLACK_MS, `at most one check a second (closest two: ${minGap(times).toFixed(0)} ms apart)`);
      assert.equal(simulator.bytesReceived, 0, 'bytes received from check connections');
      assert.equal(expectSilentChecks(simulator).length, simulator.connectionsAccepted);
    });

    it('no check while a payment is open (a slow customer): its connection is the only one, and its result stays on the status', async function () {
      simulator.behaviour = { delayMs: 2500 };
      const node = await deploy({ readinessCheck: '1' });
      await waitFor(() => readinessShown() === 'ready', 'ready', 1000 + NODE_MARGIN_MS);
      const accepted = simulator.connectionsAccepted;
      const shownBefore = outputs.statuses.length;
      node.receive({ payload: '4.00', invoice: 'SLOW-NODE-1' });
      const msg = await result();
      assert.equal(msg.payload.result, 'OK');
      assert.equal(simulator.connectionsAccepted, accepted + 1, 'no check beside a payment open for 2.5 s');
      assert.equal(simulator.connectionLog[accepted].messages, 1);
      const during = outputs.statuses.slice(shownBefore);
      assert.ok(
        during.every((status) => status.readiness === undefined),
        'no readiness status while the payment was open',
      );
      await sleep(1200);
      assert.match(lastStatus().text ?? '', /^approved 4\.00/, 'the result stays: readiness did not change');
      expectSilentChecks(simulator);
    });

    it('a payment arriving while a check connection is open succeeds on its own connection at once: never BUSY', async function () {
      const node = await deploy({ readinessCheck: '1' });
      const client = await deployedConfigNode().whenClient;
      assert.ok(client);
      // The config node made the client: the hold goes in front of its transport through the client's test-only seam.
      client.replaceTransportForTests((transport) => new PassThroughTransport(transport));
      let receivedAt: number | undefined;
      const checks = holdChecks(client, 1500, () => {
        if (receivedAt !== undefined) return;
        receivedAt = performance.now();
        node.receive({ payload: '5.00', invoice: 'DURING-CHECK-NODE' });
      });
      const heldAt = await waitFor(() => receivedAt, 'a check held open', 2000 + NODE_MARGIN_MS);
      const msg = await result();
      const took = performance.now() - heldAt;
      assert.equal(msg.payload.result, 'OK', `${msg.payload.code}: ${msg.payload.message}`);
      assert.ok(took < 1000, `the payment took ${took.toFixed(0)} ms: not held up by the check's 1.5 s`);
      assert.ok(checks.at(-1)?.cancelled);
      assert.ok(outputs.statuses.every((status) => !/busy/.test(status.text ?? '')));
      const withBytes = simulator.connectionLog.filter((connection) => connection.bytes > 0);
      assert.equal(withBytes.length, 1);
      assert.equal(withBytes[0].messages, 1);
      expectSilentChecks(simulator);
    });

    it('an unresolved outcome keeps the status: readiness shows again only once it is acknowledged', async function () {
      simulator.behaviour = { fault: 'silent' };
      const node = await deploy({ readinessCheck: '1', responseTimeout: '1', lateAnswerWindow: '0.2' });
      await waitFor(() => readinessShown() === 'ready', 'ready', 1000 + NODE_MARGIN_MS);
      node.receive({ payload: '6.00', invoice: 'UNKNOWN-1' });
      const msg = await result();
      assert.equal(msg.payload.outcome, 'unknown');
      const client = deployedConfigNode().client;
      assert.ok(client);
      await simulator.close();
      await waitFor(() => client.readiness.state === 'unreachable', 'the check to find the terminal gone', 2000 + NODE_MARGIN_MS);
      await sleep(50);
      assert.equal(readinessShown(), undefined, 'the unresolved payment keeps the status');
      assert.match(lastStatus().text ?? '', /^check terminal: /);
      assert.equal(lastStatus().fill, 'red');
      const { journal } = deployedConfigNode();
      assert.ok(journal);
      await journal.acknowledge();
      await waitFor(() => readinessShown() === 'unreachable', 'readiness once acknowledged', 1000);
      assert.equal(lastStatus().text, 'terminal not reachable');
    });

    for (const bad of ['-1', '1.5', 'often', '3601']) {
      it(`a readinessCheck of "${bad}" is refused with a message naming the setting and its range; nothing connects`, async function () {
        const node = await deploy({ readinessCheck: bad });
        const cfg = deployedConfigNode();
        assert.deepEqual(cfg.settingsError, { key: 'settings.wholeNumber', params: { setting: { setting: 'readinessCheck' }, min: 0, max: 3600, got: bad } });
        node.receive({ payload: 1 });
        const msg = await result();
        assert.equal(msg.payload.code, 'CONNECT');
        assert.match(msg.payload.message ?? '', /"Check every" must be a whole number from 0 to 3600/);
        await sleep(200);
        assert.equal(simulator.connectionsAccepted, 0);
      });
    }

    it('a serial terminal takes no readiness check, whatever the hidden field holds', function () {
      const serial = clientOptionsFromConfig({ connection: 'serial', serialPath: '/dev/rfcomm0', readinessCheck: '30' });
      assert.equal(serial.connectionMode, 'keep-open');
      assert.equal(serial.readinessCheckMs, 0);
      assert.equal(clientOptionsFromConfig({ connection: 'serial', serialPath: '/dev/rfcomm0', readinessCheck: 'often' }).readinessCheckMs, 0);
      assert.equal(clientOptionsFromConfig({ connection: 'tcp', host: HOST, readinessCheck: '30' }).readinessCheckMs, 30000);
      assert.equal(clientOptionsFromConfig({ connection: 'tcp', host: HOST }).readinessCheckMs, 0);
    });

    it("unloading with the check on leaves no socket and no timer, unref'd ones included", async function () {
      await sleep(20);
      const before = resources(['TCPSocketWrap', 'Timeout']);
      const timers = trackTimers();
      try {
        const node = await deploy({ readinessCheck: '1' });
        await waitFor(() => readinessShown() === 'ready', 'ready', 1000 + NODE_MARGIN_MS);
        node.receive({ payload: '7.00', invoice: 'BEFORE-UNLOAD' });
        await result();
        await helper.unload();
        await expectResources(before, 'after unloading with the check on', 1000);
        assert.deepEqual(timers.pending(CLIENT_FILES), [], 'timers of the client left behind');
        const accepted = simulator.connectionsAccepted;
        await sleep(1300);
        assert.equal(simulator.connectionsAccepted, accepted, 'no check after the flow stopped');
      } finally {
        timers.stop();
      }
    });
  });

  describe('editor and texts', function () {
    it("the setting's range and default are one rule, served to the editor: whole seconds 0 (off) to 3600, default 0", function () {
      assert.deepEqual(NUMBER_SETTINGS.readinessCheck, { min: 0, max: 3600, integer: true, fallback: 0 });
      assert.deepEqual(EDITOR_CONSTANTS.terminal.numbers.readinessCheck, NUMBER_SETTINGS.readinessCheck);
      const html = fs.readFileSync(path.join(__dirname, '..', 'dist', 'nodes', 'mypos-terminal.html'), 'utf8');
      assert.match(html, /readinessCheck: \{ value: NUMBERS\.readinessCheck\.fallback, validate: numberValidator\('readinessCheck', true, whenConnection\('tcp'\)\) \}/);
      assert.match(html, /<div class="form-row mypos-terminal-tcp-row">\s*<label for="node-config-input-readinessCheck">/, 'the field is on a row the dialog hides for serial');
      assert.ok(!html.includes('__EDITOR_CONSTANTS__'));
    });

    it('the status words come from the catalogs, in English and in Hungarian', function () {
      const catalog = (lang: string, file: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'nodes', 'locales', lang, `${file}.json`), 'utf8'));
      const english = catalog('en-US', 'mypos-actions')['mypos-actions'].status;
      const hungarian = catalog('hu', 'mypos-actions')['mypos-actions'].status;
      assert.equal(english.ready, 'ready');
      assert.equal(english.unreachable, 'terminal not reachable');
      assert.equal(hungarian.ready, 'kész');
      assert.equal(hungarian.unreachable, 'a terminál nem érhető el');
      for (const lang of ['en-US', 'hu']) {
        const terminal = catalog(lang, 'mypos-terminal')['mypos-terminal'];
        for (const key of ['readinessCheck', 'readinessCheckUnit']) assert.ok(terminal.label[key], `${lang}: label.${key}`);
        assert.match(terminal.errors.readinessCheck, /__min__.*__max__/);
      }
      // A runtime in Hungarian (a RED._ over the Hungarian catalog).
      const flat: Record<string, string> = { 'mypos-actions.status.ready': hungarian.ready, 'mypos-actions.status.unreachable': hungarian.unreachable };
      useMessageCatalog({ _: (key) => flat[key] ?? key });
      try {
        assert.deepEqual(statusForReadiness({ state: 'ready', since: 0 }), { fill: 'green', shape: 'ring', text: 'kész', readiness: 'ready' });
        assert.deepEqual(statusForReadiness({ state: 'unreachable', since: 0 }), { fill: 'red', shape: 'ring', text: 'a terminál nem érhető el', readiness: 'unreachable' });
        assert.equal(statusForReadiness({ state: 'unknown', since: 0 }), undefined);
      } finally {
        useMessageCatalog({ _: (key) => key });
      }
    });
  });
});
