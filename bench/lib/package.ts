/**
 * The package under test: by default this repository's compiled dist/, or another built copy
 * (`--package DIR`, e.g. a snapshot made by bench/snapshot.ts) to measure a proposed change.
 * Its code is loaded from that build at run time, never from src/: src/ gives only the types.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as ClientModule from '../../src/client/terminal-client';
import type * as PackageIndex from '../../src/index';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** The package's public API and the client's defaults (internal), as the build under test has them. */
export type PackageApi = typeof PackageIndex & Pick<typeof ClientModule, 'DEFAULT_ANSWER_GUARD_MS' | 'DEFAULT_LATE_ANSWER_WINDOW_MS'>;

/** What bench/snapshot.ts or git says was measured. */
export interface Measured {
  commit: string;
  dirty: boolean | undefined;
  patch?: string;
}

const loadFile = createRequire(__filename);

/** Loads a compiled file of the package under test (by absolute path: its dist/, not src/). */
export function loadBuilt<T>(file: string): T {
  return loadFile(file) as T;
}

export function packageDir(option?: string): string {
  return path.resolve(option || REPO_ROOT);
}

/** Throws with a hint when dist/ is missing; warns when a source file is newer than its build. */
export function checkBuilt(dir: string): string[] {
  const needed = ['dist/src/index.js', 'dist/nodes/mypos-actions.js', 'dist/nodes/mypos-terminal.js', 'dist/nodes/mypos-actions.html'];
  const missing = needed.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(`${dir} is not built (missing ${missing.join(', ')}); run node scripts/build.js there, or point --package at a built copy`);
  }
  const builtAt = fs.statSync(path.join(dir, 'dist/src/index.js')).mtimeMs;
  const stale = listTs(dir).filter((file) => fs.statSync(file).mtimeMs > builtAt);
  return stale.map((file) => path.relative(dir, file));
}

function listTs(dir: string): string[] {
  const found: string[] = [];
  for (const top of ['src', 'nodes']) {
    const walk = (folder: string) => {
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
export function loadApi(dir?: string): PackageApi {
  const dist = path.join(packageDir(dir), 'dist', 'src');
  return { ...loadBuilt<typeof PackageIndex>(dist), ...loadBuilt<typeof ClientModule>(path.join(dist, 'client', 'terminal-client')) };
}

/** What was measured: the commit, and whether the working tree's src/ or nodes/ differed from it. */
export function describe(dir: string): Measured {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  // A copy made by bench/snapshot.ts says what it was made from.
  const marker = path.join(dir, '.bench-snapshot.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as Measured;
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src', 'nodes') !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: undefined };
  }
}
