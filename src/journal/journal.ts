import { randomUUID } from 'node:crypto';
import {
  Action,
  Explanation,
  MessageKey,
  MessageParam,
  TerminalRequest,
  TransactionResult,
  compareAmounts,
  errorText,
  explain,
  explainError,
  failureMessage,
  parseReference,
  render,
} from '../protocol';
import { describeType, printable } from '../protocol/amount';
import { JournalFileSystem, nodeFileSystem } from './file-system';
import { DamagedLine, JournalContent, JournalFile, JournalUnavailableError, LoadedJournal, PendingLine } from './journal-file';
import { FINDINGS, Finding, JOURNAL_FORMAT_VERSION, JournalOutcome, JournalRecord, encodeRecord } from './record';
import { Timeline, TimelineSlot } from './timeline';
import { StepForTests, replaceStepOf } from '../test-seams';

export type { Finding, JournalOutcome, JournalRecord } from './record';
export { FINDINGS } from './record';
export { JournalUnavailableError } from './journal-file';
export { JournalLockedError } from './lock';

/**
 * The record of every request sent to the terminals, for refusing duplicates and for
 * reconciling by hand. A request is on disk before its first byte goes to a terminal; its end
 * is appended when known. A request with a beginning and no end was sent while the process
 * died: its outcome is unknown until an operator checks the terminal.
 *
 * An operator settles such a request with a finding (resolve: "charged" or "not charged"), or
 * with an acknowledgement, which is a resolution without a finding.
 *
 * This file holds the rules (what blocks a repeat, what is unresolved, what an operator's
 * finding changes) and the history the console reads; journal-file.ts holds the file (whole
 * lines, checksums, time limits, the lock, compaction, recovery).
 */

/** A request as the journal knows it. */
export interface JournalEntry {
  readonly id: string;
  readonly action: Action;
  readonly invoice?: string;
  /** As sent, e.g. `12.50`. */
  readonly amount?: string;
  readonly preauthcode?: string;
  /** Which terminal: `tcp:192.168.1.20:51042`, `serial:/dev/rfcomm0`. */
  readonly terminal?: string;
  readonly begunAt: string;
  /** Undefined while the request has no end. */
  outcome?: JournalOutcome;
  ref?: string;
  endedAt?: string;
  code?: string;
  status?: number | null;
  statusText?: string | null;
  message?: string;
  /** The message's key and values, to say it in another language (see src/protocol/messages.ts). */
  messageKey?: MessageKey;
  messageParams?: Readonly<Record<string, MessageParam>>;
  /** When a late answer settled an unknown outcome; `outcome` is then what it said. */
  lateAt?: string;
  /** An operator took it off the unresolved list without a finding (see acknowledge). */
  acknowledged: boolean;
  acknowledgedAt?: string;
  /** An operator's finding (see resolve). */
  resolution?: Resolution;
}

/** An operator's finding for a request whose outcome nobody knew, as the journal holds it. */
export interface Resolution {
  readonly finding: Finding;
  /** The ref the operator read on the terminal or in the myPOS account, if they typed it. */
  readonly ref?: string;
  /** Who: the Node-RED user, or `anonymous` without adminAuth. */
  readonly by: string;
  readonly note?: string;
  /** When it was recorded (ISO). */
  readonly at: string;
}

/** What resolve() takes. */
export interface ResolveInput {
  readonly finding: Finding;
  /** For "charged" only: 1 to 50 printable ASCII characters, as a terminal's ref. */
  readonly ref?: string;
  /** 1 to 100 characters. */
  readonly by: string;
  /** 1 to 500 characters. */
  readonly note?: string;
}

/**
 * Where a request stands, as the console shows it:
 * - `in-progress`: sent by this process, not ended yet;
 * - `approved`, `declined` (the terminal said no: declined, cancelled, failed), `not-sent`;
 * - `unknown`: nobody knows how it ended (it ended unknown, or Node-RED stopped before it
 *   ended) and no operator has settled it: it needs a person;
 * - `charged`, `not-charged`: an operator's finding settled it;
 * - `acknowledged`: an operator took it off the list without a finding;
 * - `late-approved`, `late-declined`: an answer that came after the request had ended unknown
 *   settled it (it wins over an operator's finding made before it came).
 */
export type EntryState = 'in-progress' | 'approved' | 'declined' | 'not-sent' | 'unknown' | 'charged' | 'not-charged' | 'acknowledged' | 'late-approved' | 'late-declined';

export const ENTRY_STATES: readonly EntryState[] = ['in-progress', 'approved', 'declined', 'not-sent', 'unknown', 'charged', 'not-charged', 'acknowledged', 'late-approved', 'late-declined'];

/** A request as the console lists it: a copy, with where it stands. */
export interface HistoryEntry extends JournalEntry {
  readonly state: EntryState;
  /** True for `unknown`: a person must check the terminal. */
  readonly needsAttention: boolean;
}

export interface HistoryQuery {
  /** Begun at or after this time. */
  readonly from?: Date;
  /** Begun before this time. */
  readonly to?: Date;
  readonly actions?: readonly Action[];
  readonly states?: readonly EntryState[];
  /** Part of the invoice, in any case. */
  readonly invoice?: string;
  /** Only this terminal's requests (as the client describes it), and those recorded without one. */
  readonly terminal?: string;
  /** Matching requests to skip, newest first. Default 0. */
  readonly offset?: number;
  /** At most this many. Default: all. */
  readonly limit?: number;
}

export interface HistoryPage {
  /** How many requests match, in all. */
  readonly total: number;
  /** Newest first: those from `offset`, at most `limit`. */
  readonly entries: HistoryEntry[];
}

/** Why resolve() would not record a finding. */
export class ResolveError extends Error {
  readonly code: 'INVALID_INPUT' | 'NOT_FOUND' | 'ALREADY_RESOLVED' | 'NOT_NEEDED';
  /** For INVALID_INPUT: which of the input's fields. */
  readonly field?: string;

