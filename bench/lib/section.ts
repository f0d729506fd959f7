/**
 * Each part of the bench runs in its own child process (a Node-RED runtime cannot be restarted
 * in one process, and the endurance run needs --expose-gc). A section gets its options as JSON
 * in argv[2] and hands its result back over IPC; run by hand, it prints the result instead.
 */

/** Exit code of a section that finished but whose process did not end: something was left open. */
export const LEFT_OPEN = 3;
const LEFT_OPEN_AFTER_MS = 5000;

export function runSection<Options, Result>(main: (options: Options) => Promise<Result>): void {
  const options = JSON.parse(process.argv[2] ?? '{}') as Options;
  main(options).then(
    (result) => {
      if (process.send) process.send({ result }, () => process.disconnect());
      else console.log(JSON.stringify(result, (_key, value: unknown) => (Array.isArray(value) && value.length > 50 ? `[${value.length} values]` : value), 2));
      // Every socket, timer and child process is closed by now, so the process ends by itself.
      // This timer does not keep it alive: it fires only if something else does.
      setTimeout(() => {
        console.error(`  [section] still running ${LEFT_OPEN_AFTER_MS / 1000} s after finishing; open: ${process.getActiveResourcesInfo().join(', ')}`);
        process.exit(LEFT_OPEN);
      }, LEFT_OPEN_AFTER_MS).unref();
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? String(error)) : String(error));
      process.exit(1);
    },
  );
}

export function progress(section: string, text: string): void {
  process.stderr.write(`  [${section}] ${text}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
