/**
 * The help sidebar in the real editor (headless Chromium): the help of the pay node and of the
 * terminal config node as the reader sees it, in English and, after choosing Hungarian as the
 * editor's language (as Settings › View › Language stores it), in Hungarian: the packaged help of
 * that language, in Node-RED's sections, at most 600 words.
 *
 * Screenshots go to test-artifacts/ (help-<type>-<language>.png): the help as the sidebar shows it.
 * Chromium is required: without it this test fails (in CI always; elsewhere MYPOS_SKIP_E2E=1 skips).
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { openEditor, requireChromium } from '../support/editor-session';
import type { EditorSession } from '../support/editor-session';

const MAX_WORDS = 600;
const HEADINGS: Record<string, Record<string, string[]>> = {
  'en-US': { 'mypos-pay': ['Inputs', 'Outputs', 'Details', 'References'], 'mypos-terminal': ['Settings', 'Details', 'References'] },
  hu: { 'mypos-pay': ['Bemenetek', 'Kimenetek', 'Részletek', 'Hivatkozások'], 'mypos-terminal': ['Beállítások', 'Részletek', 'Hivatkozások'] },
};

/** Words as a reader counts them: runs between white space that hold a letter or a digit. */
const wordCount = (text: string): number => text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;

describe('help sidebar in a real browser (headless Chromium)', function () {
  this.timeout(120000);
  let session: EditorSession | undefined;
  let page: Page;

  before(async function () {
    this.timeout(180000);
    requireChromium(this);
    // Tall enough for the whole help in the sidebar, for the screenshots.
    session = await openEditor({ viewport: { width: 1400, height: 2800 } });
    page = session.page;
  });

  after(async function () {
    this.timeout(60000);
    if (session) await session.close();
  });

  /** The session `before` opened. */
  const editor = (): EditorSession => {
    assert.ok(session, 'the editor is not open');
    return session;
  };

  for (const [language, types] of Object.entries(HEADINGS)) {
    describe(language, function () {
      before(async function () {
        this.timeout(60000);
        // The editor asks Node-RED for the node help in its language: the one chosen in the
        // editor's settings, else the browser's (en-US here).
        const chosen = await page.evaluate(() => localStorage.getItem('editor-language'));
        const wanted = language === 'en-US' ? null : language;
        if (chosen === wanted) return;
        await page.evaluate((lang) => (lang ? localStorage.setItem('editor-language', lang) : localStorage.removeItem('editor-language')), wanted);
        await page.reload({ timeout: 60000 });
        await page.waitForSelector('.red-ui-palette-node[data-palette-type="mypos-pay"]', { timeout: 60000 });
        await editor().waitInEditor(() => window.RED && RED.nodes && RED.nodes.getType('mypos-terminal') && $('#red-ui-loading-progress:visible').length === 0, null, 'the editor to load');
      });

      for (const [type, headings] of Object.entries(types)) {
        it(`shows the ${type} help: ${headings.join(', ')}, at most ${MAX_WORDS} words`, async function () {
          await page.evaluate((nodeType) => RED.sidebar.help.show(nodeType), type);
          // The list of topics above the help is hidden with its toolbar button, as a reader would.
          const topics = page.locator('#red-ui-sidebar-help-show-toc.selected');
          if (await topics.count()) await topics.click();
          // Node-RED wraps each h3 in a folding link; its text is still the heading.
          await editor().waitInEditor((expected) => $('.red-ui-help:visible h3').first().text().trim() === expected, headings[0], `the ${type} help`);
          const help = page.locator('.red-ui-help:visible').first();
          const shown = await help.locator('h3').evaluateAll((elements) => elements.map((element) => (element.textContent ?? '').trim()));
          assert.deepEqual(shown, headings);
          const words = wordCount(await help.innerText());
          assert.ok(words <= MAX_WORDS, `${words} words`);
          const file = await editor().shot(`help-${type}-${language}`, help);
          assert.ok(fs.statSync(file).size > 5000);
        });
      }
    });
  }
});
