import { Action } from './actions';
import { ERROR_OUTCOMES, ErrorCode, Outcome } from './errors';
import { Explanation, MessageKey, MessageLanguage, MessageParam, explain, render } from './messages';
import { TerminalRequest } from './request';
import { ReplyVerdict } from './reply';
import { statusName } from './status';

/** What every result says about the request it ends. */
interface ResultBase {
  readonly action: Action;
  /** The terminal's `<ref>`; empty when there is none. */
  readonly ref: string;
  readonly invoice?: string;
  /** As sent on the wire, e.g. `12.50`. */
  readonly amount?: string;
  readonly preauthcode?: string;
}

export interface TransactionSuccess extends ResultBase {
  readonly result: 'OK';
}

export interface TransactionFailure extends ResultBase {
  /** What happened and what to do, in words for a person (first, so Node-RED's debug preview shows it). */
  readonly message: string;
  readonly result: 'ERROR';
  readonly code: ErrorCode;
  readonly outcome: Outcome;
  readonly status: number | null;
  readonly statusName: string | null;
  readonly statusText: string | null;
  /** The sentence `message` is made of, for words of one's own: a key of MESSAGES and its values. */
  readonly messageKey: MessageKey;
  readonly messageParams: Readonly<Record<string, MessageParam>>;
}

export type TransactionResult = TransactionSuccess | TransactionFailure;

/** The request's own fields, as they appear in every result about it. */
function describeRequest(action: Action, request: TerminalRequest | undefined) {
  return {
    action,
    ...(request?.invoice !== undefined && { invoice: request.invoice }),
    ...(request?.amount !== undefined && { amount: request.amount.text }),
    ...(request?.preauthCode !== undefined && { preauthcode: request.preauthCode }),
  };
}

export interface FailureDetails {
  readonly ref?: string;
  readonly status?: number | null;
  readonly statusText?: string | null;
}

/** What an outcome adds to every message: whether anything was sent, and what to do when nobody knows. */
const OUTCOME_SENTENCES: Readonly<Record<Outcome, MessageKey | undefined>> = {
  'not-sent': 'outcome.notSent',
  unknown: 'outcome.unknown',
  failed: undefined,
};

/** A failure's words in `language`: what happened, then what its outcome means. */
export function failureMessage(why: Explanation, outcome: Outcome, language?: MessageLanguage): string {
  const then = OUTCOME_SENTENCES[outcome];
  return then === undefined ? render(why, language) : `${render(why, language)} ${render(explain(then), language)}`;
}

/**
 * A failed result. `why` says what happened; what the outcome means (nothing sent; check the
 * terminal before trying again) is added here, so no caller can forget it.
 */
export function failure(action: Action, request: TerminalRequest | undefined, code: ErrorCode, why: Explanation, details: FailureDetails = {}): TransactionFailure {
  const outcome = ERROR_OUTCOMES[code];
  const status = details.status ?? null;
  return {
    message: failureMessage(why, outcome),
    result: 'ERROR',
    code,
    outcome,
    ...describeRequest(action, request),
    ref: details.ref ?? '',
    status,
    statusName: statusName(status),
    statusText: details.statusText ?? null,
    messageKey: why.key,
    messageParams: why.params,
  };
}

/** The same failure, in other words (the message in the runtime's language). */
export function withMessage(result: TransactionFailure, message: string): TransactionFailure {
  return { ...result, message };
}

/**
 * Why the terminal said no, by myPOS status; with the terminal's own words when it has some
 * beyond the status's name (e.g. "Card expired").
 */
export function declineExplanation(request: Pick<TerminalRequest, 'action' | 'amount' | 'preauthCode'>, status: number | null, statusText: string | null = null): Explanation {
  const why = statusExplanation(request, status);
  const own = statusText?.trim();
  return own && !/^[A-Z0-9_ ]+$/.test(own) ? explain('declined.terminalSays', { reason: why, text: own }) : why;
}

function statusExplanation(request: Pick<TerminalRequest, 'action' | 'amount' | 'preauthCode'>, status: number | null): Explanation {
  switch (statusName(status)) {
    case 'TRANSACTION_CANCELED':
      return explain('declined.canceled');
    case 'TRANSACTION_DECLINED':
      return explain('declined.declined');
    case 'TRANSACTION_FAILED':
      return explain('declined.failed');
    case 'DEVICE_NOT_ACTIVATED':
      return explain('declined.notActivated');
    case 'NO_DATA_FOUND':
      return request.preauthCode === undefined ? explain('declined.noData') : explain('declined.codeNotFound', { code: request.preauthCode });
    case 'INVALID_CURRENCY':
      return explain('declined.currency');
    case 'INVALID_AMOUNT':
      return explain('declined.amount', { amount: { amount: request.amount?.text ?? '' } });
    default:
      return status === null ? explain('declined.unknownStatus') : explain('declined.other', { status });
  }
}

/** Turns the terminal's answer into the result of the request it answers. */
export function resultFromReply(request: TerminalRequest, verdict: ReplyVerdict): TransactionResult {
  switch (verdict.kind) {
    case 'ok':
      return { ...describeRequest(request.action, request), result: 'OK', ref: verdict.ref };
    case 'declined':
      return failure(request.action, request, 'TERMINAL', declineExplanation(request, verdict.status, verdict.statusText), verdict);
    case 'bad-xml':
      return failure(request.action, request, 'BAD_XML', explain('declined.badXml', { ref: verdict.ref }), { ref: verdict.ref });
    case 'unreadable':
      return failure(
        request.action,
        request,
        'PROTOCOL',
        verdict.root === undefined ? explain('answer.unreadable', { detail: verdict.reason }) : explain('answer.notForThis', { action: { action: request.action }, detail: verdict.reason }),
      );
    case 'contradictory':
      return failure(
        request.action,
        request,
        'PROTOCOL',
        explain('answer.contradictory', { result: verdict.status === 0 ? 'ERROR' : 'OK', status: verdict.status ?? '?', detail: verdict.reason }),
        verdict,
      );
  }
}
