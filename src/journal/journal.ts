import { randomUUID } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { Action, TerminalRequest, TransactionResult, parseAmount } from '../protocol';

/**
 * An append-only record of every request sent to one terminal, for reconciling by hand and for
 * refusing duplicates. A request is written and flushed to disk before its first byte goes to
 * the terminal; its end is appended when known. A request with a beginning and no end was sent
 * while the process died: its outcome is unknown until an operator checks the terminal.
 *
 * File format: one JSON object per line (JSON Lines), UTF-8. See JournalRecord.
 */

/** How a request ended, as far as the money is concerned. */
export type JournalOutcome = 'ok' | 'failed' | 'not-sent' | 'unknown';

export interface JournalRecord {
  /** Format version. */
  readonly v: 1;
  /** ISO time of writing. */
  readonly at: string;
  /** The transaction this line is about. */
  readonly id: string;
  /** `begin`: about to be sent. `end`: finished. `acknowledged`: an operator checked an unresolved one. */
  readonly event: 'begin' | 'end' | 'acknowledged';
  readonly action?: Action;
  readonly invoice?: string;
  readonly amount?: string;
  readonly preauthcode?: string;
  readonly outcome?: JournalOutcome;
  readonly code?: string;
  readonly ref?: string;
  readonly status?: number | null;
  readonly statusText?: string | null;
  readonly message?: string;
}

/** A request as the journal knows it. */
export interface JournalEntry {
  readonly id: string;
  readonly action: Action;
  readonly invoice?: string;
  readonly amount?: string;
  readonly preauthcode?: string;
  readonly begunAt: string;
  /** Undefined while the request has no end. */
  outcome?: JournalOutcome;
  ref?: string;
  endedAt?: string;
  acknowledged: boolean;
}

export interface JournalOptions {
  /** Compaction starts when the file grows past this. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Ended requests younger than this are kept on compaction, for duplicate protection. Default 31 days. */
  readonly retentionDays?: number;
  readonly now?: () => Date;
}

export interface Refusal {
  readonly code: 'DUPLICATE' | 'INVALID_INPUT';
  readonly message: string;
}

export const DEFAULT_JOURNAL_MAX_BYTES = 1024 * 1024;
/** myPOS cancels an uncompleted pre-authorization after 30 days; a day more covers clocks and zones. */
export const DEFAULT_RETENTION_DAYS = 31;
/** Entries written out between two turns of the event loop when compacting. */
const COMPACTION_BATCH = 500;

export class Journal {
  readonly path: string;
  /** Resolves when the file is loaded and open for appending; rejects when it cannot be. */
  readonly ready: Promise<void>;
  private readonly maxBytes: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;
  /** What is still needed: requests without an end, and those that block a repeat. */
  private readonly entries = new Map<string, JournalEntry>();
  /** Requests without an end (in flight here, or left open by a crash). */
  private readonly pending = new Map<string, JournalEntry>();
  /** Indexes into `entries`, so that checking a request does not scan months of them. By invoice, any action: */
  private readonly byInvoice = new Map<string, JournalEntry[]>();
  private readonly bySettledCode = new Map<string, JournalEntry[]>();
  private readonly preauthByRef = new Map<string, JournalEntry>();
  private readonly listeners = new Set<() => void>();
  /** Ids begun by this process and not ended yet: open requests, not crashed ones. */
  private readonly openHere = new Set<string>();
  private file: fs.FileHandle | undefined;
  private size = 0;
  private compactAt = 0;
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(file: string, options: JournalOptions = {}) {
    this.path = file;
    this.maxBytes = options.maxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
    this.retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 24 * 3600 * 1000;
    this.now = options.now ?? (() => new Date());
    this.ready = this.load();
    this.ready.catch(() => undefined); // callers see the failure when they await ready
  }

