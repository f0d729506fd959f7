/**
 * Every example flow in the real Node-RED editor (headless Chromium), from the packed package
 * (`npm pack`, unpacked, its runtime dependencies linked beside it), imported as a user imports
 * it: Import > Examples > the package > the example, into a new flow, dropped with a click.
 *
 * Drawn cleanly: measured in the page, no node overlaps another, none (nor its button) lies off
 * the visible canvas, every inject button takes a click, labels fit their nodes and no wire runs
 * through a node. A screenshot of each goes to test-artifacts/.
 *
 * Then all of them deployed against the TerminalSimulator and clicked top to bottom, as their
 * comments say: each click gives one message on the debug node it should; a decline in 01 reads
 * as a decline in the debug sidebar without expanding anything; 07 Deposit refuses the bill
 * above the deposit when clicked in the order shown; 06 Kiosk's gate lets a press through again
 * once a payment ended (approved or not), and after an unknown outcome once staff checked.
 *
 * Chromium is required: without it this test fails (in CI always; elsewhere MYPOS_SKIP_E2E=1 skips).
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { TerminalSimulator } from '../../src';
import type { ReceivedRequest } from '../../src/protocol';
import { requireChromium, pkg, root, failedShotName } from '../support/editor-session';
import type { EditorSession } from '../support/editor-session';
import type { FlowNode } from '../support/flow-node';
import { openPackedEditor } from '../support/packed-editor';
import type { PackedEditor } from '../support/packed-editor';

const EXAMPLES = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => file.replace(/\.json$/, ''));
/**
 * Node packages an example needs besides this one, installed as devDependencies and linked into
 * Node-RED's user directory as the palette manager would install them: 09 Kiosk screen needs
 * FlowFuse Dashboard 2 for its ui- nodes.
 */
const NEEDED_MODULES: Record<string, string> = { 'ui-': '@flowfuse/node-red-dashboard' };
const MODULES = [
  ...new Set(
    EXAMPLES.flatMap((name) =>
      (JSON.parse(fs.readFileSync(path.join(root, 'examples', `${name}.json`), 'utf8')) as FlowNode[]).flatMap((node) =>
        Object.entries(NEEDED_MODULES)
          .filter(([prefix]) => node.type.startsWith(prefix))
          .map(([, module]) => module),
      ),
    ),
  ),
];
/** Where the user clicks to drop an imported flow, from the canvas's top left corner (as editor.test.ts does). */
const DROP = { x: 150, y: 150 };
/** Wide enough that the widest example (06 Kiosk) is on screen beside the palette and the sidebar. */
const VIEWPORT = { width: 2560, height: 1000 };

/** A node of the active flow as measure() finds it drawn. */
interface DrawnNode {
  screen: { left: number; top: number; right: number; bottom: number };
  button: { left: number; top: number; right: number; bottom: number } | null;
}

