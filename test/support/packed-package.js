'use strict';
// The package as `npm pack` packs it, for the tests that use it as a user gets it: the examples in
// the browser (test/e2e/examples.test.js) and the documentation's snippets (test/docs-snippets.test.js).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** npm, with the npm_* variables of an enclosing `npm test` removed so they cannot steer it. */
function npm(args, options = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^npm_/i.test(key) && !/^npm_config_cache$/i.test(key)) delete env[key];
  return execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env, ...options });
}

/**
 * The package as `npm pack` packs it, unpacked into workDir. The tarball has no node_modules: its
 * runtime dependencies are linked into package/node_modules from this repository's, as an install
 * would put them there (only the declared ones, so a missing declaration fails here too). Packs
 * with --ignore-scripts: `npm test` has just built dist/. Returns the package folder.
 */
function packedPackage(workDir) {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], { cwd: root }));
  execFileSync('tar', ['-xzf', path.join(workDir, filename), '-C', workDir]);
  const packageDir = path.join(workDir, 'package');
  for (const dependency of Object.keys(pkg.dependencies || {})) {
    const link = path.join(packageDir, 'node_modules', ...dependency.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules', dependency)), link, 'dir');
  }
  return packageDir;
}

module.exports = { npm, packedPackage };
