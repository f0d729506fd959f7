/**
 * The package as the Node-RED ecosystem sees it (issue 5, "Ecosystem"):
 *  - the Flow Library scorecard checks that can run without the catalogue, read from package.json,
 *    the built editor files, icons/ and examples/;
 *  - `npm pack` holds only what runs;
 *  - that tarball, installed offline into a fresh Node-RED user directory, registers all six node
 *    types in a real Node-RED started from the command line (no build tools involved).
 *
 * Runs after the build (`npm test` builds first). Needs no network: the install takes the runtime
 * dependencies from the npm cache, which `npm ci` filled.
 */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { nodeRedVersion } from './support/node-red-path';
import { get, startNodeRed } from './support/node-red-process';
import { npm, npmEnv } from './support/packed-package';

const root = path.join(__dirname, '..');

/** The fields of package.json these checks read (any of them may be missing: that is what they check). */
interface PackageJson {
  name: string;
  version: string;
  main: string;
  license?: unknown;
  keywords?: unknown;
  bin?: Record<string, string>;
  repository?: string | { url?: string };
  bugs?: string | { url?: string };
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red'?: { version?: string; nodes: Record<string, string> };
}

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;

/** The node types the package must provide: one config node and five action nodes. */
const CONFIG_TYPES = ['mypos-terminal'];
const ACTION_TYPES = ['mypos-pay', 'mypos-refund', 'mypos-preauth', 'mypos-complete', 'mypos-cancel'];
const ALL_TYPES = [...CONFIG_TYPES, ...ACTION_TYPES];

/**
 * The newest major of each runtime dependency, as `npm view <name> dist-tags.latest` said when
 * this was recorded (2026-11: fast-xml-parser 5.12.1, serialport 13.0.0). Tests run without the
 * network, so a new major upstream shows up here only when someone records it; a dependency that
 * is added without being recorded fails the test, so it cannot slip past the check.
 */
const LATEST_MAJOR: Record<string, number> = { 'fast-xml-parser': 5, serialport: 13 };

/** Files of the node-red section: { js, html } per node file, paths relative to the root. */
function nodeFiles(): { js: string; html: string }[] {
  assert.ok(pkg['node-red'], 'package.json has no node-red section');
  return Object.values(pkg['node-red'].nodes).map((js) => ({ js, html: js.replace(/\.js$/, '.html') }));
}

/**
 * The node types the editor files register, found the way the scorecard finds them: a literal
 * `RED.nodes.registerType('name', { ...inline settings... })`. The settings are read up to the
 * next registerType call, which is enough for the literal `category` and `icon` properties.
 */
