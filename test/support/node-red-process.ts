// A real Node-RED started from its command line (red.js) in a child process, on 127.0.0.1 and a
// free port, for the tests that need the whole thing: the installed tarball and the browser test.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { httpRequest } from './http-request';
import path from 'node:path';
import { nodeRedCli } from './node-red-path';
import { freePort } from './ports';

const REPOSITORY = path.join(__dirname, '..', '..');
const PACKAGE_NAME = '@payment-interface/node-red-mypos';

/**
 * Links a package folder into dir/node_modules under its name, where `npm install` would put it:
 * this repository as the package by default, or a packed copy, or another module.
 */
export function linkPackage(dir: string, packageDir = REPOSITORY, name = PACKAGE_NAME): void {
  const link = path.join(dir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(packageDir, link, 'dir');
}

/** An HTTP answer, its body as text. */
export interface HttpAnswer {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Node-RED settings as they are written into its settings.js (JSON, so no functions). */
export interface NodeRedSettings {
  adminAuth?: unknown;
  logging?: { console?: { level?: string } };
  [key: string]: unknown;
}

/** A Node-RED child process started by startNodeRed. */
export interface NodeRedProcess {
  port: number;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/** GET http://127.0.0.1:port/urlPath; resolves { status, headers, body }. */
export async function get(port: number, urlPath: string, accept = 'application/json'): Promise<HttpAnswer> {
  const { status, headers, text } = await httpRequest(port, urlPath, { headers: { Accept: accept }, timeoutMs: 5000 });
  return { status, headers, body: text };
}

/** Settings that keep Node-RED on 127.0.0.1 and away from the network. */
export function localSettings(extra: NodeRedSettings = {}): NodeRedSettings {
  return {
    uiHost: '127.0.0.1',
    flowFile: 'flows.json',
    credentialSecret: false,
    telemetry: { enabled: false },
    // No catalogue download from the palette manager, no first-run tour over the editor.
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: 'info' } },
    ...extra,
  };
}

/**
 * Starts Node-RED with userDir and settings, waits until GET /nodes answers (the palette is
 * loaded then; with adminAuth, which keeps /nodes for logged-in users, GET /auth/login) and
 * resolves { port, child, log(), stop() }. Fails with Node-RED's output when it exits early or
 * does not answer within timeoutMs.
 */
export async function startNodeRed(userDir: string, settings: NodeRedSettings = localSettings(), timeoutMs = 60000): Promise<NodeRedProcess> {
  const port = await freePort();
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(process.execPath, [nodeRedCli(), '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  const handle: NodeRedProcess = {
    port,
    child,
    log: () => output,
    async stop() {
      if (!running()) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + timeoutMs;
  // Where Node-RED logs at info level, it says when its flows run: an HTTP endpoint of a flow
  // (POST /pay) exists only from then on, which the admin API answering does not promise.
  const level = settings.logging?.console?.level;
  const flowsLogged = level !== undefined && ['info', 'debug', 'trace'].includes(level);
  for (;;) {
    if (!running()) throw new Error(`Node-RED exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    const response = await get(port, settings.adminAuth ? '/auth/login' : '/nodes').catch(() => undefined);
    if (response && response.status === 200 && (!flowsLogged || /Started flows/.test(output))) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`Node-RED did not answer on 127.0.0.1:${port} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
