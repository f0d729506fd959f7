// The package's API for programs without Node-RED is a deliberate list (src/index.ts), documented in
// docs/client.md: adding or removing a name is a decision, so this test names every one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as api from '../src';

const root = path.join(__dirname, '..');

/** Values a program can use. */
const VALUES = ['ACTIONS', 'DEFAULT_TCP_PORT', 'ERROR_OUTCOMES', 'Journal', 'MESSAGES', 'ResolveError', 'SerialTransport', 'TcpTransport', 'TerminalClient', 'TerminalSimulator', 'render'];

/** Types a TypeScript program can name (erased at run time). */
const TYPES = [
  'Action',
  'ActionFields',
  'Activity',
  'Connection',
  'ConnectionHandlers',
  'ConnectionMode',
  'ConnectionState',
  'DamagedEntry',
  'EntryState',
  'ErrorCode',
  'Explanation',
  'Finding',
  'FramerLimits',
  'HistoryEntry',
  'HistoryPage',
  'HistoryQuery',
  'JournalEntry',
  'JournalOptions',
  'JournalOutcome',
  'LateAnswer',
  'LinkState',
  'MessageKey',
  'MessageLanguage',
  'MessageParam',
  'Outcome',
  'Readiness',
  'ReadinessState',
  'ReceiptMode',
  'ReceivedMessage',
  'ReceivedRequest',
  'RequestEnding',
  'Resolution',
  'ResolveInput',
  'SerialTransportOptions',
  'SimulatorBehaviour',
  'SimulatorFault',
  'SimulatorOptions',
  'TcpTransportOptions',
  'TerminalClientOptions',
  'TransactOptions',
  'TransactionFailure',
  'TransactionResult',
  'TransactionSuccess',
  'Transport',
];

/** Every name the declaration file exports, values and types, as `export { A, B }` and `export type { C }` lists. */
function declaredNames(): string[] {
  const declarations = fs.readFileSync(path.join(root, 'dist', 'src', 'index.d.ts'), 'utf8');
  assert.doesNotMatch(declarations, /export \*/, 'no wholesale re-export: every name is chosen');
  const names: string[] = [];
  for (const [, list] of declarations.matchAll(/export (?:type )?\{([^}]*)\}/g))
    names.push(
      ...list
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    );
  return names.sort();
}

describe('public API (src/index.ts)', function () {
  it('exports exactly the values docs/client.md builds on, and nothing internal (escapeXmlText, XmlFramer, decodeUtf8…)', function () {
    assert.deepEqual(Object.keys(api).sort(), [...VALUES].sort());
    for (const internal of ['escapeXmlText', 'XmlFramer', 'decodeUtf8', 'createRequest', 'parseFlatXml', 'failure', 'explain', 'compareAmounts'])
      assert.equal(Reflect.get(api, internal), undefined, internal);
  });

  it('declares exactly those values and the result, error, journal and message types', function () {
    assert.deepEqual(declaredNames(), [...VALUES, ...TYPES].sort());
  });

  it('the main file of package.json is this index, with its declarations', function () {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: unknown; types?: unknown };
    assert.deepEqual([manifest.main, manifest.types], ['dist/src/index.js', 'dist/src/index.d.ts']);
  });

  it('docs/client.md lists exactly these names under "What the package exports"', function () {
    const docs = fs.readFileSync(path.join(root, 'docs', 'client.md'), 'utf8');
    const section = /## What the package exports\n([\s\S]*?)(?=\n## |$)/.exec(docs)?.[1];
    assert.ok(section, 'docs/client.md has the section');
    // The package's names are capitalised (types, classes, constants), and `render(…)`; lower-case
    // words in backticks there are fields (`allowDuplicate`, `messageKey`).
    const listed = new Set<string>();
    for (const [, name] of section.matchAll(/`([A-Za-z_]\w*)(?:\([^`]*\))?`/g)) if (/^[A-Z]/.test(name) || name === 'render') listed.add(name);
    assert.deepEqual([...listed].sort(), [...VALUES, ...TYPES].sort());
  });

  it('what docs/client.md names from the package is exported', function () {
    const docs = fs.readFileSync(path.join(root, 'docs', 'client.md'), 'utf8');
    const named = new Set<string>();
    for (const [, list] of docs.matchAll(/(?:const|import) \{([^}]*)\} (?:= require\(|from )'@payment-interface\/node-red-mypos'/g)) for (const name of list.split(',')) named.add(name.trim());
    for (const [, name] of docs.matchAll(/new (\w+)\(/g)) named.add(name);
    assert.ok(named.size >= 4, `names found in docs/client.md: ${[...named]}`);
    for (const name of named) assert.ok(VALUES.includes(name), `docs/client.md uses ${name}, which is not exported`);
  });
});
