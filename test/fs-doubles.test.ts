// The file-system doubles the journal's crash-consistency tests stand on: MemoryFileSystem's
// power-loss model and FaultFileSystem's numbered faults, over memory and over the real disk.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeFileSystem } from '../src/journal/file-system';
import type { JournalFileSystem, JournalHandle } from '../src/journal/file-system';
import { MemoryFileSystem } from './support/memory-fs';
import type { Unsynced } from './support/memory-fs';
import { FaultFileSystem } from './support/fault-fs';
import type { FaultKind, OperationEntry } from './support/fault-fs';

/** 'settled' or 'pending' after `ms`, leaving no timer behind. */
async function stateAfter(promise: Promise<unknown>, ms = 20): Promise<'settled' | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(resolve, ms, 'pending');
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'settled' as const,
        () => 'settled' as const,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function writeString(handle: JournalHandle, text: string, position: number): Promise<number> {
  const buffer = Buffer.from(text);
  return handle.write(buffer, 0, buffer.length, position);
}

async function readAll(handle: JournalHandle): Promise<string> {
  const { size } = await handle.stat();
  const buffer = Buffer.alloc(size);
  const read = await handle.read(buffer, 0, size, 0);
  return buffer.subarray(0, read).toString();
}

const text = (memory: MemoryFileSystem, file: string): string => memory.readFileSync(file).toString();

/** The careful way to replace a file's content: write a new file, flush it, rename it over, flush the directory. */
async function replaceAtomically(fileSystem: JournalFileSystem, file: string, content: string, { flushData = true } = {}): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await fileSystem.open(temporary, 'create');
  await writeString(handle, content, 0);
  if (flushData) await handle.datasync();
  await handle.close();
  await fileSystem.rename(temporary, file);
  await fileSystem.syncDirectory(path.posix.dirname(file));
}

