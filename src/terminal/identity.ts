import { promises as dns } from 'node:dns';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SerialTransport } from '../transport/serial';
import { TcpTransport } from '../transport/tcp';
import { Transport } from '../transport/transport';

/**
 * Which physical terminal a transport reaches, however it is written: a TCP terminal by its
 * addresses (a name resolved, `127.1` read as 127.0.0.1, `::ffff:10.0.0.5` as 10.0.0.5) and
 * port; a serial one by its device's real path (links followed). Two config nodes with the same
 * identity are one terminal: one request at a time between them, one history.
 */
export interface TerminalIdentity {
  readonly kind: 'tcp' | 'serial';
  /** TCP: every address the host resolved to, normalised. */
  readonly addresses: readonly string[];
  readonly port?: number;
  /** Serial: the device's real path. */
  readonly device?: string;
  /** For messages and the journal: `tcp:192.168.1.20:51042`, `serial:/dev/rfcomm0`. */
  readonly label: string;
}

/** Resolves what `transport` reaches; rejects when a host name cannot be resolved. */
export async function identify(transport: Transport): Promise<TerminalIdentity> {
  if (transport instanceof TcpTransport) {
    const addresses = await addressesOf(transport.host);
    return { kind: 'tcp', addresses, port: transport.port, label: `tcp:${addresses.map(bracketed).join(',')}:${transport.port}` };
  }
  if (transport instanceof SerialTransport) {
    const device = await fs.realpath(transport.path).catch(() => path.resolve(transport.path));
    return { kind: 'serial', addresses: [], device, label: `serial:${device}` };
  }
  return { kind: 'tcp', addresses: [transport.description], label: transport.description };
}

/** Whether two identities are the same terminal: an address and the port in common, or the same device. */
export function sameTerminal(a: TerminalIdentity, b: TerminalIdentity): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'serial') return a.device === b.device;
  return a.port === b.port && a.addresses.some((address) => b.addresses.includes(address));
}

async function addressesOf(host: string): Promise<string[]> {
  const literal = host.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(literal)) return [normalise(literal)];
  // The system resolver reads /etc/hosts and the short IPv4 forms (127.1) without the network.
  const found = await dns.lookup(literal, { all: true, verbatim: true });
  return [...new Set(found.map((entry) => normalise(entry.address)))].sort();
}

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 compressed and in lower case. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (net.isIPv6(address)) {
    const compact = new URL(`http://[${address}]/`).hostname.slice(1, -1);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compact);
    if (hex) {
      const word = (text: string) => Number.parseInt(text, 16);
      return [word(hex[1]) >> 8, word(hex[1]) & 255, word(hex[2]) >> 8, word(hex[2]) & 255].join('.');
    }
    return compact;
  }
  return address;
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
