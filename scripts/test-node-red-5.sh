#!/usr/bin/env bash
# Runs the whole test suite on Node-RED 5 with Node.js 22, or 24 (the repository's devDependency
# is Node-RED 4, run by `npm test` on the machine's Node.js).
#
# Node comes from the npm package node@22 (npx -p node@22), or the one MYPOS_NODE_PACKAGE names.
# Node-RED 5 is installed under .cache/node-red-5 (gitignored), apart from the repository's
# node_modules, and the tests are pointed at it with MYPOS_NODE_RED (test/support/node-red-path.ts).
#
#   bash scripts/test-node-red-5.sh                          builds dist/ with Node 22, then tests
#   MYPOS_NODE_PACKAGE=node@24 bash scripts/test-node-red-5.sh   the same on Node 24
#   MYPOS_SKIP_BUILD=1 bash scripts/...                      uses the dist/ that is there (CI: npm test built it)
#   extra arguments are passed to mocha, e.g. a spec file
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG="${MYPOS_NODE_PACKAGE:-${MYPOS_NODE22_PACKAGE:-node@22}}"
NODE_RED_PKG="${MYPOS_NODE_RED_PACKAGE:-node-red@5}"
CACHE_DIR=".cache/node-red-5"

# Everything below runs under that Node: npx puts its `node` first on PATH, so npm and mocha
# (both `#!/usr/bin/env node` scripts) run on it too.
with_node22() {
  npx --yes -p "$NODE_PKG" -- "$@"
}

node_version="$(with_node22 node --version)"
node_major="${node_version#v}"; node_major="${node_major%%.*}"
node_minor="${node_version#v*.}"; node_minor="${node_minor%%.*}"
case "$node_major" in
  22) if [ "$node_minor" -lt 9 ]; then echo "Node-RED 5 needs Node >= 22.9, got $node_version" >&2; exit 1; fi ;;
  24) ;;
  *) echo "expected Node 22 or 24 from $NODE_PKG, got $node_version" >&2; exit 1 ;;
esac

mkdir -p "$CACHE_DIR"
if [ ! -f "$CACHE_DIR/package.json" ]; then
  printf '{ "name": "mypos-node-red-5", "private": true }\n' > "$CACHE_DIR/package.json"
fi
echo "Installing $NODE_RED_PKG into $CACHE_DIR (Node $node_version)"
with_node22 npm install --prefix "$CACHE_DIR" --no-audit --no-fund --loglevel=error "$NODE_RED_PKG" >/dev/null

export MYPOS_NODE_RED="$PWD/$CACHE_DIR/node_modules/node-red/lib/red.js"
nr_version="$(with_node22 node -p "require('./$CACHE_DIR/node_modules/node-red/package.json').version")"
case "$nr_version" in
  5.*) ;;
  *) echo "expected Node-RED 5 in $CACHE_DIR, got $nr_version" >&2; exit 1 ;;
esac

if [ "${MYPOS_SKIP_BUILD:-}" != "1" ]; then
  with_node22 node scripts/build.js
fi

# The test helper must drive Node-RED 5's runtime, not the repository's Node-RED 4: init with the
# 5.x main file and check that its runtime internals were found (it only logs when they are not).
with_node22 node -e '
  const helper = require("node-red-node-test-helper");
  helper.init(process.env.MYPOS_NODE_RED);
  const version = helper._RED && helper._RED.version();
  if (!/^5\./.test(version || "") || !helper._redNodes || !helper._NodePrototype) {
    console.error("node-red-node-test-helper did not take Node-RED 5 from " + process.env.MYPOS_NODE_RED + " (got " + version + ")");
    process.exit(1);
  }
  console.log("node-red-node-test-helper drives Node-RED " + version);
'
# serialport loads a native binding: it must load under Node 22 (N-API prebuilds).
with_node22 node -e '
  const binding = require("@serialport/bindings-cpp");
  binding.autoDetect();
  console.log("serialport binding loads under Node " + process.versions.node);
'

echo "Testing on Node-RED $nr_version with Node $node_version"
with_node22 node node_modules/mocha/bin/mocha.js "$@"
