'use strict';
// A real Node-RED started from its command line (red.js) in a child process, on 127.0.0.1 and a
// free port, for the tests that need the whole thing: the installed tarball and the browser test.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { nodeRedCli } = require('./node-red-path');
const { freePort } = require('./ports');

/** GET http://127.0.0.1:port/urlPath; resolves { status, headers, body }. */
function get(port, urlPath, accept = 'application/json') {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { Accept: accept }, timeout: 5000 }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out`)));
    request.on('error', reject);
  });
}

/** Settings that keep Node-RED on 127.0.0.1 and away from the network. */
function localSettings(extra = {}) {
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
async function startNodeRed(userDir, settings = localSettings(), timeoutMs = 60000) {
  const port = await freePort();
  const settingsFile = path.join(userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const child = spawn(process.execPath, [nodeRedCli(), '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.exitCode === null && child.signalCode === null;

  const handle = {
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
  const flowsLogged = ['info', 'debug', 'trace'].includes(level);
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

module.exports = { get, localSettings, startNodeRed };