describe('example flows in the editor (headless Chromium, packed package)', function () {
  this.timeout(60000);

  let packed: PackedEditor | undefined;
  let simulator: TerminalSimulator;
  let session: EditorSession;
  let page: Page;
  const tabs: Record<string, string> = {}; // example name -> flow tab id

  before(async function () {
    this.timeout(180000);
    requireChromium(this);
    packed = await openPackedEditor('mypos-examples-', { behaviour: { delayMs: 50 } }, () => ({ viewport: VIEWPORT, modules: MODULES }));
    ({ simulator, session } = packed);
    page = session.page;
  });

  after(async function () {
    this.timeout(60000);
    if (packed) await packed.close();
  });

  afterEach(async function () {
    const name = failedShotName(this.currentTest, 'examples');
    if (name && page) await session.shot(name).catch(() => undefined);
  });

  /** Import > Examples > the package > `name`, into a new flow, dropped with a click at DROP. */
  async function importExample(name: string): Promise<string> {
    await session.openMenu('menu-item-import');
    const dialog = page.locator('#red-ui-clipboard-dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
    const tree = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    const ours = tree.locator('.red-ui-treeList-label-text', { hasText: pkg.name });
    const entry = tree.locator('.red-ui-treeList-label-text').filter({ hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
    // The tree draws itself in steps: a click on the package while it is opening closes it again,
    // and a click on an entry before it is chosen leaves Import disabled. Try until it is chosen.
    const importEnabled = page.locator('#red-ui-clipboard-dialog-ok:not([disabled])');
    for (let attempt = 1; ; attempt += 1) {
      await ours.waitFor({ state: 'visible' });
      if (!(await entry.isVisible())) await ours.click();
      const chosen = await entry
        .click({ timeout: 3000 })
        .then(() => importEnabled.waitFor({ timeout: 3000 }))
        .then(() => true)
        .catch(() => false);
      if (chosen) break;
      if (attempt === 3) throw new Error(`${name}: not chosen in the Import dialog's examples after ${attempt} tries`);
    }
    await page.click('#red-ui-clipboard-dialog-import-opt-new');
    const before = await page.evaluate(() => RED.nodes.filterNodes({}).length);
    await page.click('#red-ui-clipboard-dialog-ok');
    await dialog.waitFor({ state: 'hidden' });
    // The examples share their config node: from the second on, Node-RED says the nodes exist
    // already, and the user picks "Import copy" (which keeps the one config node).
    const copy = page.locator('.red-ui-notification button', { hasText: /^Import copy$/ });
    const state = await session.waitInEditor(
      (count) => (RED.nodes.filterNodes({}).length > count ? 'imported' : $('.red-ui-notification button:visible').filter((_i, b) => $(b).text() === 'Import copy').length ? 'conflict' : null),
      before,
      `${name} to be imported`,
    );
    if (state === 'conflict') await copy.click();
    // The imported nodes hang on the pointer until a click on the canvas drops them.
    const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
    assert.ok(chart, 'the canvas is not on the page');
    await page.mouse.move(chart.x + DROP.x, chart.y + DROP.y);
    await page.mouse.move(chart.x + DROP.x + 1, chart.y + DROP.y + 1);
    await page.mouse.move(chart.x + DROP.x, chart.y + DROP.y);
    await page.mouse.click(chart.x + DROP.x, chart.y + DROP.y);
    await session.waitInEditor(() => !RED.nodes.filterNodes({ z: RED.workspaces.active() }).some((node) => node.moving), null, 'the imported nodes to be dropped');
    // Click an empty place, so nothing is selected in the screenshot.
    await page.mouse.click(chart.x + chart.width - 20, chart.y + chart.height - 20);
    return page.evaluate(() => RED.workspaces.active());
  }

  /**
   * The active flow as drawn: per node its box in canvas coordinates and on screen (with its
   * button), whether its button takes a click where it is drawn, whether its label fits; per
   * wire the points along it.
   */
  function measure() {
    return page.evaluate(() => {
      const chart = document.getElementById('red-ui-workspace-chart') as HTMLElement;
      const view = chart.getBoundingClientRect();
      const scale = RED.view.scale();
      const tab = RED.workspaces.active();
      const screen = (r: DOMRect) => ({ left: r.left - view.left, top: r.top - view.top, right: r.right - view.left, bottom: r.bottom - view.top });
      const nodes = RED.nodes.filterNodes({ z: tab }).map((node) => {
        const group = document.getElementById(node.id) as HTMLElement;
        const body = group.querySelector('.red-ui-flow-node') as Element;
        const button = group.querySelector('.red-ui-flow-node-button');
        const label = group.querySelector('.red-ui-flow-node-label');
        const box = screen(body.getBoundingClientRect());
        const buttonBox = button && screen(button.getBoundingClientRect());
        let clickable = null;
        if (button) {
          const face = (button.querySelector('.red-ui-flow-node-button-button') as Element).getBoundingClientRect();
          const hit = document.elementFromPoint(face.left + face.width / 2, face.top + face.height / 2);
          clickable = Boolean(hit && button.contains(hit));
        }
        const labelBox = label && label.getBoundingClientRect().width > 0 ? screen(label.getBoundingClientRect()) : null;
        return {
          id: node.id,
          type: node.type,
          name: node.name || '',
          label: RED.utils.getNodeLabel(node, node.type),
          x: node.x,
          y: node.y,
          w: node.w,
          h: node.h,
          screen: box,
          button: buttonBox,
          clickable,
          labelFits: !labelBox || (labelBox.left >= box.left - 0.5 && labelBox.right <= box.right + 0.5),
        };
      });
      const wires: { from: string; to: string; points: [number, number][] }[] = [];
      for (const element of chart.querySelectorAll('.red-ui-flow-link')) {
        // d3 keeps the wire's link on its element.
        const link = (element as Element & { __data__?: EditorLink }).__data__;
        const pathElement = element.querySelector<SVGPathElement>('.red-ui-flow-link-path');
        if (!link || !link.source || !link.target || link.link || !pathElement || link.source.z !== tab) continue;
        const length = pathElement.getTotalLength();
        const points: [number, number][] = [];
        for (let at = 0; at <= length; at += 4) {
          const point = pathElement.getPointAtLength(at);
          points.push([point.x, point.y]);
        }
        wires.push({ from: link.source.id, to: link.target.id, points });
      }
      return { scale, scroll: { left: chart.scrollLeft, top: chart.scrollTop }, view: { width: view.width, height: view.height }, nodes, wires };
    });
  }

  for (const name of EXAMPLES) {
    it(`${name}: imported from Import > Examples, drawn cleanly`, async function () {
      tabs[name] = await importExample(name);
      const expected = (JSON.parse(fs.readFileSync(path.join(root, 'examples', `${name}.json`), 'utf8')) as FlowNode[]).filter((node) => typeof node.x === 'number').length;
      const drawn = await measure();
      assert.equal(drawn.nodes.length, expected, 'not every node of the example is on its flow');
      assert.equal(drawn.scale, 1);
      assert.deepEqual(drawn.scroll, { left: 0, top: 0 });

      const problems: string[] = [];
      const extent = (node: DrawnNode) => ({
        left: Math.min(node.screen.left, node.button ? node.button.left : Infinity),
        right: Math.max(node.screen.right, node.button ? node.button.right : -Infinity),
        top: node.screen.top,
        bottom: node.screen.bottom,
      });
      for (const node of drawn.nodes) {
        const box = extent(node);
        if (node.x - node.w / 2 < 0 || node.y - node.h / 2 < 0) problems.push(`"${node.label}" leaves the canvas (x ${node.x}, y ${node.y}, ${node.w}×${node.h})`);
        if (box.left < 0 || box.top < 0 || box.right > drawn.view.width || box.bottom > drawn.view.height) {
          problems.push(`"${node.label}" or its button is not in the visible canvas: ${JSON.stringify(box)}`);
        }
        if (node.clickable === false) problems.push(`the button of "${node.label}" does not take a click`);
        if (!node.labelFits) problems.push(`the label of "${node.label}" does not fit its node`);
      }
      for (let i = 0; i < drawn.nodes.length; i += 1) {
        for (let j = i + 1; j < drawn.nodes.length; j += 1) {
          const a = extent(drawn.nodes[i]);
          const b = extent(drawn.nodes[j]);
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) problems.push(`"${drawn.nodes[i].label}" overlaps "${drawn.nodes[j].label}"`);
        }
      }
      for (const wire of drawn.wires) {
        for (const node of drawn.nodes) {
          if (node.id === wire.from || node.id === wire.to) continue;
          // Canvas coordinates, 2 px inside the node's edge.
          const inside = wire.points.some(([x, y]) => Math.abs(x - node.x) < node.w / 2 - 2 && Math.abs(y - node.y) < node.h / 2 - 2);
          const label = (id: string) => drawn.nodes.find((n) => n.id === id)?.label;
          if (inside) problems.push(`the wire "${label(wire.from)}" → "${label(wire.to)}" runs through "${node.label}"`);
        }
      }
      // The screenshot: the visible canvas, down to the flow's right and bottom edges.
      const chart = await page.locator('#red-ui-workspace-chart').boundingBox();
      assert.ok(chart, 'the canvas is not on the page');
      const clip = {
        x: chart.x,
        y: chart.y,
        width: Math.min(chart.width, Math.max(...drawn.nodes.map((node) => extent(node).right)) + 40),
        height: Math.min(chart.height, Math.max(...drawn.nodes.map((node) => extent(node).bottom)) + 40),
      };
      const file = await session.shot(`example-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`, null, clip);
      assert.deepEqual(problems, [], `${name} (screenshot: ${file})`);
    });
  }

  describe('deployed against the simulator, clicked top to bottom', function () {
    /** Ids of the nodes of an example's flow with this name (or, for an unnamed node, this type). */
    const ids = (example: string, name: string) =>
      page.evaluate(
        ({ tab, name }) =>
          RED.nodes
            .filterNodes({ z: tab })
            .filter((node) => node.name === name || (!node.name && node.type === name))
            .map((node) => node.id),
        { tab: tabs[example], name },
      );
    async function one(example: string, name: string): Promise<string> {
      const found = await ids(example, name);
      assert.equal(found.length, 1, `${example}: one node named "${name}"`);
      return found[0] as string;
    }
    /** How many messages each debug node of the example has put in the sidebar, by name. */
    async function counts(example: string): Promise<Record<string, number>> {
      const debugs = await page.evaluate((tab) => RED.nodes.filterNodes({ z: tab, type: 'debug' }).map((node) => ({ id: node.id, name: node.name })), tabs[example]);
      const result: Record<string, number> = {};
      for (const { id, name = '' } of debugs) result[name] = (result[name] || 0) + (await session.debugMessages(id).count());
      return result;
    }
    /** The text a person reads in the sidebar of a debug node's last message, without expanding anything. */
    async function lastText(example: string, debugName: string): Promise<string> {
      const messages = session.debugMessages(await one(example, debugName));
      return (await messages.last().locator('.red-ui-debug-msg-payload').innerText()).replace(/\s+/g, ' ').trim();
    }
    const statusText = async (id: string) => ((await session.statusOf(id).textContent()) || '').trim();

    /**
     * Clicks the inject `injectName` and waits until the debug node `debugName` has one message
     * more and no other debug node of the example got one; `settle` ms more for late extras.
     * Returns what that message reads.
     */
    /** Shows the example's flow (its tab). */
    async function show(example: string): Promise<void> {
      await page.evaluate((tab) => RED.workspaces.show(tab), tabs[example]);
      await session.waitInEditor((tab) => RED.workspaces.active() === tab && $(`[id="${RED.nodes.filterNodes({ z: tab })[0].id}"]`).length > 0, tabs[example], `the flow of ${example}`);
    }
    async function click(example: string, injectName: string, debugName: string, settle = 100): Promise<string> {
      if ((await page.evaluate(() => RED.workspaces.active())) !== tabs[example]) await show(example);
      const before = await counts(example);
      await page.click(`[id="${await one(example, injectName)}"] .red-ui-flow-node-button`);
      const deadline = Date.now() + session.WAIT_MS;
      let after: Record<string, number>;
      for (;;) {
        after = await counts(example);
        if ((after[debugName] ?? 0) > (before[debugName] ?? 0)) break;
        if (Date.now() > deadline) throw new Error(`${example}: "${injectName}" gave no message on "${debugName}": ${JSON.stringify({ before, after })}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, settle));
      after = await counts(example);
      assert.deepEqual(after, { ...before, [debugName]: (before[debugName] ?? 0) + 1 }, `${example}: "${injectName}" should give one message on "${debugName}" only`);
      return lastText(example, debugName);
    }
    const pays = (action: string) => simulator.received.filter((message) => message.request && message.request.action === action);
    /** The last request of `action` the simulator received. */
    const lastRequest = (action: string): ReceivedRequest => {
      const request = pays(action).at(-1)?.request;
      assert.ok(request, `no ${action} reached the terminal`);
      return request;
    };

    before(async function () {
      assert.equal(Object.keys(tabs).length, EXAMPLES.length, 'the examples were not all imported');
      // Every terminal config node at the simulator (the examples say port 51042).
      const configs = await page.evaluate((port) => {
        const found: string[] = [];
        RED.nodes.eachConfig((node) => {
          if (node.type !== 'mypos-terminal') return;
          node.port = String(port);
          node.changed = true;
          node.dirty = true;
          found.push(node.id);
        });
        RED.nodes.dirty(true);
        return found;
      }, simulator.port);
      assert.equal(configs.length, 1, 'the examples share one terminal config node, also after "Import copy"');
      await session.deploy();
      await session.showDebug();
    });

    it('01 Pay: each button as its name says; a decline reads as a decline in the debug sidebar without expanding anything', async function () {
      const ex = '01 Pay';
      // An approval reads at a glance too: the result (amount, ref), not a collapsed msg.
      const approved = await click(ex, 'pay 2.00', 'payment approved');
      assert.match(approved, /"2\.00"/, `the sidebar shows: ${approved}`);
      assert.doesNotMatch(approved, /_msgid/, `the sidebar shows: ${approved}`);
      await click(ex, 'pay 5.00 as ORDER-1001 (again: duplicate)', 'payment approved');
      const sent = pays('pay').length;
      const duplicate = await click(ex, 'pay 5.00 as ORDER-1001 (again: duplicate)', 'payment not approved');
      assert.match(duplicate, /ORDER-1001/, duplicate);
      assert.equal(pays('pay').length, sent, 'the duplicate reached the terminal');
      const declined = await click(ex, 'pay 13.51 (declined)', 'payment not approved');
      assert.equal(lastRequest('pay').sum, '13.51');
      // What the sidebar shows of the message, unexpanded, is a sentence that says so.
      assert.match(declined, /declin|refus/i, `the sidebar shows: ${declined}`);
      assert.doesNotMatch(declined, /^Object|^\{/, `the sidebar shows: ${declined}`);
      await session.shot('example-01-pay-declined', page.locator('.red-ui-debug-content-list'));
      await click(ex, 'basket: 2 x 2.50 + 1.20', 'basket paid');
      assert.equal(lastRequest('pay').sum, '6.20');
    });

    it('02 Refund: each button as its name says', async function () {
      const ex = '02 Refund';
      await click(ex, 'refund 2.00', 'refund approved');
      await click(ex, 'refund 3.50 as REFUND-1001 (again: duplicate)', 'refund approved');
      assert.match(await click(ex, 'refund 3.50 as REFUND-1001 (again: duplicate)', 'refund not approved'), /REFUND-1001/);
      assert.match(await click(ex, 'refund 13.51 (declined)', 'refund not approved'), /declin|refus/i);
    });

    it('03 Pre-authorize: each button as its name says', async function () {
      const ex = '03 Pre-authorize';
      await click(ex, 'pre-authorize 20.00', 'pre-authorized: code in msg.preauthcode');
      assert.match(await click(ex, 'pre-authorize 13.51 (declined)', 'pre-authorization not approved'), /declin|refus/i);
    });

    it('04 Complete pre-authorization: the pre-authorization is completed with 15.00; an unknown code is refused', async function () {
      const ex = '04 Complete pre-authorization';
      await click(ex, 'pre-authorize 20.00', 'completed');
      assert.equal(lastRequest('complete').sum, '15.00');
      assert.equal(simulator.preauthState(lastRequest('complete').preauthCode ?? ''), 'completed');
      const refused = await click(ex, 'complete 5.00 of an unknown code', 'completion not approved');
      assert.doesNotMatch(refused, /^Object|^\{/, refused);
    });

    it('05 Cancel pre-authorization: the pre-authorization is cancelled; an unknown code is refused', async function () {
      const ex = '05 Cancel pre-authorization';
      await click(ex, 'pre-authorize 20.00', 'cancelled');
      assert.equal(simulator.preauthState(lastRequest('cancel').preauthCode ?? ''), 'cancelled');
      const refused = await click(ex, 'cancel an unknown code', 'cancellation not approved');
      assert.doesNotMatch(refused, /^Object|^\{/, refused);
    });

    it('07 Deposit: clicked in the order shown, the bill above the deposit is refused, the code kept, and the rest settles', async function () {
      const ex = '07 Deposit';
      await click(ex, 'check-in: room 101', 'deposit held');
      await click(ex, 'check-in: room 102', 'deposit held');
      assert.deepEqual(
        pays('preauth')
          .slice(-2)
          .map((message) => message.request?.sum),
        ['50.00', '50.00'],
      );
      const completions = pays('complete').length;
      // Refused on output 2 without reaching the terminal: the node knows the pre-authorized amount.
      const refusal = await click(ex, 'check-out: room 101, bill 80.00 (above the deposit)', 'not charged: code kept');
      assert.match(refusal, /80\.00.*50\.00/, refusal);
      assert.doesNotMatch(refusal, /missing/, refusal);
      assert.equal(pays('complete').length, completions, 'the bill above the deposit was sent');
      await click(ex, 'check-out: room 101, bill 35.00', 'charged');
      const completed = lastRequest('complete');
      assert.equal(completed.sum, '35.00');
      assert.equal(simulator.preauthState(completed.preauthCode ?? ''), 'completed');
      await click(ex, 'check-out: room 102, nothing to pay', 'deposit released');
      assert.equal(simulator.preauthState(lastRequest('cancel').preauthCode ?? ''), 'cancelled');
      assert.notEqual(lastRequest('cancel').preauthCode, completed.preauthCode);
      await session.shot('example-07-deposit-run', page.locator('#red-ui-workspace-chart'));
    });

    it('08 Refund with the original invoice: sold, refunded with its invoice and amount, and not refunded twice', async function () {
      const ex = '08 Refund with the original invoice';
      await click(ex, 'sell 12.50', 'sold');
      const sale = lastRequest('pay');
      await click(ex, 'customer returns the last sale', 'refunded');
      const refund = lastRequest('refund');
      assert.deepEqual({ sum: refund.sum, invoice: refund.invoice }, { sum: '12.50', invoice: sale.invoice });
      const refunds = pays('refund').length;
      assert.match(await click(ex, 'customer returns the last sale', 'nothing to refund'), /refunded already/);
      assert.equal(pays('refund').length, refunds, 'the sale was refunded twice');
    });

    // Its screen in the browser, clicked through: test/e2e/kiosk.test.ts.
    it('09 Kiosk screen (Dashboard 2): deployed with Dashboard 2, its screen is ready and its pay node sees the terminal ready', async function () {
      const ex = '09 Kiosk screen (Dashboard 2)';
      await show(ex);
      for (const [name, what] of [
        ['kiosk screen', 'the kiosk screen function'],
        ['mypos-pay', 'the pay node (the terminal checked while idle)'],
      ]) {
        const id = await one(ex, name);
        await session
          .waitInEditor((id) => $(`[id="${id}"] .red-ui-flow-node-status-label`).text() === 'ready', id, `${what} to say ready`)
          .catch(async (error) => {
            throw new Error(`${error.message}; it says "${await statusText(id)}"`);
          });
      }
      const loaded = JSON.parse(await page.evaluate(() => fetch('nodes', { headers: { Accept: 'application/json' } }).then((response) => response.text()))) as {
        module: string;
        types: string[];
        enabled: boolean;
      }[];
      assert.ok(
        loaded.some((set) => set.module === '@flowfuse/node-red-dashboard' && set.types.includes('ui-button') && set.enabled),
        'Dashboard 2 is not loaded',
      );
    });

    // Last: its unknown outcome keeps the (shared) terminal from taking requests for 10 s.
    it('06 Kiosk: the gate lets one press through, and the next once the payment ended (approved, declined; unknown after staff checked)', async function () {
      const ex = '06 Kiosk';
      await show(ex);
      const gate = await one(ex, 'one payment at a time');
      const gateSays = (pattern: RegExp, what: string) =>
        session
          .waitInEditor(({ id, source }) => new RegExp(source).test($(`[id="${id}"] .red-ui-flow-node-status-label`).text()), { id: gate, source: pattern.source }, what)
          .catch(async (error) => {
            throw new Error(`${error.message}; the gate says "${await statusText(gate)}"`);
          });
      await gateSays(/^ready$/, 'the gate to say ready after the deploy');

      await click(ex, 'button pressed', 'door relay');
      await gateSays(/^ready$/, 'the gate to be ready after an approved payment');

      // A bouncing button: two presses at once, one payment; the customer takes a while.
      simulator.nextBehaviours.push({ delayMs: 1500 });
      const before = pays('pay').length;
      const relay = click(ex, 'button bounces (two presses at once)', 'door relay', 300);
      await gateSays(/ignored/, 'the gate to ignore the second press');
      await relay;
      assert.equal(pays('pay').length, before + 1, 'the bounce paid twice');
      await gateSays(/^ready$/, 'the gate to be ready once the payment ended');
      await click(ex, 'button pressed', 'door relay');

      // Declined: the customer display says so, and the kiosk takes the next press.
      simulator.nextBehaviours.push({ fault: 'decline' });
      const display = await click(ex, 'button pressed', 'customer display');
      assert.match(display, /Payment not completed/, display);
      await gateSays(/^ready$/, 'the gate to be ready after a declined payment');
      await click(ex, 'button pressed', 'door relay');

      // Unknown outcome: locked, presses ignored, until staff checked the terminal.
      simulator.nextBehaviours.push({ fault: 'drop' });
      await click(ex, 'button pressed', 'staff alert');
      await gateSays(/locked/, 'the gate to lock after an unknown outcome');
      const locked = pays('pay').length;
      await page.click(`[id="${await one(ex, 'button pressed')}"] .red-ui-flow-node-button`);
      await gateSays(/ignored/, 'the gate to ignore a press while locked');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(pays('pay').length, locked, 'a press while locked reached the terminal');
      await page.click(`[id="${await one(ex, 'staff: terminal checked')}"] .red-ui-flow-node-button`);
      await gateSays(/^ready$/, 'the gate to be ready once staff checked the terminal');
      // The press goes through to the pay node. (Within 10 s of the unknown outcome the node still
      // listens for the terminal's late answer and sends nothing: then the customer display asks to
      // try again.) Either way the payment ends and the gate is ready for the next press.
      const counted = await counts(ex);
      await page.click(`[id="${await one(ex, 'button pressed')}"] .red-ui-flow-node-button`);
      const deadline = Date.now() + session.WAIT_MS;
      let now = counted;
      while (now['door relay'] === counted['door relay'] && now['customer display'] === counted['customer display']) {
        assert.ok(Date.now() < deadline, 'the press after "staff: terminal checked" did not reach the pay node');
        await new Promise((resolve) => setTimeout(resolve, 50));
        now = await counts(ex);
      }
      await gateSays(/^ready$/, 'the gate to be ready after that payment');
      await session.shot('example-06-kiosk-run', page.locator('#red-ui-workspace-chart'));
    });

    it('stayed on 127.0.0.1 and raised no errors in the page', function () {
      assert.deepEqual(session.editorErrors(), [], 'uncaught errors in the editor');
      assert.deepEqual(session.blocked, [], 'the editor asked for something other than 127.0.0.1');
    });
  });
});
