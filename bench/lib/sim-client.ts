/** Starts sim-host.ts as a child process and calls its commands. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TYPESCRIPT_EXEC_ARGV } from '../../test/support/typescript-child';
import type { Commands, HostReply } from './sim-host';

type Args<Name extends keyof Commands> = Parameters<Commands[Name]>[0];
type Result<Name extends keyof Commands> = Awaited<ReturnType<Commands[Name]>>;

export class SimHost {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  constructor(packageDir: string) {
    this.child = fork(path.join(__dirname, 'sim-host.ts'), [], {
      env: { ...process.env, BENCH_PACKAGE_DIR: packageDir },
      // As before, the section's own Node.js options (inherited by default), and tsx for this TypeScript child.
      execArgv: [...process.execArgv, ...TYPESCRIPT_EXEC_ARGV],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: HostReply) => {
      const { id, result, error } = message;
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

  call<Name extends keyof Commands>(cmd: Name, ...args: Args<Name> extends undefined ? [] : [Args<Name>]): Promise<Result<Name>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (result) => resolve(result as Result<Name>), reject });
      this.child.send({ id, cmd, args: args[0] });
    });
  }

  /** A command without an answer; commands are handled in the order they are sent. */
  post<Name extends keyof Commands>(cmd: Name, args: Args<Name>): void {
    this.child.send({ cmd, args });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call('close').catch(() => undefined);
    await exited;
  }
}
