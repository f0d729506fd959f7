import { promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Journal, JournalEntry } from '../src/journal/journal';
import { explain, explainError } from '../src/protocol';
import { formatTime, say, terminalText } from './i18n';
import { describeRequestOf } from './statuses';

/**
 * Journals open in this Node-RED, one per file, shared by every config node that names it.
 * By default every terminal writes the one journal in the user directory, so an invoice paid on
 * one terminal cannot be paid again on another, and a config node deleted and made again (or a
 * flow imported twice) keeps the history. A config node with its own `journalPath` has its own.
 */

export const JOURNAL_FOLDER = 'mypos-journal';
export const JOURNAL_FILE = 'journal.jsonl';

/** A config node's hold on its journal; release() once, on close. */
export interface JournalUse {
  readonly journal: Journal;
  release(): Promise<void>;
}

/** Where this config node's messages about its journal go. */
export interface JournalLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

interface Shared {
  readonly journal: Journal;
  users: number;
}

const open = new Map<string, Shared>();

/** The journal file for a config node: its own `journalPath`, else the user directory's. */
export function journalPath(configured: unknown, userDir: string | undefined): string {
  if (typeof configured === 'string' && configured.trim() !== '') return path.resolve(configured.trim());
  return path.join(userDir ?? path.join(os.homedir(), '.node-red'), JOURNAL_FOLDER, JOURNAL_FILE);
}

/**
 * The journal for `file`, opened if no config node has it open yet. The first user's log hears
 * what opening found (repairs, damaged lines, requests left unresolved), once per opening.
 */
export function useJournal(file: string, userDir: string | undefined, log: JournalLog): JournalUse {
  let shared = open.get(file);
  if (!shared) {
    const defaultFolder = path.join(userDir ?? path.join(os.homedir(), '.node-red'), JOURNAL_FOLDER);
    const isDefault = file === path.join(defaultFolder, JOURNAL_FILE);
    if (isDefault) void fs.chmod(defaultFolder, 0o700).catch(() => undefined);
    const journal = new Journal(file, {
      owner: `Node-RED with user directory ${userDir ?? '(default)'}`,
      // Version 0.1 kept one file per config node in the same folder: merged into this one.
      ...(isDefault && { importFrom: legacyFiles(defaultFolder) }),
    });
    shared = { journal, users: 0 };
    open.set(file, shared);
    report(journal, log);
  }
  shared.users += 1;
  const entry = shared;
  let released = false;
  return {
    journal: entry.journal,
    async release() {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      if (open.get(file) === entry) open.delete(file);
      await entry.journal.close();
    },
  };
}

/** Every journal open in this runtime, for the admin endpoints. */
export function openJournals(): Journal[] {
  return [...open.values()].map((shared) => shared.journal);
}

function legacyFiles(folder: string): string[] {
  // Read at start-up, before any request: a short synchronous look is simpler than a race.
  try {
    const names = readdirSync(folder);
    return names.filter((name) => name.endsWith('.jsonl') && name !== JOURNAL_FILE).map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}

/**
 * What damaged a journal line, as the catalogs name it (`damage.<kind>` in mypos-terminal.json),
 * from the reason the journal gives (src/journal/record.ts, decodeLine; kept in the file as written).
 */
const DAMAGE_KINDS: Readonly<Record<string, string>> = {
  'checksum mismatch': 'changed',
  'not JSON': 'unreadable',
  'not a journal record': 'unreadable',
  'no checksum': 'unchecked',
  'version 1 with a checksum': 'unchecked',
};

export function damageKind(reason: string): string {
  return DAMAGE_KINDS[reason] ?? 'other';
}

/** A damaged line's damage in words, in the runtime's language. */
function damageWords(reason: string): string {
  return terminalText(`damage.${damageKind(reason)}`, { reason });
}

/** A request nobody knows the outcome of, for the log: what, when, where, why unknown, and what to do. */
function describeUnresolved(entry: JournalEntry): string {
  return terminalText(entry.outcome === undefined ? 'log.unresolvedNoEnd' : 'log.unresolvedUnknown', {
    request: describeRequestOf(entry),
    time: formatTime(entry.begunAt),
    // The journal names a terminal `tcp:192.168.1.20:51042`: shown as the settings write it.
    terminal: entry.terminal === undefined ? terminalText('log.unknownTerminal') : entry.terminal.replace(/^(tcp|serial):/, ''),
  });
}

function report(journal: Journal, log: JournalLog): void {
  journal.ready.then(
    () => {
      for (const note of journal.explainedNotes) log.warn(say(note));
      for (const line of journal.damaged) {
        log.error(terminalText('log.damagedLine', { file: line.file, line: line.line, offset: line.offset, damage: damageWords(line.reason), text: line.text }));
      }
      for (const entry of journal.unresolved) log.warn(describeUnresolved(entry));
    },
    (error: unknown) => log.error(terminalText('log.refusedUntilFixed', { problem: say(explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })) })),
  );
}
