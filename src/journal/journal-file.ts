import { createHash } from 'node:crypto';
import path from 'node:path';
import { Explanation, explain, explainedError } from '../protocol/messages';
import { FileStats, JournalFileSystem, JournalHandle, nodeFileSystem } from './file-system';
import { JournalLock, lockJournal } from './lock';
import { JournalRecord, decodeLine, printableExcerpt } from './record';

/**
 * The journal's file: whole lines appended and flushed, each verified on load; one writer at a
 * time; a time limit on every operation; compaction and repair that never leave a moment
 * without a complete live file. What the lines mean is journal.ts's business.
 *
 * Files beside the journal `J`:
 *   J             the live journal
 *   J.compacting  the next generation while it is written; adopted or merged on start-up
 *   J.1           the previous generation, kept for people (a hard link, where the file system has them)
 *   J.new         what an interrupted compaction of version 0.1 left; merged on start-up
 *   J.replaced-…  a file found in J's place while running, kept after its lines were merged
 */

export interface JournalFileOptions {
  readonly fs?: JournalFileSystem;
  /** Time limit for each file operation. Default 5 s. */
  readonly ioTimeoutMs?: number;
  /** How this writer describes itself to a second writer that finds the file locked. */
  readonly owner?: string;
}

/** What the journal above provides: the records still needed, and a home for foreign ones. */
export interface JournalContent {
  /** Every record that is durable with a sequence number up to `cut`, as lines, in order. */
  snapshot(cut: number): Promise<string[]>;
  /** Records found in a file that took the journal's place, or beyond its known end. */
  adopt(records: readonly JournalRecord[]): void;
}

/** A line handed to append(); `seq` is set, at the moment it is durable, to its place in the order of writing. */
export interface PendingLine {
  readonly text: string;
  /**
   * Check that the path still names the journal before this line counts. A request's begin
   * needs it (it must not go out recorded in a deleted file); an end can wait for the next
   * begin's check, which writes the journal anew with it if need be.
   */
  readonly verify?: boolean;
  seq?: number;
}

/** A line that failed its check on load, away from the end of the file. */
export interface DamagedLine {
  /** Stable across restarts: the same bytes at the same place give the same id. */
  readonly id: string;
  readonly file: string;
  /** 1-based line number and byte offset in that file. */
  readonly line: number;
  readonly offset: number;
  readonly reason: string;
  /** What the line holds, printable and shortened. */
  readonly text: string;
  /** What could still be read from it, if anything. */
  readonly record?: JournalRecord;
}

export interface LoadedJournal {
  readonly records: JournalRecord[];
  readonly damaged: DamagedLine[];
  /** What start-up repaired, for the log: a torn last line dropped, a compaction finished… */
  readonly notes: Explanation[];
  /** True when the records came (also) from files other than the live one: write them to a new generation. */
  readonly needsRewrite: boolean;
}

/** A journal operation that cannot be done now; the request it belongs to is not sent. */
export class JournalUnavailableError extends Error {
  readonly code = 'EJOURNAL';

  /** `explanation` says it for the person at the counter; `message` for the log. */
  constructor(
    message: string,
    readonly explanation: Explanation = explain('journal.closed'),
  ) {
    super(message);
  }
}

/** Long past a slow SD card's worst flush; short enough that a customer is not left waiting. */
export const DEFAULT_IO_TIMEOUT_MS = 5_000;
/** Waiting for writes, then for the file to close, stays below Node-RED's 15 s close timeout. */
const CLOSE_WAIT_MS = 4_000;
const READ_CHUNK = 1 << 20;
/** A file found in the journal's place larger than this is kept aside unread. */
const MAX_FOREIGN_BYTES = 256 * 1024 * 1024;

type FileState =
  | 'open'
  /** An operation outlived its time limit; nothing else is tried until it returns. */
  | 'stalled'
  /** A failed write may have left bytes past the known end; they are cut before the next write. */
  | 'needs-repair'
  | 'closed';