describe('MemoryFileSystem', () => {
  let memory: MemoryFileSystem;
  beforeEach(() => {
    memory = new MemoryFileSystem();
    memory.writeFileSync('/data/journal.jsonl', 'old');
  });

  describe('namespace', () => {
    it('makes directories recursively, lists names sorted and reports types', async () => {
      await memory.mkdir('/a/b/c', 0o700);
      await memory.mkdir('/a/b', 0o700); // already there: no error
      memory.writeFileSync('/a/z', '');
      memory.writeFileSync('/a/m', '');
      assert.deepEqual(await memory.readdir('/a'), ['b', 'm', 'z']);
      assert.deepEqual(memory.listSync('/'), ['a', 'data']);
      const directory = await memory.stat('/a/b/c');
      assert.equal(directory.isDirectory(), true);
      assert.equal(directory.isFile(), false);
      assert.equal(directory.mode & 0o777, 0o700);
      assert.equal((await memory.stat('/a/z')).isFile(), true);
    });

    it('fails like node:fs: ENOENT, EEXIST, ENOTDIR, EISDIR, with node-style messages', async () => {
      await assert.rejects(memory.open('/x', 'read'), {
        code: 'ENOENT',
        message: "ENOENT: no such file or directory, open '/x'",
      });
      await assert.rejects(memory.open('/data/journal.jsonl', 'create'), { code: 'EEXIST' });
      await assert.rejects(memory.readdir('/data/journal.jsonl'), { code: 'ENOTDIR' });
      await assert.rejects(memory.stat('/data/journal.jsonl/inside'), { code: 'ENOTDIR' });
      await assert.rejects(memory.open('/data', 'read'), { code: 'EISDIR' });
      await assert.rejects(memory.unlink('/data'), { code: 'EISDIR' });
      await assert.rejects(memory.unlink('/data/missing'), { code: 'ENOENT' });
      await assert.rejects(memory.mkdir('/data/journal.jsonl', 0o700), { code: 'EEXIST' });
      await assert.rejects(memory.rename('/data/missing', '/data/other'), {
        code: 'ENOENT',
        message: "ENOENT: no such file or directory, rename '/data/missing' -> '/data/other'",
      });
    });

    it('resolves realpath to the normalised path, and ENOENT for a missing one', async () => {
      assert.equal(await memory.realpath('/data/./x/../journal.jsonl/'), '/data/journal.jsonl');
      assert.equal(await memory.realpath('/'), '/');
      await assert.rejects(memory.realpath('/data/missing'), { code: 'ENOENT' });
    });

    it('renames atomically over an existing file, which keeps living behind an open handle', async () => {
      const reader = await memory.open('/data/journal.jsonl', 'read');
      memory.writeFileSync('/data/new', 'new');
      const { ino } = await memory.stat('/data/new');
      await memory.rename('/data/new', '/data/journal.jsonl');
      assert.deepEqual(memory.listSync('/data'), ['journal.jsonl']);
      assert.equal((await memory.stat('/data/journal.jsonl')).ino, ino);
      assert.equal(text(memory, '/data/journal.jsonl'), 'new');
      assert.equal((await reader.stat()).nlink, 0);
      assert.equal(await readAll(reader), 'old');
    });

    it('renames a directory to a new name, its files with it', async () => {
      await memory.rename('/data', '/moved');
      assert.equal(memory.existsSync('/data'), false);
      assert.equal(text(memory, '/moved/journal.jsonl'), 'old');
    });

    it('counts names in nlink through link and unlink, down to 0 behind an open handle', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      await memory.link('/data/journal.jsonl', '/data/backup');
      const [first, second] = [await memory.stat('/data/journal.jsonl'), await memory.stat('/data/backup')];
      assert.equal(first.ino, second.ino);
      assert.equal(first.dev, memory.dev);
      assert.equal(first.nlink, 2);
      await assert.rejects(memory.link('/data/journal.jsonl', '/data/backup'), { code: 'EEXIST' });
      await assert.rejects(memory.link('/data/missing', '/data/other'), { code: 'ENOENT' });

      await memory.unlink('/data/journal.jsonl');
      assert.equal((await memory.stat('/data/backup')).nlink, 1);
      await memory.unlink('/data/backup');
      assert.equal((await handle.stat()).nlink, 0);
      await writeString(handle, 'still writable', 0);
      assert.equal(await readAll(handle), 'still writable');
      assert.deepEqual(memory.listSync('/data'), []);
    });

    it('gives every inode its own number and every instance its own device', async () => {
      await (await memory.open('/data/a', 'journal')).close();
      await (await memory.open('/data/b', 'create')).close();
      const inos = new Set([(await memory.stat('/data/journal.jsonl')).ino, (await memory.stat('/data/a')).ino, (await memory.stat('/data/b')).ino, (await memory.stat('/data')).ino]);
      assert.equal(inos.size, 4);
      assert.notEqual(new MemoryFileSystem().dev, memory.dev);
      assert.ok(memory.dev >= 1000);
    });

    it('stores modes set by chmod on paths and handles, and creates journal files 0600', async () => {
      const handle = await memory.open('/data/fresh', 'journal');
      assert.equal((await handle.stat()).mode & 0o777, 0o600);
      await handle.chmod(0o640);
      assert.equal((await memory.stat('/data/fresh')).mode & 0o777, 0o640);
      await memory.chmod('/data/fresh', 0o400);
      const stats = await handle.stat();
      assert.equal(stats.mode & 0o777, 0o400);
      assert.equal(stats.mode & fs.constants.S_IFMT, fs.constants.S_IFREG);
    });
  });

  describe('handles', () => {
    it('reads partially and returns 0 at and after the end', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'read');
      const buffer = Buffer.alloc(10, '.');
      assert.equal(await handle.read(buffer, 2, 10 - 2, 1), 2);
      assert.equal(buffer.toString(), '..ld......');
      assert.equal(await handle.read(buffer, 0, 4, 3), 0);
      assert.equal(await handle.read(buffer, 0, 4, 100), 0);
    });

    it('fills a gap left by a write past the end with zeros', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      assert.equal(await writeString(handle, 'xy', 5), 2);
      assert.deepEqual(memory.readFileSync('/data/journal.jsonl'), Buffer.from('old\0\0xy'));
    });

    it('writes only the given slice of the buffer', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      assert.equal(await handle.write(Buffer.from('abcdef'), 2, 3, 0), 3);
      assert.equal(text(memory, '/data/journal.jsonl'), 'cde');
    });

    it('truncates shorter and longer, the new bytes zeros', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      await handle.truncate(1);
      assert.equal(text(memory, '/data/journal.jsonl'), 'o');
      await handle.truncate(3);
      assert.deepEqual(memory.readFileSync('/data/journal.jsonl'), Buffer.from('o\0\0'));
    });

    it('refuses writes on read handles, reads on create handles, and everything once closed', async () => {
      const reader = await memory.open('/data/journal.jsonl', 'read');
      await assert.rejects(writeString(reader, 'x', 0), { code: 'EBADF' });
      await assert.rejects(reader.truncate(0), { code: 'EBADF' });
      const writer = await memory.open('/data/new', 'create');
      await assert.rejects(writer.read(Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
      await reader.close();
      await assert.rejects(reader.read(Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
      await assert.rejects(reader.stat(), { code: 'EBADF' });
      await assert.rejects(reader.close(), { code: 'EBADF' });
      assert.equal(text(memory, '/data/journal.jsonl'), 'old');
    });

    it('opens a FIFO whose reads and writes never settle, and stats it as neither file nor directory', async () => {
      memory.mkfifo('/data/pipe');
      const stats = await memory.stat('/data/pipe');
      assert.equal(stats.isFile(), false);
      assert.equal(stats.isDirectory(), false);
      for (const mode of ['journal', 'read'] as const) {
        const handle = await memory.open('/data/pipe', mode);
        assert.equal((await handle.stat()).isFile(), false);
        const operation = mode === 'read' ? handle.read(Buffer.alloc(1), 0, 1, 0) : writeString(handle, 'x', 0);
        assert.equal(await stateAfter(operation), 'pending');
      }
    });
  });

  describe('power loss', () => {
    it("keeps a 'journal' handle's writes with syncWrites, but its new name only after syncDirectory", async () => {
      const handle = await memory.open('/data/fresh', 'journal');
      await writeString(handle, 'entry', 0);
      assert.equal(memory.crash().existsSync('/data/fresh'), false);

      await memory.syncDirectory('/data');
      await writeString(handle, '-more', 5);
      assert.equal(text(memory.crash(), '/data/fresh'), 'entry-more');
    });

    it("keeps a 'journal' handle's writes without syncWrites only once datasync'd", async () => {
      memory = new MemoryFileSystem({ syncWrites: false });
      memory.writeFileSync('/data/journal.jsonl', 'old');
      assert.equal(memory.syncWrites, false);
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      await writeString(handle, '+new', 3);
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'old');
      await handle.datasync();
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'old+new');
    });

    it("keeps a 'create' handle's writes only once datasync'd", async () => {
      const handle = await memory.open('/data/compacted', 'create');
      await memory.syncDirectory('/data');
      await writeString(handle, 'compacted', 0);
      assert.equal(text(memory, '/data/compacted'), 'compacted');
      assert.equal(text(memory.crash(), '/data/compacted'), '');
      await handle.datasync();
      assert.equal(text(memory.crash(), '/data/compacted'), 'compacted');
    });

    it('makes a truncate durable with the next datasync or synchronous journal write', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      await handle.truncate(1);
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'old');
      await writeString(handle, 'O', 0);
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'O');
    });

    it('forgets a rename, link or unlink until syncDirectory', async () => {
      await replaceAtomically(memory, '/data/journal.jsonl', 'new');
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'new');

      await memory.rename('/data/journal.jsonl', '/data/renamed');
      await memory.link('/data/renamed', '/data/linked');
      let after = memory.crash();
      assert.deepEqual(after.listSync('/data'), ['journal.jsonl']);
      await memory.syncDirectory('/data');
      after = memory.crash();
      assert.deepEqual(after.listSync('/data'), ['linked', 'renamed']);
      assert.equal((await after.stat('/data/linked')).nlink, 2);

      await memory.unlink('/data/linked');
      assert.deepEqual(memory.crash().listSync('/data'), ['linked', 'renamed']);
    });

    it('brings back an unlinked file whose removal was never synced, with its durable content', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      await memory.unlink('/data/journal.jsonl');
      await writeString(handle, 'NEW', 0);
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), 'NEW');
    });

    it('leaves an empty file when new content was renamed into place without a datasync', async () => {
      // The classic zero-length-file bug: rename and directory are durable, the data is not.
      await replaceAtomically(memory, '/data/journal.jsonl', 'new', { flushData: false });
      assert.equal(text(memory, '/data/journal.jsonl'), 'new');
      assert.equal(text(memory.crash(), '/data/journal.jsonl'), '');
      assert.equal(text(memory.crash({ unsynced: 'kept' }), '/data/journal.jsonl'), 'new');
    });

    it("loses, keeps or tears the unsynced bytes as 'lost', 'kept' or 'torn' say", async () => {
      const handle = await memory.open('/data/log', 'create');
      await memory.syncDirectory('/data');
      await writeString(handle, 'abcd', 0);
      await handle.datasync();
      await writeString(handle, 'X', 0); // an unsynced overwrite inside the durable length
      await writeString(handle, 'efghij', 4); // six unsynced bytes appended
      assert.equal(text(memory.crash(), '/data/log'), 'abcd');
      assert.equal(text(memory.crash({ unsynced: 'lost' }), '/data/log'), 'abcd');
      assert.equal(text(memory.crash({ unsynced: 'kept' }), '/data/log'), 'Xbcdefghij');
      assert.equal(text(memory.crash({ unsynced: 'torn' }), '/data/log'), 'abcdefg');
      await writeString(handle, 'k', 10); // seven unsynced: three survive
      assert.equal(text(memory.crash({ unsynced: 'torn' }), '/data/log'), 'abcdefg');
      await handle.truncate(2); // shorter than durable: nothing to tear
      assert.equal(text(memory.crash({ unsynced: 'torn' }), '/data/log'), 'abcd');
      // A mode the type does not allow, as a JavaScript caller could pass it.
      assert.throws(() => memory.crash({ unsynced: 'maybe' as Unsynced }), TypeError);
    });

    it('makes what survived the durable state of a new device with the same inode numbers', async () => {
      const handle = await memory.open('/data/journal.jsonl', 'journal');
      const { ino } = await handle.stat();
      const after = memory.crash();
      const stats = await after.stat('/data/journal.jsonl');
      assert.equal(stats.ino, ino);
      assert.notEqual(stats.dev, memory.dev);
      assert.equal(stats.dev, after.dev);
      assert.equal(after.syncWrites, memory.syncWrites);
      // The old handle writes to the old file system only.
      await writeString(handle, 'OLD', 0);
      assert.equal(text(after, '/data/journal.jsonl'), 'old');
      // Survivors are durable in their own right, and new inodes do not reuse old numbers.
      assert.equal(text(after.crash(), '/data/journal.jsonl'), 'old');
      const fresh = await after.open('/data/fresh', 'journal');
      const survivors = [await after.stat('/'), await after.stat('/data'), stats].map((survivor) => survivor.ino);
      assert.equal(survivors.includes((await fresh.stat()).ino), false);
    });

    it('keeps hard links one inode across a crash', async () => {
      await memory.link('/data/journal.jsonl', '/data/backup');
      await memory.syncDirectory('/data');
      const after = memory.crash();
      const handle = await after.open('/data/backup', 'journal');
      await writeString(handle, 'NEW', 0);
      assert.equal(text(after, '/data/journal.jsonl'), 'NEW');
    });

    it('has test helpers whose files are durable at once', async () => {
      memory.writeFileSync('/deep/er/file', 'content');
      memory.writeFileSync('/data/journal.jsonl', 'replaced');
      memory.mkfifo('/deep/pipe');
      const after = memory.crash();
      assert.equal(text(after, '/deep/er/file'), 'content');
      assert.equal(text(after, '/data/journal.jsonl'), 'replaced');
      assert.equal(after.existsSync('/deep/pipe'), true);
      assert.equal(after.existsSync('/deep/missing'), false);
      assert.equal(after.existsSync('/deep/er/file/below'), false);
      assert.deepEqual(after.listSync('/deep'), ['er', 'pipe']);
      assert.throws(() => memory.mkfifo('/deep/pipe'), { code: 'EEXIST' });
    });
  });
});

