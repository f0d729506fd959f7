import { ACTIONS, explain, textOf, failureMessage, localTime } from '../src/protocol';
import { runtimeLanguage } from './i18n';
import { ENTRY_STATES, FINDINGS, Finding, HistoryEntry, HistoryQuery, Journal } from '../src/journal/journal';

/**
 * What the operator console's admin endpoints read and write (the routes themselves are in
 * mypos-terminal.ts): the query parameters and body fields checked one by one, the history of
 * every journal open in this runtime merged newest first, and the CSV export.
 *
 * Days are local days of the Node-RED host (its time zone, `timeZone` in the answers), taken by
 * when a request was begun.
 */

/** A parameter or field that breaks its rule: a 400 naming it. */
export class FieldError extends Error {
  readonly field: string;

  constructor(field: string, rule: string) {
    super(`${field} ${rule}`);
    this.name = 'FieldError';
    this.field = field;
  }
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
export const MAX_OFFSET = 1_000_000;
/** An export covers at most this many days. */
export const MAX_EXPORT_DAYS = 366;
const MAX_INVOICE_TEXT = 50;
const MAX_ID_LENGTH = 100;

/** What the list and the exports were asked for. */
export interface ConsoleQuery {
  /** The config node whose terminal (and journal) to show; all journals without it. */
  readonly node?: string;
  readonly history: HistoryQuery;
  /** The days asked for, as given (YYYY-MM-DD), for file names and answers. */
  readonly firstDay?: string;
  readonly lastDay?: string;
}

const LIST_PARAMETERS = ['node', 'day', 'from', 'to', 'action', 'outcome', 'invoice', 'offset', 'limit'];
const EXPORT_PARAMETERS = ['node', 'day', 'from', 'to', 'action', 'outcome', 'invoice'];
/** jQuery's cache buster (`cache: false`): allowed and ignored. */
const IGNORED = new Set(['_']);

/** Reads the list's query string: filters, offset (default 0) and limit (default 50). */
export function parseListQuery(raw: unknown): ConsoleQuery {
  const values = parameters(raw, LIST_PARAMETERS);
  const days = parseDays(values, false);
  const offset = parseCount(values.offset, 'offset', 0, MAX_OFFSET) ?? 0;
  const limit = parseCount(values.limit, 'limit', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE;
  return withFilters(values, days, { offset, limit });
}

/** Reads an export's query string: a day, or a range of days (from and to), and the same filters. */
export function parseExportQuery(raw: unknown): ConsoleQuery {
  const values = parameters(raw, EXPORT_PARAMETERS);
  return withFilters(values, parseDays(values, true), {});
}

function withFilters(values: Record<string, string | undefined>, days: Days, page: { offset?: number; limit?: number }): ConsoleQuery {
  const actions = parseList(values.action, 'action', ACTIONS);
  const states = parseList(values.outcome, 'outcome', ENTRY_STATES);
  const invoice = values.invoice;
  if (invoice !== undefined) {
    if (invoice.length === 0 || invoice.length > MAX_INVOICE_TEXT) throw new FieldError('invoice', `must be 1 to ${MAX_INVOICE_TEXT} characters, got ${invoice.length}`);
    if (!/^[\x20-\x7e]+$/.test(invoice)) throw new FieldError('invoice', 'must hold printable ASCII characters only, as invoices do');
  }
  const node = values.node;
  if (node !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(node)) throw new FieldError('node', 'must be the id of a mypos-terminal config node');
  return {
    ...(node !== undefined && { node }),
    history: {
      ...(days.from && { from: days.from }),
      ...(days.to && { to: days.to }),
      ...(actions && { actions }),
      ...(states && { states }),
      ...(invoice !== undefined && { invoice }),
      ...page,
    },
    ...(days.firstDay !== undefined && { firstDay: days.firstDay }),
    ...(days.lastDay !== undefined && { lastDay: days.lastDay }),
  };
}

/** The query string as single strings; an unknown parameter, or one given twice, is an error. */
function parameters(raw: unknown, known: readonly string[]): Record<string, string | undefined> {
  const values: Record<string, string | undefined> = {};
  if (typeof raw !== 'object' || raw === null) return values;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (IGNORED.has(name)) continue;
    // `action[x]=…`: Express 4 reads it as an object under `action`, Express 5 as a name of its own.
    const base = name.replace(/\[.*$/, '');
    if (base !== name && known.includes(base)) throw new FieldError(base, 'must be given once, as text (for several values, separate them with commas)');
    if (!known.includes(name)) throw new FieldError(printableName(name), `is not a parameter here; known: ${known.join(', ')}`);
    if (typeof value !== 'string') throw new FieldError(name, 'must be given once, as text (for several values, separate them with commas)');
    values[name] = value;
  }
  return values;
}

interface Days {
  from?: Date;
  to?: Date;
  firstDay?: string;
  lastDay?: string;
}

/** `day`, or `from` and/or `to` (both for an export): local days, `to` included. */
function parseDays(values: Record<string, string | undefined>, required: boolean): Days {
  const { day, from, to } = values;
  if (day !== undefined) {
    if (from !== undefined || to !== undefined) throw new FieldError('day', 'cannot be combined with from or to: give a day, or a range from … to');
    const start = parseDay(day, 'day');
    return { from: start, to: nextDay(start), firstDay: day, lastDay: day };
  }
  if (required && (from === undefined || to === undefined)) {
    throw new FieldError(from === undefined ? (to === undefined ? 'day' : 'from') : 'to', 'is needed: an export covers a day (day=YYYY-MM-DD) or a range of days (from=YYYY-MM-DD&to=YYYY-MM-DD)');
  }
  const start = from === undefined ? undefined : parseDay(from, 'from');
  const last = to === undefined ? undefined : parseDay(to, 'to');
  if (start && last && start.getTime() > last.getTime()) throw new FieldError('to', `must not be before from (${from})`);
  if (required && start && last) {
    const days = Math.round((nextDay(last).getTime() - start.getTime()) / 86_400_000);
    if (days > MAX_EXPORT_DAYS) throw new FieldError('to', `must be at most ${MAX_EXPORT_DAYS} days after from, got ${days} days`);
  }
  return {
    ...(start && { from: start }),
    ...(last && { to: nextDay(last) }),
    ...(from !== undefined && { firstDay: from }),
    ...(to !== undefined && { lastDay: to }),
  };
}

/** Local midnight at the start of YYYY-MM-DD. */
function parseDay(text: string, field: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new FieldError(field, `must be a date written YYYY-MM-DD, got "${printableValue(text)}"`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day);
  if (year < 2000 || year > 2999 || date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) {
    throw new FieldError(field, `is not a date of the calendar: ${text}`);
  }
  return date;
}

/** Local midnight of the next day (23 or 25 hours later on the days the clocks change). */
function nextDay(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1);
}

function parseCount(text: string | undefined, field: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,7}$/.test(text)) throw new FieldError(field, `must be a whole number from ${min} to ${max}, got "${printableValue(text)}"`);
  const value = Number(text);
  if (value < min || value > max) throw new FieldError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

