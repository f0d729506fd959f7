import path from 'node:path';

/**
 * The Node.js arguments that run a TypeScript file of the tests or the benchmark as a child
 * process, as mocha runs the tests themselves (through tsx, .mocharc.json).
 */
export function typeScriptChild(file: string, ...args: string[]): string[] {
  return ['--require', require.resolve('tsx/cjs'), path.resolve(file), ...args];
}

/** The same, as `execArgv` for child_process.fork. */
export const TYPESCRIPT_EXEC_ARGV: readonly string[] = ['--require', require.resolve('tsx/cjs')];