  /** Requests sent without a known end that no operator has acknowledged yet, oldest first. */
  get unresolved(): JournalEntry[] {
    return [...this.pending.values()].filter((entry) => !entry.acknowledged && !this.isOpenHere(entry));
  }

  /** Calls listener whenever the unresolved list may have changed; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Why a request must not be sent, if it must not: its invoice already ended OK or unknown for
   * the same action, its pre-authorization code was already completed or cancelled, or it would
   * complete more than was pre-authorized.
   */
  refusal(request: TerminalRequest, decimals: number, allowDuplicate = false): Refusal | undefined {
    if (!allowDuplicate && request.invoice !== undefined) {
      const same = latestBlocking(this.byInvoice.get(request.invoice), request.action);
      if (same) return duplicate(`invoice ${request.invoice}`, same);
    }
    if (request.preauthCode === undefined) return undefined;
    if (!allowDuplicate) {
      const settled = latestBlocking(this.bySettledCode.get(request.preauthCode));
      if (settled) return duplicate(`pre-authorization ${request.preauthCode}`, settled);
    }
    if (request.action === 'complete' && request.amount) {
      const original = this.preauthByRef.get(request.preauthCode);
      if (original?.amount !== undefined && request.amount.minor > parseAmount(original.amount, decimals).minor) {
        return {
          code: 'INVALID_INPUT',
          message: `The completion amount ${request.amount.text} is above the pre-authorized ${original.amount} (pre-authorization ${request.preauthCode}). Nothing was sent.`,
        };
      }
    }
    return undefined;
  }

  /** Records a request about to be sent, and flushes it to disk. Returns its id. */
  async begin(request: TerminalRequest): Promise<string> {
    await this.ready;
    const id = randomUUID();
    const record: JournalRecord = {
      v: 1,
      at: this.now().toISOString(),
      id,
      event: 'begin',
      action: request.action,
      ...(request.invoice !== undefined && { invoice: request.invoice }),
      ...(request.amount !== undefined && { amount: request.amount.text }),
      ...(request.preauthCode !== undefined && { preauthcode: request.preauthCode }),
    };
    this.apply(record);
    this.openHere.add(id);
    await this.append(record);
    return id;
  }

