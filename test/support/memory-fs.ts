// An in-memory JournalFileSystem (src/journal/file-system.ts) that models what a power cut keeps.
// Every file has the content a reader sees now and the content that is on the device; every
// directory has the names a reader sees now and the names that are on the device. Writes,
// creations, renames and unlinks change only the "now" side; datasync, O_DSYNC journal writes
// and syncDirectory copy it to the device side; crash() builds a new file system from the
// device side alone.

import { constants } from 'node:fs';
import { posix } from 'node:path';
import type { FileStats, JournalFileSystem, JournalHandle, OpenMode } from '../../src/journal/file-system';

const { S_IFREG, S_IFDIR, S_IFIFO } = constants;
type InodeType = 'file' | 'directory' | 'fifo';
const TYPE_BITS: Record<InodeType, number> = { file: S_IFREG, directory: S_IFDIR, fifo: S_IFIFO };
const OPEN_MODES = new Set<string>(['journal', 'create', 'read']);

// Node's wording, so that messages read like the real ones.
type FsErrorCode = 'ENOENT' | 'EEXIST' | 'EBADF' | 'ENOTDIR' | 'EISDIR' | 'EPERM' | 'EINVAL';
const DESCRIPTIONS: Record<FsErrorCode, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EBADF: 'bad file descriptor',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EPERM: 'operation not permitted',
  EINVAL: 'invalid argument',
};

/** An error as node:fs gives it: `code`, `syscall`, `path` (and `dest` for two paths). */
export interface FsError extends Error {
  code: FsErrorCode;
  syscall: string;
  path: string;
  dest?: string;
}

function fsError(code: FsErrorCode, syscall: string, target: string, dest?: string): FsError {
  const where = dest === undefined ? `'${target}'` : `'${target}' -> '${dest}'`;
  const error = new Error(`${code}: ${DESCRIPTIONS[code]}, ${syscall} ${where}`);
  return Object.assign(error, { code, syscall, path: target }, dest === undefined ? {} : { dest });
}

/** The names along an absolute path, '.' and '..' resolved. */
function components(target: unknown): string[] {
  if (typeof target !== 'string' || !target.startsWith('/')) {
    throw new TypeError(`MemoryFileSystem takes absolute paths, got ${String(target)}`);
  }
  return posix.normalize(target).split('/').filter(Boolean);
}

class Inode {
  readonly ino: number;
  readonly type: InodeType;
  mode: number;
  nlink = 0; // current names only: what stat reports
  content: Buffer = Buffer.alloc(0); // what a reader sees now
  durable: Buffer = Buffer.alloc(0); // what is on the device
  entries = new Map<string, Inode>(); // directories: current name → inode
  durableEntries = new Map<string, Inode>(); // directories: name → inode on the device

  constructor(ino: number, type: InodeType, mode: number) {
    this.ino = ino;
    this.type = type;
    this.mode = mode & 0o7777;
  }

  stats(dev: number): FileStats {
    const { ino, nlink, type } = this;
    return {
      dev,
      ino,
      size: this.content.length,
      nlink,
      mode: TYPE_BITS[type] | this.mode,
      isFile: () => type === 'file',
      isDirectory: () => type === 'directory',
    };
  }
}

/** Gives `inode` the current name `name` in `dir`, replacing what had it; `durable` also writes the name to the device. */
function bind(dir: Inode, name: string, inode: Inode, durable = false): void {
  const replaced = dir.entries.get(name);
  if (replaced) replaced.nlink -= 1;
  dir.entries.set(name, inode);
  inode.nlink += 1;
  if (durable) dir.durableEntries.set(name, inode);
}

function unbind(dir: Inode, name: string): void {
  const inode = dir.entries.get(name);
  if (inode) inode.nlink -= 1;
  dir.entries.delete(name);
}

function resized(buffer: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  buffer.copy(out, 0, 0, Math.min(length, buffer.length));
  return out;
}

