import { createRequest } from '../../src/protocol';
import type { Action, AmountRules, RequestDraft, TerminalRequest } from '../../src/protocol';

/** Values of a request as a message carries them: anything at all, checked by createRequest. */
export interface DraftValues {
  amount?: unknown;
  invoice?: unknown;
  preauthcode?: unknown;
  receipt?: unknown;
  custrcpt?: unknown;
}

/** A draft as the nodes build it, with fields named as the nodes name them. */
export function draft(action: Action, values: DraftValues = {}): RequestDraft {
  return {
    action,
    amount: { value: values.amount, field: 'msg.payload' },
    receipt: { value: values.receipt ?? 'ON', field: 'msg.receipt' },
    custrcpt: { value: values.custrcpt ?? 'OFF', field: 'msg.custrcpt' },
    ...('invoice' in values ? { invoice: { value: values.invoice, field: 'msg.invoice' } } : {}),
    ...('preauthcode' in values ? { preauthCode: { value: values.preauthcode, field: 'msg.preauthcode' } } : {}),
  };
}

export const RULES: AmountRules = { decimals: 2 };

/** The request createRequest makes of such a draft, with two decimals. */
export function request(action: Action, values: DraftValues = {}): TerminalRequest {
  return createRequest(draft(action, values), RULES);
}