function parseList<T extends string>(text: string | undefined, field: string, allowed: readonly T[]): T[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new FieldError(field, `must be one or more of ${allowed.join(', ')} (separated by commas), got "${printableValue(item)}"`);
  }
  return [...new Set(items)] as T[];
}

/** What POST …/journal/resolve takes; `by` is the logged-in user, never the body's. */
export interface ResolveBody {
  readonly id: string;
  readonly finding: Finding;
  readonly ref?: string;
  readonly note?: string;
}

const BODY_FIELDS = ['id', 'finding', 'ref', 'note'];

/**
 * Checks the body's fields and their types; the journal checks what the texts may hold. An empty
 * (or blank) ref or note counts as not given, as an empty field in a form does.
 */
export function parseResolveBody(body: unknown): ResolveBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FieldError('body', 'must be a JSON object { id, finding, ref?, note? }');
  const fields = body as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (name === 'by') throw new FieldError('by', 'is not taken from the request: the finding is recorded as the logged-in user');
    if (!BODY_FIELDS.includes(name)) throw new FieldError(printableName(name), `is not a field here; known: ${BODY_FIELDS.join(', ')}`);
  }
  const { id, finding, ref, note } = fields;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) throw new FieldError('id', `must be the id of a journal entry (text of 1 to ${MAX_ID_LENGTH} characters)`);
  if (typeof finding !== 'string' || !(FINDINGS as readonly string[]).includes(finding)) {
    throw new FieldError('finding', `must be one of ${FINDINGS.join(', ')}, got ${typeof finding === 'string' ? `"${printableValue(finding)}"` : typeof finding}`);
  }
  const optional = (value: unknown, field: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new FieldError(field, `must be text, got ${typeof value}`);
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const givenRef = optional(ref, 'ref');
  const givenNote = optional(note, 'note');
  return { id, finding: finding as Finding, ...(givenRef !== undefined && { ref: givenRef }), ...(givenNote !== undefined && { note: givenNote }) };
}