describe('FaultFileSystem', () => {
  let memory: MemoryFileSystem;
  let faulty: FaultFileSystem;
  beforeEach(() => {
    memory = new MemoryFileSystem();
    memory.writeFileSync('/data/journal.jsonl', 'old');
    faulty = new FaultFileSystem(memory);
  });

  it('numbers and logs every file-system and handle operation, calling onOperation before each', async () => {
    const seen: (OperationEntry & { existed: boolean })[] = [];
    faulty.onOperation = (entry) => seen.push({ ...entry, existed: memory.existsSync('/data/new') });
    const handle = await faulty.open('/data/new', 'journal');
    await writeString(handle, 'abc', 0);
    await handle.datasync();
    await handle.stat();
    await handle.close();
    await faulty.rename('/data/new', '/data/renamed');
    await faulty.syncDirectory('/data');
    assert.equal(faulty.ops, 7);
    assert.equal(faulty.syncWrites, memory.syncWrites);
    assert.deepEqual(faulty.log, [
      { n: 1, op: 'open', path: '/data/new' },
      { n: 2, op: 'write', path: '/data/new', handle: true },
      { n: 3, op: 'datasync', path: '/data/new', handle: true },
      { n: 4, op: 'stat', path: '/data/new', handle: true },
      { n: 5, op: 'close', path: '/data/new', handle: true },
      { n: 6, op: 'rename', path: '/data/new', dest: '/data/renamed' },
      { n: 7, op: 'syncDirectory', path: '/data' },
    ]);
    assert.equal(seen[0]?.existed, false, 'the hook runs before the open creates the file');
    assert.equal(seen[1]?.existed, true);
    assert.equal(text(memory.crash(), '/data/renamed'), 'abc');
  });

  it("'error' fails the n-th operation alone with EIO, without reaching the file system", async () => {
    faulty.failAt(2, 'error');
    await faulty.stat('/data');
    await assert.rejects(faulty.open('/data/new', 'journal'), {
      code: 'EIO',
      message: "EIO: i/o error, open '/data/new' (injected at operation 2)",
    });
    assert.equal(memory.existsSync('/data/new'), false);
    const handle = await faulty.open('/data/new', 'journal');
    assert.equal(await writeString(handle, 'abc', 0), 3);
    assert.equal(text(memory, '/data/new'), 'abc');
    assert.equal(faulty.crashed, false);
  });

  it("'enospc' makes writes short from then on, until clear()", async () => {
    const handle = await faulty.open('/data/journal.jsonl', 'journal');
    faulty.failAt(3, 'enospc');
    assert.equal(await writeString(handle, '0123', 0), 4);
    assert.equal(await writeString(handle, 'abcde', 0), 2);
    assert.equal(text(memory, '/data/journal.jsonl'), 'ab23');
    assert.equal(await writeString(handle, 'wxyz', 4), 2);
    assert.equal(text(memory, '/data/journal.jsonl'), 'ab23wx');
    await assert.rejects(writeString(handle, 'q', 6), {
      code: 'ENOSPC',
      message: "ENOSPC: no space left on device, write '/data/journal.jsonl' (disk full since operation 3)",
    });
    assert.equal(await readAll(handle), 'ab23wx', 'reads are unaffected');
    faulty.clear();
    assert.equal(await writeString(handle, 'full', 0), 4);
    assert.equal(text(memory, '/data/journal.jsonl'), 'fullwx');
  });

  it("'enospc' on another operation fails it with ENOSPC and fills the disk", async () => {
    faulty.failAt(1, 'enospc');
    await assert.rejects(faulty.open('/data/new', 'create'), { code: 'ENOSPC' });
    assert.equal(memory.existsSync('/data/new'), false);
    const handle = await faulty.open('/data/new', 'create');
    assert.equal(await writeString(handle, 'abcd', 0), 2);
  });

  it("'crash' refuses that operation and every later one, and clear() does not undo it", async () => {
    const handle = await faulty.open('/data/journal.jsonl', 'journal');
    faulty.failAt(3, 'crash');
    await writeString(handle, 'one', 0);
    await assert.rejects(writeString(handle, 'two', 0), {
      code: 'ECRASH',
      message: "ECRASH: power lost, write '/data/journal.jsonl' (injected at operation 3)",
    });
    assert.equal(faulty.crashed, true);
    faulty.clear();
    await assert.rejects(faulty.syncDirectory('/data'), { code: 'ECRASH', message: /power lost at operation 3/ });
    await assert.rejects(faulty.unlink('/data/journal.jsonl'), { code: 'ECRASH' });
    assert.equal(text(memory, '/data/journal.jsonl'), 'one');
    assert.equal(faulty.crashed, true);
    assert.equal(faulty.ops, 5);
  });

  it("'hang' holds one operation until release(), while later ones go on", async () => {
    faulty.failAt(1, 'hang');
    const open = faulty.open('/data/new', 'journal');
    assert.equal(await stateAfter(open), 'pending');
    assert.equal(memory.existsSync('/data/new'), false);
    assert.deepEqual(await faulty.readdir('/data'), ['journal.jsonl']);
    assert.equal(faulty.release(), 1);
    const handle = await open;
    assert.equal(await writeString(handle, 'late', 0), 4);
    assert.equal(text(memory, '/data/new'), 'late');
    assert.equal(faulty.release(), 0);
  });

  it('a hung operation released after a crash does not reach the disk', async () => {
    faulty.failAt(1, 'hang');
    const unlink = faulty.unlink('/data/journal.jsonl');
    faulty.failAt(2, 'crash');
    await assert.rejects(faulty.stat('/data'), { code: 'ECRASH' });
    faulty.release();
    await assert.rejects(unlink, { code: 'ECRASH', message: /while it hung/ });
    assert.equal(memory.existsSync('/data/journal.jsonl'), true);
  });

  it('reset() counts from zero again and disarms', async () => {
    faulty.failAt(3, 'error');
    await faulty.stat('/data');
    await faulty.stat('/data');
    faulty.reset();
    assert.equal(faulty.ops, 0);
    assert.deepEqual([...faulty.log], []); // a copy: asserting on faulty.log itself would narrow it to never[] for the checks below
    await faulty.stat('/data');
    await faulty.stat('/data');
    await faulty.stat('/data');
    assert.equal(faulty.ops, 3);
    assert.deepEqual(
      faulty.log.map((entry) => entry.n),
      [1, 2, 3],
    );
  });

  it('refuses a fault at an operation already done, or of an unknown kind', async () => {
    await faulty.stat('/data');
    assert.throws(() => faulty.failAt(1, 'error'), RangeError);
    assert.throws(() => faulty.failAt(2.5, 'error'), RangeError);
    // A kind the type does not allow, as a JavaScript caller could pass it.
    assert.throws(() => faulty.failAt(2, 'slow' as FaultKind), TypeError);
  });

  it('a crash at every operation of an atomic replace leaves the old or the new content, never else', async () => {
    const run = async (fileSystem: JournalFileSystem): Promise<void> => replaceAtomically(fileSystem, '/data/journal.jsonl', 'new');
    const withOldContent = () => {
      const fresh = new MemoryFileSystem();
      fresh.writeFileSync('/data/journal.jsonl', 'old');
      return fresh;
    };
    const counting = new FaultFileSystem(withOldContent());
    await run(counting);
    const outcomes = new Set<string>();
    // One run past the last operation: the replace completes.
    for (let n = 1; n <= counting.ops + 1; n += 1) {
      memory = withOldContent();
      faulty = new FaultFileSystem(memory);
      faulty.failAt(n, 'crash');
      await run(faulty).catch((error: unknown) => assert.equal((error as { code?: unknown }).code, 'ECRASH'));
      for (const unsynced of ['lost', 'kept', 'torn'] as const) {
        const survived = text(memory.crash({ unsynced }), '/data/journal.jsonl');
        assert.ok(['old', 'new'].includes(survived), `crash at ${n}, ${unsynced}: ${JSON.stringify(survived)}`);
        outcomes.add(survived);
      }
    }
    assert.deepEqual([...outcomes].sort(), ['new', 'old']);
  });
});

