// Node-RED in the test process (node-red-node-test-helper), set up once for every test file that
// deploys the package's nodes into it: the runtime the repository uses (or MYPOS_NODE_RED), the
// helper's HTTP server for a suite, the flow unloaded after each test.
import { createRequire } from 'node:module';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { NodeModule } from 'node-red-node-test-helper';
import { nodeRedPath, nodeRedRoot } from './node-red-path';
import type { TerminalConfigNode } from '../../nodes/terminal-settings';

helper.init(nodeRedPath());

/**
 * Call inside a describe: starts the helper's server before its tests and stops it after them;
 * unloads the flow after each test (before the suite's own afterEach hooks registered later run).
 */
export function useInProcessNodeRed(): void {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());
}

/** A node module of that Node-RED itself, e.g. `core/common/25-status.js` (the `status` node). */
function nodeRedCoreNode(file: string): NodeModule {
  const load = createRequire(path.join(nodeRedRoot(), 'package.json'));
  return load(`@node-red/nodes/${file}`) as NodeModule;
}

/** Node-RED's own `status` node, as a kiosk flow would use it to hear the action nodes' statuses. */
export function statusNode(): NodeModule {
  return nodeRedCoreNode('core/common/25-status.js');
}

/** The deployed `mypos-terminal` config node `id`, as the action nodes see it. */
export function deployedConfigNode(id = 'cfg'): TerminalConfigNode {
  return helper.getNode(id) as unknown as TerminalConfigNode;
}
