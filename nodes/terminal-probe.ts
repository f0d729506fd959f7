import { errorText, explainError } from '../src/protocol';
import { identify } from '../src/terminal/identity';
import { TerminalRegistry } from '../src/terminal/registry';
import { SerialTransport } from '../src/transport/serial';
import { Transport } from '../src/transport/transport';
import { formatAmount, say, terminalText } from './i18n';
import { SettingsError, TerminalConfig, clientOptionsFromConfig } from './terminal-settings';

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
  /** The settings themselves are wrong; `reason` names the setting and its rule. */
  | 'invalid'
  /** Any other failure; `reason` says why, as far as the system's error tells. */
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
  /**
   * What happened, in the runtime's language, in the words the dialog uses
   * (mypos-terminal.json `test.<outcome>`): `connected to 192.168.1.20:51042 in 12 ms`.
   */
  readonly message: string;
  /**
   * `invalid` and `failed`: why, in the runtime's language (a setting and its rule; why the
   * connection failed), for the dialog to put into its own sentence.
   */
  readonly reason?: string;
  /** A failed attempt: the system's own words (`connect ECONNREFUSED …`), for a log; not for the dialog. */
  readonly detail?: string;
}

/** The words of an outcome, as the dialog says them (mypos-terminal.json `test.*`). */
/**
 * The catalog key (mypos-terminal.json) of each outcome's words, for the runtime and the editor
 * alike (nodes/editor-constants.ts); `in-use-deployed` is `in-use` by a node of this Node-RED.
 */
export const TEST_KEYS: Readonly<Record<ProbeOutcome | 'in-use-deployed', string>> = {
  connected: 'test.connected',
  refused: 'test.refused',
  timeout: 'test.timeout',
  unreachable: 'test.unreachable',
  'not-found': 'test.notFound',
  denied: 'test.denied',
  'in-use': 'test.inUse',
  'in-use-deployed': 'test.inUseDeployed',
  busy: 'test.busy',
  invalid: 'test.invalid',
  failed: 'test.failed',
};

function words(outcome: ProbeOutcome, substitutions: Readonly<Record<string, string | number>>): string {
  return terminalText(TEST_KEYS[outcome === 'in-use' && 'state' in substitutions ? 'in-use-deployed' : outcome], substitutions);
}

/** The answer when the test itself failed (not the connection it tried). */
export function probeFailed(error: unknown): ProbeResult {
  const reason = say(explainError(error));
  return { ok: false, outcome: 'failed', target: '', message: words('failed', { message: reason }), reason, detail: errorText(error) };
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
    if (!(error instanceof SettingsError)) return probeFailed(error);
    const reason = say(error.explanation);
    return { ok: false, outcome: 'invalid', target: '', message: words('invalid', { message: reason }), reason };
  }
  const target = transport.description;
  const identity = await identify(transport).catch(() => undefined);
  const client = identity && terminals.find(identity);
  if (client) {
    if (client.busy) {
      return { ok: false, outcome: 'busy', target, message: words('busy', { target }) };
    }
    if (transport instanceof SerialTransport && client.keepOpen) {
      const state = client.connectionState;
      return {
        ok: state === 'connected',
        outcome: 'in-use',
        target,
        state,
        message: words('in-use', { target, state: terminalText(`test.state.${state}`) }),
      };
    }
  }
  return probeTransport(transport, connectTimeoutMs, signal);
}

/** Opens a link with `transport` within timeoutMs, closes it at once, and says what happened. */
export async function probeTransport(transport: Transport, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const target = transport.description;
  const attempt = new AbortController();
  // Set by the timer: a boolean, not the literal false the compiler would otherwise narrow it to.
  let timedOut = false as boolean;
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
    return { ok: true, outcome: 'connected', target, ms, message: words('connected', { target, ms }) };
  } catch (error) {
    const elapsed = performance.now() - started;
    const outcome = timedOut || elapsed >= timeoutMs ? 'timeout' : classify(error);
    const reason = outcome === 'failed' ? say(explainError(error)) : undefined;
    const message = words(outcome, { target, seconds: formatAmount(String(timeoutMs / 1000)), message: reason ?? '' });
    return { ok: false, outcome, target, message, ...(reason !== undefined && { reason }), detail: errorText(error) };
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
