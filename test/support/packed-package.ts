// The package as `npm pack` packs it, for the tests that use it as a user gets it: the examples in
// the browser (test/e2e/examples.test.ts) and the documentation's snippets (test/docs-snippets.test.ts).
import { execFileSync, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };

/** The environment without the npm_* variables of an enclosing `npm test`, so they cannot steer npm. */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || /^npm_config_cache$/i.test(key)));
}

/** npm's standard output, with npmEnv(); throws when npm fails. */
export function npm(args: string[], options: Partial<ExecFileSyncOptionsWithStringEncoding> = {}): string {
  return execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv(), ...options });
}

/**
 * The package as `npm pack` packs it, unpacked into workDir. The tarball has no node_modules: its
 * runtime dependencies are linked into package/node_modules from this repository's, as an install
 * would put them there (only the declared ones, so a missing declaration fails here too). Packs
 * with --ignore-scripts: `npm test` has just built dist/. Returns the package folder.
 */
export function packedPackage(workDir: string): string {
  const [{ filename }] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], { cwd: root })) as [{ filename: string }];
  execFileSync('tar', ['-xzf', path.join(workDir, filename), '-C', workDir]);
  const packageDir = path.join(workDir, 'package');
  for (const dependency of Object.keys(pkg.dependencies ?? {})) {
    const link = path.join(packageDir, 'node_modules', ...dependency.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules', dependency)), link, 'dir');
  }
  return packageDir;
}
