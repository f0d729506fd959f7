'use strict';
// Wraps any JournalFileSystem (src/journal/file-system.ts) and numbers every operation that goes
// through it, file-system and handle alike, so a test can make the n-th one fail, fill the disk,
// lose power or hang, and sweep n over a whole run as SQLite's crash tests do.

const KINDS = new Set(['error', 'enospc', 'crash', 'crash-mid-write', 'hang']);

const DESCRIPTIONS = {
  EIO: 'i/o error',
  ENOSPC: 'no space left on device',
  ECRASH: 'power lost',
};

function injected(code, entry, reason) {
  const where = entry.dest === undefined ? `'${entry.path}'` : `'${entry.path}' -> '${entry.dest}'`;
  const error = new Error(`${code}: ${DESCRIPTIONS[code]}, ${entry.op} ${where} (${reason})`);
  return Object.assign(error, { code, syscall: entry.op, path: entry.path });
}

class FaultFileSystem {
  #inner;
  #fault; // { n, kind } while armed
  #fullSince = 0; // operation that filled the disk, 0 while it has room
  #crashedAt = 0;
  #hung = []; // resumptions of operations held by a 'hang' fault

  constructor(inner) {
    this.#inner = inner;
    /** Operations so far, counted from creation or the last reset(). */
    this.ops = 0;
    /** One `{ n, op, path }` per operation (`dest` for rename and link, `handle: true` for handle methods). */
    this.log = [];
    this.crashed = false;
    /** Optional `(entry) => void`, called before each operation is carried out or refused. */
    this.onOperation = undefined;
  }

  get syncWrites() {
    return this.#inner.syncWrites;
  }

  /**
   * Arms one fault at operation `n` (1-based, counted like `ops`), replacing any armed before:
   * 'error', 'enospc', 'crash', 'crash-mid-write' (half of a write lands, then power is lost) or 'hang'.
   */
  failAt(n, kind) {
    if (!Number.isInteger(n) || n <= this.ops) {
      throw new RangeError(`operation ${n} is not still to come: ${this.ops} done so far`);
    }
    if (!KINDS.has(kind)) throw new TypeError(`unknown fault kind ${String(kind)}`);
    this.#fault = { n, kind };
  }

  /** Disarms the fault and empties the disk; a crash stays crashed. */
  clear() {
    this.#fault = undefined;
    this.#fullSince = 0;
  }

  /** Counts from zero again, with an empty log, and disarms as clear() does. */
  reset() {
    this.ops = 0;
    this.log = [];
    this.clear();
  }

  /** Carries out the operations held by 'hang' faults (refused if power was lost meanwhile); returns how many. */
  release() {
    const hung = this.#hung.splice(0);
    for (const resume of hung) resume();
    return hung.length;
  }

  open(target, mode) {
    return this.#run({ op: 'open', path: target }, async () => this.#wrap(await this.#inner.open(target, mode), target));
  }

  stat(target) {
    return this.#run({ op: 'stat', path: target }, () => this.#inner.stat(target));
  }

  realpath(target) {
    return this.#run({ op: 'realpath', path: target }, () => this.#inner.realpath(target));
  }

  mkdir(target, mode) {
    return this.#run({ op: 'mkdir', path: target }, () => this.#inner.mkdir(target, mode));
  }

  chmod(target, mode) {
    return this.#run({ op: 'chmod', path: target }, () => this.#inner.chmod(target, mode));
  }

  readdir(target) {
    return this.#run({ op: 'readdir', path: target }, () => this.#inner.readdir(target));
  }

  rename(from, to) {
    return this.#run({ op: 'rename', path: from, dest: to }, () => this.#inner.rename(from, to));
  }

  link(existing, newPath) {
    return this.#run({ op: 'link', path: existing, dest: newPath }, () => this.#inner.link(existing, newPath));
  }

  unlink(target) {
    return this.#run({ op: 'unlink', path: target }, () => this.#inner.unlink(target));
  }

  syncDirectory(target) {
    return this.#run({ op: 'syncDirectory', path: target }, () => this.#inner.syncDirectory(target));
  }

  #wrap(handle, target) {
    const run = (op, perform, writeLength) => this.#run({ op, path: target, handle: true }, perform, writeLength);
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
  async #run(call, perform, writeLength) {
    const entry = { n: ++this.ops, ...call };
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
        return new Promise((resolve, reject) => {
          this.#hung.push(() => {
            if (this.crashed) reject(injected('ECRASH', entry, `power lost at operation ${this.#crashedAt} while it hung`));
            else Promise.resolve().then(perform).then(resolve, reject);
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

module.exports = { FaultFileSystem };
