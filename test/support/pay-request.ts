// POST /pay on a Node-RED that runs paymentFlow (test/support/payment-node-red), for the browser
// tests of the sidebar (test/e2e/sidebar.test.ts, test/e2e/sidebar-terminals.test.ts).
import { httpRequest } from './http-request';

/** What the flow answers: the payment's result, or the failure's code. */
export interface PayAnswer {
  result?: string;
  code?: string;
  [property: string]: unknown;
}

/** POST /pay on Node-RED; resolves with the result the flow answered with. */
export async function pay(port: number, body: unknown): Promise<PayAnswer> {
  const answer = await httpRequest(port, '/pay', { method: 'POST', json: body });
  if (answer.json === undefined) throw new Error(`POST /pay answered ${answer.status}: ${answer.text}`);
  return answer.json as PayAnswer;
}
