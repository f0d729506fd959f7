// The operator console's admin endpoints (issue #13), against a real Node-RED process with
// adminAuth (test/support/payment-node-red.ts: POST /pay → mypos-pay → the result) and the
// terminal simulator on 127.0.0.1: the journal's history as JSON, a day as CSV and JSON files,
// and an operator's finding for a payment whose outcome is unknown, with Node-RED's users and
// permissions. Then, in-process (node-red-node-test-helper, no adminAuth): who a finding is
// recorded as without a login, and several journals merged into one list.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { httpRequest } from './support/http-request';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import helper from 'node-red-node-test-helper';
import { TerminalSimulator, type HistoryEntry, type JournalEntry, type TransactionResult } from '../src';
import { CSV_COLUMNS, type ConsoleEntry } from '../nodes/journal-console';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import type { TerminalOverview } from '../nodes/terminal-overview';
import { nodeRedRoot } from './support/node-red-path';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { useSimulatorPerTest } from './support/simulator-per-test';
import { startPaymentNodeRed } from './support/payment-node-red';
import { delay, waitFor } from './support/wait';
import { trackTimers } from './support/resources';
import { terminalConfigNode } from './support/terminal-config';

const requireFromHere = createRequire(__filename);
// Node-RED's runtime events: what a node publishes on the editor's comms goes through them.
const { events: runtimeEvents } = requireFromHere(require.resolve('@node-red/util', { paths: [nodeRedRoot()] })) as { events: EventEmitter };

// Node-RED's own bcrypt, for the password hashes adminAuth wants.
const bcrypt = requireFromHere(require.resolve('bcryptjs', { paths: [path.join(nodeRedRoot(), 'node_modules'), nodeRedRoot(), require.resolve('@node-red/editor-api')] })) as {
  hashSync(password: string, rounds: number): string;
};

const USERS = { admin: 'admin-secret-1', viewer: 'viewer-secret-1', outsider: 'outsider-secret-1' };
type User = keyof typeof USERS;

/** The JSON bodies of the console's endpoints (and of Node-RED's /auth/token), each field where it is sent. */
interface ConsoleBody {
  entries: ConsoleEntry[];
  total: number;
  offset: number;
  limit: number;
  journals: unknown[];
  timeZone: string;
  retentionDays: number;
  oldest: string;
  from: string;
  to: string;
  count: number;
  terminals: TerminalOverview[];
  unresolved: JournalEntry[];
  resolved: HistoryEntry;
  error: string;
  field: string;
  code: string;
  access_token: string;
}

/** An answer of call(): json is undefined when the body is not JSON. */
interface CallAnswer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  text: string;
  json: ConsoleBody | undefined;
}

/** An HTTP request to 127.0.0.1:port, with the operator's token; resolves { status, headers, text, json }. */
async function call(port: number, method: string, urlPath: string, { token, json, form }: { token?: string; json?: unknown; form?: Record<string, string> } = {}): Promise<CallAnswer> {
  const headers = { Accept: 'application/json', ...(token && { Authorization: `Bearer ${token}` }) };
  const answer = await httpRequest(port, urlPath, { method, headers, json, form, timeoutMs: 15000 });
  return { status: answer.status, headers: answer.headers, text: answer.text, json: answer.json as ConsoleBody | undefined };
}

