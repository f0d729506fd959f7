/**
 * `npm start` (scripts/start.js) as a newcomer meets it (issue 12, "First run"), run as a real
 * process with real sockets on 127.0.0.1:
 *  - a busy editor or simulator port, or a bad port variable, ends it with exit code 1 and a hint
 *    naming the port and the variable that moves it, before anything starts: no editor address,
 *    nothing listening, no process left;
 *  - on free ports it serves the editor with the demo, whose settings turn off the update
 *    notification and the welcome tour, and a SIGTERM stops Node-RED and the simulator.
 *
 * start.js runs in its own process group, so "no process left" means the group is empty, and a
 * failed test can end whatever it started. MYPOS_DEMO_DIR keeps the developer's .demo/ untouched.
 */

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { get } from './support/node-red-process';
import { freePort } from './support/ports';
import { waitFor } from './support/wait';

const startScript = path.join(__dirname, '..', 'scripts', 'start.js');

/** A listening socket on 127.0.0.1 that the test holds, as another program would. */
async function occupy(port = 0): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return server;
}

/** The port a server of occupy() listens on. */
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

/** True when nothing listens on 127.0.0.1:port (we can listen there). */
async function isFree(port: number): Promise<boolean> {
  const server = net.createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}

/** True while some process of the process group `pgid` is alive. */
function groupAlive(pgid: number | undefined): boolean {
  assert.ok(pgid !== undefined, 'start.js was not started');
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** A run of start.js. */
interface StartRun {
  child: ChildProcess;
  demoDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  output(): string;
}

const runs: StartRun[] = [];

/**
 * Starts scripts/start.js with env on top of this process's environment (without any port
 * variables of its own). Resolves { child, demoDir, output(), exited }, where exited resolves
 * { code, signal }.
 */
function runStart(env: Record<string, string>): StartRun {
  const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-demo-'));
  const inherited = { ...process.env };
  for (const name of ['NODE_RED_PORT', 'MYPOS_SIMULATOR_PORT', 'MYPOS_SIMULATOR_DELAY']) Reflect.deleteProperty(inherited, name);
  const child = spawn(process.execPath, [startScript], {
    env: { ...inherited, MYPOS_DEMO_DIR: demoDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const run: StartRun = { child, demoDir, exited, stdout: () => stdout, stderr: () => stderr, output: () => `stdout:\n${stdout}\nstderr:\n${stderr}` };
  runs.push(run);
  return run;
}

/** Waits for the run to exit; fails after timeoutMs with what it printed. */
async function exitOf(run: StartRun, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'timeout')));
  const result = await Promise.race([run.exited, timeout]);
  clearTimeout(timer);
  assert.ok(result !== 'timeout', `start.js did not exit within ${timeoutMs} ms:\n${run.output()}`);
  return result;
}

/** Runs start.js with env, expecting it to refuse: resolves what it printed once it exited. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const run = runStart(env);
  const { code, signal } = await exitOf(run, 15000);
  assert.equal(signal, null, run.output());
  assert.equal(code, 1, `exit code ${code}:\n${run.output()}`);
  // Nothing was started: no simulator, no editor address, no process of start.js left.
  assert.doesNotMatch(run.stdout(), /terminal simulator on|http:\/\//, run.output());
  assert.equal(groupAlive(run.child.pid), false, 'a process of start.js is still running');
  assert.deepEqual(fs.readdirSync(run.demoDir), [], 'the demo directory was written before the check');
  return run.stderr();
}

describe('npm start (scripts/start.js)', function () {
  const held: net.Server[] = [];

  afterEach(async function () {
    for (const run of runs.splice(0)) {
      if (run.child.pid !== undefined && groupAlive(run.child.pid)) process.kill(-run.child.pid, 'SIGKILL');
      fs.rmSync(run.demoDir, { recursive: true, force: true });
    }
    await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  describe('refuses to start, with a hint, before starting anything', function () {
    it('when the editor port is taken: names the port and NODE_RED_PORT, leaves the simulator port free', async function () {
      const taken = await occupy();
      held.push(taken);
      const editorPort = portOf(taken);
      const simulatorPort = await freePort();
      const stderr = await refusedStart({ NODE_RED_PORT: String(editorPort), MYPOS_SIMULATOR_PORT: String(simulatorPort) });
      assert.match(stderr, new RegExp(`editor port ${editorPort} on 127\\.0\\.0\\.1 is in use`));
      assert.match(stderr, /NODE_RED_PORT=\d+ npm start/);
      assert.doesNotMatch(stderr, /simulator port|MYPOS_SIMULATOR_PORT/, 'the free simulator port was blamed');
      // The suggested port is another one, and free.
      const suggested = Number(/NODE_RED_PORT=(\d+)/.exec(stderr)?.[1]);
      assert.notEqual(suggested, editorPort);
      assert.ok(await isFree(suggested), `suggested port ${suggested} is not free`);
      assert.ok(await isFree(simulatorPort), 'something listens on the simulator port');
    });

    it('when the simulator port is taken: names the port and MYPOS_SIMULATOR_PORT, leaves the editor port free', async function () {
      const taken = await occupy();
      held.push(taken);
      const simulatorPort = portOf(taken);
      const editorPort = await freePort();
      const stderr = await refusedStart({ NODE_RED_PORT: String(editorPort), MYPOS_SIMULATOR_PORT: String(simulatorPort) });
      assert.match(stderr, new RegExp(`simulator port ${simulatorPort} on 127\\.0\\.0\\.1 is in use \\(probably another \`npm start\``));
      assert.match(stderr, /MYPOS_SIMULATOR_PORT=\d+ npm start/);
      assert.doesNotMatch(stderr, /editor port|NODE_RED_PORT/, 'the free editor port was blamed');
      assert.ok(await isFree(editorPort), 'something listens on the editor port');
    });

    it('when both ports are taken: names both, in one command line', async function () {
      const editor = await occupy();
      const simulator = await occupy();
      held.push(editor, simulator);
      const stderr = await refusedStart({ NODE_RED_PORT: String(portOf(editor)), MYPOS_SIMULATOR_PORT: String(portOf(simulator)) });
      assert.match(stderr, new RegExp(`editor port ${portOf(editor)} `));
      assert.match(stderr, new RegExp(`simulator port ${portOf(simulator)} `));
      assert.match(stderr, /Choose other ports, for example: +NODE_RED_PORT=\d+ MYPOS_SIMULATOR_PORT=\d+ npm start/);
    });

    const wrongSettings: [Record<string, string>, RegExp][] = [
      [{ NODE_RED_PORT: 'abc' }, /NODE_RED_PORT="abc" is not a port number: use a whole number from 1 to 65535/],
      [{ NODE_RED_PORT: '1880.5' }, /NODE_RED_PORT="1880.5" is not a port number/],
      [{ MYPOS_SIMULATOR_PORT: '70000' }, /MYPOS_SIMULATOR_PORT="70000" is not a port number: .*MYPOS_SIMULATOR_PORT=51043 npm start/],
      [{ MYPOS_SIMULATOR_PORT: '0' }, /MYPOS_SIMULATOR_PORT="0" is not a port number/],
      [{ MYPOS_SIMULATOR_DELAY: 'slow' }, /MYPOS_SIMULATOR_DELAY="slow" is not a delay in milliseconds/],
      [{ NODE_RED_PORT: '51050', MYPOS_SIMULATOR_PORT: '51050' }, /NODE_RED_PORT and MYPOS_SIMULATOR_PORT are both 51050/],
    ];
    for (const [env, expected] of wrongSettings) {
      it(`when ${Object.entries(env)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')}: says what is wrong with it`, async function () {
        const stderr = await refusedStart(env);
        assert.match(stderr, expected);
        assert.doesNotMatch(stderr, /\n\s+at /, 'a stack trace instead of a message');
      });
    }
  });

  describe('on free ports', function () {
    this.timeout(120000);

    it('serves the demo without the update dialog or the tour, and SIGTERM stops it and frees both ports', async function () {
      const editorPort = await freePort();
      let simulatorPort = await freePort();
      while (simulatorPort === editorPort) simulatorPort = await freePort();
      const run = runStart({ NODE_RED_PORT: String(editorPort), MYPOS_SIMULATOR_PORT: String(simulatorPort) });
      const editorUrl = `http://127.0.0.1:${editorPort}/`;

      // The address is printed once the editor answers; Node-RED takes a few seconds.
      await waitFor(() => run.stdout().includes(editorUrl) || run.child.exitCode !== null, `the editor address in start.js's output:\n${run.output()}`, 90000);
      assert.equal(run.child.exitCode, null, `start.js exited:\n${run.output()}`);
      assert.match(run.stdout(), new RegExp(`terminal simulator on 127\\.0\\.0\\.1:${simulatorPort}`));
      assert.equal((await get(editorPort, '/', 'text/html')).status, 200);
      assert.equal(await isFree(simulatorPort), false, 'the simulator does not listen');

      // What the editor reads on its first load: telemetryEnabled undefined asks "Enable update
      // notifications?"; editorTheme.tours unset starts the welcome tour.
      const settings = JSON.parse((await get(editorPort, '/settings')).body) as {
        telemetryEnabled?: boolean;
        editorTheme: { tours?: boolean };
        externalModules: { palette: { allowUpdate?: boolean } };
      };
      assert.equal(settings.telemetryEnabled, false, 'the editor would ask about update notifications');
      assert.equal(settings.editorTheme.tours, false, 'the editor would start the welcome tour');
      assert.equal(settings.externalModules.palette.allowUpdate, false, 'the palette would offer to replace the linked package');

      // The examples' terminal points at the simulator's port.
      const flows = JSON.parse((await get(editorPort, '/flows')).body) as { id: string; type: string; port?: string }[];
      const terminals = flows.filter((node) => node.type === 'mypos-terminal');
      assert.ok(terminals.length > 0, 'no terminal in the demo flows');
      for (const terminal of terminals) assert.equal(terminal.port, String(simulatorPort), `${terminal.id} points at ${terminal.port}`);

      // The kiosk screen example runs too: Dashboard 2 (a devDependency, linked into the demo) is
      // loaded, so no flow waits for missing types, and its page is served.
      const modules = (JSON.parse((await get(editorPort, '/nodes')).body) as { module: string }[]).map((set) => set.module);
      assert.ok(modules.includes('@flowfuse/node-red-dashboard'), `Dashboard 2 is not loaded: ${[...new Set(modules)].join(', ')}`);
      await waitFor(async () => (await get(editorPort, '/dashboard/kiosk', 'text/html')).status === 200, `the kiosk screen at /dashboard/kiosk:\n${run.output()}`, 30000);
      assert.doesNotMatch(run.output(), /missing (node )?types/i);

      run.child.kill('SIGTERM');
      const { code, signal } = await exitOf(run, 30000);
      assert.equal(signal, null, run.output());
      assert.equal(code, 0, run.output());
      assert.equal(groupAlive(run.child.pid), false, 'Node-RED is still running');
      assert.ok(await isFree(editorPort), 'the editor port is still in use');
      assert.ok(await isFree(simulatorPort), 'the simulator port is still in use');
    });
  });
});
