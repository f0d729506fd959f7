// Wraps any JournalFileSystem (src/journal/file-system.ts) and numbers every operation that goes
// through it, file-system and handle alike, so a test can make the n-th one fail, fill the disk,
// lose power or hang, and sweep n over a whole run as SQLite's crash tests do.

import type { FileStats, JournalFileSystem, JournalHandle, OpenMode } from '../../src/journal/file-system';

/** The faults failAt() arms. */
export type FaultKind = 'error' | 'enospc' | 'crash' | 'crash-mid-write' | 'hang';
const KINDS = new Set<string>(['error', 'enospc', 'crash', 'crash-mid-write', 'hang']);

/** One operation as the log holds it. */
export interface OperationEntry {
  readonly n: number;
  readonly op: string;
  readonly path: string;
  readonly dest?: string;
  readonly handle?: true;
}

type Call = Omit<OperationEntry, 'n'>;

/** An injected error, as node:fs would give it. */
export interface InjectedError extends Error {
  code: 'EIO' | 'ENOSPC' | 'ECRASH';
  syscall: string;
  path: string;
}

const DESCRIPTIONS: Record<InjectedError['code'], string> = {
  EIO: 'i/o error',
  ENOSPC: 'no space left on device',
  ECRASH: 'power lost',
};

function injected(code: InjectedError['code'], entry: OperationEntry, reason: string): InjectedError {
  const where = entry.dest === undefined ? `'${entry.path}'` : `'${entry.path}' -> '${entry.dest}'`;
  const error = new Error(`${code}: ${DESCRIPTIONS[code]}, ${entry.op} ${where} (${reason})`);
  return Object.assign(error, { code, syscall: entry.op, path: entry.path });
}

export class FaultFileSystem implements JournalFileSystem {
  readonly #inner: JournalFileSystem;
  #fault: { n: number; kind: FaultKind } | undefined; // while armed
  #fullSince = 0; // operation that filled the disk, 0 while it has room
  #crashedAt = 0;
  readonly #hung: (() => void)[] = []; // resumptions of operations held by a 'hang' fault
  /** Operations so far, counted from creation or the last reset(). */
  ops = 0;
  /** One `{ n, op, path }` per operation (`dest` for rename and link, `handle: true` for handle methods). */
  log: OperationEntry[] = [];
  crashed = false;
  /** Optional, called before each operation is carried out or refused. */
  onOperation: ((entry: OperationEntry) => void) | undefined = undefined;

  constructor(inner: JournalFileSystem) {
    this.#inner = inner;
  }

  get syncWrites(): boolean {
    return this.#inner.syncWrites;
  }

  /**
   * Arms one fault at operation `n` (1-based, counted like `ops`), replacing any armed before:
   * 'error', 'enospc', 'crash', 'crash-mid-write' (half of a write lands, then power is lost) or 'hang'.
   */
  failAt(n: number, kind: FaultKind): void {
    if (!Number.isInteger(n) || n <= this.ops) {
      throw new RangeError(`operation ${n} is not still to come: ${this.ops} done so far`);
    }
    if (!KINDS.has(kind)) throw new TypeError(`unknown fault kind ${String(kind)}`);
    this.#fault = { n, kind };
  }

  /** Disarms the fault and empties the disk; a crash stays crashed. */
  clear(): void {
    this.#fault = undefined;
    this.#fullSince = 0;
  }

  /** Counts from zero again, with an empty log, and disarms as clear() does. */
  reset(): void {
    this.ops = 0;
    this.log = [];
    this.clear();
  }

  /** Carries out the operations held by 'hang' faults (refused if power was lost meanwhile); returns how many. */
  release(): number {
    const hung = this.#hung.splice(0);
    for (const resume of hung) resume();
    return hung.length;
  }

  open(target: string, mode: OpenMode): Promise<JournalHandle> {
    return this.#run({ op: 'open', path: target }, async () => this.#wrap(await this.#inner.open(target, mode), target));
  }

  stat(target: string): Promise<FileStats> {
    return this.#run({ op: 'stat', path: target }, () => this.#inner.stat(target));
  }

  realpath(target: string): Promise<string> {
    return this.#run({ op: 'realpath', path: target }, () => this.#inner.realpath(target));
  }