function registeredTypes(): { type: string; file: string; category: string | null; icon: string | null }[] {
  const found: { type: string; file: string; category: string | null; icon: string | null }[] = [];
  for (const { html } of nodeFiles()) {
    const text = fs.readFileSync(path.join(root, html), 'utf8');
    const pattern = /RED\.nodes\.registerType\(\s*(['"])([^'"]+)\1\s*,\s*\{/g;
    const matches = [...text.matchAll(pattern)];
    matches.forEach((match, index) => {
      const body = text.slice(match.index, index + 1 < matches.length ? matches[index + 1].index : text.length);
      const category = /\bcategory\s*:\s*(['"])([^'"]*)\1/.exec(body);
      const icon = /\bicon\s*:\s*(['"])([^'"]*)\1/.exec(body);
      found.push({ type: match[2], file: html, category: category && category[2], icon: icon && icon[2] });
    });
  }
  return found;
}

function exampleFiles(): string[] {
  return fs
    .readdirSync(path.join(root, 'examples'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => path.join('examples', file));
}

/** Room for npm's JSON about the whole tarball. */
const MAX_BUFFER = 64 * 1024 * 1024;

/** Everything npm printed, its warnings (on standard error) included; throws when npm fails. */
function npmWithWarnings(args: string[], options: Partial<SpawnSyncOptionsWithStringEncoding> = {}): string {
  const result = spawnSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv(), maxBuffer: MAX_BUFFER, ...options });
  if (result.status !== 0) throw Object.assign(new Error(`npm ${args.join(' ')} failed (${result.status ?? result.signal})`), { stderr: result.stderr });
  return `${result.stdout}${result.stderr}`;
}

/**
 * Scripts npm runs in a package while installing it. npm 11 lists them to whoever installs the
 * tarball ("install scripts not yet covered by allowScripts"), `prepare` too, as the tarball is
 * not from the registry.
 */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];

describe('package: Flow Library scorecard checks', function () {
  it('has a licence and a LICENSE file', function () {
    assert.equal(typeof pkg.license, 'string');
    assert.ok(typeof pkg.license === 'string' && pkg.license.trim().length > 0, 'package.json license is empty');
    const licence = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
    assert.ok(licence.trim().length > 100, 'LICENSE is (nearly) empty');
    if (pkg.license === 'MIT') assert.match(licence, /MIT License|Permission is hereby granted/);
  });

  it('links a repository or a bug tracker', function () {
    const urlOf = (field: string | { url?: string } | undefined): unknown => (field && typeof field === 'object' ? field.url || field : field);
    const urls = [urlOf(pkg.repository), urlOf(pkg.bugs)].filter((url) => typeof url === 'string');
    assert.ok(urls.length > 0, 'neither repository nor bugs is set');
    for (const url of urls) assert.match(url, /^(git\+)?https:\/\/[^\s/]+\/\S+/, `not a URL: ${url}`);
  });

  it('has a scoped name of the form @scope/node-red-…', function () {
    assert.match(pkg.name, /^@[a-z0-9][a-z0-9._~-]*\/node-red-[a-z0-9][a-z0-9._~-]*$/);
  });

  it('has the node-red keyword', function () {
    assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'), 'keyword node-red missing');
  });

  it('declares a Node-RED version range that admits 4.x and 5.x and the runtime under test', function () {
    const range = pkg['node-red']?.version;
    assert.ok(range !== undefined && semver.validRange(range), `node-red.version is not a semver range: ${range}`);
    for (const version of ['4.0.0', '5.0.0', '5.99.0', nodeRedVersion()]) {
      assert.ok(semver.satisfies(version, range), `node-red.version ${range} does not admit ${version}`);
    }
  });

  it('declares an engines.node range that admits Node 20.15 (zlib.crc32), 22.9 and 24, and refuses older 20s', function () {
    const range = pkg.engines?.node;
    assert.ok(range !== undefined && semver.validRange(range), `engines.node is not a semver range: ${range}`);
    assert.ok(!semver.satisfies('20.14.0', range), `engines.node ${range} admits 20.14, which has no zlib.crc32`);
    for (const version of ['20.15.0', '20.19.0', '22.9.0', '22.99.0', '24.0.0', process.versions.node]) {
      assert.ok(semver.satisfies(version, range), `engines.node ${range} does not admit ${version}`);
    }
    assert.ok(semver.intersects(range, '20.x'), `engines.node ${range} excludes all of Node 20`);
  });

  it('registers exactly the six node types, unique and prefixed mypos-, with one config node', function () {
    const found = registeredTypes();
    const types = found.map((entry) => entry.type);
    assert.equal(new Set(types).size, types.length, `a type is registered twice: ${types.join(', ')}`);
    for (const type of types) assert.match(type, /^mypos-[a-z0-9-]+$/);
    assert.deepEqual([...types].sort(), [...ALL_TYPES].sort());
    const configTypes = found.filter((entry) => entry.category === 'config').map((entry) => entry.type);
    assert.deepEqual(configTypes, CONFIG_TYPES);
  });

  it('has an example flow using every non-config node type, and every example is a valid flow', function () {
    const used = new Set<string>();
    const files = exampleFiles();
    assert.ok(files.length > 0, 'no examples');
    for (const file of files) {
      const flow = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as { id: unknown; type: unknown; wires?: unknown[][]; terminal?: unknown }[];
      assert.ok(Array.isArray(flow) && flow.length > 0, `${file} is not a flow (array of nodes)`);
      const ids = new Set<unknown>();
      for (const node of flow) {
        assert.equal(typeof node.id, 'string', `${file}: a node without id`);
        assert.equal(typeof node.type, 'string', `${file}: node ${node.id} without type`);
        assert.ok(!ids.has(node.id), `${file}: duplicate id ${node.id}`);
        ids.add(node.id);
        used.add(String(node.type));
      }
      // Wires and config references must point at nodes of the same file: an import must not dangle.
      for (const node of flow) {
        for (const output of node.wires || []) for (const target of output) assert.ok(ids.has(target), `${file}: ${node.id} wired to missing ${target}`);
        if (/^mypos-/.test(String(node.type)) && node.type !== 'mypos-terminal') {
          assert.ok(ids.has(node.terminal), `${file}: ${node.id} refers to a missing terminal ${node.terminal}`);
        }
      }
    }
    const nonConfig = registeredTypes().filter((entry) => entry.category !== 'config');
    assert.equal(nonConfig.length, ACTION_TYPES.length);
    for (const { type } of nonConfig) assert.ok(used.has(type), `no example uses ${type}`);
  });

  it('has at most six runtime dependencies', function () {
    const count = Object.keys(pkg.dependencies || {}).length;
    assert.ok(count <= 6, `${count} runtime dependencies`);
  });

  it('depends on the latest major of each runtime dependency, and installs that major', function () {
    for (const [name, range] of Object.entries(pkg.dependencies || {})) {
      assert.ok(semver.validRange(range), `${name}: ${range} is not a semver range`);
      assert.ok(name in LATEST_MAJOR, `${name}: record its latest major in LATEST_MAJOR (npm view ${name} dist-tags.latest)`);
      const declared = semver.minVersion(range)?.major;
      assert.equal(declared, LATEST_MAJOR[name], `${name}: declared ${range}, latest major is ${LATEST_MAJOR[name]}`);
      // The range must not reach back to an older major either (e.g. "^4 || ^5").
      assert.ok(!semver.intersects(range, `<${LATEST_MAJOR[name]}.0.0`), `${name}: ${range} admits an older major`);
      // Read directly: packages with "exports" (fast-xml-parser) do not export their package.json.
      const installed = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      assert.ok(semver.satisfies(installed, range), `${name}: installed ${installed} is outside ${range}`);
      assert.equal(semver.major(installed), declared, `${name}: installed ${installed}, declared ${range}`);
    }
  });

  it('has the icon of every node type in icons/ and beside the built node files', function () {
    for (const { type, icon, file } of registeredTypes()) {
      assert.ok(icon, `${type}: no literal icon in ${file}`);
      assert.ok(fs.existsSync(path.join(root, 'icons', icon)), `${type}: icons/${icon} missing`);
      assert.ok(fs.existsSync(path.join(root, path.dirname(file), 'icons', icon)), `${type}: ${path.dirname(file)}/icons/${icon} missing`);
    }
  });
});

describe('package: npm pack', function () {
  this.timeout(180000);

  let packed: string[]; // paths in the tarball
  let workDir: string | undefined;

  before(function () {
    // --ignore-scripts: `prepack` would rebuild dist/ in the middle of the test run; npm test has
    // just built it.
    const [result] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: MAX_BUFFER })) as [{ files: { path: string }[] }];
    packed = result.files.map((file) => file.path);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-pack-'));
  });

  after(function () {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('holds the compiled nodes, their editor files, locales, icons, examples and the docs', function () {
    const must = ['package.json', 'README.md', 'LICENSE', pkg.main];
    if (pkg.bin) must.push(...Object.values(pkg.bin));
    for (const { js, html } of nodeFiles()) {
      must.push(js, html);
      const base = path.basename(js, '.js');
      must.push(`${path.dirname(js)}/locales/en-US/${base}.json`, `${path.dirname(js)}/locales/en-US/${base}.html`);
    }
    for (const { icon, file } of registeredTypes()) must.push(`${path.dirname(file)}/icons/${icon}`);
    for (const example of exampleFiles()) must.push(example.split(path.sep).join('/'));
    for (const file of must) assert.ok(packed.includes(file), `${file} is not in the tarball`);
    // Every compiled file the nodes need at runtime: all of dist/ that is JavaScript.
    for (const { js } of nodeFiles()) {
      const source = fs.readFileSync(path.join(root, js), 'utf8');
      for (const [, relative] of source.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(js), relative));
        const candidate = target.endsWith('.js') ? target : `${target}.js`;
        assert.ok(packed.includes(candidate) || packed.includes(`${target}/index.js`), `${js} requires ${relative}, not packed`);
      }
    }
  });

  it('ships a source map beside each compiled file: with --enable-source-maps an error names the TypeScript line', function () {
    for (const js of packed.filter((file) => /^dist\/.*\.js$/.test(file))) assert.ok(packed.includes(`${js}.map`), `${js}.map is not in the tarball`);
    const program = "const { TerminalClient } = require('./dist/src'); try { new TerminalClient({ transport: {}, responseTimeoutMs: -1 }); } catch (error) { console.log(error.stack); }";
    const stack = execFileSync(process.execPath, ['--enable-source-maps', '-e', program], { cwd: root, encoding: 'utf8' });
    assert.match(stack, /at new TerminalClient \(.*[\\/]src[\\/]client[\\/]terminal-client\.ts:\d+:\d+\)/, stack);
    const map = JSON.parse(fs.readFileSync(path.join(root, 'dist', 'src', 'client', 'terminal-client.js.map'), 'utf8')) as { sources: string[] };
    assert.deepEqual(map.sources, ['../../../src/client/terminal-client.ts'], 'the source, by its path in the repository');
  });

  it('holds nothing that does not run: no sources, tests, bench, scripts, CI or tool config', function () {
    const forbidden: [RegExp, string][] = [
      [/^src\//, 'TypeScript sources'],
      [/^nodes\//, 'node sources (the editor files are packed from dist/nodes)'],
      [/(?<!\.d)\.ts$/, 'TypeScript sources'],
      [/^test\//, 'tests'],
      [/^test-artifacts\//, 'test artifacts'],
      [/^bench\//, 'benchmarks'],
      [/^scripts\//, 'build scripts'],
      [/^\.ci\//, 'CI'],
      [/^\.cache\//, 'caches'],
      [/^\.demo\//, 'the demo user directory'],
      [/(^|\/)node_modules\//, 'node_modules'],
      [/^tsconfig(\..*)?\.json$/, 'tsconfig'],
      [/^\.mocharc/, 'mocha config'],
      [/^package-lock\.json$/, 'lock file'],
      [/\.tgz$/, 'tarballs'],
    ];
    for (const file of packed) {
      for (const [pattern, what] of forbidden) assert.ok(!pattern.test(file), `${file} is in the tarball (${what})`);
    }
    for (const file of packed) {
      assert.ok(/^(dist|examples)\//.test(file) || ['package.json', 'README.md', 'LICENSE'].includes(file), `${file}: unexpected file in the tarball`);
    }
  });

  it('installs offline into a fresh Node-RED user directory, where Node-RED registers all six node types', async function () {
    assert.ok(workDir);
    const [{ filename }] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', workDir], { cwd: root, maxBuffer: MAX_BUFFER })) as [{ filename: string }];
    const tarball = path.join(workDir, filename);
    assert.ok(fs.existsSync(tarball), `npm pack made no ${tarball}`);

    const userDir = path.join(workDir, 'userdir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', version: '0.0.1', private: true }));
    const installArgs = ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball];
    let installLog: string;
    try {
      installLog = npmWithWarnings([...installArgs, '--offline'], { cwd: userDir });
    } catch (error) {
      // The runtime dependencies are missing from the npm cache (no `npm ci` ran on this machine?).
      console.warn(
        `      offline install failed, trying --prefer-offline: ${String((error as { stderr?: string }).stderr || (error as Error).message)
          .trim()
          .split('\n')
          .pop()}`,
      );
      installLog = npmWithWarnings([...installArgs, '--prefer-offline'], { cwd: userDir });
    }
    const installed = path.join(userDir, 'node_modules', '@payment-interface', 'node-red-mypos');

    // The package brings no script of its own to the install (the build runs on `npm pack`, in
    // prepack): npm has none to run or to warn about. Dependencies' scripts (serialport's native
    // binding) are theirs.
    const installedScripts = (JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts || {};
    assert.deepEqual(
      INSTALL_SCRIPTS.filter((name) => name in installedScripts),
      [],
      'the packed package.json has install scripts',
    );
    const aboutUs = installLog.split('\n').filter((line) => /warn/i.test(line) && line.includes(pkg.name));
    assert.deepEqual(aboutUs, [], `npm warned about the package while installing it:\n${installLog}`);
    assert.ok(fs.lstatSync(installed).isDirectory() && !fs.lstatSync(installed).isSymbolicLink(), 'not installed as a copy');
    assert.ok(!fs.existsSync(path.join(installed, 'src')), 'sources were installed');
    for (const tool of ['typescript', 'mocha', 'node-red']) {
      assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', tool)), `${tool} was installed into the user directory`);
    }
    for (const dependency of Object.keys(pkg.dependencies ?? {})) {
      assert.ok(fs.existsSync(path.join(userDir, 'node_modules', dependency, 'package.json')), `${dependency} not installed`);
    }

    const nodeRed = await startNodeRed(userDir);
    try {
      const response = await get(nodeRed.port, '/nodes', 'application/json');
      assert.equal(response.status, 200);
      const sets = JSON.parse(response.body) as { id: string; module: string; err?: string; enabled: boolean; version: string; types: string[] }[];
      const log = nodeRed.log();
      const ours = sets.filter((set) => set.module === pkg.name);
      assert.ok(ours.length > 0, `${pkg.name} is not in GET /nodes:\n${log}`);
      for (const set of ours) {
        assert.equal(set.err, undefined, `node set ${set.id} failed to load: ${set.err}`);
        assert.equal(set.enabled, true, `node set ${set.id} is disabled`);
        assert.equal(set.version, pkg.version);
      }
      const types = ours.flatMap((set) => set.types);
      assert.deepEqual([...types].sort(), [...ALL_TYPES].sort());
      const complaints = log.split('\n').filter((line) => /\[(error|warn)\]/.test(line) && /mypos/i.test(line));
      assert.deepEqual(complaints, [], 'Node-RED complained about the package');

      // The editor gets the packaged editor files and labels.
      const editor = await get(nodeRed.port, '/nodes', 'text/html');
      assert.equal(editor.status, 200);
      for (const type of ALL_TYPES) assert.ok(editor.body.includes(`registerType('${type}'`), `${type}: editor file not served`);
      const labels = await get(nodeRed.port, `/locales/${pkg.name}/mypos-actions?lng=en-US`, 'application/json');
      assert.equal(labels.status, 200);
      assert.ok((JSON.parse(labels.body) as Record<string, unknown>)['mypos-actions'], 'mypos-actions labels not served');
    } finally {
      await nodeRed.stop();
    }
  });
});
