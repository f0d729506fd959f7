/**
 * Issue 5, in the editor: the action nodes' typed inputs (amount, invoice, preauthcode from msg,
 * a fixed value, flow / global context, env or JSONata), flows saved before those settings
 * existed, the config dialog's "Test connection" endpoint, and the Hungarian message catalogs.
 * Runs in a real Node-RED runtime (node-red-node-test-helper) against the real TerminalSimulator
 * on 127.0.0.1.
 * This file: the Hungarian catalogs, and the config node's words in a Node-RED started in Hungarian.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { httpRequest } from './support/http-request';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as message from '../nodes/message';
import * as statuses from '../nodes/statuses';
import * as i18n from '../nodes/i18n';
import { MESSAGES, substitute } from '../src/protocol/messages';
import type { MessageKey, TransactionFailure, TransactionResult, TransactionSuccess } from '../src';
import { useInProcessNodeRed } from './support/in-process-node-red';
import { nodeRedPath } from './support/node-red-path';
import { linkPackage, localSettings, startNodeRed } from './support/node-red-process';
import { freePort } from './support/ports';
import { terminalConfigNode } from './support/terminal-config';
import { waitFor } from './support/wait';

const ROOT = path.join(__dirname, '..');
const LOCALES = path.join(ROOT, 'nodes', 'locales');

describe('typed inputs, test connection and catalogs (real runtime, simulator on 127.0.0.1)', function () {
  this.timeout(8000);
  // The runtime started as in every test of the package's nodes: its i18n is what the status texts are read through.
  useInProcessNodeRed();

  describe('Hungarian', function () {
    const flatten = (object: object, prefix = ''): [string, unknown][] =>
      Object.entries(object).flatMap(([key, value]) =>
        typeof value === 'object' && value !== null ? flatten(value as object, `${prefix}${key}.`) : [[`${prefix}${key}`, value] as [string, unknown]],
      );
    const catalog = (lang: string, file: string) => new Map(flatten(JSON.parse(fs.readFileSync(path.join(LOCALES, lang, file), 'utf8'))));
    const placeholders = (text: unknown) => [...String(text).matchAll(/__([A-Za-z0-9_]+?)__/g)].map((m) => m[1]).sort();

    for (const file of ['mypos-actions.json', 'mypos-terminal.json']) {
      it(`${file}: every en-US key exists in hu and vice versa, with the same __placeholders__`, function () {
        const en = catalog('en-US', file);
        const hu = catalog('hu', file);
        assert.deepEqual(
          [...en.keys()].filter((key) => !hu.has(key)),
          [],
          'keys missing in hu',
        );
        // The sentences of src/protocol/messages.ts have their English there, not in en-US (test/words.test.ts checks them).
        assert.deepEqual(
          [...hu.keys()].filter((key) => !en.has(key) && !key.startsWith('mypos-actions.messages.')),
          [],
          'keys only in hu',
        );
        for (const [key, text] of en) {
          assert.deepEqual(placeholders(hu.get(key)), placeholders(text), `placeholders of ${key}`);
          assert.ok(String(hu.get(key)).trim() !== '', `${key} is translated`);
        }
      });
    }

    // The help of both languages (built, in Node-RED's layout): test/help.test.ts.

    it('every catalog key the editor files use exists (data-i18n and t() calls)', function () {
      const problems = [];
      for (const [html, json, prefix] of [
        ['mypos-actions.html', 'mypos-actions.json', 'mypos-actions.'],
        ['mypos-terminal.html', 'mypos-terminal.json', 'mypos-terminal.'],
      ]) {
        const source = fs.readFileSync(path.join(ROOT, 'nodes', html), 'utf8');
        const keys = new Set(catalog('en-US', json).keys());
        const used = [...source.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]).filter((key) => key.startsWith(prefix));
        used.push(...[...source.matchAll(/\bt\('([a-zA-Z.-]+)'/g)].map((m) => prefix + m[1]));
        for (const key of used) {
          // t('label.node.' + action): a prefix that some keys must start with.
          const known = key.endsWith('.') ? [...keys].some((k) => k.startsWith(key)) : keys.has(key);
          if (!known) problems.push(`${html}: ${key}`);
        }
        // The myPOS sidebar tab's texts: sidebar.* of the config node's catalog.
        for (const [, key] of source.matchAll(/\bsidebarText\('([a-zA-Z.-]+)'/g)) {
          const full = `${prefix}sidebar.${key}`;
          if (!(full.endsWith('.') ? [...keys].some((k) => k.startsWith(full)) : keys.has(full))) problems.push(`${html}: ${full}`);
        }
        // The terminal dialog writes requests, amounts and times with the action nodes' catalog, as the runtime does.
        const actionKeys = new Set(catalog('en-US', 'mypos-actions.json').keys());
        for (const [, key] of source.matchAll(/\bactionsText\('([a-zA-Z.-]+)'/g)) {
          const full = `mypos-actions.${key}`;
          if (!(full.endsWith('.') ? [...actionKeys].some((k) => k.startsWith(full)) : actionKeys.has(full))) problems.push(`${html}: ${full}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it("runtime status texts come out in Hungarian through Node-RED's i18n, English otherwise", async function () {
      // Node-RED's own i18next (of the runtime the tests use), as far as this test drives it.
      const { i18n: nodeRedI18n } = createRequire(nodeRedPath())('@node-red/util') as { i18n: NodeRedI18n };
      const namespace = '@payment-interface/node-red-mypos/mypos-actions';
      await nodeRedI18n.registerMessageCatalog(namespace, path.join(ROOT, 'dist', 'nodes', 'locales'), 'mypos-actions.json');
      await nodeRedI18n.i.loadLanguages(['hu', 'en-US']);
      await nodeRedI18n.i.loadNamespaces(namespace);
      const translateIn = (lang: string) => {
        const fixed = nodeRedI18n.i.getFixedT(lang, namespace);
        // As Node-RED's RED._ does for a node module: the key gets the module's namespace.
        return { _: (key: string, substitutions?: Record<string, unknown>) => fixed(key, substitutions) };
      };
      const approved: TransactionSuccess = { action: 'pay', result: 'OK', ref: '1', invoice: 'A', amount: '12.50' };
      const declined: TransactionFailure = {
        action: 'pay',
        result: 'ERROR',
        ref: '',
        amount: '13.51',
        status: 2,
        statusName: 'TRANSACTION_DECLINED',
        statusText: 'TRANSACTION_DECLINED',
        code: 'TERMINAL',
        outcome: 'failed',
        message: 'x',
        messageKey: 'declined.declined',
        messageParams: {},
      };
      const unknownOutcome: TransactionFailure = {
        ...declined,
        status: null,
        statusName: null,
        statusText: null,
        code: 'TIMEOUT',
        outcome: 'unknown',
        messageKey: 'timeout.noAnswer',
        messageParams: { seconds: 60 },
      };
      const badInput: TransactionFailure = {
        ...declined,
        code: 'INVALID_INPUT',
        outcome: 'not-sent',
        messageKey: 'input.notPositive',
        messageParams: { field: { key: 'field.nodeSetting', params: { name: { key: 'fieldName.amount', params: {} } } } },
      };
      const messageOf = (result: TransactionResult) => (result.result === 'ERROR' ? result.message : undefined);
      try {
        i18n.useMessageCatalog(translateIn('hu'));
        assert.equal(statuses.statusForResult(approved).text, 'jóváhagyva: 12,50');
        assert.equal(statuses.statusForResult(declined).text, 'a bank elutasította');
        assert.equal(statuses.statusForResult(unknownOutcome).text, 'ismeretlen: nézze meg a terminált');
        assert.equal(statuses.statusForResult(badInput).text, 'hibás adat: a node »Összeg« beállítása');
        assert.equal(statuses.statusWaiting({ action: 'cancel', preauthCode: 'P1', receipt: 'ON', custrcpt: 'ON' }).text, 'a terminálra vár: visszavonás P1');
        assert.equal(messageOf(message.localized(declined)), 'A bank elutasította a kártyát.');
        assert.equal(statuses.statusForConnection('connected').text, 'csatlakozva');
        assert.equal(statuses.statusForConnection('disconnected').text, 'nincs kapcsolat');
        assert.equal(statuses.statusConnecting().text, 'csatlakozás…');
        i18n.useMessageCatalog(translateIn('en-US'));
        assert.equal(statuses.statusForResult(approved).text, 'approved 12.50');
        assert.equal(statuses.statusForResult(badInput).text, "invalid input: the node's amount");
        // A runtime whose RED._ answers with the key gets English from the en-US catalog.
        i18n.useMessageCatalog({ _: (key) => key });
        assert.equal(statuses.statusForResult(unknownOutcome).text, 'outcome unknown: check terminal');
        assert.equal(messageOf(message.localized(declined)), 'Card declined by the bank.');
        assert.equal(statuses.statusForConnection('connected').text, 'connected');
      } finally {
        i18n.useMessageCatalog({ _: (key) => key });
      }
    });
  });
});

/** A catalog of the built package, as JSON. */
interface HuCatalog {
  label: Record<string, string>;
  log: Record<string, string>;
  test: Record<string, string>;
  messages: Record<string, unknown>;
}

