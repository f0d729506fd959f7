/**
 * Robustness of the action nodes in a real Node-RED runtime against the TerminalSimulator on
 * 127.0.0.1 (test/support/robustness-runtime.ts), 3: the operator's trail: the warning for an
 * unknown outcome, the unresolved status, the acknowledgement of one entry, and a late answer.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { ErrorCode, SimulatorBehaviour } from '../src';
import { waitFor } from './support/wait';
import { deploy, expectError, expectNodeRedUp, expectOk, invoice, oneOutput, outputs, port, simulator, useRobustnessRuntime, warnings, watchStatus } from './support/robustness-runtime';

/** An entry of the journal as the admin API lists it (JSON), as far as these tests read it. */
interface EntryBody {
  id: string;
  invoice: string;
}

/** Unknown outcomes: what the simulator does, the config node's settings, and the code the node reports. */
const UNKNOWN_OUTCOMES: [SimulatorBehaviour, Record<string, string>, ErrorCode][] = [
  [{ fault: 'silent' }, { responseTimeout: '1', lateAnswerWindow: '0.1' }, 'TIMEOUT'],
  [{ fault: 'garbage' }, { lateAnswerWindow: '0.1' }, 'PROTOCOL'],
];

describe('robustness: the action nodes in Node-RED (simulator on 127.0.0.1)', function () {
  this.timeout(15000);

  useRobustnessRuntime();

  describe("3. the operator's trail", function () {
    for (const [fault, config, code] of UNKNOWN_OUTCOMES) {
      it(`a. the warning for an unknown outcome (${fault.fault}) names the action, the invoice, the amount and the terminal`, async function () {
        await deploy(config);
        simulator().nextBehaviours.push(fault);
        const inv = invoice('WARN');
        helper.getNode('pay').receive({ payload: '12.34', invoice: inv });
        expectError(await oneOutput(), code, 'unknown');
        const found = await waitFor(() => warnings().find((w) => w.id === 'pay' && w.msg.includes(inv)), 'the warning', 1000);
        assert.match(found.msg, /^payment 12\.34, invoice /, 'names the action');
        assert.match(found.msg, /invoice /, 'says which is the invoice');
        assert.ok(found.msg.includes(`invoice ${inv}`), `names the invoice: ${found.msg}`);
        assert.ok(found.msg.includes('12.34'), `names the amount: ${found.msg}`);
        assert.ok(found.msg.includes(`127.0.0.1:${port()}`), `names the terminal: ${found.msg}`);
        assert.match(found.msg, /may have gone through/, 'says what it means');
        await expectNodeRedUp();
      });
    }

    it('b. after an unknown outcome, the status keeps the unresolved request (red) through the next approval until it is acknowledged', async function () {
      const { client, journal, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const seen = watchStatus(pay);
      simulator().nextBehaviours.push({ fault: 'garbage' });
      const lost = invoice('LOST');
      pay.receive({ payload: '9.10', invoice: lost });
      expectError(await oneOutput(), 'PROTOCOL', 'unknown');
      await client.idle();
      assert.deepEqual(
        journal.unresolved.map((e) => e.invoice),
        [lost],
      );

      outputs.length = 0;
      pay.receive({ payload: '9.20', invoice: invoice() });
      expectOk(await oneOutput());
      // The approval is on the message; the status keeps what needs a person (both do not fit under a node).
      const afterApproval = seen[seen.length - 1];
      assert.equal(afterApproval.text, 'check terminal: 9.10', `the unresolved request is still shown: "${afterApproval.text}"`);
      assert.equal(afterApproval.fill, 'red');

      const id = journal.unresolved[0].id;
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [id] })
        .expect(200);
      assert.deepEqual(
        acknowledged.body.acknowledged.map((e: EntryBody) => e.id),
        [id],
      );

      outputs.length = 0;
      pay.receive({ payload: '9.30', invoice: invoice() });
      expectOk(await oneOutput());
      const last = seen[seen.length - 1];
      assert.match(last.text ?? '', /approved 9\.30/);
      assert.doesNotMatch(last.text ?? '', /check terminal/);
      assert.equal(last.fill, 'green');
      await expectNodeRedUp();
    });

    it('b. acknowledging clears the unresolved status at once, without waiting for the next message', async function () {
      const { client, journal, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const seen = watchStatus(pay);
      simulator().nextBehaviours.push({ fault: 'garbage' });
      pay.receive({ payload: '9.40', invoice: invoice('LOST') });
      expectError(await oneOutput(), 'PROTOCOL', 'unknown');
      await client.idle();
      outputs.length = 0;
      pay.receive({ payload: '9.50', invoice: invoice() });
      expectOk(await oneOutput());
      assert.match(seen[seen.length - 1].text ?? '', /check terminal/);
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [journal.unresolved[0].id] })
        .expect(200);
      assert.equal(acknowledged.body.acknowledged.length, 1);
      assert.deepEqual(journal.unresolved, []);
      // Nothing else happens on the node: the acknowledgement alone must take the red warning away.
      await waitFor(() => !/check terminal/.test(seen[seen.length - 1].text ?? ''), `the status to drop the acknowledged request (statuses: ${JSON.stringify(seen.map((s) => s.text))})`);
      await expectNodeRedUp();
    });

    it('c. acknowledging one entry by id when two are unresolved leaves the other listed', async function () {
      const { client, pay } = await deploy({ lateAnswerWindow: '0.1' });
      const invoices = [invoice('ONE'), invoice('TWO')];
      for (const inv of invoices) {
        simulator().nextBehaviours.push({ fault: 'garbage' });
        outputs.length = 0;
        pay.receive({ payload: '10.00', invoice: inv });
        expectError(await oneOutput(), 'PROTOCOL', 'unknown');
        await client.idle();
      }
      const listed = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(
        listed.body.unresolved.map((e: EntryBody) => e.invoice),
        invoices,
      );
      const [first, second]: EntryBody[] = listed.body.unresolved;
      const acknowledged = await helper
        .request()
        .post('/mypos-terminal/cfg/acknowledge')
        .send({ ids: [first.id] })
        .expect(200);
      assert.deepEqual(
        acknowledged.body.acknowledged.map((e: EntryBody) => e.id),
        [first.id],
      );
      const after = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(
        after.body.unresolved.map((e: EntryBody) => e.id),
        [second.id],
      );
      assert.equal(after.body.unresolved[0].invoice, invoices[1]);
      await expectNodeRedUp();
    });

    it('d. a late answer is logged naming the request and what the terminal said, recorded, and no longer shown as unresolved', async function () {
      const { client, journal, pay } = await deploy({ responseTimeout: '1', lateAnswerWindow: '3' });
      const seen = watchStatus(pay);
      simulator().nextBehaviours.push({ delayMs: 1500 });
      const inv = invoice('LATE');
      pay.receive({ payload: '11.11', invoice: inv });
      expectError(await oneOutput(), 'TIMEOUT', 'unknown');
      await waitFor(() => seen.some((s) => /check terminal/.test(s.text ?? '')), 'the unresolved status after the timeout');
      assert.deepEqual(
        journal.unresolved.map((e) => e.invoice),
        [inv],
      );

      const late = await waitFor(() => warnings().find((w) => w.id === 'pay' && /Late answer/.test(w.msg)), 'the late-answer warning', 3000);
      await client.idle();
      const answered = simulator().received[0];
      assert.equal(answered.request?.invoice, inv);
      assert.ok(late.msg.includes(`invoice ${inv}`), `names the invoice: ${late.msg}`);
      assert.ok(late.msg.includes('11.11'), `names the amount: ${late.msg}`);
      assert.ok(late.msg.includes(`127.0.0.1:${port()}`), `names the terminal: ${late.msg}`);
      assert.match(late.msg, /\bpayment\b/);
      assert.match(late.msg, /It was approved \(ref \d{12}\)/, `says what the terminal said: ${late.msg}`);

      await waitFor(() => journal.unresolved.length === 0, 'the journal to record the late answer');
      const ref = /ref (\d{12})/.exec(late.msg)?.[1] ?? '';
      const listed = await helper.request().get('/mypos-terminal/cfg/unresolved').expect(200);
      assert.deepEqual(listed.body.unresolved, []);
      await waitFor(() => !/check terminal/.test(seen[seen.length - 1].text ?? ''), 'the status to stop showing the request as unresolved');
      // Recorded as approved: the same invoice is now refused as already paid, not as unknown.
      outputs.length = 0;
      pay.receive({ payload: '11.11', invoice: inv });
      const refused = expectError(await oneOutput(), 'DUPLICATE', 'not-sent');
      assert.match(refused.payload.message ?? '', /already went through/);
      assert.equal(simulator().received.length, 1);
      assert.match(ref, /^\d{12}$/);
      await expectNodeRedUp();
    });
  });
});
