#!/usr/bin/env node
// `npm start`: the terminal simulator on 127.0.0.1:51042 and Node-RED on 127.0.0.1:1880 with this
// package and its example flows, so a newcomer can click an inject button and watch a payment.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const userDir = path.join(root, '.demo');
const SIMULATOR_PORT = Number(process.env.MYPOS_SIMULATOR_PORT || 51042);
const EDITOR_PORT = Number(process.env.NODE_RED_PORT || 1880);
/** Long enough to watch the node status say "waiting for terminal". */
const CUSTOMER_DELAY_MS = Number(process.env.MYPOS_SIMULATOR_DELAY || 1500);

function ensureBuilt() {
  if (!fs.existsSync(path.join(root, 'dist', 'nodes', 'mypos-actions.js'))) {
    require('node:child_process').execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
  }
}

/** One tab per example, sharing the config node the examples have in common. */
function demoFlows() {
  const flows = [];
  const seen = new Set();
  const files = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort();
  files.forEach((file, index) => {
    const tab = { id: `demo-tab-${index}`, type: 'tab', label: file.replace(/\.json$/, '') };
    flows.push(tab);
    for (const node of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'))) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      const isConfig = node.type === 'mypos-terminal';
      flows.push(isConfig ? node : { ...node, z: tab.id });
    }
  });
  return flows;
}

function prepareUserDir() {
  const link = path.join(userDir, 'node_modules', '@payment-interface', 'node-red-mypos');
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(root, link, 'dir');
  const flowFile = path.join(userDir, 'flows.json');
  // Keep what the user changed in the demo; delete .demo/ to start over.
  if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, JSON.stringify(demoFlows(), null, 2));
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = ${JSON.stringify({ uiHost: '127.0.0.1', uiPort: EDITOR_PORT, flowFile: 'flows.json', credentialSecret: false, logging: { console: { level: 'info' } } }, null, 2)};\n`,
  );
}

async function main() {
  ensureBuilt();
  prepareUserDir();
  const { TerminalSimulator } = require('../dist/src');
  const simulator = new TerminalSimulator({ behaviour: { delayMs: CUSTOMER_DELAY_MS } });
  try {
    await simulator.listen(SIMULATOR_PORT, '127.0.0.1');
  } catch (error) {
    console.error(`Cannot start the terminal simulator on 127.0.0.1:${SIMULATOR_PORT}: ${error.message}`);
    console.error('Set MYPOS_SIMULATOR_PORT to another port, and the examples\' terminal node to match.');
    process.exit(1);
  }
  console.log(`myPOS terminal simulator on 127.0.0.1:${SIMULATOR_PORT} (amounts ending .51 are declined)`);
  const nodeRed = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    stdio: 'inherit',
  });
  console.log(`Node-RED editor: http://127.0.0.1:${EDITOR_PORT}/`);
  const stop = () => nodeRed.kill('SIGINT');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  nodeRed.on('exit', (code) => {
    void simulator.close().then(() => process.exit(code ?? 0));
  });
}

main();