  mkdir(target: string, mode: number): Promise<void> {
    return this.#run({ op: 'mkdir', path: target }, () => this.#inner.mkdir(target, mode));
  }

  chmod(target: string, mode: number): Promise<void> {
    return this.#run({ op: 'chmod', path: target }, () => this.#inner.chmod(target, mode));
  }

  readdir(target: string): Promise<string[]> {
    return this.#run({ op: 'readdir', path: target }, () => this.#inner.readdir(target));
  }

  rename(from: string, to: string): Promise<void> {
    return this.#run({ op: 'rename', path: from, dest: to }, () => this.#inner.rename(from, to));
  }

  link(existing: string, newPath: string): Promise<void> {
    return this.#run({ op: 'link', path: existing, dest: newPath }, () => this.#inner.link(existing, newPath));
  }

  unlink(target: string): Promise<void> {
    return this.#run({ op: 'unlink', path: target }, () => this.#inner.unlink(target));
  }

  syncDirectory(target: string): Promise<void> {
    return this.#run({ op: 'syncDirectory', path: target }, () => this.#inner.syncDirectory(target));
  }

  #wrap(handle: JournalHandle, target: string): JournalHandle {
    const run = <T>(op: string, perform: (count?: number) => Promise<T>, writeLength?: number): Promise<T> => this.#run({ op, path: target, handle: true }, perform, writeLength);
    return {
      read: (buffer, offset, length, position) => run('read', () => handle.read(buffer, offset, length, position)),
      write: (buffer, offset, length, position) => run('write', (count = length) => handle.write(buffer, offset, count, position), length),
      append: (buffer) => run('append', (count = buffer.length) => handle.append(count === buffer.length ? buffer : buffer.subarray(0, count)), buffer.length),
      datasync: () => run('datasync', () => handle.datasync()),
      truncate: (length) => run('truncate', () => handle.truncate(length)),
      stat: () => run('stat', () => handle.stat()),
      chmod: (mode) => run('chmod', () => handle.chmod(mode)),
      close: () => run('close', () => handle.close()),
    };
  }

  /**
   * Numbers and logs one operation, then carries it out on the inner file system unless a fault
   * says otherwise. `writeLength` is given for writes only; their `perform` takes a byte count.
   */
  async #run<T>(call: Call, perform: (count?: number) => Promise<T>, writeLength?: number): Promise<T> {
    const entry: OperationEntry = { n: ++this.ops, ...call };
    this.log.push(entry);
    this.onOperation?.(entry);
    if (this.crashed) throw injected('ECRASH', entry, `power lost at operation ${this.#crashedAt}`);
    const kind = this.#fault?.n === entry.n ? this.#fault.kind : undefined;
    const here = `injected at operation ${entry.n}`;
    switch (kind) {
      case 'error':
        throw injected('EIO', entry, here);
      case 'crash':
        this.crashed = true;
        this.#crashedAt = entry.n;
        throw injected('ECRASH', entry, here);
      case 'crash-mid-write':
        // Power lost while a write was under way: its first half reached the disk. Any other
        // operation is cut off before it starts, as with 'crash'.
        if (writeLength !== undefined && Math.floor(writeLength / 2) > 0) await perform(Math.floor(writeLength / 2));
        this.crashed = true;
        this.#crashedAt = entry.n;
        throw injected('ECRASH', entry, here);
      case 'hang':
        return new Promise<T>((resolve, reject) => {
          this.#hung.push(() => {
            if (this.crashed) reject(injected('ECRASH', entry, `power lost at operation ${this.#crashedAt} while it hung`));
            else
              Promise.resolve()
                .then(() => perform())
                .then(resolve, reject);
          });
        });
      case 'enospc':
        this.#fullSince = entry.n;
        if (writeLength === undefined) throw injected('ENOSPC', entry, here);
        break;
    }
    if (this.#fullSince && writeLength !== undefined) {
      // A full disk takes the first half of a write, as Linux's short writes do, and refuses one
      // with no room for even a byte, so a journal that retries short writes ends with ENOSPC.
      const half = Math.floor(writeLength / 2);
      if (half === 0) throw injected('ENOSPC', entry, `disk full since operation ${this.#fullSince}`);
      return perform(half);
    }
    return perform();
  }
}
