import {
  ACTION_SPECS,
  Action,
  InputError,
  RequestDraft,
  Sourced,
  TerminalRequest,
  TransactionFailure,
  TransactionResult,
  errorText,
  explain,
  failure,
  failureMessage,
  renderParam,
  withMessage,
} from '../src/protocol';
import type { Explanation, Field } from '../src/protocol';
import type { ConnectionState, LateAnswer, Readiness } from '../src/client/terminal-client';
import type { JournalEntry } from '../src/journal/journal';
import { formatAmount, runtimeLanguage, say, t } from './i18n';
import { Node, NodeAPI, NodeMessage, NodeStatus } from './node-red';

/** The inputs an action node reads through a Node-RED typed input. */
export type InputName = 'amount' | 'invoice' | 'preauthcode';

/** A typed input: where a value comes from (`type`) and which one (`value`). */
export interface InputSource {
  readonly type: string;
  readonly value: string;
}

export type InputSources = Readonly<Record<InputName, InputSource>>;

/**
 * The places the contract names, where every node looked before typed inputs existed, and
 * still the default. Read with the contract's rules: the amount is `msg.payload`, or
 * `msg.payload.amount` when the payload is an object; invoice and preauthcode are on the message,
 * else in an object payload.
 */
export const DEFAULT_SOURCES: InputSources = {
  amount: { type: 'msg', value: 'payload' },
  invoice: { type: 'msg', value: 'invoice' },
  preauthcode: { type: 'msg', value: 'preauthcode' },
};

/** The typed-input types an action node takes; `num` and `str` are a fixed value typed in the node. */
export const SOURCE_TYPES: readonly string[] = ['msg', 'flow', 'global', 'num', 'str', 'env', 'jsonata'];

/**
 * A node's typed-input settings (`amount`/`amountType`, `invoice`/`invoiceType`,
 * `preauthcode`/`preauthcodeType`). A flow saved before they existed has none, and each input
 * then comes from its default place exactly as before; so does a msg property left blank.
 * A value without a type (a hand-written flow) is taken as a fixed value, so that it fails
 * loudly if it was meant otherwise, rather than charging whatever msg.payload holds.
 */
export function sourcesFromDefinition(definition: Readonly<Record<string, unknown>>): InputSources {
  const read = (name: InputName): InputSource => {
    const rawType = definition[`${name}Type`];
    const raw = definition[name];
    const value = raw === undefined || raw === null ? '' : String(raw);
    if (typeof rawType !== 'string' || rawType === '') {
      return value.trim() === '' ? DEFAULT_SOURCES[name] : { type: name === 'amount' ? 'num' : 'str', value };
    }
    if (rawType === 'msg' && value.trim() === '') return DEFAULT_SOURCES[name];
    return { type: rawType, value };
  };
  return { amount: read('amount'), invoice: read('invoice'), preauthcode: read('preauthcode') };
}

/**
 * Where a value came from, as error messages and the node status name it: `msg.price`,
 * `flow.amount`, `env.PRICE`, or in words "the node's amount", "the node's amount expression".
 */
export function describeSource(name: InputName, source: InputSource): Field {
  const path = (prefix: string) => (source.value.startsWith('[') ? `${prefix}${source.value}` : `${prefix}.${source.value}`);
  switch (source.type) {
    case 'msg':
    case 'flow':
    case 'global':
    case 'env':
      return path(source.type);
    case 'jsonata':
      return explain('field.nodeExpression', { name: explain(`fieldName.${name}`) });
    default:
      return explain('field.nodeSetting', { name: explain(`fieldName.${name}`) });
  }
}

/**
 * Reads one typed input for a message: its value, or a promise of it where reading is
 * asynchronous (JSONata, an asynchronous context store). Throws or rejects when it cannot be read.
 */
export type Evaluate = (source: InputSource, msg: NodeMessage) => unknown;

