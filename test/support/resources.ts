// Counts of the handles a leak would show up as, and a check that they came back.
import assert from 'node:assert/strict';
import asyncHooks from 'node:async_hooks';
import { delay } from './wait';

const ALL_KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'Immediate', 'FileHandle', 'FSReqCallback', 'ProcessWrap', 'PipeWrap', 'TTYWrap'];
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Active handles by kind. */
export type ResourceCounts = Record<string, number>;

/** How many handles of each kind are active now. */
export function resources(kinds: readonly string[] = ALL_KINDS): ResourceCounts {
  const counts: ResourceCounts = Object.fromEntries(kinds.map((name) => [name, 0]));
  for (const name of process.getActiveResourcesInfo()) if (name in counts) counts[name] += 1;
  return counts;
}

/** A baseline taken once the event loop has settled (a turn, so that pending immediates ran). */
export async function baseline(kinds: readonly string[] = ALL_KINDS): Promise<ResourceCounts> {
  await turn();
  return resources(kinds);
}

/** Polls up to `ms` until every kind counted in `expected` is back to at most its count; then asserts. */
export async function expectResources(expected: ResourceCounts, what: string, ms = 500): Promise<void> {
  const kinds = Object.keys(expected);
  const settled = (actual: ResourceCounts): boolean => kinds.every((name) => actual[name] <= expected[name]);
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

/** A timer as Node.js makes it: `_destroyed` and `_idleTimeout` are Node's own (undocumented) fields of a Timeout. */
interface NodeTimer {
  readonly _destroyed?: boolean;
  readonly _idleTimeout?: number;
  hasRef(): boolean;
}

/** A timer made while watching, with where it was made. */
export interface PendingTimer {
  readonly ms: number | undefined;
  readonly ref: boolean;
  readonly stack: string | undefined;
}

/** What trackTimers returns. */
export interface TimerWatch {
  pending(from?: RegExp): PendingTimer[];
  stop(): void;
}

/**
 * Watches the timers made from now on, unref'd ones too (process.getActiveResourcesInfo lists only
 * those that keep the process alive). `pending(from)` lists those neither fired nor cleared, as
 * `{ ms, ref, stack }`; with `from` (a RegExp), only those whose creation stack matches it, e.g.
 * the files of one component. `stop()` ends the watch.
 */
export function trackTimers(): TimerWatch {
  const live = new Map<number, { timer: NodeTimer; stack: string | undefined }>();
  const hook = asyncHooks
    .createHook({
      init(id, type, _trigger, resource) {
        if (type === 'Timeout') live.set(id, { timer: resource as NodeTimer, stack: new Error('made here').stack });
      },
      destroy(id) {
        live.delete(id);
      },
    })
    .enable();
  return {
    pending: (from) =>
      [...live.values()].filter(({ timer, stack }) => !timer._destroyed && (!from || from.test(stack ?? ''))).map(({ timer, stack }) => ({ ms: timer._idleTimeout, ref: timer.hasRef(), stack })),
    stop: () => hook.disable(),
  };
}
