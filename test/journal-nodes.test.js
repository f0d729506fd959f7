'use strict';
// The journal, duplicate protection and the queue as a Node-RED user meets them.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');
const { Journal, TerminalSimulator } = require('../dist/src');
const { createRequest } = require('../dist/src/protocol');
const terminalNode = require('../dist/nodes/mypos-terminal.js');
const actionNodes = require('../dist/nodes/mypos-actions.js');
const { waitFor } = require('./support/wait');

helper.init(require('./support/node-red-path').nodeRedPath());

function nextMessage(id) {
  return new Promise((resolve) => helper.getNode(id).once('input', resolve));
}

describe('journal in Node-RED', function () {
  this.timeout(10000);
  let simulator;
  let dir;

  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });

  beforeEach(async () => {
    simulator = new TerminalSimulator();
    await simulator.listen(0, '127.0.0.1');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-journal-nodes-'));
  });

  afterEach(async () => {
    await helper.unload();
    await simulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function flow(terminalExtra = {}) {
    return [
      { id: 'tab', type: 'tab', label: 'Tab' },
      {
        id: 'term',
        type: 'mypos-terminal',
        name: 'Simulator',
        connection: 'tcp',
        host: '127.0.0.1',
        port: String(simulator.port),
        responseTimeout: '2',
        connectTimeout: '2',
        decimals: '2',
        maxAmount: '',
        ...terminalExtra,
      },
      { id: 'pay', z: 'tab', type: 'mypos-pay', name: 'Pay', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
      { id: 'pay2', z: 'tab', type: 'mypos-pay', name: 'Pay 2', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['ok'], ['err']] },
      { id: 'ok', z: 'tab', type: 'helper' },
      { id: 'err', z: 'tab', type: 'helper' },
    ];
  }

  it('keeps one journal in the user directory by default, shared by every config node, owner-only', async () => {
    const second = { ...flow()[1], id: 'term2', name: 'Same simulator, second config node' };
    const flowWithTwo = flow();
    flowWithTwo.splice(2, 0, second);
    flowWithTwo.find((n) => n.id === 'pay2').terminal = 'term2';
    await helper.load([terminalNode, actionNodes], flowWithTwo);
    const ok = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 2, invoice: 'UD-1' });
    await ok;
    const folder = path.join(helper.settings().userDir, 'mypos-journal');
    const file = path.join(folder, 'journal.jsonl');
    await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"event":"end"'), 'the end line');
    assert.match(fs.readFileSync(file, 'utf8'), /"invoice":"UD-1"/);
    assert.equal(helper.getNode('term').journal, helper.getNode('term2').journal, 'both config nodes write the same journal');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
    // Through the other config node: the same invoice is refused.
    const refused = nextMessage('err');
    helper.getNode('pay2').receive({ payload: 2, invoice: 'UD-1' });
    assert.equal((await refused).payload.code, 'DUPLICATE');
    assert.equal(simulator.received.length, 1);
  });

  it('merges the per-config-node journals of version 0.1 into the shared one, once', async () => {
    const folder = path.join(helper.settings().userDir, 'mypos-journal');
    fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
    fs.chmodSync(folder, 0o755);
    const at = new Date().toISOString();
    const legacy = path.join(folder, 'old-config-node.jsonl');
    fs.writeFileSync(
      legacy,
      [
        { v: 1, at, id: 'legacy-1', event: 'begin', action: 'pay', invoice: 'LEGACY-PAID', amount: '5.00' },
        { v: 1, at, id: 'legacy-1', event: 'end', action: 'pay', invoice: 'LEGACY-PAID', amount: '5.00', outcome: 'ok', ref: 'R9' },
        { v: 1, at, id: 'legacy-2', event: 'begin', action: 'pay', invoice: 'LEGACY-OPEN', amount: '6.00' },
      ]
        .map((record) => JSON.stringify(record))
        .join('\n') + '\n',
    );
    await helper.load([terminalNode, actionNodes], flow());
    const journal = helper.getNode('term').journal;
    await journal.ready;
    assert.deepEqual(
      journal.unresolved.map((entry) => entry.invoice),
      ['LEGACY-OPEN'],
    );
    assert.ok(fs.existsSync(`${legacy}.imported`), 'the old file is renamed once merged');
    assert.ok(!fs.existsSync(legacy));
    assert.equal(fs.statSync(folder).mode & 0o777, 0o700, 'the folder is made owner-only');
    const refused = nextMessage('err');
    helper.getNode('pay').receive({ payload: 5, invoice: 'LEGACY-PAID' });
    assert.equal((await refused).payload.code, 'DUPLICATE');
    assert.equal(simulator.received.length, 0);
    await helper.unload();
    // After a restart the history is in the shared journal itself.
    await helper.load([terminalNode, actionNodes], flow());
    const again = nextMessage('err');
    helper.getNode('pay').receive({ payload: 5, invoice: 'LEGACY-PAID' });
    assert.equal((await again).payload.code, 'DUPLICATE');
  });

  it('refuses a second payment with the same invoice unless msg.allowDuplicate is true', async () => {
    await helper.load([terminalNode, actionNodes], flow({ journalPath: path.join(dir, 'j.jsonl') }));
    const first = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 3, invoice: 'BOUNCE-1' });
    assert.equal((await first).payload.result, 'OK');

    const refused = nextMessage('err');
    helper.getNode('pay2').receive({ payload: 3, invoice: 'BOUNCE-1' });
    const msg = await refused;
    assert.equal(msg.payload.code, 'DUPLICATE');
    assert.equal(msg.error.outcome, 'not-sent');
    assert.equal(simulator.received.length, 1);

    const allowed = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 3, invoice: 'BOUNCE-1', allowDuplicate: true });
    assert.equal((await allowed).payload.result, 'OK');
    assert.equal(simulator.received.length, 2);
  });

  it('warns about requests a crash left unresolved, shows them on the nodes, and clears them when acknowledged', async () => {
    const file = path.join(dir, 'crashed.jsonl');
    const crashed = new Journal(file);
    const sourced = (value, field) => ({ value, field });
    await crashed.begin(createRequest({ action: 'pay', amount: sourced('42.00', 'a'), invoice: sourced('LEFT-1', 'i'), receipt: sourced('ON', 'r'), custrcpt: sourced('ON', 'c') }, { decimals: 2 }));
    await crashed.close();

    const warnings = [];
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    const term = helper.getNode('term');
    const pay = helper.getNode('pay');
    const statuses = [];
    const status = pay.status.bind(pay);
    pay.status = (s) => {
      statuses.push(s.text);
      return status(s);
    };
    await term.journal.ready;
    await waitFor(() => {
      warnings.push(
        ...helper
          .log()
          .args.filter((a) => a[0].level === helper.log().WARN)
          .map((a) => a[0].msg),
      );
      return warnings.some((w) =>
        /^Outcome unknown: payment 42\.00, invoice LEFT-1, sent \d{4}-\d\d-\d\d \d\d:\d\d:\d\d to a terminal not recorded\. Node-RED stopped before the terminal answered\./.test(String(w)),
      );
    }, 'the warning naming invoice and amount');
    await waitFor(() => statuses.some((t) => /^check terminal: 42\.00$/.test(t)), 'the unresolved status');

    const listed = await helper.request().get('/mypos-terminal/term/unresolved').expect(200);
    assert.deepEqual(
      listed.body.unresolved.map((e) => e.invoice),
      ['LEFT-1'],
    );
    const acknowledged = await helper.request().post('/mypos-terminal/term/acknowledge').expect(200);
    assert.deepEqual(
      acknowledged.body.acknowledged.map((e) => e.invoice),
      ['LEFT-1'],
    );
    await waitFor(() => statuses[statuses.length - 1] === undefined, 'the status to clear');
    assert.deepEqual(term.journal.unresolved, []);

    // The invoice stays protected: its outcome is still unknown.
    const refused = nextMessage('err');
    pay.receive({ payload: 42, invoice: 'LEFT-1' });
    assert.equal((await refused).payload.code, 'DUPLICATE');
  });

  it('queues requests from several nodes when the config node allows it', async () => {
    simulator.behaviour = { delayMs: 50 };
    await helper.load([terminalNode, actionNodes], flow({ queueLimit: '2', queueTimeout: '5', journalPath: path.join(dir, 'q.jsonl') }));
    const results = [];
    helper.getNode('ok').on('input', (msg) => results.push(msg.payload.invoice));
    helper.getNode('err').on('input', (msg) => results.push(`error ${msg.payload.code}`));
    helper.getNode('pay').receive({ payload: 1, invoice: 'QA' });
    helper.getNode('pay2').receive({ payload: 1, invoice: 'QB' });
    helper.getNode('pay').receive({ payload: 1, invoice: 'QC' });
    helper.getNode('pay2').receive({ payload: 1, invoice: 'QD' });
    await waitFor(() => results.length === 4, 'four outputs');
    assert.deepEqual(results.slice().sort(), ['QA', 'QB', 'QC', 'error BUSY'].sort());
    assert.deepEqual(
      simulator.received.map((m) => m.request.invoice),
      ['QA', 'QB', 'QC'],
    );
  });
});
