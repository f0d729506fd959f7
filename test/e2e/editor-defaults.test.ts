/**
 * The editor as a new user meets it (issue 12), in headless Chromium against a real Node-RED with
 * this package, all on 127.0.0.1: a new action node picks the only terminal and does not guess
 * between two; deployed without one it says so; the palette labels fit on one line and the
 * palette search finds the nodes, in English and in Hungarian; each dialog shows the tips about
 * its own node; the editor's rules are the runtime's; the Test connection result keeps number and
 * unit together; a new terminal dialog asks the runtime for nothing it cannot answer.
 *
 * Screenshots of the palette in both languages go to test-artifacts/.
 * Chromium is required: without it this test fails (in CI always; elsewhere MYPOS_SKIP_E2E=1 skips).
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Journal, TerminalSimulator } from '../../src';
import { createRequest, explain, failure } from '../../src/protocol';
import type { Action } from '../../src/protocol';
import { EDITOR_CONSTANTS } from '../../nodes/editor-constants';
import { NUMBER_SETTINGS } from '../../nodes/terminal-settings';
import { openEditor, requireChromium, root, failedShotName } from '../support/editor-session';
import type { EditorSession } from '../support/editor-session';

const ACTIONS = ['pay', 'refund', 'preauth', 'complete', 'cancel'] as const;
const ACTION_TYPES = ACTIONS.map((action) => `mypos-${action}`);
/**
 * What the palette search shows for words a shop owner types. Node-RED 4 and 5 match the typed
 * text against each node's type and palette label only: "myPOS" finds every node by its type
 * (mypos-…); a word finds a node when its one-line label holds it.
 */
const SEARCHES: Record<string, Record<string, string[]>> = {
  'en-US': { myPOS: ACTION_TYPES, mypos: ACTION_TYPES, payment: ['mypos-pay'], refund: ['mypos-refund'], auth: ['mypos-preauth'] },
  hu: { myPOS: ACTION_TYPES, fizetés: ['mypos-pay'], visszatérítés: ['mypos-refund'] },
};
/** Settings of an imported terminal as an exported flow holds them: everything the dialog saves. */
const TERMINAL_SETTINGS = {
  connection: 'tcp',
  host: '127.0.0.1',
  responseTimeout: '180',
  connectTimeout: '10',
  decimals: '2',
  maxAmount: '',
  journalPath: '',
  queueLimit: '0',
  queueTimeout: '60',
  connectionMode: 'per-request',
  lateAnswerWindow: '10',
  requestEnding: 'newline',
  readinessCheck: '0',
};

/** The message catalog the editor is served (the built one): the action nodes' or the config node's. */
function catalog(lang: string, name = 'mypos-actions'): Catalog {
  return (JSON.parse(fs.readFileSync(path.join(root, 'dist', 'nodes', 'locales', lang, `${name}.json`), 'utf8')) as Record<string, Catalog>)[name] as Catalog;
}

/** The parts of a message catalog the tests read (the action nodes' or the config node's). */
interface Catalog {
  label: Record<string, string>;
  tip: Record<string, string>;
  actions?: Record<string, string>;
  format?: { dateTime: string };
  unresolved: { title: string };
  check: { sharedJournal: string; noEnd: string; unknown: string };
}

/** A palette label as paletteLabels() measures it. */
interface PaletteLabel {
  type: string;
  text: string | null;
  height: number;
  lineHeight: number;
  breaks: number;
}

