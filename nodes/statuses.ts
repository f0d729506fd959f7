import type { TerminalRequest, TransactionFailure, TransactionResult } from '../src/protocol';
import { renderParam } from '../src/protocol';
import type { ConnectionState, LateAnswer, Readiness } from '../src/client/terminal-client';
import type { JournalEntry } from '../src/journal/journal';
import { formatAmount, runtimeLanguage, say, t } from './i18n';
import { explanationOf, localizedMessage } from './message';
import type { NodeStatus } from './node-red';

/**
 * What the action nodes show and say to the operator: the status under a node (in the runtime's
 * language, sized to fit under it) and the warnings in Node-RED's log.
 */

export function statusForResult(result: TransactionResult): NodeStatus {
  if (result.result === 'OK') {
    // A cancellation charges nothing: it releases the reserved amount.
    if (result.action === 'cancel') return { fill: 'green', shape: 'dot', text: t('status.released', { code: result.preauthcode ?? '' }) };
    return { fill: 'green', shape: 'dot', text: t('status.approved', { what: subject(result) }) };
  }
  switch (result.code) {
    case 'TERMINAL':
      return { fill: 'red', shape: 'ring', text: declinedText(result) };
    case 'BAD_XML':
      return { fill: 'red', shape: 'ring', text: t('status.notUnderstood') };
    case 'INVALID_INPUT': {
      const params = result.messageParams;
      return { fill: 'red', shape: 'ring', text: 'field' in params ? t('status.invalidInput', { field: renderParam(params.field, runtimeLanguage) }) : t('status.invalidInputUnnamed') };
    }
    case 'BUSY':
      return { fill: 'yellow', shape: 'ring', text: t('status.busy') };
    case 'CONNECT':
      return { fill: 'red', shape: 'ring', text: result.messageKey === 'node.noTerminal' ? t('status.noTerminal') : t('status.cannotConnect') };
    case 'DUPLICATE':
      return { fill: 'yellow', shape: 'ring', text: t('status.duplicate') };
    case 'JOURNAL':
      return { fill: 'red', shape: 'ring', text: t('status.journalUnavailable') };
    case 'TIMEOUT':
    case 'CONNECTION_LOST':
    case 'PROTOCOL':
      return { fill: 'red', shape: 'dot', text: t('status.unknown') };
  }
}

/** The status words for each myPOS status a terminal declines with. */
const DECLINED_STATUS_KEYS: Readonly<Record<string, string>> = {
  TRANSACTION_CANCELED: 'status.canceled',
  TRANSACTION_DECLINED: 'status.cardDeclined',
  TRANSACTION_FAILED: 'status.terminalFailed',
  DEVICE_NOT_ACTIVATED: 'status.notActivated',
  INVALID_CURRENCY: 'status.currency',
  INVALID_AMOUNT: 'status.amountRefused',
};

function declinedText(result: TransactionFailure): string {
  if (result.statusName === 'NO_DATA_FOUND') return t(result.preauthcode === undefined ? 'status.noData' : 'status.codeNotFound');
  const key = result.statusName === null ? undefined : DECLINED_STATUS_KEYS[result.statusName];
  if (key !== undefined) return t(key);
  return result.status === null ? t('status.declined') : t('status.declinedStatus', { status: result.status });
}

/**
 * The status after a result. While requests at this terminal have an outcome nobody knows, the
 * status stays red and says so, whatever came after, until an operator acknowledges them: the
 * result itself is in the message (its first words), and both together do not fit under a node.
 */
export function statusAfterResult(result: TransactionResult, unresolved: readonly JournalEntry[]): NodeStatus {
  return unresolved.length === 0 ? statusForResult(result) : statusForUnresolved(unresolved);
}

/** The warning for an outcome nobody knows: what, for how much, where, and what to do. */
export function describeUnknown(result: TransactionFailure, terminal: string | undefined): string {
  return t('warn.unknown', { request: describeRequestOf(result), terminal: terminal ?? '?', message: localizedMessage(result) });
}

/**
 * The status when the answer to one of the node's requests that had ended unknown arrived after
 * all. A flow hears it through a status node: `msg.status.late` says what it was about and what
 * the terminal said (`approved`, with its ref, or `declined`, with the code; the node's warning
 * in the log says why).
 */
