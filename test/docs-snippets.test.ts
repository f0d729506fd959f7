/**
 * The documentation as a reader uses it: README.md and docs/*.md.
 *
 * Snippets, by the language of their fence:
 *  - ```js, ```cjs and ```mjs are programs, run exactly as shown: each is written to a file
 *    (`.js` in a CommonJS project, `.cjs`, `.mjs`) in a temporary project where
 *    `@payment-interface/node-red-mypos` is the packed package (`npm pack`, once for this file),
 *    and run with node against the terminal simulator on a free port of 127.0.0.1, which the
 *    snippet reads from MYPOS_HOST / MYPOS_PORT as the text tells a reader to set them. Each must
 *    exit 0 and print what the ```text block right after it shows (a run of 6 or more digits there
 *    stands for any digits: the terminal's reference). A snippet that takes payments must use a
 *    journal, and run a second time it must refuse the same invoice as DUPLICATE. A preload
 *    refuses any connection beyond 127.0.0.1.
 *  - ```json must parse; ```jsonl must parse line by line.
 *  - ```sh is shown, not run (it installs, clones, pairs Bluetooth…); the `npm run` scripts,
 *    `bash` scripts and `mypos-simulator` options it names must exist.
 * Links: every relative link lands on a file of the repository, and every #anchor on a heading of
 * its file, as GitHub makes anchors. The README's first screen gets a reader to a payment, and the
 * test command is documented as CI runs it.
 */

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
// Types only: the snippets run against the packed package, whose code is the build of these sources.
import type { TerminalSimulator } from '../src';
import { anchorsOf, fencedBlocks, headingsOf, linksOf, githubSlug } from './support/markdown';
import { packedPackage } from './support/packed-package';
import { linkPackage } from './support/node-red-process';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string>; bin: Record<string, string> };
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .sort()
    .map((file) => `docs/${file}`),
];
const RUNNABLE: Record<string, string> = { js: '.js', cjs: '.cjs', mjs: '.mjs' };
const SHELL = ['sh', 'bash', 'shell', 'console'];
/** Lines of the README a reader sees before scrolling, give or take. */
const FIRST_SCREEN = 60;
const RUN_TIMEOUT_MS = 30000;

const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

/** A runnable snippet and the output its document shows for it. */
interface Snippet {
  file: string;
  line: number;
  lang: string;
  body: string;
  expected: string | undefined;
}

/** Every runnable snippet of every document, with the ```text block that follows it. */
function runnableSnippets(): Snippet[] {
  const snippets: Snippet[] = [];
  for (const file of DOCS) {
    const blocks = fencedBlocks(read(file));
    blocks.forEach((block, index) => {
      if (!(block.lang in RUNNABLE)) return;
      const next = blocks[index + 1];
      snippets.push({ file, line: block.line, lang: block.lang, body: block.body, expected: next?.lang === 'text' ? next.body : undefined });
    });
  }
  return snippets;
}