/** Typed inputs read with Node-RED's own RED.util.evaluateNodeProperty. */
export function evaluatorFor(RED: Pick<NodeAPI, 'util'>, node: Node): Evaluate {
  return (source, msg) => {
    // A fixed value is used as typed: "2.00" stays text, so the amount rules see what the user
    // wrote (Number("1e3") would hide an exponent, and floating point never gets a say).
    if (source.type === 'num' || source.type === 'str') return source.value;
    if (!SOURCE_TYPES.includes(source.type)) throw new Error(`input type "${source.type}" is not supported here`);
    // Node-RED throws a TypeError for a property below one that is missing (msg.order.ref
    // without msg.order): that value is absent, like any other missing one, not unreadable.
    const absent = (error: unknown) => error instanceof TypeError && PROPERTY_TYPES.includes(source.type);
    let settled: { error?: unknown; value?: unknown } | undefined;
    let later: ((error: unknown, value?: unknown) => void) | undefined;
    try {
      RED.util.evaluateNodeProperty(source.value, source.type, node, msg, (error, value) => {
        if (settled) return;
        settled = error && !absent(error) ? { error } : { value: error ? undefined : value };
        later?.(settled.error, settled.value);
      });
    } catch (error) {
      if (!absent(error)) throw error;
      settled ??= { value: undefined };
    }
    if (settled) {
      if (settled.error) throw settled.error;
      return settled.value;
    }
    return new Promise((resolve, reject) => {
      later = (error, value) => (error ? reject(error) : resolve(value));
    });
  };
}

/** Types that name a property, where a missing parent means a missing value. */
const PROPERTY_TYPES: readonly string[] = ['msg', 'flow', 'global'];

const noEvaluation: Evaluate = (source) => {
  throw new Error(`input type "${source.type}" cannot be read here`);
};

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
  return inputs.some((input) => input instanceof Promise) ? Promise.all(inputs).then(build) : build(inputs as (Sourced | undefined)[]);
}

/**
 * Where an action node finds its inputs in a message when it has no typed-input settings: the
 * contract's places. A value on the message itself wins over the same key in an object payload;
 * a plain payload is the amount.
 */
export function draftFromMessage(action: Action, msg: NodeMessage, receipt: unknown, custrcpt: unknown): RequestDraft {
  // The default sources are read synchronously.
  return resolveDraft(action, msg, receipt, custrcpt) as RequestDraft;
}

/**
 * Resolves a message's draft and hands it to `submit`. A message whose inputs cannot be read
 * ends as INVALID_INPUT, naming the input, and never reaches `submit`. Never rejects for that.
 */
export function submitMessage(
  action: Action,
  resolve: () => MaybePromise<RequestDraft>,
  submit: (draft: RequestDraft) => Promise<TransactionResult>,
): Promise<TransactionResult> {
  let draft: MaybePromise<RequestDraft>;
  try {
    draft = resolve();
  } catch (error) {
    return Promise.resolve(invalidInput(action, error));
  }
  if (draft instanceof Promise) return draft.then(submit, (error: unknown) => invalidInput(action, error));
  // A submit that throws instead of rejecting still ends in the promise the caller handles.
  return new Promise((settle) => settle(submit(draft as RequestDraft)));
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
    if (typeof error === 'object' && error !== null && !(error instanceof Error) && 'message' in error) return String((error as { message: unknown }).message);
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

function explanationOf(result: TransactionFailure): Explanation {
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
      const field = result.messageParams.field;
      return { fill: 'red', shape: 'ring', text: field === undefined ? t('status.invalidInputUnnamed') : t('status.invalidInput', { field: renderParam(field, runtimeLanguage) }) };
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
    result.result === 'OK'
      ? t('warn.lateApproved', { ref: result.ref })
      : result.code === 'TERMINAL'
        ? t('warn.lateDeclined', { reason: say(explanationOf(result)) })
        : localizedMessage(result);
  return t('warn.late', { terminal, seconds: formatAmount((late.afterMs / 1000).toFixed(1)), request: describeRequestOf(result), said });
}

function localizedMessage(result: TransactionFailure): string {
  return failureMessage(explanationOf(result), result.outcome, runtimeLanguage);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

