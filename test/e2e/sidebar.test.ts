/**
 * The myPOS tab of the editor's sidebar (issue #13) in headless Chromium, against a real Node-RED
 * with this package (built, linked as `npm start` does) and the real TerminalSimulator, on
 * 127.0.0.1. Payments go through a flow (POST /pay → mypos-pay → the answer), as a shop's would:
 * the tab lists one within a second of it ending (the runtime's notice on the editor's comms), a
 * timed-out one needs a person, "not charged" lets the invoice be paid again without
 * allowDuplicate, an invoice with markup is shown as text, the CSV link holds the day's rows, the
 * words are Hungarian in a Hungarian editor, and with adminAuth a read-only user sees no resolve
 * button (and the endpoint answers 403).
 *
 * Screenshots go to test-artifacts/ (the tab in English and in Hungarian).
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { TerminalSimulator } from '../../src';
import { openEditor, requireChromium, failedShotName } from '../support/editor-session';
import type { EditorSession } from '../support/editor-session';
import { localSettings } from '../support/node-red-process';
import { paymentFlow } from '../support/payment-node-red';
import { nodeRedRoot } from '../support/node-red-path';
import { pay } from '../support/pay-request';
import { reloadInLanguage, setSidebarWidth, showTab } from '../support/sidebar-tab';

const HOSTILE_INVOICE = '<b id="x">X</b>';
/** Answer within 1 s, and no wait for a late answer: the next payment goes out at once. */
const TERMINAL = { responseTimeout: '1', lateAnswerWindow: '0' };

function localDay(): string {
  const now = new Date();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
}

/** The sidebar's row for an invoice (its first: the newest). */
const rowOf = (page: Page, invoice: string) =>
  page
    .locator('.mypos-sidebar tr.mypos-sidebar-row')
    .filter({ has: page.locator('td.mypos-col-invoice', { hasText: invoice }) })
    .first();
const helpRowOf = (page: Page, id: string | null) => page.locator(`.mypos-sidebar tr.mypos-sidebar-help-row[data-id="${id}"]`);

/** The sidebar, for a screenshot. */
async function sidebarClip(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.locator('#red-ui-sidebar').boundingBox();
  assert.ok(box, 'the sidebar is not on the page');
  return { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 620) };
}

