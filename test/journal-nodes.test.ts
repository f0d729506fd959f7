// The journal, duplicate protection and the queue as a Node-RED user meets them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import { Journal } from '../src';
import type { JournalEntry, TransactionResult } from '../src';
import { createRequest } from '../src/protocol';
import type { Field } from '../src/protocol/amount';
import type { Sourced } from '../src/protocol/request';
import terminalNode from '../nodes/mypos-terminal';
import actionNodes from '../nodes/mypos-actions';
import { waitFor } from './support/wait';
import { deployedConfigNode, useInProcessNodeRed } from './support/in-process-node-red';
import { useSimulatorPerTest } from './support/simulator-per-test';
import { terminalConfigNode } from './support/terminal-config';

/** An output message of an action node, as far as these tests read it. */
interface ActionOutput {
  readonly payload: TransactionResult;
  readonly error: { readonly message: string; readonly code: string; readonly outcome: string };
}

/** The code of a failure ('' for a success). */
const codeOf = (result: TransactionResult): string => (result.result === 'ERROR' ? result.code : '');

function nextMessage(id: string): Promise<ActionOutput> {
  return new Promise((resolve) => helper.getNode(id).once('input', resolve));
}

/** Its journal, which a config node with valid settings has. */
function journalOf(id: string): Journal {
  const { journal } = deployedConfigNode(id);
  assert.ok(journal, `config node ${id} has a journal`);
  return journal;
}

