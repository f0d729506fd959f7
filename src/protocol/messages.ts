import { ACTIONS, Action } from './actions';

/**
 * Every sentence a failure can say, in English, by key. A `reason.*` part ends with its own full
 * stop (or question mark); a sentence that takes `__reason__` adds none. A failure carries its key and parameters
 * (`messageKey`, `messageParams`) beside its English `message`, so the Node-RED nodes say the same
 * in the runtime's language (nodes/locales/<lang>/mypos-actions.json, `messages.<key>`) and a flow
 * can choose its own words for a kiosk screen. Parameters are written `__name__`, as Node-RED's
 * catalogs write them.
 *
 * Words for the person at the counter: what happened, then what to do. Technical details (a
 * parser's complaint, an internal error) are in `__detail__`, which a translation may leave out.
 */
export const MESSAGES = {
  // What an outcome means, added to every failure by its outcome (see failure()).
  'outcome.notSent': 'Nothing was sent.',
  'outcome.unknown': 'It may have gone through: check the terminal (or the myPOS account) before trying again.',

  // The terminal said no: by myPOS status.
  'declined.canceled': 'Cancelled on the terminal, by the customer or staff.',
  'declined.declined': 'Card declined by the bank.',
  'declined.failed': 'The terminal reports that it failed: check its transaction history to be sure.',
  'declined.notActivated': 'The terminal is not activated for card payments: activate it in the myPOS account.',
  'declined.codeNotFound': 'Pre-authorization code __code__ was not found on the terminal.',
  'declined.noData': 'The terminal found no matching transaction.',
  'declined.currency': 'The terminal does not take this currency.',
  'declined.amount': 'The terminal does not accept the amount __amount__ (below its minimum or above its maximum).',
  'declined.other': 'Not approved by the terminal (status __status__).',
  'declined.unknownStatus': 'Not approved by the terminal.',
  'declined.terminalSays': '__reason__ The terminal says: "__text__".',
  'declined.badXml': 'The Payment Interface app could not read the request (it answered "__ref__"). Nothing was charged.',

  // The terminal's answer.
  'answer.unreadable': "The terminal's answer could not be understood (__detail__).",
  'answer.notForThis': 'The terminal answered something other than a __action__ (__detail__).',
  'answer.contradictory': "The terminal's answer contradicts itself: __result__ with status __status__.",
  'answer.twoAnswers': 'The terminal gave two different answers to one request: first __first__, then __second__.',

  // Reaching the terminal.
  'connect.failed': 'Terminal not reachable at __terminal__: __reason__',
  'connect.closed': 'The terminal connection is closed.',
  'connect.closedBeforeSend': 'The connection to the terminal at __terminal__ closed before the request went out.',
  'connect.unusable': 'The terminal at __terminal__ cannot be used: __reason__',
  'lost.beforeAnswer': 'The connection to the terminal closed before a whole answer arrived.',
  'lost.beforeAnswerBecause': 'The connection to the terminal closed before a whole answer arrived: __reason__',

  // Why a connection or a file failed, from the system's error code.
  'reason.refused': 'nothing answers there. Is the Payment Interface app open on the terminal?',
  'reason.timeout': 'no answer within __seconds__ s. Is the terminal switched on and on this network?',
  'reason.noAnswer': 'no answer. Is the terminal switched on and on this network?',
  'reason.unreachable': 'this computer cannot reach that address. Check the IP address and the network.',
  'reason.unknownHost': 'the name is not known. Check the terminal address.',
  'reason.reset': 'the terminal closed the connection.',
  'reason.cancelled': 'the connection attempt was cancelled.',
  'reason.closedWhileOpening': 'the connection closed while it was being opened.',
  'reason.noDevice': 'the device does not exist. Is the terminal paired and connected?',
  'reason.noPermission': 'no permission to open the device. Add the Node-RED user to the dialout group.',
  'reason.noFile': 'the folder does not exist.',
  'reason.noFilePermission': 'no permission to write there.',
  'reason.deviceBusy': 'the device is in use by another program.',
  'reason.diskFull': 'the disk is full.',
  'reason.readOnly': 'the disk is read-only.',
  'reason.io': 'the disk reported a read or write error.',
  'reason.other': 'an unexpected system error (__detail__).',

  // Busy.
  'busy.open': 'The terminal (__terminal__) is busy with another request: try again when it is done.',
  'busy.queueFull': 'The terminal at __terminal__ is busy and __count__ requests are already waiting.',
  'busy.waitedTooLong': 'The terminal at __terminal__ stayed busy for __seconds__ s while this request waited.',
  'busy.lateAnswer': 'The terminal at __terminal__ has not answered an earlier __action__ (__reference__); it may still, for up to __seconds__ s.',

  // No answer.
  'timeout.noAnswer': 'No answer from the terminal within __seconds__ s.',
  'timeout.noAnswerStale':
    'No answer from the terminal within __seconds__ s. Meanwhile it sent an approval with ref __refs__, which an earlier request had already received; if that was the approval of this request after all, it went through.',
  'timeout.stalled': 'The terminal began to answer but stopped for __seconds__ s.',

  // Stopped before an answer.
  'stop.abandoned': 'The request was abandoned before the terminal answered.',
  'stop.clientClosed': 'The terminal connection was closed before the terminal answered.',
  'stop.nodeStopped': 'Node-RED stopped this node before the terminal answered.',
  'stop.nodeStoppedBeforeSend': 'Node-RED stopped this node before the request was sent.',
  'stop.flowStopped': 'Node-RED stopped the flow before the terminal answered.',

  // An action node that cannot reach a terminal.
  'node.noTerminal': 'No terminal is selected in this node: open it and choose a myPOS terminal.',
  'node.badSettings': 'The terminal settings of this node are wrong: __reason__',

  // The terminal config node's settings (nodes/terminal-settings.ts): __setting__ is a setting
  // as its dialog labels it; __got__ what the flow holds.
  'settings.hostMissing': '"__setting__" is empty: enter the IP address the Payment Interface app shows.',
  'settings.serialPathMissing': '"__setting__" is empty: enter the device of the paired terminal, e.g. /dev/rfcomm0.',
  'settings.wholeNumber': '"__setting__" must be a whole number from __min__ to __max__, not "__got__".',
  'settings.seconds': '"__setting__" must be a number of seconds from __min__ to __max__, not "__got__".',
  'settings.choice': '"__setting__" must be "__first__" or "__second__", not "__got__".',
  'settings.failed': 'The terminal could not be set up with these settings (__detail__).',

  // Our own failures.
  'internal.beforeSend': 'An internal error stopped the request before it was sent (__detail__).',
  'internal.afterSend': 'An internal error stopped the request while the terminal had it (__detail__).',
  'internal.failed': 'An internal error stopped the request (__detail__).',
  'internal.node': 'The node failed while handling the request (__detail__).',

  // Duplicate protection and the journal.
  'duplicate.approved': 'A __action__ for __reference__ already went through (__when__). To send it again anyway, set allowDuplicate (msg.allowDuplicate in Node-RED) to true.',
  'duplicate.open': 'A __action__ for __reference__ was sent and never ended (__when__): check the terminal. To send it again anyway, set allowDuplicate (msg.allowDuplicate in Node-RED) to true.',
  'duplicate.unknown':
    'A __action__ for __reference__ ended with an unknown outcome (__when__): check the terminal. To send it again anyway, set allowDuplicate (msg.allowDuplicate in Node-RED) to true.',
  'duplicate.charged': 'A __action__ for __reference__ was found charged on the terminal by __by__ (__when__). To send it again anyway, set allowDuplicate (msg.allowDuplicate in Node-RED) to true.',
  'reference.invoice': 'invoice __invoice__',
  'reference.code': 'pre-authorization __code__',
  'journal.unusable': 'The journal __path__ cannot be used: __reason__',
  'journal.writeFailed': 'Could not record the request in the journal __path__: __reason__',
  'journal.checkFailed': 'The journal could not check this request (__detail__).',
  'journal.locked': 'it is in use by another Node-RED (process __pid__, since __since__). One writer per journal: stop the other, or give this one its own journal file.',
  'journal.lockedHere': 'it is already in use in this Node-RED (__owner__). Give this one its own journal file.',
  'journal.lockedSilent': 'it is in use by another program, which does not say which (it may be stopping, or waiting for its disk).',
  'journal.closed': 'the journal is closed.',
  'journal.notOpen': 'the journal could not be opened.',
  'journal.hung': 'the disk has not answered for __seconds__ s.',
  'journal.notRegularFile': 'it is not a regular file.',
  'journal.shortWrite': 'only part of the line could be written. Is the disk full?',

  // What opening a journal repaired or found (Journal.explainedNotes), for the log.
  'journalNote.rebuilt': 'The journal __file__ was missing: rebuilt from __from__.',
  'journalNote.tornLine': 'The last line of the journal __file__ was incomplete (Node-RED probably stopped while writing it): its __bytes__ bytes from byte __offset__ were removed.',
  'journalNote.mergedLeftover': 'Merged __name__ into the journal __file__: a clean-up of the journal had been interrupted.',
  'journalNote.mergeNotWritten': 'The merged journal __file__ could not be written yet: __reason__ It is merged again at the next start.',
  'journalNote.mergedOld': 'Merged __old__ (__lines__ lines, written by an earlier version) into the journal __file__.',
  'journalNote.oldNotMerged': 'Could not merge __old__ into the journal __file__: __reason__',

  // Input rules.
  'input.completionAboveAuthorized': 'The completion amount __amount__ is above the pre-authorized __authorized__ (pre-authorization __code__).',
  'input.unbuildable': 'The request could not be built (__detail__).',
  'input.messageUnreadable': 'The message could not be read (__detail__).',
  'input.unreadable': '__field__ cannot be read (__detail__).',
  'input.decimals': '__field__ must be a whole number from __min__ to __max__.',
  'input.amountMissing': '__field__ is missing: give an amount like 12.50.',
  'input.amountFormat': '__field__ must be a decimal number like 12.50, not "__got__".',
  'input.amountTooLarge': '__field__ is too large: at most __digits__ digits before the decimal point.',
  'input.amountTooPrecise': '__field__ has too many digits after the decimal point: at most __decimals__.',
  'input.notPositive': '__field__ must be greater than zero.',
  'input.aboveLimit': "__field__ is __amount__, above this terminal's limit of __limit__.",
  'input.notFinite': '__field__ must be a finite number.',
  'input.numberTooLarge': '__field__ is too large.',
  'input.numberTooPrecise': '__field__ has too many digits after the decimal point.',
  'input.amountTooLong': '__field__ is too long to be an amount (__length__ characters).',
  'input.decimalComma': '__field__ must use a dot as the decimal separator, like 12.50, not "__got__".',
  'input.exponent': '__field__ must be written without an exponent, not "__got__".',
  'input.amountType': '__field__ must be a number or a decimal text, not __type__.',
  'input.codeMissing': '__field__ is missing: give the code the pre-authorization returned.',
  'input.receipt': '__field__ must be ON, OFF or AFTER_CONFIRMATION, not __got__.',
  'input.notText': '__field__ must be text, not __type__.',
  'input.empty': '__field__ must not be empty.',
  'input.tooLong': '__field__ must be at most __max__ characters, not __length__.',
  'input.notPrintable': '__field__ may hold only letters without accents, digits, punctuation and spaces (printable ASCII), not "__got__".',
  'input.spaceAtEnd': '__field__ must not start or end with a space.',

  // Where a value came from, when it is not a message property.
  'field.nodeSetting': "the node's __name__",
  'field.nodeExpression': "the node's __name__ expression",
  'field.decimals': 'the decimals setting',
  'fieldName.amount': 'amount',
  'fieldName.invoice': 'invoice',
  'fieldName.preauthcode': 'pre-authorization code',
  'fieldName.receipt': 'merchant copy setting',
  'fieldName.custrcpt': 'customer copy setting',

  // What a value was, in an input error.
  'type.null': 'null',
  'type.nothing': 'nothing',
  'type.array': 'a list',
  'type.object': 'an object',
  'type.boolean': 'true or false',
  'type.number': 'a number',
  'type.other': 'a value of another kind',
} as const;