/** RFC 4180: quoted fields with doubled quotes, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  assert.deepEqual(row, []);
  return rows;
}

function localDay(date = new Date()): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

describe('operator console API: a real Node-RED with adminAuth', function () {
  this.timeout(60000);
  let simulator: TerminalSimulator | undefined;
  let dir: string;
  let nodeRed: Awaited<ReturnType<typeof startPaymentNodeRed>> | undefined;
  let admin: string;
  let viewer: string;

  /** The running Node-RED (set up in before). */
  const running = (): NonNullable<typeof nodeRed> => {
    assert.ok(nodeRed, 'Node-RED is not running');
    return nodeRed;
  };
  /** The simulator (set up in before). */
  const terminalSimulator = (): TerminalSimulator => {
    assert.ok(simulator, 'the simulator is not running');
    return simulator;
  };
  const get = (urlPath: string, token?: string): Promise<CallAnswer> => call(running().port, 'GET', urlPath, { token });
  const resolve = (body: unknown, token?: string): Promise<CallAnswer> => call(running().port, 'POST', '/mypos-terminal/journal/resolve', { token, json: body });
  /** POST /pay; the flow answers with the action node's result (or error) as JSON. */
  const pay = async (invoice: string, amount = 1.5): Promise<{ status: number | undefined; body: Record<string, unknown> }> => {
    const answer = await running().pay({ amount, invoice });
    return { status: answer.status, body: answer.body as Record<string, unknown> };
  };

  async function login(username: User, scope: string): Promise<string> {
    const answer = await call(running().port, 'POST', '/auth/token', {
      form: { client_id: 'node-red-admin', grant_type: 'password', scope, username, password: USERS[username] },
    });
    assert.equal(answer.status, 200, `login of ${username}: ${answer.text}`);
    const token = answer.json?.access_token;
    assert.ok(token);
    return token;
  }

  /** A payment the simulator never answers: TIMEOUT, outcome unknown; resolves its journal entry. */
  async function unknownPayment(invoice: string): Promise<ConsoleEntry> {
    terminalSimulator().nextBehaviours.push({ fault: 'silent' });
    const answer = await pay(invoice);
    assert.equal(answer.body.code, 'TIMEOUT', JSON.stringify(answer.body));
    assert.equal(answer.body.outcome, 'unknown');
    const listed = await get(`/mypos-terminal/journal?invoice=${encodeURIComponent(invoice)}&outcome=unknown`, admin);
    assert.equal(listed.status, 200, listed.text);
    const entries = listed.json?.entries;
    assert.equal(entries?.length, 1, `${invoice} is listed as unknown: ${listed.text}`);
    return entries[0];
  }

  before(async () => {
    simulator = new TerminalSimulator();
    const port = await simulator.listen(0, '127.0.0.1');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-console-'));
    const adminAuth = {
      type: 'credentials',
      users: [
        { username: 'admin', password: bcrypt.hashSync(USERS.admin, 8), permissions: '*' },
        { username: 'viewer', password: bcrypt.hashSync(USERS.viewer, 8), permissions: 'read' },
        // May see the flows, not the myPOS console.
        { username: 'outsider', password: bcrypt.hashSync(USERS.outsider, 8), permissions: ['flows.read'] },
      ],
    };
    // Answer within 1 s, and no wait for a late answer: the next payment goes out at once.
    nodeRed = await startPaymentNodeRed(dir, port, { responseTimeout: '1', lateAnswerWindow: '0' }, { adminAuth });
    admin = await login('admin', '*');
    viewer = await login('viewer', 'read');
  });

  after(async () => {
    await nodeRed?.stop();
    await simulator?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without a login: the list, both exports and a finding', async () => {
    const day = localDay();
    for (const urlPath of ['/mypos-terminal/journal', `/mypos-terminal/journal/export.csv?day=${day}`, `/mypos-terminal/journal/export.json?day=${day}`]) {
      assert.equal((await get(urlPath)).status, 401, urlPath);
      assert.equal((await get(urlPath, 'not-a-token')).status, 401, `${urlPath} with a made-up token`);
    }
    assert.equal((await resolve({ id: 'x', finding: 'charged' })).status, 401);
  });

  it('GET /mypos-terminal/terminals: 401 without a login or without mypos-terminal.read; a read-only user sees the terminal, its state and what needs a person', async () => {
    assert.equal((await get('/mypos-terminal/terminals')).status, 401);
    assert.equal((await get('/mypos-terminal/terminals', 'not-a-token')).status, 401);
    const outsider = await login('outsider', 'flows.read');
    const refused = await get('/mypos-terminal/terminals', outsider);
    assert.ok([401, 403].includes(refused.status ?? 0), `a user without mypos-terminal.read: ${refused.status}`);
    assert.equal(refused.json?.terminals, undefined, 'no terminal given away');
    await unknownPayment('TERMINALS-1');
    const unknown = await get('/mypos-terminal/journal?outcome=unknown&limit=1', admin);
    const answer = await get('/mypos-terminal/terminals', viewer);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.json?.terminals.length, 1, answer.text);
    const [terminal] = answer.json?.terminals ?? [];
    assert.ok(terminal);
    assert.deepEqual(terminal.nodes, [{ id: 'term', name: 'terminal term' }]);
    assert.equal(terminal.connection, `127.0.0.1:${terminalSimulator().port}`);
    assert.equal(terminal.kind, 'tcp');
    // A timed-out payment's connection opened: the terminal was there; no late answer is awaited (window 0).
    assert.equal(terminal.state, 'ready', answer.text);
    assert.ok(Math.abs(Date.parse(String(terminal.since)) - Date.now()) < 60000, String(terminal.since));
    assert.equal(terminal.busy, undefined);
    assert.ok((unknown.json?.total ?? 0) >= 1);
    assert.equal(terminal.attention, unknown.json?.total, 'every unknown outcome of its journal is its own');
  });

  it('a read-only user lists (200) and exports, but a finding or an acknowledgement gets 403, and nothing changes', async () => {
    const entry = await unknownPayment('RO-1');
    const listed = await get('/mypos-terminal/journal', viewer);
    assert.equal(listed.status, 200);
    assert.ok(listed.json?.entries.some((e) => e.id === entry.id));
    assert.equal((await get(`/mypos-terminal/journal/export.csv?day=${entry.local.slice(0, 10)}`, viewer)).status, 200);
    const refused = await resolve({ id: entry.id, finding: 'not-charged' }, viewer);
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.json?.error ?? '', /mypos-terminal\.write/);
    const acknowledge = await call(running().port, 'POST', '/mypos-terminal/term/acknowledge', { token: viewer, json: { ids: [entry.id] } });
    assert.equal(acknowledge.status, 403);
    const after = await get(`/mypos-terminal/journal?invoice=RO-1`, admin);
    assert.equal(after.json?.entries[0].state, 'unknown', 'still needs a person');
    assert.equal(after.json?.entries[0].needsAttention, true);
  });

  it('a timed-out payment needs attention; found "not-charged" by the write user, the same invoice pays again without allowDuplicate', async () => {
    const entry = await unknownPayment('NC-1');
    assert.deepEqual([entry.state, entry.needsAttention, entry.action, entry.amount, entry.code], ['unknown', true, 'pay', '1.50', 'TIMEOUT']);
    const unresolved = await get('/mypos-terminal/term/unresolved', admin);
    assert.ok(
      unresolved.json?.unresolved.some((e) => e.id === entry.id),
      "also in the config node's unresolved list",
    );
    const refusedBefore = await pay('NC-1');
    assert.equal(refusedBefore.body.code, 'DUPLICATE', 'protected while unknown');

    const resolved = await resolve({ id: entry.id, finding: 'not-charged', note: 'Nem szerepel a terminál előzményeiben.' }, admin);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.json?.resolved.state, 'not-charged');
    assert.equal(resolved.json?.resolved.resolution?.by, 'admin', 'recorded as the logged-in user');
    assert.equal(resolved.json?.resolved.resolution?.note, 'Nem szerepel a terminál előzményeiben.');
    assert.ok(!(await get('/mypos-terminal/term/unresolved', admin)).json?.unresolved.some((e) => e.id === entry.id), 'off the unresolved list');

    const again = await pay('NC-1');
    assert.equal(again.body.result, 'OK', `paid again without allowDuplicate: ${JSON.stringify(again.body)}`);
    const both = await get('/mypos-terminal/journal?invoice=NC-1', admin);
    assert.deepEqual(
      both.json?.entries.map((e) => e.state),
      ['approved', 'not-charged'],
      'newest first',
    );
  });

  it('found "charged" with its ref, the same invoice is refused as DUPLICATE', async () => {
    const entry = await unknownPayment('CH-1');
    const resolved = await resolve({ id: entry.id, finding: 'charged', ref: '000482113999' }, admin);
    assert.equal(resolved.status, 200, resolved.text);
    assert.deepEqual([resolved.json?.resolved.state, resolved.json?.resolved.resolution?.ref], ['charged', '000482113999']);
    const again = await pay('CH-1');
    assert.equal(again.body.result, 'ERROR');
    assert.equal(again.body.code, 'DUPLICATE', JSON.stringify(again.body));
    assert.equal(terminalSimulator().received.filter((m) => m.request?.invoice === 'CH-1').length, 1, 'the second was never sent');
  });

  it('refuses a second finding (409), an unknown id (404), a payment that needs no person (409), and names a wrong body field (400)', async () => {
    const entry = await unknownPayment('ERR-1');
    assert.equal((await resolve({ id: entry.id, finding: 'charged', ref: '' }, admin)).status, 200, 'an empty ref counts as none');
    const twice = await resolve({ id: entry.id, finding: 'not-charged' }, admin);
    assert.deepEqual([twice.status, twice.json?.code], [409, 'ALREADY_RESOLVED']);
    assert.match(twice.json?.error ?? '', /already resolved as charged by admin/);
    const unknownId = await resolve({ id: 'no-such-request', finding: 'charged' }, admin);
    assert.deepEqual([unknownId.status, unknownId.json?.field], [404, 'id']);
    const paid = await pay('ERR-PAID');
    assert.equal(paid.body.result, 'OK');
    const paidEntry = (await get('/mypos-terminal/journal?invoice=ERR-PAID', admin)).json?.entries[0];
    assert.ok(paidEntry);
    const needless = await resolve({ id: paidEntry.id, finding: 'not-charged' }, admin);
    assert.deepEqual([needless.status, needless.json?.code], [409, 'NOT_NEEDED']);

    const fresh = await unknownPayment('ERR-2');
    const cases = [
      [[], 'body'],
      [{ finding: 'charged' }, 'id'],
      [{ id: 7, finding: 'charged' }, 'id'],
      [{ id: fresh.id }, 'finding'],
      [{ id: fresh.id, finding: 'paid' }, 'finding'],
      [{ id: fresh.id, finding: 'charged', ref: 'R-ő' }, 'ref'],
      [{ id: fresh.id, finding: 'charged', ref: 'R'.repeat(51) }, 'ref'],
      [{ id: fresh.id, finding: 'charged', ref: 123 }, 'ref'],
      [{ id: fresh.id, finding: 'not-charged', ref: 'R1' }, 'ref'],
      [{ id: fresh.id, finding: 'charged', note: 'line\nbreak' }, 'note'],
      [{ id: fresh.id, finding: 'charged', note: 'x'.repeat(501) }, 'note'],
      [{ id: fresh.id, finding: 'charged', by: 'someone else' }, 'by'],
      [{ id: fresh.id, finding: 'charged', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const answer = await resolve(body, admin);
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(answer.json?.field, field, `${JSON.stringify(body)}: ${answer.text}`);
      assert.ok(answer.json?.error.startsWith(`${field} `), `the message names ${field}: ${answer.json?.error}`);
    }
    const still = (await get('/mypos-terminal/journal?invoice=ERR-2', admin)).json?.entries[0];
    assert.equal(still?.state, 'unknown', 'nothing wrong was recorded');
  });

  it('names every wrong query parameter (400)', async () => {
    const cases = [
      ['day=2026-13-01', 'day'],
      ['day=2026-02-30', 'day'],
      ['day=yesterday', 'day'],
      ['day=2026-12-01&from=2026-12-01', 'day'],
      ['from=2026-12-05&to=2026-12-01', 'to'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['action=pay,buy', 'action'],
      ['outcome=approved,lost', 'outcome'],
      ['invoice=' + 'x'.repeat(51), 'invoice'],
      ['invoice=%C5%91', 'invoice'],
      ['node=a%20b', 'node'],
      ['action=pay&action=refund', 'action'],
      ['action[x]=pay', 'action'],
      ['colour=red', 'colour'],
    ];
    for (const [query, field] of cases) {
      const answer = await get(`/mypos-terminal/journal?${query}`, viewer);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.equal(answer.json?.field, field, `${query}: ${answer.text}`);
      assert.ok(answer.json?.error.startsWith(`${field} `), `${query}: ${answer.json?.error}`);
    }
    for (const [query, field] of [
      ['', 'day'],
      ['from=2026-12-01', 'to'],
      ['to=2026-12-01', 'from'],
      ['day=2026-12-01&limit=5', 'limit'],
      ['from=2025-01-01&to=2026-12-31', 'to'],
    ]) {
      const answer = await get(`/mypos-terminal/journal/export.csv?${query}`, viewer);
      assert.equal(answer.status, 400, `export ${query}: ${answer.text}`);
      assert.equal(answer.json?.field, field, `export ${query}: ${answer.text}`);
    }
  });

  it('lists newest first, a page at a time, filtered by day, action, outcome and invoice text', async () => {
    for (const invoice of ['PAGE-1', 'PAGE-2', 'PAGE-3']) assert.equal((await pay(invoice)).body.result, 'OK');
    assert.equal((await pay('PAGE-D', 1.51)).body.code, 'TERMINAL', 'the simulator declines x.51');
    const day = localDay();
    const first = await get(`/mypos-terminal/journal?invoice=page-&limit=2&day=${day}`, viewer);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual([first.json?.total, first.json?.offset, first.json?.limit], [4, 0, 2]);
    assert.deepEqual(
      first.json?.entries.map((e) => e.invoice),
      ['PAGE-D', 'PAGE-3'],
    );
    const second = await get(`/mypos-terminal/journal?invoice=page-&limit=2&offset=2&day=${day}`, viewer);
    assert.deepEqual(
      second.json?.entries.map((e) => e.invoice),
      ['PAGE-2', 'PAGE-1'],
    );
    const declined = await get('/mypos-terminal/journal?invoice=PAGE&outcome=declined', viewer);
    assert.deepEqual(
      declined.json?.entries.map((e) => [e.invoice, e.state, e.statusText !== undefined]),
      [['PAGE-D', 'declined', true]],
    );
    const approved = await get('/mypos-terminal/journal?invoice=PAGE&outcome=approved&action=pay', viewer);
    assert.equal(approved.json?.total, 3);
    assert.equal((await get('/mypos-terminal/journal?invoice=PAGE&action=refund', viewer)).json?.total, 0);
    const entry = first.json?.entries[0];
    assert.match(entry.local, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, "the host's local time");
    assert.equal(entry.local.slice(0, 10), day);
    assert.equal(typeof first.json?.timeZone, 'string');
    assert.equal(first.json?.retentionDays, 31);
    assert.ok(Date.parse(first.json?.oldest) <= Date.parse(entry.begunAt));
    assert.equal((await get('/mypos-terminal/journal?node=term&invoice=PAGE', viewer)).json?.total, 4, 'by config node');
    assert.deepEqual((await get('/mypos-terminal/journal?node=not-deployed', viewer)).json?.entries, [], 'a node not deployed has nothing');
    assert.equal((await get('/mypos-terminal/journal?day=2001-01-01', viewer)).json?.total, 0);
  });

  it('exports the day as CSV (header, quoting, formula guard, attachment) and as JSON; invoices from outside come back exactly', async () => {
    const invoices = ['<b id="x">X</b>', '=1+1', '@SUM(A1)', '+36', '-5', 'A,B "C"'];
    for (const invoice of invoices) assert.equal((await pay(invoice)).body.result, 'OK', invoice);
    const day = localDay();
    const listed = await get(`/mypos-terminal/journal?day=${day}&limit=500`, viewer);
    for (const invoice of invoices)
      assert.ok(
        listed.json?.entries.some((e) => e.invoice === invoice),
        `JSON holds ${invoice} exactly`,
      );

    const csv = await get(`/mypos-terminal/journal/export.csv?day=${day}`, viewer);
    assert.equal(csv.status, 200, csv.text);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], `attachment; filename="mypos-journal-${day}.csv"`);
    assert.ok(csv.text.startsWith('\ufeff'), 'a UTF-8 byte order mark for spreadsheet programs');
    const rows = parseCsv(csv.text.slice(1));
    assert.deepEqual(rows[0], [...CSV_COLUMNS], 'the header row');
    const records = rows.slice(1).map((row) => Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, row[i]])));
    assert.equal(records.length, listed.json?.total, 'every request of the day, one row each');
    assert.ok(rows.every((row) => row.length === CSV_COLUMNS.length));
    assert.deepEqual(
      records.map((r) => r.id),
      listed.json?.entries.map((e) => e.id),
      'the same rows as the list, newest first',
    );
    const invoiceCells = records.map((r) => r.invoice);
    assert.ok(invoiceCells.includes('<b id="x">X</b>'), 'not a formula: as it is');
    assert.ok(invoiceCells.includes('A,B "C"'));
    for (const formula of ['=1+1', '@SUM(A1)', '+36', '-5']) {
      assert.ok(invoiceCells.includes(`'${formula}`), `${formula} is guarded by an apostrophe`);
      assert.ok(!invoiceCells.includes(formula), `${formula} never appears unguarded`);
    }
    assert.match(csv.text, /"<b id=""x"">X<\/b>"/, 'quotes doubled inside a quoted field');
    assert.match(csv.text, /"A,B ""C"""/);
    const nc = records.find((r) => r.invoice === 'NC-1' && r.state === 'not-charged');
    assert.deepEqual([nc?.finding, nc?.resolvedBy, nc?.note], ['not-charged', 'admin', 'Nem szerepel a terminál előzményeiben.'], 'findings, in UTF-8');
    const charged = records.find((r) => r.invoice === 'CH-1' && r.state === 'charged');
    assert.equal(charged?.findingRef, '000482113999');
    assert.equal(records.find((r) => r.invoice === 'PAGE-1')?.amount, '1.50');

    const json = await get(`/mypos-terminal/journal/export.json?day=${day}`, viewer);
    assert.equal(json.status, 200);
    assert.equal(json.headers['content-disposition'], `attachment; filename="mypos-journal-${day}.json"`);
    assert.deepEqual([json.json?.from, json.json?.to, json.json?.count], [day, day, records.length]);
    assert.deepEqual(
      json.json?.entries.map((e) => e.invoice),
      listed.json?.entries.map((e) => e.invoice),
      'exactly as paid, unguarded',
    );

    const yesterday = localDay(new Date(Date.now() - 24 * 3600 * 1000));
    const range = await get(`/mypos-terminal/journal/export.csv?from=${yesterday}&to=${day}&action=pay&outcome=approved`, viewer);
    assert.equal(range.headers['content-disposition'], `attachment; filename="mypos-journal-${yesterday}_${day}.csv"`);
    assert.ok(
      parseCsv(range.text.slice(1))
        .slice(1)
        .every((row) => row[CSV_COLUMNS.indexOf('state')] === 'approved'),
    );
  });
});

