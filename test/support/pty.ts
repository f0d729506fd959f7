// A real pseudo-terminal pair from socat, standing in for a terminal's Bluetooth serial link:
// the code under test opens one end, the simulator (or a test) the other.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class PtyPair {
  readonly dir: string;
  /** The end the code under test opens, as it would open /dev/rfcomm0. */
  readonly nodeSide: string;
  /** The end the simulator (or a test standing in for the terminal) opens. */
  readonly terminalSide: string;
  private process: ChildProcess | undefined;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mypos-pty-'));
    this.nodeSide = path.join(this.dir, 'ttyNode');
    this.terminalSide = path.join(this.dir, 'ttyTerminal');
    this.process = undefined;
  }

  /** Starts socat and waits until both ends exist. */
  async start(): Promise<void> {
    const child = spawn('socat', [`pty,raw,echo=0,link=${this.nodeSide}`, `pty,raw,echo=0,link=${this.terminalSide}`], {
      stdio: 'ignore',
    });
    this.process = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`socat exited with ${code}`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (!(fs.existsSync(this.nodeSide) && fs.existsSync(this.terminalSide))) {
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair');
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 10)), exited]);
    }
  }

  /** Kills socat, as when the terminal is switched off, and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    for (const link of [this.nodeSide, this.terminalSide]) fs.rmSync(link, { force: true });
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