describe('myPOS sidebar in a real browser (headless Chromium)', function () {
  this.timeout(60000);

  describe('without adminAuth', function () {
    let simulator: TerminalSimulator;
    let session: EditorSession;
    let page: Page;
    let port: number;

    before(async function () {
      this.timeout(120000);
      requireChromium(this);
      simulator = new TerminalSimulator({ behaviour: { delayMs: 50 } });
      const terminalPort = await simulator.listen(0, '127.0.0.1');
      session = await openEditor({ settings: localSettings({ httpNodeRoot: '/' }), flows: paymentFlow(terminalPort, TERMINAL), viewport: { width: 1500, height: 900 } });
      page = session.page;
      port = session.nodeRed.port;
    });

    after(async function () {
      this.timeout(60000);
      if (session) await session.close();
      if (simulator) await simulator.close();
    });

    afterEach(async function () {
      const name = failedShotName(this.currentTest, 'sidebar');
      if (name && page) await session.shot(name).catch(() => undefined);
    });

    it('has a myPOS tab that lists the journal, and shows a payment within a second of it ending', async function () {
      await showTab(page);
      assert.equal(await page.locator('.mypos-sidebar-day').inputValue(), localDay(), 'today is selected');
      await page.locator('.mypos-sidebar-page').filter({ hasText: /of 0/ }).waitFor();
      const answer = await pay(port, { amount: 12.5, invoice: 'LIVE-1' });
      const ended = Date.now();
      assert.equal(answer.result, 'OK', JSON.stringify(answer));
      const row = rowOf(page, 'LIVE-1');
      // The row may show first while the payment is in progress (its begin is news too): wait for its end.
      await row
        .locator('.mypos-col-state')
        .filter({ hasText: /^approved$/ })
        .waitFor({ state: 'visible', timeout: 5000 });
      const shownAfter = Date.now() - ended;
      assert.ok(shownAfter < 1000, `listed ${shownAfter} ms after the payment ended`);
      assert.equal(await row.locator('.mypos-col-action').innerText(), 'payment');
      assert.equal(await row.locator('.mypos-col-amount').innerText(), '12.50');
      assert.equal(await row.locator('.mypos-col-state').innerText(), 'approved');
      assert.match(await row.locator('.mypos-col-time').innerText(), /^\d{2}:\d{2}:\d{2}$/);
      assert.ok((await row.locator('.mypos-col-ref').innerText()).length > 0, "the terminal's ref");
      assert.deepEqual(session.editorErrors(), []);
    });

    it('marks a timed-out payment as needing attention, with the guidance and both findings', async function () {
      simulator.nextBehaviours.push({ fault: 'silent' });
      const answer = await pay(port, { amount: 3, invoice: 'TO-1' });
      assert.equal(answer.code, 'TIMEOUT', JSON.stringify(answer));
      const row = rowOf(page, 'TO-1');
      await row.and(page.locator('.mypos-sidebar-needs-attention')).waitFor({ state: 'visible' });
      assert.equal(await row.getAttribute('data-state'), 'unknown');
      assert.equal(await row.locator('.mypos-col-state').innerText(), 'unknown: check it');
      const help = helpRowOf(page, await row.getAttribute('data-id'));
      assert.equal(await help.locator('.mypos-sidebar-guidance').innerText(), 'Check this payment on the terminal, then record what you found.');
      assert.equal(await help.locator('.mypos-sidebar-charged').innerText(), 'Checked: charged');
      assert.equal(await help.locator('.mypos-sidebar-not-charged').innerText(), 'Checked: not charged');
      assert.ok(await help.locator('.mypos-sidebar-ref').isVisible(), 'a field for the ref');
      assert.match(await page.locator('.mypos-sidebar-attention-text').innerText(), /^To check on the terminal: 1$/);
      // A stronger colour than the other rows.
      const colours = await row.evaluate((element: HTMLTableRowElement) => [element, element.cells[0]].map((one) => getComputedStyle(one).backgroundColor));
      assert.ok(
        colours.some((colour) => colour !== 'rgba(0, 0, 0, 0)'),
        `background: ${colours}`,
      );
      // Protected while nobody knows.
      assert.equal((await pay(port, { amount: 3, invoice: 'TO-1' })).code, 'DUPLICATE');
    });

    it('shows an invoice with markup as its characters, adding no element to the page', async function () {
      const answer = await pay(port, { amount: 1, invoice: HOSTILE_INVOICE });
      assert.equal(answer.result, 'OK', JSON.stringify(answer));
      const cell = page.locator('.mypos-sidebar td.mypos-col-invoice', { hasText: HOSTILE_INVOICE });
      await cell.waitFor({ state: 'visible' });
      assert.equal(await cell.innerText(), HOSTILE_INVOICE);
      assert.equal(await page.locator('#x').count(), 0, 'no element with id x');
      assert.equal(await cell.locator('b').count(), 0);
      // The invoice filter finds it, as text too.
      await page.fill('.mypos-sidebar-invoice', '<b id');
      await page
        .locator('.mypos-sidebar tr.mypos-sidebar-row')
        .filter({ hasNot: page.locator('td.mypos-col-invoice', { hasText: HOSTILE_INVOICE }) })
        .first()
        .waitFor({ state: 'detached' });
      assert.equal(await page.locator('.mypos-sidebar tr.mypos-sidebar-row').count(), 1);
      assert.equal(await page.locator('#x').count(), 0);
      await page.fill('.mypos-sidebar-invoice', '');
      await rowOf(page, 'LIVE-1').waitFor();
    });

    it('looks right in English (screenshot)', async function () {
      simulator.nextBehaviours.push({ fault: 'silent' });
      assert.equal((await pay(port, { amount: 45.9, invoice: 'ORDER-2026-0042' })).code, 'TIMEOUT');
      await rowOf(page, 'ORDER-2026-0042').and(page.locator('.mypos-sidebar-needs-attention')).waitFor();
      // As Node-RED opens it (narrow: each entry a card), and dragged wide (a table).
      await setSidebarWidth(page, 330);
      const narrow = await session.shot('sidebar-en', null, await sidebarClip(page));
      assert.ok(fs.statSync(narrow).size > 5000);
      assert.equal(await page.locator('.mypos-sidebar-table thead').isVisible(), false, 'no table header when narrow');
      await setSidebarWidth(page, 700);
      const wide = await session.shot('sidebar-en-wide', null, await sidebarClip(page));
      assert.ok(fs.statSync(wide).size > 5000);
      assert.equal(await page.locator('.mypos-sidebar-table thead').isVisible(), true, 'a table when wide');
      // Nothing runs off to the side: the list scrolls down, never across.
      for (const width of [330, 700]) {
        await setSidebarWidth(page, width);
        const across = await page.locator('.mypos-sidebar-scroll').evaluate((element) => element.scrollWidth - element.clientWidth);
        assert.ok(across <= 1, `at ${width} px the list is ${across} px too wide`);
      }
    });

    it('"Checked: charged" with the ref typed records it, and the invoice stays protected', async function () {
      simulator.nextBehaviours.push({ fault: 'silent' });
      assert.equal((await pay(port, { amount: 7, invoice: 'CH-1' })).code, 'TIMEOUT');
      const row = rowOf(page, 'CH-1');
      await row.and(page.locator('.mypos-sidebar-needs-attention')).waitFor();
      const id = await row.getAttribute('data-id');
      await helpRowOf(page, id).locator('.mypos-sidebar-ref').fill('000482113999');
      await helpRowOf(page, id).locator('.mypos-sidebar-charged').click();
      await page.locator(`.mypos-sidebar tr.mypos-sidebar-row[data-id="${id}"][data-state="charged"]`).waitFor();
      assert.equal(await page.locator(`tr.mypos-sidebar-row[data-id="${id}"] .mypos-col-ref`).innerText(), '000482113999');
      assert.equal(await page.locator(`tr.mypos-sidebar-row[data-id="${id}"] .mypos-col-state`).innerText(), 'checked: charged');
      assert.equal(await page.locator(`tr.mypos-sidebar-row[data-id="${id}"] .mypos-col-message`).innerText(), 'checked (no Node-RED login)');
      assert.equal((await pay(port, { amount: 7, invoice: 'CH-1' })).code, 'DUPLICATE');
    });

    it('"Checked: not charged" records the finding, and the same invoice pays again without allowDuplicate', async function () {
      const row = rowOf(page, 'TO-1');
      const id = await row.getAttribute('data-id');
      await helpRowOf(page, id).locator('.mypos-sidebar-not-charged').click();
      await page.locator(`.mypos-sidebar tr.mypos-sidebar-row[data-id="${id}"][data-state="not-charged"]`).waitFor();
      assert.equal(await helpRowOf(page, id).count(), 0, 'no longer needs a person');
      assert.equal(await page.locator(`tr.mypos-sidebar-row[data-id="${id}"] .mypos-col-state`).innerText(), 'checked: not charged');
      const again = await pay(port, { amount: 3, invoice: 'TO-1' });
      assert.equal(again.result, 'OK', `paid again without allowDuplicate: ${JSON.stringify(again)}`);
      await page
        .locator('.mypos-sidebar tr.mypos-sidebar-row[data-state="approved"]')
        .filter({ has: page.locator('td.mypos-col-invoice', { hasText: 'TO-1' }) })
        .waitFor();
    });

    it('counts what needs a person over every day, and "Show them" lists just those', async function () {
      assert.match(await page.locator('.mypos-sidebar-attention-text').innerText(), /^To check on the terminal: 1$/);
      await page.click('.mypos-sidebar-show-attention');
      await rowOf(page, 'LIVE-1').waitFor({ state: 'detached' });
      assert.equal(await page.locator('.mypos-sidebar-day').inputValue(), '', 'every day');
      assert.equal(await page.locator('.mypos-sidebar-state').inputValue(), 'unknown');
      const rows = page.locator('.mypos-sidebar tr.mypos-sidebar-row');
      assert.deepEqual(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-state'))), ['unknown']);
      // With no day chosen, the date is shown too.
      assert.match(await rows.first().locator('.mypos-col-time').innerText(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal(await page.locator('.mypos-sidebar-show-attention').isVisible(), false);
      assert.equal(await page.locator('.mypos-sidebar-csv').getAttribute('href'), null, 'no CSV without a day');
      await page.locator('.mypos-sidebar-day').fill(localDay());
      await page.selectOption('.mypos-sidebar-state', '');
      await rowOf(page, 'LIVE-1').waitFor();
    });

    it('reads again on "Refresh"', async function () {
      const [request] = await Promise.all([
        page.waitForRequest((one) => /\/mypos-terminal\/journal\?/.test(one.url()) && one.url().includes(`day=${localDay()}`)),
        page.click('.mypos-sidebar-refresh'),
      ]);
      assert.match(request.url(), /offset=0&limit=50/);
    });

    it('filters by outcome and action', async function () {
      await page.selectOption('.mypos-sidebar-state', 'unknown');
      await rowOf(page, 'LIVE-1').waitFor({ state: 'detached' });
      const states = await page.locator('.mypos-sidebar tr.mypos-sidebar-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state')));
      assert.deepEqual(states, ['unknown']);
      await page.selectOption('.mypos-sidebar-state', '');
      await page.selectOption('.mypos-sidebar-action', 'refund');
      await page.locator('.mypos-sidebar-empty').waitFor({ state: 'visible' });
      await page.selectOption('.mypos-sidebar-action', '');
      await rowOf(page, 'LIVE-1').waitFor();
    });

    it('"Download CSV" downloads the selected day\'s rows', async function () {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('.mypos-sidebar-csv')]);
      assert.equal(download.suggestedFilename(), `mypos-journal-${localDay()}.csv`);
      const text = fs.readFileSync(await download.path(), 'utf8').replace(/^\ufeff/, '');
      const lines = text.trim().split('\r\n');
      assert.match(lines[0], /^local,action,invoice,amount,state,/);
      // LIVE-1, TO-1 twice, the invoice with markup, ORDER-2026-0042, CH-1.
      assert.equal(lines.length - 1, 6, text);
      for (const invoice of ['LIVE-1', 'TO-1', 'ORDER-2026-0042', '<b id=""x"">X</b>']) assert.ok(text.includes(invoice), invoice);
      assert.ok(lines.some((line) => line.includes(',not-charged,')));
    });

    it('speaks Hungarian in a Hungarian editor: words, decimal comma (screenshot)', async function () {
      this.timeout(90000);
      await reloadInLanguage(page, session, 'hu');
      const row = rowOf(page, 'LIVE-1');
      await row.waitFor();
      assert.equal(await row.locator('.mypos-col-amount').innerText(), '12,50');
      assert.equal(await row.locator('.mypos-col-action').innerText(), 'fizetés');
      assert.equal(await row.locator('.mypos-col-state').innerText(), 'jóváhagyva');
      assert.equal(await page.locator('.mypos-sidebar-table th.mypos-col-invoice').innerText(), 'Hivatkozási szám');
      const open = rowOf(page, 'ORDER-2026-0042');
      const help = helpRowOf(page, await open.getAttribute('data-id'));
      assert.equal(await help.locator('.mypos-sidebar-not-charged').innerText(), 'Ellenőrizve: nem történt meg');
      assert.equal(await page.locator('.mypos-sidebar-attention-text').innerText(), 'Ellenőrizendő a terminálon: 1');
      const file = await session.shot('sidebar-hu', null, await sidebarClip(page));
      assert.ok(fs.statSync(file).size > 5000);
      assert.deepEqual(session.editorErrors(), []);
    });

    it('pages 50 at a time, newest first: "Older" and "Newer"', async function () {
      // 6 so far today; 45 more make 51: a second page of 1. (The editor speaks Hungarian by now.)
      simulator.behaviour = {};
      for (let i = 1; i <= 45; i += 1) assert.equal((await pay(port, { amount: i, invoice: `PG-${i}` })).result, 'OK');
      await page.locator('.mypos-sidebar-page', { hasText: /^1–50\D+51$/ }).waitFor();
      const rows = page.locator('.mypos-sidebar tr.mypos-sidebar-row');
      assert.equal(await rows.count(), 50);
      assert.equal(await rows.first().locator('.mypos-col-invoice').innerText(), 'PG-45', 'newest first');
      assert.ok(await page.locator('.mypos-sidebar-newer').isDisabled());
      await page.click('.mypos-sidebar-older');
      await page.locator('.mypos-sidebar-page', { hasText: /^51–51\D+51$/ }).waitFor();
      assert.deepEqual(await rows.locator('.mypos-col-invoice').allInnerTexts(), ['LIVE-1'], 'the oldest');
      assert.ok(await page.locator('.mypos-sidebar-older').isDisabled());
      await page.click('.mypos-sidebar-newer');
      await page.locator('.mypos-sidebar-page', { hasText: /^1–50\D+51$/ }).waitFor();
    });
  });

  describe('with adminAuth: a user who may only read', function () {
    let simulator: TerminalSimulator;
    let session: EditorSession;
    let page: Page;

    before(async function () {
      this.timeout(120000);
      requireChromium(this);
      simulator = new TerminalSimulator();
      const terminalPort = await simulator.listen(0, '127.0.0.1');
      // Node-RED's own bcrypt, for the password hashes adminAuth wants.
      // It is found at run time (Node-RED 4's or 5's), so it is loaded by its path.
      const bcryptPath = require.resolve('bcryptjs', { paths: [path.join(nodeRedRoot(), 'node_modules'), nodeRedRoot(), require.resolve('@node-red/editor-api')] });
      const bcrypt = ((await import(bcryptPath)) as { default: { hashSync(password: string, rounds: number): string } }).default;
      const adminAuth = {
        type: 'credentials',
        users: [
          { username: 'admin', password: bcrypt.hashSync('admin-secret-1', 8), permissions: '*' },
          { username: 'viewer', password: bcrypt.hashSync('viewer-secret-1', 8), permissions: 'read' },
        ],
      };
      session = await openEditor({
        settings: localSettings({ httpNodeRoot: '/', adminAuth }),
        flows: paymentFlow(terminalPort, TERMINAL),
        login: { username: 'viewer', password: 'viewer-secret-1' },
      });
      page = session.page;
      simulator.nextBehaviours.push({ fault: 'silent' });
      assert.equal((await pay(session.nodeRed.port, { amount: 2, invoice: 'RO-1' })).code, 'TIMEOUT');
    });

    after(async function () {
      this.timeout(60000);
      if (session) await session.close();
      if (simulator) await simulator.close();
    });

    it('lists the entry that needs a person, with the guidance but no resolve button; the endpoint answers 403', async function () {
      await showTab(page);
      const row = rowOf(page, 'RO-1');
      await row.waitFor();
      assert.equal(await row.getAttribute('data-state'), 'unknown');
      const help = helpRowOf(page, await row.getAttribute('data-id'));
      await help.locator('.mypos-sidebar-guidance').waitFor();
      assert.equal(await page.locator('.mypos-sidebar-charged, .mypos-sidebar-not-charged, .mypos-sidebar-ref').count(), 0);
      assert.ok(await page.locator('.mypos-sidebar-readonly').isVisible());
      // As the editor would send it, with this user's token.
      const status = await page.evaluate(
        (id) =>
          new Promise((resolve) => {
            $.ajax({ url: 'mypos-terminal/journal/resolve', method: 'POST', contentType: 'application/json', data: JSON.stringify({ id, finding: 'not-charged' }) }).always((a, _b, c) =>
              resolve((c && c.status) || a.status),
            );
          }),
        await row.getAttribute('data-id'),
      );
      assert.equal(status, 403);
      // Live for this user too: the runtime's notice reaches every logged-in editor.
      simulator.nextBehaviours.push({ fault: 'silent' });
      assert.equal((await pay(session.nodeRed.port, { amount: 2, invoice: 'RO-2' })).code, 'TIMEOUT');
      const ended = Date.now();
      await rowOf(page, 'RO-2').waitFor({ timeout: 5000 });
      assert.ok(Date.now() - ended < 1000, `listed ${Date.now() - ended} ms after the payment ended`);
      assert.equal(await page.locator('.mypos-sidebar-charged, .mypos-sidebar-not-charged').count(), 0);
      // The CSV link works with the login, too.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('.mypos-sidebar-csv')]);
      assert.ok(fs.readFileSync(await download.path(), 'utf8').includes('RO-1'));
      assert.deepEqual(session.editorErrors(), []);
    });
  });
});
