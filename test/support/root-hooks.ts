// Every test gets a fresh Node-RED user directory, so the terminals' journals (kept there) never
// carry one test's invoices into another.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { RootHookObject } from 'mocha';

let userDir: string;

export const mochaHooks: RootHookObject = {
  beforeEach() {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-userdir-'));
    helper.settings({ userDir });
  },
  afterEach() {
    fs.rmSync(userDir, { recursive: true, force: true });
  },
};