export type MessageKey = keyof typeof MESSAGES;

/** A value in a message that a language may write its own way. */
export type MessageParam =
  | string
  | number
  /** An amount as sent on the wire (`12.50`); Hungarian writes `12,50`. */
  | { readonly amount: string }
  /** When something happened (ISO 8601), shown in local time. */
  | { readonly time: string }
  /** An action, shown as its noun ("payment"). */
  | { readonly action: Action }
  /**
   * A setting of the terminal config node, named as its dialog labels it ("Host"), or one of its
   * choices as the dialog lists it ("TCP/IP (Wi-Fi or LAN)").
   */
  | { readonly setting: string; readonly choice?: string }
  /** A sentence part of its own. */
  | Explanation;

export interface Explanation {
  readonly key: MessageKey;
  readonly params: Readonly<Record<string, MessageParam>>;
}

export function explain(key: MessageKey, params: Readonly<Record<string, MessageParam>> = {}): Explanation {
  return { key, params };
}

/**
 * An explanation read back from outside (a journal line): its key known, its values of the
 * kinds above, nested at most a few levels; undefined otherwise, so a damaged or foreign value
 * is never rendered.
 */
export function readExplanation(key: unknown, params: unknown, depth = 0): Explanation | undefined {
  if (typeof key !== 'string' || !Object.hasOwn(MESSAGES, key)) return undefined;
  if (typeof params !== 'object' || params === null || Array.isArray(params) || depth > 4) return undefined;
  const values: Record<string, MessageParam> = {};
  for (const [name, value] of Object.entries(params)) {
    const param = readParam(value, depth);
    if (param === undefined) return undefined;
    values[name] = param;
  }
  return { key: key as MessageKey, params: values };
}

