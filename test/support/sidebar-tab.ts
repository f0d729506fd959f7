// The myPOS tab of the editor's sidebar, as the browser tests open and size it
// (test/e2e/sidebar.test.ts, test/e2e/sidebar-terminals.test.ts).
import type { Page } from 'playwright-core';
import type { EditorSession } from './editor-session';

/** The id of the myPOS sidebar tab. */
const SIDEBAR_TAB = 'mypos-journal';

/** Shows the myPOS tab and waits until it is visible. */
export async function showTab(page: Page): Promise<void> {
  await page.evaluate((tab) => RED.sidebar.show(tab), SIDEBAR_TAB);
  await page.locator('.mypos-sidebar').waitFor({ state: 'visible' });
}

/** Sets the sidebar's width, as an operator drags its edge. */
export async function setSidebarWidth(page: Page, wanted: number): Promise<void> {
  await page.evaluate((width) => {
    $('#red-ui-sidebar').width(width);
    $('#red-ui-workspace').css('right', width + 7);
    $('#red-ui-editor-stack').css('right', width + 8);
    $('#red-ui-sidebar-separator').css('right', width + 'px');
    RED.events.emit('sidebar:resize');
  }, wanted);
}

/** Reloads the editor in another language (as its settings dialog does) and shows the myPOS tab again, at the width the tests read it. */
export async function reloadInLanguage(page: Page, session: EditorSession, language: string): Promise<void> {
  await page.evaluate((lang) => localStorage.setItem('editor-language', lang), language);
  await page.reload();
  await session.waitInEditor(() => window.RED && RED.sidebar && $('.mypos-sidebar').length > 0 && $('#red-ui-loading-progress:visible').length === 0, null, 'the editor to load again');
  await showTab(page);
  await setSidebarWidth(page, 330);
}
