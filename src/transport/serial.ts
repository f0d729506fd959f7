import { SerialPort } from 'serialport';
import { openLink } from './opening';
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
    return openLink(handlers, timeoutMs, signal, 'the port', (link) => {
      // `lock` makes a second open of the same device fail instead of sharing it.
      const port = new SerialPort({ path: this.path, baudRate: this.baudRate, autoOpen: false, lock: true });
      // These listeners stay for the port's life: an error event without one would crash the process.
      port.on('error', (error: Error) => link.ended(error));
      port.on('close', (error?: Error | null) => link.ended(error ?? undefined));
      port.on('end', () => link.ended());
      port.on('data', (chunk: Buffer) => link.data(chunk));
      port.open((error) => {
        if (error) {
          link.ended(error);
          return;
        }
        // A new link must carry nothing from an earlier one: drop bytes the system buffered.
        port.flush(() => link.opened((data) => port.write(data, 'utf8')));
      });
      return () => {
        port.removeAllListeners('data');
        if (port.isOpen) port.close(() => undefined);
      };
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
