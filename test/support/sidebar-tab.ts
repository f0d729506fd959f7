// The myPOS tab of the editor's sidebar, as the browser tests open and size it
// (test/e2e/sidebar.test.ts, test/e2e/sidebar-terminals.test.ts).
import type { Page } from 'playwright-core';

/** The id of the myPOS sidebar tab. */
export const SIDEBAR_TAB = 'mypos-journal';

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