  /** Records how a request ended. Never rejects: the result is already on its way to the user. */
  async end(id: string, result: TransactionResult): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    const outcome: JournalOutcome = result.result === 'OK' ? 'ok' : result.outcome;
    const record: JournalRecord = {
      v: 1,
      at: this.now().toISOString(),
      id,
      event: 'end',
      action: entry.action,
      ...(entry.invoice !== undefined && { invoice: entry.invoice }),
      ...(entry.amount !== undefined && { amount: entry.amount }),
      ...(entry.preauthcode !== undefined && { preauthcode: entry.preauthcode }),
      outcome,
      ref: result.ref,
      ...(result.result === 'ERROR' && {
        code: result.code,
        status: result.status,
        statusText: result.statusText,
        message: result.message,
      }),
    };
    this.openHere.delete(id);
    this.apply(record);
    await this.append(record).catch(() => undefined);
  }

  /** Marks unresolved requests (all, or those with the given ids) as checked by an operator. */
  async acknowledge(ids?: readonly string[]): Promise<JournalEntry[]> {
    await this.ready;
    const chosen = this.unresolved.filter((entry) => ids === undefined || ids.includes(entry.id));
    for (const entry of chosen) {
      const record: JournalRecord = { v: 1, at: this.now().toISOString(), id: entry.id, event: 'acknowledged' };
      this.apply(record);
      await this.append(record);
    }
    this.changed();
    return chosen;
  }

  /**
   * Closes the file once every pending write is done, including the ends of requests that are
   * finishing as the flow stops (they reach the write queue a moment later).
   */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.ready.catch(() => undefined);
    let drained: Promise<void>;
    do {
      drained = this.writes;
      await drained;
      await new Promise((resolve) => setImmediate(resolve));
    } while (drained !== this.writes);
    this.closed = true;
    await this.file?.close();
    this.file = undefined;
  }

  private isOpenHere(entry: JournalEntry): boolean {
    return this.openHere.has(entry.id);
  }

  private async load(): Promise<void> {
    await fs.mkdir(path.dirname(this.path), { recursive: true });
    let text = '';
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // A power cut can leave the last line half written: drop it, or the next line would join it.
    const complete = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(0, complete).split('\n')) {
      const record = parseRecord(line);
      if (record) this.apply(record);
    }
    this.file = await openForAppend(this.path);
    if (complete < Buffer.byteLength(text)) await this.file.truncate(Buffer.byteLength(text.slice(0, complete)));
    this.size = Buffer.byteLength(text.slice(0, complete));
    this.compactAt = this.maxBytes;
    if (this.unresolved.length > 0) this.changed();
  }

  private apply(record: JournalRecord): void {
    if (record.event === 'begin' && record.action) {
      this.remember({
        id: record.id,
        action: record.action,
        ...(record.invoice !== undefined && { invoice: record.invoice }),
        ...(record.amount !== undefined && { amount: record.amount }),
        ...(record.preauthcode !== undefined && { preauthcode: record.preauthcode }),
        begunAt: record.at,
        acknowledged: false,
      });
      return;
    }
    const entry = this.entries.get(record.id);
    if (!entry) return;
    if (record.event === 'end') {
      const wasUnresolved = entry.outcome === undefined && !this.isOpenHere(entry);
      entry.outcome = record.outcome ?? 'unknown';
      if (record.ref !== undefined) entry.ref = record.ref;
      entry.endedAt = record.at;
      this.pending.delete(entry.id);
      // A declined or unsent request blocks nothing: only the file keeps it.
      if (!blocks(entry)) this.forget(entry);
      else if (entry.action === 'preauth' && entry.outcome === 'ok' && entry.ref) this.preauthByRef.set(entry.ref, entry);
      if (wasUnresolved) this.changed();
    } else if (record.event === 'acknowledged') {
      entry.acknowledged = true;
    }
  }

  private append(record: JournalRecord): Promise<void> {
    const write = this.writes.then(async () => {
      if (!this.file || this.closed) throw new Error('the journal is closed');
      const line = `${JSON.stringify(record)}\n`;
      await this.file.write(line);
      if (!constants.O_DSYNC) await this.file.datasync();
      this.size += Buffer.byteLength(line);
      if (this.size > this.compactAt) await this.compact();
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /**
   * Starts a new file holding what is still needed (requests without an end, and requests that
   * block a repeat and ended within the retention period); the old file is kept as `.1`.
   */
  private async compact(): Promise<void> {
    const cutoff = this.now().getTime() - this.retentionMs;
    const keep: JournalEntry[] = [];
    const drop: JournalEntry[] = [];
    for (const entry of this.entries.values()) {
      const needed = entry.outcome === undefined || Date.parse(entry.endedAt ?? entry.begunAt) >= cutoff;
      (needed ? keep : drop).push(entry);
    }
    let text = '';
    for (let i = 0; i < keep.length; i += 1) {
      for (const record of recordsFor(keep[i])) text += `${JSON.stringify(record)}\n`;
      // Months of entries take a while to write out: let payments go on meanwhile.
      if (i % COMPACTION_BATCH === COMPACTION_BATCH - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    const fresh = `${this.path}.new`;
    await fs.writeFile(fresh, text, { flush: true });
    await this.file?.close();
    await fs.rename(this.path, `${this.path}.1`);
    await fs.rename(fresh, this.path);
    this.file = await openForAppend(this.path);
    // Only what was decided above: a request begun while this ran is new, and stays.
    for (const entry of drop) this.forget(entry);
    this.size = Buffer.byteLength(text);
    this.compactAt = Math.max(this.maxBytes, this.size * 2);
  }

  private remember(entry: JournalEntry): void {
    this.entries.set(entry.id, entry);
    this.pending.set(entry.id, entry);
    if (entry.invoice !== undefined) addTo(this.byInvoice, entry.invoice, entry);
    if ((entry.action === 'complete' || entry.action === 'cancel') && entry.preauthcode !== undefined) addTo(this.bySettledCode, entry.preauthcode, entry);
  }

  private forget(entry: JournalEntry): void {
    this.entries.delete(entry.id);
    this.pending.delete(entry.id);
    if (entry.invoice !== undefined) removeFrom(this.byInvoice, entry.invoice, entry);
    if (entry.preauthcode !== undefined) removeFrom(this.bySettledCode, entry.preauthcode, entry);
    if (entry.ref !== undefined && this.preauthByRef.get(entry.ref) === entry) this.preauthByRef.delete(entry.ref);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

function addTo(index: Map<string, JournalEntry[]>, key: string, entry: JournalEntry): void {
  const list = index.get(key);
  if (list) list.push(entry);
  else index.set(key, [entry]);
}

function removeFrom(index: Map<string, JournalEntry[]>, key: string, entry: JournalEntry): void {
  const list = index.get(key);
  const at = list?.indexOf(entry) ?? -1;
  if (!list || at === -1) return;
  list.splice(at, 1);
  if (list.length === 0) index.delete(key);
}

function latestBlocking(list: readonly JournalEntry[] = [], action?: Action): JournalEntry | undefined {
  for (let i = list.length - 1; i >= 0; i -= 1) if (blocks(list[i]) && (action === undefined || list[i].action === action)) return list[i];
  return undefined;
}

/** Ended OK or unknown, or not ended at all: sending the same again could charge twice. */
function blocks(entry: JournalEntry): boolean {
  return entry.outcome === undefined || entry.outcome === 'ok' || entry.outcome === 'unknown';
}

function duplicate(what: string, earlier: JournalEntry): Refusal {
  const when = earlier.endedAt ?? earlier.begunAt;
  const how = earlier.outcome === 'ok' ? 'went through' : earlier.outcome === undefined ? 'has no known end' : 'ended with an unknown outcome';
  return {
    code: 'DUPLICATE',
    message: `A ${earlier.action} for ${what} already ${how} (${when}). Nothing was sent; set msg.allowDuplicate to true to send it anyway.`,
  };
}

/**
 * Where the system has O_DSYNC, each write returns once it is on disk: one trip to the thread
 * pool per line instead of two (write, then fdatasync). Elsewhere append() flushes itself.
 */
function openForAppend(file: string): Promise<fs.FileHandle> {
  const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = constants;
  return fs.open(file, O_DSYNC ? O_WRONLY | O_APPEND | O_CREAT | O_DSYNC : 'a');
}

function parseRecord(line: string): JournalRecord | undefined {
  if (line.trim() === '') return undefined;
  try {
    const record = JSON.parse(line) as JournalRecord;
    return record && record.v === 1 && typeof record.id === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The lines that rebuild an entry on compaction. */
function recordsFor(entry: JournalEntry): JournalRecord[] {
  const base = {
    v: 1 as const,
    id: entry.id,
    action: entry.action,
    ...(entry.invoice !== undefined && { invoice: entry.invoice }),
    ...(entry.amount !== undefined && { amount: entry.amount }),
    ...(entry.preauthcode !== undefined && { preauthcode: entry.preauthcode }),
  };
  const records: JournalRecord[] = [{ ...base, at: entry.begunAt, event: 'begin' }];
  if (entry.outcome !== undefined) {
    records.push({ ...base, at: entry.endedAt ?? entry.begunAt, event: 'end', outcome: entry.outcome, ...(entry.ref !== undefined && { ref: entry.ref }) });
  }
  if (entry.acknowledged) records.push({ v: 1, at: entry.begunAt, id: entry.id, event: 'acknowledged' });
  return records;
}
