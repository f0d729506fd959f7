// Real journal files for the journal's tests: a fresh one in its own temporary folder, and its lines as read back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JournalRecord } from '../../src/journal/record';

/** A journal path in a new temporary folder (remove the folder, path.dirname(file), when done). */
export function tempJournalFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-journal-'));
  return path.join(dir, 'terminal.jsonl');
}

/** The journal's lines, parsed (each is a JournalRecord as the journal wrote it, its checksum aside). */
export function journalLines(file: string): JournalRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalRecord);
}
