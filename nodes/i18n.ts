import fs from 'node:fs';
import path from 'node:path';
import { Explanation, MESSAGES, MessageLanguage, localParts, render, substitute } from '../src/protocol/messages';
import type { NodeAPI } from './node-red';

/**
 * Runtime texts in the runtime's language (Node-RED's `lang` setting or the system locale), from
 * the two message catalogs: the action nodes' (`locales/<lang>/mypos-actions.json`: statuses,
 * failure messages) and the config node's (`locales/<lang>/mypos-terminal.json`: the dialog's
 * labels, Test connection, the config node's log lines). Node-RED prefixes a key without a
 * namespace with the catalog of the node file that registered the types
 * (`@payment-interface/node-red-mypos/mypos-actions:`), as core nodes rely on with
 * `RED._("httpin.errors.no-url")`; each node file hands over its own RED (useMessageCatalog).
 *
 * Where RED._ cannot translate (node-red-node-test-helper's RED._ returns the key; a catalog
 * that failed to load), the English catalog beside this file is used, so a text never shows a
 * bare key. English therefore lives in one place: locales/en-US/<catalog>.json, or
 * src/protocol/messages.ts for the failure messages (`messages.<key>`).
 */

export type CatalogName = 'mypos-actions' | 'mypos-terminal';

export type Substitutions = Readonly<Record<string, string | number>>;

const translators = new Map<CatalogName, (key: string, substitutions: Substitutions) => unknown>();
const english = new Map<CatalogName, unknown>();
/**
 * Each key's text with its substitutions still as markers, by catalog, key and substitution
 * names: a status is drawn several times per payment, and i18next's lookup costs more than the
 * rest of the node's own work. The runtime's language does not change while it runs.
 */
const templates = new Map<string, string>();
// A private-use character: no catalog text or substituted value holds one.
const MARK = '\uE000';
// i18next picks a plural form by `count`, so a text with a count is looked up each time.
const UNCACHED = new Set(['count']);

/** Uses this runtime's RED._ for `catalog` from now on. Called when a node file is registered, with its own RED. */
export function useMessageCatalog(RED: Pick<NodeAPI, '_'>, catalog: CatalogName = 'mypos-actions'): void {
  translators.set(catalog, (key, substitutions) => RED._(key, { ...substitutions }));
  for (const cached of [...templates.keys()]) if (cached.startsWith(`${catalog}.`)) templates.delete(cached);
}

/**
 * The text of `key` (e.g. `status.approved`) in mypos-actions.json, with `__name__` substituted.
 * `fallback` is the English template where English lives outside the catalog (src/protocol/messages.ts).
 */
export function t(key: string, substitutions: Substitutions = {}, fallback?: string): string {
  return text('mypos-actions', key, substitutions, fallback);
}

/** The text of `key` (e.g. `test.refused`) in the config node's catalog, mypos-terminal.json. */
export function terminalText(key: string, substitutions: Substitutions = {}): string {
  return text('mypos-terminal', key, substitutions);
}

function text(catalog: CatalogName, key: string, substitutions: Substitutions, fallback?: string): string {
  const names = Object.keys(substitutions);
  if (names.some((name) => UNCACHED.has(name))) return lookUp(catalog, key, substitutions, fallback);
  const cacheKey = `${catalog}.${key}\u0000${names.join(',')}`;
  let template = templates.get(cacheKey);
  if (template === undefined) {
    const markers = Object.fromEntries(names.map((name) => [name, `${MARK}${name}${MARK}`]));
    const translated = translation(catalog, key, markers);
    // The English fallback is not kept: the runtime's catalog may not have loaded yet.
    if (translated !== undefined) templates.set(cacheKey, translated);
    template = translated ?? (fallback === undefined ? englishText(catalog, key, markers) : substitute(fallback, markers));
  }
  return names.length === 0
    ? template
    : template.replace(/\uE000([A-Za-z0-9_]+)\uE000/g, (whole, name: string) => (Object.prototype.hasOwnProperty.call(substitutions, name) ? String(substitutions[name]) : whole));
}

function lookUp(catalog: CatalogName, key: string, substitutions: Substitutions, fallback: string | undefined): string {
  const values = Object.fromEntries(Object.entries(substitutions).map(([name, value]) => [name, String(value)]));
  return translation(catalog, key, substitutions) ?? (fallback === undefined ? englishText(catalog, key, substitutions) : substitute(fallback, values));
}

/**
 * Messages in the runtime's language: sentences from `messages.<key>` (English from
 * src/protocol/messages.ts where the catalog has none), action nouns, amounts with the language's
 * decimal mark, times in local time.
 */
export const runtimeLanguage: MessageLanguage = {
  sentence: (key, values) => t(`messages.${key}`, values, MESSAGES[key]),
  action: (action) => t(`actions.${action}`),
  setting: (name, choice) => settingName(name, choice),
  amount: (text) => formatAmount(text),
  time: (iso) => formatTime(iso),
};

/**
 * A setting as the config node's dialog labels it, or one of its choices as the dialog lists it.
 * The queue's time limit is labelled by the words before its field ("Queue … requests, each
 * waiting at most").
 */
function settingName(name: string, choice?: string): string {
  if (choice !== undefined) return terminalText(`${name}.${choice}`);
  if (name === 'queueTimeout') return `${terminalText('label.queueLimit')} … ${terminalText('label.queueTimeout')}`;
  return terminalText(`label.${name}`);
}

/** An amount as this language writes it: `12.50`, or `12,50` in Hungarian. */
export function formatAmount(text: string): string {
  return text.replace('.', t('format.decimalMark'));
}

/** A moment in the host's local time, as this language writes dates. */
export function formatTime(iso: string): string {
  const parts = localParts(iso);
  return parts ? t('format.dateTime', parts) : iso;
}

/** What an explanation says, in the runtime's language. */
export function say(explanation: Explanation): string {
  return render(explanation, runtimeLanguage);
}

/** The runtime's text of the key, or undefined where RED._ cannot translate it. */
function translation(catalog: CatalogName, key: string, substitutions: Substitutions): string | undefined {
  const fullKey = `${catalog}.${key}`;
  let text: unknown;
  try {
    text = translators.get(catalog)?.(fullKey, substitutions);
  } catch {
    text = undefined;
  }
  // i18next answers an unknown key with the key itself (without its namespace).
  return typeof text === 'string' && text !== '' && !text.endsWith(fullKey) ? text : undefined;
}

function englishText(catalog: CatalogName, key: string, substitutions: Substitutions): string {
  if (!english.has(catalog)) {
    try {
      english.set(catalog, JSON.parse(fs.readFileSync(path.join(__dirname, 'locales', 'en-US', `${catalog}.json`), 'utf8')) as unknown);
    } catch {
      english.set(catalog, null);
    }
  }
  const fullKey = `${catalog}.${key}`;
  let entry: unknown = english.get(catalog);
  for (const part of fullKey.split('.')) {
    entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
  }
  if (typeof entry !== 'string') return fullKey;
  return entry.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (Object.prototype.hasOwnProperty.call(substitutions, name) ? String(substitutions[name]) : whole));
}
