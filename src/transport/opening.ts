import { explain, explainedError } from '../protocol/messages';
import { Connection, ConnectionHandlers } from './transport';

/** What a transport reports while it opens and runs one link. */
export interface LinkEvents {
  /** The link is open; `write` sends bytes on it. */
  opened(write: (data: string) => void): void;
  /** Bytes from the terminal. */
  data(chunk: Buffer): void;
  /** The link failed to open, or ended. */
  ended(error?: Error): void;
}

/**
 * The bookkeeping every transport's connect() shares: a timeout, cancellation by signal, one end
 * only, and handlers silenced once the link is destroyed. `start` begins opening the link and
 * returns the function that releases it; that function may be called more than once.
 */
export function openLink(handlers: ConnectionHandlers, timeoutMs: number, signal: AbortSignal | undefined, what: string, start: (events: LinkEvents) => () => void): Promise<Connection> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(explainedError(explain('reason.cancelled')));
      return;
    }
    let state: 'opening' | 'open' | 'ended' = 'opening';
    let release: () => void = () => undefined;
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const end = (error?: Error) => {
      if (state === 'ended') return;
      const wasOpen = state === 'open';
      state = 'ended';
      settle();
      release();
      if (wasOpen) handlers.closed(error);
      else reject(error ?? explainedError(explain('reason.closedWhileOpening'), undefined, `${what} closed while opening`));
    };
    const onAbort = () => end(explainedError(explain('reason.cancelled')));
    const timer = setTimeout(() => end(explainedError(explain('reason.timeout', { seconds: timeoutMs / 1000 }), 'ETIMEDOUT', `${what} did not open within ${timeoutMs / 1000} s`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    // A start that throws (a port out of range, a blocked address) ends the attempt, timer and all.
    try {
      release = start({
        opened: (write) => {
          if (state !== 'opening') {
            release(); // opened after a timeout or cancel: let it go again at once
            return;
          }
          state = 'open';
          settle();
          resolve({
            write: (data) => {
              if (state === 'open') write(data);
            },
            destroy: () => {
              if (state === 'ended') return;
              state = 'ended';
              settle();
              release();
            },
          });
        },
        data: (chunk) => {
          if (state === 'open') handlers.data(chunk);
        },
        ended: end,
      });
    } catch (error) {
      end(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if ((state as string) === 'ended') release(); // it failed while starting
  });
}
