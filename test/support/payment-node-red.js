'use strict';
// A real Node-RED process with this package (linked into its user directory, as `npm start`
// does) and one flow: POST /pay with a JSON body → mypos-pay → the result as the HTTP answer,
// whichever output it took. For the tests that need a whole process: two Node-RED processes on
// one journal, SIGTERM with a hung disk.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { localSettings, startNodeRed } = require('./node-red-process');
const { terminalConfigNode } = require('./terminal-config');

const ROOT = path.join(__dirname, '..', '..');

function paymentFlow(terminalPort, terminalOverrides = {}) {
  return [
    { id: 'tab', type: 'tab', label: 'Payments' },
    terminalConfigNode('term', terminalPort, { responseTimeout: '5', connectTimeout: '2', ...terminalOverrides }),
    { id: 'in', z: 'tab', type: 'http in', url: '/pay', method: 'post', wires: [['pay']] },
    { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
    { id: 'out', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
  ];
}

/** Starts Node-RED in `userDir` with the payment flow for the simulator on terminalPort; `settings` adds to the local ones (adminAuth, say). */
async function startPaymentNodeRed(userDir, terminalPort, terminalOverrides = {}, settings = {}) {
  const link = path.join(userDir, 'node_modules', '@payment-interface', 'node-red-mypos');
  fs.mkdirSync(path.dirname(link), { recursive: true });
  if (!fs.existsSync(link)) fs.symlinkSync(ROOT, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(paymentFlow(terminalPort, terminalOverrides)));
  const nodeRed = await startNodeRed(userDir, localSettings({ httpNodeRoot: '/', logging: { console: { level: 'info' } }, ...settings }));
  return {
    ...nodeRed,
    /** POST /pay; resolves with the result (msg.payload) and how long the answer took. */
    pay: (body) => post(nodeRed.port, '/pay', body),
    /** A full deploy of the same flows through the admin API; resolves with how long it took. */
    redeploy: async () => {
      const started = performance.now();
      await post(nodeRed.port, '/flows', paymentFlow(terminalPort, terminalOverrides), { 'Node-RED-Deployment-Type': 'full' });
      return performance.now() - started;
    },
  };
}

function post(port, urlPath, body, headers = {}) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', timeout: 30000, headers: { 'Content-Type': 'application/json', ...headers } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode, body: json ?? text, ms: performance.now() - started });
      });
    });
    request.on('timeout', () => request.destroy(new Error(`POST ${urlPath} timed out`)));
    request.on('error', reject);
    request.end(data);
  });
}

module.exports = { startPaymentNodeRed, paymentFlow };