/** Helpers on one editor session: dragging from the palette, dialogs, deploy. */
function editorActions(session: EditorSession) {
  const { page } = session;
  const waitInEditor: EditorSession['waitInEditor'] = (...args) => session.waitInEditor(...args);

  return {
    /** Imports mypos-terminal config nodes, as a flow file with them would be imported. */
    async importTerminals(terminals: Record<string, string>[]): Promise<void> {
      await page.evaluate(({ nodes, settings }) => RED.view.importNodes(nodes.map((node) => ({ type: 'mypos-terminal', ...settings, ...node }))), { nodes: terminals, settings: TERMINAL_SETTINGS });
      await waitInEditor(
        (ids) => ids.every((id) => RED.nodes.node(id)),
        terminals.map((node) => String(node.id)),
        'the terminals to be imported',
      );
    },

    /** Drags a node from the palette onto the canvas as a user does; returns the new node's id. */
    async dragFromPalette(type: string, x: number, y: number): Promise<string> {
      const before = await page.evaluate((t) => RED.nodes.filterNodes({ type: t }).map((node) => node.id), type);
      await page.locator('#red-ui-palette-search input').fill('');
      const source = page.locator(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`);
      await source.scrollIntoViewIfNeeded();
      const from = await source.boundingBox();
      const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
      assert.ok(from && chart, 'the palette node or the canvas is not on the page');
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
      await page.mouse.up();
      return waitInEditor(
        ({ t, known }) => {
          const added = RED.nodes.filterNodes({ type: t }).filter((node) => !known.includes(node.id));
          return (added.length === 1 && added[0]?.id) || null;
        },
        { t: type, known: before },
        `a ${type} node dropped from the palette`,
      );
    },

    /** Imports an action node without a terminal, as a pasted flow would bring it, and drops it on the canvas. */
    async importWithoutTerminal(type: string, x: number, y: number): Promise<string> {
      const id = await page.evaluate((t) => {
        const node = { id: RED.nodes.id(), type: t, name: '', terminal: '', x: 100, y: 100, wires: [[], []] };
        RED.view.importNodes([node], { generateIds: false });
        return node.id;
      }, type);
      // Imported nodes hang on the pointer until a click drops them.
      const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
      assert.ok(chart, 'the canvas is not on the page');
      await page.mouse.move(chart.x + x, chart.y + y);
      await page.mouse.click(chart.x + x, chart.y + y);
      await waitInEditor((nodeId) => RED.nodes.node(nodeId) && !RED.nodes.node(nodeId)?.moving, id, 'the imported node to be dropped');
      return id;
    },

    /** Opens a node's dialog with a double click; returns what its terminal field shows. */
    async openDialog(id: string): Promise<{ value: unknown; shown: string }> {
      await page.locator(`[id="${id}"] .red-ui-flow-node`).dblclick();
      await page.locator('#node-input-terminal').waitFor({ state: 'visible' });
      // Node-RED fills the config select, then runs oneditprepare: both are done when the tray settles.
      await waitInEditor(() => $('#node-input-terminal option').length > 0, null, 'the terminal choices');
      return page.evaluate(() => ({ value: $('#node-input-terminal').val(), shown: $('#node-input-terminal option:selected').text() }));
    },

    async closeDialog() {
      await page.click('#node-dialog-cancel');
      await page.locator('#node-input-terminal').waitFor({ state: 'detached' });
    },

    /** Closes whatever dialogs a failed test left open, so the next test starts from the canvas. */
    async closeAllDialogs() {
      for (const cancel of ['#node-config-dialog-cancel', '#node-dialog-cancel']) {
        const button = page.locator(cancel);
        if (await button.isVisible().catch(() => false)) await button.click().catch(() => undefined);
        await button.waitFor({ state: 'detached', timeout: 5000 }).catch(() => undefined);
      }
    },

    /** Deploys, confirming Node-RED's question about nodes that are not fully configured. */
    async deploy() {
      await page.click('#red-ui-header-button-deploy');
      const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
      await Promise.race([confirm.waitFor({ state: 'visible' }).then(() => confirm.click()), waitInEditor(() => !RED.nodes.dirty(), null, 'the deploy to finish')]);
      await waitInEditor(() => !RED.nodes.dirty() && $('#red-ui-header-button-deploy').hasClass('disabled'), null, 'the deploy to finish');
    },

    /** The action nodes the palette shows while `word` is typed into its search box. */
    async searchPalette(word: string): Promise<string[]> {
      const input = page.locator('#red-ui-palette-search input');
      await input.fill('');
      await input.pressSequentially(word);
      // The filter has run when a core node that matches none of the words is hidden.
      await waitInEditor(
        (w) => $('#red-ui-palette-search input').val() === w && $('.red-ui-palette-node[data-palette-type="inject"]').attr('data-filter') === 'true',
        word,
        `the palette filtered by "${word}"`,
      );
      const shown = await page.evaluate(() =>
        $('#red-ui-palette-container .red-ui-palette-node')
          .filter((_, element) => element.getAttribute('data-filter') !== 'true')
          .map((_, element) => element.getAttribute('data-palette-type'))
          .get(),
      );
      await input.fill('');
      await waitInEditor(() => $('.red-ui-palette-node[data-palette-type="inject"]').attr('data-filter') !== 'true', null, 'the palette filter to be cleared');
      return shown.filter((type): type is string => type !== null && /^mypos-/.test(type)).sort();
    },

    /** Each action node's palette label: its text, and how many lines it takes. */
    paletteLabels(): Promise<PaletteLabel[]> {
      return page.evaluate((types) => {
        const single = document.createElement('div');
        return types.map((type) => {
          const node = document.querySelector(`#red-ui-palette-container .red-ui-palette-node[data-palette-type="${type}"]`) as Element;
          const label = node.querySelector('.red-ui-palette-label') as HTMLElement;
          // One line of the label's own font: the height of a one-letter copy beside it.
          single.className = label.className;
          single.textContent = 'x';
          (label.parentElement as HTMLElement).appendChild(single);
          const lineHeight = single.getBoundingClientRect().height;
          single.remove();
          return {
            type,
            text: node.getAttribute('data-palette-label'),
            height: label.getBoundingClientRect().height,
            lineHeight,
            breaks: label.querySelectorAll('br').length,
          };
        });
      }, ACTION_TYPES);
    },

    /** Screenshots the myPOS palette category as the user sees it; returns the file. */
    async shotPalette(name: string): Promise<string> {
      const category = page.locator('#red-ui-palette-container-myPOS');
      await category.scrollIntoViewIfNeeded();
      const clip = await category.evaluate((element) => {
        const box = (element.closest('.red-ui-palette-category') as Element).getBoundingClientRect();
        return { x: box.x, y: box.y, width: box.width, height: box.height };
      });
      return session.shot(name, null, clip);
    },
  };
}

