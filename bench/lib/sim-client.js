'use strict';
/** Starts sim-host.js as a child process and calls its commands. */
const { fork } = require('node:child_process');
const path = require('node:path');

class SimHost {
  constructor(packageDir) {
    this.child = fork(path.join(__dirname, 'sim-host.js'), [], {
      env: { ...process.env, BENCH_PACKAGE_DIR: packageDir },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.nextId = 0;
    this.pending = new Map();
    this.child.on('message', ({ id, result, error }) => {
      const call = this.pending.get(id);
      if (!call) return;
      this.pending.delete(id);
      if (error) call.reject(new Error(`sim-host: ${error}`));
      else call.resolve(result);
    });
    this.child.on('exit', (code) => {
      for (const call of this.pending.values()) call.reject(new Error(`sim-host exited with ${code}`));
      this.pending.clear();
    });
  }

  call(cmd, args) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, cmd, args });
    });
  }

  /** A command without an answer; commands are handled in the order they are sent. */
  post(cmd, args) {
    this.child.send({ cmd, args });
  }

  async close() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('close').catch(() => undefined);
    await exited;
  }
}

module.exports = { SimHost };
