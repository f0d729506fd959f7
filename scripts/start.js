#!/usr/bin/env node
// `npm start`: the terminal simulator on 127.0.0.1:51042 and Node-RED on 127.0.0.1:1880 with this
// package and its example flows, so a newcomer can click an inject button and watch a payment.
// NODE_RED_PORT and MYPOS_SIMULATOR_PORT choose other ports.
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const root = path.join(__dirname, '..');
// MYPOS_DEMO_DIR lets the tests run the demo without touching the developer's .demo/.
const userDir = process.env.MYPOS_DEMO_DIR ? path.resolve(process.env.MYPOS_DEMO_DIR) : path.join(root, '.demo');
const HOST = '127.0.0.1';
const DEFAULT_EDITOR_PORT = 1880;
const DEFAULT_SIMULATOR_PORT = 51042;

/** Long enough to watch the node status say "waiting for terminal". */
const DEFAULT_CUSTOMER_DELAY_MS = 1500;

/** Stops the start with a message and exit code 1; thrown before anything was started. */
class StartError extends Error {}

/** A whole number from min to max read from the environment, the fallback when unset or empty. */
function numberFromEnv(name, fallback, { min, max, what, example }) {
  const text = (process.env[name] || '').trim();
  if (text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new StartError(`${name}=${JSON.stringify(process.env[name])} is not ${what}: use a whole number from ${min} to ${max}, for example:  ${name}=${example} npm start`);
  }
  return value;
}

function readOptions() {
  const port = { min: 1, max: 65535, what: 'a port number' };
  const editorPort = numberFromEnv('NODE_RED_PORT', DEFAULT_EDITOR_PORT, { ...port, example: DEFAULT_EDITOR_PORT + 1 });
  const simulatorPort = numberFromEnv('MYPOS_SIMULATOR_PORT', DEFAULT_SIMULATOR_PORT, { ...port, example: DEFAULT_SIMULATOR_PORT + 1 });
  const delayMs = numberFromEnv('MYPOS_SIMULATOR_DELAY', DEFAULT_CUSTOMER_DELAY_MS, { min: 0, max: 600000, what: 'a delay in milliseconds', example: 3000 });
  if (editorPort === simulatorPort) {
    throw new StartError(`NODE_RED_PORT and MYPOS_SIMULATOR_PORT are both ${editorPort}: the editor and the simulator need two different ports.`);
  }
  return { editorPort, simulatorPort, delayMs };
}

/** Resolves undefined when port can be listened on at 127.0.0.1, else the error (EADDRINUSE, EACCES…). */
function tryListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', resolve);
    server.listen(port, HOST, () => server.close(() => resolve(undefined)));
  });
}

/** The first port above `from` that is free now and is not `avoid`, for a hint that works as typed. */
async function nextFreePort(from, avoid) {
  for (let port = from + 1; port <= Math.min(from + 20, 65535); port++) {
    if (port !== avoid && !(await tryListen(port))) return port;
  }
  return from + 1;
}

/**
 * Both ports are checked before anything starts, so a busy port ends the start with a hint
 * instead of a half-started demo.
 */
async function checkPorts({ editorPort, simulatorPort }) {
  const ports = [
    {
      port: editorPort,
      label: 'editor port',
      variable: 'NODE_RED_PORT',
      likely: editorPort === DEFAULT_EDITOR_PORT ? 'probably another Node-RED: 1880 is its default port' : 'another program listens there',
    },
    {
      port: simulatorPort,
      label: 'simulator port',
      variable: 'MYPOS_SIMULATOR_PORT',
      likely: 'probably another `npm start` or terminal simulator still running',
    },
  ];
  const problems = [];
  const choices = [];
  for (const entry of ports) {
    const error = await tryListen(entry.port);
    if (!error) continue;
    const reason = error.code === 'EADDRINUSE' ? `is in use (${entry.likely})` : `cannot be used: ${error.message}`;
    problems.push(`The ${entry.label} ${entry.port} on ${HOST} ${reason}.`);
    const other = entry.port === editorPort ? simulatorPort : editorPort;
    choices.push(`${entry.variable}=${await nextFreePort(entry.port, other)}`);
  }
  if (problems.length > 0) {
    const another = choices.length > 1 ? 'other ports' : 'another port';
    throw new StartError([...problems, `Choose ${another}, for example:  ${choices.join(' ')} npm start`].join('\n'));
  }
}

function ensureBuilt() {
  execFileSync(process.execPath, [path.join(__dirname, 'build.js'), '--if-missing'], { stdio: 'inherit' });
}

/**
 * One tab per example, sharing the config node the examples have in common. Config nodes (the
 * terminal, and the kiosk screen's Dashboard 2 page, group, theme and base) have no place on a
 * canvas and belong to no tab.
 */
