'use strict';
/**
 * Each part of the bench runs in its own child process (a Node-RED runtime cannot be restarted
 * in one process, and the endurance run needs --expose-gc). A section gets its options as JSON
 * in argv[2] and hands its result back over IPC; run by hand, it prints the result instead.
 */

/** Exit code of a section that finished but whose process did not end: something was left open. */
const LEFT_OPEN = 3;
const LEFT_OPEN_AFTER_MS = 5000;

function runSection(main) {
  const options = JSON.parse(process.argv[2] ?? '{}');
  main(options).then(
    (result) => {
      if (process.send) process.send({ result }, () => process.disconnect());
      else console.log(JSON.stringify(result, (key, value) => (Array.isArray(value) && value.length > 50 ? `[${value.length} values]` : value), 2));
      // Every socket, timer and child process is closed by now, so the process ends by itself.
      // This timer does not keep it alive: it fires only if something else does.
      setTimeout(() => {
        console.error(`  [section] still running ${LEFT_OPEN_AFTER_MS / 1000} s after finishing; open: ${process.getActiveResourcesInfo().join(', ')}`);
        process.exit(LEFT_OPEN);
      }, LEFT_OPEN_AFTER_MS).unref();
    },
    (error) => {
      console.error(error?.stack ?? String(error));
      process.exit(1);
    },
  );
}

function progress(section, text) {
  process.stderr.write(`  [${section}] ${text}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

module.exports = { runSection, progress, sleep, LEFT_OPEN };
