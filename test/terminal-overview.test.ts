/**
 * The rule for the one state word the sidebar's block shows of a terminal (nodes/terminal-overview.ts),
 * in order: wrong settings, busy (a request, or the wait for a late answer), a serial link's state,
 * readiness; and config nodes of one terminal listed as one. Config nodes and clients here are
 * plain objects with the fields the rule reads; the real ones are in console-api.test.ts and
 * e2e/sidebar-terminals.test.ts.
 */

import assert from 'node:assert/strict';
import { overviewOf, type TerminalOverview } from '../nodes/terminal-overview';
import type { TerminalConfigNode } from '../nodes/terminal-settings';
import type { TerminalClient } from '../src/client/terminal-client';
import { explain, type TerminalRequest } from '../src/protocol';

const T0 = Date.parse('2026-12-02T10:00:00.000Z');
const REQUEST: TerminalRequest = { action: 'pay', amount: { text: '12.50', minor: 1250n }, invoice: 'A-1', receipt: 'ON', custrcpt: 'ON' };

/** The fields of a TerminalClient the rule reads. */
interface ClientFields {
  activity?: TerminalClient['activity'];
  keepOpen?: boolean;
  link?: TerminalClient['linkState'];
  readiness?: TerminalClient['readiness'];
  unresolved?: { id: string }[];
}

type FakeClient = Pick<TerminalClient, 'activity' | 'keepOpen' | 'linkState' | 'readiness'> & {
  transport: { description: string };
  journal: { ready: Promise<unknown>; unresolvedAt: () => unknown[] };
};

function client({
  activity = { kind: 'idle' },
  keepOpen = false,
  link = { state: 'disconnected', since: T0 },
  readiness = { state: 'unknown', since: T0 },
  unresolved = [],
}: ClientFields = {}): FakeClient {
  const journal = { ready: Promise.resolve(), unresolvedAt: () => unresolved };
  return { transport: { description: keepOpen ? '/dev/rfcomm0' : '192.168.1.20:51042' }, journal, activity, keepOpen, linkState: link, readiness };
}

/** The fields of a TerminalConfigNode the rule reads. */
interface NodeFields {
  client?: FakeClient;
  description?: string;
  settingsError?: TerminalConfigNode['settingsError'];
  unusable?: TerminalConfigNode['unusable'];
}

/** A config node as a plain object with the fields the rule reads (the real ones: console-api.test.ts). */
function node(id: string, fields: NodeFields = {}): TerminalConfigNode {
  return { id, name: `till ${id}`, connectionKind: fields.client?.keepOpen ? 'serial' : 'tcp', ...fields } as unknown as TerminalConfigNode;
}

async function one(fields: NodeFields): Promise<TerminalOverview> {
  const [overview] = await overviewOf([node('a', fields)]);
  return overview;
}

describe("the sidebar block's state word for a terminal", function () {
  it('unknown (no since) before anything is known; ready or unreachable, since when, as readiness says', async function () {
    assert.deepEqual(await one({ client: client() }), {
      connection: '192.168.1.20:51042',
      kind: 'tcp',
      nodes: [{ id: 'a', name: 'till a' }],
      state: 'unknown',
      since: null,
      attention: 0,
    });
    const ready = await one({ client: client({ readiness: { state: 'ready', since: T0 } }) });
    assert.deepEqual([ready.state, ready.since, ready.reason], ['ready', '2026-12-02T10:00:00.000Z', undefined]);
    const unreachable = await one({ client: client({ readiness: { state: 'unreachable', since: T0 + 60000, reason: 'ECONNREFUSED' } }) });
    assert.deepEqual([unreachable.state, unreachable.since, unreachable.reason], ['unreachable', '2026-12-02T10:01:00.000Z', 'ECONNREFUSED']);
  });

  it('busy wins over readiness and the link: with what (a request, or the wait for its late answer) and since when', async function () {
    const busy = await one({ client: client({ readiness: { state: 'ready', since: T0 }, activity: { kind: 'request', request: REQUEST, since: T0 + 5000 } }) });
    assert.deepEqual([busy.state, busy.since, busy.busy], ['busy', '2026-12-02T10:00:05.000Z', { with: 'request', action: 'pay', amount: '12.50', invoice: 'A-1' }]);
    const cancel: TerminalRequest = { action: 'cancel', preauthCode: '7788', receipt: 'ON', custrcpt: 'ON' };
    const late = await one({ client: client({ keepOpen: true, link: { state: 'connected', since: T0 }, activity: { kind: 'late-answer', request: cancel, since: T0 } }) });
    assert.deepEqual([late.state, late.busy], ['busy', { with: 'late-answer', action: 'cancel', preauthcode: '7788' }]);
  });

  it('a link kept open (serial) says connected, or disconnected (connecting counts as down), since it came up or went down', async function () {
    const up = await one({ client: client({ keepOpen: true, link: { state: 'connected', since: T0 }, readiness: { state: 'ready', since: T0 } }) });
    assert.deepEqual([up.kind, up.connection, up.state, up.since], ['serial', '/dev/rfcomm0', 'connected', '2026-12-02T10:00:00.000Z']);
    const trying = await one({ client: client({ keepOpen: true, link: { state: 'connecting', since: T0 }, readiness: { state: 'ready', since: T0 } }) });
    assert.equal(trying.state, 'disconnected');
  });

  it('wrong settings come first, with what is wrong; a terminal that could not be identified is unreachable since then; the entries that need a person are counted', async function () {
    const wrong = await one({ description: undefined, settingsError: explain('settings.hostMissing', { setting: { setting: 'host' } }) });
    assert.deepEqual([wrong.state, wrong.since, wrong.connection, wrong.attention], ['settings-error', null, '', 0]);
    assert.equal(typeof wrong.reason, 'string');
    assert.ok(wrong.reason !== undefined && wrong.reason.length > 0);
    const unknownHost = await one({ description: 'till.local:51042', unusable: { reason: 'no such host', since: T0 } });
    assert.deepEqual([unknownHost.state, unknownHost.since, unknownHost.reason, unknownHost.connection], ['unreachable', '2026-12-02T10:00:00.000Z', 'no such host', 'till.local:51042']);
    const toCheck = await one({ client: client({ unresolved: [{ id: '1' }, { id: '2' }] }) });
    assert.equal(toCheck.attention, 2);
    const unreadable = await one({ client: { ...client(), journal: { ready: Promise.reject(new Error('EACCES')), unresolvedAt: () => [] } } });
    assert.equal(unreadable.attention, null, 'not 0: nobody knows');
  });

  it('config nodes sharing a client are one terminal; the others each on their own, in order of their names', async function () {
    const shared = client();
    const list = await overviewOf([node('b', { client: shared }), node('c'), node('a', { client: shared })]);
    assert.deepEqual(
      list.map((overview) => overview.nodes.map((one) => one.id)),
      [['b', 'a'], ['c']],
    );
  });
});