function demoFlows() {
  const flows = [];
  const seen = new Set();
  const files = fs
    .readdirSync(path.join(root, 'examples'))
    .filter((f) => f.endsWith('.json'))
    .sort();
  files.forEach((file, index) => {
    const tab = { id: `demo-tab-${index}`, type: 'tab', label: file.replace(/\.json$/, '') };
    flows.push(tab);
    for (const node of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'))) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      const isConfig = typeof node.x !== 'number';
      flows.push(isConfig ? node : { ...node, z: tab.id });
    }
  });
  return flows;
}

/** Node-RED settings for the demo: local only, and the first load shows the flows, not dialogs. */
function demoSettings(editorPort) {
  return {
    uiHost: HOST,
    uiPort: editorPort,
    flowFile: 'flows.json',
    credentialSecret: false,
    // No "Enable update notifications?" dialog (it asks while telemetry is unset) and no update
    // notice, even for a user who said yes in an earlier demo (that choice overrides `enabled`).
    telemetry: { enabled: false, updateNotification: false },
    // No welcome tour over the demo.
    editorTheme: { tours: false },
    // The package is this checkout, linked: the palette manager must not offer to replace it.
    externalModules: { palette: { allowUpdate: false } },
    logging: { console: { level: 'info' } },
  };
}

/** The saved demo flows, or undefined when they are not a flow file (Node-RED says what is wrong). */
function savedFlows(flowFile) {
  try {
    const flows = JSON.parse(fs.readFileSync(flowFile, 'utf8'));
    return Array.isArray(flows) ? flows : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the example flows on the first start and keeps what the user changed after that (delete
 * .demo/ to start over); only the examples' terminal follows MYPOS_SIMULATOR_PORT, so the
 * examples reach the simulator on any port.
 */
function prepareFlows(flowFile, simulatorPort) {
  const examples = demoFlows();
  const isFirstStart = !fs.existsSync(flowFile);
  const flows = isFirstStart ? examples : savedFlows(flowFile);
  if (!flows) return;
  const simulatorTerminals = new Set(examples.filter((node) => node.type === 'mypos-terminal' && node.host === HOST).map((node) => node.id));
  let changed = isFirstStart;
  for (const node of flows) {
    if (simulatorTerminals.has(node.id) && node.port !== String(simulatorPort)) {
      node.port = String(simulatorPort);
      changed = true;
    }
  }
  if (changed) fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
}

/** Packages the demo loads from this checkout's node_modules: the kiosk screen example needs Dashboard 2 (a devDependency). */
const DEMO_MODULES = ['@flowfuse/node-red-dashboard'];

/** Links `name` into the demo's node_modules from `target`; an existing link is left alone. */
function linkModule(name, target) {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(target, link, 'dir');
}

function prepareUserDir({ editorPort, simulatorPort }) {
  linkModule('@payment-interface/node-red-mypos', root);
  for (const name of DEMO_MODULES) {
    const installed = path.join(root, 'node_modules', ...name.split('/'));
    if (fs.existsSync(installed)) linkModule(name, installed);
    else console.warn(`${name} is not installed (npm install): the kiosk screen example will not run.`);
  }
  prepareFlows(path.join(userDir, 'flows.json'), simulatorPort);
  fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(demoSettings(editorPort), null, 2)};\n`);
}

/** The HTTP status of GET url, 0 when nothing answers. */
function statusOf(url) {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => resolve(response.resume().statusCode));
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** Resolves true once the editor answers HTTP 200, false when Node-RED exits first. */
async function editorAnswers(nodeRed, url) {
  while (nodeRed.exitCode === null && nodeRed.signalCode === null) {
    if ((await statusOf(url)) === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main() {
  let options;
  try {
    options = readOptions();
    await checkPorts(options);
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { editorPort, simulatorPort, delayMs } = options;
  ensureBuilt();
  prepareUserDir(options);

  const { TerminalSimulator } = require('../dist/src');
  const simulator = new TerminalSimulator({ behaviour: { delayMs } });
  try {
    await simulator.listen(simulatorPort, HOST);
  } catch (error) {
    // Taken in the moment since the check.
    console.error(`Cannot start the terminal simulator on ${HOST}:${simulatorPort}: ${error.message}`);
    console.error(`Choose another port, for example:  MYPOS_SIMULATOR_PORT=${simulatorPort + 1} npm start`);
    process.exit(1);
  }
  console.log(`myPOS terminal simulator on ${HOST}:${simulatorPort} (amounts ending .51 are declined)`);

  const nodeRed = spawn(process.execPath, ['--enable-source-maps', require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio: 'inherit',
  });
  const stop = () => {
    nodeRed.kill('SIGINT');
    // A Node-RED that hangs while stopping must not keep the simulator and this process alive.
    setTimeout(() => nodeRed.kill('SIGKILL'), 10000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  nodeRed.on('exit', (code) => {
    void simulator
      .close()
      .catch(() => undefined)
      .then(() => process.exit(code ?? 0));
  });

  // Only a running editor gets its address printed: a Node-RED that fails shows its own error.
  const url = `http://${HOST}:${editorPort}/`;
  if (await editorAnswers(nodeRed, url)) console.log(`\nNode-RED editor with the demo: ${url}  (Ctrl-C stops both)\n`);
}

main();
