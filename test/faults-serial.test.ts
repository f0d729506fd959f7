/**
 * The fault-injection suite (see faults-tcp.test.ts), over a serial link: pay against the
 * simulator's faults on a real socat pty pair, a link that goes away and comes back, and a
 * device that does not exist.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Journal, SerialTransport, TerminalClient } from '../src';
import type { SerialEnv } from './support/fault-env';
import { baseline, expectResources, journalRecords, serialEnv, sleep, tempDir, waitFor } from './support/fault-env';
import type { FaultCase } from './support/fault-cases';
import { CONNECT, FIELDS, LOST, OK, QUIET_MS, TIMEOUT, assertDelivery, assertNoResend, assertResult, commonCases, expectedText, keyFor, lateAnswerCase, runCase, send } from './support/fault-cases';

/** Waits until part of an answer arrived at the client (the bytes its transport handed it since now). */
const answerBegan = (e: SerialEnv): Promise<boolean> => {
  const before = e.bytesToClient;
  return waitFor(() => e.bytesToClient > before, 'the first half of the answer to arrive');
};

/**
 * Over a pty pair a port closed by one end is not seen by the other (socat keeps both open, as a
 * wired null-modem link would); a closed link is socat going away (`vanish`), as a Bluetooth
 * terminal that leaves does. `during` runs once the request reached the terminal.
 */
const SERIAL_CASES: readonly FaultCase<SerialEnv>[] = [
  ...commonCases<SerialEnv>(),
  {
    name: 'link goes away before the answer',
    fault: { fault: 'silent' },
    during: (e) => e.vanish(),
    expect: LOST,
    restore: true,
  },
  {
    name: 'link goes away half-way through the answer',
    client: { replyStallTimeoutMs: 5000 },
    fault: { fault: 'halfway' },
    during: async (e) => {
      await answerBegan(e);
      await e.vanish();
    },
    expect: LOST,
    restore: true,
  },
  {
    // The simulator closes its end of the pty; the client cannot see that, so it times out.
    name: 'closes its end of the link instead of answering (unseen over a pty: times out)',
    client: { responseTimeoutMs: 400 },
    fault: { fault: 'drop' },
    expect: TIMEOUT,
    restore: true,
  },
  lateAnswerCase<SerialEnv>('within', 550),
  // Known limitation, documented in docs/bluetooth.md ("Known limits"): a serial link has no
  // per-request channel (replacing the port does not stop an answer under way, as closing a TCP
  // socket does), so an answer later than lateAnswerWindowMs (10 s by default) cannot be told from
  // the next request's answer.
  lateAnswerCase<SerialEnv>('after', 550, { knownLimitation: true }),
];

