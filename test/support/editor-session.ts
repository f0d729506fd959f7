/**
 * The real Node-RED editor in headless Chromium (Debian's `chromium`, driven by playwright-core),
 * against a real Node-RED with this package installed in its user directory, all on 127.0.0.1.
 * One session per test file: `await openEditor()` in `before`, `session.close()` in `after`.
 *
 * Chromium is required: without it the session fails to open (in CI always; elsewhere
 * MYPOS_SKIP_E2E=1 skips the calling suite).
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Locator, Page } from 'playwright-core';

/** A function Playwright runs in the page, as Page.evaluate takes it (its own type is not exported under Node's package resolution). */
type PageFunction<Arg, R> = string | ((arg: Arg) => R | Promise<R>);
import { nodeRedVersion } from './node-red-path';
import { linkPackage, localSettings, startNodeRed, type NodeRedProcess, type NodeRedSettings } from './node-red-process';

/** What the tests read of package.json. */
interface PackageManifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export const root = path.join(__dirname, '..', '..');
export const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageManifest;
const CHROMIUM = process.env.MYPOS_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Bound for every wait on the editor: generous for a loaded CI machine, short of mocha's timeout. */
export const WAIT_MS = 20000;
export const artifacts = path.join(root, 'test-artifacts');
/** Screenshots of a Node-RED 5 run do not overwrite those of the Node-RED 4 run. */
export const shotPrefix = `node-red-${nodeRedVersion().split('.')[0]}-`;

