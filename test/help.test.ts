/**
 * The help in the editor's help sidebar, as Node-RED reads it: the built
 * dist/nodes/locales/<lang>/*.html (run `npm run build` first; `npm test` does). For every node
 * type, in English and Hungarian: there is help, at most 600 words, in Node-RED's layout (one
 * summary paragraph, then the sections of the core nodes' help); its links into the README or
 * docs/*.md land on files and headings that exist; both languages link the same places and name the same machine values; and
 * the Hungarian avoids the terms a native speaker found misleading for a merchant.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ACTIONS } from '../src/protocol';
import { githubSlug, anchorsOf } from './support/markdown';

const root = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { homepage?: string; repository: string | { url: string } };
const LOCALES = path.join(root, 'dist', 'nodes', 'locales');
const LANGUAGES = ['en-US', 'hu'];
const MAX_WORDS = 600;

/** The h3 sections, in order: those of Node-RED's core nodes (Settings for the config node). */
const SECTIONS: Record<'action' | 'config', Record<string, string[]>> = {
  action: { 'en-US': ['Inputs', 'Outputs', 'Details', 'References'], hu: ['Bemenetek', 'Kimenetek', 'Részletek', 'Hivatkozások'] },
  config: { 'en-US': ['Settings', 'Details', 'References'], hu: ['Beállítások', 'Részletek', 'Hivatkozások'] },
};

/**
 * Words a native speaker's review found misleading in Hungarian help, and why. „nyugta” is matched
 * with its endings (nyugtát, nyugták, nyugtával…) but not „nyugtáz” (acknowledge), „nyugtalan”
 * (restless) or „megnyugtat” (reassure).
 */
const BANNED_HU: [RegExp, string][] = [
  [/számlaszám/iu, "„Számlaszám” reads as a bank account number; the field is the shop's own reference: „hivatkozási szám”"],
  [/engedélykód/iu, '„Engedélykód” is taken for the authorisation code on every slip; the pre-authorization code is „előengedélyezési kód”'],
  [/nyugta(?![lt])|nyugtá(?!z)/iu, '„nyugta” is the fiscal receipt; card slips are „bizonylat”'],
  [/elutasítva/iu, '„elutasítva” hides who refused: „a bank elutasította”, „a vásárló megszakította”, „nem küldtük el: ismétlődő”, „nem érhető el”'],
];

/** One help block: its node type, the file it is in (lang/file.html) and its HTML. */
interface HelpBlock {
  type: string;
  file: string;
  body: string;
}

/** Every `<script type="text/html" data-help-name="…">` block of the built locale files of lang. */
function helpBlocks(lang: string): HelpBlock[] {
  const dir = path.join(LOCALES, lang);
  assert.ok(fs.existsSync(dir), `${dir} is missing: run npm run build first`);
  const blocks: HelpBlock[] = [];
  for (const file of fs.readdirSync(dir).filter((name) => name.endsWith('.html'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const [, attributes, body] of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      const name = /\bdata-help-name="([^"]+)"/.exec(attributes);
      if (!name) continue;
      assert.match(attributes, /\btype="text\/html"/, `${lang}/${file}: help for ${name[1]} is not type="text/html"`);
      blocks.push({ type: name[1], file: `${lang}/${file}`, body });
    }
  }
  return blocks;
}

