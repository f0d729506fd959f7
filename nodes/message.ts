import { ACTION_SPECS, Action, InputError, RequestDraft, Sourced, TransactionFailure, TransactionResult, errorText, explain, failure, failureMessage, withMessage } from '../src/protocol';
import type { Explanation, Field } from '../src/protocol';
import { runtimeLanguage } from './i18n';
import { NodeMessage } from './node-red';
import { DEFAULT_SOURCES, Evaluate, InputName, InputSources, describeSource, noEvaluation } from './typed-inputs';

/**
 * The message contract of the action nodes: what a message asks for (read through the typed
 * inputs), and how the result is written back onto it for output 1 or 2.
 */

type MaybePromise<T> = T | Promise<T>;

/**
 * The request draft for a message: amount, invoice and pre-authorization code from the node's
 * typed inputs (by default from the places the contract names), receipts from the message or the
 * node's settings. The rules for the values themselves live in src/protocol (createRequest).
 *
 * Synchronous unless an input is read asynchronously (JSONata, an asynchronous context store),
 * so a message reaches the terminal client at once, in the order messages arrived. Throws (or
 * rejects with) an InputError naming the input when one cannot be read.
 */
export function resolveDraft(
  action: Action,
  msg: NodeMessage,
  receipt: unknown,
  custrcpt: unknown,
  sources: InputSources = DEFAULT_SOURCES,
  evaluate: Evaluate = noEvaluation,
): MaybePromise<RequestDraft> {
  const spec = ACTION_SPECS[action];
  // A message may have getters that throw, or be a Proxy: every read names what could not be read.
  const get = (from: Record<string, unknown>, key: string, field: string): unknown => {
    try {
      return from[key];
    } catch (error) {
      throw unreadable(field, error);
    }
  };
  const rawPayload = get(msg, 'payload', 'msg.payload');
  let payload: Record<string, unknown> | undefined;
  try {
    payload = isPlainObject(rawPayload) ? rawPayload : undefined;
  } catch (error) {
    throw unreadable('msg.payload', error); // a Proxy whose traps throw
  }
  // null counts as absent, as JSON often says "no value" with it.
  const pick = (key: string, fallback?: Sourced): Sourced | undefined => {
    const own = get(msg, key, `msg.${key}`);
    if (own !== undefined && own !== null) return { value: own, field: `msg.${key}` };
    const inPayload = payload ? get(payload, key, `msg.payload.${key}`) : undefined;
    if (inPayload !== undefined && inPayload !== null) return { value: inPayload, field: `msg.payload.${key}` };
    return fallback;
  };
  const read = (name: InputName): MaybePromise<Sourced | undefined> => {
    const source = sources[name];
    if (source.type === 'msg' && source.value.trim() === DEFAULT_SOURCES[name].value) {
      if (name === 'amount') return payload ? { value: get(payload, 'amount', 'msg.payload.amount'), field: 'msg.payload.amount' } : { value: rawPayload, field: 'msg.payload' };
      if (name === 'invoice') return pick('invoice');
      return pick('preauthcode', { value: undefined, field: 'msg.preauthcode' });
    }
    const field = describeSource(name, source);
    let value: unknown;
    try {
      value = evaluate(source, msg);
    } catch (error) {
      throw unreadable(field, error);
    }
    if (value instanceof Promise) {
      return value.then(
        (resolved: unknown) => ({ value: resolved, field }),
        (error: unknown) => {
          throw unreadable(field, error);
        },
      );
    }
    return { value, field };
  };
  const inputs: MaybePromise<Sourced | undefined>[] = [];
  try {
    inputs.push(spec.hasAmount ? read('amount') : undefined);
    inputs.push(spec.hasInvoice ? read('invoice') : undefined);
    inputs.push(spec.hasPreauthCode ? read('preauthcode') : undefined);
  } catch (error) {
    // An input read asynchronously before the one that failed must not reject unhandled.
    for (const input of inputs) if (input instanceof Promise) input.catch(() => undefined);
    throw error;
  }
  const build = ([amount, invoice, preauthCode]: (Sourced | undefined)[]): RequestDraft => ({
    action,
    ...(spec.hasAmount && { amount }),
    ...(spec.hasInvoice && { invoice }),
    ...(spec.hasPreauthCode && { preauthCode }),
    receipt: pick('receipt') ?? { value: receipt, field: explain('field.nodeSetting', { name: explain('fieldName.receipt') }) },
    custrcpt: pick('custrcpt') ?? { value: custrcpt, field: explain('field.nodeSetting', { name: explain('fieldName.custrcpt') }) },
  });
  return inputs.some((input) => input instanceof Promise) ? Promise.all(inputs.map(async (input) => input)).then(build) : build(inputs as (Sourced | undefined)[]);
}

