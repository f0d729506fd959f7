/**
 * Issue 5, in the editor: the action nodes' typed inputs (amount, invoice, preauthcode from msg,
 * a fixed value, flow / global context, env or JSONata), flows saved before those settings
 * existed, the config dialog's "Test connection" endpoint, and the Hungarian message catalogs.
 * Runs in a real Node-RED runtime (node-red-node-test-helper) against the real TerminalSimulator
 * on 127.0.0.1.
 * This file: the config dialog's "Test connection" (POST /mypos-terminal/test).
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import terminalNode from '../nodes/mypos-terminal';
import type { NodeAPI } from '../nodes/node-red';
import { probeTransport } from '../nodes/terminal-probe';
import type { ConnectionHandlers, Transport } from '../src';
import { NODES, TAB } from './support/action-node-flow';
import { deployedConfigNode } from './support/in-process-node-red';
import { freePort } from './support/ports';
import { PtyPair } from './support/pty';
import { savedActionNode, useTypedInputFlow } from './support/typed-input-flow';
import { waitFor } from './support/wait';

describe('typed inputs, test connection and catalogs (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(8000);
  const { flow, deploy } = useTypedInputFlow();

  describe('POST /mypos-terminal/test (the config dialog\'s "Test connection")', function () {
    it('connected: opens a connection with the given settings, says how long it took, closes it and sends nothing', async function () {
      await deploy([]);
      const res = await helper
        .request()
        .post('/mypos-terminal/test')
        .send({ connection: 'tcp', host: '127.0.0.1', port: String(flow.simulator.port), connectTimeout: '2' })
        .expect(200);
      assert.equal(res.body.ok, true, JSON.stringify(res.body));
      assert.equal(res.body.outcome, 'connected');
      assert.equal(res.body.target, `127.0.0.1:${flow.simulator.port}`);
      assert.equal(typeof res.body.ms, 'number');
      assert.match(res.body.message, new RegExp(`^connected to 127\\.0\\.0\\.1:${flow.simulator.port} in \\d+\\sms$`));
      await waitFor(() => flow.simulator.connectionCount === 0, 'the test connection to close', 2000);
      assert.equal(flow.simulator.received.length, 0, 'nothing was sent to the terminal');
    });

    it('refused: nothing listens on the port', async function () {
      await deploy([]);
      const port = await freePort();
      const res = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port, connectTimeout: 2 }).expect(200);
      assert.equal(res.body.ok, false);
      assert.equal(res.body.outcome, 'refused');
      assert.match(res.body.message, new RegExp(`^refused: nothing accepts connections on 127\\.0\\.0\\.1:${port}`));
      // The system's own words are kept apart, for a log; the words are the dialog's.
      assert.match(res.body.detail, /ECONNREFUSED/);
      assert.doesNotMatch(res.body.message, /ECONNREFUSED|connect /);
    });

    it('invalid: settings that cannot make a connection are named as the dialog labels them, and nothing is tried', async function () {
      await deploy([]);
      const noHost = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: ' ', port: '51042' }).expect(200);
      assert.equal(noHost.body.outcome, 'invalid');
      assert.equal(noHost.body.reason, '"Host" is empty: enter the IP address the Payment Interface app shows.');
      assert.equal(noHost.body.message, `check the settings: ${noHost.body.reason}`);
      const badPort = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port: '70000' }).expect(200);
      assert.equal(badPort.body.outcome, 'invalid');
      assert.equal(badPort.body.reason, '"Port" must be a whole number from 1 to 65535, not "70000".');
      const noPath = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: '' }).expect(200);
      assert.equal(noPath.body.outcome, 'invalid');
      assert.equal(noPath.body.reason, '"Serial port" is empty: enter the device of the paired terminal, e.g. /dev/rfcomm0.');
      const badBaud = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: '/dev/x', baudRate: '9600.5' }).expect(200);
      assert.equal(badBaud.body.reason, '"Baud rate" must be a whole number from 50 to 4000000, not "9600.5".');
      const badChoice = await helper.request().post('/mypos-terminal/test').send({ connection: 'bluetooth', host: '127.0.0.1' }).expect(200);
      assert.equal(badChoice.body.reason, '"Connection" must be "TCP/IP (Wi-Fi or LAN)" or "Bluetooth / serial", not "bluetooth".');
      const badTimeout = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', connectTimeout: '0' }).expect(200);
      assert.equal(badTimeout.body.reason, '"Connect within" must be a number of seconds from 1 to 300, not "0".');
    });

    it("failed: the reason in words (explainError), the system's error text only in `detail`", async function () {
      const failing = (error: Error): Transport => ({ description: '/dev/ttyMYPOS', connect: () => Promise.reject(error) });
      const busy = await probeTransport(failing(Object.assign(new Error('EBUSY: resource busy or locked, open'), { code: 'EBUSY' })), 1000);
      assert.equal(busy.outcome, 'in-use');
      assert.equal(busy.message, '/dev/ttyMYPOS is in use by another program');
      const reset = await probeTransport(failing(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 1000);
      assert.equal(reset.outcome, 'failed');
      assert.equal(reset.reason, 'the terminal closed the connection.');
      assert.equal(reset.message, 'cannot connect: the terminal closed the connection.');
      assert.equal(reset.detail, 'read ECONNRESET');
      for (const result of [busy, reset]) assert.doesNotMatch(result.message, /\bE[A-Z]{3,}\b/, 'no system error code in the words');
    });

    it('busy: a terminal with a request open is not disturbed', async function () {
      flow.simulator.behaviour = { delayMs: 600 };
      await deploy(savedActionNode('a', 'pay'));
      helper.getNode('a').receive({ payload: '5.00' });
      await waitFor(() => flow.simulator.received.length === 1, 'the payment to reach the terminal', 2000);
      const connections = flow.simulator.connectionCount;
      const res = await helper.request().post('/mypos-terminal/test').send({ connection: 'tcp', host: '127.0.0.1', port: flow.simulator.port }).expect(200);
      assert.equal(res.body.outcome, 'busy');
      assert.equal(res.body.ok, false);
      assert.equal(flow.simulator.connectionCount, connections, 'no second connection was opened');
      await waitFor(() => flow.outputs.a.ok.length === 1, 'the payment to succeed', 3000);
    });

    it('timed out: a transport that does not connect within the connect timeout', async function () {
      let aborted = false;
      const silent: Transport = {
        description: '192.0.2.1:51042',
        connect: (_handlers: ConnectionHandlers, _timeoutMs: number, signal?: AbortSignal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('the connection attempt was cancelled'));
            });
          }),
      };
      const started = Date.now();
      const result = await probeTransport(silent, 150);
      assert.equal(result.outcome, 'timeout');
      assert.equal(result.ok, false);
      assert.match(result.message, /^timed out: no connection to 192\.0\.2\.1:51042 within 0\.15\ss$/);
      assert.ok(aborted, 'the attempt was given up');
      assert.ok(Date.now() - started < 1000);
    });

    it('serial: opens and closes a device; one the deployed config node holds is reported, not opened twice', async () => {
      const pty = new PtyPair();
      await pty.start();
      try {
        await deploy([]);
        const free = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: pty.nodeSide, connectTimeout: 2 }).expect(200);
        assert.equal(free.body.outcome, 'connected', JSON.stringify(free.body));
        assert.equal(free.body.target, pty.nodeSide);
        await helper.unload();
        await helper.load(NODES, [TAB, flow.terminalConfig({ connection: 'serial', serialPath: pty.nodeSide })]);
        await waitFor(() => deployedConfigNode().client?.connectionState === 'connected', 'the serial link to open', 3000);
        const held = await helper.request().post('/mypos-terminal/test').send({ connection: 'serial', serialPath: pty.nodeSide }).expect(200);
        assert.equal(held.body.outcome, 'in-use');
        assert.equal(held.body.state, 'connected');
        assert.equal(held.body.ok, true);
        assert.equal(deployedConfigNode().client?.connectionState, 'connected', 'the deployed link was not disturbed');
      } finally {
        await helper.unload();
        await pty.dispose();
      }
    });

    it('is registered behind RED.auth.needsPermission("mypos-terminal.write")', function () {
      const routes: { method: string; route: string; handlers: unknown[] }[] = [];
      const guards = new Map<unknown, string>();
      // Only what the config node uses at registration.
      const fakeRED: Pick<NodeAPI, 'nodes' | 'httpAdmin' | 'auth' | 'settings' | '_'> = {
        nodes: { registerType: () => undefined, createNode: () => undefined, getNode: () => undefined },
        httpAdmin: {
          get: (route, ...handlers) => routes.push({ method: 'get', route, handlers }),
          post: (route, ...handlers) => routes.push({ method: 'post', route, handlers }),
        },
        auth: {
          needsPermission(permission) {
            const guard = () => undefined;
            guards.set(guard, permission);
            return guard;
          },
        },
        settings: {},
        _: (key) => key,
      };
      terminalNode(fakeRED as NodeAPI);
      const test = routes.find((r) => r.method === 'post' && r.route === '/mypos-terminal/test');
      assert.ok(test, 'POST /mypos-terminal/test is registered');
      assert.equal(test.handlers.length, 2, 'a permission guard, then the handler');
      assert.equal(guards.get(test.handlers[0]), 'mypos-terminal.write');
    });
  });
});