describe('journal in Node-RED', function () {
  this.timeout(10000);
  useInProcessNodeRed();
  const each = useSimulatorPerTest('mypos-journal-nodes-');

  function flow(terminalExtra: Record<string, string> = {}): (Record<string, unknown> & { id: string })[] {
    return [
      { id: 'tab', type: 'tab', label: 'Tab' },
      terminalConfigNode('term', each.port, { name: 'Simulator', responseTimeout: '2', connectTimeout: '2', ...terminalExtra }),
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
    const pay2 = flowWithTwo.find((n) => n.id === 'pay2');
    assert.ok(pay2);
    pay2.terminal = 'term2';
    await helper.load([terminalNode, actionNodes], flowWithTwo);
    const ok = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 2, invoice: 'UD-1' });
    await ok;
    const folder = path.join(helper.settings().userDir ?? '', 'mypos-journal');
    const file = path.join(folder, 'journal.jsonl');
    await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"event":"end"'), 'the end line');
    assert.match(fs.readFileSync(file, 'utf8'), /"invoice":"UD-1"/);
    assert.equal(deployedConfigNode('term').journal, deployedConfigNode('term2').journal, 'both config nodes write the same journal');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(folder).mode & 0o777, 0o700);
    // Through the other config node: the same invoice is refused.
    const refused = nextMessage('err');
    helper.getNode('pay2').receive({ payload: 2, invoice: 'UD-1' });
    assert.equal(codeOf((await refused).payload), 'DUPLICATE');
    assert.equal(each.simulator.received.length, 1);
  });

  it('merges the per-config-node journals of version 0.1 into the shared one, once', async () => {
    const folder = path.join(helper.settings().userDir ?? '', 'mypos-journal');
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
    const journal = journalOf('term');
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
    assert.equal(codeOf((await refused).payload), 'DUPLICATE');
    assert.equal(each.simulator.received.length, 0);
    await helper.unload();
    // After a restart the history is in the shared journal itself.
    await helper.load([terminalNode, actionNodes], flow());
    const again = nextMessage('err');
    helper.getNode('pay').receive({ payload: 5, invoice: 'LEGACY-PAID' });
    assert.equal(codeOf((await again).payload), 'DUPLICATE');
  });

  it('refuses a second payment with the same invoice unless msg.allowDuplicate is true', async () => {
    await helper.load([terminalNode, actionNodes], flow({ journalPath: path.join(each.dir, 'j.jsonl') }));
    const first = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 3, invoice: 'BOUNCE-1' });
    assert.equal((await first).payload.result, 'OK');

    const refused = nextMessage('err');
    helper.getNode('pay2').receive({ payload: 3, invoice: 'BOUNCE-1' });
    const msg = await refused;
    assert.equal(codeOf(msg.payload), 'DUPLICATE');
    assert.equal(msg.error.outcome, 'not-sent');
    assert.equal(each.simulator.received.length, 1);

    const allowed = nextMessage('ok');
    helper.getNode('pay').receive({ payload: 3, invoice: 'BOUNCE-1', allowDuplicate: true });
    assert.equal((await allowed).payload.result, 'OK');
    assert.equal(each.simulator.received.length, 2);
  });

  it('warns about requests a crash left unresolved, shows them on the nodes, and clears them when acknowledged', async () => {
    const file = path.join(each.dir, 'crashed.jsonl');
    const crashed = new Journal(file);
    const sourced = (value: unknown, field: Field): Sourced => ({ value, field });
    await crashed.begin(createRequest({ action: 'pay', amount: sourced('42.00', 'a'), invoice: sourced('LEFT-1', 'i'), receipt: sourced('ON', 'r'), custrcpt: sourced('ON', 'c') }, { decimals: 2 }));
    await crashed.close();

    const warnings: unknown[] = [];
    await helper.load([terminalNode, actionNodes], flow({ journalPath: file }));
    const journal = journalOf('term');
    const pay = helper.getNode('pay');
    const statuses: unknown[] = [];
    // The statuses the node shows from now on (node-red-node-test-helper reports each call of node.status).
    pay.on('call:status', (call: { readonly args: readonly [{ readonly text?: unknown }] }) => {
      statuses.push(call.args[0].text);
    });
    await journal.ready;
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
    await waitFor(() => statuses.some((t) => /^check terminal: 42\.00$/.test(String(t))), 'the unresolved status');

    const listed = await helper.request().get('/mypos-terminal/term/unresolved').expect(200);
    assert.deepEqual(
      (listed.body as { unresolved: JournalEntry[] }).unresolved.map((e) => e.invoice),
      ['LEFT-1'],
    );
    const acknowledged = await helper.request().post('/mypos-terminal/term/acknowledge').expect(200);
    assert.deepEqual(
      (acknowledged.body as { acknowledged: JournalEntry[] }).acknowledged.map((e) => e.invoice),
      ['LEFT-1'],
    );
    await waitFor(() => statuses[statuses.length - 1] === undefined, 'the status to clear');
    assert.deepEqual(journal.unresolved, []);

    // The invoice stays protected: its outcome is still unknown.
    const refused = nextMessage('err');
    pay.receive({ payload: 42, invoice: 'LEFT-1' });
    assert.equal(codeOf((await refused).payload), 'DUPLICATE');
  });

  it('queues requests from several nodes when the config node allows it', async () => {
    each.simulator.behaviour = { delayMs: 50 };
    await helper.load([terminalNode, actionNodes], flow({ queueLimit: '2', queueTimeout: '5', journalPath: path.join(each.dir, 'q.jsonl') }));
    const results: (string | undefined)[] = [];
    helper.getNode('ok').on('input', (msg) => results.push((msg as unknown as ActionOutput).payload.invoice));
    helper.getNode('err').on('input', (msg) => results.push(`error ${codeOf((msg as unknown as ActionOutput).payload)}`));
    helper.getNode('pay').receive({ payload: 1, invoice: 'QA' });
    helper.getNode('pay2').receive({ payload: 1, invoice: 'QB' });
    helper.getNode('pay').receive({ payload: 1, invoice: 'QC' });
    helper.getNode('pay2').receive({ payload: 1, invoice: 'QD' });
    await waitFor(() => results.length === 4, 'four outputs');
    assert.deepEqual(results.slice().sort(), ['QA', 'QB', 'QC', 'error BUSY'].sort());
    assert.deepEqual(
      each.simulator.received.map((m) => m.request?.invoice),
      ['QA', 'QB', 'QC'],
    );
  });
});
