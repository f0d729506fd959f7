'use strict';
// An in-memory JournalFileSystem (src/journal/file-system.ts) that models what a power cut keeps.
// Every file has the content a reader sees now and the content that is on the device; every
// directory has the names a reader sees now and the names that are on the device. Writes,
// creations, renames and unlinks change only the "now" side; datasync, O_DSYNC journal writes
// and syncDirectory copy it to the device side; crash() builds a new file system from the
// device side alone.

const { constants } = require('node:fs');
const posix = require('node:path').posix;

const { S_IFREG, S_IFDIR, S_IFIFO } = constants;
const TYPE_BITS = { file: S_IFREG, directory: S_IFDIR, fifo: S_IFIFO };
const OPEN_MODES = new Set(['journal', 'create', 'read']);

// Node's wording, so that messages read like the real ones.
const DESCRIPTIONS = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  EBADF: 'bad file descriptor',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EPERM: 'operation not permitted',
  EINVAL: 'invalid argument',
};

function fsError(code, syscall, target, dest) {
  const where = dest === undefined ? `'${target}'` : `'${target}' -> '${dest}'`;
  const error = new Error(`${code}: ${DESCRIPTIONS[code]}, ${syscall} ${where}`);
  return Object.assign(error, { code, syscall, path: target }, dest === undefined ? {} : { dest });
}

/** The names along an absolute path, '.' and '..' resolved. */
function components(target) {
  if (typeof target !== 'string' || !target.startsWith('/')) {
    throw new TypeError(`MemoryFileSystem takes absolute paths, got ${String(target)}`);
  }
  return posix.normalize(target).split('/').filter(Boolean);
}

class Inode {
  constructor(ino, type, mode) {
    this.ino = ino;
    this.type = type;
    this.mode = mode & 0o7777;
    this.nlink = 0; // current names only: what stat reports
    this.content = Buffer.alloc(0); // what a reader sees now
    this.durable = Buffer.alloc(0); // what is on the device
    this.entries = new Map(); // directories: current name → inode
    this.durableEntries = new Map(); // directories: name → inode on the device
  }

  stats(dev) {
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
function bind(dir, name, inode, durable = false) {
  const replaced = dir.entries.get(name);
  if (replaced) replaced.nlink -= 1;
  dir.entries.set(name, inode);
  inode.nlink += 1;
  if (durable) dir.durableEntries.set(name, inode);
}

function unbind(dir, name) {
  dir.entries.get(name).nlink -= 1;
  dir.entries.delete(name);
}

function resized(buffer, length) {
  const out = Buffer.alloc(length);
  buffer.copy(out, 0, 0, Math.min(length, buffer.length));
  return out;
}

function checkRange(buffer, offset, length, position) {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || !Number.isInteger(position)) {
    throw new TypeError('offset, length and position must be integers');
  }
  if (offset < 0 || length < 0 || position < 0 || offset + length > buffer.length) {
    throw new RangeError(`offset ${offset} and length ${length} do not fit a buffer of ${buffer.length} bytes`);
  }
}

// A FIFO with no peer: its reads and writes wait for ever.
const never = () => new Promise(() => {});

class MemoryHandle {
  #inode;
  #path;
  #mode;
  #dev;
  #syncsWrites;
  #closed = false;

  constructor(inode, target, mode, dev, syncWrites) {
    this.#inode = inode;
    this.#path = target;
    this.#mode = mode;
    this.#dev = dev;
    this.#syncsWrites = mode === 'journal' && syncWrites;
  }