describe('faults: pay over a serial link (socat pty pair)', function () {
  this.timeout(20000);

  for (const kase of SERIAL_CASES) {
    const expected = expectedText(kase.expect);
    (kase.knownLimitation && !process.env.MYPOS_KNOWN_LIMITS ? it.skip : it)(`the terminal ${kase.name} -> ${expected}; never re-sent; the next request gets its own answer`, async () => {
      const before = await baseline();
      const e = await serialEnv({ clientOptions: kase.client });
      try {
        await runCase(e, 'pay', kase, { during: kase.during });
      } finally {
        await e.close();
      }
      await expectResources(before, `after "${kase.name}" (serial)`);
    });
  }

  it('the link drops after every answer -> each request OK on the reopened link, each sent once', async () => {
    const before = await baseline();
    const e = await serialEnv();
    try {
      for (let round = 0; round < 3; round++) {
        const fields = FIELDS.pay();
        const sent = await send(e.client, 'pay', fields);
        assertResult(sent.result, OK, 'pay', fields);
        assert.deepEqual([sent.result.ref], e.log.refsFor(keyFor('pay', fields)));
        await assertDelivery(e, 'pay', fields, sent, 1);
        // A moment after the answer (right after it is the next test).
        await sleep(100);
        await e.vanish();
        await waitFor(() => e.client.connectionState !== 'connected', 'the client to see the link go');
        await e.restore();
      }
      await assertNoResend(e);
    } finally {
      await e.close();
    }
    await expectResources(before, 'after "the link drops after every answer" (serial)');
  });

  // Known limitation, documented in docs/bluetooth.md ("Known limits"): serialport's reader can
  // miss a pty that vanishes right after a read and spin instead of reporting the close; the next
  // write then fails and the request ends CONNECTION_LOST/unknown. Kept (pending) until that is
  // fixed upstream or worked around. Since an answer counts only 250 ms after it arrived, this
  // test's link goes 250 ms after the read and it passes (65 of 65 rounds, MYPOS_KNOWN_LIMITS=1);
  // a link that goes within those 250 ms still meets the race, so the limit stands.
  (process.env.MYPOS_KNOWN_LIMITS ? it : it.skip)('the link goes away right after an answer -> the client sees it, and the next request is CONNECT/not-sent (5 rounds)', async () => {
    // A race: whether the client notices depends on when the link goes; five rounds make a
    // miss show up reliably (it was missed in about half of the rounds when this was written).
    const before = await baseline();
    const rounds: { state: string; cpuMsIn500ms: number; code: string | undefined; outcome: string | undefined; message: string | undefined }[] = [];
    for (let round = 0; round < 5; round++) {
      const e = await serialEnv();
      try {
        const fields = FIELDS.pay();
        const sent = await send(e.client, 'pay', fields);
        assertResult(sent.result, OK, 'pay', fields);
        await e.vanish();
        await e.closeTerminalSide();
        // What the client's end costs while it waits: a port stuck reading a vanished device spins.
        const cpu = process.cpuUsage();
        await sleep(500);
        const cpuMs = Math.round(process.cpuUsage(cpu).user / 1000);
        const state = e.client.connectionState;
        const nextFields = FIELDS.pay();
        const next = await send(e.client, 'pay', nextFields);
        const failure = next.result.result === 'ERROR' ? next.result : undefined;
        rounds.push({ state, cpuMsIn500ms: cpuMs, code: failure?.code, outcome: failure?.outcome, message: failure?.message });
      } finally {
        await e.close();
      }
    }
    const bad = rounds.filter((round) => round.state !== 'disconnected' || round.code !== 'CONNECT');
    assert.deepEqual(
      bad,
      [],
      `in ${bad.length} of 5 rounds the client still showed the vanished link as "${bad[0]?.state}" 500 ms later (using ${bad[0]?.cpuMsIn500ms} ms of CPU in those 500 ms), and the next request ended ${bad[0]?.code}/${bad[0]?.outcome} instead of CONNECT/not-sent`,
    );
    await expectResources(before, 'after "the link goes away right after an answer"');
  });

  it('the device does not exist -> CONNECT/not-sent at once; nothing journalled', async () => {
    const before = await baseline();
    const dir = tempDir('mypos-faults-nodevice-');
    const journalFile = path.join(dir, 'terminal.jsonl');
    const journal = new Journal(journalFile);
    // A connect timeout far beyond the test's own: the refusal cannot come from waiting.
    const client = new TerminalClient({
      transport: new SerialTransport({ path: path.join(dir, 'rfcomm-that-is-not-there') }),
      keepOpen: true,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      connectTimeoutMs: 600000,
      journal,
    });
    try {
      client.start();
      const fields = FIELDS.pay();
      const sent = await send(client, 'pay', fields);
      assertResult(sent.result, CONNECT, 'pay', fields);
      assert.ok(sent.result.result === 'ERROR', 'told by assertResult'); // narrows to a failure
      assert.match(sent.result.message, /rfcomm-that-is-not-there/);
      assert.equal(sent.phases.includes('sent'), false);
      await sleep(QUIET_MS);
      assert.equal(client.busy, false);
      const records = journalRecords(journalFile, keyFor('pay', fields));
      assert.equal(records.begins.length, 0, 'a request that was not sent is not journalled as sent');
    } finally {
      client.close();
      await journal.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expectResources(before, 'after "the device does not exist"');
  });
});