/**
 * Resolves a message's draft and hands it to `submit`. A message whose inputs cannot be read
 * ends as INVALID_INPUT, naming the input, and never reaches `submit`. Never rejects for that.
 */
export function submitMessage(action: Action, resolve: () => MaybePromise<RequestDraft>, submit: (draft: RequestDraft) => Promise<TransactionResult>): Promise<TransactionResult> {
  let draft: MaybePromise<RequestDraft>;
  try {
    draft = resolve();
  } catch (error) {
    return Promise.resolve(invalidInput(action, error));
  }
  if (draft instanceof Promise) return draft.then(submit, (error: unknown) => invalidInput(action, error));
  // A submit that throws instead of rejecting still ends in the promise the caller handles.
  return new Promise((settle) => settle(submit(draft)));
}

function invalidInput(action: Action, error: unknown): TransactionFailure {
  // Worded as the client words the input rules' errors.
  if (error instanceof InputError) return failure(action, undefined, 'INVALID_INPUT', error.explanation);
  return failure(action, undefined, 'INVALID_INPUT', explain('input.messageUnreadable', { detail: errorText(error) }));
}

/** Reads msg.allowDuplicate: true sends a request the journal would refuse as a duplicate. */
export function allowDuplicateOf(msg: NodeMessage): boolean {
  try {
    return msg.allowDuplicate === true;
  } catch (error) {
    throw unreadable('msg.allowDuplicate', error);
  }
}

function unreadable(field: Field, error: unknown): InputError {
  return new InputError(field, 'input.unreadable', { detail: describeError(error).replace(/\.$/, '') });
}

/** An error in words, whatever was thrown (reading it may throw too). */
function describeError(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null && !(error instanceof Error) && 'message' in error) return String(error.message);
  } catch {
    return 'an error that cannot be described';
  }
  return errorText(error);
}

/** A failure in the runtime's language (its machine fields unchanged). */
export function localized(result: TransactionResult): TransactionResult {
  if (result.result === 'OK') return result;
  try {
    return withMessage(result, localizedMessage(result));
  } catch {
    return result; // in English, rather than no output
  }
}

export function explanationOf(result: TransactionFailure): Explanation {
  return { key: result.messageKey, params: result.messageParams };
}

/**
 * The input message, now carrying the result, and the output it belongs on. A message that
 * refuses to be written (frozen, or a Proxy) is not lost: the result goes out on a copy of what
 * could be read of it.
 */
export function applyResult(msg: NodeMessage, result: TransactionResult): { output: 0 | 1; msg: NodeMessage } {
  const output = result.result === 'OK' ? 0 : 1;
  try {
    const written = writeResult(msg, result);
    // A Proxy may take the write and still refuse the read: the next node must be able to read the result.
    if (written.payload === result) return { output, msg: written };
  } catch {
    // Frozen, or a Proxy that refuses writes: the copy below.
  }
  return { output, msg: writeResult(readableCopy(msg), result) };
}

function writeResult(msg: NodeMessage, result: TransactionResult): NodeMessage {
  msg.payload = result;
  if (result.result === 'OK') {
    // A message retried after an error must not carry the old error onto the success output.
    delete msg.error;
    if (result.action === 'preauth') msg.preauthcode = result.ref;
    return msg;
  }
  // A failed pre-authorization has no code: one left on the message could cancel the wrong one.
  if (result.action === 'preauth') delete msg.preauthcode;
  msg.error = { message: result.message, code: result.code, outcome: result.outcome };
  return msg;
}

function readableCopy(msg: NodeMessage): NodeMessage {
  const copy: NodeMessage = {};
  let keys: string[] = [];
  try {
    keys = Object.keys(msg);
  } catch {
    // Nothing readable: the copy carries the result only.
  }
  for (const key of keys) {
    try {
      copy[key] = msg[key];
    } catch {
      // A property that throws stays behind.
    }
  }
  return copy;
}

export function localizedMessage(result: TransactionFailure): string {
  return failureMessage(explanationOf(result), result.outcome, runtimeLanguage);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
