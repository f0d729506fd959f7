import net from 'node:net';
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
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('the connection attempt was cancelled'));
        return;
      }
      const socket = net.createConnection({ host: this.host, port: this.port });
      let open = false;
      let live = true;
      const onAbort = () => end(new Error('the connection attempt was cancelled'));
      const end = (error?: Error) => {
        if (!live) return;
        live = false;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        if (open) handlers.closed(error);
        else reject(error ?? new Error('connection closed while opening'));
      };
      const timer = setTimeout(() => end(new Error(`no connection within ${timeoutMs / 1000} s`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('error', (error) => end(error));
      socket.on('end', () => end());
      socket.on('close', () => end());
      socket.on('data', (chunk: Buffer) => {
        if (live) handlers.data(chunk);
      });
      socket.once('connect', () => {
        if (!live) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        open = true;
        socket.setNoDelay(true);
        socket.setKeepAlive(true, KEEPALIVE_DELAY_MS);
        resolve({
          write: (data) => {
            if (live) socket.write(data, 'utf8');
          },
          destroy: () => {
            live = false;
            clearTimeout(timer);
            socket.destroy();
          },
        });
      });
    });
  }
}
