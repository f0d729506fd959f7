/**
 * The block of terminals at the top of the myPOS sidebar tab (issue #13), in headless Chromium
 * against a real Node-RED with this package, the real TerminalSimulator on 127.0.0.1 and a serial
 * terminal over a socat pty pair: each terminal's line shows its state word and since when,
 * following the runtime's notices (comms topic mypos/terminals): "ready" with readiness checks,
 * "busy: payment 12.50 (invoice …)" during a slow payment, "not reachable" once the simulator
 * stops, "1 to check" after a timed-out payment (which narrows the list to that terminal's
 * entries), serial connected then disconnected. A config node's name with markup is shown as its
 * characters. The tab takes the height it is given: the list scrolls between the block and the
 * pager. Screenshots in English and Hungarian go to test-artifacts/.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { httpRequest } from '../support/http-request';
import type { Locator, Page } from 'playwright-core';
import { TerminalSimulator } from '../../src';
import { openEditor, requireChromium, failedShotName } from '../support/editor-session';
import type { EditorSession } from '../support/editor-session';
import { localSettings } from '../support/node-red-process';
import { paymentFlow } from '../support/payment-node-red';
import { PtyPair } from '../support/pty';
import { pay } from '../support/pay-request';
import { reloadInLanguage, setSidebarWidth, showTab } from '../support/sidebar-tab';
import { serialConfigNode } from '../support/terminal-config';
/** Checked every second while idle; an answer within 3 s; no wait for a late answer. */
const TERMINAL = { readinessCheck: '1', responseTimeout: '3', lateAnswerWindow: '0' };
const SERIAL_NAME = '<i id="serial-x">Till</i>';
/** A state change reaches the block within: the check's interval, the notice's spacing (1 s), a read. */
const NOTICED_MS = 5000;

/** POST /flows: a deploy through the admin API, of the given type (`full`, `nodes`, `flows`). */
async function deploy(port: number, flows: unknown, type: string): Promise<{ status: number | undefined; text: string }> {
  const { status, text } = await httpRequest(port, '/flows', { method: 'POST', json: flows, headers: { 'Node-RED-Deployment-Type': type } });
  return { status, text };
}

/**
 * Node-RED 5 stacks the myPOS tab above the debug tab, in a pane 300 px high: drags the divider
 * between them down, as an operator who wants to see more of the journal would. (Node-RED 4 gives
 * the tab the sidebar's whole height.) Returns the pane's height before.
 */
async function dragDividerDown(page: Page, by: number): Promise<number | undefined> {
  // A line of no height, with a handle that sticks out of it.
  const divider = page.locator('#red-ui-sidebar > .red-ui-sidebar-section-separator');
  if ((await divider.count()) === 0) return undefined;
  const box = await divider.boundingBox();
  if (!box) return undefined;
  const before = await page.locator('.mypos-sidebar').evaluate((tab) => (tab.parentElement as HTMLElement).getBoundingClientRect().height);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 + by, { steps: 8 });
  await page.mouse.up();
  return before;
}

/** The sidebar, for a screenshot. */
async function sidebarClip(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.locator('#red-ui-sidebar').boundingBox();
  assert.ok(box, 'the sidebar is not on the page');
  return { x: box.x, y: box.y, width: box.width, height: box.height };
}