function readParam(value: unknown, depth: number): MessageParam | undefined {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const only = (...names: string[]) => Object.keys(fields).every((name) => names.includes(name));
  if (typeof fields.amount === 'string' && only('amount')) return { amount: fields.amount };
  if (typeof fields.time === 'string' && only('time')) return { time: fields.time };
  if (ACTIONS.includes(fields.action as Action) && only('action')) return { action: fields.action as Action };
  if (typeof fields.setting === 'string' && only('setting', 'choice')) {
    if (fields.choice === undefined) return { setting: fields.setting };
    return typeof fields.choice === 'string' ? { setting: fields.setting, choice: fields.choice } : undefined;
  }
  if (only('key', 'params')) return readExplanation(fields.key, fields.params, depth + 1);
  return undefined;
}

const ACTION_NOUNS: Readonly<Record<Action, string>> = {
  pay: 'payment',
  refund: 'refund',
  preauth: 'pre-authorization',
  complete: 'pre-authorization completion',
  cancel: 'pre-authorization cancellation',
};

/** How one language writes a message: its sentences (with the values already in words), nouns, amounts and times. */
export interface MessageLanguage {
  sentence(key: MessageKey, values: Readonly<Record<string, string>>): string;
  action(action: Action): string;
  setting(name: string, choice?: string): string;
  amount(text: string): string;
  time(iso: string): string;
}

