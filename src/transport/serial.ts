import { SerialPort } from 'serialport';
import { Connection, ConnectionHandlers, Transport } from './transport';

export interface SerialTransportOptions {
  /** The device, e.g. `/dev/rfcomm0` for a terminal paired over Bluetooth. */
  readonly path: string;
  /** Ignored by Bluetooth RFCOMM links; matters only for a wired serial adapter. */
  readonly baudRate?: number;
}

export const DEFAULT_BAUD_RATE = 115200;

/**
 * A serial link, as a paired Bluetooth terminal appears on Linux. Every connect() makes a new
 * port object: a write queued on a port that vanished would otherwise go out when it reopens.
 */
export class SerialTransport implements Transport {
  readonly path: string;
  readonly baudRate: number;

  constructor(options: SerialTransportOptions) {
    this.path = options.path;
    this.baudRate = options.baudRate ?? DEFAULT_BAUD_RATE;
  }

  get description(): string {
    return this.path;
  }

  connect(handlers: ConnectionHandlers, timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new Error('the connection attempt was cancelled'));
        return;
      }
      // `lock` makes a second open of the same device fail instead of sharing it.
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false, lock: true });
      let open = false;
      let live = true;
      const shut = () => {
        port.removeAllListeners('data');
        if (port.isOpen) port.close(() => undefined);
      };
      const onAbort = () => end(new Error('the connection attempt was cancelled'));
      const end = (error?: Error) => {
        if (!live) return;
        live = false;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        shut();
        if (open) handlers.closed(error);
        else reject(error ?? new Error('the port closed while opening'));
      };
      const timer = setTimeout(() => end(new Error(`the port did not open within ${timeoutMs / 1000} s`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Listeners stay for the port's life: an error event without one would crash the process.
      port.on('error', (error: Error) => end(error));
      port.on('close', (error?: Error) => end(error ?? undefined));
      port.on('end', () => end());
      port.on('data', (chunk: Buffer) => {
        if (live && open) handlers.data(chunk);
      });
      port.open((error) => {
        if (!live) {
          shut();
          return;
        }
        if (error) {
          end(error);
          return;
        }
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        open = true;
        resolve({
          write: (data) => {
            if (live) port.write(data, 'utf8');
          },
          destroy: () => {
            live = false;
            clearTimeout(timer);
            shut();
          },
        });
      });
    });
  }
}

/** Serial ports the system knows of; fails where listing needs tools the system lacks (udevadm). */
export async function listSerialPorts(): Promise<{ path: string; label: string }[]> {
  const ports = await SerialPort.list();
  return ports.map((port) => ({
    path: port.path,
    label: [port.path, port.manufacturer, port.serialNumber].filter(Boolean).join(' · '),
  }));
}
