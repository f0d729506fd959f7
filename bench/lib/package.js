'use strict';
/**
 * The package under test: by default this repository's compiled dist/, or another built copy
 * (`--package DIR`, e.g. a snapshot made by bench/snapshot.js) to measure a proposed change.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const REPO_ROOT = path.join(__dirname, '..', '..');

function packageDir(option) {
  return path.resolve(option || REPO_ROOT);
}

/** Throws with a hint when dist/ is missing; warns when a source file is newer than its build. */
function checkBuilt(dir) {
  const needed = ['dist/src/index.js', 'dist/nodes/mypos-actions.js', 'dist/nodes/mypos-terminal.js', 'dist/nodes/mypos-actions.html'];
  const missing = needed.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(`${dir} is not built (missing ${missing.join(', ')}); run node scripts/build.js there, or point --package at a built copy`);
  }
  const builtAt = fs.statSync(path.join(dir, 'dist/src/index.js')).mtimeMs;
  const stale = listTs(dir).filter((file) => fs.statSync(file).mtimeMs > builtAt);
  return stale.map((file) => path.relative(dir, file));
}

function listTs(dir) {
  const found = [];
  for (const top of ['src', 'nodes']) {
    const walk = (folder) => {
      if (!fs.existsSync(folder)) return;
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(full);
      }
    };
    walk(path.join(dir, top));
  }
  return found;
}

/** The package's public API (TerminalClient, TcpTransport, TerminalSimulator, ...) and the client's defaults (internal). */
function loadApi(dir) {
  const dist = path.join(packageDir(dir), 'dist', 'src');
  return { ...require(dist), ...require(path.join(dist, 'client', 'terminal-client')) };
}

/** What was measured: the commit, and whether the working tree's src/ or nodes/ differed from it. */
function describe(dir) {
  const git = (...args) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  // A copy made by bench/snapshot.js says what it was made from.
  const marker = path.join(dir, '.bench-snapshot.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8'));
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'nodes') !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: undefined };
  }
}

module.exports = { packageDir, checkBuilt, loadApi, describe };
