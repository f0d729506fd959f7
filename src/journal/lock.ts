import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Explanation, explain } from '../protocol/messages';

/**
 * One writer per journal file, across config nodes and across processes. The lock is a
 * listening local socket named after the file: the kernel gives a name to one listener only,
 * and frees it when the process ends, however it ends (kill -9, power cut), so there is no
 * stale lock to clean up. On Linux the socket lives in the abstract namespace, on Windows it is
 * a named pipe; elsewhere it is a socket file in the temporary folder, taken over when nobody
 * answers on it.
 *
 * Limits: processes in different network namespaces (two containers sharing one volume) do not
 * see each other's Linux abstract sockets; give each container its own journal file.
 */

export interface JournalLock {
  /** Frees the name for the next writer. Safe to call more than once. */
  release(): Promise<void>;
}

/** The journal file is held by another writer; the message says which one. */
export class JournalLockedError extends Error {
  readonly code = 'ELOCKED';

  /** `explanation` says it for the person at the counter; `message` for the log. */
  constructor(
    message: string,
    readonly explanation: Explanation,
  ) {
    super(message);
  }
}

interface Holder {
  readonly pid: number;
  readonly owner: string;
  readonly since: string;
}

/** How long to wait for the holder of a lock to say who it is. */
const ASK_HOLDER_TIMEOUT_MS = 1000;

/**
 * Takes the lock named by `key` (which identifies the file: device, inode of its folder, name),
 * or throws JournalLockedError naming the holder. `owner` describes this writer to others.
 */
export async function lockJournal(key: string, file: string, owner: string): Promise<JournalLock> {
  const address = lockAddress(key);
  const holder: Holder = { pid: process.pid, owner, since: new Date().toISOString() };
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(`${JSON.stringify(holder)}\n`);
  });
  server.on('error', () => undefined);
  try {
    await listen(server, address);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const other = await askHolder(address);
    if (other === 'nobody' && address.kind === 'file') {
      // A socket file left by a process that ended: take it over.
      await unlinkQuietly(address.path);
      await listen(server, address);
    } else {
      throw lockedError(file, other === 'nobody' ? undefined : other);
    }
  }
  server.unref();
  let released: Promise<void> | undefined;
  return {
    release() {
      released ??= new Promise((resolve) => server.close(() => resolve()));
      return released;
    },
  };
}

interface LockAddress {
  readonly kind: 'abstract' | 'pipe' | 'file';
  readonly path: string;
}

function lockAddress(key: string): LockAddress {
  const name = `mypos-journal-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  if (process.platform === 'linux') return { kind: 'abstract', path: `\0${name}` };
  if (process.platform === 'win32') return { kind: 'pipe', path: `\\\\?\\pipe\\${name}` };
  return { kind: 'file', path: path.join(os.tmpdir(), `${name}.sock`) };
}

function listen(server: net.Server, address: LockAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(error);
    server.once('error', failed);
    server.listen(address.path, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** Who holds the lock, or 'nobody' when nothing answers on its address (a stale socket file). */
function askHolder(address: LockAddress): Promise<Holder | 'nobody' | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = net.connect(address.path);
    const done = (answer: Holder | 'nobody' | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), ASK_HOLDER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) done(undefined);
    });
    socket.on('end', () => done(parseHolder(text)));
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'nobody' : undefined));
  });
}

function parseHolder(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value.pid === 'number' && typeof value.owner === 'string' && typeof value.since === 'string') {
      return { pid: value.pid, owner: value.owner, since: value.since };
    }
  } catch {
    // Not one of ours: say nothing about who it is.
  }
  return undefined;
}

function lockedError(file: string, holder: Holder | undefined): JournalLockedError {
  const who = !holder
    ? 'another process, which does not say who it is (it may be stopping, or waiting for a disk that does not answer)'
    : holder.pid === process.pid
      ? `this process already (${holder.owner}, since ${holder.since})`
      : `another process (pid ${holder.pid}: ${holder.owner}, since ${holder.since})`;
  const explanation = !holder
    ? explain('journal.lockedSilent')
    : holder.pid === process.pid
      ? explain('journal.lockedHere', { owner: holder.owner })
      : explain('journal.locked', { pid: holder.pid, since: { time: holder.since } });
  return new JournalLockedError(`the journal ${file} is in use by ${who}; one writer per journal file: stop the other, or give this one its own journal file`, explanation);
}

async function unlinkQuietly(file: string): Promise<void> {
  await fs.unlink(file).catch(() => undefined);
}
