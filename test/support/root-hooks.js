'use strict';
// Every test gets a fresh Node-RED user directory, so the terminals' journals (kept there) never
// carry one test's invoices into another.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const helper = require('node-red-node-test-helper');

let userDir;

exports.mochaHooks = {
  beforeEach() {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-userdir-'));
    helper.settings({ userDir });
  },
  afterEach() {
    fs.rmSync(userDir, { recursive: true, force: true });
  },
};
