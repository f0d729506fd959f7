// A fresh terminal simulator for each test of a describe, closed after it: on 127.0.0.1 with a
// temporary directory, or on a socat pty pair. Mocha runs afterEach hooks in the order they were
// registered: call useInProcessNodeRed() first, so that the flow is unloaded before its terminal
// goes away, and register a hook that must run before the simulator closes ahead of these.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TerminalSimulator } from '../../src';
import { PtyPair } from './pty';

/** This test's simulator on 127.0.0.1, its port and an empty temporary directory. */
export interface SimulatorPerTest {
  readonly simulator: TerminalSimulator;
  readonly port: number;
  readonly dir: string;
}

/** This test's simulator, serving the terminal side of a pty pair (`pty.nodeSide` is for the client). */
export interface SerialSimulatorPerTest {
  readonly simulator: TerminalSimulator;
  readonly pty: PtyPair;
}

/** Call inside a describe: a simulator on 127.0.0.1 and a temporary directory named `dirPrefix…` for each test. */
export function useSimulatorPerTest(dirPrefix: string): SimulatorPerTest {
  let current: SimulatorPerTest | undefined;
  beforeEach(async () => {
    const simulator = new TerminalSimulator();
    const port = await simulator.listen(0, '127.0.0.1');
    current = { simulator, port, dir: fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix)) };
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    if (!done) return;
    await done.simulator.close();
    fs.rmSync(done.dir, { recursive: true, force: true });
  });
  return duringATest(() => current);
}

/** Call inside a describe: a pty pair and a simulator serving its terminal side for each test. */
export function useSerialSimulatorPerTest(): SerialSimulatorPerTest {
  let current: SerialSimulatorPerTest | undefined;
  beforeEach(async () => {
    const pty = new PtyPair();
    await pty.start();
    const simulator = new TerminalSimulator();
    await simulator.serveSerial(pty.terminalSide);
    current = { simulator, pty };
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    if (!done) return;
    await done.simulator.close();
    await done.pty.dispose();
  });
  return duringATest(() => current);
}

/** A view of the running test's set-up that fails plainly when read outside a test. */
function duringATest<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const now = current();
      assert.ok(now, 'read outside a test: the simulator exists only while a test runs');
      return Reflect.get(now, property) as unknown;
    },
  });
}
