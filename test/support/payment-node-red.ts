// A real Node-RED process with this package (linked into its user directory, as `npm start`
// does) and one flow: POST /pay with a JSON body → mypos-pay → the result as the HTTP answer,
// whichever output it took. For the tests that need a whole process: two Node-RED processes on
// one journal, SIGTERM with a hung disk.
import fs from 'node:fs';
import { httpRequest } from './http-request';
import path from 'node:path';
import { linkPackage, localSettings, startNodeRed } from './node-red-process';
import { terminalConfigNode } from './terminal-config';

import type { FlowNode } from './flow-node';

/** An HTTP answer: the JSON body where it parsed, else the text; and how long it took. */
export interface PostAnswer {
  status: number | undefined;
  body: unknown;
  ms: number;
}

export function paymentFlow(terminalPort: number | string, terminalOverrides: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'Payments' },
    terminalConfigNode('term', terminalPort, { responseTimeout: '5', connectTimeout: '2', ...terminalOverrides }),
    { id: 'in', z: 'tab', type: 'http in', url: '/pay', method: 'post', wires: [['pay']] },
    { id: 'pay', z: 'tab', type: 'mypos-pay', terminal: 'term', receipt: 'ON', custrcpt: 'ON', wires: [['out'], ['out']] },
    { id: 'out', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
  ];
}

/** Starts Node-RED in `userDir` with the payment flow for the simulator on terminalPort; `settings` adds to the local ones (adminAuth, say). */
export async function startPaymentNodeRed(userDir: string, terminalPort: number | string, terminalOverrides: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  linkPackage(userDir);
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(paymentFlow(terminalPort, terminalOverrides)));
  const nodeRed = await startNodeRed(userDir, localSettings({ httpNodeRoot: '/', logging: { console: { level: 'info' } }, ...settings }));
  return {
    ...nodeRed,
    /** POST /pay; resolves with the result (msg.payload) and how long the answer took. */
    pay: (body: unknown): Promise<PostAnswer> => post(nodeRed.port, '/pay', body),
    /** A full deploy of the same flows through the admin API; resolves with how long it took. */
    redeploy: async (): Promise<number> => {
      const started = performance.now();
      await post(nodeRed.port, '/flows', paymentFlow(terminalPort, terminalOverrides), { 'Node-RED-Deployment-Type': 'full' });
      return performance.now() - started;
    },
  };
}

async function post(port: number, urlPath: string, body: unknown, headers: Record<string, string> = {}): Promise<PostAnswer> {
  const answer = await httpRequest(port, urlPath, { method: 'POST', json: body, headers, timeoutMs: 30000 });
  return { status: answer.status, body: answer.json ?? answer.text, ms: answer.ms };
}
