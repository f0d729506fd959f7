/**
 * Every node of the package in a real Node-RED runtime (node-red-node-test-helper), against the
 * real TerminalSimulator on 127.0.0.1. Covers the contract of issue 2: output shape, input rules,
 * the error table, one output per input, node status, closing mid-transaction and partial deploys.
 * This file: closing mid-transaction and partial redeploys.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { TAB, actionNode, expectSuccess, useActionNodeFlow } from './support/action-node-flow';
import { DeployedNode, FailureMessage, packageNode } from './support/flow-outputs';
import type { FlowNode } from './support/flow-node';
import type { NodeMessage } from '../nodes/node-red';
import { deployedConfigNode } from './support/in-process-node-red';
import { delay as sleep, waitFor } from './support/wait';
import { resources, expectResources } from './support/resources';

/** Handles a stopped node must give back. */
const SOCKETS_AND_TIMERS = ['TCPSocketWrap', 'Timeout'];

/** Node-RED's runtime hook that a node's done() calls: Node.prototype._complete(msg, error). */
interface NodeRedCompletion {
  _complete(msg: NodeMessage, error?: unknown): void;
}

/** Records every output a node sends (each send: one entry per output, null where nothing went), and still sends it. */
function recordSends(node: DeployedNode): (FailureMessage | null)[][] {
  const sent: (FailureMessage | null)[][] = [];
  const originalSend = node.send.bind(node);
  node.send = (msgs) => {
    sent.push(msgs as (FailureMessage | null)[]);
    originalSend(msgs);
  };
  return sent;
}