/** What POST /pay and POST /mypos-terminal/test answer, as far as these tests read it. */
interface HuAnswer {
  code?: string;
  outcome?: string;
  message: string;
  messageKey?: string;
  messageParams: { reason?: unknown };
  reason?: string;
  detail: string;
}

/** The part of Node-RED's i18n (@node-red/util) the test drives. */
interface NodeRedI18n {
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  i: {
    loadLanguages(languages: string[]): Promise<void>;
    loadNamespaces(namespace: string): Promise<void>;
    getFixedT(lang: string, namespace: string): (key: string, substitutions?: Record<string, unknown>) => string;
  };
}

describe('the config node\'s words in Hungarian, in a real Node-RED started with lang: "hu"', function () {
  this.timeout(90000);
  const catalogOf = (lang: string, name: string): HuCatalog => JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'nodes', 'locales', lang, `${name}.json`), 'utf8'))[name];
  const terminalHu = catalogOf('hu', 'mypos-terminal');
  const actionsHu = catalogOf('hu', 'mypos-actions');
  /**
   * A message's Hungarian template: `messages.<key>` of the Hungarian catalog. The sentences of
   * src/protocol/messages.ts that the Hungarian catalog does not have yet come out in English, as
   * Node-RED's i18next falls back to them.
   */
  const huMessage = (key: string): string => {
    const found = key.split('.').reduce<unknown>((entry, part) => (typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined), actionsHu.messages);
    return typeof found === 'string' ? found : MESSAGES[key as MessageKey];
  };
  const fill = (template: string, values: Record<string, unknown>) => substitute(template, Object.fromEntries(Object.entries(values).map(([name, value]) => [name, String(value)])));
  /** Words a person reads that must not be there: machine constants, the system's error codes, an English rule. */
  const UNWANTED = /\b(CONNECT|JOURNAL|SETTINGS|ECONNREFUSED|EISDIR|ENOENT|ENOTFILE)\b|must be|is empty|Requests are refused|serialPath|journalPath/;

  let nodeRed: Awaited<ReturnType<typeof startNodeRed>> | undefined;
  let userDir: string | undefined;
  let notAFile: string;
  let closedPort: number;

  /** The Node-RED the `before` hook started. */
  function running(): NonNullable<typeof nodeRed> {
    assert.ok(nodeRed, 'Node-RED is running');
    return nodeRed;
  }

  async function post(urlPath: string, body: unknown): Promise<{ status: number | undefined; body: HuAnswer }> {
    const answer = await httpRequest(running().port, urlPath, { method: 'POST', json: body });
    return { status: answer.status, body: answer.json as HuAnswer };
  }

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-hu-runtime-'));
    linkPackage(userDir);
    // A journal path that is a folder: the journal cannot be used.
    notAFile = path.join(userDir, 'journal-folder');
    fs.mkdirSync(notAFile);
    closedPort = await freePort();
    const flow = [
      { id: 'tab', type: 'tab', label: 'Fizetés' },
      terminalConfigNode('badPort', closedPort, { name: 'Rossz port', port: '70000' }),
      terminalConfigNode('badJournal', closedPort, { name: 'Rossz napló', journalPath: notAFile }),
      { id: 'in', z: 'tab', type: 'http in', url: '/pay', method: 'post', wires: [['pay']] },
      { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'badPort', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
      { id: 'out', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
    ];
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow));
    nodeRed = await startNodeRed(userDir, localSettings({ lang: 'hu', httpNodeRoot: '/' }));
  });

  after(async function () {
    if (nodeRed) await nodeRed.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** The settings error of the badPort node, in Hungarian: the dialog's label „Port” and the rule. */
  const portError = () => fill(huMessage('settings.wholeNumber'), { setting: terminalHu.label.port, min: 1, max: 65535, got: 70000 });

  it('a settings error: the config node logs the setting by its Hungarian label and the rule, and that nothing is sent', async function () {
    assert.equal(portError(), '„Port”: 1 és 65535 közötti egész szám kell, nem „70000”.');
    const expected = fill(terminalHu.log.refusedUntilFixed, { problem: fill(huMessage('node.badSettings'), { reason: portError() }) });
    await waitFor(() => running().log().includes(expected), `the settings error in the log:\n${expected}`, 20000).catch((error) => {
      throw new Error(`${error.message}\n--- Node-RED's log:\n${running().log()}`);
    });
    const line = running()
      .log()
      .split('\n')
      .find((text) => text.includes(expected));
    assert.match(line ?? '', /\[error\] \[mypos-terminal:Rossz port\]/);
    assert.match(line ?? '', /Amíg ez nincs javítva, a node-ok egyetlen kérést sem küldenek ennek a terminálnak\.$/);
    assert.doesNotMatch(line ?? '', UNWANTED);
  });

  it("a settings error on the action node's error output, in Hungarian", async function () {
    const answer = await post('/pay', { payload: 1 });
    assert.equal(answer.body.code, 'CONNECT');
    assert.equal(answer.body.messageKey, 'node.badSettings');
    assert.deepEqual(answer.body.messageParams.reason, { key: 'settings.wholeNumber', params: { setting: { setting: 'port' }, min: 1, max: 65535, got: '70000' } });
    assert.equal(answer.body.message, `${fill(huMessage('node.badSettings'), { reason: portError() })} ${huMessage('outcome.notSent')}`);
    assert.doesNotMatch(answer.body.message, UNWANTED);
  });

  it('a journal that cannot be used: the config node says so in Hungarian, with the reason in words and no constant', async function () {
    const problem = fill(huMessage('journal.unusable'), { path: notAFile, reason: huMessage('journal.notRegularFile') });
    const expected = fill(terminalHu.log.refusedUntilFixed, { problem });
    await waitFor(() => running().log().includes(expected), `the journal error in the log:\n${expected}`, 20000).catch((error) => {
      throw new Error(`${error.message}\n--- Node-RED's log:\n${running().log()}`);
    });
    const line = running()
      .log()
      .split('\n')
      .find((text) => text.includes(expected));
    assert.match(line ?? '', /\[error\] \[mypos-terminal:Rossz napló\]/);
    assert.doesNotMatch(line ?? '', UNWANTED);
  });

  it('Test connection to a closed port, and with a wrong setting, answers in Hungarian', async function () {
    const refused = await post('/mypos-terminal/test', { connection: 'tcp', host: '127.0.0.1', port: String(closedPort), connectTimeout: '2' });
    assert.equal(refused.body.outcome, 'refused');
    assert.equal(refused.body.message, fill(terminalHu.test.refused, { target: `127.0.0.1:${closedPort}` }));
    assert.doesNotMatch(refused.body.message, UNWANTED);
    assert.match(refused.body.detail, /ECONNREFUSED/, "the system's words only in `detail`");

    const invalid = await post('/mypos-terminal/test', { connection: 'tcp', host: '127.0.0.1', port: '70000' });
    assert.equal(invalid.body.outcome, 'invalid');
    assert.equal(invalid.body.reason, portError());
    assert.equal(invalid.body.message, fill(terminalHu.test.invalid, { message: portError() }));
  });
});