/** The expected output as a pattern: each run of 6 or more digits (a terminal's ref) matches any digits. */
function outputPattern(expected: string): RegExp {
  const escaped = expected
    .trim()
    .split(/(\d{6,})/)
    .map((part, index) => (index % 2 === 1 ? '\\d+' : part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`);
}

/** Runs `node file` in cwd; resolves { code, stdout, stderr }. */
function runNode(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', path.join(__dirname, 'support', 'loopback-only.js'), file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

describe('documentation (README.md, docs/*.md)', function () {
  describe('the checks themselves', function () {
    it('find fences with their language, and links outside code', function () {
      const markdown = 'See [a](docs/a.md#x) and `[not](a link)`.\n\n```js\nconsole.log("[no](link)");\n```\n\n~~~text\nout\n~~~\n![pic](img.png "t")\n';
      assert.deepEqual(
        fencedBlocks(markdown).map(({ lang, body, line }) => ({ lang, body, line })),
        [
          { lang: 'js', body: 'console.log("[no](link)");\n', line: 3 },
          { lang: 'text', body: 'out\n', line: 7 },
        ],
      );
      assert.deepEqual(
        linksOf(markdown).map(({ target }) => target),
        ['docs/a.md#x', 'img.png'],
      );
    });

    it('match a ref in the expected output by any digits, and nothing else loosely', function () {
      assert.ok(outputPattern('paid, ref 482113000001\n').test('paid, ref 616469000001'));
      assert.ok(!outputPattern('paid, ref 482113000001\n').test('not paid: CONNECT'));
      assert.ok(!outputPattern('a.b 12').test('axb 12'));
    });

    it("make GitHub's anchors", function () {
      assert.equal(githubSlug('The terminal config node (`mypos-terminal`)'), 'the-terminal-config-node-mypos-terminal');
      assert.equal(githubSlug('Why a file of our own, and not SQLite'), 'why-a-file-of-our-own-and-not-sqlite');
      assert.equal(githubSlug('Endurance: 100,000 transactions'), 'endurance-100000-transactions');
    });
  });

  describe('links', function () {
    for (const file of DOCS) {
      it(`${file}: every relative link lands on a file, and every #anchor on a heading`, function () {
        const problems: string[] = [];
        for (const { target, line } of linksOf(read(file))) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
          const [pathPart, anchor] = target.split('#');
          const resolved = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(pathPart)));
          if (resolved.startsWith('..') || !fs.existsSync(path.join(root, resolved))) {
            problems.push(`line ${line}: ${target}: no file ${resolved}`);
            continue;
          }
          if (anchor === undefined) continue;
          if (!resolved.endsWith('.md')) {
            problems.push(`line ${line}: ${target}: an anchor into a file that is not Markdown`);
          } else if (!anchorsOf(read(resolved)).has(anchor)) {
            problems.push(`line ${line}: ${target}: ${resolved} has no heading #${anchor}`);
          }
        }
        assert.deepEqual(problems, []);
      });
    }

    for (const file of DOCS.filter((name) => name.startsWith('docs/'))) {
      it(`${file}: has one title and links back to the README`, function () {
        const text = read(file);
        const headings = headingsOf(text);
        assert.ok(headings.length > 0 && headings[0].level === 1 && headings[0].line === 1, 'does not start with a # title');
        assert.equal(headings.filter((heading) => heading.level === 1).length, 1, 'more than one # title');
        assert.ok(
          linksOf(text).some(({ target }) => target === '../README.md'),
          'no link back to ../README.md',
        );
      });
    }

    it('README.md links every file in docs/', function () {
      const linked = new Set(linksOf(read('README.md')).map(({ target }) => target.split('#')[0]));
      assert.deepEqual(
        DOCS.filter((file) => file.startsWith('docs/') && !linked.has(file)),
        [],
      );
    });
  });

  describe('README.md', function () {
    const readme = () => read('README.md');
    const firstScreen = () => readme().split('\n').slice(0, FIRST_SCREEN).join('\n');

    it(`gets a reader to a payment in its first ${FIRST_SCREEN} lines: what it is, the quick start, the five nodes in one table`, function () {
      const screen = firstScreen();
      assert.match(screen, /^## Quick start$/m);
      assert.match(screen, /^npm start$/m, 'the demo');
      assert.match(screen, /NODE_RED_PORT=\d+ MYPOS_SIMULATOR_PORT=\d+ npm start/, 'the port variables');
      assert.match(screen, /npm install @payment-interface\/node-red-mypos/, 'the install');
      assert.match(screen, /search the palette for \*\*myPOS\*\*/i, 'the palette search');
      assert.match(screen, /Payment Interface/);
      assert.match(screen, /01 Pay/, 'the first example');
      const rows = screen.split('\n').filter((line) => /^\| `mypos-(pay|refund|preauth|complete|cancel)`/.test(line));
      assert.equal(rows.length, 5, 'one table row per action node');
      assert.doesNotMatch(screen, /\d\.\d+ of|\d+(\.\d+)? (×|times)|p99/, 'benchmark ratios belong further down');
    });

    it('documents the test command as CI runs it (.ci/run)', function () {
      const ci = read('.ci/run');
      assert.match(ci, /^npm ci\b/m);
      assert.match(ci, /^npm test\b/m);
      const shell = fencedBlocks(readme()).filter((block) => SHELL.includes(block.lang));
      assert.ok(
        shell.some((block) => /^npm ci$/m.test(block.body) && /^npm test$/m.test(block.body)),
        'no shell snippet with `npm ci` and `npm test`',
      );
      assert.match(readme(), /bash \.ci\/run/);
    });
  });

  describe('JSON and shell snippets', function () {
    for (const file of DOCS) {
      it(`${file}: JSON parses, and the commands its shell snippets name exist`, function () {
        const { USAGE_OPTIONS } = simulatorOptions();
        const problems: string[] = [];
        for (const block of fencedBlocks(read(file))) {
          const where = `line ${block.line}`;
          if (block.lang === 'json') {
            try {
              JSON.parse(block.body);
            } catch (error) {
              problems.push(`${where}: ${(error as Error).message}`);
            }
          } else if (block.lang === 'jsonl') {
            block.body
              .split('\n')
              .filter((line) => line.trim() !== '')
              .forEach((line, index) => {
                try {
                  JSON.parse(line);
                } catch (error) {
                  problems.push(`${where}, JSON line ${index + 1}: ${(error as Error).message}`);
                }
              });
          } else if (SHELL.includes(block.lang)) {
            for (const [, script] of block.body.matchAll(/\bnpm run ([\w:-]+)/g)) {
              if (!(script in pkg.scripts)) problems.push(`${where}: npm run ${script}: no such script in package.json`);
            }
            for (const [, script] of block.body.matchAll(/\bnpm (start|test)\b/g)) {
              if (!(script in pkg.scripts)) problems.push(`${where}: npm ${script}: no such script in package.json`);
            }
            for (const [, script] of block.body.matchAll(/^\s*bash (\S+\.sh)\b/gm)) {
              if (!fs.existsSync(path.join(root, script))) problems.push(`${where}: bash ${script}: no such file`);
            }
            for (const [, rest] of block.body.matchAll(/\bnpx mypos-simulator([^\n#]*)/g)) {
              for (const [option] of rest.matchAll(/--[\w-]+/g)) {
                if (!USAGE_OPTIONS.includes(option)) problems.push(`${where}: mypos-simulator has no option ${option}`);
              }
            }
          }
        }
        assert.deepEqual(problems, []);
      });
    }
  });

  describe('program snippets, run against the packed package and the simulator', function () {
    this.timeout(120000);
    const snippets = runnableSnippets();
    let workDir: string | undefined;
    let project: string;
    let simulator: TerminalSimulator | undefined;
    let port: number;

    before(async function () {
      this.timeout(180000);
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-docs-'));
      const packageDir = packedPackage(workDir);
      // A user's project: its own package.json (CommonJS), the package in its node_modules.
      project = path.join(workDir, 'project');
      linkPackage(project, packageDir, pkg.name);
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', private: true }));
      // The packed package's own simulator, loaded from the tarball's files (not from src/).
      const packed = createRequire(__filename)(packageDir) as { TerminalSimulator: typeof TerminalSimulator };
      simulator = new packed.TerminalSimulator();
      port = await simulator.listen(0, '127.0.0.1');
    });

    after(async function () {
      if (simulator) await simulator.close();
      if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    });

    it('there is a client snippet in CommonJS (require) and one as an ES module (import)', function () {
      assert.ok(
        snippets.some((snippet) => snippet.lang !== 'mjs' && /\brequire\('@payment-interface\/node-red-mypos'\)/.test(snippet.body)),
        'no CommonJS snippet',
      );
      assert.ok(
        snippets.some((snippet) => snippet.lang === 'mjs' && /^import .* from '@payment-interface\/node-red-mypos';$/m.test(snippet.body)),
        'no ES module snippet',
      );
    });

    for (const snippet of snippets) {
      it(`${snippet.file}:${snippet.line} (${snippet.lang}) runs as shown and prints what the text says`, async function () {
        assert.ok(snippet.expected !== undefined, 'no ```text block with its output right after it');
        // It reaches the terminal through MYPOS_HOST, as the text says; never its example address.
        assert.match(snippet.body, /process\.env\.MYPOS_HOST/, 'the terminal address does not come from MYPOS_HOST');
        const paying = /\.(pay|refund|preauth)\(/.test(snippet.body);
        if (paying) assert.match(snippet.body, /new Journal\(/, 'takes payments without a journal: the same invoice could be paid twice');

        const dir = path.join(project, `snippet-${path.basename(snippet.file, '.md')}-${snippet.line}`);
        fs.mkdirSync(dir);
        const file = `snippet${RUNNABLE[snippet.lang]}`;
        fs.writeFileSync(path.join(dir, file), snippet.body);
        const env = { ...process.env, MYPOS_HOST: '127.0.0.1', MYPOS_PORT: String(port) };

        const first = await runNode(file, dir, env);
        assert.equal(first.code, 0, `exit code ${first.code}\n${first.stdout}${first.stderr}`);
        assert.match(first.stdout.trim(), outputPattern(snippet.expected), `printed:\n${first.stdout}${first.stderr}`);

        if (paying) {
          const again = await runNode(file, dir, env);
          assert.equal(again.code, 0, `second run: exit code ${again.code}\n${again.stdout}${again.stderr}`);
          assert.match(again.stdout, /\bDUPLICATE\b/, `the second run was not refused as DUPLICATE:\n${again.stdout}${again.stderr}`);
        }
      });
    }
  });
});

/** The options `mypos-simulator --help` lists, from the built command. */
function simulatorOptions(): { USAGE_OPTIONS: string[] } {
  const usage = execFileSync(process.execPath, [path.join(root, pkg.bin['mypos-simulator']), '--help'], { encoding: 'utf8' });
  return { USAGE_OPTIONS: [...usage.matchAll(/^\s+(--[\w-]+)/gm)].map((match) => match[1]) };
}
