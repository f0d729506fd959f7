'use strict';
/**
 * What the bench can see of the journal's disk work without changing the package: the file
 * system its folder is on, and how many write() calls go to its live file.
 */
const fs = require('node:fs');
const path = require('node:path');

/** statfs magic numbers of the file systems a bench is likely to meet. */
const FILE_SYSTEMS = {
  0x01021994: 'tmpfs',
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
};

/** The file system holding `dir`, e.g. 'ext4'; 'tmpfs' means nothing is really flushed. */
function fileSystemOf(dir) {
  try {
    const { type } = fs.statfsSync(dir);
    return FILE_SYSTEMS[type] ?? `type 0x${type.toString(16)}`;
  } catch (error) {
    return `unknown (${error.code ?? error.message})`;
  }
}

/**
 * Counts write() calls on journal files (the live file, opened in mode 'journal': append or write), by wrapping
 * the package's file operations in this process before any journal opens: a counter increment
 * per write, nothing else. Returns { writes } or undefined when the package has no such module
 * (then the count is reported as n/a).
 */
function countJournalWrites(packageDir) {
  let real;
  try {
    // The same module instance Node-RED loads: it requires the package through its real path.
    real = require(path.join(fs.realpathSync(packageDir), 'dist', 'src', 'journal', 'file-system.js')).nodeFileSystem;
  } catch {
    return undefined;
  }
  if (typeof real?.open !== 'function') return undefined;
  const counter = { writes: 0 };
  const open = real.open;
  real.open = async (file, mode) => {
    const handle = await open.call(real, file, mode);
    if (mode !== 'journal') return handle;
    // The live journal appends (O_APPEND); a package from before that wrote at positions.
    const counted =
      (name) =>
      (...args) => {
        counter.writes += 1;
        return handle[name](...args);
      };
    return { ...handle, write: counted('write'), ...(handle.append && { append: counted('append') }) };
  };
  return counter;
}

module.exports = { fileSystemOf, countJournalWrites };
