/**
 * The real Node-RED editor in headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against a real Node-RED with this package and the real TerminalSimulator, all on 127.0.0.1:
 * the palette, the config node dialog, importing an example from the menu, deploying it, and a
 * payment approved and one declined, seen in the simulator, the debug sidebar and the node status.
 *
 * Screenshots go to test-artifacts/ (palette, config dialog, approved and declined payment).
 * Chromium is required: without it this test fails (in CI always; elsewhere MYPOS_SKIP_E2E=1 skips).
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { TerminalSimulator } from '../../src';
import { openEditor, requireChromium, pkg, root, WAIT_MS, failedShotName } from '../support/editor-session';
import { waitFor } from '../support/wait';
import type { EditorSession } from '../support/editor-session';
import type { FlowNode } from '../support/flow-node';

const ACTION_TYPES = ['mypos-pay', 'mypos-refund', 'mypos-preauth', 'mypos-complete', 'mypos-cancel'];
const CATEGORY = 'myPOS';

/** The example the test imports: the one numbered 01 (the pay example). */
function payExample(): { label: string; nodes: FlowNode[] } {
  const file = fs
    .readdirSync(path.join(root, 'examples'))
    .filter((name) => /^01\b.*\.json$/.test(name))
    .sort()[0];
  assert.ok(file, 'no example 01 in examples/');
  return { label: file.replace(/\.json$/, ''), nodes: JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8')) as FlowNode[] };
}

/** The nodes of the imported example the tests use, by what they are for. */
interface ImportedIds {
  pay: string;
  config: string;
  configLabel: string;
  approveInject: string;
  approveAmount: string;
  declineInject: string;
  declineAmount: string;
  okDebug: string;
  errDebug: string;
}

describe('editor in a real browser (headless Chromium)', function () {
  this.timeout(120000);

  let simulator: TerminalSimulator;
  let session: EditorSession;
  let page: Page;
  let example: { label: string; nodes: FlowNode[] };
  let ids: ImportedIds; // the imported nodes: { pay, config, approveInject, declineInject, okDebug, errDebug }

  const shot: EditorSession['shot'] = (...args) => session.shot(...args);
  const waitInEditor: EditorSession['waitInEditor'] = (...args) => session.waitInEditor(...args);
  const openMenu = (itemId: string) => session.openMenu(itemId);
  const statusOf = (id: string) => session.statusOf(id);
  const statusColour = (id: string) => session.statusColour(id);
  const debugMessages = (id: string) => session.debugMessages(id);

  /**
   * Expands a debug message's object tree down to msg.payload, as a user clicks it open, and
   * returns the message's text.
   */
  async function expandedText(message: Locator): Promise<string> {
    // A row of the tree: the clickable .red-ui-debug-msg-expandable whose own key is `name`.
    const row = (name: string) =>
      message.locator('.red-ui-debug-msg-expandable:visible').filter({ has: page.locator(`xpath=./span[contains(@class, "red-ui-debug-msg-object-key") and normalize-space(.)="${name}"]`) });
    try {
      // A debug node that shows msg.payload itself (the examples' do) opens at the result.
      if (/^msg\.payload\b/.test(await message.locator('.red-ui-debug-msg-topic').innerText())) {
        await message.locator('.red-ui-debug-msg-expandable:visible').first().click();
        await message
          .locator('.red-ui-debug-msg-object-key:visible', { hasText: /^result$/ })
          .first()
          .waitFor({ timeout: WAIT_MS });
        return (await message.innerText()).replace(/\s+/g, ' ');
      }
      const payload = row('payload').first();
      if (!(await payload.count())) {
        await message.locator('.red-ui-debug-msg-expandable:visible').first().click();
        await payload.waitFor({ state: 'visible', timeout: WAIT_MS });
      }
      await payload.click();
      await message
        .locator('.red-ui-debug-msg-object-key:visible', { hasText: /^result$/ })
        .first()
        .waitFor({ timeout: WAIT_MS });
    } catch (error) {
      throw new Error(`cannot open msg.payload in the debug sidebar (${(error as Error).message.split('\n')[0]}):\n${await message.innerHTML()}`, { cause: error });
    }
    return (await message.innerText()).replace(/\s+/g, ' ');
  }

  before(async function () {
    this.timeout(180000);
    requireChromium(this);
    simulator = new TerminalSimulator({ behaviour: { delayMs: 150 } });
    await simulator.listen(0, '127.0.0.1');
    session = await openEditor();
    page = session.page;
  });

  after(async function () {
    this.timeout(60000);
    if (session) await session.close();
    if (simulator) await simulator.close();
  });

  afterEach(async function () {
    const name = failedShotName(this.currentTest, 'editor');
    if (name && page) await shot(name).catch(() => undefined);
  });

  it(`shows the five action nodes in the ${CATEGORY} palette category, and the config node not in the palette`, async function () {
    const category = page.locator(`#red-ui-palette-container-${CATEGORY}`);
    await category.scrollIntoViewIfNeeded();
    await category.waitFor({ state: 'visible' });
    const nodes = category.locator('.red-ui-palette-node');
    const types = await nodes.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-palette-type')));
    assert.deepEqual([...types].sort(), [...ACTION_TYPES].sort());
    for (const type of ACTION_TYPES) {
      const node = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      await node.waitFor({ state: 'visible' });
      const label = (await node.locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ').trim();
      assert.ok(label.length > 0, `${type} has no palette label`);
      // The node's own icon, served from the package's icons folder.
      const icon = await node.locator('.red-ui-palette-icon').evaluate((element) => getComputedStyle(element).backgroundImage);
      assert.match(icon, new RegExp(`icons/${pkg.name}/${type}\\.svg`), `${type} icon`);
    }
    // The config node is registered, but lives in the config-node sidebar, not in the palette.
    assert.equal(await page.locator('#red-ui-palette-container .red-ui-palette-node[data-palette-type="mypos-terminal"]').count(), 0);
    assert.equal(await page.evaluate(() => RED.nodes.getType('mypos-terminal')?.category), 'config');
    // The palette as the user sees it, scrolled to our category: the visible area of its scroller
    // (the palette sits elsewhere in Node-RED 4 and 5).
    const area = await category.evaluate((element) => {
      let scroller = element.parentElement;
      while (scroller && !/(auto|scroll)/.test(getComputedStyle(scroller).overflowY)) scroller = scroller.parentElement;
      const box = (scroller || element).getBoundingClientRect();
      const own = element.getBoundingClientRect();
      return { clip: { x: box.x, y: box.y, width: box.width, height: box.height }, inside: own.top >= box.top - 1 && own.bottom <= box.bottom + 1 };
    });
    assert.ok(area.inside, 'the myPOS category does not fit into the visible palette');
    const file = await shot('palette', null, area.clip);
    assert.ok(fs.statSync(file).size > 5000);
  });

  it('imports the pay example from Import > Examples', async function () {
    example = payExample();
    await openMenu('menu-item-import');
    const dialog = page.locator('#red-ui-clipboard-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
    const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await tree.locator('.red-ui-treeList-label-text', { hasText: pkg.name }).click();
    await tree
      .locator('.red-ui-treeList-label-text')
      .filter({ hasText: new RegExp(`^${example.label}$`) })
      .click();
    await page.click('#red-ui-clipboard-dialog-ok');
    await dialog.waitFor({ state: 'hidden' });
    // The imported nodes hang on the pointer until a click on the canvas drops them.
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    assert.ok(chart, 'the canvas is not on the page');
    await page.mouse.move(chart.x + 150, chart.y + 150);
    await page.mouse.click(chart.x + 150, chart.y + 150);

    const found = await waitInEditor(
      () => {
        const links = RED.nodes.filterLinks({});
        const amount = (inject: EditorNode) => String(inject.payload);
        const injectsInto = (pay: EditorNode) => links.filter((link) => link.target === pay && link.source.type === 'inject').map((link) => link.source);
        const approving = (inject: EditorNode) => /^\d+\.\d\d$/.test(amount(inject)) && !/\.5[1-3]$/.test(amount(inject));
        const declining = (inject: EditorNode) => /^\d+\.51$/.test(amount(inject));
        // The pay node fed by an inject of a plain amount and by one the simulator declines (.51).
        let pay: EditorNode | undefined;
        RED.nodes.eachNode((node) => {
          if (pay || node.type !== 'mypos-pay' || node.moving) return;
          const into = injectsInto(node);
          if (into.some(approving) && into.some(declining)) pay = node;
        });
        if (!pay) return null;
        const config = RED.nodes.node(pay.terminal ?? '');
        const into = injectsInto(pay);
        const from = (port: number) => links.filter((link) => link.source === pay && link.sourcePort === port && link.target.type === 'debug').map((link) => link.target.id)[0];
        const approve = into.find(approving);
        const decline = into.find(declining);
        return {
          pay: pay.id,
          config: config && config.type === 'mypos-terminal' ? config.id : null,
          configLabel: config ? RED.utils.getNodeLabel(config, config.id) : null,
          approveInject: approve && approve.id,
          approveAmount: approve && amount(approve),
          declineInject: decline && decline.id,
          declineAmount: decline && amount(decline),
          okDebug: from(0),
          errDebug: from(1),
          count: RED.nodes.filterNodes({ z: RED.workspaces.active() }).length,
        };
      },
      null,
      'the imported example on the canvas',
    );
    const expectedOnCanvas = example.nodes.filter((node) => node.type !== 'mypos-terminal').length;
    assert.equal(found.count, expectedOnCanvas, 'not every node of the example was imported');
    for (const key of ['config', 'approveInject', 'declineInject', 'okDebug', 'errDebug'] as const) {
      assert.ok(found[key], `the example lacks ${key} (an inject of an approved amount, one ending .51, debug nodes on both outputs)`);
    }
    const { pay, config, configLabel, approveInject, approveAmount, declineInject, declineAmount, okDebug, errDebug } = found;
    // What the loop above found, and the label and amounts that come with it.
    assert.ok(config && configLabel && approveInject && approveAmount && declineInject && declineAmount && okDebug && errDebug);
    ids = { pay, config, configLabel, approveInject, approveAmount, declineInject, declineAmount, okDebug, errDebug };
  });

  it('shows the config node in the config sidebar; its dialog switches fields by connection type and marks an invalid port', async function () {
    await openMenu('menu-item-config-nodes');
    const entry = page.locator('.red-ui-palette-node-config', { hasText: ids.configLabel.slice(0, 12) });
    await entry.waitFor({ state: 'visible' });
    assert.ok(await page.locator('.red-ui-palette-node-config-type', { hasText: /^mypos-terminal$/ }).isVisible(), 'no mypos-terminal group in the config sidebar');
    await entry.dblclick();

    const field = (name: string) => page.locator(`#node-config-input-${name}`);
    await field('port').waitFor({ state: 'visible' });
    const visibility = () => page.evaluate(() => Object.fromEntries(['host', 'port', 'serialPath', 'baudRate'].map((name) => [name, $(`#node-config-input-${name}`).is(':visible')])));
    assert.equal(await field('connection').inputValue(), 'tcp');
    assert.deepEqual(await visibility(), { host: true, port: true, serialPath: false, baudRate: false });

    await field('connection').selectOption('serial');
    await field('serialPath').waitFor({ state: 'visible' });
    assert.deepEqual(await visibility(), { host: false, port: false, serialPath: true, baudRate: true });
    await shot('config-dialog-serial', page.locator('.red-ui-tray').last());

    await field('connection').selectOption('tcp');
    await field('port').waitFor({ state: 'visible' });
    assert.deepEqual(await visibility(), { host: true, port: true, serialPath: false, baudRate: false });

    // Typed as a user types it: the dialog validates on each key.
    await field('port').fill('');
    await field('port').pressSequentially('70000');
    await page.waitForFunction(() => $('#node-config-input-port').hasClass('input-error'), null, { timeout: WAIT_MS });
    const file = await shot('config-dialog', page.locator('.red-ui-tray').last());
    assert.ok(fs.statSync(file).size > 1000);

    // Point the imported config node at the simulator, with the same dialog.
    await field('port').fill('');
    await field('port').pressSequentially(String(simulator.port));
    await page.waitForFunction(() => !$('#node-config-input-port').hasClass('input-error'), null, { timeout: WAIT_MS });
    await page.click('#node-config-dialog-ok');
    await field('port').waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => ({ port: String(RED.nodes.node(id)?.port), valid: RED.nodes.node(id)?.valid }), ids.config);
    assert.deepEqual(saved, { port: String(simulator.port), valid: true });
  });

  it('deploys; the inject button makes the simulator approve a payment, shown in the debug sidebar and the node status', async function () {
    await session.deploy();
    await session.showDebug();
    const before = simulator.received.length;

    await page.click(`[id="${ids.approveInject}"] .red-ui-flow-node-button`);

    const request = await waitFor(() => simulator.received.slice(before).find((message) => message.request && message.request.action === 'pay'), 'the simulator to receive the payment', WAIT_MS);
    assert.equal(request.request?.sum, ids.approveAmount);
    assert.equal(simulator.received.length, before + 1, 'the inject sent more than one request');

    const message = debugMessages(ids.okDebug);
    await message.first().waitFor({ state: 'visible' });
    const text = await expandedText(message.first());
    assert.match(text, /result\s*:?\s*"OK"/, `debug message: ${text}`);
    assert.ok(text.includes(`"${ids.approveAmount}"`), `debug message lacks the amount: ${text}`);
    assert.ok(text.includes('"pay"'), `debug message lacks the action: ${text}`);
    await assert.rejects(debugMessages(ids.errDebug).first().waitFor({ timeout: 300 }), 'a message on the error output too');

    await page.waitForFunction(
      ({ id, amount }) => new RegExp(`approved\\s+${amount.replace('.', '\\.')}`, 'i').test($(`[id="${id}"] .red-ui-flow-node-status-label`).text()),
      { id: ids.pay, amount: ids.approveAmount },
      { timeout: WAIT_MS },
    );
    assert.match((await statusOf(ids.pay).textContent()) ?? '', new RegExp(`approved ${ids.approveAmount.replace('.', '\\.')}`, 'i'));
    assert.equal(await statusColour(ids.pay), 'green');
    const file = await shot('approved');
    assert.ok(fs.statSync(file).size > 1000);
  });

  it('a declined payment comes out on the error branch, in the debug sidebar and the node status', async function () {
    const before = simulator.received.length;
    await page.click(`[id="${ids.declineInject}"] .red-ui-flow-node-button`);
    const request = await waitFor(
      () => simulator.received.slice(before).find((message) => message.request && message.request.action === 'pay'),
      'the simulator to receive the declined payment',
      WAIT_MS,
    );
    assert.equal(request.request?.sum, ids.declineAmount);

    const message = debugMessages(ids.errDebug);
    await message.first().waitFor({ state: 'visible' });
    // The example's debug node on output 2 shows msg.payload.message: a sentence, read without expanding anything.
    const text = (await message.first().innerText()).replace(/\s+/g, ' ');
    assert.match(text, /msg\.payload\.message/, `debug message: ${text}`);
    assert.match(text, /declin|refus/i, `debug message: ${text}`);
    // Still only the approved payment on the success output.
    assert.equal(await debugMessages(ids.okDebug).count(), 1);

    await page.waitForFunction((id) => /declined/i.test($(`[id="${id}"] .red-ui-flow-node-status-label`).text()), ids.pay, { timeout: WAIT_MS });
    assert.match((await statusOf(ids.pay).textContent()) ?? '', /declined/i);
    assert.equal(await statusColour(ids.pay), 'red');
    await shot('declined');
  });

  it('stayed on 127.0.0.1 and raised no errors in the page', function () {
    assert.deepEqual(session.editorErrors(), [], 'uncaught errors in the editor');
    assert.deepEqual(session.blocked, [], 'the editor asked for something other than 127.0.0.1');
  });
});
