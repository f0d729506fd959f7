import zlib from 'node:zlib';
import { ACTIONS, Action, MessageKey, MessageParam, readExplanation } from '../protocol';

/**
 * One line of the journal: a JSON object on one line, ending in a CRC-32 of the rest of the
 * line, so a line damaged anywhere in the file is found on load:
 *
 *   {"v":2,"at":"2026-12-02T10:15:00.000Z","id":"…","event":"begin","action":"pay","invoice":"A-1","amount":"12.50","c":"5d1f0a3e"}
 *
 * `c` is the CRC-32 (hex) of the line as it would read without `,"c":"…"`. Version 1 lines
 * (written before checksums) are read as they are.
 */

/** How a request ended, as far as the money is concerned. */
export type JournalOutcome = 'ok' | 'failed' | 'not-sent' | 'unknown';

/**
 * What an operator found on the terminal (or in the myPOS account) for a request whose outcome
 * nobody knew: it went through (`charged`) or it did not (`not-charged`). For a refund or a
 * pre-authorization's completion or cancellation, "charged" means it went through.
 */
export type Finding = 'charged' | 'not-charged';

export const FINDINGS: readonly Finding[] = ['charged', 'not-charged'];

export type JournalEvent =
  /** About to be sent: on disk before the first byte goes to the terminal. */
  | 'begin'
  /** How it ended. */
  | 'end'
  /** The answer to a request that had ended unknown arrived after all: its outcome now. */
  | 'late'
  /** An operator checked an unresolved request (without saying what was found), or a damaged line. */
  | 'acknowledged'
  /** An operator's finding for an unresolved request: `finding`, `by`, and `ref`, `note` if given. */
  | 'resolved'
  /** A line that failed its check on load, carried over by compaction until acknowledged. */
  | 'damaged';

export interface JournalRecord {
  readonly v: 1 | 2;
  /** ISO time of writing. */
  readonly at: string;
  /** The request (or damaged line) this line is about. */
  readonly id: string;
  readonly event: JournalEvent;
  readonly action?: Action;
  readonly invoice?: string;
  /** As sent on the wire (`12.50`): read back without knowing the decimals setting. */
  readonly amount?: string;
  readonly preauthcode?: string;
  /** Which terminal: `tcp:192.168.1.20:51042`, `serial:/dev/rfcomm0`. */
  readonly terminal?: string;
  readonly outcome?: JournalOutcome;
  readonly code?: string;
  readonly ref?: string;
  readonly status?: number | null;
  readonly statusText?: string | null;
  readonly message?: string;
  /** The message's key and values (see src/protocol/messages.ts), so it can be said in another language. */
  readonly messageKey?: MessageKey;
  readonly messageParams?: Readonly<Record<string, MessageParam>>;
  /** `end` written by compaction: when a late answer settled an unknown outcome. */
  readonly lateAt?: string;
  /** `resolved`: what the operator found, and who it was (`ref` is the ref they typed, if any). */
  readonly finding?: Finding;
  readonly by?: string;
  readonly note?: string;
  /** `damaged`: where the line was found, and what it held (printable, shortened). */
  readonly file?: string;
  readonly line?: number;
  readonly offset?: number;
  readonly text?: string;
}

export const JOURNAL_FORMAT_VERSION = 2;

const CHECKSUM = /,"c":"([0-9a-f]{8})"\}$/;
const OUTCOMES: readonly string[] = ['ok', 'failed', 'not-sent', 'unknown'];
const EVENTS: readonly string[] = ['begin', 'end', 'late', 'acknowledged', 'resolved', 'damaged'];

/** The line for a record, with its checksum and the newline. */
export function encodeRecord(record: JournalRecord): string {
  const body = JSON.stringify(record);
  return `${body.slice(0, -1)},"c":"${crc32Hex(body)}"}\n`;
}

export type DecodedLine =
  | { readonly kind: 'record'; readonly record: JournalRecord }
  /** Blank: nothing to read. */
  | { readonly kind: 'blank' }
  /** Failed its check; `record` is what could still be read from it, if anything. */
  | { readonly kind: 'damaged'; readonly reason: string; readonly record?: JournalRecord };

/** Reads one line (without its newline). Never throws. */
export function decodeLine(line: string): DecodedLine {
  if (line.trim() === '') return { kind: 'blank' };
  const sum = CHECKSUM.exec(line);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { kind: 'damaged', reason: 'not JSON' };
  }
  const record = validRecord(parsed);
  if (!record) return { kind: 'damaged', reason: 'not a journal record' };
  if (record.v === 1) return sum ? { kind: 'damaged', reason: 'version 1 with a checksum', record } : { kind: 'record', record };
  if (!sum) return { kind: 'damaged', reason: 'no checksum', record };
  if (crc32Hex(`${line.slice(0, sum.index)}}`) !== sum[1]) return { kind: 'damaged', reason: 'checksum mismatch', record };
  return { kind: 'record', record };
}

/** The record's fields that have the right types; undefined when it is not a record at all. */
function validRecord(value: unknown): JournalRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  if ((raw.v !== 1 && raw.v !== 2) || typeof raw.id !== 'string' || raw.id === '' || !EVENTS.includes(String(raw.event))) return undefined;
  const text = (key: string) => (typeof raw[key] === 'string' ? { [key]: raw[key] } : undefined);
  const count = (key: string) => (Number.isSafeInteger(raw[key]) ? { [key]: raw[key] as number } : undefined);
  const nullable = (key: string, type: 'string' | 'number') => (raw[key] === null || typeof raw[key] === type ? { [key]: raw[key] as string | number | null } : undefined);
  // Both or neither: a key whose values do not fit is dropped, and the English message stands.
  const why = readExplanation(raw.messageKey, raw.messageParams);
  return {
    v: raw.v,
    at: typeof raw.at === 'string' && !Number.isNaN(Date.parse(raw.at)) ? raw.at : new Date(0).toISOString(),
    id: raw.id,
    event: raw.event as JournalEvent,
    ...(ACTIONS.includes(raw.action as Action) && { action: raw.action as Action }),
    ...text('invoice'),
    ...text('amount'),
    ...text('preauthcode'),
    ...text('terminal'),
    ...(OUTCOMES.includes(raw.outcome as string) && { outcome: raw.outcome as JournalOutcome }),
    ...text('code'),
    ...text('ref'),
    ...nullable('status', 'number'),
    ...nullable('statusText', 'string'),
    ...text('message'),
    ...(why && { messageKey: why.key, messageParams: why.params }),
    ...text('lateAt'),
    ...(FINDINGS.includes(raw.finding as Finding) && { finding: raw.finding as Finding }),
    ...text('by'),
    ...text('note'),
    ...text('file'),
    ...count('line'),
    ...count('offset'),
    ...text('text'),
  };
}

function crc32Hex(text: string): string {
  return zlib.crc32(text).toString(16).padStart(8, '0');
}

/** A damaged line as it can be shown to a person: printable ASCII, at most `max` characters. */
export function printableExcerpt(bytes: Buffer, max = 200): string {
  const text = bytes.toString('utf8').replace(/[^\x20-\x7e]/g, '?');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