export const ENGLISH: MessageLanguage = {
  sentence: (key, values) => substitute(MESSAGES[key], values),
  action: (action) => ACTION_NOUNS[action],
  // The dialog's labels live in the config node's catalog (nodes/locales/<lang>/mypos-terminal.json),
  // which the nodes use; without them a setting is named by its property.
  setting: (name, choice) => choice ?? name,
  amount: (text) => text,
  time: (iso) => localTime(iso),
};

/** Puts values into a template's `__name__` places; a place without a value stays as it is. */
export function substitute(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/__([A-Za-z0-9]+)__/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : whole));
}

/** A moment's date and time of day in the host's time zone, two digits each; undefined for no valid time. */
export function localParts(iso: string): { year: string; month: string; day: string; time: string } | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    year: String(date.getFullYear()),
    month: two(date.getMonth() + 1),
    day: two(date.getDate()),
    time: `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`,
  };
}

/** `2026-12-02 15:04:05`, in the host's time zone: what the terminal's own history shows. */
export function localTime(iso: string): string {
  const parts = localParts(iso);
  return parts ? `${parts.year}-${parts.month}-${parts.day} ${parts.time}` : iso;
}

/** The explanation in words, in `language` (English by default). */
export function render(explanation: Explanation, language: MessageLanguage = ENGLISH): string {
  const values: Record<string, string> = {};
  for (const [name, param] of Object.entries(explanation.params)) values[name] = renderParam(param, language);
  return language.sentence(explanation.key, values);
}

