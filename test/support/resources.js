'use strict';
// Counts of the handles a leak would show up as, and a check that they came back.
const assert = require('node:assert/strict');
const asyncHooks = require('node:async_hooks');
const { delay } = require('./wait');

const ALL_KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'FileHandle', 'FSReqCallback', 'ProcessWrap', 'PipeWrap', 'TTYWrap'];
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** How many handles of each kind are active now. */
function resources(kinds = ALL_KINDS) {
  const counts = Object.fromEntries(kinds.map((name) => [name, 0]));
  for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name] += 1;
  return counts;
}

/** A baseline taken once the event loop has settled (a turn, so that pending immediates ran). */
async function baseline(kinds = ALL_KINDS) {
  await turn();
  return resources(kinds);
}

/** Polls up to `ms` until every kind counted in `expected` is back to at most its count; then asserts. */
async function expectResources(expected, what, ms = 500) {
  const kinds = Object.keys(expected);
  const settled = (actual) => kinds.every((name) => actual[name] <= expected[name]);
  const deadline = Date.now() + ms;
  let actual = resources(kinds);
  while (!settled(actual) && Date.now() < deadline) {
    await turn();
    await delay(5);
    actual = resources(kinds);
  }
  for (const name of kinds) {
    assert.ok(actual[name] <= expected[name], `${what}: ${actual[name]} ${name} left behind, expected at most ${expected[name]} (now ${JSON.stringify(actual)}, before ${JSON.stringify(expected)})`);
  }
}

/**
 * Watches the timers made from now on, unref'd ones too (process.getActiveResourcesInfo lists only
 * those that keep the process alive). `pending(from)` lists those neither fired nor cleared, as
 * `{ ms, ref, stack }`; with `from` (a RegExp), only those whose creation stack matches it, e.g.
 * the files of one component. `stop()` ends the watch.
 */
function trackTimers() {
  const live = new Map();
  const hook = asyncHooks
    .createHook({
      init(id, type, _trigger, resource) {
        if (type === 'Timeout') live.set(id, { timer: resource, stack: new Error('made here').stack });
      },
      destroy(id) {
        live.delete(id);
      },
    })
    .enable();
  return {
    pending: (from) =>
      [...live.values()].filter(({ timer, stack }) => !timer._destroyed && (!from || from.test(stack))).map(({ timer, stack }) => ({ ms: timer._idleTimeout, ref: timer.hasRef(), stack })),
    stop: () => hook.disable(),
  };
}

module.exports = { resources, baseline, expectResources, trackTimers };