/**
 * A request as the console's endpoints answer with it: the journal's entry, its local time, and
 * its message in the runtime's language (as the node said it in msg.payload.message).
 */
export type ConsoleEntry = HistoryEntry & { readonly local: string };

export function consoleEntry(entry: HistoryEntry): ConsoleEntry {
  const message =
    entry.messageKey === undefined || entry.outcome === undefined || entry.outcome === 'ok'
      ? entry.message
      : failureMessage(explain(entry.messageKey, entry.messageParams ?? {}), entry.outcome, runtimeLanguage);
  return { ...entry, local: localTime(entry.begunAt), ...(message !== undefined && { message }) };
}

/** The host's time zone, as the answers name it. */
export function timeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * One page of the history of these journals, merged newest first. One journal (the usual case)
 * is asked for the page itself; several are each asked for the first offset + limit and merged.
 */
export function historyPage(journals: readonly Journal[], query: HistoryQuery): { total: number; entries: HistoryEntry[] } {
  if (journals.length === 1) return journals[0].history(query);
  const offset = query.offset ?? 0;
  const limit = query.limit ?? Infinity;
  const pages = journals.map((journal) => journal.history({ ...query, offset: 0, limit: offset + limit }));
  const merged = pages.flatMap((page) => page.entries).sort((a, b) => begun(b) - begun(a));
  return { total: pages.reduce((sum, page) => sum + page.total, 0), entries: merged.slice(offset, offset + limit) };
}

function begun(entry: HistoryEntry): number {
  return Date.parse(entry.begunAt) || 0;
}

/** The export's columns: the JSON entry's field names, `local` first. */
export const CSV_COLUMNS: readonly string[] = [
  'local',
  'action',
  'invoice',
  'amount',
  'state',
  'ref',
  'status',
  'statusText',
  'code',
  'message',
  'preauthcode',
  'terminal',
  'finding',
  'findingRef',
  'resolvedBy',
  'resolvedAt',
  'note',
  'acknowledgedAt',
  'lateAt',
  'begunAt',
  'endedAt',
  'outcome',
  'id',
];

/**
 * The entries as CSV (RFC 4180: a header row, comma-separated, CRLF line ends, a field quoted
 * when it holds a comma, quote, line break or space at either end, quotes doubled), preceded by
 * a UTF-8 byte order mark so that spreadsheet programs read names and notes with accents right.
 */
export function toCsv(entries: readonly HistoryEntry[]): string {
  const rows = [CSV_COLUMNS.map(csvField).join(',')];
  for (const entry of entries) {
    const cells: Record<string, unknown> = {
      ...consoleEntry(entry),
      finding: entry.resolution?.finding,
      findingRef: entry.resolution?.ref,
      resolvedBy: entry.resolution?.by,
      resolvedAt: entry.resolution?.at,
      note: entry.resolution?.note,
    };
    rows.push(CSV_COLUMNS.map((column) => csvField(cells[column])).join(','));
  }
  return `\ufeff${rows.join('\r\n')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = textOf(value);
  // Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage
  // return before one) as a formula. Invoices, refs, status texts and notes come from outside,
  // so such a cell gets a leading apostrophe and is shown as the text it is. (No amount or
  // number this package writes starts with one of these.)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The export's file name: `mypos-journal-2026-12-02.csv`, or `…-2026-12-01_2026-12-31.csv` for a range. */
export function exportFileName(query: ConsoleQuery, extension: 'csv' | 'json'): string {
  const days = query.firstDay === query.lastDay ? query.firstDay : `${query.firstDay}_${query.lastDay}`;
  return `mypos-journal-${days}.${extension}`;
}

function printableName(name: string): string {
  return printableValue(name).slice(0, 40);
}

function printableValue(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