/** The palette shows the language's catalog labels, each on one line; a screenshot of it is kept. */
async function assertPaletteLabels(editor: ReturnType<typeof editorActions>, language: 'en-US' | 'hu'): Promise<void> {
  const labels = catalog(language).label;
  for (const label of await editor.paletteLabels()) {
    assert.equal(label.text, labels[label.type.replace('mypos-', '')]);
    assert.equal(label.breaks, 0, `"${label.text}" is broken into lines`);
    assert.ok(label.height <= label.lineHeight * 1.2, `"${label.text}" is ${label.height} px high, one line is ${label.lineHeight} px`);
  }
  const file = await editor.shotPalette(`palette-labels-${language}`);
  assert.ok(fs.statSync(file).size > 3000);
}

describe('editor defaults, palette and dialogs in a real browser (headless Chromium)', function () {
  this.timeout(120000);

  describe('English (en-US)', function () {
    let simulator: TerminalSimulator;
    let session: EditorSession;
    let page: Page;
    let editor: ReturnType<typeof editorActions>;
    /** Every response of the page with status 400 or more, and every request for unresolved entries. */
    const failedResponses: string[] = [];
    const unresolvedRequests: string[] = [];
    const ids: Record<string, string> = {};

    before(async function () {
      this.timeout(180000);
      requireChromium(this);
      simulator = new TerminalSimulator();
      await simulator.listen(0, '127.0.0.1');
      session = await openEditor();
      page = session.page;
      editor = editorActions(session);
      page.on('response', (response) => {
        if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
      });
      page.on('request', (request) => {
        if (/\/unresolved$/.test(new URL(request.url()).pathname)) unresolvedRequests.push(request.url());
      });
    });

    after(async function () {
      this.timeout(60000);
      if (session) await session.close();
      if (simulator) await simulator.close();
    });

    afterEach(async function () {
      const name = failedShotName(this.currentTest, 'defaults');
      if (name && session) {
        await session.shot(name).catch(() => undefined);
        await editor.closeAllDialogs();
      }
    });

    it('a node dragged from the palette picks the only terminal, and its dialog shows it', async function () {
      ids.first = 'terminal-first';
      await editor.importTerminals([{ id: ids.first, name: 'shop counter', host: '127.0.0.1', port: String(simulator.port) }]);
      ids.pay = await editor.dragFromPalette('mypos-pay', 200, 120);
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.terminal, ids.pay), ids.first);
      // The terminal counts the new node among its users, as if the user had chosen it.
      assert.ok(await page.evaluate(({ pay, terminal }) => RED.nodes.node(terminal)?.users.some((user) => user.id === pay), { pay: ids.pay, terminal: ids.first }));
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.valid, ids.pay), true);
      const dialog = await editor.openDialog(ids.pay);
      assert.deepEqual(dialog, { value: ids.first, shown: 'shop counter' });
      await editor.closeDialog();
    });

    it('an imported node without a terminal picks the only one too', async function () {
      ids.imported = await editor.importWithoutTerminal('mypos-refund', 200, 220);
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.terminal, ids.imported), ids.first);
      assert.equal((await editor.openDialog(ids.imported)).value, ids.first);
      await editor.closeDialog();
    });

    it('with two terminals a new node does not guess: its dialog shows none, and it is marked as not configured', async function () {
      ids.second = 'terminal-second';
      await editor.importTerminals([{ id: ids.second, name: 'back office', host: '127.0.0.1', port: String(simulator.port) }]);
      ids.unset = await editor.dragFromPalette('mypos-cancel', 200, 320);
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.terminal, ids.unset), '');
      ids.unsetImported = await editor.importWithoutTerminal('mypos-preauth', 200, 420);
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.terminal, ids.unsetImported), '');
      const dialog = await editor.openDialog(ids.unset);
      assert.equal(dialog.value, '_ADD_', `the dialog shows "${dialog.shown}"`);
      await editor.closeDialog();
      assert.equal(await page.evaluate((id) => RED.nodes.node(id)?.valid, ids.unset), false);
    });

    it('deployed without a terminal, a node says "no terminal selected"', async function () {
      await editor.deploy();
      for (const id of [ids.unset, ids.unsetImported]) {
        await session.waitInEditor((nodeId) => $(`[id="${nodeId}"] .red-ui-flow-node-status-label`).text() !== '', id, 'a status under the node');
        assert.equal(await session.statusOf(id).textContent(), 'no terminal selected');
        assert.equal(await session.statusColour(id), 'red');
      }
      // The nodes with a terminal show nothing: no request has been made.
      assert.equal((await session.statusOf(ids.pay).count()) && (await session.statusOf(ids.pay).textContent()), '');
    });

    it('each dialog shows the tips about its own node only, all of them translated', async function () {
      const english = catalog('en-US');
      for (const action of ACTIONS) {
        const id =
          (await page.evaluate((type) => RED.nodes.filterNodes({ type })[0]?.id ?? null, `mypos-${action}`)) ??
          (await editor.dragFromPalette(`mypos-${action}`, 420, 120 + 100 * ACTIONS.indexOf(action)));
        await editor.openDialog(id);
        if (action === 'pay') await session.shot('dialog-pay', page.locator('.red-ui-tray').last());
        const tips = await page.locator('.red-ui-tray .form-tips:visible').allInnerTexts();
        const dialogText = (await page.locator('.red-ui-tray').last().innerText()).replace(/\s+/g, ' ');
        await editor.closeDialog();
        const inputs = EDITOR_CONSTANTS.actions[action].inputs;
        assert.equal(tips.length, 2, `${action}: ${JSON.stringify(tips)}`);
        assert.ok(tips[0].startsWith(english.tip[action].replace(/<[^>]+>/g, '').slice(0, 30)), `${action}: the first tip is about ${action}: ${tips[0]}`);
        for (const name of ['amount', 'invoice', 'preauthcode'] as const) {
          const label = english.label[name];
          assert.equal(tips[1].includes(`${label}:`), inputs.includes(name), `${action}: the tip ${inputs.includes(name) ? 'explains' : 'does not mention'} ${label}: ${tips[1]}`);
        }
        assert.doesNotMatch(dialogText, /mypos-actions\.|mypos-terminal\./, `${action}: an untranslated key in the dialog`);
      }
    });

    it("the editor checks with the runtime's rules and defaults", async function () {
      const editorSide = await page.evaluate((types) => {
        // The types are registered once the editor has loaded; these properties have a validator.
        const definition = (type: string) => RED.nodes.getType(type) as EditorNodeDefinition;
        const validator = (property: EditorNodeProperty | undefined) => (property as Required<EditorNodeProperty>).validate;
        const actions = Object.fromEntries(types.map((type) => [type, Object.keys(definition(type).defaults)]));
        const terminal = definition('mypos-terminal').defaults;
        const fixedAmount = (text: string) => validator(definition('mypos-pay').defaults.amount).call({ amountType: 'num', terminal: 'terminal-first' }, text, {});
        const fixedInvoice = (text: string) => validator(definition('mypos-pay').defaults.invoice).call({ invoiceType: 'str' }, text, {});
        return {
          actions,
          terminalDefaults: Object.fromEntries(Object.keys(terminal).map((name) => [name, terminal[name]?.value])),
          receiptDefault: definition('mypos-pay').defaults.receipt?.value,
          amounts: ['12.50', '12.505', '0', '1e3', '12,50', '1234567890123'].map(fixedAmount),
          invoices: ['A-1001', 'x'.repeat(50), 'x'.repeat(51), ' A-1', 'Á-1'].map(fixedInvoice),
          port: validator(terminal.port).call({ connection: 'tcp' }, '65536', {}),
        };
      }, ACTION_TYPES);
      for (const action of ACTIONS) {
        const expected = ['name', 'terminal', ...EDITOR_CONSTANTS.actions[action].inputs.flatMap((name) => [name, `${name}Type`]), 'receipt', 'custrcpt'];
        assert.deepEqual(editorSide.actions[`mypos-${action}`].sort(), expected.sort(), `${action}: the properties of its inputs`);
      }
      for (const [name, rule] of Object.entries(NUMBER_SETTINGS)) assert.equal(editorSide.terminalDefaults[name], rule.fallback, `the default of ${name}`);
      assert.equal(editorSide.receiptDefault, EDITOR_CONSTANTS.receipt.fallback);
      // The first terminal has the runtime's default decimals (2): a third digit after the dot is refused.
      const [ok, tooPrecise, zero, exponent, comma, tooLarge] = editorSide.amounts;
      assert.equal(ok, true);
      for (const refused of [tooPrecise, zero, exponent, comma, tooLarge]) assert.equal(typeof refused, 'string');
      assert.match(String(tooPrecise), /2/);
      assert.deepEqual(
        editorSide.invoices.map((result) => result === true),
        [true, true, false, false, false],
      );
      assert.match(String(editorSide.port), /1 to 65535/);
    });

    it('the Test connection result keeps the number and its unit on one line, at every width', async function () {
      await editor.openDialog(ids.pay);
      await page.click('#node-input-btn-terminal-edit');
      await page.locator('#node-config-input-host').waitFor({ state: 'visible' });
      await page.click('#node-config-mypos-test');
      const result = page.locator('#node-config-mypos-test-result');
      await session.waitInEditor(() => /^connected/.test($('#node-config-mypos-test-result').text()), null, 'the connection test result');
      const text = await result.textContent();
      assert.match(text ?? '', /^connected to 127\.0\.0\.1:\d+ in \d+\sms$/);
      // Narrow the row step by step: wherever the line breaks, number and unit stay together.
      const splitAt = await result.evaluate((element) => {
        const row = element.parentElement as HTMLElement;
        const textNode = element.firstChild as Text;
        const match = /\d+\sms$/.exec(textNode.data) as RegExpExecArray;
        const range = document.createRange();
        range.setStart(textNode, match.index);
        range.setEnd(textNode, match.index + match[0].length);
        const split: number[] = [];
        const original = row.style.width;
        for (let width = 120; width <= 700; width += 2) {
          row.style.width = `${width}px`;
          const tops = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
          if (tops.size > 1) split.push(width);
        }
        row.style.width = original;
        return split;
      });
      assert.deepEqual(splitAt, [], `"${text}" splits between number and unit at widths ${splitAt.join(', ')} px`);
      await page.click('#node-config-dialog-cancel');
      await page.locator('#node-config-input-host').waitFor({ state: 'detached' });
      await editor.closeDialog();
    });

    it('a new terminal dialog asks the runtime for nothing it cannot answer (no 404)', async function () {
      failedResponses.length = 0;
      unresolvedRequests.length = 0;
      await editor.openDialog(ids.pay);
      await page.click('#node-input-btn-terminal-add');
      await page.locator('#node-config-input-host').waitFor({ state: 'visible' });
      // Give a request the dialog might make time to be answered.
      await page.waitForTimeout(500);
      await page.click('#node-config-dialog-cancel');
      await page.locator('#node-config-input-host').waitFor({ state: 'detached' });
      await editor.closeDialog();
      assert.deepEqual(failedResponses, []);
      assert.deepEqual(unresolvedRequests, [], 'the dialog of a node that was never deployed asked for its unresolved requests');
      // Asked all the same (an editor tab open while another deploys), the runtime answers cleanly.
      const answer = await page.evaluate(() => $.getJSON('mypos-terminal/not-deployed/unresolved'));
      assert.deepEqual(answer, { unresolved: [], damaged: [] });
    });

    it("palette labels fit on one line, and are the catalog's", async function () {
      await assertPaletteLabels(editor, 'en-US');
    });

    it('palette search finds the nodes by what a shop owner types', async function () {
      for (const [word, expected] of Object.entries(SEARCHES['en-US'])) {
        assert.deepEqual(await editor.searchPalette(word), [...expected].sort(), `searching for "${word}"`);
      }
    });

    it('stayed on 127.0.0.1 and raised no errors in the page', function () {
      assert.deepEqual(session.editorErrors(), [], 'uncaught errors in the editor');
      assert.deepEqual(session.blocked, [], 'the editor asked for something other than 127.0.0.1');
    });
  });

  describe('Hungarian (browser language hu)', function () {
    let session: EditorSession;
    let editor: ReturnType<typeof editorActions>;

    before(async function () {
      this.timeout(180000);
      requireChromium(this);
      // A zone whose clock is not UTC's, so that local time and UTC differ.
      session = await openEditor({ locale: 'hu', timezoneId: 'Europe/Budapest' });
      editor = editorActions(session);
    });

    afterEach(async function () {
      const name = failedShotName(this.currentTest, 'defaults-hu');
      if (name && session) {
        await session.shot(name).catch(() => undefined);
        await editor.closeAllDialogs();
      }
    });

    after(async function () {
      this.timeout(60000);
      if (session) await session.close();
    });

    it('the editor loads the Hungarian catalog', async function () {
      const language = await session.page.evaluate(() => navigator.language);
      assert.equal(language, 'hu');
      const hungarian = catalog('hu');
      const shown = await session.page.evaluate(() => (RED.nodes.getType('mypos-pay') as EditorNodeDefinition)._('mypos-actions.label.terminal'));
      assert.equal(shown, hungarian.label.terminal);
      assert.notEqual(shown, catalog('en-US').label.terminal);
    });

    it("palette labels fit on one line, and are the Hungarian catalog's", async function () {
      await assertPaletteLabels(editor, 'hu');
    });

    it('palette search finds the nodes by their Hungarian labels and by myPOS', async function () {
      for (const [word, expected] of Object.entries(SEARCHES.hu)) {
        assert.deepEqual(await editor.searchPalette(word), [...expected].sort(), `searching for "${word}"`);
      }
    });

    it('the terminal dialog lists the requests to check in local time, amounts with a decimal comma, actions in words', async function () {
      const { page } = session;
      // A journal with a payment sent before Node-RED stopped and a refund that ended unknown, on two terminals.
      const file = path.join(session.userDir, 'check-journal.jsonl');
      const sentAt = '2026-01-15T10:04:05.000Z'; // 11:04:05 in Budapest (UTC+1 in January)
      const journal = new Journal(file, { now: () => new Date(sentAt) });
      const given = (value: string) => ({ value, field: 'x' });
      const request = (action: Action, amount: string, invoice: string) =>
        createRequest({ action, amount: given(amount), invoice: given(invoice), receipt: given('ON'), custrcpt: given('ON') }, { decimals: 2 });
      assert.ok((await journal.begin(request('pay', '12.50', 'HU-CHECK-1'), { terminal: 'tcp:127.0.0.1:51042' })).id);
      const refund = await journal.begin(request('refund', '7.25', 'HU-CHECK-2'), { terminal: 'tcp:127.0.0.1:51043' });
      assert.ok(refund.id, `the journal refused the refund: ${JSON.stringify(refund.refusal)}`);
      await journal.end(refund.id, failure('refund', undefined, 'TIMEOUT', explain('timeout.noAnswer', { seconds: 5 })));
      await journal.close();

      await editor.importTerminals([{ id: 'terminal-check', name: 'Kassza', port: '51042', journalPath: file }]);
      const pay = await editor.importWithoutTerminal('mypos-pay', 300, 200);
      await editor.deploy();
      await editor.openDialog(pay);
      await page.click('#node-input-btn-terminal-edit');
      const row = page.locator('#node-config-mypos-unresolved-row');
      await row.waitFor({ state: 'visible' });
      const entries = await page.locator('#node-config-mypos-unresolved-list li').allInnerTexts();
      const shown = await row.innerText();
      await row.scrollIntoViewIfNeeded();
      await session.shot('config-dialog-check-hu', page.locator('.red-ui-tray').last());

      const terminal = catalog('hu', 'mypos-terminal');
      const actions = catalog('hu').actions ?? catalog('en-US').actions; // i18next falls back to English, as the editor does
      const format = catalog('hu').format ?? catalog('en-US').format;
      assert.ok(actions && format, 'the catalogs have no actions or format');
      const dateTime = format.dateTime;
      const localTime = dateTime.replace('__year__', '2026').replace('__month__', '01').replace('__day__', '15').replace('__time__', '11:04:05');
      assert.equal(entries.length, 2, shown);
      assert.ok(shown.includes(terminal.unresolved.title), `the title: ${shown}`);
      assert.ok(shown.includes(terminal.check.sharedJournal), `that every terminal of the journal is listed: ${shown}`);
      const [payment, refunded] = entries;
      assert.ok(payment.startsWith(`${localTime} · ${actions.pay} 12,50`), payment);
      assert.ok(payment.includes('HU-CHECK-1') && payment.includes('127.0.0.1:51042') && payment.endsWith(terminal.check.noEnd), payment);
      assert.ok(refunded.startsWith(`${localTime} · ${actions.refund} 7,25`), refunded);
      assert.ok(refunded.endsWith(terminal.check.unknown), refunded);
      for (const entry of entries) {
        assert.doesNotMatch(entry, /\d{4}-\d\d-\d\dT|10:04:05|Z\b/, 'UTC ISO time');
        assert.doesNotMatch(entry, /\d\.\d\d\b/, 'a decimal point');
        assert.doesNotMatch(entry, /\b(pay|refund)\b|tcp:/, 'a machine value');
      }
      await page.click('#node-config-dialog-cancel');
      await page.locator('#node-config-input-host').waitFor({ state: 'detached' });
      await editor.closeDialog();
    });

    it('raised no errors in the page', function () {
      assert.deepEqual(session.editorErrors(), []);
      assert.deepEqual(session.blocked, []);
    });
  });
});
