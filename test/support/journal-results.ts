// The results a test ends its journal requests with, built as the client builds them (src/protocol/result.ts),
// so that the journal is fed only what it can really be fed.
import type { Action } from '../../src/protocol/actions';
import type { ErrorCode } from '../../src/protocol/errors';
import { explain } from '../../src/protocol/messages';
import type { Explanation } from '../../src/protocol/messages';
import { failure, withMessage } from '../../src/protocol/result';
import type { FailureDetails, TransactionFailure, TransactionSuccess } from '../../src/protocol/result';

/** Approved, with the terminal's ref. */
export function approved(ref: string, action: Action = 'pay'): TransactionSuccess {
  return { action, result: 'OK', ref };
}

/** Approved with ref R1: the usual end of a request a test does not look into. */
export const OK: TransactionSuccess = approved('R1');

/** A failure with the given code (its outcome follows from it), in the given words. */
export function failed(code: ErrorCode, message: string, details: FailureDetails = {}, why: Explanation = explain('declined.unknownStatus'), action: Action = 'pay'): TransactionFailure {
  return withMessage(failure(action, undefined, code, why, details), message);
}

/** Declined by the terminal (status 2): the outcome is known, nothing was charged. */
export function declined(message = '', statusText: string | null = null): TransactionFailure {
  return failed('TERMINAL', message, { status: 2, statusText }, explain('declined.declined'));
}

/** No answer in time: nobody knows whether the card was charged. */
export function unknownOutcome(message = ''): TransactionFailure {
  return failed('TIMEOUT', message, {}, explain('timeout.noAnswer', { seconds: 90 }));
}