/** The text a reader sees: no comments, no tags, entities decoded. */
function textOf(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(lt|gt|amp|quot|nbsp|#\d+);/g, (_whole, name: string) => (({ lt: '<', gt: '>', amp: '&', quot: '"', nbsp: ' ' }) as Record<string, string | undefined>)[name] ?? ' ');
}

/** Words of a help text: runs between white space that hold a letter or a digit (so not "-" or "·"). */
function wordCount(html: string): number {
  return textOf(html)
    .split(/\s+/)
    .filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/** The repository's web address, from package.json: `git+https://github.com/o/r.git` → `https://github.com/o/r`. */
function repositoryUrl(): string {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository.url;
  return (pkg.homepage || url)
    .replace(/^git\+/, '')
    .replace(/\.git$/, '')
    .replace(/#.*$/, '');
}

const hrefsOf = (html: string): string[] => [...html.matchAll(/\bhref="([^"]*)"/g)].map((match) => match[1]);
const codesOf = (html: string): string[] => [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((match) => match[1].trim());
const sorted = (values: string[]): string[] => [...new Set(values)].sort();

describe('help in the editor sidebar (built files in dist/nodes/locales)', function () {
  const ACTION_TYPES = ACTIONS.map((action) => `mypos-${action}`);
  const TYPES = ['mypos-terminal', ...ACTION_TYPES];
  const kindOf = (type: string): 'config' | 'action' => (type === 'mypos-terminal' ? 'config' : 'action');
  const repository = repositoryUrl();
  let help: Record<string, HelpBlock[]>; // { lang: blocks }
  const anchorCache = new Map<string, Set<string> | undefined>();
  /** The heading anchors of a documentation file (README.md, docs/x.md), or undefined when it does not exist. */
  const anchorsIn = (file: string): Set<string> | undefined => {
    if (!anchorCache.has(file)) {
      const full = path.join(root, file);
      anchorCache.set(file, fs.existsSync(full) ? anchorsOf(fs.readFileSync(full, 'utf8')) : undefined);
    }
    return anchorCache.get(file);
  };
  const helpFor = (lang: string, type: string): HelpBlock | undefined => help[lang].find((block) => block.type === type);

  before(function () {
    help = Object.fromEntries(LANGUAGES.map((lang) => [lang, helpBlocks(lang)]));
  });

  describe('the checks themselves', function () {
    it('count words of the text, not of the markup', function () {
      assert.equal(wordCount('<p>One <code>msg.payload</code>, three-four 12,50 – · <a href="https://x.y/z">five</a></p>\n<!-- not this -->'), 5);
      assert.equal(wordCount(`<p>${'word '.repeat(601)}</p>`), 601);
    });

    it("make GitHub's anchors from headings, skipping code blocks and numbering repeats", function () {
      assert.equal(githubSlug('`mypos-terminal` (config node)'), 'mypos-terminal-config-node');
      assert.equal(githubSlug('Action nodes: `mypos-pay`, `mypos-refund`'), 'action-nodes-mypos-pay-mypos-refund');
      assert.equal(githubSlug('Bluetooth (serial) connection'), 'bluetooth-serial-connection');
      assert.equal(githubSlug('See [the journal](#x) & more'), 'see-the-journal--more');
      const anchors = anchorsOf('# Title\n## Input\n```sh\n# not a heading\n```\n### Input\n#### Output ##\n');
      assert.deepEqual([...anchors], ['title', 'input', 'input-1', 'output']);
      assert.ok(!anchors.has('not-a-heading'));
    });

    it('find the misleading Hungarian terms in their inflected forms, and only those', function () {
      const flagged = (text: string): boolean => BANNED_HU.some(([pattern]) => pattern.test(text));
      for (const text of ['Számlaszám', 'a számlaszámot', 'Engedélykód', 'engedélykódja', 'nyugta', 'a nyugtát', 'Nyugták', 'nyugtával', 'készpénznyugta', 'elutasítva: már megtörtént']) {
        assert.ok(flagged(text), `not flagged: ${text}`);
      }
      for (const text of ['hivatkozási szám', 'előengedélyezési kód', 'bizonylat', 'nyugtázza', 'nyugtázás', 'megnyugtató', 'nyugtalan', 'a bank elutasította', 'számla']) {
        assert.ok(!flagged(text), `flagged: ${text}`);
      }
    });
  });

  it('has the six node types', function () {
    assert.equal(TYPES.length, 6, `node types: ${TYPES.join(', ')}`);
  });

  for (const lang of LANGUAGES) {
    it(`${lang}: has help for every node type, once, and for no other`, function () {
      const types = help[lang].map((block) => block.type);
      assert.deepEqual([...types].sort(), [...TYPES].sort());
    });
  }

  it('is built from the templates, which are not shipped', function () {
    for (const lang of LANGUAGES) {
      const files = fs.readdirSync(path.join(LOCALES, lang));
      assert.ok(files.includes('mypos-actions.html'), `${lang}: no mypos-actions.html in dist`);
      assert.deepEqual(
        files.filter((file) => file.includes('.help.')),
        [],
        `${lang}: template files in dist`,
      );
    }
  });

  for (const type of TYPES) {
    describe(type, function () {
      for (const lang of LANGUAGES) {
        it(`${lang}: at most ${MAX_WORDS} words`, function () {
          const block = helpFor(lang, type);
          assert.ok(block, `no ${lang} help`);
          const words = wordCount(block.body);
          assert.ok(words <= MAX_WORDS, `${block.file} ${type}: ${words} words`);
        });

        it(`${lang}: a one-paragraph summary, then ${SECTIONS[kindOf(type)][lang].join(', ')}`, function () {
          const block = helpFor(lang, type);
          assert.ok(block, `no ${lang} help`);
          const body = block.body.replace(/<!--[\s\S]*?-->/g, '');
          const headings = [...body.matchAll(/<h3>([^<]*)<\/h3>/g)].map((match) => match[1].trim());
          assert.deepEqual(headings, SECTIONS[kindOf(type)][lang]);
          const summary = body.slice(0, body.indexOf('<h3>')).trim();
          assert.match(summary, /^<p>(?:(?!<\/?p>)[\s\S])+<\/p>$/, `the summary is not one paragraph: ${summary}`);
          assert.ok(wordCount(summary) >= 5, `the summary is too short: ${summary}`);
          // The properties (or settings) under the first section, as Node-RED's help lists them.
          const first = body.slice(body.indexOf('<h3>'), body.indexOf('<h3>', body.indexOf('<h3>') + 1));
          assert.match(first, /<dl class="message-properties">[\s\S]*<dt[ >]/, `no message-properties list under ${headings[0]}`);
          if (kindOf(type) === 'action') {
            const outputs = body.slice(body.indexOf(`<h3>${headings[1]}</h3>`), body.indexOf(`<h3>${headings[2]}</h3>`));
            assert.equal([...outputs.matchAll(/<li>/g)].length >= 2 && /<ol class="node-ports">/.test(outputs), true, 'outputs are not the two ports');
          }
        });

        it(`${lang}: its links into the documentation land on files and headings of README.md and docs/*.md`, function () {
          const block = helpFor(lang, type);
          assert.ok(block, `no ${lang} help`);
          const links = hrefsOf(block.body).filter((href) => href.startsWith(repository));
          assert.ok(
            links.some((href) => href.includes('#')),
            `no link to a documentation section (${repository}#…)`,
          );
          const escaped = repository.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
          for (const href of links) {
            // The README as GitHub shows it on the repository's page, or a docs/ file on the default branch.
            const match = new RegExp(`^${escaped}(?:/blob/main/(docs/[A-Za-z0-9._-]+\\.md))?(?:#(.+))?$`).exec(href);
            assert.ok(match, `${href}: not ${repository}#<README heading> or ${repository}/blob/main/docs/<file>.md#<heading>`);
            const file = match[1] ?? 'README.md';
            const anchors = anchorsIn(file);
            assert.ok(anchors, `${href}: there is no ${file}`);
            if (match[2] !== undefined) assert.ok(anchors.has(match[2]), `${href}: ${file} has no heading #${match[2]}`);
          }
        });
      }

      it('says the same in both languages: the same links and the same machine values', function () {
        const [en, hu] = LANGUAGES.map((lang) => helpFor(lang, type));
        assert.ok(en && hu, 'help missing');
        assert.deepEqual(sorted(hrefsOf(hu.body)), sorted(hrefsOf(en.body)), 'links');
        assert.deepEqual(sorted(codesOf(hu.body)), sorted(codesOf(en.body)), '<code> values');
      });

      it('hu: none of the misleading terms', function () {
        const block = helpFor('hu', type);
        assert.ok(block, 'no hu help');
        const found = BANNED_HU.filter(([pattern]) => pattern.test(block.body)).map(([pattern, why]) => `${pattern.exec(block.body)?.[0]}: ${why}`);
        assert.deepEqual(found, []);
      });
    });
  }
});