interface QueuedLine {
  readonly line: PendingLine;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class JournalFile {
  /** The journal's real path (symbolic links resolved). */
  readonly path: string;
  readonly ioTimeoutMs: number;
  private readonly fs: JournalFileSystem;
  private readonly directory: string;
  private handle: JournalHandle;
  /** Device and inode of the file `handle` writes: what the path must still name. */
  private live: { dev: number; ino: number };
  private lock: JournalLock;
  /** The live file's length as this writer made it: whole, verified lines only. */
  private size: number;
  private lastSeq = 0;
  private state: FileState = 'open';
  private stall: Promise<void> | undefined;
  private content: JournalContent | undefined;
  private queue: QueuedLine[] = [];
  private batchScheduled = false;
  /** Everything that touches the live file runs one after another on this chain. */
  private chain: Promise<void> = Promise.resolve();
  private compacting = false;
  /** Leftover files merged on open, removed once a new generation holds their lines. */
  private leftovers: string[] = [];

  private constructor(fs: JournalFileSystem, file: string, handle: JournalHandle, stats: FileStats, lock: JournalLock, size: number, ioTimeoutMs: number) {
    this.fs = fs;
    this.path = file;
    this.directory = path.dirname(file);
    this.handle = handle;
    this.live = { dev: stats.dev, ino: stats.ino };
    this.lock = lock;
    this.size = size;
    this.ioTimeoutMs = ioTimeoutMs;
  }

  /**
   * Opens (creating if needed) the journal at `file`, takes its lock, recovers what an
   * interrupted compaction left, and reads every line.
   */
  static async open(file: string, options: JournalFileOptions = {}): Promise<{ file: JournalFile; loaded: LoadedJournal }> {
    const fs = options.fs ?? nodeFileSystem;
    const ioTimeoutMs = options.ioTimeoutMs ?? DEFAULT_IO_TIMEOUT_MS;
    const timed = <T>(what: string, operation: Promise<T>) => withTimeout(operation, ioTimeoutMs, what);
    const requested = path.resolve(file);
    const folder = path.dirname(requested);
    // 0700: payment records are nobody else's business. Only folders created here get it.
    await timed(`create ${folder}`, fs.mkdir(folder, 0o700));
    const real = await timed(`resolve ${requested}`, fs.realpath(requested)).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return path.join(await timed(`resolve ${folder}`, fs.realpath(folder)), path.basename(requested));
    });
    const directory = path.dirname(real);
    const folderStats = await timed(`stat ${directory}`, fs.stat(directory));
    const lock = await lockJournal(`${folderStats.dev}:${folderStats.ino}:${path.basename(real)}`, real, options.owner ?? `pid ${process.pid}`);
    try {
      return await JournalFile.openLocked(fs, real, ioTimeoutMs, lock);
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private static async openLocked(fs: JournalFileSystem, file: string, ioTimeoutMs: number, lock: JournalLock): Promise<{ file: JournalFile; loaded: LoadedJournal }> {
    const timed = <T>(what: string, operation: Promise<T>) => withTimeout(operation, ioTimeoutMs, what);
    const directory = path.dirname(file);
    const notes: Explanation[] = [];
    const live = await statOrNothing(fs, file, timed);
    if (live && !live.isFile()) throw explainedError(explain('journal.notRegularFile'), 'ENOTFILE', `${file} is not a regular file; a journal must be one`);
    const leftovers: string[] = [];
    for (const suffix of ['.new', '.compacting']) {
      const stats = await statOrNothing(fs, file + suffix, timed);
      if (stats?.isFile()) leftovers.push(file + suffix);
    }
    // Without a live file, whatever generation exists is the journal: the union of all of them.
    if (!live) {
      const previous = await statOrNothing(fs, `${file}.1`, timed);
      if (previous?.isFile()) leftovers.unshift(`${file}.1`);
      if (leftovers.length > 0) notes.push(explain('journalNote.rebuilt', { file, from: leftovers.map((f) => path.basename(f)).join(', ') }));
    }
    const handle = await timed(`open ${file}`, fs.open(file, 'journal'));
    try {
      const stats = await timed(`stat ${file}`, handle.stat());
      if (!stats.isFile()) throw explainedError(explain('journal.notRegularFile'), 'ENOTFILE', `${file} is not a regular file; a journal must be one`);
      if ((stats.mode & 0o777) !== 0o600) await timed(`chmod ${file}`, handle.chmod(0o600));
      // Also makes durable a rename an earlier writer did not live to flush.
      await timed(`sync ${directory}`, fs.syncDirectory(directory));
      const records: JournalRecord[] = [];
      const damaged: DamagedLine[] = [];
      // Appended one by one: spread into push(), a file of some 100,000 lines overflows the stack.
      const take = <T>(into: T[], from: readonly T[]) => {
        for (const item of from) into.push(item);
      };
      for (const other of leftovers) {
        const source = await readOtherFile(fs, other, timed);
        take(records, source.records);
        take(damaged, source.damaged);
      }
      const own = await readLines(handle, stats.size, file, timed);
      take(records, own.records);
      take(damaged, own.damaged);
      if (own.tornAt < stats.size) {
        // The last write never completed (a power cut, a full disk): nothing in it counted as written.
        await timed(`truncate ${file}`, handle.truncate(own.tornAt));
        await timed(`sync ${file}`, handle.datasync());
        notes.push(explain('journalNote.tornLine', { file, bytes: stats.size - own.tornAt, offset: own.tornAt }));
      }
      if (live) for (const other of leftovers) notes.push(explain('journalNote.mergedLeftover', { name: path.basename(other), file }));
      const journal = new JournalFile(fs, file, handle, stats, lock, own.tornAt, ioTimeoutMs);
      journal.leftovers = leftovers.filter((f) => !f.endsWith('.1'));
      return { file: journal, loaded: { records, damaged, notes, needsRewrite: leftovers.length > 0 } };
    } catch (error) {
      await timed(`close ${file}`, handle.close()).catch(() => undefined);
      throw error;
    }
  }

  /** Reads a journal file that is not opened for writing (an earlier layout's file to merge). */
  static async read(file: string, fs: JournalFileSystem = nodeFileSystem, ioTimeoutMs = DEFAULT_IO_TIMEOUT_MS): Promise<{ records: JournalRecord[]; damaged: DamagedLine[] }> {
    return readOtherFile(fs, path.resolve(file), (what, operation) => withTimeout(operation, ioTimeoutMs, what));
  }

  /** Where the journal's lines come from when a new generation is written. */
  attach(content: JournalContent): void {
    this.content = content;
  }

  /** Bytes in the live file. */
  get bytes(): number {
    return this.size;
  }

  /**
   * Appends a line and resolves once all of its bytes are on disk. Lines appended while a write
   * is under way go out together with the next one (group commit). For a line to verify, the
   * file is checked to still be the journal (not deleted, moved or replaced); if it is not, the
   * journal is written anew at its path before the line counts. Rejects, with nothing left in
   * the file, when the line could not be written whole.
   */
  append(line: PendingLine): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new JournalUnavailableError(`the journal ${this.path} is closed`));
    if (this.state === 'stalled') return Promise.reject(this.stalledError());
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (this.batchScheduled) return;
      this.batchScheduled = true;
      // writeQueued settles every line it takes, whatever happens; nothing is left to reject.
      void this.exclusive(() => this.writeQueued()).catch(() => undefined);
    });
  }

  /**
   * Writes a new generation: the records still needed, then the lines appended meanwhile, into
   * J.compacting, flushed; then J.1 becomes the old generation and J.compacting replaces J in
   * one rename. At every moment J is a complete journal. Resolves false when it could not be
   * done now (the live file is left as it was).
   */
  async compact(): Promise<boolean> {
    if (this.compacting || !this.content || this.state !== 'open') return false;
    this.compacting = true;
    const temporary = `${this.path}.compacting`;
    let created = false;
    try {
      const { cut, base } = await this.exclusive(() => Promise.resolve({ cut: this.lastSeq, base: this.size }));
      const lines = await this.content.snapshot(cut);
      const output = await this.createTemporary(temporary);
      created = true;
      let written = await this.writeAll(output, lines, 0, temporary);
      return await this.exclusive(async () => {
        if (this.state !== 'open' || (await this.identity()) !== 'same') return false;
        // The lines appended while the snapshot was written: copied as they are.
        if (this.size > base) {
          const tail = Buffer.alloc(this.size - base);
          await this.readExactly(this.handle, tail, base, this.path);
          written += await this.writeBuffer(output, tail, written, temporary);
        }
        await this.timed(`sync ${temporary}`, output.datasync());
        await this.timed(`close ${temporary}`, output.close());
        await this.replaceLive(temporary, written, true);
        created = false;
        return true;
      });
    } catch {
      return false;
    } finally {
      this.compacting = false;
      if (created) await this.tidy(`remove ${temporary}`, () => this.fs.unlink(temporary));
    }
  }

  /**
   * Writes the journal anew from what the journal above holds, then removes leftover files it
   * merged on open. Used after start-up merged files other than the live one.
   */
  async rewrite(): Promise<void> {
    await this.exclusive(async () => {
      await this.writeGeneration(false);
      for (const leftover of this.leftovers) await this.tidy(`remove ${leftover}`, () => this.fs.unlink(leftover));
      if (this.leftovers.length > 0) await this.timed(`sync ${this.directory}`, this.fs.syncDirectory(this.directory));
      this.leftovers = [];
    });
  }

  /**
   * Finishes what can be finished within a bounded time (below Node-RED's close timeout) and
   * closes. Lines still waiting after that are refused. When an operation is hung, the lock is
   * kept until it returns, so that no other writer starts on a file a late write could still reach.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const limit = Math.min(CLOSE_WAIT_MS, this.ioTimeoutMs);
    const drained = this.exclusive(() => Promise.resolve());
    const inTime = await Promise.race([drained.then(() => true), delay(limit).then(() => false)]);
    this.state = 'closed';
    for (const waiting of this.queue.splice(0)) {
      waiting.reject(new JournalUnavailableError(`the journal ${this.path} closed before this line was written`));
    }
    if (!inTime || this.stall) {
      // Something is hung: the lock stays until it returns, so no new writer can meet a late write.
      void drained
        .then(() => this.stall)
        .then(() => this.finishClosing())
        .catch(() => undefined);
      return;
    }
    await this.timed(`close ${this.path}`, this.handle.close(), limit).catch(() => undefined);
    // The close itself may have hung (and become the stall).
    const hung = this.stall as Promise<void> | undefined;
    if (hung) void hung.then(() => this.lock.release());
    else await this.lock.release();
  }

  private async finishClosing(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await this.lock.release();
  }

  private async writeQueued(): Promise<void> {
    this.batchScheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    try {
      if (this.state === 'closed') throw new JournalUnavailableError(`the journal ${this.path} is closed`);
      if (this.state === 'stalled') throw this.stalledError();
      if (this.state === 'needs-repair') await this.repair();
      // Before a line that must verify (a request's begin), check that the path still names our
      // file, unchanged: if it was deleted, moved, replaced or written to behind our back, the
      // journal is written anew at its path first. One stat, before the write: the size it sees
      // is then exact, which repair() relies on.
      if (batch.some((queued) => queued.line.verify)) {
        const found = await this.identity();
        if (found !== 'same') await this.recover(found);
      }
      await this.writeAtEnd(Buffer.from(batch.map((queued) => queued.line.text).join(''), 'utf8'));
      for (const queued of batch) queued.line.seq = ++this.lastSeq;
    } catch (error) {
      const why = error instanceof Error ? error : new Error(String(error));
      for (const queued of batch) queued.reject(why);
      return;
    }
    for (const queued of batch) queued.resolve();
  }

  /** One write at the known end; on any failure the bytes past the known end are cut again. */
  private async writeAtEnd(buffer: Buffer): Promise<void> {
    let written: number;
    try {
      written = await this.timed(`write ${this.path}`, this.handle.append(buffer));
      if (written === buffer.length && !this.fs.syncWrites) await this.timed(`sync ${this.path}`, this.handle.datasync());
    } catch (error) {
      if (this.state !== 'stalled') {
        this.state = 'needs-repair';
        await this.repair().catch(() => undefined);
      }
      throw error;
    }
    if (written !== buffer.length) {
      this.state = 'needs-repair';
      await this.repair().catch(() => undefined);
      throw explainedError(explain('journal.shortWrite'), 'ENOSPC', `only ${written} of ${buffer.length} bytes could be written to ${this.path} (is the disk full?)`);
    }
    this.size += buffer.length;
  }

  /** Cuts the file back to its last whole line. */
  private async repair(): Promise<void> {
    const stats = await this.timed(`stat ${this.path}`, this.handle.stat());
    if (stats.size !== this.size) {
      await this.timed(`truncate ${this.path}`, this.handle.truncate(this.size));
      await this.timed(`sync ${this.path}`, this.handle.datasync());
    }
    if (this.state === 'needs-repair') this.state = 'open';
  }

  /** What the journal's path names now. */
  private namedFile(): Promise<FileStats | undefined> {
    return statOrNothing(this.fs, this.path, (what, operation) => this.timed(what, operation));
  }

  /**
   * Whether `named` is still the file we write, of the size we know: a file that is gone
   * (deleted, moved), another file (replaced), or ours with bytes that are not ours (changed).
   */
  private compare(named: FileStats | undefined): 'same' | 'missing' | 'replaced' | 'changed' {
    if (!named) return 'missing';
    if (!named.isFile() || named.dev !== this.live.dev || named.ino !== this.live.ino) return 'replaced';
    return named.size === this.size ? 'same' : 'changed';
  }

  private async identity(): Promise<'same' | 'missing' | 'replaced' | 'changed'> {
    return this.compare(await this.namedFile());
  }

  /**
   * The live file is not what we last wrote: deleted or moved away, replaced by another file,
   * or written to by someone else. Whatever is found is merged, then the journal is written anew.
   */
  private async recover(found: 'missing' | 'replaced' | 'changed'): Promise<void> {
    if (found === 'changed') {
      const stats = await this.timed(`stat ${this.path}`, this.handle.stat());
      const read = await readLines(this.handle, stats.size, this.path, (what, operation) => this.timed(what, operation));
      this.content?.adopt(read.records);
    } else if (found === 'replaced') {
      const aside = `${this.path}.replaced-${stamp()}`;
      const stats = await statOrNothing(this.fs, this.path, (what, operation) => this.timed(what, operation));
      if (stats?.isFile() && stats.size <= MAX_FOREIGN_BYTES) {
        const read = await readOtherFile(this.fs, this.path, (what, operation) => this.timed(what, operation));
        this.content?.adopt(read.records);
      }
      if (stats) await this.timed(`rename ${this.path}`, this.fs.rename(this.path, aside));
    }
    await this.writeGeneration(false);
  }

  /** Writes everything the journal holds as the new live file, at once (no lines appended meanwhile: callers hold the chain). */
  private async writeGeneration(keepPrevious: boolean): Promise<void> {
    if (!this.content) throw new Error('the journal file has no content attached');
    const temporary = `${this.path}.compacting`;
    const lines = await this.content.snapshot(this.lastSeq);
    const output = await this.createTemporary(temporary);
    let done = false;
    try {
      const written = await this.writeAll(output, lines, 0, temporary);
      await this.timed(`sync ${temporary}`, output.datasync());
      await this.timed(`close ${temporary}`, output.close());
      await this.replaceLive(temporary, written, keepPrevious);
      done = true;
    } finally {
      if (!done) {
        await this.tidy(`close ${temporary}`, () => output.close());
        await this.tidy(`remove ${temporary}`, () => this.fs.unlink(temporary));
      }
    }
  }

  /** Puts a complete, flushed file in the live file's place and switches to it. */
  private async replaceLive(temporary: string, size: number, keepPrevious: boolean): Promise<void> {
    if (keepPrevious) {
      const previous = `${this.path}.1`;
      await this.tidy(`remove ${previous}`, () => this.fs.unlink(previous));
      // Best effort: some file systems have no hard links; the live file matters, .1 is for people.
      await this.tidy(`link ${previous}`, () => this.fs.link(this.path, previous));
    }
    await this.timed(`rename ${temporary}`, this.fs.rename(temporary, this.path));
    // From here the new generation is the journal; if anything below fails, the next write's
    // identity check finds the handle stale and writes the journal anew.
    await this.timed(`sync ${this.directory}`, this.fs.syncDirectory(this.directory));
    const handle = await this.timed(`open ${this.path}`, this.fs.open(this.path, 'journal'));
    const stats = await this.timed(`stat ${this.path}`, handle.stat()).catch(async (error: unknown) => {
      await this.tidy(`close ${this.path}`, () => handle.close());
      throw error;
    });
    if (stats.size !== size) {
      await this.tidy(`close ${this.path}`, () => handle.close());
      throw new Error(`the new generation of ${this.path} holds ${stats.size} bytes, expected ${size}`);
    }
    const old = this.handle;
    this.handle = handle;
    this.live = { dev: stats.dev, ino: stats.ino };
    this.size = size;
    this.state = 'open';
    await this.tidy(`close the previous ${this.path}`, () => old.close());
  }

  private async createTemporary(temporary: string): Promise<JournalHandle> {
    await this.timed(`remove ${temporary}`, this.fs.unlink(temporary)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    return this.timed(`create ${temporary}`, this.fs.open(temporary, 'create'));
  }

  private async writeAll(output: JournalHandle, lines: readonly string[], position: number, file: string): Promise<number> {
    let at = position;
    let chunk: string[] = [];
    let chunkLength = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      at += await this.writeBuffer(output, Buffer.from(chunk.join(''), 'utf8'), at, file);
      chunk = [];
      chunkLength = 0;
    };
    for (const line of lines) {
      chunk.push(line);
      chunkLength += line.length;
      if (chunkLength >= READ_CHUNK) await flush();
    }
    await flush();
    return at - position;
  }

  private async writeBuffer(output: JournalHandle, buffer: Buffer, position: number, file: string): Promise<number> {
    const written = await this.timed(`write ${file}`, output.write(buffer, 0, buffer.length, position));
    if (written !== buffer.length) {
      throw explainedError(explain('journal.shortWrite'), 'ENOSPC', `only ${written} of ${buffer.length} bytes could be written to ${file} (is the disk full?)`);
    }
    return written;
  }

  private async readExactly(handle: JournalHandle, buffer: Buffer, position: number, file: string): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const read = await this.timed(`read ${file}`, handle.read(buffer, done, buffer.length - done, position + done));
      if (read === 0) throw new Error(`${file} ended ${buffer.length - done} bytes early`);
      done += read;
    }
  }

  /**
   * Runs an operation with the time limit. One that outlives it leaves the file stalled: nothing
   * else is tried until it returns, so a hung disk holds one thread-pool thread, not all of them.
   * When it returns, bytes it may have written past the known end are cut.
   */
  private timed<T>(what: string, operation: Promise<T>, limitMs = this.ioTimeoutMs): Promise<T> {
    return withTimeout(operation, limitMs, what, () => {
      if (this.stall) return;
      if (this.state !== 'closed') this.state = 'stalled';
      holdExitWhileHung(operation);
      this.stall = operation
        .then(
          () => undefined,
          () => undefined,
        )
        .then(async () => {
          this.stall = undefined;
          if (this.state !== 'closed') this.state = 'needs-repair';
          await this.repair().catch(() => undefined);
        });
    });
  }

  /** A clean-up step: skipped while an operation is hung (one stuck thread is enough), its failure ignored. */
  private async tidy(what: string, operation: () => Promise<unknown>): Promise<void> {
    if (this.state === 'stalled') return;
    await this.timed(what, operation()).catch(() => undefined);
  }

  private stalledError(): JournalUnavailableError {
    return new JournalUnavailableError(`the disk holding ${this.path} has not answered for more than ${this.ioTimeoutMs / 1000} s`, explain('journal.hung', { seconds: this.ioTimeoutMs / 1000 }));
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

type Timed = <T>(what: string, operation: Promise<T>) => Promise<T>;

async function statOrNothing(fs: JournalFileSystem, file: string, timed: Timed): Promise<FileStats | undefined> {
  try {
    return await timed(`stat ${file}`, fs.stat(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A journal file other than the live one (a leftover, a file found in its place): read, never written. */
async function readOtherFile(fs: JournalFileSystem, file: string, timed: Timed): Promise<{ records: JournalRecord[]; damaged: DamagedLine[] }> {
  const handle = await timed(`open ${file}`, fs.open(file, 'read'));
  try {
    const stats = await timed(`stat ${file}`, handle.stat());
    if (!stats.isFile()) throw new Error(`${file} is not a regular file`);
    const read = await readLines(handle, stats.size, file, timed);
    return { records: read.records, damaged: read.damaged };
  } finally {
    await timed(`close ${file}`, handle.close()).catch(() => undefined);
  }
}

/**
 * Every line of a file, checked; damaged lines are reported wherever they are. Bytes after the
 * last newline are a write that never completed (our lines end with one): `tornAt` is where
 * the whole lines end.
 */
async function readLines(handle: JournalHandle, size: number, file: string, timed: Timed): Promise<{ records: JournalRecord[]; damaged: DamagedLine[]; tornAt: number }> {
  const records: JournalRecord[] = [];
  const damaged: DamagedLine[] = [];
  let lineNumber = 0;
  let carry = Buffer.alloc(0);
  let position = 0;
  const chunk = Buffer.alloc(Math.min(READ_CHUNK, Math.max(size, 1)));
  while (position < size) {
    const read = await timed(`read ${file}`, handle.read(chunk, 0, Math.min(chunk.length, size - position), position));
    if (read === 0) break;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : Buffer.from(chunk.subarray(0, read));
    const dataStart = position - carry.length;
    position += read;
    let start = 0;
    for (let newline = data.indexOf(10, start); newline !== -1; newline = data.indexOf(10, start)) {
      lineNumber += 1;
      const bytes = data.subarray(start, newline);
      const decoded = decodeLine(bytes.toString('utf8'));
      if (decoded.kind === 'record') records.push(decoded.record);
      else if (decoded.kind === 'damaged') {
        const offset = dataStart + start;
        damaged.push({
          id: damagedId(bytes, offset),
          file,
          line: lineNumber,
          offset,
          reason: decoded.reason,
          text: printableExcerpt(bytes),
          ...(decoded.record && { record: decoded.record }),
        });
      }
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  return { records, damaged, tornAt: position - carry.length };
}

function damagedId(bytes: Buffer, offset: number): string {
  return `damaged-${createHash('sha256').update(String(offset)).update(':').update(bytes).digest('hex').slice(0, 16)}`;
}

/** Operations of this process past their time limit: they hold a thread-pool thread until the disk answers. */
let hungOperations = 0;
let exitGuarded = false;

/**
 * Node.js waits for its thread-pool threads as it exits, so an operation hung in the kernel (a
 * frozen or vanished disk) would keep the process from ever exiting, SIGTERM or not. Once the
 * flows have stopped and the process is exiting anyway, it ends itself with SIGKILL instead.
 */
function holdExitWhileHung(operation: Promise<unknown>): void {
  hungOperations += 1;
  void operation.then(
    () => (hungOperations -= 1),
    () => (hungOperations -= 1),
  );
  if (exitGuarded) return;
  exitGuarded = true;
  process.on('exit', () => {
    if (hungOperations === 0) return;
    process.stderr.write(`mypos journal: ${hungOperations} disk operation(s) never returned; ending the process without waiting for them\n`);
    process.kill(process.pid, 'SIGKILL');
  });
}

function withTimeout<T>(operation: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new JournalUnavailableError(`${what} did not finish within ${ms / 1000} s (is the disk hung?)`, explain('journal.hung', { seconds: ms / 1000 })));
    }, ms);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
