/**
 * The fault-injection suite of issue 4: the proof that no request is lost, re-sent or answered
 * with another request's answer, whatever the terminal does. Its parts:
 *
 * - faults-tcp: every action (pay, refund, preauth, complete, cancel) against every simulator
 *   fault over real TCP sockets on 127.0.0.1;
 * - faults-serial: pay over a real serial link (socat pty pair);
 * - faults-hostile-answers: hostile answers from a terminal (DOCTYPE, entity bombs, deep nesting,
 *   10 MB with no end, __proto__ / constructor names, invalid UTF-8), with the event loop and the
 *   heap watched;
 * - faults-hostile-inputs: hostile input messages: every input rule, and values that try to inject XML;
 * - faults-node-red: the pay node in a real Node-RED runtime against the same faults.
 *
 * For each case: the exact result (OK or ERROR, code, outcome), one result per request, what the
 * terminal received (never a re-send; nothing for `not-sent`), what the journal recorded, and that
 * no socket, server, timer or file handle is left once client and terminal are closed.
 * (Shared cases and checks: support/fault-cases.ts; the environments: support/fault-env.ts.)
 */
import assert from 'node:assert/strict';
import { ACTIONS } from '../src';
import { baseline, expectResources, tcpEnv, waitFor } from './support/fault-env';
import { CONNECT, TCP_CASES, assertDelivery, assertNoResend, assertPreauthState, assertResult, expectedText, fieldsFor, runCase, send } from './support/fault-cases';

describe('faults: every simulator fault, every action, over TCP on 127.0.0.1', function () {
  this.timeout(20000);

  for (const action of ACTIONS) {
    describe(action, () => {
      for (const kase of TCP_CASES) {
        const expected = expectedText(kase.expect);
        it(`the terminal ${kase.name} -> ${expected}; never re-sent; the next request gets its own answer`, async () => {
          const before = await baseline();
          const e = await tcpEnv({ clientOptions: kase.client });
          try {
            await runCase(e, action, kase);
          } finally {
            await e.close();
          }
          await expectResources(before, `after "${kase.name}" (${action})`);
        });
      }

      it('the terminal refuses connections -> CONNECT/not-sent; nothing received, nothing journalled', async () => {
        const before = await baseline();
        const e = await tcpEnv();
        try {
          const fields = await fieldsFor(e, action);
          // The terminal goes away: nothing listens on its port any more.
          await e.simulator.close();
          await waitFor(() => e.client.connectionState === 'disconnected', 'the client to notice');
          const sent = await send(e.client, action, fields);
          assertResult(sent.result, CONNECT, action, fields);
          assert.ok(sent.result.result === 'ERROR', 'told by assertResult'); // narrows to a failure
          assert.match(sent.result.message, /nothing answers there\. Is the Payment Interface app open on the terminal\?/);
          assert.deepEqual(sent.phases, ['connecting']);
          await assertDelivery(e, action, fields, sent, 0);
          assertPreauthState(e, action, fields, CONNECT);
          await assertNoResend(e);
        } finally {
          await e.close();
        }
        await expectResources(before, `after "refuses connections" (${action})`);
      });
    });
  }
});
