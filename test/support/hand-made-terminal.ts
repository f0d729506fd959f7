// A raw TCP server on 127.0.0.1 standing in for a terminal whose answers the simulator cannot
// make (a repeat at a chosen moment, half an answer, a hostile document), and the reader that
// splits what a link carries into requests.
import net from 'node:net';

export const HOST = '127.0.0.1';

/** Where a request ends: the closing tag of one of the five request roots. */
const REQUEST_END = /<\/(pay|refund|preauth|preauthcompletion|preauthcancel)>/;

/** Timers a hand-made terminal set, cleared together when it closes. */
export class PendingTimers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs fn in ms, unless cleared first. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      fn();
    }, ms);
    this.pending.add(timer);
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** A hand-made terminal: its open connections, timers that close with it. */
export interface HandMadeServer {
  readonly port: number;
  readonly sockets: Set<net.Socket>;
  /** Runs fn in ms, unless the server closed first. */
  later(ms: number, fn: () => void): void;
  /** The terminal's app restarts: its connections are gone. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a port the OS picks); `onConnection(socket)` decides what the terminal does. */
export async function handMadeServer(onConnection: (socket: net.Socket) => void): Promise<HandMadeServer> {
  const sockets = new Set<net.Socket>();
  const timers = new PendingTimers();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    later: (ms, fn) => timers.later(ms, fn),
    dropConnections,
    async close() {
      timers.clear();
      dropConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A 'data' listener that calls back with each whole request (up to its closing root tag), as
 * UTF-8 text. Bytes are joined before they are decoded, so a character split between two chunks
 * stays whole.
 */
export function requestSplitter(onRequest: (xml: string) => void): (chunk: Buffer) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk.toString('latin1');
    let match;
    while ((match = REQUEST_END.exec(buffer))) {
      const end = match.index + match[0].length;
      const request = Buffer.from(buffer.slice(0, end), 'latin1').toString('utf8');
      buffer = buffer.slice(end);
      onRequest(request);
    }
  };
}
