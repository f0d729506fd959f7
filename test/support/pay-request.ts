// POST /pay on a Node-RED that runs paymentFlow (test/support/payment-node-red), for the browser
// tests of the sidebar (test/e2e/sidebar.test.ts, test/e2e/sidebar-terminals.test.ts).
import http from 'node:http';

/** What the flow answers: the payment's result, or the failure's code. */
export interface PayAnswer {
  result?: string;
  code?: string;
  [property: string]: unknown;
}

/** POST /pay on Node-RED; resolves with the result the flow answered with. */
export function pay(port: number, body: unknown): Promise<PayAnswer> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: '/pay', method: 'POST', timeout: 20000, headers: { 'Content-Type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PayAnswer));
    });
    request.on('timeout', () => request.destroy(new Error('POST /pay timed out')));
    request.on('error', reject);
    request.end(data);
  });
}
