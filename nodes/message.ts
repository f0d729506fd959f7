import {
  ACTION_SPECS,
  Action,
  InputError,
  RequestDraft,
  Sourced,
  TerminalRequest,
  TransactionFailure,
  TransactionResult,
  failure,
} from '../src/protocol';
import type { ConnectionState, LateAnswer, Readiness } from '../src/client/terminal-client';
import type { JournalEntry } from '../src/journal/journal';
import { t } from './i18n';
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
 * `flow.amount`, `env.PRICE`, `the node's amount`, `the node's amount expression`.
 */
export function describeSource(name: InputName, source: InputSource): string {
  const path = (prefix: string) => (source.value.startsWith('[') ? `${prefix}${source.value}` : `${prefix}.${source.value}`);
  switch (source.type) {
    case 'msg':
    case 'flow':
    case 'global':
    case 'env':
      return path(source.type);
    case 'jsonata':
      return `the node's ${name} expression`;
    default:
      return `the node's ${name}`;
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
    receipt: pick('receipt') ?? { value: receipt, field: 'the node\'s receipt setting' },
    custrcpt: pick('custrcpt') ?? { value: custrcpt, field: 'the node\'s custrcpt setting' },
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
  if (error instanceof InputError) return failure(action, undefined, 'INVALID_INPUT', `${error.message}. Nothing was sent.`);
  return failure(action, undefined, 'INVALID_INPUT', `The message could not be read (${describeError(error)}). Nothing was sent.`);
}

/** Reads msg.allowDuplicate: true sends a request the journal would refuse as a duplicate. */
export function allowDuplicateOf(msg: NodeMessage): boolean {
  try {
    return msg.allowDuplicate === true;
  } catch (error) {
    throw unreadable('msg.allowDuplicate', error);
  }
}

function unreadable(field: string, error: unknown): InputError {
  return new InputError(field, `cannot be read: ${describeError(error).replace(/\.$/, '')}`);
}

/** An error in words, whatever was thrown (reading it may throw too). */
function describeError(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
    return String(error);
  } catch {
    return 'an error that cannot be described';
  }
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
  if (result.result === 'OK') return { fill: 'green', shape: 'dot', text: t('status.approved', { what: subject(result) }) };
  switch (result.code) {
    case 'TERMINAL': {
      const reason = result.statusText ?? result.statusName ?? t('status.statusNumber', { status: result.status ?? '?' });
      return { fill: 'red', shape: 'ring', text: t('status.declined', { reason }) };
    }
    case 'BAD_XML':
      return { fill: 'red', shape: 'ring', text: t('status.rejected', { ref: result.ref }) };
    case 'INVALID_INPUT':
      return { fill: 'red', shape: 'ring', text: invalidInputText(result.message) };
    case 'BUSY':
      return { fill: 'yellow', shape: 'ring', text: t('status.busy') };
    case 'CONNECT':
      return { fill: 'red', shape: 'ring', text: t('status.cannotConnect') };
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

/**
 * The status after a result. While requests at this terminal have an outcome nobody knows, the
 * status stays red and says so, whatever came after, until an operator acknowledges them.
 */
export function statusAfterResult(result: TransactionResult, unresolved: number): NodeStatus {
  const status = statusForResult(result);
  if (unresolved === 0) return status;
  return { fill: 'red', shape: 'dot', text: t('status.withUnresolved', { status: status.text ?? '', count: unresolved }) };
}

/** The warning for an outcome nobody knows: what, for how much, where, and what to do. */
export function describeUnknown(result: TransactionFailure, terminal: string | undefined): string {
  return `${describeRequestOf(result)}${terminal ? ` at ${terminal}` : ''}: ${result.message}`;
}

/** The warning when the answer to a request that had ended unknown arrived after all. */
export function describeLateAnswer(late: LateAnswer, terminal: string): string {
  const { result } = late;
  const said =
    result.result === 'OK'
      ? `approved, ref ${result.ref}`
      : result.code === 'TERMINAL'
        ? `not approved (${result.statusText ?? result.statusName ?? `status ${result.status ?? '?'}`})`
        : `${result.code} (${result.message})`;
  return `Late answer from the terminal at ${terminal}, ${(late.afterMs / 1000).toFixed(1)} s after ${describeRequestOf(result)} ended with an unknown outcome: ${said}. Its outcome is known now and recorded in the journal.`;
}

/** `pay 12.50, invoice A-1001`, `cancel of pre-authorization 4821`. */
function describeRequestOf(result: TransactionResult): string {
  const parts = [result.action, result.amount, result.invoice !== undefined ? `invoice ${result.invoice}` : undefined, result.preauthcode !== undefined ? `pre-authorization ${result.preauthcode}` : undefined];
  return parts.filter((part) => part !== undefined).join(' ').replace(/ (invoice|pre-authorization)/, ', $1');
}

export function statusWaiting(request: TerminalRequest): NodeStatus {
  const what = request.amount?.text ?? t('status.cancelCode', { code: request.preauthCode ?? '' });
  return { fill: 'blue', shape: 'dot', text: t('status.waiting', { what }) };
}

export function statusForUnresolved(entries: readonly JournalEntry[]): NodeStatus {
  const first = entries[0];
  const what = `${first.action} ${first.amount ?? first.preauthcode ?? ''}`.trim();
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

/** Field names the client's own input rules use (see createRequest and ActionFields). */
const RULE_FIELDS: readonly string[] = ['amount', 'invoice', 'preauthcode', 'receipt', 'custrcpt'];

/**
 * The status text of an INVALID_INPUT result: the input it names, which an input rule's message
 * begins with (see InputError), or no name when the message begins otherwise.
 */
function invalidInputText(message: string): string {
  const nodeSetting = /^the node's (\w+)( expression)?(?: setting)?(?= )/.exec(message);
  if (nodeSetting) {
    return t('status.invalidInput', { field: t(nodeSetting[2] ? 'status.nodeExpression' : 'status.nodeSetting', { name: nodeSetting[1] }) });
  }
  const first = message.split(' ')[0];
  if (/^(msg|flow|global|env)[.[]/.test(first) || RULE_FIELDS.includes(first)) return t('status.invalidInput', { field: first });
  return t('status.invalidInputUnnamed');
}

function subject(result: TransactionResult): string {
  if (result.amount !== undefined) return result.amount;
  return result.preauthcode !== undefined ? t('status.cancelCode', { code: result.preauthcode }) : result.action;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

