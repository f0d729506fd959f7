/** What the terminal client needs from a link to the terminal: bytes in, bytes out, an end. */

export interface ConnectionHandlers {
  /** Bytes from the terminal. */
  data(chunk: Buffer): void;
  /** The link ended; called at most once, and never after destroy(). */
  closed(error?: Error): void;
}

export interface Connection {
  /** Queues bytes for the terminal. A failure shows up as closed(). */
  write(data: string): void;
  /** Ends the link at once and silences its handlers. Safe to call more than once. */
  destroy(): void;
}

export interface Transport {
  /** Where the terminal is, for messages: `192.168.1.20:51042`, `/dev/rfcomm0`. */
  readonly description: string;
  /**
   * Opens a link, or rejects with an error saying why, within timeoutMs. Aborting the signal
   * gives up at once and releases everything the attempt holds.
   */
  connect(handlers: ConnectionHandlers, timeoutMs: number, signal?: AbortSignal): Promise<Connection>;
}
