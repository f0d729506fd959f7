/**
 * The words a person reads, in both languages: every sentence of src/protocol/messages.ts and its
 * Hungarian in nodes/locales/hu/mypos-actions.json (`messages`), every text of the catalogs
 * (labels, tips, editor errors, statuses, warnings, Test connection results) and the help sources.
 *
 * - No all-caps constant (`TRANSACTION_DECLINED`, `CONNECT`, `BUSY`…) and no raw system error
 *   (`ECONNREFUSED`, "connect 127.0.0.1:…", a stack trace) in words meant for a person: the machine
 *   values stay in the machine fields (`code`, `statusName`), which the help shows as <code>.
 * - No English in the Hungarian, no term a native speaker's review found misleading.
 * - Hungarian has every key English has, with the same values (`__name__`).
 * - Every message rendered through nodes/i18n.ts and i18next (as Node-RED renders it) with sample
 *   values: no value left unfilled, no English fallback in Hungarian, no doubled punctuation.
 * - Every status fits under its node: measured as the editor draws it (see STATUS_ROOM_PX).
 * - A real Node-RED started with `lang: 'hu'` says a decline and a refused connection in Hungarian.
 *
 * The catalogs Node-RED loads are the built ones (dist/nodes/locales: run `npm run build` first;
 * `npm test` does), and the real Node-RED runs the built package.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { httpRequest } from './support/http-request';
import os from 'node:os';
import path from 'node:path';
// The i18next Node-RED itself runs on (a dependency of node-red, a devDependency here).
import i18next from 'i18next';
import type { Resource } from 'i18next';
import { MESSAGES, explain, render } from '../src/protocol/messages';
import type { MessageKey, MessageParam } from '../src/protocol/messages';
import { failure } from '../src/protocol';
import type { Action, ErrorCode, FailureDetails, TerminalRequest, TransactionResult } from '../src/protocol';
import type { JournalEntry } from '../src/journal/journal';
import { TerminalSimulator } from '../src/simulator/simulator';
import * as i18n from '../nodes/i18n';
import * as status from '../nodes/statuses';
import { localized } from '../nodes/message';
import type { NodeStatus } from '../nodes/node-red';
import { boxesOf, labelTemplates, textWidth } from './support/example-layout';
import { linkPackage, localSettings, startNodeRed } from './support/node-red-process';
import { freePort } from './support/ports';
import { asFailure } from './support/results';
import { terminalConfigNode } from './support/terminal-config';

const root = path.join(__dirname, '..');
const LOCALES = path.join(root, 'nodes', 'locales');
const LANGUAGES = ['en-US', 'hu'];
const ACTIONS: readonly Action[] = ['pay', 'refund', 'preauth', 'complete', 'cancel'];
/** Node-RED's namespace for the action nodes' catalog (the package name and the node file). */
const NAMESPACE = '@payment-interface/node-red-mypos/mypos-actions';
/** The config node's catalog (mypos-terminal.json): the dialog's labels name a setting in a message. */
const TERMINAL_NAMESPACE = '@payment-interface/node-red-mypos/mypos-terminal';

/** A message catalog as the locale files hold it: texts, in sections. */
interface Catalog {
  [key: string]: string | Catalog;
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));
const catalogOf = (lang: string, name: string): Catalog => (readJson(path.join(LOCALES, lang, `${name}.json`)) as Record<string, Catalog>)[name];

/** A section of a catalog (`status`, `format`…), which must be there. */
function sectionOf(catalog: Catalog, key: string): Catalog {
  const section = catalog[key];
  assert.ok(typeof section === 'object', `${key} is a section of the catalog`);
  return section;
}

// ---------------------------------------------------------------------------------------------
// The detectors.

/**
 * All-caps words a person may read, and why:
 * - abbreviations a merchant knows from the terminal, the network or the settings dialog: ASCII
 *   (the invoice rule), IP, TCP (TCP/IP), LAN, PIN, COM5 (a serial port's name, as Windows shows
 *   it), README (the document the help links to), PRO (a myPOS model: Carbon, Slim, PRO), CSV (the
 *   file the myPOS sidebar downloads, as spreadsheet programs name it);
 * - ON, OFF, AFTER_CONFIRMATION are the literal values of the receipt settings (the dialog's
 *   options and `msg.receipt` take exactly these), so only in a text about receipts.
 * Anything else in capitals is a machine constant (`TRANSACTION_DECLINED`, `CONNECT`, `BUSY`,
 * `DUPLICATE`): it belongs in `code` / `statusName`, or in the help inside <code>, which these
 * checks leave out as the machine values a flow compares against (as are `msg.*` paths,
 * identifiers such as `allowDuplicate`, file paths and XML element names, all written in <code>
 * or recognised by their shape).
 */
const ABBREVIATIONS = new Set(['ASCII', 'IP', 'TCP', 'LAN', 'PIN', 'COM5', 'README', 'PRO', 'CSV']);
const RECEIPT_VALUES = new Set(['ON', 'OFF', 'AFTER_CONFIRMATION']);

/**
 * English words that are not also Hungarian words, to find English in a Hungarian text. Left out
 * on purpose: „is” (Hungarian for "also"), „be” (a Hungarian preverb: „írja be”), „a” (the
 * Hungarian article), „app”, and Node-RED's own words, which Hungarian users use as they are
 * (node, flow, payload, deploy, debug, Import › Examples: Node-RED has no Hungarian editor).
 */
