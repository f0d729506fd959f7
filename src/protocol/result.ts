import { ACTION_SPECS, Action } from './actions';
import { ERROR_OUTCOMES, ErrorCode, Outcome, UNKNOWN_OUTCOME_ADVICE } from './errors';
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
  readonly result: 'ERROR';
  readonly status: number | null;
  readonly statusName: string | null;
  readonly statusText: string | null;
  readonly code: ErrorCode;
  readonly outcome: Outcome;
  readonly message: string;
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

/**
 * A failed result. `detail` says what happened in plain words; for an unknown outcome the advice
 * to check the terminal is added here, so no caller can forget it.
 */
export function failure(
  action: Action,
  request: TerminalRequest | undefined,
  code: ErrorCode,
  detail: string,
  details: FailureDetails = {},
): TransactionFailure {
  const outcome = ERROR_OUTCOMES[code];
  const status = details.status ?? null;
  return {
    ...describeRequest(action, request),
    result: 'ERROR',
    ref: details.ref ?? '',
    status,
    statusName: statusName(status),
    statusText: details.statusText ?? null,
    code,
    outcome,
    message: outcome === 'unknown' ? `${detail} ${UNKNOWN_OUTCOME_ADVICE}` : detail,
  };
}

/** Turns the terminal's answer into the result of the request it answers. */
export function resultFromReply(request: TerminalRequest, verdict: ReplyVerdict): TransactionResult {
  const noun = ACTION_SPECS[request.action].noun;
  switch (verdict.kind) {
    case 'ok':
      return { ...describeRequest(request.action, request), result: 'OK', ref: verdict.ref };
    case 'declined': {
      const name = statusName(verdict.status);
      const reason = [verdict.statusText ?? name, verdict.status === null ? null : `status ${verdict.status}`]
        .filter((part) => part !== null)
        .join(', ');
      return failure(request.action, request, 'TERMINAL', `The terminal refused the ${noun}${reason ? ` (${reason})` : ''}.`, verdict);
    }
    case 'bad-xml':
      return failure(
        request.action,
        request,
        'BAD_XML',
        `The Payment Interface app could not read the ${noun} request (it answered "${verdict.ref}"). Nothing was charged.`,
        { ref: verdict.ref },
      );
    case 'unreadable':
      return failure(request.action, request, 'PROTOCOL', `The terminal's answer could not be understood: ${verdict.reason}.`);
    case 'contradictory':
      return failure(request.action, request, 'PROTOCOL', `The terminal's answer contradicts itself: ${verdict.reason}.`, verdict);
  }
}
