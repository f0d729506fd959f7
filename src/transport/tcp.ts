import net from 'node:net';
import { openLink } from './opening';
import { Connection, ConnectionHandlers, Transport } from './transport';

export interface TcpTransportOptions {
  readonly host: string;
  /** The Payment Interface app listens on 51042. */
  readonly port?: number;
}

export const DEFAULT_TCP_PORT = 51042;
/** Lets the OS notice a terminal that vanished from the network while we wait for a customer. */
const KEEPALIVE_DELAY_MS = 15_000;

export class TcpTransport implements Transport {
  readonly host: string;
  readonly port: number;

  constructor(options: TcpTransportOptions) {
    this.host = options.host;
    this.port = options.port ?? DEFAULT_TCP_PORT;
  }

  get description(): string {
    return `${this.host}:${this.port}`;
  }

  connect(handlers: ConnectionHandlers, timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    return openLink(handlers, timeoutMs, signal, 'the connection', (link) => {
      const socket = new net.Socket();
      try {
        socket.connect({ host: this.host, port: this.port });
      } catch (error) {
        socket.destroy(); // a bad port throws after the socket took a handle
        throw error;
      }
      socket.on('error', (error) => link.ended(error));
      socket.on('end', () => link.ended());
      socket.on('close', () => link.ended());
      socket.on('data', (chunk: Buffer) => link.data(chunk));
      socket.once('connect', () => {
        socket.setNoDelay(true);
        socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
        link.opened((data) => socket.write(data, 'utf8'));
      });
      return () => socket.destroy();
    });
  }
}