describe('FaultFileSystem over the real file system', () => {
  let dir: string;
  let faulty: FaultFileSystem;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-fs-doubles-'));
    faulty = new FaultFileSystem(nodeFileSystem);
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every operation through to node:fs', async () => {
    const data = path.join(dir, 'data');
    const file = path.join(data, 'journal.jsonl');
    await faulty.mkdir(data, 0o700);
    const handle = await faulty.open(file, 'journal');
    assert.equal(await writeString(handle, 'entry\n', 0), 6);
    await handle.datasync();
    await handle.chmod(0o640);
    const stats = await handle.stat();
    assert.equal(stats.isFile(), true);
    assert.equal(stats.size, 6);
    assert.equal(stats.mode & 0o777, 0o640);
    assert.equal(await readAll(handle), 'entry\n');
    await handle.truncate(2);
    await handle.close();
    await faulty.link(file, `${file}.link`);
    assert.equal((await faulty.stat(file)).nlink, 2);
    await faulty.rename(`${file}.link`, `${file}.renamed`);
    await faulty.syncDirectory(data);
    assert.deepEqual((await faulty.readdir(data)).sort(), ['journal.jsonl', 'journal.jsonl.renamed']);
    await faulty.unlink(`${file}.renamed`);
    await faulty.chmod(file, 0o600);
    assert.equal(await faulty.realpath(file), fs.realpathSync(file));
    assert.equal(fs.readFileSync(file, 'utf8'), 'en');
    assert.equal(faulty.ops, 18);
    assert.equal(faulty.syncWrites, nodeFileSystem.syncWrites);
  });

  it('injects an error, a short write and a crash in front of the real disk', async () => {
    const file = path.join(dir, 'journal.jsonl');
    const handle = await faulty.open(file, 'journal');
    faulty.failAt(2, 'error');
    await assert.rejects(writeString(handle, 'lost', 0), { code: 'EIO' });
    assert.equal(fs.statSync(file).size, 0);

    faulty.failAt(3, 'enospc');
    assert.equal(await writeString(handle, 'abcdef', 0), 3);
    assert.equal(fs.readFileSync(file, 'utf8'), 'abc');

    faulty.clear();
    await handle.close();
    faulty.failAt(5, 'crash');
    await assert.rejects(faulty.rename(file, `${file}.moved`), { code: 'ECRASH' });
    await assert.rejects(faulty.unlink(file), { code: 'ECRASH' });
    assert.deepEqual(fs.readdirSync(dir), ['journal.jsonl']);
  });

  it('holds a real operation until release()', async () => {
    const file = path.join(dir, 'held');
    faulty.failAt(1, 'hang');
    const open = faulty.open(file, 'create');
    assert.equal(await stateAfter(open), 'pending');
    assert.equal(fs.existsSync(file), false);
    faulty.release();
    const handle = await open;
    assert.equal(fs.existsSync(file), true);
    await handle.close();
  });
});