  #check(syscall, { reading = false, writing = false } = {}) {
    const denied = (reading && this.#mode === 'create') || (writing && this.#mode === 'read');
    if (this.#closed || denied) throw fsError('EBADF', syscall, this.#path);
  }

  async read(buffer, offset, length, position) {
    this.#check('read', { reading: true });
    checkRange(buffer, offset, length, position);
    if (this.#inode.type === 'fifo') return never();
    const { content } = this.#inode;
    if (position >= content.length) return 0;
    return content.copy(buffer, offset, position, Math.min(content.length, position + length));
  }

  async write(buffer, offset, length, position) {
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
  async append(buffer) {
    if (this.#mode !== 'journal') throw fsError('EBADF', 'write', this.#path);
    return this.write(buffer, 0, buffer.length, this.#inode.content.length);
  }

  async datasync() {
    this.#check('fdatasync');
    this.#inode.durable = Buffer.from(this.#inode.content);
  }

  async truncate(length) {
    this.#check('ftruncate', { writing: true });
    if (this.#inode.type === 'fifo') throw fsError('EINVAL', 'ftruncate', this.#path);
    this.#inode.content = resized(this.#inode.content, length);
  }

  async stat() {
    this.#check('fstat');
    return this.#inode.stats(this.#dev);
  }

  async chmod(mode) {
    this.#check('fchmod');
    this.#inode.mode = mode & 0o7777;
  }

  async close() {
    this.#check('close');
    this.#closed = true;
  }
}

// What a file holds after a power cut, for data written but never made durable.
const SURVIVING_CONTENT = {
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

class MemoryFileSystem {
  #dev = nextDev++;
  #syncWrites;
  #nextIno = 1;
  #root = this.#newInode('directory', 0o755);

  constructor({ syncWrites = true } = {}) {
    this.#syncWrites = syncWrites;
    this.#root.nlink = 1;
  }

  get syncWrites() {
    return this.#syncWrites;
  }

  /** This instance's device number: a crash gives the new file system another. */
  get dev() {
    return this.#dev;
  }

  #newInode(type, mode) {
    return new Inode(this.#nextIno++, type, mode);
  }

  /** The parent directory of `target` (which must exist), its last name, and the inode that name has now, if any. */
  #locate(target, fail) {
    const names = components(target);
    let dir = this.#root;
    for (const name of names.slice(0, -1)) {
      const next = dir.entries.get(name);
      if (!next) throw fail('ENOENT');
      if (next.type !== 'directory') throw fail('ENOTDIR');
      dir = next;
    }
    const name = names.at(-1);
    return { parent: dir, name, inode: name === undefined ? this.#root : dir.entries.get(name) };
  }

  #existing(target, syscall) {
    const fail = (code) => fsError(code, syscall, target);
    const located = this.#locate(target, fail);
    if (!located.inode) throw fail('ENOENT');
    return located;
  }

  #directory(target, syscall) {
    const { inode } = this.#existing(target, syscall);
    if (inode.type !== 'directory') throw fsError('ENOTDIR', syscall, target);
    return inode;
  }

  #makeDirectories(target, mode) {
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

  async open(target, mode) {
    if (!OPEN_MODES.has(mode)) throw new TypeError(`unknown open mode ${String(mode)}`);
    const fail = (code) => fsError(code, 'open', target);
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

  async stat(target) {
    return this.#existing(target, 'stat').inode.stats(this.#dev);
  }

  async realpath(target) {
    this.#existing(target, 'realpath');
    return `/${components(target).join('/')}`;
  }

  async mkdir(target, mode = 0o777) {
    this.#makeDirectories(target, mode);
  }

  async chmod(target, mode) {
    this.#existing(target, 'chmod').inode.mode = mode & 0o7777;
  }

  async readdir(target) {
    return this.listSync(target);
  }

  async rename(from, to) {
    const fail = (code) => fsError(code, 'rename', from, to);
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

  async link(existing, newPath) {
    const fail = (code) => fsError(code, 'link', existing, newPath);
    const source = this.#locate(existing, fail);
    if (!source.inode) throw fail('ENOENT');
    if (source.inode.type === 'directory') throw fail('EPERM');
    const destination = this.#locate(newPath, fail);
    if (destination.inode) throw fail('EEXIST');
    bind(destination.parent, destination.name, source.inode);
  }

  async unlink(target) {
    const { parent, name, inode } = this.#existing(target, 'unlink');
    if (inode.type === 'directory') throw fsError('EISDIR', 'unlink', target);
    unbind(parent, name);
  }

  async syncDirectory(target) {
    const dir = this.#directory(target, 'fsync');
    dir.durableEntries = new Map(dir.entries);
  }

  /**
   * The file system a power cut at this moment leaves: the names on the device, and for each file
   * its durable content plus, by `unsynced`, none ('lost'), all ('kept') or half of the appended
   * tail ('torn') of what was written since. Inode numbers stay; the device number and handles do not.
   */
  crash({ unsynced = 'lost' } = {}) {
    if (!Object.hasOwn(SURVIVING_CONTENT, unsynced)) throw new TypeError(`unknown unsynced mode ${String(unsynced)}`);
    const surviving = SURVIVING_CONTENT[unsynced];
    const next = new MemoryFileSystem({ syncWrites: this.#syncWrites });
    next.#nextIno = this.#nextIno;
    // Keyed by inode number, so hard links stay one file.
    const copies = new Map([[this.#root.ino, next.#root]]);
    const copyEntries = (dir, copy) => {
      for (const [name, child] of dir.durableEntries) bind(copy, name, copyInode(child), true);
    };
    const copyInode = (inode) => {
      if (copies.has(inode.ino)) return copies.get(inode.ino);
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
  writeFileSync(target, data) {
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
  readFileSync(target) {
    const { inode } = this.#existing(target, 'open');
    if (inode.type === 'directory') throw fsError('EISDIR', 'read', target);
    return Buffer.from(inode.content);
  }

  existsSync(target) {
    try {
      return this.#locate(target, (code) => fsError(code, 'access', target)).inode !== undefined;
    } catch (error) {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
      throw error;
    }
  }

  /** The current names in a directory, sorted. */
  listSync(target) {
    return [...this.#directory(target, 'scandir').entries.keys()].sort();
  }

  /** Test set-up: a FIFO with no peer (durable at once), which the journal must never open. */
  mkfifo(target) {
    const { parent, name, inode } = this.#locate(target, (code) => fsError(code, 'mkfifo', target));
    if (inode) throw fsError('EEXIST', 'mkfifo', target);
    bind(parent, name, this.#newInode('fifo', 0o644), true);
  }
}

module.exports = { MemoryFileSystem };
