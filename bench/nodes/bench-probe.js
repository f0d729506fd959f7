'use strict';
// A node for the benchmark only: injects the bench's messages into a flow and reports every
// message that reaches it back to the bench (see ../lib/probe-hub.ts; the benchmark runs
// through tsx, so this JavaScript node may require TypeScript).
const hub = require('../lib/probe-hub');

module.exports = function register(RED) {
  function BenchProbe(config) {
    RED.nodes.createNode(this, config);
    hub.attach(this);
    this.on('input', (msg, _send, done) => {
      hub.arrive(this.id, msg);
      done();
    });
    this.on('close', () => hub.detach(this));
  }
  RED.nodes.registerType('bench-probe', BenchProbe);
};