export function renderParam(param: MessageParam, language: MessageLanguage): string {
  if (typeof param === 'string') return param;
  if (typeof param === 'number') return String(param);
  if ('amount' in param) return language.amount(param.amount);
  if ('time' in param) return language.time(param.time);
  if ('action' in param) return language.action(param.action);
  if ('setting' in param) return language.setting(param.setting, param.choice);
  return render(param, language);
}

/**
 * A system error (`ECONNREFUSED`, `ENOSPC`…) as a reason a shop owner can act on; `about` says
 * whether it came from reaching the terminal or from a file. The system's words stay in `detail`.
 */
export function explainError(error: unknown, about: 'terminal' | 'file' = 'terminal'): Explanation {
  if (isExplained(error)) return error.explanation;
  const code = errorCode(error);
  // serialport says a device another program holds open only in words.
  if (about === 'terminal' && /cannot lock port/i.test(errorText(error))) return explain('reason.deviceBusy', { detail: errorText(error) });
  const key = code === undefined ? undefined : ((about === 'file' ? FILE_REASONS[code] : undefined) ?? REASONS_BY_CODE[code]);
  return explain(key ?? 'reason.other', { detail: errorText(error).replace(/[.\s]+$/, '') });
}

const FILE_REASONS: Readonly<Record<string, MessageKey>> = {
  ENOENT: 'reason.noFile',
  EACCES: 'reason.noFilePermission',
  EPERM: 'reason.noFilePermission',
};

const REASONS_BY_CODE: Readonly<Record<string, MessageKey>> = {
  ECONNREFUSED: 'reason.refused',
  ETIMEDOUT: 'reason.noAnswer',
  EHOSTUNREACH: 'reason.unreachable',
  ENETUNREACH: 'reason.unreachable',
  EHOSTDOWN: 'reason.unreachable',
  EADDRNOTAVAIL: 'reason.unreachable',
  ENOTFOUND: 'reason.unknownHost',
  EAI_AGAIN: 'reason.unknownHost',
  ECONNRESET: 'reason.reset',
  EPIPE: 'reason.reset',
  ENOENT: 'reason.noDevice',
  EACCES: 'reason.noPermission',
  EPERM: 'reason.noPermission',
  EBUSY: 'reason.deviceBusy',
  ENOSPC: 'reason.diskFull',
  EDQUOT: 'reason.diskFull',
  EROFS: 'reason.readOnly',
  EIO: 'reason.io',
};

/** An error of ours that already says why in words (see explained()). */
export interface ExplainedError extends Error {
  readonly explanation: Explanation;
}

/**
 * An Error carrying its explanation for other languages; its message is `technical` (words for a
 * log, e.g. "tcp 10.0.0.5:51042 did not open within 10 s") or else the explanation in English.
 */
export function explainedError(explanation: Explanation, code?: string, technical?: string): ExplainedError {
  return Object.assign(new Error(technical ?? render(explanation)), { explanation, ...(code !== undefined && { code }) });
}

export function isExplained(error: unknown): error is ExplainedError {
  if (!(error instanceof Error)) return false;
  const explanation: unknown = (error as Partial<ExplainedError>).explanation;
  return typeof explanation === 'object' && explanation !== null;
}

function errorCode(error: unknown): string | undefined {
  try {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** A value as text: a string as it is, a number or boolean written out, an object as JSON, nothing as ''. */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return JSON.stringify(value);
    default:
      return '';
  }
}

/** Whatever was thrown, in words (reading it may throw too). */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const code = errorCode(error);
      return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
    }
    return String(error);
  } catch {
    return 'an error that cannot be described';
  }
}
