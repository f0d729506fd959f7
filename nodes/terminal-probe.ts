import { identify } from '../src/terminal/identity';
import { TerminalRegistry } from '../src/terminal/registry';
import { SerialTransport } from '../src/transport/serial';
import { Transport } from '../src/transport/transport';
import { TerminalConfig, clientOptionsFromConfig } from './terminal-settings';

/**
 * The config dialog's "Test connection": opens a connection to the terminal with the dialog's
 * settings (a TCP connect or a serial open, within the connect timeout) and closes it at once.
 * It never sends anything, so it can never start a payment.
 */

export type ProbeOutcome =
  /** The connection opened (and was closed again). */
  | 'connected'
  /** Nothing accepts connections there (TCP: connection refused). */
  | 'refused'
  /** No connection within the connect timeout. */
  | 'timeout'
  /** No route to the host or network. */
  | 'unreachable'
  /** Unknown host name, or no such serial device. */
  | 'not-found'
  /** The system refused access (serial device permissions). */
  | 'denied'
  /** A deployed mypos-terminal node holds this serial device open; `state` says how it is. */
  | 'in-use'
  /** A deployed mypos-terminal node has a request open on this terminal: not disturbed. */
  | 'busy'
  /** The settings themselves are wrong; `message` names the field. */
  | 'invalid'
  | 'failed';

export interface ProbeResult {
  readonly ok: boolean;
  readonly outcome: ProbeOutcome;
  /** Where: `192.168.1.20:51042`, `/dev/rfcomm0`; empty when the settings are invalid. */
  readonly target: string;
  /** How long the connection took to open, when it opened. */
  readonly ms?: number;
  /** The connection state of a deployed node holding the device (`in-use`). */
  readonly state?: string;
  /** What happened, in plain English: `connected to 192.168.1.20:51042 in 12 ms`. */
  readonly message: string;
}

/**
 * Tries the connection settings of a config dialog. A terminal in use in this runtime (the same
 * terminal however its address is written: resolved addresses are compared) is not disturbed
 * while it has a request open, and a serial device held open is reported as such instead of
 * being opened a second time.
 */
export async function testConnection(settings: TerminalConfig, terminals: TerminalRegistry, signal?: AbortSignal): Promise<ProbeResult> {
  let transport: Transport;
  let connectTimeoutMs: number;
  try {
    // Only the connection settings: the dialog's other fields do not matter for a test.
    const options = clientOptionsFromConfig({
      connection: settings.connection,
      host: settings.host,
      port: settings.port,
      serialPath: settings.serialPath,
      baudRate: settings.baudRate,
      connectTimeout: settings.connectTimeout,
    });
    transport = options.transport;
    connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  } catch (error) {
    return { ok: false, outcome: 'invalid', target: '', message: error instanceof Error ? error.message : String(error) };
  }
  const target = transport.description;
  const identity = await identify(transport).catch(() => undefined);
  const client = identity && terminals.find(identity);
  if (client) {
    if (client.busy) {
      return { ok: false, outcome: 'busy', target, message: `${target} is in use by a request right now; not disturbed, try again when it is over` };
    }
    if (transport instanceof SerialTransport && client.keepOpen) {
      const state = client.connectionState;
      return {
        ok: state === 'connected',
        outcome: 'in-use',
        target,
        state,
        message: `${target} is held open by the deployed terminal node, which is ${state}`,
      };
    }
  }
  return probeTransport(transport, connectTimeoutMs, signal);
}

/** Opens a link with `transport` within timeoutMs, closes it at once, and says what happened. */
export async function probeTransport(transport: Transport, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const target = transport.description;
  const attempt = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    attempt.abort();
  }, timeoutMs);
  const giveUp = () => attempt.abort();
  signal?.addEventListener('abort', giveUp, { once: true });
  const started = performance.now();
  try {
    const connection = await transport.connect({ data: () => undefined, closed: () => undefined }, timeoutMs, attempt.signal);
    const ms = Math.max(0, Math.round(performance.now() - started));
    connection.destroy();
    return { ok: true, outcome: 'connected', target, ms, message: `connected to ${target} in ${ms} ms` };
  } catch (error) {
    const elapsed = performance.now() - started;
    const outcome = timedOut || elapsed >= timeoutMs ? 'timeout' : classify(error);
    return { ok: false, outcome, target, message: describe(outcome, target, timeoutMs, error) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', giveUp);
  }
}

function classify(error: unknown): ProbeOutcome {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
  const text = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN' || code === 'ENETDOWN') return 'unreachable';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENOENT' || /no such file/i.test(text)) return 'not-found';
  if (code === 'EACCES' || code === 'EPERM' || /permission denied/i.test(text)) return 'denied';
  if (/cannot lock port|resource temporarily unavailable|busy/i.test(text)) return 'in-use';
  return 'failed';
}

function describe(outcome: ProbeOutcome, target: string, timeoutMs: number, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  switch (outcome) {
    case 'refused':
      return `refused: nothing accepts connections on ${target}; is the Payment Interface app open and set to TCP/IP?`;
    case 'timeout':
      return `timed out: no connection to ${target} within ${timeoutMs / 1000} s`;
    case 'unreachable':
      return `unreachable: no route to ${target} (${detail})`;
    case 'not-found':
      return `not found: ${target} (${detail})`;
    case 'denied':
      return `permission denied for ${target} (${detail})`;
    case 'in-use':
      return `${target} is in use by another program (${detail})`;
    default:
      return `cannot connect to ${target}: ${detail}`;
  }
}
