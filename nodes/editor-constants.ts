import {
  ACTIONS,
  ACTION_SPECS,
  Action,
  DECIMAL_PATTERN,
  DEFAULT_RECEIPT_MODE,
  DEFAULT_REQUEST_ENDING,
  MAX_INTEGER_DIGITS,
  MAX_REFERENCE_LENGTH,
  PRINTABLE_ASCII,
  RECEIPT_MODES,
  REQUEST_ENDINGS,
} from '../src/protocol';
import { DEFAULT_CONNECTION_MODE } from '../src/client/terminal-client';
import { DEFAULT_SOURCES, InputName, SOURCE_TYPES } from './typed-inputs';
import { TEST_KEYS } from './terminal-probe';
import { CONNECTIONS, DEFAULT_CONNECTION, NUMBER_SETTINGS, TCP_CONNECTION_MODES } from './terminal-settings';

/**
 * The rules and defaults the editor validates and fills in with, taken from the runtime's own
 * constants so that the two cannot drift apart. Node-RED serves a node's HTML file as it is, so
 * scripts/build.js writes this object into the editor files (in place of __EDITOR_CONSTANTS__)
 * when it copies them beside the compiled nodes.
 */

/** The inputs of an action, in the order its dialog shows them; the first is the one its label names. */
function inputsOf(action: Action): InputName[] {
  const spec = ACTION_SPECS[action];
  const inputs: InputName[] = [];
  if (spec.hasAmount) inputs.push('amount');
  if (spec.hasInvoice) inputs.push('invoice');
  if (spec.hasPreauthCode) inputs.push('preauthcode');
  return inputs;
}

/** Typed-input types of an input: an amount may be a number typed in the node, a reference a string. */
function typesOf(name: InputName): string[] {
  const fixed = name === 'amount' ? 'num' : 'str';
  return SOURCE_TYPES.filter((type) => type === fixed || (type !== 'num' && type !== 'str'));
}

const INPUT_NAMES: readonly InputName[] = ['amount', 'invoice', 'preauthcode'];

export const EDITOR_CONSTANTS = {
  actions: Object.fromEntries(ACTIONS.map((action) => [action, { inputs: inputsOf(action) }])),
  inputs: Object.fromEntries(INPUT_NAMES.map((name) => [name, { defaultProperty: DEFAULT_SOURCES[name].value, types: typesOf(name) }])),
  amount: { pattern: DECIMAL_PATTERN.source, maxIntegerDigits: MAX_INTEGER_DIGITS },
  reference: { pattern: PRINTABLE_ASCII.source, maxLength: MAX_REFERENCE_LENGTH },
  receipt: { modes: RECEIPT_MODES, fallback: DEFAULT_RECEIPT_MODE },
  terminal: {
    numbers: NUMBER_SETTINGS,
    connections: CONNECTIONS,
    defaultConnection: DEFAULT_CONNECTION,
    connectionModes: TCP_CONNECTION_MODES,
    defaultConnectionMode: DEFAULT_CONNECTION_MODE,
    requestEndings: REQUEST_ENDINGS,
    defaultRequestEnding: DEFAULT_REQUEST_ENDING,
    testKeys: TEST_KEYS,
  },
};
