import { ACTION_SPECS, Action, RequestDraft, Sourced, TerminalRequest, TransactionResult } from '../src/protocol';
import type { ConnectionState } from '../src/client/terminal-client';
import { NodeMessage, NodeStatus } from './node-red';

/**
 * Where an action node finds its inputs in a message. A value on the message itself wins over
 * the same key in an object payload; a plain payload is the amount.
 */
export function draftFromMessage(action: Action, msg: NodeMessage, receipt: unknown, custrcpt: unknown): RequestDraft {
  const spec = ACTION_SPECS[action];
  const payload = isPlainObject(msg.payload) ? msg.payload : undefined;
  // null counts as absent, as JSON often says "no value" with it.
  const pick = (key: string, fallback?: Sourced): Sourced | undefined => {
    if (msg[key] !== undefined && msg[key] !== null) return { value: msg[key], field: `msg.${key}` };
    if (payload && payload[key] !== undefined && payload[key] !== null) return { value: payload[key], field: `msg.payload.${key}` };
    return fallback;
  };
  return {
    action,
    ...(spec.hasAmount && {
      amount: payload ? { value: payload.amount, field: 'msg.payload.amount' } : { value: msg.payload, field: 'msg.payload' },
    }),
    ...(spec.hasInvoice && { invoice: pick('invoice') }),
    ...(spec.hasPreauthCode && { preauthCode: pick('preauthcode', { value: undefined, field: 'msg.preauthcode' }) }),
    receipt: pick('receipt') ?? { value: receipt, field: 'the node\'s receipt setting' },
    custrcpt: pick('custrcpt') ?? { value: custrcpt, field: 'the node\'s custrcpt setting' },
  };
}

/** The input message, now carrying the result, and the output it belongs on. */
export function applyResult(msg: NodeMessage, result: TransactionResult): { output: 0 | 1; msg: NodeMessage } {
  msg.payload = result;
  if (result.result === 'OK') {
    // A message retried after an error must not carry the old error onto the success output.
    delete msg.error;
    if (result.action === 'preauth') msg.preauthcode = result.ref;
    return { output: 0, msg };
  }
  // A failed pre-authorization has no code: one left on the message could cancel the wrong one.
  if (result.action === 'preauth') delete msg.preauthcode;
  msg.error = { message: result.message, code: result.code, outcome: result.outcome };
  return { output: 1, msg };
}

export function statusForResult(result: TransactionResult): NodeStatus {
  if (result.result === 'OK') return { fill: 'green', shape: 'dot', text: `approved ${subject(result)}` };
  switch (result.code) {
    case 'TERMINAL':
      return { fill: 'red', shape: 'ring', text: `declined: ${result.statusText ?? result.statusName ?? `status ${result.status ?? '?'}`}` };
    case 'BAD_XML':
      return { fill: 'red', shape: 'ring', text: `rejected by the app: ${result.ref}` };
    case 'INVALID_INPUT':
      return { fill: 'red', shape: 'ring', text: `invalid input: ${result.message.split(' ')[0]}` };
    case 'BUSY':
      return { fill: 'yellow', shape: 'ring', text: 'busy: another request is open' };
    case 'CONNECT':
      return { fill: 'red', shape: 'ring', text: 'cannot connect' };
    case 'TIMEOUT':
    case 'CONNECTION_LOST':
    case 'PROTOCOL':
      return { fill: 'red', shape: 'dot', text: 'outcome unknown: check the terminal' };
  }
}

export function statusWaiting(request: TerminalRequest): NodeStatus {
  const what = request.amount?.text ?? `cancel ${request.preauthCode ?? ''}`;
  return { fill: 'blue', shape: 'dot', text: `waiting for terminal: ${what}` };
}

export const STATUS_CONNECTING: NodeStatus = { fill: 'yellow', shape: 'ring', text: 'connecting…' };

export function statusForConnection(state: ConnectionState): NodeStatus {
  switch (state) {
    case 'connected':
      return { fill: 'green', shape: 'ring', text: 'connected' };
    case 'connecting':
      return STATUS_CONNECTING;
    case 'disconnected':
      return { fill: 'red', shape: 'ring', text: 'disconnected' };
  }
}

function subject(result: TransactionResult): string {
  if (result.amount !== undefined) return result.amount;
  return result.preauthcode !== undefined ? `cancel ${result.preauthcode}` : result.action;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

