import { errorText, explain, textOf } from '../src/protocol';
import type { Field } from '../src/protocol';
import { Node, NodeAPI, NodeMessage } from './node-red';

/**
 * Where an action node reads its amount, invoice and pre-authorization code: a Node-RED typed
 * input each (msg, flow, global, a fixed value, env, JSONata), and how a value is read from it.
 */

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
    const value = raw === null ? '' : textOf(raw);
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
    let settled: { error?: Error; value?: unknown } | undefined;
    let later: ((error: Error | undefined, value?: unknown) => void) | undefined;
    try {
      RED.util.evaluateNodeProperty(source.value, source.type, node, msg, (error, value) => {
        if (settled) return;
        settled = error && !absent(error) ? { error: error instanceof Error ? error : new Error(errorText(error)) } : { value: error ? undefined : value };
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

export const noEvaluation: Evaluate = (source) => {
  throw new Error(`input type "${source.type}" cannot be read here`);
};
