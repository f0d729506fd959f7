import fs from 'node:fs';
import path from 'node:path';
import { Explanation, MESSAGES, MessageLanguage, render, substitute } from '../src/protocol/messages';
import type { NodeAPI } from './node-red';

/**
 * Runtime texts (node status) from the action nodes' message catalog,
 * `locales/<lang>/mypos-actions.json`, in the runtime's language (Node-RED's `lang` setting or
 * the system locale). Node-RED prefixes a key without a namespace with the catalog of the node
 * file that registered the types (`@payment-interface/node-red-mypos/mypos-actions:`), as core
 * nodes rely on with `RED._("httpin.errors.no-url")`.
 *
 * Where RED._ cannot translate (node-red-node-test-helper's RED._ returns the key; a catalog
 * that failed to load), the English catalog beside this file is used, so a status never shows a
 * bare key. English therefore lives in one place: locales/en-US/mypos-actions.json.
 */

const CATALOG = 'mypos-actions';
const ENGLISH_FILE = path.join(__dirname, 'locales', 'en-US', `${CATALOG}.json`);

export type Substitutions = Readonly<Record<string, string | number>>;

let translate: ((key: string, substitutions: Substitutions) => unknown) | undefined;
let english: unknown;
/**
 * Each key's text with its substitutions still as markers, by key and substitution names: a
 * status is drawn several times per payment, and i18next's lookup costs more than the rest of
 * the node's own work. The runtime's language does not change while it runs.
 */
const templates = new Map<string, string>();
const MARK = '\u0000';
// i18next picks a plural form by `count`, so a text with a count is looked up each time.
const UNCACHED = new Set(['count']);

/** Uses this runtime's RED._ from now on. Called when the node module is registered. */
export function useMessageCatalog(RED: Pick<NodeAPI, '_'>): void {
  translate = (key, substitutions) => RED._(key, { ...substitutions });
  templates.clear();
}

/**
 * The text of `key` (e.g. `status.approved`) in mypos-actions.json, with `__name__` substituted.
 * `fallback` is the English template where English lives outside the catalog (src/protocol/messages.ts).
 */
export function t(key: string, substitutions: Substitutions = {}, fallback?: string): string {
  const names = Object.keys(substitutions);
  if (names.some((name) => UNCACHED.has(name))) return lookUp(key, substitutions, fallback);
  const cacheKey = `${key}\u0000${names.join(',')}`;
  let template = templates.get(cacheKey);
  if (template === undefined) {
    const markers = Object.fromEntries(names.map((name) => [name, `${MARK}${name}${MARK}`]));
    const translated = translation(key, markers);
    // The English fallback is not kept: the runtime's catalog may not have loaded yet.
    if (translated !== undefined) templates.set(cacheKey, translated);
    template = translated ?? (fallback === undefined ? englishText(`${CATALOG}.${key}`, markers) : substitute(fallback, markers));
  }
  return names.length === 0
    ? template
    : template.replace(/\u0000([A-Za-z0-9_]+)\u0000/g, (whole, name: string) => (Object.prototype.hasOwnProperty.call(substitutions, name) ? String(substitutions[name]) : whole));
}

function lookUp(key: string, substitutions: Substitutions, fallback: string | undefined): string {
  const values = Object.fromEntries(Object.entries(substitutions).map(([name, value]) => [name, String(value)]));
  return translation(key, substitutions) ?? (fallback === undefined ? englishText(`${CATALOG}.${key}`, substitutions) : substitute(fallback, values));
}

/**
 * Messages in the runtime's language: sentences from `messages.<key>` (English from
 * src/protocol/messages.ts where the catalog has none), action nouns, amounts with the language's
 * decimal mark, times in local time.
 */
export const runtimeLanguage: MessageLanguage = {
  sentence: (key, values) => t(`messages.${key}`, values, MESSAGES[key]),
  action: (action) => t(`actions.${action}`),
  amount: (text) => formatAmount(text),
  time: (iso) => formatTime(iso),
};

/** An amount as this language writes it: `12.50`, or `12,50` in Hungarian. */
export function formatAmount(text: string): string {
  return text.replace('.', t('format.decimalMark'));
}

/** A moment in the host's local time, as this language writes dates. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return t('format.dateTime', {
    year: date.getFullYear(),
    month: two(date.getMonth() + 1),
    day: two(date.getDate()),
    time: `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`,
  });
}

/** What an explanation says, in the runtime's language. */
export function say(explanation: Explanation): string {
  return render(explanation, runtimeLanguage);
}

/** The runtime's text of the key, or undefined where RED._ cannot translate it. */
function translation(key: string, substitutions: Substitutions): string | undefined {
  const fullKey = `${CATALOG}.${key}`;
  let text: unknown;
  try {
    text = translate?.(fullKey, substitutions);
  } catch {
    text = undefined;
  }
  // i18next answers an unknown key with the key itself (without its namespace).
  return typeof text === 'string' && text !== '' && !text.endsWith(fullKey) ? text : undefined;
}

function englishText(fullKey: string, substitutions: Substitutions): string {
  if (english === undefined) {
    try {
      english = JSON.parse(fs.readFileSync(ENGLISH_FILE, 'utf8')) as unknown;
    } catch {
      english = null;
    }
  }
  let entry: unknown = english;
  for (const part of fullKey.split('.')) {
    entry = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[part] : undefined;
  }
  if (typeof entry !== 'string') return fullKey;
  return entry.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(substitutions, name) ? String(substitutions[name]) : whole,
  );
}