/** Skips the calling suite where Chromium is missing and that is allowed; else throws. */
export function requireChromium(context: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  if (!process.env.CI && process.env.MYPOS_SKIP_E2E === '1') context.skip();
  throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set MYPOS_CHROMIUM)`);
}

/** Node-RED's settings, as settings.js exports them (localSettings() and what a test adds). */
/** The screenshot name for a test that failed (`failed-<prefix>-<its title>`), or undefined when it did not fail. */
export function failedShotName(test: Mocha.Test | undefined, prefix: string): string | undefined {
  if (test?.state !== 'failed') return undefined;
  return `failed-${prefix}-${test.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`;
}

export interface OpenEditorOptions {
  install?: string;
  settings?: NodeRedSettings;
  locale?: string;
  timezoneId?: string;
  viewport?: { width: number; height: number };
  flows?: readonly object[];
  login?: { username: string; password: string };
  modules?: readonly string[];
}

/** What openEditor gives a test: the editor's page, its Node-RED, and helpers on them. */
export interface EditorSession {
  /** Addresses other than 127.0.0.1 the pages asked for (refused). */
  readonly blocked: string[];
  /** Uncaught errors in the pages, with their stacks. */
  readonly pageErrors: string[];
  readonly WAIT_MS: number;
  /** pageErrors, but for Node-RED 5's own Monaco race. */
  editorErrors(): string[];
  readonly userDir: string;
  readonly profileDir: string;
  readonly nodeRed: NodeRedProcess;
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
  shot(name: string, locator?: Locator | null, clip?: { x: number; y: number; width: number; height: number }): Promise<string>;
  /** Resolves with what fn returned once that was truthy. */
  waitInEditor<R, Arg>(fn: PageFunction<Arg, R>, arg: Arg, what: string): Promise<NonNullable<R>>;
  openMenu(itemId: string): Promise<void>;
  statusOf(id: string): Locator;
  statusColour(id: string): Promise<string | null | undefined>;
  debugMessages(debugId: string): Locator;
  deploy(): Promise<void>;
  showDebug(): Promise<void>;
}

/**
 * Starts Node-RED with this package and opens its editor in Chromium.
 * - install: 'link' (this repository, as `npm link` would) or the path of a packed tarball's
 *   unpacked `package/` folder, which is linked the same way;
 * - settings: Node-RED settings (default: localSettings());
 * - locale: the browser's language (the editor follows it), default en-US;
 * - timezoneId: the browser's time zone (e.g. Europe/Budapest), default the system's;
 * - flows: the flows Node-RED starts with (flows.json), if any;
 * - login: { username, password } for Node-RED's login dialog, with adminAuth in settings;
 * - modules: other node packages the flows need, installed as this repository's devDependencies
 *   (e.g. '@flowfuse/node-red-dashboard'), linked into the user directory beside the package, as
 *   the palette manager would install them there.
 */
export async function openEditor({
  install = 'link',
  settings = localSettings(),
  locale = 'en-US',
  timezoneId,
  viewport = { width: 1400, height: 1000 },
  flows,
  login,
  modules = [],
}: OpenEditorOptions = {}): Promise<EditorSession> {
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  const packageDir = install === 'link' ? root : install;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-e2e-'));
  linkPackage(userDir, packageDir, pkg.name);
  const dependencies: Record<string, string> = { [pkg.name]: '*' };
  for (const name of modules) {
    const version = pkg.devDependencies?.[name];
    if (!version) throw new Error(`${name} is not a devDependency: the tests only link what npm ci installs`);
    const installed = path.join(root, 'node_modules', ...name.split('/'));
    linkPackage(userDir, fs.realpathSync(installed), name);
    dependencies[name] = version;
  }
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true, dependencies }));
  if (flows) fs.writeFileSync(path.join(userDir, typeof settings.flowFile === 'string' ? settings.flowFile : 'flows.json'), JSON.stringify(flows));

  let nodeRed: NodeRedProcess | undefined;
  let profileDir: string | undefined;
  let context: BrowserContext | undefined;
  const close = async (): Promise<void> => {
    if (context) await context.close().catch(() => undefined);
    if (nodeRed) await nodeRed.stop();
    for (const dir of [userDir, profileDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };

  let page: Page;
  try {
    nodeRed = await startNodeRed(userDir, settings);
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
      locale,
      ...(timezoneId && { timezoneId }),
      timeout: 60000,
    });
    context.setDefaultTimeout(WAIT_MS);
    // tsx compiles the tests with esbuild's keepNames: a function named inside a function handed
    // to page.evaluate becomes __name(fn, "name"), which the page must know. It names nothing there.
    await context.addInitScript('globalThis.__name = (target) => target;');
    // Only 127.0.0.1: anything else the editor asks for is refused and recorded.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page = context.pages()[0] || (await context.newPage());
    // With its stack: an error that happens once in a while must say where.
    page.on('pageerror', (error) => pageErrors.push(error.stack || error.message));
    await page.goto(`http://127.0.0.1:${nodeRed.port}/`, { timeout: 60000 });
    if (login) {
      await page.fill('#node-dialog-login-username', login.username);
      await page.fill('#node-dialog-login-password', login.password);
      await page.click('#node-dialog-login-submit');
    }
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="mypos-pay"]', { timeout: 60000 });
    await waitInEditor(page, () => window.RED && RED.nodes && RED.nodes.getType('mypos-terminal') && $('#red-ui-loading-progress:visible').length === 0, null, 'the editor to load');
  } catch (error) {
    await close();
    throw error;
  }

  return {
    blocked,
    pageErrors,
    WAIT_MS,
    editorErrors: () => editorErrors(pageErrors),
    userDir,
    profileDir,
    nodeRed,
    context,
    page,
    close,
    /** Saves a screenshot to test-artifacts/ (of a locator, a clip, or the page); returns its path. */
    async shot(name, locator, clip) {
      // Close Node-RED's notifications ("Imported…", "Successfully deployed") as a user would, so
      // they do not cover what the screenshot is for.
      // A notification may close by itself between being found and clicked: a short timeout, or
      // the click would wait the whole WAIT_MS for it.
      for (const notification of await page.locator('.red-ui-notification:visible').all()) await notification.click({ timeout: 1000 }).catch(() => undefined);
      await page
        .locator('.red-ui-notification:visible')
        .first()
        .waitFor({ state: 'hidden', timeout: 5000 })
        .catch(() => undefined);
      fs.mkdirSync(artifacts, { recursive: true });
      const file = path.join(artifacts, `${shotPrefix}${name}.png`);
      if (locator) await locator.screenshot({ path: file });
      else await page.screenshot({ path: file, clip });
      return file;
    },
    /** Evaluates fn(arg) in the editor until it returns something truthy; returns that. */
    waitInEditor: (fn, arg, what) => waitInEditor(page, fn, arg, what),
    async openMenu(itemId) {
      await page.click('#red-ui-header-button-sidemenu');
      await page.click(`#${itemId}`);
    },
    /** The status text Node-RED shows under a node of the canvas. */
    statusOf: (id) => page.locator(`[id="${id}"] .red-ui-flow-node-status-label`),
    /** The colour of the status indicator under a node: green, red, yellow, blue or grey. */
    statusColour: (id) =>
      page.locator(`[id="${id}"] .red-ui-flow-node-status`).evaluate((element) => {
        const match = /red-ui-flow-node-status-(?:dot|ring)-(\w+)/.exec(element.getAttribute('class') || '');
        return match && match[1];
      }),
    /** The messages a debug node put into the debug sidebar. */
    debugMessages: (debugId) => page.locator(`.red-ui-debug-content-list .red-ui-debug-msg.red-ui-debug-msg-node-${debugId.replace(/\./g, '_')}`),
    /** Deploys what is on the canvas and waits until Node-RED has it. */
    async deploy() {
      await page.click('#red-ui-header-button-deploy');
      await waitInEditor(page, () => !RED.nodes.dirty() && $('#red-ui-header-button-deploy').hasClass('disabled'), null, 'the deploy to finish');
    },
    /** Shows the debug sidebar with the editor's shortcut (the sidebars of Node-RED 4 and 5 differ). */
    async showDebug() {
      await page.locator('#red-ui-workspace-chart').click({ position: { x: 20, y: 20 } });
      await page.keyboard.press('Control+g');
      await page.keyboard.press('d');
      await page.locator('.red-ui-debug-content-list').waitFor({ state: 'visible' });
    },
  };
}

async function waitInEditor<R, Arg>(page: Page, fn: PageFunction<Arg, R>, arg: Arg, what: string): Promise<NonNullable<R>> {
  try {
    // Playwright's own PageFunction type is not exported under Node's package resolution; fn is one.
    const handle = await page.waitForFunction(fn as never, arg, { timeout: WAIT_MS, polling: 50 });
    // waitForFunction resolves once fn returned something truthy.
    return (await handle.jsonValue()) as NonNullable<R>;
  } catch (error) {
    throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/**
 * Uncaught errors in the page, but for one of Node-RED 5's own: now and then its code editor
 * (Monaco) is set up before Monaco's HTML language has loaded, whatever nodes are installed. It is
 * let through only as that exact message, on Node-RED 5, and with no frame outside Node-RED's own
 * scripts (a frame of ours would be a nodes/*.html script, served under /nodes or /editor-client/…/mypos).
 */
function editorErrors(pageErrors: readonly string[]): string[] {
  return pageErrors.filter((error) => !(nodeRedVersion().startsWith('5.') && isMonacoRace(error)));
}

function isMonacoRace(error: string): boolean {
  const [first, ...frames] = error.split('\n');
  if (!/^(TypeError: )?Cannot read properties of undefined \(reading 'html'\)$/.test(first)) return false;
  return frames.every((frame) => !/mypos/i.test(frame) && !/\/nodes\b/.test(frame));
}