const ENGLISH_WORDS = new Set(
  `the an and or of to for from with without at in on by it its this that these those there here terminal
  was were has have had been will would could should must can cannot can't not no yes please
  your you are terminal's isn't doesn't don't
  payment payments refund refunds invoice invoices check checked amount amounts card cards
  declined approved failed unknown error errors request requests answer answers reference
  connection connected disconnected connecting reachable busy journal settings setting timeout
  found missing sent again already before after waiting cancel cancelled canceled complete
  completion pre-authorization pre-auth preauthorization customer merchant copy receipt receipts
  status outcome message shop open closed device disk full folder permission while until
  nothing something anything none only more than less at least most`.split(/\s+/),
);

/**
 * Terms a native speaker's review found misleading for a merchant (issue 12), with what to write:
 * the same list as test/help.test.ts, for every Hungarian text, plus „lezáratlan”, which reads as
 * "not completed" beside „lezárás” (a pre-authorization's completion).
 */
const BANNED_HU: [RegExp, string][] = [
  [/számlaszám/iu, "„Számlaszám” reads as a bank account number: the field is the shop's own reference, „hivatkozási szám”"],
  [/engedélykód/iu, '„Engedélykód” is taken for the authorisation code on every slip: „előengedélyezési kód”'],
  [/nyugta(?![lt])|nyugtá(?!z)/iu, '„nyugta” is the fiscal receipt: card slips are „bizonylat”'],
  [/elutasítva/iu, '„elutasítva” hides who refused: „a bank elutasította”, „megszakították a terminálon”, „már megtörtént, nem küldtük újra”, „nem érhető el”'],
  [/lezáratlan/iu, '„lezáratlan” reads as a pre-authorization not yet completed: a request whose outcome nobody knows is „ellenőrizendő”'],
];

/** What a person sees of a text: no comments, no <code> (machine values), no tags, no values. */
function visibleWords(text: string): string {
  return text
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<dt\b[^>]*>\s*[a-z]\w*(?:,\s*[a-z]\w*)*/g, ' ') // a message property the help lists: payload, invoice
    .replace(/\{\{[^}]*\}\}/g, ' ') // the help template's markers
    .replace(/<[^>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/g, ' ')
    .replace(/__[A-Za-z0-9]+__/g, ' ') // a value's place: filled in later
    .replace(/\b(?:msg|flow|global|env)(?:\.[A-Za-z_$][\w$]*|\[[^\]]*\])+/g, ' ') // msg.allowDuplicate, flow.deposits[msg.room]
    .replace(/\bhttps?:\/\/\S+/g, ' ')
    .replace(/\S*\/\S*/g, (word) => (/^[A-Z]+\/[A-Z]+$/.test(word) ? word.replace('/', ' ') : ' ')) // paths, but TCP/IP is two words
    .replace(/\b[a-z]+[A-Z][A-Za-z]*\b/g, ' ') // identifiers: allowDuplicate, statusText, myPOS
    .replace(/Node-RED|Payment Interface|iQOM|JSONata|Wi-Fi/g, ' '); // names
}