function checkRange(buffer: Buffer, offset: number, length: number, position: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || !Number.isInteger(position)) {
    throw new TypeError('offset, length and position must be integers');
  }
  if (offset < 0 || length < 0 || position < 0 || offset + length > buffer.length) {
    throw new RangeError(`offset ${offset} and length ${length} do not fit a buffer of ${buffer.length} bytes`);
  }
}

// A FIFO with no peer: its reads and writes wait for ever.
const never = (): Promise<never> =>
  new Promise(() => {
    // never settles
  });

class MemoryHandle implements JournalHandle {
  readonly #inode: Inode;
  readonly #path: string;
  readonly #mode: OpenMode;
  readonly #dev: number;
  readonly #syncsWrites: boolean;
  #closed = false;

  constructor(inode: Inode, target: string, mode: OpenMode, dev: number, syncWrites: boolean) {
    this.#inode = inode;
    this.#path = target;
    this.#mode = mode;
    this.#dev = dev;
    this.#syncsWrites = mode === 'journal' && syncWrites;
  }

  #check(syscall: string, { reading = false, writing = false } = {}): void {
    const denied = (reading && this.#mode === 'create') || (writing && this.#mode === 'read');
    if (this.#closed || denied) throw fsError('EBADF', syscall, this.#path);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.#check('read', { reading: true });
    checkRange(buffer, offset, length, position);
    if (this.#inode.type === 'fifo') return never();
    const { content } = this.#inode;
    if (position >= content.length) return 0;
    return content.copy(buffer, offset, position, Math.min(content.length, position + length));
  }

  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.#check('write', { writing: true });
    checkRange(buffer, offset, length, position);
    const inode = this.#inode;
    if (inode.type === 'fifo') return never();
    if (position + length > inode.content.length) inode.content = resized(inode.content, position + length);
    buffer.copy(inode.content, position, offset, offset + length);
    // O_DSYNC: the write returns once the file's data, earlier truncates included, is on the device.
    if (this.#syncsWrites) inode.durable = Buffer.from(inode.content);
    return length;
  }

  /** A write at the end of the file, wherever that is now (O_APPEND): only the journal's own handles append. */
  async append(buffer: Buffer): Promise<number> {
    if (this.#mode !== 'journal') throw fsError('EBADF', 'write', this.#path);
    return this.write(buffer, 0, buffer.length, this.#inode.content.length);
  }

  async datasync(): Promise<void> {
    this.#check('fdatasync');
    this.#inode.durable = Buffer.from(this.#inode.content);
  }

  async truncate(length: number): Promise<void> {
    this.#check('ftruncate', { writing: true });
    if (this.#inode.type === 'fifo') throw fsError('EINVAL', 'ftruncate', this.#path);
    this.#inode.content = resized(this.#inode.content, length);
  }

  async stat(): Promise<FileStats> {
    this.#check('fstat');
    return this.#inode.stats(this.#dev);
  }

  async chmod(mode: number): Promise<void> {
    this.#check('fchmod');
    this.#inode.mode = mode & 0o7777;
  }

  async close(): Promise<void> {
    this.#check('close');
    this.#closed = true;
  }
}

// What a file holds after a power cut, for data written but never made durable.
/** What a power cut keeps of data written but not made durable: none, all, or half of the appended tail. */
export type Unsynced = 'lost' | 'kept' | 'torn';
const SURVIVING_CONTENT: Record<Unsynced, (inode: Inode) => Buffer> = {
  lost: (inode) => Buffer.from(inode.durable),
  kept: (inode) => Buffer.from(inode.content),
  // Half of the appended tail reached the device; unsynced overwrites inside the durable length did not.
  torn: ({ durable, content }) => {
    const tail = content.subarray(durable.length);
    return Buffer.concat([durable, tail.subarray(0, Math.floor(tail.length / 2))]);
  },
};

// Unique across processes too: the journal names its lock after the device, and test files run side by side.
let nextDev = process.pid * 100000;

export class MemoryFileSystem implements JournalFileSystem {
  readonly #dev = nextDev++;
  readonly #syncWrites: boolean;
  #nextIno = 1;
  readonly #root = this.#newInode('directory', 0o755);

  constructor({ syncWrites = true }: { syncWrites?: boolean } = {}) {
    this.#syncWrites = syncWrites;
    this.#root.nlink = 1;
  }

  get syncWrites(): boolean {
    return this.#syncWrites;
  }

  /** This instance's device number: a crash gives the new file system another. */
  get dev(): number {
    return this.#dev;
  }

  #newInode(type: InodeType, mode: number): Inode {
    return new Inode(this.#nextIno++, type, mode);
  }

  /** The parent directory of `target` (which must exist), its last name, and the inode that name has now, if any. */
  #locate(target: string, fail: (code: FsErrorCode) => FsError): { parent: Inode; name: string; inode: Inode | undefined } {
    const names = components(target);
    let dir = this.#root;
    for (const name of names.slice(0, -1)) {
      const next = dir.entries.get(name);
      if (!next) throw fail('ENOENT');
      if (next.type !== 'directory') throw fail('ENOTDIR');
      dir = next;
    }
    const name = names.at(-1);
    return name === undefined ? { parent: dir, name: '', inode: this.#root } : { parent: dir, name, inode: dir.entries.get(name) };
  }

  #existing(target: string, syscall: string): { parent: Inode; name: string; inode: Inode } {
    const fail = (code: FsErrorCode): FsError => fsError(code, syscall, target);
    const { parent, name, inode } = this.#locate(target, fail);
    if (!inode) throw fail('ENOENT');
    return { parent, name, inode };
  }

  #directory(target: string, syscall: string): Inode {
    const { inode } = this.#existing(target, syscall);
    if (inode.type !== 'directory') throw fsError('ENOTDIR', syscall, target);
    return inode;
  }

  #makeDirectories(target: string, mode: number): void {
    const names = components(target);
    let dir = this.#root;
    names.forEach((name, index) => {
      let next = dir.entries.get(name);
      if (!next) {
        next = this.#newInode('directory', mode);
        bind(dir, name, next, true); // kept simple: new directories are durable at once
      } else if (next.type !== 'directory') {
        throw fsError(index === names.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', target);
      }
      dir = next;
    });
  }

  async open(target: string, mode: OpenMode): Promise<JournalHandle> {
    if (!OPEN_MODES.has(mode)) throw new TypeError(`unknown open mode ${String(mode)}`);
    const fail = (code: FsErrorCode): FsError => fsError(code, 'open', target);
    const located = this.#locate(target, fail);
    let { inode } = located;
    if (inode && mode === 'create') throw fail('EEXIST');
    if (!inode) {
      if (mode === 'read') throw fail('ENOENT');
      inode = this.#newInode('file', 0o600);
      bind(located.parent, located.name, inode);
    }
    if (inode.type === 'directory') throw fail('EISDIR');
    return new MemoryHandle(inode, target, mode, this.#dev, this.#syncWrites);
  }

  async stat(target: string): Promise<FileStats> {
    return this.#existing(target, 'stat').inode.stats(this.#dev);
  }

  async realpath(target: string): Promise<string> {
    this.#existing(target, 'realpath');
    return `/${components(target).join('/')}`;
  }

  async mkdir(target: string, mode = 0o777): Promise<void> {
    this.#makeDirectories(target, mode);
  }

  async chmod(target: string, mode: number): Promise<void> {
    this.#existing(target, 'chmod').inode.mode = mode & 0o7777;
  }

  async readdir(target: string): Promise<string[]> {
    return this.listSync(target);
  }

  async rename(from: string, to: string): Promise<void> {
    const fail = (code: FsErrorCode): FsError => fsError(code, 'rename', from, to);
    const source = this.#locate(from, fail);
    if (!source.inode) throw fail('ENOENT');
    const destination = this.#locate(to, fail);
    if (destination.inode === source.inode) return; // POSIX: two names of one file, nothing to do
    if (destination.inode) {
      if (destination.inode.type === 'directory') throw fail('EISDIR');
      if (source.inode.type === 'directory') throw fail('ENOTDIR');
    }
    unbind(source.parent, source.name);
    bind(destination.parent, destination.name, source.inode);
  }

  async link(existing: string, newPath: string): Promise<void> {
    const fail = (code: FsErrorCode): FsError => fsError(code, 'link', existing, newPath);
    const source = this.#locate(existing, fail);
    if (!source.inode) throw fail('ENOENT');
    if (source.inode.type === 'directory') throw fail('EPERM');
    const destination = this.#locate(newPath, fail);
    if (destination.inode) throw fail('EEXIST');
    bind(destination.parent, destination.name, source.inode);
  }

  async unlink(target: string): Promise<void> {
    const { parent, name, inode } = this.#existing(target, 'unlink');
    if (inode.type === 'directory') throw fsError('EISDIR', 'unlink', target);
    unbind(parent, name);
  }

  async syncDirectory(target: string): Promise<void> {
    const dir = this.#directory(target, 'fsync');
    dir.durableEntries = new Map(dir.entries);
  }

  /**
   * The file system a power cut at this moment leaves: the names on the device, and for each file
   * its durable content plus, by `unsynced`, none ('lost'), all ('kept') or half of the appended
   * tail ('torn') of what was written since. Inode numbers stay; the device number and handles do not.
   */
  crash({ unsynced = 'lost' }: { unsynced?: Unsynced | undefined } = {}): MemoryFileSystem {
    if (!Object.hasOwn(SURVIVING_CONTENT, unsynced)) throw new TypeError(`unknown unsynced mode ${String(unsynced)}`);
    const surviving = SURVIVING_CONTENT[unsynced];
    const next = new MemoryFileSystem({ syncWrites: this.#syncWrites });
    next.#nextIno = this.#nextIno;
    // Keyed by inode number, so hard links stay one file.
    const copies = new Map([[this.#root.ino, next.#root]]);
    const copyEntries = (dir: Inode, copy: Inode): void => {
      for (const [name, child] of dir.durableEntries) bind(copy, name, copyInode(child), true);
    };
    const copyInode = (inode: Inode): Inode => {
      const copied = copies.get(inode.ino);
      if (copied) return copied;
      const copy = new Inode(inode.ino, inode.type, inode.mode);
      copies.set(inode.ino, copy);
      copy.content = surviving(inode);
      copy.durable = Buffer.from(copy.content);
      copyEntries(inode, copy);
      return copy;
    };
    copyEntries(this.#root, next.#root);
    return next;
  }

  /** Test set-up: creates or replaces a file's content and name, durable at once, making its parents. */
  writeFileSync(target: string, data: string | Uint8Array): void {
    this.#makeDirectories(posix.dirname(target), 0o755);
    const { parent, name, inode: found } = this.#locate(target, (code) => fsError(code, 'open', target));
    if (found && found.type !== 'file') throw fsError('EISDIR', 'open', target);
    const inode = found ?? this.#newInode('file', 0o644);
    inode.content = Buffer.from(data);
    inode.durable = Buffer.from(data);
    if (!found) bind(parent, name, inode);
    parent.durableEntries.set(name, inode);
  }

  /** The content a reader sees now. */
  readFileSync(target: string): Buffer {
    const { inode } = this.#existing(target, 'open');
    if (inode.type === 'directory') throw fsError('EISDIR', 'read', target);
    return Buffer.from(inode.content);
  }

  existsSync(target: string): boolean {
    try {
      return this.#locate(target, (code) => fsError(code, 'access', target)).inode !== undefined;
    } catch (error) {
      const { code } = error as Partial<FsError>;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw error;
    }
  }

  /** The current names in a directory, sorted. */
  listSync(target: string): string[] {
    return [...this.#directory(target, 'scandir').entries.keys()].sort();
  }

  /** Test set-up: a FIFO with no peer (durable at once), which the journal must never open. */
  mkfifo(target: string): void {
    const { parent, name, inode } = this.#locate(target, (code) => fsError(code, 'mkfifo', target));
    if (inode) throw fsError('EEXIST', 'mkfifo', target);
    bind(parent, name, this.#newInode('fifo', 0o644), true);
  }
}
