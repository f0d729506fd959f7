#!/usr/bin/env node
// Compiles the TypeScript sources, then puts the editor files, locales and icons beside the
// compiled node files, where Node-RED looks for them; the action nodes' help is made there from
// its template (scripts/build-help.js).
// --if-missing builds only when there is no dist/ yet, for the scripts a clone may run right after
// `npm ci`: nothing builds on install, because the build is the `prepack` script, not `prepare`
// (npm lists a `prepare` as an install script to whoever installs the packed tarball).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { buildActionHelp, isHelpSource } = require('./build-help');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

if (process.argv.includes('--if-missing') && fs.existsSync(path.join(dist, 'nodes', 'mypos-actions.js'))) process.exit(0);

fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });

const nodesOut = path.join(dist, 'nodes');
// The editor validates with the runtime's rules: they are written into the editor files, which
// Node-RED serves as they are (see nodes/editor-constants.ts).
const { EDITOR_CONSTANTS } = require(path.join(nodesOut, 'editor-constants.js'));
const constantsJson = JSON.stringify(EDITOR_CONSTANTS).replace(/</g, '\\u003c');
for (const entry of fs.readdirSync(path.join(root, 'nodes'))) {
  if (!entry.endsWith('.html')) continue;
  const html = fs.readFileSync(path.join(root, 'nodes', entry), 'utf8');
  fs.writeFileSync(path.join(nodesOut, entry), html.split('__EDITOR_CONSTANTS__').join(constantsJson));
}
fs.cpSync(path.join(root, 'nodes', 'locales'), path.join(nodesOut, 'locales'), { recursive: true, filter: (file) => !isHelpSource(file) });
buildActionHelp(root, dist);
fs.cpSync(path.join(root, 'icons'), path.join(nodesOut, 'icons'), { recursive: true });
fs.chmodSync(path.join(dist, 'src', 'simulator', 'cli.js'), 0o755);
