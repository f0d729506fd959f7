/**
 * A Transport (the public interface of src/transport/transport.ts) in front of a real one, for the
 * tests: every connect goes to the transport behind it, and the bytes that reach the client are
 * counted. A test that needs a connect to fail, or a connection to be held or to fail, puts its
 * own connect in place here (replaceConnect), never on the real transport.
 */
import type { Connection, ConnectionHandlers, Transport } from '../../src';

/** A transport's connect, as the client calls it. */
export type Connect = (handlers: ConnectionHandlers, timeoutMs: number, signal?: AbortSignal) => Promise<Connection>;

export class PassThroughTransport implements Transport {
  /** Bytes from the terminal that reached the client so far, over every connection. */
  bytesToClient = 0;
  /** The connect in place: the inner transport's, or what replaceConnect made of it. */
  private connectNow: Connect;

  constructor(readonly inner: Transport) {
    this.connectNow = (handlers, timeoutMs, signal) => inner.connect(handlers, timeoutMs, signal);
  }

  get description(): string {
    return this.inner.description;
  }

  connect(handlers: ConnectionHandlers, timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    return this.connectNow(
      {
        data: (chunk) => {
          this.bytesToClient += chunk.length;
          handlers.data(chunk);
        },
        closed: (error) => handlers.closed(error),
      },
      timeoutMs,
      signal,
    );
  }

  /**
   * Puts what `replace` makes of connect (it is handed the connect in place) in its place, for
   * the connects from now on; returns the undo. Replacements stack: undo them newest first.
   */
  replaceConnect(replace: (connect: Connect) => Connect): () => void {
    const before = this.connectNow;
    this.connectNow = replace(before);
    return () => {
      this.connectNow = before;
    };
  }
}