  constructor(code: ResolveError['code'], message: string, field?: string) {
    super(message);
    this.name = 'ResolveError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

export const MAX_RESOLVED_BY_LENGTH = 100;
export const MAX_NOTE_LENGTH = 500;

/** A line of the journal that failed its check on load (see DamagedLine): someone must look at it. */
export interface DamagedEntry extends Omit<DamagedLine, 'record'> {
  readonly foundAt: string;
  acknowledged: boolean;
}

export interface JournalOptions {
  /** Compaction starts when the file grows past this. Default 1 MiB. */
  readonly maxBytes?: number;
  /**
   * Ended requests younger than this are kept on compaction, for duplicate protection and the
   * console's history; older ones leave the file and memory then. Default 31 days.
   */
  readonly retentionDays?: number;
  readonly now?: () => Date;
  /** Time limit for each file operation: a hung disk gives JOURNAL errors, not a hang. Default 5 s. */
  readonly ioTimeoutMs?: number;
  /** How this writer names itself to a second one that finds the file locked. */
  readonly owner?: string;
  /** Journal files of an earlier layout to merge into this one, then rename to `<file>.imported`. */
  readonly importFrom?: readonly string[];
  /** The file operations, for fault-injection tests. Default: the real file system. */
  readonly fs?: JournalFileSystem;
}

export interface Refusal {
  readonly code: 'DUPLICATE' | 'INVALID_INPUT' | 'JOURNAL';
  /** Why, in any language (see src/protocol/messages.ts). */
  readonly why: Explanation;
  /** Why, in English, ending with "Nothing was sent." */
  readonly message: string;
}

function refuse(code: Refusal['code'], why: Explanation): Refusal {
  return { code, why, message: failureMessage(why, 'not-sent') };
}

export interface BeginOptions {
  /** Send even when the journal knows the invoice or code was already used. */
  readonly allowDuplicate?: boolean;
  /** Which terminal the request goes to, for the record. */
  readonly terminal?: string;
}

export type BeginResult = { readonly id: string; readonly refusal?: undefined } | { readonly id?: undefined; readonly refusal: Refusal };

/**
 * TEST-ONLY SEAM (issue #14), not for production callers: the steps of a journal that
 * test/robustness-steps.test.ts makes fail, through Journal.replaceStepForTests.
 */
export type JournalStepForTests = 'whenUsable' | 'refusal' | 'begin' | 'end' | 'late';

export const DEFAULT_JOURNAL_MAX_BYTES = 1024 * 1024;
/** myPOS cancels an uncompleted pre-authorization after 30 days; a day more covers clocks and zones. */
export const DEFAULT_RETENTION_DAYS = 31;
/**
 * After a failed open, the next request tries again, at most this often. Exported from this
 * module (not from the package's index) for test/journal-processes.test.ts, which waits it out.
 */
export const REOPEN_AFTER_MS = 5_000;
/** Entries encoded between two turns of the event loop when a new generation is written. */
const SNAPSHOT_BATCH = 2_000;

/** What the journal remembers of a request beyond what it shows: which of its lines are durable. */
interface Tracked {
  readonly entry: JournalEntry;
  /** Sequence numbers of its durable lines (0: read from the file); undefined while unwritten. */
  begin: PendingLine;
  end?: PendingLine;
  acknowledgement?: PendingLine;
  resolution?: PendingLine;
  /** An acknowledgement or a finding is being written: no second one meanwhile. */
  deciding?: boolean;
  /** Begun by this process and not ended yet: in flight, not left open by a crash. */
  openHere: boolean;
  /** Its place in the history. */
  slot?: TimelineSlot<Tracked>;
}

interface TrackedDamage {
  readonly entry: DamagedEntry;
  acknowledgement?: PendingLine;
  acknowledgedAt?: string;
}

const ON_DISK: PendingLine = Object.freeze({ text: '', seq: 0 });

export class Journal implements JournalContent {
  /** The path as given; `file` has the real one once open. */
  readonly path: string;
  private readonly options: JournalOptions;
  private readonly maxBytes: number;
  private readonly retentionMs: number;
  /** The journal's clock; replaced only through setClockForTests. */
  private now: () => Date;
  private file: JournalFile | undefined;
  private opening: Promise<void>;
  private failedAt = -Infinity;
  private closed = false;
  private compactAt: number;
  /**
   * Every request within the retention period (and every one without an end), whatever its
   * outcome: the duplicate rules look at those that block a repeat, the console at all of them.
   */
  private readonly entries = new Map<string, Tracked>();
  /** The same, in the order they were begun, for the console. */
  private readonly timeline = new Timeline<Tracked>();
  private readonly damage = new Map<string, TrackedDamage>();
  /** Indexes into `entries`, so that checking a request does not scan months of them. */
  private readonly byInvoice = new Map<string, Tracked[]>();
  private readonly bySettledCode = new Map<string, Tracked[]>();
  private readonly preauthByRef = new Map<string, Tracked>();
  /** What needs a person (see unresolved), kept apart so that listing it costs nothing. */
  private readonly attention = new AttentionList();
  /** End lines that could not be written yet (a full disk): written with the next line that can be. */
  private readonly unwritten: PendingLine[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly historyListeners = new Set<() => void>();
  /** What start-up repaired or found, for the log (in any language: see src/protocol/messages.ts). */
  readonly explainedNotes: Explanation[] = [];

  constructor(file: string, options: JournalOptions = {}) {
    this.path = file;
    this.options = options;
    this.maxBytes = options.maxBytes ?? DEFAULT_JOURNAL_MAX_BYTES;
    this.retentionMs = (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * 24 * 3600 * 1000;
    this.now = options.now ?? (() => new Date());
    this.compactAt = this.maxBytes;
    this.opening = this.open();
    this.opening.catch(() => undefined); // callers see the failure when they await ready
  }

  /** What start-up repaired or found, in English. */
  get notes(): string[] {
    return this.explainedNotes.map((note) => render(note));
  }

  /** Resolves when the file is loaded and open for appending; rejects when it cannot be (the last attempt). */
  get ready(): Promise<void> {
    return this.opening;
  }

  /**
   * Resolves when the journal can take a request: open now, or opened again after an earlier
   * failure (at most every 5 s). Rejects saying why it cannot.
   */
  async whenUsable(): Promise<void> {
    await this.usableFile();
  }

  /**
   * Requests whose outcome nobody knows, that no operator has acknowledged yet, oldest first:
   * those that ended with an unknown outcome (and no late answer settled since), and those sent
   * without a known end (Node-RED stopped before the terminal answered).
   */
  get unresolved(): JournalEntry[] {
    return [...this.attention].map((tracked) => tracked.entry);
  }

  /**
   * The unresolved requests of one terminal (as TerminalClient describes it), and those recorded
   * without a terminal by an older version. Costs what that terminal has, not the whole journal:
   * every node of every terminal asks each time the list changes.
   */
  unresolvedAt(terminal: string): JournalEntry[] {
    return this.attention.at(terminal).map((tracked) => tracked.entry);
  }

  /** Damaged lines found on load that no operator has acknowledged yet. */
  get damaged(): DamagedEntry[] {
    return [...this.damage.values()].filter((tracked) => !tracked.entry.acknowledged).map((tracked) => tracked.entry);
  }

  /** Calls listener whenever the unresolved or damaged lists may have changed; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: how many onChange listeners are
   * registered, so that test/console-api.test.ts can show that a stopped config node removed its
   * own, and test/faults-node-red.test.ts that redeploying action nodes leaves a shared journal
   * with the listeners it had. Nothing in the package calls it.
   */
  changeListenerCountForTests(): number {
    return this.listeners.size;
  }

  /**
   * Calls listener whenever the history may have changed: a request begun or ended, a late
   * answer, an acknowledgement or a finding, records merged from another file. For the operator
   * console, which only learns that it should read again. Returns the function that stops it.
   */
  onHistory(listener: () => void): () => void {
    this.historyListeners.add(listener);
    return () => this.historyListeners.delete(listener);
  }

  /**
   * Why a request must not be sent, if it must not: its invoice already ended OK or unknown (or
   * has no end) for the same action, its pre-authorization code was already completed or
   * cancelled, or it would complete more than was pre-authorized. Never throws.
   */
  refusal(request: TerminalRequest, allowDuplicate = false): Refusal | undefined {
    try {
      return this.check(request, allowDuplicate);
    } catch (error) {
      return refuse('JOURNAL', explain('journal.checkFailed', { detail: errorText(error) }));
    }
  }

  /**
   * Checks the request (as refusal() does) and, if it may go, records it and flushes it to
   * disk. The check and the reservation happen at once, so two terminals sharing this journal
   * can never both send the same invoice. Rejects when the record could not be written whole:
   * the request must then not be sent.
   */
  async begin(request: TerminalRequest, options: BeginOptions = {}): Promise<BeginResult> {
    const file = await this.usableFile();
    const refusal = this.refusal(request, options.allowDuplicate);
    if (refusal) return { refusal };
    const entry: JournalEntry = {
      id: randomUUID(),
      action: request.action,
      ...(request.invoice !== undefined && { invoice: request.invoice }),
      ...(request.amount !== undefined && { amount: request.amount.text }),
      ...(request.preauthCode !== undefined && { preauthcode: request.preauthCode }),
      ...(options.terminal !== undefined && { terminal: options.terminal }),
      begunAt: this.now().toISOString(),
      acknowledged: false,
    };
    const line: PendingLine = { text: encodeRecord(beginRecord(entry)), verify: true };
    const tracked: Tracked = { entry, begin: line, openHere: true };
    this.remember(tracked, true);
    this.retryUnwritten(file);
    try {
      await file.append(line);
    } catch (error) {
      // Not written, so not sent: it blocks nothing.
      this.forget(tracked);
      throw error;
    }
    tracked.begin = durable(line);
    this.afterWrite(file);
    this.historyChanged();
    return { id: entry.id };
  }

  /** Records how a request ended. Never rejects: the result is already on its way to the user. */
  async end(id: string, result: TransactionResult): Promise<void> {
    const tracked = this.entries.get(id);
    if (!tracked || tracked.end) return;
    this.settle(tracked, result);
    tracked.openHere = false;
    const line: PendingLine = { text: encodeRecord(endRecord(tracked.entry)) };
    tracked.end = line;
    this.settled(tracked);
    await this.write(line, () => {
      if (tracked.end === line) tracked.end = durable(line);
    });
  }

  /**
   * Records the answer to a request that ended with an unknown outcome, as it arrived later:
   * the outcome is now known, and what it said counts (a late decline frees the invoice).
   * Ignored for a request that did not end unknown. Never rejects.
   */
  async late(id: string, result: TransactionResult): Promise<void> {
    const tracked = this.entries.get(id);
    if (tracked?.entry.outcome !== 'unknown') return;
    this.settle(tracked, result);
    tracked.entry.lateAt = tracked.entry.endedAt;
    const line: PendingLine = { text: encodeRecord({ ...endRecord(tracked.entry), event: 'late' }) };
    tracked.end = line;
    this.settled(tracked);
    await this.write(line, () => {
      if (tracked.end === line) tracked.end = durable(line);
    });
  }

  /** An end or late line: written now if it can be, else with the next line that can be. */
  private async write(line: PendingLine, written: () => void): Promise<void> {
    const file = this.file;
    if (!file) {
      this.unwritten.push(line);
      return;
    }
    try {
      await file.append(line);
      written();
      this.afterWrite(file);
    } catch {
      // Until it is written, a restart lists the request as unresolved: the safe side.
      this.unwritten.push(line);
    }
  }

  /** Puts what a result says into the entry. */
  private settle(tracked: Tracked, result: TransactionResult): void {
    const { entry } = tracked;
    entry.outcome = result.result === 'OK' ? 'ok' : result.outcome;
    entry.ref = result.ref;
    entry.endedAt = this.now().toISOString();
    if (result.result === 'ERROR') {
      entry.code = result.code;
      entry.status = result.status;
      entry.statusText = result.statusText;
      entry.message = result.message;
      entry.messageKey = result.messageKey;
      entry.messageParams = result.messageParams;
    } else {
      forgetFailure(entry);
    }
  }

  /**
   * Marks unresolved requests and damaged lines (all, or those with the given ids) as checked
   * by an operator, durably. Resolves with what was acknowledged.
   *
   * For a request this is a resolution without a finding: it leaves the unresolved list, its
   * invoice (or code) stays protected as its outcome is still unknown, and no finding can follow
   * (resolve() says it was acknowledged). An operator who knows what happened uses resolve().
   */
  async acknowledge(ids?: readonly string[]): Promise<(JournalEntry | DamagedEntry)[]> {
    const file = await this.usableFile();
    const wanted = (id: string) => ids === undefined || ids.includes(id);
    const chosen: (Tracked | TrackedDamage)[] = [
      ...[...this.attention].filter((t) => !t.deciding && wanted(t.entry.id)),
      ...[...this.damage.values()].filter((t) => !t.entry.acknowledged && wanted(t.entry.id)),
    ];
    const at = this.now().toISOString();
    const writes = chosen.map(async (tracked) => {
      const line: PendingLine = { text: encodeRecord({ v: JOURNAL_FORMAT_VERSION, at, id: tracked.entry.id, event: 'acknowledged' }) };
      if ('openHere' in tracked) tracked.deciding = true;
      try {
        await file.append(line);
      } finally {
        if ('openHere' in tracked) tracked.deciding = false;
      }
      tracked.acknowledgement = durable(line);
      tracked.entry.acknowledged = true;
      if ('openHere' in tracked) {
        tracked.entry.acknowledgedAt = at;
        this.attention.delete(tracked);
      } else {
        tracked.acknowledgedAt = at;
      }
    });
    const outcomes = await Promise.allSettled(writes);
    if (chosen.length > 0) this.changed();
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    return chosen.map((tracked) => tracked.entry);
  }

  /**
   * Records an operator's finding for a request that needs a person (see unresolved): one line,
   * `resolved`, with the finding, who and when, flushed before this resolves. The request leaves
   * the unresolved list. "not-charged" lifts its duplicate protection: the same invoice (or
   * pre-authorization code, for a completion or cancellation) can be sent again without
   * allowDuplicate. "charged" keeps it; for a pre-authorization, the ref given is its code, and
   * a completion is checked against its amount.
   *
   * Rejects with a ResolveError for input that breaks a rule (naming the field), an id the
   * journal does not hold, a request already resolved or acknowledged, and a request that needs
   * no person (in progress, or ended with a known outcome, a late answer included); with the
   * journal's error when the line could not be written (nothing is changed then).
   */
  async resolve(id: string, input: ResolveInput): Promise<HistoryEntry> {
    const checked = checkResolution(input);
    const file = await this.usableFile();
    const tracked = this.entries.get(id);
    if (!tracked) {
      if (this.damage.has(id)) throw new ResolveError('NOT_NEEDED', `${id} is a damaged journal line, not a request: acknowledge it once checked`);
      throw new ResolveError('NOT_FOUND', `the journal ${this.path} holds no request with the id ${printable(id, 60)}`);
    }
    refuseDecision(tracked);
    const resolution: Resolution = {
      finding: checked.finding,
      ...(checked.ref !== undefined && { ref: checked.ref }),
      by: checked.by,
      ...(checked.note !== undefined && { note: checked.note }),
      at: this.now().toISOString(),
    };
    // Verified like a begin: a finding that lifts duplicate protection must not count in a file that is no longer the journal.
    const line: PendingLine = { text: encodeRecord(resolvedRecord(tracked.entry, resolution)), verify: true };
    tracked.deciding = true;
    try {
      await file.append(line);
    } finally {
      tracked.deciding = false;
    }
    this.decide(tracked, resolution, durable(line));
    this.changed();
    return view(tracked);
  }

  /**
   * The requests the journal holds, newest first (by when they were begun), filtered, a page at
   * a time. Costs what the time range holds (a day is found by binary search), never a sort.
   */
  history(query: HistoryQuery = {}): HistoryPage {
    const from = query.from?.getTime() ?? -Infinity;
    const to = query.to?.getTime() ?? Infinity;
    const actions = query.actions && new Set<string>(query.actions);
    const states = query.states && new Set<string>(query.states);
    const needle = query.invoice?.toLowerCase();
    const terminal = query.terminal;
    const offset = query.offset ?? 0;
    const limit = query.limit ?? Infinity;
    const entries: HistoryEntry[] = [];
    let total = 0;
    this.timeline.scan(from, to, (tracked) => {
      const { entry } = tracked;
      if (actions && !actions.has(entry.action)) return;
      if (terminal !== undefined && entry.terminal !== undefined && entry.terminal !== terminal) return;
      if (needle !== undefined && !entry.invoice?.toLowerCase().includes(needle)) return;
      if (states && !states.has(stateOf(tracked))) return;
      total += 1;
      if (total > offset && entries.length < limit) entries.push(view(tracked));
    });
    return { total, entries };
  }

  /** A request the journal holds, as the console lists it. */
  find(id: string): HistoryEntry | undefined {
    const tracked = this.entries.get(id);
    return tracked && view(tracked);
  }

  /** When the oldest request the journal holds was begun: how far back the history goes. */
  get oldest(): string | undefined {
    return this.timeline.oldest()?.entry.begunAt;
  }

  /** How many requests the journal holds. */
  get size(): number {
    return this.entries.size;
  }

  /** Ended requests are held this long (and until the next compaction after that). */
  get retentionDays(): number {
    return this.retentionMs / (24 * 3600 * 1000);
  }

  /** Puts a durable finding into the entry: off the unresolved list, and what it means for duplicates. */
  private decide(tracked: Tracked, resolution: Resolution, line: PendingLine): void {
    const { entry } = tracked;
    entry.resolution = resolution;
    tracked.resolution = line;
    this.attention.delete(tracked);
    // A pre-authorization found charged: the ref the operator read is its code.
    if (entry.action === 'preauth' && resolution.finding === 'charged' && resolution.ref !== undefined) this.preauthByRef.set(resolution.ref, tracked);
  }

  /**
   * Closes the file once pending writes are done (the ends of requests that are finishing as
   * the flow stops reach it a moment later), within a bounded time.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.historyListeners.clear();
    await this.opening.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.file) this.retryUnwritten(this.file);
    await this.file?.close();
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: compacts the file now, as a write past
   * `maxBytes` does on its own, and resolves whether it ran. The tests need a compaction at a fixed,
   * awaited point (the crash-consistency workload injects a fault at each of its operations).
   */
  compactNowForTests(): Promise<boolean> {
    return this.file?.compact() ?? Promise.resolve(false);
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: replaces the journal's clock from now
   * on (the `now` option, for a journal a Node-RED config node made). The benchmark's endurance
   * section moves it past the retention period to show what memory the journal gives back.
   */
  setClockForTests(now: () => Date): void {
    this.now = now;
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: test/robustness-steps.test.ts makes
   * these steps fail, in turn, on the journal of a running config node, to show that every
   * request still ends with exactly one result. Puts what `replace` makes of the step (it is
   * handed the step itself, for this journal) in its place on this journal; returns the undo.
   */
  replaceStepForTests(step: JournalStepForTests, replace: (original: StepForTests) => StepForTests): () => void {
    return replaceStepOf(this, step, replace);
  }

  /** JournalContent: every durable line up to `cut` of what is still needed, oldest first. */
  async snapshot(cut: number): Promise<string[]> {
    const lines: string[] = [];
    const cutoff = this.now().getTime() - this.retentionMs;
    let count = 0;
    for (const tracked of this.entries.values()) {
      if (++count % SNAPSHOT_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      if (!this.entries.has(tracked.entry.id)) continue;
      const { entry } = tracked;
      // A request left open that an operator found charged or not ages from the finding.
      const over = entry.endedAt ?? entry.resolution?.at;
      if (over !== undefined && Date.parse(over) < cutoff) {
        this.forget(tracked);
        continue;
      }
      if (!upTo(tracked.begin, cut)) continue;
      lines.push(encodeRecord(beginRecord(entry)));
      if (tracked.end && upTo(tracked.end, cut)) lines.push(encodeRecord(endRecord(entry)));
      if (tracked.acknowledgement && upTo(tracked.acknowledgement, cut)) {
        lines.push(encodeRecord({ v: JOURNAL_FORMAT_VERSION, at: entry.acknowledgedAt ?? entry.begunAt, id: entry.id, event: 'acknowledged' }));
      }
      // The operator's finding as it was written: the same time, person, finding, ref and note.
      if (tracked.resolution && entry.resolution && upTo(tracked.resolution, cut)) lines.push(encodeRecord(resolvedRecord(entry, entry.resolution)));
    }
    for (const tracked of this.damage.values()) {
      // An acknowledged damaged line is done with; until then it is carried over.
      if (tracked.acknowledgement && upTo(tracked.acknowledgement, cut)) continue;
      const { entry } = tracked;
      lines.push(
        encodeRecord({
          v: JOURNAL_FORMAT_VERSION,
          at: entry.foundAt,
          id: entry.id,
          event: 'damaged',
          file: entry.file,
          line: entry.line,
          offset: entry.offset,
          text: entry.text,
          message: entry.reason,
        }),
      );
    }
    return lines;
  }

  /** JournalContent: records found in a file that took the journal's place; merged as if read on load. */
  adopt(records: readonly JournalRecord[]): void {
    for (const record of records) this.apply(record);
    this.changed();
  }

  private async open(): Promise<void> {
    const { file, loaded } = await JournalFile.open(this.path, {
      ...(this.options.fs && { fs: this.options.fs }),
      ...(this.options.ioTimeoutMs !== undefined && { ioTimeoutMs: this.options.ioTimeoutMs }),
      ...(this.options.owner !== undefined && { owner: this.options.owner }),
    });
    if (this.closed) {
      await file.close();
      throw new JournalUnavailableError('the journal was closed while it opened');
    }
    this.load(loaded);
    this.explainedNotes.push(...loaded.notes);
    const imported = await this.importLegacy();
    file.attach(this);
    this.file = file;
    if (loaded.needsRewrite || imported.length > 0) {
      // The merged lines go into one new generation; only then are the files they came from retired.
      try {
        await file.rewrite();
        for (const legacy of imported) await (this.options.fs ?? nodeFileSystem).rename(legacy, `${legacy}.imported`);
      } catch (error) {
        this.explainedNotes.push(explain('journalNote.mergeNotWritten', { file: this.path, reason: explainError(error, 'file') }));
      }
    }
    // A file past the limit is compacted after its first write: once per start at most.
    this.compactAt = this.maxBytes;
    if (this.unresolved.length > 0 || this.damaged.length > 0) this.changed();
  }

  private async importLegacy(): Promise<string[]> {
    const imported: string[] = [];
    for (const legacy of this.options.importFrom ?? []) {
      try {
        const read = await JournalFile.read(legacy, this.options.fs, this.options.ioTimeoutMs);
        this.load({ records: read.records, damaged: read.damaged, notes: [], needsRewrite: true });
        imported.push(legacy);
        this.explainedNotes.push(explain('journalNote.mergedOld', { old: legacy, lines: read.records.length, file: this.path }));
      } catch (error) {
        this.explainedNotes.push(explain('journalNote.oldNotMerged', { old: legacy, file: this.path, reason: explainError(error, 'file') }));
      }
    }
    return imported;
  }

  /** Applies what was read: damaged lines first (a begin still readable in one blocks its invoice), then the records. */
  private load(loaded: LoadedJournal): void {
    for (const line of loaded.damaged) this.noteDamage(line);
    for (const record of loaded.records) this.apply(record);
  }

  private noteDamage(line: DamagedLine): void {
    if (!this.damage.has(line.id)) {
      this.damage.set(line.id, {
        entry: { id: line.id, file: line.file, line: line.line, offset: line.offset, reason: line.reason, text: line.text, foundAt: this.now().toISOString(), acknowledged: false },
      });
    }
    // Damage may only make the journal more careful: a request whose begin is still readable
    // stays blocked, with no end; an end or acknowledgement in a damaged line counts for nothing.
    if (line.record?.event === 'begin') this.apply(line.record);
  }

  /** Applies one record read from a file. Idempotent: the same record twice changes nothing. */
  private apply(record: JournalRecord): void {
    switch (record.event) {
      case 'begin': {
        if (!record.action || this.entries.has(record.id)) return;
        const entry: JournalEntry = {
          id: record.id,
          action: record.action,
          ...(record.invoice !== undefined && { invoice: record.invoice }),
          ...(record.amount !== undefined && { amount: record.amount }),
          ...(record.preauthcode !== undefined && { preauthcode: record.preauthcode }),
          ...(record.terminal !== undefined && { terminal: record.terminal }),
          begunAt: record.at,
          acknowledged: false,
        };
        this.remember({ entry, begin: ON_DISK, openHere: false }, false);
        return;
      }
      case 'end': {
        const tracked = this.entries.get(record.id);
        if (!tracked || tracked.end) return;
        this.applyEnd(tracked, record);
        if (record.lateAt !== undefined) tracked.entry.lateAt = record.lateAt;
        tracked.end = ON_DISK;
        this.settled(tracked);
        return;
      }
      case 'late': {
        const tracked = this.entries.get(record.id);
        if (!tracked || (tracked.entry.outcome !== undefined && tracked.entry.outcome !== 'unknown')) return;
        this.applyEnd(tracked, record);
        tracked.entry.lateAt = record.at;
        tracked.end = ON_DISK;
        this.settled(tracked);
        return;
      }
      case 'acknowledged': {
        const tracked = this.entries.get(record.id) ?? this.damage.get(record.id);
        if (!tracked || tracked.entry.acknowledged) return;
        tracked.entry.acknowledged = true;
        tracked.acknowledgement = ON_DISK;
        if ('openHere' in tracked) {
          tracked.entry.acknowledgedAt = record.at;
          this.attention.delete(tracked);
        } else {
          tracked.acknowledgedAt = record.at;
        }
        return;
      }
      case 'resolved': {
        // A record of what an operator decided: applied whatever else is known by now (a late
        // answer written after it, say), so that the order of lines never changes what it says.
        const tracked = this.entries.get(record.id);
        if (!tracked || tracked.entry.resolution || record.finding === undefined || record.by === undefined) return;
        const resolution: Resolution = {
          finding: record.finding,
          ...(record.ref !== undefined && { ref: record.ref }),
          by: record.by,
          ...(record.note !== undefined && { note: record.note }),
          at: record.at,
        };
        this.decide(tracked, resolution, ON_DISK);
        return;
      }
      case 'damaged': {
        if (this.damage.has(record.id)) return;
        this.damage.set(record.id, {
          entry: {
            id: record.id,
            file: record.file ?? '',
            line: record.line ?? 0,
            offset: record.offset ?? 0,
            reason: record.message ?? 'damaged',
            text: record.text ?? '',
            foundAt: record.at,
            acknowledged: false,
          },
        });
        return;
      }
    }
  }

  private applyEnd(tracked: Tracked, record: JournalRecord): void {
    const { entry } = tracked;
    // A line says the whole end: a late answer's leaves nothing of the unknown end it replaces.
    delete entry.ref;
    forgetFailure(entry);
    entry.outcome = record.outcome ?? 'unknown';
    if (record.ref !== undefined) entry.ref = record.ref;
    entry.endedAt = record.at;
    if (record.code !== undefined) entry.code = record.code;
    if (record.status !== undefined) entry.status = record.status;
    if (record.statusText !== undefined) entry.statusText = record.statusText;
    if (record.message !== undefined) entry.message = record.message;
    if (record.messageKey !== undefined) {
      entry.messageKey = record.messageKey;
      entry.messageParams = record.messageParams;
    }
  }

  /** Refuses a duplicate; see refusal(). */
  private check(request: TerminalRequest, allowDuplicate: boolean): Refusal | undefined {
    if (!allowDuplicate && request.invoice !== undefined) {
      const same = latestBlocking(this.byInvoice.get(request.invoice), request.action);
      if (same) return duplicate(explain('reference.invoice', { invoice: request.invoice }), same.entry);
    }
    if (request.preauthCode === undefined) return undefined;
    if (!allowDuplicate) {
      const settled = latestBlocking(this.bySettledCode.get(request.preauthCode));
      if (settled) return duplicate(explain('reference.code', { code: request.preauthCode }), settled.entry);
    }
    if (request.action === 'complete' && request.amount) {
      const authorized = this.preauthByRef.get(request.preauthCode)?.entry.amount;
      // Compared as decimals, whatever the decimals setting is now; an unreadable old amount checks nothing.
      if (authorized !== undefined && compareAmounts(request.amount.text, authorized) === 1) {
        return refuse('INVALID_INPUT', explain('input.completionAboveAuthorized', { amount: { amount: request.amount.text }, authorized: { amount: authorized }, code: request.preauthCode }));
      }
    }
    return undefined;
  }

  /** Opens the file again after a failed attempt, at most every REOPEN_AFTER_MS. */
  private async usableFile(): Promise<JournalFile> {
    if (this.closed) throw new JournalUnavailableError(`the journal ${this.path} is closed`);
    if (!this.file) {
      try {
        await this.opening;
      } catch (error) {
        const now = performance.now();
        if (this.failedAt === -Infinity) this.failedAt = now;
        if (now - this.failedAt < REOPEN_AFTER_MS) throw error;
        this.failedAt = now;
        this.opening = this.open();
        this.opening.catch(() => undefined);
        await this.opening;
      }
    }
    if (!this.file) throw new JournalUnavailableError(`the journal ${this.path} is not open`, explain('journal.notOpen'));
    return this.file;
  }

  private retryUnwritten(file: JournalFile): void {
    for (const line of this.unwritten.splice(0)) {
      file.append(line).catch(() => this.unwritten.push(line));
    }
  }

  private afterWrite(file: JournalFile): void {
    if (file.bytes <= this.compactAt) return;
    // Until it has run (or if it cannot), try again after another maxBytes.
    this.compactAt = file.bytes + this.maxBytes;
    void file.compact().then((done) => {
      if (done) this.compactAt = Math.max(this.maxBytes, file.bytes * 2);
    });
  }

  /** After an end is known. The request stays, blocking a repeat or not, for the history. */
  private settled(tracked: Tracked): void {
    const { entry } = tracked;
    const wasUnresolved = this.attention.delete(tracked);
    const isUnresolved = needsAttention(tracked);
    if (isUnresolved) this.attention.add(tracked);
    if (entry.action === 'preauth' && entry.outcome === 'ok' && entry.ref) this.preauthByRef.set(entry.ref, tracked);
    // Listeners redraw statuses: only a change to what is unresolved concerns them.
    if (wasUnresolved || isUnresolved) this.changed();
    else this.historyChanged();
  }

  /** `live`: begun now by this process; otherwise read from a file (and perhaps out of order). */
  private remember(tracked: Tracked, live: boolean): void {
    const { entry } = tracked;
    this.entries.set(entry.id, tracked);
    tracked.slot = this.timeline.add(tracked, Date.parse(entry.begunAt), live);
    if (needsAttention(tracked)) this.attention.add(tracked);
    if (entry.invoice !== undefined) addTo(this.byInvoice, entry.invoice, tracked);
    if ((entry.action === 'complete' || entry.action === 'cancel') && entry.preauthcode !== undefined) addTo(this.bySettledCode, entry.preauthcode, tracked);
  }

  private forget(tracked: Tracked): void {
    const { entry } = tracked;
    this.entries.delete(entry.id);
    if (tracked.slot) this.timeline.remove(tracked.slot);
    this.attention.delete(tracked);
    if (entry.invoice !== undefined) removeFrom(this.byInvoice, entry.invoice, tracked);
    if (entry.preauthcode !== undefined) removeFrom(this.bySettledCode, entry.preauthcode, tracked);
    for (const ref of [entry.ref, entry.resolution?.ref]) if (ref !== undefined && this.preauthByRef.get(ref) === tracked) this.preauthByRef.delete(ref);
  }

  private changed(): void {
    notify(this.listeners);
    this.historyChanged();
  }

  private historyChanged(): void {
    notify(this.historyListeners);
  }
}

function notify(listeners: Iterable<() => void>): void {
  for (const listener of listeners) {
    try {
      listener();
    } catch {
      // A listener's failure is its own; the journal goes on.
    }
  }
}

function beginRecord(entry: JournalEntry): JournalRecord {
  return {
    v: JOURNAL_FORMAT_VERSION,
    at: entry.begunAt,
    id: entry.id,
    event: 'begin',
    action: entry.action,
    ...(entry.invoice !== undefined && { invoice: entry.invoice }),
    ...(entry.amount !== undefined && { amount: entry.amount }),
    ...(entry.preauthcode !== undefined && { preauthcode: entry.preauthcode }),
    ...(entry.terminal !== undefined && { terminal: entry.terminal }),
  };
}

function endRecord(entry: JournalEntry): JournalRecord {
  return {
    v: JOURNAL_FORMAT_VERSION,
    at: entry.endedAt ?? entry.begunAt,
    id: entry.id,
    event: 'end',
    action: entry.action,
    ...(entry.invoice !== undefined && { invoice: entry.invoice }),
    ...(entry.amount !== undefined && { amount: entry.amount }),
    ...(entry.preauthcode !== undefined && { preauthcode: entry.preauthcode }),
    outcome: entry.outcome ?? 'unknown',
    ...(entry.ref !== undefined && { ref: entry.ref }),
    ...(entry.code !== undefined && { code: entry.code }),
    ...(entry.status !== undefined && { status: entry.status }),
    ...(entry.statusText !== undefined && { statusText: entry.statusText }),
    ...(entry.message !== undefined && { message: entry.message }),
    ...(entry.messageKey !== undefined && { messageKey: entry.messageKey, messageParams: entry.messageParams ?? {} }),
    ...(entry.lateAt !== undefined && { lateAt: entry.lateAt }),
  };
}

function resolvedRecord(entry: JournalEntry, resolution: Resolution): JournalRecord {
  return {
    v: JOURNAL_FORMAT_VERSION,
    at: resolution.at,
    id: entry.id,
    event: 'resolved',
    finding: resolution.finding,
    ...(resolution.ref !== undefined && { ref: resolution.ref }),
    by: resolution.by,
    ...(resolution.note !== undefined && { note: resolution.note }),
  };
}

/** A written line keeps only its place in the order of writing. */
function durable(line: PendingLine): PendingLine {
  return line.seq === undefined ? line : { text: '', seq: line.seq };
}

function upTo(line: PendingLine, cut: number): boolean {
  return line.seq !== undefined && line.seq <= cut;
}

function addTo(index: Map<string, Tracked[]>, key: string, tracked: Tracked): void {
  const list = index.get(key);
  if (list) list.push(tracked);
  else index.set(key, [tracked]);
}

function removeFrom(index: Map<string, Tracked[]>, key: string, tracked: Tracked): void {
  const list = index.get(key);
  const at = list?.indexOf(tracked) ?? -1;
  if (!list || at === -1) return;
  list.splice(at, 1);
  if (list.length === 0) index.delete(key);
}

function latestBlocking(list: readonly Tracked[] = [], action?: Action): Tracked | undefined {
  for (let i = list.length - 1; i >= 0; i -= 1) if (blocks(list[i].entry) && (action === undefined || list[i].entry.action === action)) return list[i];
  return undefined;
}

/** Nobody knows how it ended, and no operator has settled it. */
function needsAttention(tracked: Tracked): boolean {
  return stateOf(tracked) === 'unknown';
}

function stateOf(tracked: Tracked): EntryState {
  const { entry } = tracked;
  if (tracked.openHere) return 'in-progress';
  if (entry.lateAt !== undefined && entry.outcome === 'ok') return 'late-approved';
  if (entry.lateAt !== undefined && (entry.outcome === 'failed' || entry.outcome === 'not-sent')) return 'late-declined';
  if (entry.outcome === 'ok') return 'approved';
  if (entry.outcome === 'failed') return 'declined';
  if (entry.outcome === 'not-sent') return 'not-sent';
  if (entry.resolution) return entry.resolution.finding;
  return entry.acknowledged ? 'acknowledged' : 'unknown';
}

/**
 * Sending the same again could charge twice: it ended OK, or unknown, or has no end, unless an
 * operator found it not charged; or an operator found it charged (whatever a late answer said).
 */
function blocks(entry: JournalEntry): boolean {
  const finding = entry.resolution?.finding;
  if (finding === 'charged' || entry.outcome === 'ok') return true;
  if (entry.outcome === undefined || entry.outcome === 'unknown') return finding !== 'not-charged';
  return false;
}

/**
 * A copy of the entry as the console lists it. Written out field by field (absent ones are
 * undefined, which JSON leaves out): one shape for every copy, several times faster than a spread
 * of entries that took their fields in different orders.
 */
function view(tracked: Tracked): HistoryEntry {
  const entry = tracked.entry;
  const state = stateOf(tracked);
  return {
    id: entry.id,
    action: entry.action,
    invoice: entry.invoice,
    amount: entry.amount,
    preauthcode: entry.preauthcode,
    terminal: entry.terminal,
    begunAt: entry.begunAt,
    outcome: entry.outcome,
    ref: entry.ref,
    endedAt: entry.endedAt,
    code: entry.code,
    status: entry.status,
    statusText: entry.statusText,
    message: entry.message,
    messageKey: entry.messageKey,
    messageParams: entry.messageParams,
    lateAt: entry.lateAt,
    acknowledged: entry.acknowledged,
    acknowledgedAt: entry.acknowledgedAt,
    resolution: entry.resolution,
    state,
    needsAttention: state === 'unknown',
  };
}

/** Why no finding may be recorded for this request now, if so. */
function refuseDecision(tracked: Tracked): void {
  const { entry } = tracked;
  const what = `The ${entry.action}${entry.invoice !== undefined ? ` for invoice ${entry.invoice}` : ''}${entry.preauthcode !== undefined ? ` of pre-authorization ${entry.preauthcode}` : ''}`;
  if (entry.resolution) {
    throw new ResolveError('ALREADY_RESOLVED', `${what} was already resolved as ${entry.resolution.finding} by ${entry.resolution.by} (${entry.resolution.at})`);
  }
  if (tracked.deciding) throw new ResolveError('ALREADY_RESOLVED', `${what} is being resolved or acknowledged right now`);
  if (entry.acknowledged) {
    throw new ResolveError('ALREADY_RESOLVED', `${what} was already acknowledged without a finding (${entry.acknowledgedAt ?? 'earlier'}); to send it again, use allowDuplicate`);
  }
  const state = stateOf(tracked);
  if (state === 'in-progress') throw new ResolveError('NOT_NEEDED', `${what} is still in progress: its outcome is not known yet`);
  if (state === 'late-approved' || state === 'late-declined') {
    throw new ResolveError('NOT_NEEDED', `${what} needs no finding: a late answer from the terminal settled it (${state === 'late-approved' ? 'approved' : 'declined'}, ${entry.lateAt})`);
  }
  if (state !== 'unknown') throw new ResolveError('NOT_NEEDED', `${what} needs no finding: its outcome is known (${state})`);
}

/** A printable text (any script, no control or formatting characters), 1 to max characters. */
const PRINTABLE_TEXT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]+$/u;

/** What a failure said, gone: an end that succeeded, or an end read again. */
function forgetFailure(entry: JournalEntry): void {
  delete entry.code;
  delete entry.status;
  delete entry.statusText;
  delete entry.message;
  delete entry.messageKey;
  delete entry.messageParams;
}

/** Checks resolve()'s input; a broken rule is a ResolveError naming the field (English: the admin API's words). */
function checkResolution(input: unknown): ResolveInput {
  if (typeof input !== 'object' || input === null) throw invalid('input', `must be an object, got ${typeName(input)}`);
  const { finding, ref, by, note } = input as Partial<Record<keyof ResolveInput, unknown>>;
  if (typeof finding !== 'string' || !(FINDINGS as readonly string[]).includes(finding)) {
    throw invalid('finding', `must be "charged" or "not-charged", got ${typeof finding === 'string' ? `"${printable(finding)}"` : typeName(finding)}`);
  }
  // A terminal's ref is text; parseReference alone would also take a whole number.
  if (ref !== undefined && typeof ref !== 'string') throw invalid('ref', `must be a string, got ${typeName(ref)}`);
  let checkedRef: string | undefined;
  try {
    checkedRef = ref === undefined ? undefined : parseReference(ref, 'ref');
  } catch (error) {
    throw invalid('ref', errorText(error).replace(/^ref /, '').replace(/\.$/, ''));
  }
  const checked: ResolveInput = {
    finding: finding as Finding,
    by: checkText(by, 'by', MAX_RESOLVED_BY_LENGTH),
    ...(checkedRef !== undefined && { ref: checkedRef }),
    ...(note !== undefined && { note: checkText(note, 'note', MAX_NOTE_LENGTH) }),
  };
  if (checked.ref !== undefined && checked.finding !== 'charged') throw invalid('ref', 'is for the finding "charged" only: a request that was not charged has no ref');
  return checked;
}

function invalid(field: string, rule: string): ResolveError {
  return new ResolveError('INVALID_INPUT', `${field} ${rule}`, field);
}

function typeName(value: unknown): string {
  return render(describeType(value) as Explanation);
}

function checkText(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw invalid(field, `must be a string, got ${typeName(value)}`);
  if (value.length === 0) throw invalid(field, 'must not be empty');
  if (value.length > max) throw invalid(field, `must be at most ${max} characters, got ${value.length}`);
  if (!PRINTABLE_TEXT.test(value)) throw invalid(field, 'must hold printable characters only (no control characters, line breaks or invisible formatting)');
  if (value.trim() !== value) throw invalid(field, 'must not start or end with a space');
  return value;
}

function duplicate(reference: Explanation, earlier: JournalEntry): Refusal {
  const params = { action: { action: earlier.action }, reference, when: { time: earlier.endedAt ?? earlier.begunAt } };
  if (earlier.outcome !== 'ok' && earlier.resolution?.finding === 'charged') {
    return refuse('DUPLICATE', explain('duplicate.charged', { ...params, by: earlier.resolution.by, when: { time: earlier.resolution.at } }));
  }
  const key = earlier.outcome === 'ok' ? 'duplicate.approved' : earlier.outcome === undefined ? 'duplicate.open' : 'duplicate.unknown';
  return refuse('DUPLICATE', explain(key, params));
}

/** The requests that need a person, in the order they came to need it, also by terminal. */
class AttentionList {
  private readonly all = new Set<Tracked>();
  private readonly byTerminal = new Map<string | undefined, Set<Tracked>>();

  add(tracked: Tracked): void {
    if (this.all.has(tracked)) return;
    this.all.add(tracked);
    const terminal = tracked.entry.terminal;
    let list = this.byTerminal.get(terminal);
    if (!list) this.byTerminal.set(terminal, (list = new Set()));
    list.add(tracked);
  }

  delete(tracked: Tracked): boolean {
    if (!this.all.delete(tracked)) return false;
    const terminal = tracked.entry.terminal;
    const list = this.byTerminal.get(terminal);
    list?.delete(tracked);
    if (list?.size === 0) this.byTerminal.delete(terminal);
    return true;
  }

  /** A terminal's, after those recorded without a terminal (older versions wrote none). */
  at(terminal: string): Tracked[] {
    return [...(this.byTerminal.get(undefined) ?? []), ...(this.byTerminal.get(terminal) ?? [])];
  }

  [Symbol.iterator](): IterableIterator<Tracked> {
    return this.all.values();
  }
}