/** The all-caps constants in a text that a person should not have to read. */
function constantsIn(text: string, { receipt = false }: { receipt?: boolean } = {}): string[] {
  return [...visibleWords(text).matchAll(/(?<![\p{L}\p{N}_-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![\p{L}\p{N}_])/gu)]
    .map((match) => match[0])
    .filter((word) => word.length > 1 && !ABBREVIATIONS.has(word) && !(receipt && RECEIPT_VALUES.has(word)));
}

/** A system error in its raw form: an errno code, Node's "connect ECONNREFUSED …", a stack frame. */
function systemErrorsIn(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [
    /\bE[A-Z]{3,}\b/g,
    /\b(?:connect|read|write|open) E[A-Z]+/g,
    /\bconnect \d{1,3}\.\d/g,
    /\n\s*at \S+ \(/g,
    /\bat \S+ \(\S+:\d+:\d+\)/g,
    /\.(?:js|ts):\d+/g,
    /\b(?:Type|Range|Reference|Syntax|System)Error\b/g,
  ]) {
    for (const match of text.matchAll(pattern)) found.push(match[0]);
  }
  return found;
}

/** English words in a Hungarian text (as written, not in capitals: those are the constants' check). */
function englishIn(text: string): string[] {
  return [...visibleWords(text).matchAll(/[\p{L}'’-]+/gu)]
    .map((match) => match[0].replace(/^[-'’]+|[-'’]+$/g, ''))
    .filter((word) => word !== word.toUpperCase() && ENGLISH_WORDS.has(word.toLowerCase().replace('’', "'")));
}

function bannedIn(text: string): string[] {
  return BANNED_HU.filter(([pattern]) => pattern.test(text)).map(([pattern, why]) => `${pattern.exec(text)?.[0]}: ${why}`);
}

/** Punctuation that shows a sentence was glued together wrongly: "open?.", "..", " ." */
function badPunctuationIn(text: string): string[] {
  return [...text.matchAll(/[.?!:;,]\s*[.?!;,]|\s[.?!:;,](?!\d)|\(\s*\)/g)].map((match) => match[0]).filter((mark) => mark !== '...');
}

const placeholders = (text: string): Set<string> => new Set([...text.matchAll(/__([A-Za-z0-9]+)__/g)].map((match) => match[1]));

// ---------------------------------------------------------------------------------------------
// The texts.

/** Every string of a nested catalog: [key, text]. */
function strings(object: string | Catalog, prefix = ''): [string, string][] {
  if (typeof object === 'string') return [[prefix, object]];
  return Object.entries(object).flatMap(([key, value]) => strings(value, prefix ? `${prefix}.${key}` : key));
}

/** Every text a person reads in `lang`: [where, text, { receipt }]. */
function personTexts(lang: string): { where: string; text: string; receipt: boolean }[] {
  const texts: { where: string; text: string; receipt: boolean }[] = [];
  const add = (where: string, text: string) => texts.push({ where, text, receipt: /receipt/i.test(where) });
  const actions = catalogOf(lang, 'mypos-actions');
  for (const [key, text] of strings(actions)) if (!key.startsWith('format.')) add(`${lang} mypos-actions.${key}`, text);
  for (const [key, text] of strings(catalogOf(lang, 'mypos-terminal'))) add(`${lang} mypos-terminal.${key}`, text);
  if (lang === 'en-US') for (const [key, text] of Object.entries(MESSAGES)) add(`MESSAGES ${key}`, text);
  const helpValues = readJson(path.join(LOCALES, lang, 'mypos-actions.help.json')) as Catalog;
  for (const [key, text] of strings(helpValues)) add(`${lang} mypos-actions.help.json ${key}`, text);
  for (const file of ['mypos-actions.help.html', 'mypos-terminal.html']) {
    const html = fs.readFileSync(path.join(LOCALES, lang, file), 'utf8');
    // Paragraph by paragraph, so a failure points at its place; the receipt settings' <dd> may name their values.
    for (const part of html.split(/(?=<(?:p|dt|li|h3|h4)\b)/))
      add(
        `${lang} ${file}: ${part
          .replace(/<[^>]*>/g, ' ')
          .trim()
          .slice(0, 50)}…`,
        part,
      );
  }
  return texts;
}

// ---------------------------------------------------------------------------------------------
// Rendering as Node-RED renders: i18next with Node-RED's options, the built catalogs.

/** RED._ as the nodes call it. */
type Translate = (key: string, substitutions?: Record<string, unknown>) => string;

/** A RED._ for each catalog of the nodes, and the keys it was asked for that its catalog lacks. */
interface Runtime {
  readonly missing: string[];
  readonly _: Translate;
  readonly terminal?: { readonly _: Translate };
}

/**
 * A RED._ for `lang` over the built catalogs, as Node-RED's runtime makes it (@node-red/util's
 * i18n: `__name__` values, "." between keys, the node file's namespace before a bare key).
 * `fallback: false` turns off Node-RED's fallback to en-US, so that a missing Hungarian text shows
 * as missing; every key the catalog did not have is recorded in `missing`.
 */
function runtimeFor(lang: string, { fallback = true }: { fallback?: boolean } = {}): Runtime {
  const resources: Resource = {};
  for (const language of LANGUAGES) {
    resources[language] = {
      [NAMESPACE]: readJson(path.join(root, 'dist', 'nodes', 'locales', language, 'mypos-actions.json')) as Catalog,
      [TERMINAL_NAMESPACE]: readJson(path.join(root, 'dist', 'nodes', 'locales', language, 'mypos-terminal.json')) as Catalog,
    };
  }
  const instance = i18next.createInstance();
  void instance.init({
    lng: lang,
    fallbackLng: fallback ? 'en-US' : false,
    ns: [NAMESPACE, TERMINAL_NAMESPACE],
    defaultNS: NAMESPACE,
    keySeparator: '.',
    nsSeparator: ':',
    interpolation: { unescapeSuffix: 'HTML', escapeValue: false, prefix: '__', suffix: '__' },
    resources,
    initAsync: false,
    showSupportNotice: false,
  });
  const missing: string[] = [];
  const translator =
    (namespace: string): Translate =>
    (key, substitutions) => {
      const full = key.includes(':') ? key : `${namespace}:${key}`;
      if (!instance.exists(full, substitutions)) missing.push(key);
      return instance.t(full, substitutions);
    };
  return { missing, _: translator(NAMESPACE), terminal: { _: translator(TERMINAL_NAMESPACE) } };
}

const TIME = '2026-12-02T14:04:05.000Z';
const TERMINAL = '192.168.1.20:51042';

/** A realistic value for each value name of MESSAGES, long where a value can be long. */
const SAMPLES: Readonly<Record<string, MessageParam>> = {
  code: '403903000011',
  amount: { amount: '12345.67' },
  authorized: { amount: '12000.00' },
  limit: { amount: '500.00' },
  status: 99,
  ref: 'Hibás XML',
  detail: 'Unexpected end of input at line 3',
  action: { action: 'complete' },
  result: 'ERROR',
  first: '"OK, status 0, ref 403903000011"',
  second: '"ERROR, status 2, TRANSACTION_DECLINED"',
  terminal: TERMINAL,
  reason: explain('reason.refused'),
  seconds: 180,
  count: 12,
  reference: explain('reference.invoice', { invoice: 'A-1001' }),
  refs: '403903000011, 403903000012',
  when: { time: TIME },
  invoice: 'A-1001',
  path: '/home/pi/.node-red/mypos-journal/journal.jsonl',
  pid: 4242,
  since: { time: TIME },
  owner: 'config node "Pult"',
  field: 'msg.payload.amount',
  min: 0,
  max: 50,
  got: '12,50',
  digits: 10,
  decimals: 2,
  length: 61,
  type: explain('type.array'),
  name: explain('fieldName.invoice'),
  text: 'Lejárt kártya',
  setting: { setting: 'responseTimeout' },
  file: '/home/pi/.node-red/mypos-journal/journal.jsonl',
  from: 'journal.jsonl.1, journal.jsonl.new',
  bytes: 63,
  offset: 354,
  old: '/home/pi/.node-red/mypos-journal/terminal-1.jsonl',
  lines: 120,
  by: 'béla@shop',
};

/** Where a value of one key is of another kind than the same name elsewhere. */
const KEY_SAMPLES: Readonly<Record<string, Readonly<Record<string, MessageParam>>>> = {
  'declined.terminalSays': { reason: explain('declined.declined') },
  'settings.choice': { setting: { setting: 'connection' }, first: { setting: 'connection', choice: 'tcp' }, second: { setting: 'connection', choice: 'serial' }, got: 'bluetooth' },
  'journalNote.mergeNotWritten': { reason: explain('reason.diskFull') },
  'journalNote.oldNotMerged': { reason: explain('reason.noFilePermission') },
};

/** The keys of MESSAGES (Object.keys names them only as strings). */
const MESSAGE_KEYS = Object.keys(MESSAGES) as MessageKey[];

/** Every MESSAGES key with its values (a value name without a sample fails the test that uses it). */
function explanations() {
  return MESSAGE_KEYS.map((key) => {
    const params: Record<string, MessageParam> = {};
    for (const name of placeholders(MESSAGES[key])) params[name] = KEY_SAMPLES[key]?.[name] ?? SAMPLES[name];
    return explain(key, params);
  });
}

/** Runs `fn` with `runtime` as the nodes' RED._, then puts an empty one back. */
function withRuntime<T>(runtime: Pick<Runtime, '_' | 'terminal'>, fn: () => T): T {
  i18n.useMessageCatalog(runtime);
  if (runtime.terminal) i18n.useMessageCatalog(runtime.terminal, 'mypos-terminal');
  try {
    return fn();
  } finally {
    i18n.useMessageCatalog({ _: (key) => key });
    i18n.useMessageCatalog({ _: (key) => key }, 'mypos-terminal');
  }
}

// ---------------------------------------------------------------------------------------------
// Statuses: every one a node can show, with long values, and the room the editor gives it.

/**
 * The room for a status under an action node, beyond the node's own width. The editor starts the
 * status text 23 px into the node, in 9pt (12 px) Arial, and draws the error output's wire down
 * to the right of the node, through the status line. Measured in headless Chromium on the eight
 * examples (each status made longer until its box touched a wire or a node): 20 to 54 px beyond
 * the node's width for every action node but the kiosk's "pay 2.00" (a narrow, fixed-amount node).
 */
const STATUS_ROOM_PX = 20;
const STATUS_FONT_PX = 12;

/** Width in px of a status text (the example layout's Arial metrics, at the status font size). */
const statusWidth = (text: string): number => (textWidth(text) * STATUS_FONT_PX) / 14;

/** The width of an action node with its default label (e.g. "pay msg.payload") in `lang`. */
function nodeWidth(action: Action, lang: string): number {
  const node = { id: 'n', type: `mypos-${action}`, x: 300, y: 100, wires: [[], []] };
  return boxesOf([node], labelTemplates(lang))[0].w;
}

const CODE_ACTIONS = new Set(['complete', 'cancel']);

/** Twelve journal entries to check, the first for `action`, as the journal keeps them. */
function unresolved(action: Action): JournalEntry[] {
  const entry = (of: Action): JournalEntry => ({
    id: `entry-${of}`,
    begunAt: TIME,
    acknowledged: false,
    action: of,
    invoice: 'A-1001',
    ...(of !== 'cancel' && { amount: '12345.67' }),
    ...(CODE_ACTIONS.has(of) && { preauthcode: '403903000011' }),
  });
  return [entry(action), ...Array.from({ length: 11 }, () => entry('pay'))];
}

/** Every status an action node shows, with realistic long values: [what, text]. */
function statusesOf(action: Action): [string, string][] {
  const withAmount = action !== 'cancel';
  const request: TerminalRequest = {
    action,
    receipt: 'ON',
    custrcpt: 'OFF',
    ...(withAmount && { amount: { text: '12345.67', minor: 1234567n } }),
    ...(CODE_ACTIONS.has(action) ? { preauthCode: '403903000011' } : { invoice: 'A-1001' }),
  };
  const fields: Record<string, string> = { amount: 'msg.payload.amount', invoice: 'msg.payload.invoice', preauthcode: 'msg.payload.preauthcode', receipt: 'msg.payload.custrcpt' };
  const inputs = [...(withAmount ? ['amount'] : []), CODE_ACTIONS.has(action) ? 'preauthcode' : 'invoice', 'receipt'];
  const fail = (code: ErrorCode, key: MessageKey, params: Record<string, MessageParam> = {}, details: FailureDetails = {}) => failure(action, request, code, explain(key, params), details);
  const approved: TransactionResult = { result: 'OK', action, ref: '403903000011', ...(withAmount && { amount: '12345.67' }), ...(CODE_ACTIONS.has(action) && { preauthcode: '403903000011' }) };
  const results: [string, TransactionResult][] = [
    ['approved', approved],
    ...[1, 2, 3, 4, 5, 6, 7, 99, null].map((code): [string, TransactionResult] => [`declined, status ${code}`, fail('TERMINAL', 'declined.other', { status: code ?? '?' }, { status: code })]),
    ['app could not read', fail('BAD_XML', 'declined.badXml', { ref: 'Hibás XML' })],
    ...inputs.map((input): [string, TransactionResult] => [`invalid ${input}`, fail('INVALID_INPUT', 'input.empty', { field: fields[input] })]),
    ['invalid, no field', fail('INVALID_INPUT', 'input.messageUnreadable', { detail: 'x' })],
    ['busy', fail('BUSY', 'busy.open', { terminal: TERMINAL })],
    ['not reachable', fail('CONNECT', 'connect.failed', { terminal: TERMINAL, reason: explain('reason.refused') })],
    ['no terminal', fail('CONNECT', 'node.noTerminal')],
    ['duplicate', fail('DUPLICATE', 'duplicate.approved', { action: { action }, reference: SAMPLES.reference, when: { time: TIME } })],
    ['journal', fail('JOURNAL', 'journal.unusable', { path: SAMPLES.path, reason: explain('reason.diskFull') })],
    ...(['TIMEOUT', 'CONNECTION_LOST', 'PROTOCOL'] as const).map((code): [string, TransactionResult] => [`unknown (${code})`, fail(code, 'timeout.noAnswer', { seconds: 180 })]),
  ];
  const since = Date.parse(TIME);
  const statuses: [string, NodeStatus | undefined][] = [
    ['connecting', status.statusConnecting()],
    ['connected', status.statusForConnection('connected')],
    ['disconnected', status.statusForConnection('disconnected')],
    ['ready', status.statusForReadiness({ state: 'ready', since })],
    ['unreachable', status.statusForReadiness({ state: 'unreachable', since, reason: 'x' })],
    ['no terminal (idle)', status.statusNoTerminal()],
    ['journal damaged', status.statusForDamagedJournal(12)],
    ['waiting', status.statusWaiting(request)],
    ['late answer: approved', status.statusForLateAnswer({ request, result: results[0][1], afterMs: 1500 })],
    ['late answer: declined', status.statusForLateAnswer({ request, result: results[1][1], afterMs: 1500 })],
    ['late answer: released', status.statusForLateAnswer({ request, result: { ...results[0][1], action: 'cancel' }, afterMs: 1500 })],
    ...results.map(([what, result]): [string, NodeStatus] => [what, status.statusForResult(result)]),
    // Twelve requests to check at this terminal, the first of any action.
    ...ACTIONS.map((other): [string, NodeStatus] => [`to check: ${other} first`, status.statusForUnresolved(unresolved(other))]),
    ...results.map(([what, result]): [string, NodeStatus] => [`${what}, 12 to check`, status.statusAfterResult(result, unresolved(action))]),
  ];
  return statuses.map(([what, shown]) => {
    const text = shown?.text;
    assert.ok(text !== undefined, `${what}: a status with a text`);
    return [what, text];
  });
}

/** The status.* keys a node shows (to prove the walk above reaches every one). */
function statusKeysShown(runtime: Runtime, action: Action): Set<string> {
  const asked: string[] = [];
  const spy = { _: (key: string, substitutions?: Record<string, unknown>) => (asked.push(key.replace(/^.*?:/, '').replace(/^mypos-actions\./, '')), runtime._(key, substitutions)) };
  withRuntime(spy, () => statusesOf(action));
  return new Set(asked.filter((key) => key.startsWith('status.')));
}

// ---------------------------------------------------------------------------------------------

describe('words a person reads, in English and Hungarian', function () {
  describe('the checks themselves', function () {
    it('find machine constants and raw system errors, and allow the receipt values where they are values', function () {
      for (const text of ['declined: TRANSACTION_DECLINED', 'declined: NO_DATA_FOUND', 'connect ECONNREFUSED 127.0.0.1:51099', 'CONNECT', 'terminal BUSY', 'the code is DUPLICATE', 'ERROR']) {
        assert.notDeepEqual(constantsIn(text, { receipt: true }), [], `not flagged: ${text}`);
      }
      for (const text of ['connect ECONNREFUSED 127.0.0.1:51099', 'ENOENT: no such file', 'at Socket.emit (node:events:518:28)', 'TypeError: x is not a function']) {
        assert.notDeepEqual(systemErrorsIn(text), [], `not flagged: ${text}`);
      }
      assert.deepEqual(constantsIn('Choose ON, OFF or AFTER_CONFIRMATION', { receipt: true }), []);
      assert.deepEqual(constantsIn('Choose ON, OFF or AFTER_CONFIRMATION'), ['ON', 'OFF', 'AFTER_CONFIRMATION']);
      assert.deepEqual(constantsIn('Node-RED, TCP/IP, printable ASCII, the README, myPOS PRO, <code>INVALID_INPUT</code>, msg.allowDuplicate, I'), []);
      assert.deepEqual(systemErrorsIn('nothing answers there; is the Payment Interface app open?'), []);
    });

    it('find English in Hungarian, but not Hungarian words that look English, identifiers or names', function () {
      assert.deepEqual(englishIn('The terminal is not reachable: check the payment'), ['The', 'terminal', 'not', 'reachable', 'check', 'the', 'payment']);
      assert.deepEqual(englishIn("the terminal's answer"), ['the', "terminal's", 'answer']);
      assert.deepEqual(englishIn('akkor is elküldi, írja be: msg.allowDuplicate = true; a Payment Interface app, a flow, a node, ON: nyomtatás'), []);
    });

    it('find the misleading Hungarian terms in their inflected forms, and only those', function () {
      for (const text of ['Számlaszám', 'a számlaszámot', 'Engedélykód', 'nyugta', 'a nyugtát', 'kártya elutasítva', 'lezáratlan kérések'])
        assert.notDeepEqual(bannedIn(text), [], `not flagged: ${text}`);
      for (const text of ['hivatkozási szám', 'előengedélyezési kód', 'bizonylat', 'nyugtázza', 'a bank elutasította', 'lezárás']) assert.deepEqual(bannedIn(text), [], `flagged: ${text}`);
    });

    it('find punctuation glued wrongly', function () {
      assert.deepEqual(badPunctuationIn('Is the app open?. Nothing was sent.'), ['?.']);
      assert.deepEqual(badPunctuationIn('Open it .'), [' .']);
      assert.deepEqual(badPunctuationIn('at 12.50, in 0.5 s (see: A-1001).'), []);
    });

    it('measure a status as Chromium draws it (within 2 px for these, checked in the editor)', function () {
      // getBBox() widths of the editor's status label (9pt Arial, Liberation Sans on Linux).
      for (const [text, px] of [
        ['waiting for terminal: 12345.67', 159],
        ['declined: TRANSACTION_DECLINED', 205],
        ['a terminálra vár: visszavonás 403903000011', 239],
        ['már megtörtént, nem küldtük újra', 176],
      ] satisfies [string, number][]) {
        assert.ok(Math.abs(statusWidth(text) - px) <= 2, `${text}: ${statusWidth(text)} px, Chromium ${px} px`);
      }
    });
  });

  for (const lang of LANGUAGES) {
    describe(`${lang}: every text`, function () {
      const texts = personTexts(lang);

      it('has no all-caps constant', function () {
        const found = texts.flatMap(({ where, text, receipt }) => constantsIn(text, { receipt }).map((word) => `${where}: ${word}`));
        assert.deepEqual(found, []);
      });

      it('has no raw system error', function () {
        const found = texts.flatMap(({ where, text }) => systemErrorsIn(visibleWords(text)).map((error) => `${where}: ${error}`));
        assert.deepEqual(found, []);
      });

      if (lang === 'hu') {
        it('has no English', function () {
          const found = texts.flatMap(({ where, text }) => {
            const words = englishIn(text);
            return words.length ? [`${where}: ${words.join(', ')}`] : [];
          });
          assert.deepEqual(found, []);
        });

        it("uses the merchant's terms", function () {
          const found = texts.flatMap(({ where, text }) => bannedIn(text).map((why) => `${where}: ${why}`));
          assert.deepEqual(found, []);
        });
      }
    });
  }

  describe('Hungarian has what English has', function () {
    const en = catalogOf('en-US', 'mypos-actions');
    const hu = catalogOf('hu', 'mypos-actions');

    for (const name of ['mypos-actions', 'mypos-terminal']) {
      it(`${name}.json: the same keys (English sentences of messages.* live in MESSAGES)`, function () {
        const keys = (catalog: Catalog) =>
          strings(catalog)
            .map(([key]) => key)
            .filter((key) => !key.startsWith('messages.'))
            .sort();
        assert.deepEqual(keys(catalogOf('hu', name)), keys(catalogOf('en-US', name)));
      });
    }

    it('messages: a sentence for every key of MESSAGES, and for no other', function () {
      assert.equal(en.messages, undefined, 'English sentences belong in src/protocol/messages.ts, not in the en-US catalog');
      const keys = strings(sectionOf(hu, 'messages'))
        .map(([key]) => key)
        .sort();
      assert.deepEqual(keys, Object.keys(MESSAGES).sort());
    });

    it('the same values: every Hungarian value exists in English, every English value but __detail__ is in Hungarian', function () {
      const english: (readonly [string, string, 'mypos-actions' | 'mypos-terminal'])[] = [
        ...Object.entries(MESSAGES).map(([key, text]) => [`messages.${key}`, text, 'mypos-actions'] as const),
        ...strings(en).map(([key, text]) => [key, text, 'mypos-actions'] as const),
        ...strings(catalogOf('en-US', 'mypos-terminal')).map(([key, text]) => [key, text, 'mypos-terminal'] as const),
      ];
      const hungarian = { 'mypos-actions': Object.fromEntries(strings(hu)), 'mypos-terminal': Object.fromEntries(strings(catalogOf('hu', 'mypos-terminal'))) };
      const found: string[] = [];
      for (const [key, text, file] of english) {
        const translated = hungarian[file][key];
        if (translated === undefined) continue; // the key test above reports it
        const want = placeholders(text);
        const have = placeholders(translated);
        for (const name of have) if (!want.has(name)) found.push(`${file} ${key}: __${name}__ is not a value of the English`);
        for (const name of want) if (!have.has(name) && name !== 'detail') found.push(`${file} ${key}: __${name}__ is missing`);
      }
      assert.deepEqual(found, []);
    });

    it('writes amounts with a decimal comma and dates as Hungarians do', function () {
      assert.equal(sectionOf(hu, 'format').decimalMark, ',');
      assert.equal(sectionOf(hu, 'format').dateTime, '__year__. __month__. __day__. __time__');
    });
  });

  describe('every message, rendered as the nodes render it (nodes/i18n.ts, i18next)', function () {
    it('has a sample value for every value of MESSAGES', function () {
      const names = new Set(Object.values(MESSAGES).flatMap((text) => [...placeholders(text)]));
      assert.deepEqual(
        [...names].filter((name) => !(name in SAMPLES)),
        [],
      );
    });

    for (const lang of LANGUAGES) {
      it(`${lang}: fills every value, in its own words, with no doubled punctuation`, function () {
        const runtime = runtimeFor(lang, { fallback: false });
        const rendered = withRuntime(runtime, () => explanations().map((explanation) => [explanation.key, i18n.say(explanation)] as const));
        const english = explanations().map((explanation) => render(explanation));
        const found: string[] = [];
        rendered.forEach(([key, text], index) => {
          if (/__[A-Za-z0-9]+__/.test(text)) found.push(`${key}: a value left unfilled: ${text}`);
          for (const mark of badPunctuationIn(text)) found.push(`${key}: "${mark}" in: ${text}`);
          if (lang === 'hu' && text === english[index] && key !== 'type.null') found.push(`${key}: the English: ${text}`);
        });
        // A key the catalog lacks: messages.* are looked up in the catalog first, then in MESSAGES.
        const missing = runtime.missing.filter((key) => lang === 'hu' || !key.startsWith('mypos-actions.messages.'));
        assert.deepEqual([...new Set(missing)], [], 'keys the catalog does not have');
        assert.deepEqual(found, []);
      });
    }

    it('hu: amounts with a comma, times in local time as Hungarians write them', function () {
      const runtime = runtimeFor('hu', { fallback: false });
      const text = withRuntime(runtime, () =>
        i18n.say(explain('duplicate.approved', { action: { action: 'pay' }, reference: explain('reference.invoice', { invoice: 'A-1001' }), when: { time: TIME } })),
      );
      const local = new Date(TIME);
      const two = (n: number) => String(n).padStart(2, '0');
      assert.ok(text.includes(`${local.getFullYear()}. ${two(local.getMonth() + 1)}. ${two(local.getDate())}. ${two(local.getHours())}:04:05`), text);
      assert.ok(text.includes('fizetés A-1001 hivatkozási számmal'), text);
      const amount = withRuntime(runtime, () => i18n.say(explain('declined.amount', { amount: { amount: '12345.67' } })));
      assert.ok(amount.includes('12345,67'), amount);
    });

    it('hu: the failure message a flow gets, with what its outcome means', function () {
      const runtime = runtimeFor('hu', { fallback: false });
      const refused = failure('pay', undefined, 'CONNECT', explain('connect.failed', { terminal: TERMINAL, reason: explain('reason.refused') }));
      const declined = failure('pay', undefined, 'TERMINAL', explain('declined.declined'), { status: 2 });
      const timedOut = failure('pay', undefined, 'TIMEOUT', explain('timeout.noAnswer', { seconds: 180 }));
      const [r, d, t] = withRuntime(runtime, () => [refused, declined, timedOut].map((result) => asFailure(localized(result))));
      assert.equal(d.message, 'A bank elutasította a kártyát.');
      assert.match(r.message, /^A terminál nem érhető el \(192\.168\.1\.20:51042\): .*Payment Interface app.*\. Semmi sem ment el a terminálra\.$/);
      assert.match(t.message, /^A terminál 180 másodpercen belül nem válaszolt\. Lehet, hogy megtörtént: /);
      // The machine fields stay as they are, for flows.
      assert.deepEqual([r.code, d.code, d.statusName, t.outcome], ['CONNECT', 'TERMINAL', 'TRANSACTION_DECLINED', 'unknown']);
    });
  });

  describe('every status fits under its node', function () {
    for (const lang of LANGUAGES) {
      for (const action of ACTIONS) {
        it(`${lang}: under a ${action} node`, function () {
          const budget = nodeWidth(action, lang) + STATUS_ROOM_PX;
          const texts = withRuntime(runtimeFor(lang, { fallback: false }), () => statusesOf(action));
          const tooLong = texts.filter(([, text]) => statusWidth(text) > budget).map(([what, text]) => `${what}: "${text}" (${Math.round(statusWidth(text))} px, ${text.length} characters)`);
          assert.deepEqual(tooLong, [], `room under the node: ${budget} px`);
          for (const [what, text] of texts) {
            assert.deepEqual(constantsIn(text), [], `${what}: ${text}`);
            assert.deepEqual(systemErrorsIn(text), [], `${what}: ${text}`);
            if (lang === 'hu') assert.deepEqual(englishIn(text), [], `${what}: ${text}`);
          }
        });
      }

      it(`${lang}: the walk shows every status of the catalog`, function () {
        const runtime = runtimeFor(lang, { fallback: false });
        const shown = new Set(ACTIONS.flatMap((action) => [...statusKeysShown(runtime, action)]));
        const keys = Object.keys(sectionOf(catalogOf(lang, 'mypos-actions'), 'status')).map((key) => `status.${key}`);
        assert.deepEqual(
          keys.filter((key) => !shown.has(key)),
          [],
        );
        assert.deepEqual(runtime.missing, []);
      });
    }
  });

  describe('a real Node-RED with lang: hu', function () {
    this.timeout(90000);
    let nodeRed: Awaited<ReturnType<typeof startNodeRed>> | undefined;
    let simulator: TerminalSimulator | undefined;
    let userDir: string | undefined;

    /** The port of the started Node-RED. */
    function nodeRedPort(): number {
      assert.ok(nodeRed, 'Node-RED started');
      return nodeRed.port;
    }

    before(async function () {
      simulator = new TerminalSimulator();
      const terminalPort = await simulator.listen(0);
      const closedPort = await freePort(); // nothing listens here: the connection is refused
      userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-words-'));
      linkPackage(userDir);
      fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(hungarianFlow(terminalPort, closedPort)));
      nodeRed = await startNodeRed(userDir, localSettings({ lang: 'hu', httpNodeRoot: '/' }));
    });

    after(async function () {
      if (nodeRed) await nodeRed.stop();
      if (simulator) await simulator.close();
      if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
    });

    it('says a declined payment in Hungarian, in msg.payload.message and the status', async function () {
      const { body } = await post<PayAnswer>(nodeRedPort(), '/pay/declined', { amount: '12.51', invoice: 'HU-1' });
      assert.equal(body.message, 'A bank elutasította a kártyát.');
      assert.equal(Object.keys(body)[0], 'message', 'the sentence comes first, where the debug preview shows it');
      assert.deepEqual([body.code, body.outcome, body.statusName], ['TERMINAL', 'failed', 'TRANSACTION_DECLINED']);
      assert.equal(await statusAfter(nodeRedPort(), 'declined', (text) => text !== 'csatlakozás…' && !text.startsWith('a terminálra vár')), 'a bank elutasította');
    });

    it("lists the declined payment in the myPOS tab's journal in Hungarian too: the entry is said from its message key, not the English stored beside it", async function () {
      const { body } = await request<JournalAnswer>(nodeRedPort(), 'GET', '/mypos-terminal/journal?invoice=HU-1');
      assert.equal(body.entries.length, 1, JSON.stringify(body));
      const [entry] = body.entries;
      assert.deepEqual([entry.state, entry.messageKey, entry.message], ['declined', 'declined.declined', 'A bank elutasította a kártyát.']);
    });

    it('says a refused connection in Hungarian, in msg.payload.message and the status', async function () {
      const { body } = await post<PayAnswer>(nodeRedPort(), '/pay/refused', { amount: '12.50', invoice: 'HU-2' });
      assert.match(
        body.message,
        /^A terminál nem érhető el \(127\.0\.0\.1:\d+\): ott semmi nem fogad kapcsolatot; nézze meg, nyitva van-e a Payment Interface app a terminálon\. Semmi sem ment el a terminálra\.$/,
      );
      assert.deepEqual([body.code, body.outcome], ['CONNECT', 'not-sent']);
      assert.equal(await statusAfter(nodeRedPort(), 'refused', (text) => text !== 'csatlakozás…'), 'a terminál nem érhető el');
    });
  });
});

/**
 * Two pay nodes behind POST /pay/declined and /pay/refused (the first on the simulator, the second
 * on a port where nothing listens); a status node per pay node keeps what its node showed, for
 * GET /statuses.
 */
function hungarianFlow(terminalPort: number, closedPort: number): object[] {
  const flow: object[] = [
    { id: 'tab', type: 'tab', label: 'Fizetés' },
    terminalConfigNode('sim', terminalPort, { responseTimeout: '10', connectTimeout: '2' }),
    terminalConfigNode('closed', closedPort, { responseTimeout: '10', connectTimeout: '2' }),
    { id: 'out', z: 'tab', type: 'http response', statusCode: '200', wires: [] },
    { id: 'statuses', z: 'tab', type: 'http in', url: '/statuses', method: 'get', wires: [['read']] },
    { id: 'read', z: 'tab', type: 'function', func: "msg.payload = flow.get('statuses') || {};\nreturn msg;", outputs: 1, wires: [['out']] },
  ];
  for (const [name, terminal] of [
    ['declined', 'sim'],
    ['refused', 'closed'],
  ]) {
    flow.push(
      { id: `in-${name}`, z: 'tab', type: 'http in', url: `/pay/${name}`, method: 'post', wires: [[`pay-${name}`]] },
      { id: `pay-${name}`, z: 'tab', type: 'mypos-pay', terminal, receipt: 'OFF', custrcpt: 'OFF', wires: [['out'], ['out']] },
      { id: `status-${name}`, z: 'tab', type: 'status', scope: [`pay-${name}`], wires: [[`keep-${name}`]] },
      {
        id: `keep-${name}`,
        z: 'tab',
        type: 'function',
        func: `const all = flow.get('statuses') || {};\n(all['${name}'] = all['${name}'] || []).push(msg.status.text || '');\nflow.set('statuses', all);\nreturn null;`,
        outputs: 1,
        wires: [[]],
      },
    );
  }
  return flow;
}

/** The first status `name`'s node showed that `settled` accepts, waiting for it. */
async function statusAfter(port: number, name: string, settled: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 10000;
  for (;;) {
    const { body } = await request<Partial<Record<string, string[]>>>(port, 'GET', '/statuses');
    const shown = (body[name] || []).filter(settled);
    if (shown.length > 0) return shown[0];
    if (Date.now() > deadline) throw new Error(`no settled status for ${name}: ${JSON.stringify(body[name])}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What a pay node answered over HTTP: its msg.payload, a failure here. */
interface PayAnswer {
  message: string;
  code: string;
  outcome: string;
  statusName?: string | null;
}

/** GET /mypos-terminal/journal, as far as these tests read it. */
interface JournalAnswer {
  entries: { state: string; messageKey: string; message: string }[];
}

const post = <T>(port: number, urlPath: string, body: unknown) => request<T>(port, 'POST', urlPath, body);

/** An HTTP request to Node-RED; the body is the JSON it answered (of the shape the caller names), or its text. */
async function request<T = unknown>(port: number, method: string, urlPath: string, body?: unknown): Promise<{ status: number | undefined; body: T }> {
  const answer = await httpRequest(port, urlPath, { method, json: body, timeoutMs: 30000 });
  return { status: answer.status, body: (answer.json ?? answer.text) as T };
}