describe('myPOS sidebar: the block of terminals (headless Chromium)', function () {
  this.timeout(60000);
  let simulator: TerminalSimulator;
  let terminalPort: number;
  let pty: PtyPair;
  let session: EditorSession;
  let page: Page;
  let port: number;

  const lineOf = (connection: string) => page.locator(`.mypos-sidebar .mypos-sidebar-terminal[data-connection="${connection}"]`);
  const tcpLine = () => lineOf(`127.0.0.1:${terminalPort}`);
  const serialLine = () => lineOf(pty.nodeSide);
  const stateOf = (line: Locator) => line.locator('.mypos-sidebar-terminal-state').innerText();
  const dotOf = async (line: Locator) => (await line.locator('.mypos-sidebar-terminal-dot').getAttribute('class')) ?? '';

  before(async function () {
    this.timeout(120000);
    requireChromium(this);
    simulator = new TerminalSimulator({ behaviour: { delayMs: 50 } });
    terminalPort = await simulator.listen(0, '127.0.0.1');
    pty = new PtyPair();
    await pty.start();
    const flows = [
      ...paymentFlow(terminalPort, TERMINAL),
      serialConfigNode('till', pty.nodeSide, { name: SERIAL_NAME }),
      { id: 'pay-serial', z: 'tab', type: 'mypos-pay', terminal: 'till', receipt: 'ON', custrcpt: 'ON', x: 200, y: 200, wires: [[], []] },
    ];
    session = await openEditor({ settings: localSettings({ httpNodeRoot: '/' }), flows, viewport: { width: 1400, height: 1000 } });
    page = session.page;
    port = session.nodeRed.port;
    await showTab(page);
  });

  after(async function () {
    this.timeout(60000);
    if (session) await session.close();
    if (simulator) await simulator.close();
    if (pty) await pty.dispose();
  });

  afterEach(async function () {
    const name = failedShotName(this.currentTest, 'sidebar-terminals');
    if (name && page) await session.shot(name).catch(() => undefined);
  });

  it('shows each terminal above the filters: the TCP one "ready" (readiness checks), the serial one "connected", each since a local time', async function () {
    const tcp = tcpLine();
    await tcp.and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
    assert.equal(await tcp.locator('.mypos-sidebar-terminal-name').innerText(), 'terminal term');
    assert.equal(await tcp.locator('.mypos-sidebar-terminal-connection').innerText(), `127.0.0.1:${terminalPort}`);
    assert.match(await stateOf(tcp), /^ready since \d{2}:\d{2}$/);
    assert.match(await dotOf(tcp), /mypos-dot-green mypos-dot-ring/);
    const serial = serialLine();
    await serial.and(page.locator('[data-state="connected"]')).waitFor({ timeout: NOTICED_MS });
    assert.match(await stateOf(serial), /^connected since \d{2}:\d{2}$/);
    // Its name, as typed, shown as its characters.
    assert.equal(await serial.locator('.mypos-sidebar-terminal-name').innerText(), SERIAL_NAME);
    assert.equal(await page.locator('#serial-x').count(), 0, 'no element made of a name');
    // The block is above the filters, and nobody needs to check anything yet.
    const [block, filters] = await Promise.all(['.mypos-sidebar-terminals', '.mypos-sidebar-filters'].map((selector) => page.locator(selector).boundingBox()));
    assert.ok(block && filters, 'the block and the filters are on the page');
    assert.ok(block.y + block.height <= filters.y + 1, 'the block above the filters');
    assert.equal(await page.locator('.mypos-sidebar-terminal-attention').count(), 0);
    assert.deepEqual(session.editorErrors(), []);
  });

  it('says "busy: payment 12.50 (invoice …)" while a slow payment is open, then "ready" again', async function () {
    simulator.nextBehaviours.push({ delayMs: 2500 });
    const started = Date.now();
    const paying = pay(port, { amount: 12.5, invoice: 'SLOW-1' });
    const tcp = tcpLine();
    await tcp.and(page.locator('[data-state="busy"]')).waitFor({ timeout: 2000 });
    const shownAfter = Date.now() - started;
    assert.match(await stateOf(tcp), /^busy: payment 12\.50 \(invoice SLOW-1\) since \d{2}:\d{2}$/);
    assert.match(await dotOf(tcp), /mypos-dot-blue mypos-dot-dot/);
    assert.ok(shownAfter < 2000, `busy shown ${shownAfter} ms after the payment began`);
    assert.equal((await paying).result, 'OK');
    await tcp.and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
  });

  it('after a timed-out payment shows "1 to check", which lists just that terminal\'s entries that need checking', async function () {
    simulator.nextBehaviours.push({ fault: 'silent' });
    assert.equal((await pay(port, { amount: 4, invoice: 'LOST-1' })).code, 'TIMEOUT');
    const tcp = tcpLine();
    const attention = tcp.locator('.mypos-sidebar-terminal-attention');
    await attention.waitFor({ timeout: NOTICED_MS });
    assert.equal(await attention.innerText(), '1 to check');
    assert.equal(await serialLine().locator('.mypos-sidebar-terminal-attention').count(), 0, 'the serial terminal has nothing to check');
    const [request] = await Promise.all([page.waitForRequest((one) => /\/mypos-terminal\/journal\?/.test(one.url()) && one.url().includes('node=term')), attention.click()]);
    assert.match(request.url(), /outcome=unknown/);
    const rows = page.locator('.mypos-sidebar tr.mypos-sidebar-row');
    // The day's list goes, the terminal's entries that need checking come.
    await page.locator('.mypos-sidebar tr.mypos-sidebar-row:not([data-state="unknown"])').first().waitFor({ state: 'detached' });
    await rows.filter({ has: page.locator('td.mypos-col-invoice', { hasText: 'LOST-1' }) }).waitFor();
    assert.deepEqual(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-state'))), ['unknown']);
    assert.equal(await page.locator('.mypos-sidebar-state').inputValue(), 'unknown');
    assert.equal(await page.locator('.mypos-sidebar-day').inputValue(), '', 'every day');
    assert.equal(await page.locator('.mypos-sidebar-node-filter-name').innerText(), 'terminal term');
    // × shows every terminal's entries again.
    await page.click('.mypos-sidebar-node-filter-clear');
    await page.locator('.mypos-sidebar-node-filter').waitFor({ state: 'hidden' });
  });

  it('looks right in English: narrow and wide, nothing overlaps, the list scrolls between the block and the pager (screenshots)', async function () {
    await page.selectOption('.mypos-sidebar-state', '');
    for (let i = 1; i <= 8; i += 1) assert.equal((await pay(port, { amount: i, invoice: `FILL-${i}` })).result, 'OK');
    await page
      .locator('.mypos-sidebar tr.mypos-sidebar-row')
      .filter({ has: page.locator('td.mypos-col-invoice', { hasText: 'FILL-8' }) })
      .waitFor();
    await setSidebarWidth(page, 330);
    const paneBefore = await dragDividerDown(page, 400);
    if (paneBefore !== undefined) {
      const pane = await page.locator('.mypos-sidebar').evaluate((tab) => (tab.parentElement as HTMLElement).getBoundingClientRect().height);
      assert.ok(pane > paneBefore + 300, `the divider moved: the pane is ${pane} px, was ${paneBefore} px`);
    }
    for (const [width, name] of [
      [330, 'sidebar-terminals-en'],
      [700, 'sidebar-terminals-en-wide'],
    ] as const) {
      await setSidebarWidth(page, width);
      await tcpLine().and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
      await expectLayout(page, width);
      const file = await session.shot(name, null, await sidebarClip(page));
      assert.ok(fs.statSync(file).size > 5000);
    }
    await setSidebarWidth(page, 330);
  });

  it('squeezed to a short pane (Node-RED 5 stacks tabs; an operator drags the divider), the list keeps room for two entries and the tab scrolls as a whole', async function () {
    await page.locator('.mypos-sidebar').evaluate((tab) => $(tab.parentElement).css({ height: '260px', 'flex-grow': 0, 'flex-shrink': 0 }));
    try {
      const squeezed = await page.evaluate(() => {
        const tab = document.querySelector('.mypos-sidebar') as HTMLElement;
        const list = document.querySelector('.mypos-sidebar-scroll') as HTMLElement;
        return { tab: tab.clientHeight, tabScroll: tab.scrollHeight, across: tab.scrollWidth - tab.clientWidth, list: list.clientHeight, listScroll: list.scrollHeight };
      });
      assert.ok(squeezed.tab <= 262, JSON.stringify(squeezed));
      assert.ok(squeezed.tabScroll > squeezed.tab, `the tab scrolls as a whole ${JSON.stringify(squeezed)}`);
      assert.ok(squeezed.list >= 118, `the list keeps its least height ${JSON.stringify(squeezed)}`);
      assert.ok(squeezed.listScroll > squeezed.list, 'and scrolls inside');
      assert.ok(squeezed.across <= 1);
      await session.shot('sidebar-terminals-en-squeezed', page.locator('.mypos-sidebar').locator('xpath=..'));
    } finally {
      await page.locator('.mypos-sidebar').evaluate((tab) => $(tab.parentElement).css({ height: '', 'flex-grow': '', 'flex-shrink': '' }));
    }
    await expectLayout(page, 330);
  });

  it('flips to "not reachable" once the simulator stops, and to "ready" once it is back', async function () {
    await simulator.close();
    const tcp = tcpLine();
    await tcp.and(page.locator('[data-state="unreachable"]')).waitFor({ timeout: NOTICED_MS });
    assert.match(await stateOf(tcp), /^not reachable since \d{2}:\d{2}$/);
    assert.match(await dotOf(tcp), /mypos-dot-red mypos-dot-ring/);
    assert.match((await tcp.locator('.mypos-sidebar-terminal-state').getAttribute('title')) ?? '', /ECONNREFUSED/, "the system's words on hover");
    await simulator.listen(terminalPort, '127.0.0.1');
    await tcp.and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
  });

  it('serial: "disconnected" once the link goes (socat stopped)', async function () {
    await pty.stop();
    const serial = serialLine();
    await serial.and(page.locator('[data-state="disconnected"]')).waitFor({ timeout: NOTICED_MS });
    assert.match(await stateOf(serial), /^disconnected since \d{2}:\d{2}$/);
    assert.match(await dotOf(serial), /mypos-dot-red mypos-dot-ring/);
  });

  it('speaks Hungarian in a Hungarian editor: "kész … óta", "foglalt: fizetés 12,50", "ellenőrizendő: 1" (screenshot)', async function () {
    this.timeout(90000);
    await reloadInLanguage(page, session, 'hu');
    const pane = await page.locator('.mypos-sidebar').evaluate((tab) => (tab.parentElement as HTMLElement).getBoundingClientRect().height);
    if (pane < 500) await dragDividerDown(page, 400);
    const tcp = tcpLine();
    await tcp.and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
    assert.match(await stateOf(tcp), /^kész \d{2}:\d{2} óta$/);
    assert.equal(await tcp.locator('.mypos-sidebar-terminal-attention').innerText(), 'ellenőrizendő: 1');
    assert.match(await stateOf(serialLine()), /^nincs kapcsolat \d{2}:\d{2} óta$/);
    simulator.nextBehaviours.push({ delayMs: 2500 });
    const paying = pay(port, { amount: 12.5, invoice: 'LASSU-1' });
    await tcp.and(page.locator('[data-state="busy"]')).waitFor({ timeout: 2000 });
    assert.match(await stateOf(tcp), /^foglalt: fizetés 12,50 \(hivatkozási szám: LASSU-1\) \d{2}:\d{2} óta$/);
    await expectLayout(page, 330);
    const file = await session.shot('sidebar-terminals-hu', null, await sidebarClip(page));
    assert.ok(fs.statSync(file).size > 5000);
    assert.equal((await paying).result, 'OK');
    await tcp.and(page.locator('[data-state="ready"]')).waitFor({ timeout: NOTICED_MS });
    assert.match(await stateOf(tcp), /^kész \d{2}:\d{2} óta$/);
    assert.deepEqual(session.editorErrors(), []);
  });

  it("a terminal removed by a deploy of the changed nodes only leaves the block (the runtime's deploy notice), the others stay", async function () {
    await serialLine().waitFor();
    const answer = await deploy(port, paymentFlow(terminalPort, TERMINAL), 'nodes');
    assert.ok([200, 204].includes(answer.status ?? 0), `${answer.status} ${answer.text}`);
    await serialLine().waitFor({ state: 'detached', timeout: NOTICED_MS });
    assert.equal(await tcpLine().count(), 1, 'the TCP terminal, not redeployed, stays');
    assert.equal(await page.locator('.mypos-sidebar .mypos-sidebar-terminal').count(), 1);
  });
});

/**
 * The tab fills the height it is given and no more; the block, the filters and the pager stay in
 * view while the list between them scrolls; no line of the block runs over another or off the side.
 */
async function expectLayout(page: Page, width: number): Promise<void> {
  const layout = await page.evaluate(() => {
    const box = (element: Element | null): DOMRect => (element as Element).getBoundingClientRect();
    const tab = document.querySelector('.mypos-sidebar') as HTMLElement;
    const sidebar = box(document.querySelector('#red-ui-sidebar'));
    const list = document.querySelector('.mypos-sidebar-scroll') as HTMLElement;
    const lines = [...document.querySelectorAll('.mypos-sidebar-terminal')].map(box);
    const parts = [...document.querySelectorAll('.mypos-sidebar-terminal > *')].map(box);
    return {
      tab: box(tab),
      parent: box(tab.parentElement),
      sidebar: { top: sidebar.top, bottom: sidebar.bottom },
      pager: box(document.querySelector('.mypos-sidebar-pager')),
      filters: box(document.querySelector('.mypos-sidebar-filters')),
      block: box(document.querySelector('.mypos-sidebar-terminals')),
      list: { ...box(list).toJSON(), scrollHeight: list.scrollHeight, clientHeight: list.clientHeight },
      lines: lines.map((one) => one.toJSON()),
      parts: parts.map((one) => one.toJSON()),
      across: tab.scrollWidth - tab.clientWidth,
      tabScroll: tab.scrollHeight,
    };
  });
  const what = `at ${width} px: ${JSON.stringify(layout)}`;
  assert.ok(layout.tab.bottom <= layout.parent.bottom + 1, `the tab ends within its container ${what}`);
  assert.ok(layout.pager.bottom <= Math.min(layout.parent.bottom, layout.sidebar.bottom) + 1, `the pager in view ${what}`);
  assert.ok(layout.block.top >= layout.tab.top - 1 && layout.block.bottom <= layout.filters.top + 1, `the block above the filters ${what}`);
  assert.ok(layout.list.clientHeight >= 60, `the list has room ${what}`);
  // Narrow, each entry is a card: more than the list has room for, so it scrolls, and the tab does not.
  if (width < 500) assert.ok(layout.list.scrollHeight > layout.list.clientHeight, `the list scrolls inside ${what}`);
  assert.ok(layout.tabScroll <= layout.tab.height + 1, `the tab itself does not scroll ${what}`);
  assert.ok(layout.list.top >= layout.filters.bottom - 1 && layout.list.bottom <= layout.pager.top + 1, `the list between the filters and the pager ${what}`);
  for (let i = 1; i < layout.lines.length; i += 1) assert.ok(layout.lines[i].top >= layout.lines[i - 1].bottom - 1, `lines of the block overlap ${what}`);
  for (const part of layout.parts) assert.ok(part.right <= layout.block.right + 1, `a part of a line runs off the side ${what}`);
  assert.ok(layout.across <= 1, `the tab is ${layout.across} px too wide`);
}