describe('Node-RED nodes (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(5000);
  const flow = useActionNodeFlow();

  describe('closing mid-transaction', function () {
    it('unload with a request open: error output CONNECTION_LOST/unknown, done called, fast, nothing leaked', async function () {
      flow.simulator.behaviour = { fault: 'silent' };
      // Let the simulator's listening server settle before the baseline.
      await sleep(20);
      const before = resources(SOCKETS_AND_TIMERS);
      // After the flow stops, the terminal is kept for its late answer this long, then let go.
      const node = await flow.deployOne('pay', { config: { lateAnswerWindow: '0.2' } });
      const sent = recordSends(node);
      const completions: { msg: NodeMessage; error: unknown }[] = [];
      // done() is seen where Node-RED's runtime takes it (Node.prototype._complete): nothing of the
      // flow that could report it (a `complete` node) is still running while the flow stops.
      const completing = node as unknown as NodeRedCompletion;
      const originalComplete = completing._complete.bind(completing);
      completing._complete = (msg, error) => {
        completions.push({ msg, error });
        originalComplete(msg, error);
      };
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown) => uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUncaught);
      try {
        node.receive({ _msgid: 'open-1', payload: 9, invoice: 'OPEN-1' });
        await waitFor(() => flow.simulator.received.length === 1, 'the request to arrive', 2000);
        await sleep(20);
        assert.equal(flow.count('act'), 0, 'no answer yet');

        const start = Date.now();
        await helper.unload();
        const took = Date.now() - start;
        assert.ok(took < 1000, `unload took ${took} ms`);

        await sleep(50);
        assert.equal(sent.length, 1, 'exactly one output for the open request');
        const [ok, err] = sent[0];
        assert.equal(ok, null);
        assert.ok(err, 'the error output');
        assert.equal(err._msgid, 'open-1');
        assert.equal(err.payload.code, 'CONNECTION_LOST');
        assert.equal(err.payload.outcome, 'unknown');
        assert.equal(err.payload.invoice, 'OPEN-1');
        assert.deepEqual(err.error, { message: err.payload.message, code: 'CONNECTION_LOST', outcome: 'unknown' });
        assert.match(err.error.message, /may have gone through/i);
        // If the runtime still delivered it, it was delivered once, on output 2.
        assert.ok(flow.count('act') <= 1);
        assert.equal(flow.outputs.act.ok.length, 0);

        assert.equal(completions.length, 1, 'done() called once');
        assert.equal(completions[0].error, undefined);

        assert.equal(flow.simulator.connectionCount, 0, 'the flow.simulator saw the connection close');
        await expectResources(before, 'after unloading with a request open, once the window for a late answer passed', 1000);
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
      }
    });

    it('unload with an idle open connection: fast, nothing leaked', async function () {
      await sleep(20);
      const before = resources(SOCKETS_AND_TIMERS);
      await flow.deployOne('pay', { config: { connectionMode: 'reuse' } });
      expectSuccess(await flow.run('act', { payload: 1 }));
      assert.equal(flow.simulator.connectionCount, 1, 'the connection stays open between requests');
      const start = Date.now();
      await helper.unload();
      assert.ok(Date.now() - start < 1000);
      await expectResources(before, 'after unloading with an idle connection');
      assert.equal(flow.simulator.connectionCount, 0);
    });
  });

  describe('partial redeploy', function () {
    // One connection reused, so that a restart of the config node would show as a new one.
    function flowWith(ids: string[], renamed: Record<string, string> = {}): FlowNode[] {
      return [TAB, flow.terminalConfig({ connectionMode: 'reuse', lateAnswerWindow: '0.2' }), ...ids.flatMap((id) => actionNode(id, 'pay', renamed[id] ? { name: renamed[id] } : {}))];
    }

    it('removing one action node mid-transaction of another does not close the shared connection', async function () {
      await flow.deploy(flowWith(['a', 'b']));
      const client = deployedConfigNode().client;
      assert.ok(client);
      expectSuccess(await flow.run('b', { payload: 1, invoice: 'B-1' }));
      assert.equal(flow.accepted, 1);
      flow.outputs.b = { ok: [], err: [] };

      flow.simulator.behaviour = { delayMs: 300 };
      helper.getNode('b').receive({ payload: 2, invoice: 'B-2' });
      await waitFor(() => flow.simulator.received.length === 2, 'B-2 to arrive', 2000);

      // Deploy "modified nodes" with node a removed, while b's request is open.
      await helper.setFlows(flowWith(['b']), 'nodes');
      assert.equal(helper.getNode('a'), null, 'node a was removed');
      assert.equal(deployedConfigNode().client, client, 'the config node was not restarted');

      const b2 = expectSuccess(await flow.one('b', 2000));
      assert.equal(b2.payload.invoice, 'B-2');

      flow.simulator.behaviour = {};
      flow.outputs.b = { ok: [], err: [] };
      expectSuccess(await flow.run('b', { payload: 3, invoice: 'B-3' }));
      assert.equal(flow.accepted, 1, "all of b's requests went over the first connection");
      assert.equal(flow.simulator.connectionCount, 1);
    });

    it('restarting a modified action node leaves the other node working on the same connection', async function () {
      await flow.deploy(flowWith(['a', 'b']));
      const client = deployedConfigNode().client;
      expectSuccess(await flow.run('a', { payload: 1 }));
      expectSuccess(await flow.run('b', { payload: 1 }));
      assert.equal(flow.accepted, 1);

      const helpersBefore = ['a-ok', 'a-err', 'b-ok', 'b-err'].map((id) => helper.getNode(id));
      const aBefore = helper.getNode('a');
      await helper.setFlows(flowWith(['a', 'b'], { a: 'a renamed' }), 'nodes');
      assert.notEqual(helper.getNode('a'), aBefore, 'node a was restarted');
      assert.equal(helper.getNode('a').name, 'a renamed');
      assert.equal(deployedConfigNode().client, client, 'the config node was not restarted');
      // Only the modified node restarts: the helper nodes (and their listeners) are the same.
      assert.deepEqual(
        ['a-ok', 'a-err', 'b-ok', 'b-err'].map((id) => helper.getNode(id)),
        helpersBefore,
      );
      flow.outputs.a = { ok: [], err: [] };
      flow.outputs.b = { ok: [], err: [] };

      expectSuccess(await flow.run('b', { payload: 2 }));
      expectSuccess(await flow.run('a', { payload: 3 }));
      assert.equal(flow.accepted, 1, 'no reconnect was needed');
      assert.equal(flow.simulator.connectionCount, 1);
    });

    /** Removes node a by a partial deploy while its request is open; returns what old a sent. */
    async function removeWhileOpen({ busyFirst }: { busyFirst: boolean }): Promise<void> {
      flow.simulator.nextBehaviours.push({ fault: 'silent' });
      await flow.deploy(flowWith(['a', 'b']));
      const oldA = packageNode('a');
      const sentByOldA = recordSends(oldA);
      oldA.receive({ _msgid: 'a-open', payload: 5, invoice: 'A-OPEN' });
      await waitFor(() => flow.simulator.received.length === 1, 'A-OPEN to arrive', 2000);
      if (busyFirst) {
        // A second message on the same node while its first is open: BUSY, as the contract says.
        oldA.receive({ _msgid: 'a-busy', payload: 6, invoice: 'A-BUSY' });
        await waitFor(() => sentByOldA.length === 1, 'the BUSY answer', 2000);
        assert.equal(sentByOldA[0][1]?.payload.code, 'BUSY');
        sentByOldA.shift();
      }

      const start = Date.now();
      await helper.setFlows(flowWith(['b']), 'nodes');
      assert.equal(helper.getNode('a'), null, 'node a was removed');
      await waitFor(() => sentByOldA.length === 1 || Date.now() - start > 1000, 'A-OPEN to end', 1500);
      assert.equal(sentByOldA.length, 1, 'A-OPEN got its output within a second of the node being removed');
      const [ok, err] = sentByOldA[0];
      assert.equal(ok, null);
      assert.ok(err, 'the error output');
      assert.equal(err._msgid, 'a-open');
      assert.equal(err.payload.code, 'CONNECTION_LOST');
      assert.equal(err.payload.outcome, 'unknown');

      // The terminal is free again for the nodes that remain, once A-OPEN's late answer can no longer come.
      const client = deployedConfigNode().client;
      assert.ok(client);
      assert.equal(client.busy, true, "kept for A-OPEN's late answer");
      await waitFor(() => !client.busy, 'the window for a late answer to pass', 1000);
      expectSuccess(await flow.run('b', { payload: 7, invoice: 'B-AFTER' }));
      assert.equal(flow.simulator.received[flow.simulator.received.length - 1].request?.invoice, 'B-AFTER');
    }

    it('removing a node whose request is open ends that request at once (CONNECTION_LOST) and frees the terminal after the window for a late answer', async function () {
      await removeWhileOpen({ busyFirst: false });
    });

    it('the same, after that node answered a second message with BUSY', async function () {
      await removeWhileOpen({ busyFirst: true });
    });

    it('closing an idle action node through its close handler does not touch the shared client', async function () {
      await flow.deploy(flowWith(['a', 'b']));
      flow.simulator.behaviour = { delayMs: 200 };
      helper.getNode('b').receive({ payload: 2, invoice: 'B-OPEN' });
      await waitFor(() => flow.simulator.received.length === 1, 'the request', 2000);
      await packageNode('a').close(true);
      const b = expectSuccess(await flow.one('b', 2000));
      assert.equal(b.payload.invoice, 'B-OPEN');
      assert.equal(flow.accepted, 1);
    });
  });
});