export function statusForLateAnswer(late: LateAnswer): NodeStatus {
  const { result } = late;
  const about = {
    action: result.action,
    ...(result.invoice !== undefined && { invoice: result.invoice }),
    ...(result.amount !== undefined && { amount: result.amount }),
    ...(result.preauthcode !== undefined && { preauthcode: result.preauthcode }),
  };
  if (result.result === 'OK') {
    // A cancellation's code does not fit beside the words; the log line and msg.status.late have it.
    const text = result.action === 'cancel' ? t('status.lateReleased') : t('status.lateApproved', { what: subject(result) });
    return { fill: 'green', shape: 'dot', text, late: { outcome: 'approved', ...about, ref: result.ref } };
  }
  return { fill: 'red', shape: 'ring', text: t('status.lateDeclined'), late: { outcome: 'declined', ...about, code: result.code } };
}

/** The warning when the answer to a request that had ended unknown arrived after all. */
export function describeLateAnswer(late: LateAnswer, terminal: string): string {
  const { result } = late;
  const said =
    result.result === 'OK' ? t('warn.lateApproved', { ref: result.ref }) : result.code === 'TERMINAL' ? t('warn.lateDeclined', { reason: say(explanationOf(result)) }) : localizedMessage(result);
  return t('warn.late', { terminal, seconds: formatAmount((late.afterMs / 1000).toFixed(1)), request: describeRequestOf(result), said });
}

/** "payment 12.50, invoice A-1001", "pre-authorization cancellation, pre-authorization 4821". */
export function describeRequestOf(result: Pick<TransactionResult, 'action' | 'amount' | 'invoice' | 'preauthcode'>): string {
  const action = runtimeLanguage.action(result.action);
  const amount = result.amount === undefined ? '' : formatAmount(result.amount);
  if (result.invoice !== undefined) return t('warn.requestInvoice', { action, amount, invoice: result.invoice }).trim();
  if (result.preauthcode !== undefined) return t(amount === '' ? 'warn.requestCodeOnly' : 'warn.requestCode', { action, amount, code: result.preauthcode });
  return `${action} ${amount}`.trim();
}

export function statusWaiting(request: TerminalRequest): NodeStatus {
  const what = request.amount === undefined ? t('status.cancelCode', { code: request.preauthCode ?? '' }) : formatAmount(request.amount.text);
  return { fill: 'blue', shape: 'dot', text: t('status.waiting', { what }) };
}

export function statusForUnresolved(entries: readonly JournalEntry[]): NodeStatus {
  const first = entries[0];
  // The amount (a cancellation's code) finds it in the terminal's history; the terminal dialog lists the rest.
  const what = first.amount !== undefined ? formatAmount(first.amount) : (first.preauthcode ?? runtimeLanguage.action(first.action));
  const more = entries.length > 1 ? ` (+${entries.length - 1})` : '';
  return { fill: 'red', shape: 'dot', text: t('status.unresolved', { what: `${what}${more}` }) };
}

export function statusForDamagedJournal(lines: number): NodeStatus {
  return { fill: 'red', shape: 'dot', text: t('status.journalDamaged', { lines }) };
}

/** A node deployed without a terminal: nothing it receives can be sent. */
export function statusNoTerminal(): NodeStatus {
  return { fill: 'red', shape: 'ring', text: t('status.noTerminal') };
}

export function statusConnecting(): NodeStatus {
  return { fill: 'yellow', shape: 'ring', text: t('status.connecting') };
}

export function statusForConnection(state: ConnectionState): NodeStatus {
  switch (state) {
    case 'connected':
      return { fill: 'green', shape: 'ring', text: t('status.connected') };
    case 'connecting':
      return statusConnecting();
    case 'disconnected':
      return { fill: 'red', shape: 'ring', text: t('status.disconnected') };
  }
}

/**
 * An idle terminal that the readiness checks (or the last request) found there, or not; nothing
 * while that is not known yet.
 */
export function statusForReadiness(readiness: Readiness): NodeStatus | undefined {
  switch (readiness.state) {
    case 'ready':
      return { fill: 'green', shape: 'ring', text: t('status.ready'), readiness: 'ready' };
    case 'unreachable':
      return { fill: 'red', shape: 'ring', text: t('status.unreachable'), readiness: 'unreachable' };
    default:
      return undefined;
  }
}

function subject(result: TransactionResult): string {
  if (result.amount !== undefined) return formatAmount(result.amount);
  return result.preauthcode !== undefined ? t('status.cancelCode', { code: result.preauthcode }) : runtimeLanguage.action(result.action);
}
