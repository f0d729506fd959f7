/**
 * Builds a private copy of the package to benchmark, leaving this working tree and its dist/
 * alone (others may be testing against it):
 *
 *   node --require tsx/cjs bench/snapshot.ts --rev HEAD --out /tmp/mypos-head
 *   node --require tsx/cjs bench/snapshot.ts --rev HEAD --patch change.diff --out /tmp/mypos-change
 *   node --require tsx/cjs bench/snapshot.ts --worktree --out /tmp/mypos-now
 *   npm run bench -- --package /tmp/mypos-change
 *
 * The copy is `git archive` of the revision (or, with --worktree, the working tree's files as
 * they are now, untracked ones included), plus the patch applied with `git apply`, with this
 * repository's node_modules linked in, built with its own scripts/build.js.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.join(__dirname, '..');
const { values } = parseArgs({
  options: {
    rev: { type: 'string', default: 'HEAD' },
    worktree: { type: 'boolean', default: false },
    patch: { type: 'string' },
    out: { type: 'string' },
  },
});
if (!values.out) {
  console.error('usage: node --require tsx/cjs bench/snapshot.ts [--rev REV | --worktree] [--patch FILE] --out DIR');
  process.exit(2);
}
const out = path.resolve(values.out);
const rev = values.rev ?? 'HEAD';
if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
  console.error(`${out} exists and is not empty; pick a new directory`);
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', rev], { encoding: 'utf8' }).trim();
// With --worktree: whether anything that goes into the build differs from that commit.
const built = ['src', 'nodes', 'scripts', 'icons', 'tsconfig.json', 'package.json'];
const dirty = values.worktree && execFileSync('git', ['-C', root, 'status', '--porcelain', '--', ...built], { encoding: 'utf8' }).trim() !== '';
if (values.worktree) {
  // Tracked and untracked files, as they are on disk; ignored ones (node_modules, dist) are not.
  const files = execFileSync('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && fs.existsSync(path.join(root, file)));
  for (const file of files) fs.cpSync(path.join(root, file), path.join(out, file));
} else {
  const archive = execFileSync('git', ['-C', root, 'archive', '--format=tar', commit], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', out], { input: archive });
}
if (values.patch) execFileSync('git', ['apply', path.resolve(values.patch)], { cwd: out, stdio: 'inherit' });
fs.symlinkSync(path.join(root, 'node_modules'), path.join(out, 'node_modules'), 'dir');
execFileSync(process.execPath, [path.join(out, 'scripts', 'build.js')], { cwd: out, stdio: 'inherit' });
const description = { commit, dirty, ...(values.patch && { patch: path.basename(values.patch) }) };
fs.writeFileSync(path.join(out, '.bench-snapshot.json'), `${JSON.stringify(description)}\n`);
console.log(`built ${commit}${dirty ? " with the working tree's changes" : ''}${values.patch ? ` + ${values.patch}` : ''} in ${out}`);