describe('operator console API: in-process, without adminAuth', function () {
  this.timeout(20000);
  let other: TerminalSimulator;
  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-console-helper-');

  // A second terminal, whose refs differ from the first's.
  beforeEach(async () => {
    other = new TerminalSimulator({ refPrefix: '9' });
    await other.listen(0, '127.0.0.1');
  });
  afterEach(() => other.close());

  /** A config node for one of the two simulators ('own': the other one), answering within 1 s. */
  function terminal(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> & { id: string; type: string } {
    return terminalConfigNode(id, String((id === 'own' ? other : each.simulator).port), { responseTimeout: '1', lateAnswerWindow: '0', connectTimeout: '2', ...extra });
  }

  async function paid(node: string, invoice: string): Promise<TransactionResult> {
    const done = new Promise<{ payload: unknown }>((resolve) => helper.getNode('out').once('input', resolve));
    helper.getNode(node).receive({ payload: 2, invoice });
    return (await done).payload as TransactionResult;
  }

  /** The code of a failure, undefined for a success. */
  const codeOf = (result: TransactionResult): string | undefined => (result.result === 'OK' ? undefined : result.code);

  it('records a finding as "anonymous" when nobody is logged in, and merges several journals (two terminals, one with its own) newest first', async () => {
    const own = path.join(each.dir, 'own-journal.jsonl');
    await helper.load(
      [terminalNode, actionNodes],
      [
        { id: 'tab', type: 'tab', label: 'Tab' },
        terminal('shared'),
        terminal('own', { journalPath: own }),
        { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'shared', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
        { id: 'pay2', z: 'tab', type: 'mypos-pay', terminal: 'own', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
      ],
    );
    each.simulator.nextBehaviours.push({ fault: 'silent' });
    assert.equal(codeOf(await paid('pay', 'M-1')), 'TIMEOUT');
    assert.equal((await paid('pay2', 'M-2')).result, 'OK');
    assert.equal((await paid('pay', 'M-3')).result, 'OK');

    const all = await helper.request().get('/mypos-terminal/journal').expect(200);
    assert.deepEqual(
      all.body.entries.map((e: ConsoleEntry) => e.invoice),
      ['M-3', 'M-2', 'M-1'],
      'two journals, one list',
    );
    assert.equal(all.body.journals.length, 2);
    const page = await helper.request().get('/mypos-terminal/journal?limit=1&offset=1').expect(200);
    assert.deepEqual([page.body.total, page.body.entries.map((e: ConsoleEntry) => e.invoice)], [3, ['M-2']]);
    const ownOnly = await helper.request().get('/mypos-terminal/journal?node=own').expect(200);
    assert.deepEqual(
      ownOnly.body.entries.map((e: ConsoleEntry) => e.invoice),
      ['M-2'],
    );

    const lost = all.body.entries.find((e: ConsoleEntry) => e.invoice === 'M-1');
    const resolved = await helper.request().post('/mypos-terminal/journal/resolve').send({ id: lost.id, finding: 'not-charged' }).expect(200);
    assert.equal(resolved.body.resolved.resolution?.by, 'anonymous');
    assert.equal((await paid('pay', 'M-1')).result, 'OK', 'paid again without allowDuplicate');
  });

  it('GET /mypos-terminal/terminals: config nodes of one terminal as one, a wrong one on its own; busy with what during a slow payment; the editors hear of changes at most once a second, and nothing is left behind', async () => {
    const timers = trackTimers();
    const notices: { at: number; data: Record<string, unknown> }[] = [];
    const heard = (event: { topic?: string; data: Record<string, unknown> }): void => {
      if (event.topic === 'mypos/terminals') notices.push({ at: performance.now(), data: event.data });
    };
    runtimeEvents.on('comms', heard);
    try {
      await helper.load(
        [terminalNode, actionNodes],
        [
          { id: 'tab', type: 'tab', label: 'Tab' },
          terminal('shared', { responseTimeout: '5' }),
          { ...terminal('shared'), id: 'alias', name: 'till 2', responseTimeout: '5' },
          terminal('broken', { host: '' }),
          { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'shared', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
          { id: 'out', z: 'tab', type: 'helper' },
        ],
      );
      const read = async (): Promise<TerminalOverview[]> => ((await helper.request().get('/mypos-terminal/terminals').expect(200)).body as { terminals: TerminalOverview[] }).terminals;
      await waitFor(async () => (await read()).some((one) => one.nodes.length === 2), 'the shared terminal to be identified', 3000);
      const [broken, shared] = await read();
      assert.deepEqual(shared.nodes.map((node) => node.id).sort(), ['alias', 'shared'], 'one physical terminal, two config nodes');
      assert.equal(shared.connection, `127.0.0.1:${each.simulator.port}`);
      assert.deepEqual([shared.state, shared.since, shared.attention], ['unknown', null, 0], 'nothing known before the first request (no readiness checks)');
      assert.deepEqual([broken.nodes, broken.state, broken.since, broken.attention], [[{ id: 'broken', name: 'terminal broken' }], 'settings-error', null, 0]);
      assert.match(broken.reason ?? '', /Host/);

      each.simulator.nextBehaviours.push({ delayMs: 1500 });
      const noticesBefore = notices.length;
      const started = Date.now();
      const paying = paid('pay', 'BUSY-1');
      const busy = await waitFor(async () => (await read()).find((one) => one.state === 'busy'), 'the terminal to be busy', 1000);
      assert.deepEqual(busy.busy, { with: 'request', action: 'pay', amount: '2.00', invoice: 'BUSY-1' });
      assert.ok(Math.abs(Date.parse(String(busy.since)) - started) < 500, `busy since ${busy.since}`);
      // Within the spacing of notices (1 s) after the one before, and the gathering time.
      await waitFor(() => notices.length > noticesBefore, 'a notice that it is busy', 1500);
      assert.deepEqual(Object.keys(notices.at(-1)?.data ?? {}), ['changed'], 'a notice, never the state itself');
      assert.equal((await paying).result, 'OK');
      const ready = (await read()).find((one) => one.nodes.length === 2);
      assert.equal(ready?.state, 'ready');
      assert.equal(ready?.busy, undefined);

      // A kiosk taking payments back to back: busy and ready again and again, a notice at most once a second.
      const flood = performance.now();
      for (let i = 1; i <= 8; i += 1) assert.equal((await paid('pay', `KIOSK-${i}`)).result, 'OK');
      await delay(1100);
      const during = notices.filter((notice) => notice.at >= flood);
      const took = performance.now() - flood;
      assert.ok(during.length >= 1 && during.length <= Math.ceil(took / 1000) + 1, `${during.length} notices in ${took.toFixed(0)} ms`);
      for (let i = 1; i < notices.length; i += 1) assert.ok(notices[i].at - notices[i - 1].at >= 990, 'at most one notice a second');
      // One of the two config nodes stops (a partial deploy), the other keeps the terminal: the
      // stopped one is no longer listed, and the listeners it added to the shared client and
      // journal are gone. (Counted through test-only seams: nothing else shows them.)
      const client = deployedConfigNode('shared').client;
      assert.ok(client, 'the shared terminal has a client');
      assert.equal(deployedConfigNode('alias').client, client, 'one client for both');
      const journal = client.journal;
      assert.ok(journal, 'the shared terminal has a journal');
      const listening = (): number[] => [client.listenerCountsForTests().activity, client.listenerCountsForTests().readiness, journal.changeListenerCountForTests()];
      const [activityBefore, readinessBefore, journalBefore] = listening();
      await helper.getNode('alias').close(true);
      assert.deepEqual(listening(), [activityBefore - 1, readinessBefore - 1, journalBefore - 1], "the stopped node's listeners removed");
      const left = (await read()).find((one) => one.connection === `127.0.0.1:${each.simulator.port}`);
      assert.deepEqual(left?.nodes, [{ id: 'shared', name: 'terminal shared' }]);

      // Stopped with a notice still due (a payment just began): its timer ends with the nodes.
      each.simulator.nextBehaviours.push({ delayMs: 1500 });
      helper.getNode('pay').receive({ payload: 2, invoice: 'LAST' });
      await waitFor(async () => (await read()).some((one) => one.state === 'busy'), 'the last payment to begin', 1000);
    } finally {
      runtimeEvents.removeListener('comms', heard);
    }
    await helper.unload();
    await delay(50);
    const left = timers.pending(/[\\/]nodes[\\/](editor-notice|terminal-overview)\.ts/);
    timers.stop();
    assert.deepEqual(left, [], 'no notice timer left behind');
  });

  it('lists an answer that came after the timeout as late-approved, needing nobody; a finding for it is refused (409)', async () => {
    await helper.load(
      [terminalNode, actionNodes],
      [
        { id: 'tab', type: 'tab', label: 'Tab' },
        terminal('shared', { lateAnswerWindow: '10' }),
        { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'shared', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
      ],
    );
    each.simulator.nextBehaviours.push({ delayMs: 1500 });
    assert.equal(codeOf(await paid('pay', 'LATE-1')), 'TIMEOUT');
    const unknown = await helper.request().get('/mypos-terminal/journal?invoice=LATE-1').expect(200);
    assert.equal(unknown.body.entries[0].state, 'unknown');
    await waitFor(async () => (await helper.request().get('/mypos-terminal/journal?invoice=LATE-1&outcome=late-approved')).body.total === 1, 'the late answer', 5000);
    const late = (await helper.request().get('/mypos-terminal/journal?invoice=LATE-1').expect(200)).body.entries[0];
    assert.deepEqual([late.state, late.needsAttention, late.outcome, typeof late.lateAt], ['late-approved', false, 'ok', 'string']);
    const refused = await helper.request().post('/mypos-terminal/journal/resolve').send({ id: late.id, finding: 'not-charged' }).expect(409);
    assert.equal(refused.body.code, 'NOT_NEEDED');
    assert.match(refused.body.error, /late answer/);
  });
});
