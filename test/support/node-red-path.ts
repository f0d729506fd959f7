// Which Node-RED runtime the tests use. By default the repository's devDependency (Node-RED 4);
// scripts/test-node-red-5.sh sets MYPOS_NODE_RED to the main file of a Node-RED 5 installed
// under .cache/, so the same tests run on both.
import fs from 'node:fs';
import path from 'node:path';

/** The path of node-red's main module (lib/red.js), as node-red-node-test-helper's init wants it. */
export function nodeRedPath(): string {
  return process.env.MYPOS_NODE_RED || require.resolve('node-red');
}

function packageName(manifest: string): unknown {
  return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
}

/** The root folder of that node-red package. */
export function nodeRedRoot(): string {
  let dir = path.dirname(nodeRedPath());
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && packageName(manifest) === 'node-red') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no node-red package above ${nodeRedPath()}`);
    dir = parent;
  }
}

/** The command-line entry (red.js) of the same node-red, for tests that start Node-RED as a process. */
export function nodeRedCli(): string {
  return path.join(nodeRedRoot(), 'red.js');
}

/** Its version, e.g. "4.1.15". */
export function nodeRedVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(nodeRedRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
