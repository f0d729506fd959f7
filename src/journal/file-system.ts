import { constants, promises as fs } from 'node:fs';

/**
 * The file operations the journal uses, and nothing more. The journal takes them through this
 * interface so that the crash-consistency tests can make any one of them fail, hang or "lose
 * power", as SQLite's own tests do with its VFS. `nodeFileSystem` is the real one.
 */

export interface FileStats {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly nlink: number;
  readonly mode: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface JournalHandle {
  /** Reads up to `length` bytes at `position`; resolves with how many were read (0 at the end). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes at `position`; resolves with how many bytes were written, which may be fewer. */
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * Writes at the end of the file, wherever that is now (O_APPEND; `journal` handles only), so
   * lines a foreign writer appended are never overwritten. Resolves with how many bytes were
   * written, which may be fewer.
   */
  append(buffer: Buffer): Promise<number>;
  /** Flushes the file's data (and what is needed to read it back) to the device. */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<FileStats>;
  chmod(mode: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenMode =
  /** The live journal: read and append, created 0600 if missing, every write durable on return. */
  | 'journal'
  /** A new file that must not exist yet (a compaction's output), written and then flushed. */
  | 'create'
  /** An existing file, read only (a leftover or a foreign file). */
  | 'read';

export interface JournalFileSystem {
  /** True when a `journal` handle's writes are durable on return (O_DSYNC); else the journal flushes itself. */
  readonly syncWrites: boolean;
  open(path: string, mode: OpenMode): Promise<JournalHandle>;
  stat(path: string): Promise<FileStats>;
  realpath(path: string): Promise<string>;
  mkdir(path: string, mode: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames) durable. */
  syncDirectory(path: string): Promise<void>;
}

const { O_RDONLY, O_RDWR, O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_DSYNC, O_NONBLOCK } = constants;
// O_NONBLOCK: a FIFO or device put where the journal should be fails or returns at once
// instead of blocking a thread-pool thread forever; regular files ignore it.
// Both are undefined on Windows, whatever @types/node says.
const NONBLOCK = (O_NONBLOCK as number | undefined) ?? 0;
const DSYNC = (O_DSYNC as number | undefined) ?? 0;

/** The real file system, through node:fs promises (thread pool: never on the event loop). */
export const nodeFileSystem: JournalFileSystem = {
  syncWrites: DSYNC !== 0,
  async open(path, mode) {
    const flags = mode === 'journal' ? O_RDWR | O_APPEND | O_CREAT | NONBLOCK | DSYNC : mode === 'create' ? O_WRONLY | O_CREAT | O_EXCL | NONBLOCK : O_RDONLY | NONBLOCK;
    const handle = await fs.open(path, flags, 0o600);
    return {
      read: async (buffer, offset, length, position) => (await handle.read(buffer, offset, length, position)).bytesRead,
      write: async (buffer, offset, length, position) => (await handle.write(buffer, offset, length, position)).bytesWritten,
      append: async (buffer) => (await handle.write(buffer, 0, buffer.length, null)).bytesWritten,
      datasync: () => handle.datasync(),
      truncate: (length) => handle.truncate(length),
      stat: () => handle.stat(),
      chmod: (fileMode) => handle.chmod(fileMode),
      close: () => handle.close(),
    };
  },
  stat: (path) => fs.stat(path),
  realpath: (path) => fs.realpath(path),
  mkdir: async (path, mode) => {
    await fs.mkdir(path, { recursive: true, mode });
  },
  chmod: (path, mode) => fs.chmod(path, mode),
  readdir: (path) => fs.readdir(path),
  rename: (from, to) => fs.rename(from, to),
  link: (existing, newPath) => fs.link(existing, newPath),
  unlink: (path) => fs.unlink(path),
  async syncDirectory(path) {
    const handle = await fs.open(path, O_RDONLY | NONBLOCK);
    try {
      await handle.sync();
    } catch (error) {
      // Some file systems cannot flush a directory (EINVAL); their renames are as durable as they get.
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    } finally {
      await handle.close();
    }
  },
};
