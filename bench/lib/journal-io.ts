/**
 * What the bench can see of the journal's disk work without changing the package: the file
 * system its folder is on, and how many write() calls go to its live file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as FileSystemModule from '../../src/journal/file-system';
import type { JournalHandle } from '../../src/journal/file-system';
import { loadBuilt } from './package';

/** statfs magic numbers of the file systems a bench is likely to meet. */
const FILE_SYSTEMS: Readonly<Record<number, string>> = {
  0x01021994: 'tmpfs',
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
};

/** The file system holding `dir`, e.g. 'ext4'; 'tmpfs' means nothing is really flushed. */
export function fileSystemOf(dir: string): string {
  try {
    const { type } = fs.statfsSync(dir);
    return FILE_SYSTEMS[type] ?? `type 0x${type.toString(16)}`;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return `unknown (${code ?? message})`;
  }
}

/**
 * Counts write() calls on journal files (the live file, opened in mode 'journal': append or write), by wrapping
 * the package's file operations in this process before any journal opens: a counter increment
 * per write, nothing else. Returns { writes } or undefined when the package has no such module
 * (then the count is reported as n/a).
 */
export function countJournalWrites(packageDir: string): { writes: number } | undefined {
  let real: typeof FileSystemModule.nodeFileSystem | undefined;
  try {
    // The same module instance Node-RED loads: it requires the package through its real path.
    real = loadBuilt<Partial<typeof FileSystemModule>>(path.join(fs.realpathSync(packageDir), 'dist', 'src', 'journal', 'file-system.js')).nodeFileSystem;
  } catch {
    return undefined;
  }
  if (typeof real?.open !== 'function') return undefined;
  const fileSystem = real;
  const counter = { writes: 0 };
  const open = fileSystem.open;
  fileSystem.open = async (file, mode) => {
    const handle = await open.call(fileSystem, file, mode);
    if (mode !== 'journal') return handle;
    // The live journal appends (O_APPEND); a package from before that wrote at positions.
    const counted =
      <Name extends 'write' | 'append'>(name: Name) =>
      (...args: Parameters<JournalHandle[Name]>): ReturnType<JournalHandle[Name]> => {
        counter.writes += 1;
        return (handle[name] as (...a: Parameters<JournalHandle[Name]>) => ReturnType<JournalHandle[Name]>)(...args);
      };
    return { ...handle, write: counted('write'), ...((handle as Partial<JournalHandle>).append && { append: counted('append') }) };
  };
  return counter;
}
