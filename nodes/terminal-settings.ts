import { DEFAULT_BAUD_RATE, SerialTransport } from '../src/transport/serial';
import { DEFAULT_TCP_PORT, TcpTransport } from '../src/transport/tcp';
import { CONNECTION_MODES, ConnectionMode, DEFAULT_CONNECTION_MODE, DEFAULT_LATE_ANSWER_WINDOW_MS, TerminalClient, TerminalClientOptions, amountRules } from '../src/client/terminal-client';
import type { TransactOptions } from '../src/client/transaction';
import { Journal, JournalEntry } from '../src/journal/journal';
import { DEFAULT_REQUEST_ENDING, Explanation, InputError, MAX_DECIMALS, MIN_DECIMALS, REQUEST_ENDINGS, RequestDraft, RequestEnding, TransactionResult, explain } from '../src/protocol';
import { Transport } from '../src/transport/transport';
import { say } from './i18n';
import { Node } from './node-red';

/** The `mypos-terminal` config node as the action nodes see it. */
export interface TerminalConfigNode extends Node {
  /**
   * Sends a request to this node's terminal, with this node's amount rules and answer timeout.
   * Undefined when the settings are wrong; `settingsError` then says why.
   */
  submit?: (draft: RequestDraft, options: TransactOptions) => Promise<TransactionResult>;
  /** The terminal's client (shared with every config node naming the same terminal), once identified. */
  client?: TerminalClient;
  /** Resolves with `client`; rejects when the terminal cannot be identified (an unknown host). */
  whenClient?: Promise<TerminalClient>;
  /** Where the terminal is, for messages: `192.168.1.20:51042`, `/dev/rfcomm0`. */
  description?: string;
  /** A serial link is held open: the nodes show whether the terminal is there. */
  keepOpen?: boolean;
  /** The terminal's journal; undefined when the settings are wrong. */
  journal?: Journal;
  /** What is wrong with the settings, when they are. */
  settingsError?: Explanation;
  /** How the terminal is reached, as the settings say (also when they are wrong). */
  connectionKind?: Connection;
  /** Why the terminal cannot be used (an unknown host name), and since when (Date.now()). */
  unusable?: { readonly reason: string; readonly since: number };
}

/**
 * What needs a person at a config node's terminal: its unresolved requests in the journal its
 * requests are written to (the terminal's, if another config node set it up; a journal may be
 * shared by several terminals).
 */
export function unresolvedFor(terminal: TerminalConfigNode): JournalEntry[] {
  const journal = terminal.client?.journal ?? terminal.journal;
  const here = terminal.client?.transport.description ?? terminal.description;
  return here === undefined || !journal ? [] : journal.unresolvedAt(here);
}

/** The `mypos-terminal` config node's properties, as the editor saves them (often as strings). */
export interface TerminalConfig {
  name?: string;
  connection?: unknown;
  host?: unknown;
  port?: unknown;
  serialPath?: unknown;
  baudRate?: unknown;
  responseTimeout?: unknown;
  connectTimeout?: unknown;
  decimals?: unknown;
  maxAmount?: unknown;
  journalPath?: unknown;
  queueLimit?: unknown;
  queueTimeout?: unknown;
  connectionMode?: unknown;
  lateAnswerWindow?: unknown;
  requestEnding?: unknown;
  readinessCheck?: unknown;
}

export const DEFAULT_RESPONSE_TIMEOUT_S = 180;
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
export const DEFAULT_DECIMALS = 2;
export const DEFAULT_QUEUE_TIMEOUT_S = 60;
export const DEFAULT_LATE_ANSWER_WINDOW_S = DEFAULT_LATE_ANSWER_WINDOW_MS / 1000;
/**
 * Off: nobody knows how the Payment Interface app takes a connection that closes without a
 * request. If it must accept and drop each one, a check could keep it from a real request.
 */
export const DEFAULT_READINESS_CHECK_S = 0;

/**
 * A numeric setting of the config node: its range, whether it is whole, and its value when left
 * blank. The settings that may have a fraction are durations, in seconds.
 */
export interface NumberSettingRule {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly fallback: number;
}

export type NumberSettingName = 'port' | 'baudRate' | 'responseTimeout' | 'connectTimeout' | 'decimals' | 'queueLimit' | 'queueTimeout' | 'lateAnswerWindow' | 'readinessCheck';

/** The config node's numeric settings; the editor validates with the same rules (see editor-constants.ts). */
export const NUMBER_SETTINGS: Readonly<Record<NumberSettingName, NumberSettingRule>> = {
  port: { min: 1, max: 65535, integer: true, fallback: DEFAULT_TCP_PORT },
  baudRate: { min: 50, max: 4_000_000, integer: true, fallback: DEFAULT_BAUD_RATE },
  responseTimeout: { min: 1, max: 3600, integer: false, fallback: DEFAULT_RESPONSE_TIMEOUT_S },
  connectTimeout: { min: 1, max: 300, integer: false, fallback: DEFAULT_CONNECT_TIMEOUT_S },
  decimals: { min: MIN_DECIMALS, max: MAX_DECIMALS, integer: true, fallback: DEFAULT_DECIMALS },
  queueLimit: { min: 0, max: 100, integer: true, fallback: 0 },
  queueTimeout: { min: 1, max: 3600, integer: false, fallback: DEFAULT_QUEUE_TIMEOUT_S },
  lateAnswerWindow: { min: 0, max: 600, integer: false, fallback: DEFAULT_LATE_ANSWER_WINDOW_S },
  /** Seconds between checks of an idle TCP terminal; 0 is off. */
  readinessCheck: { min: 0, max: 3600, integer: true, fallback: DEFAULT_READINESS_CHECK_S },
};

/** How the terminal is reached: TCP/IP (Wi-Fi, LAN) or Bluetooth serial. */
export type Connection = 'tcp' | 'serial';
export const CONNECTIONS: readonly Connection[] = ['tcp', 'serial'];
export const DEFAULT_CONNECTION: Connection = 'tcp';

/** Connection modes a TCP terminal may be set to; a serial link is always kept open. */
export const TCP_CONNECTION_MODES: readonly ConnectionMode[] = CONNECTION_MODES.filter((mode) => mode !== 'keep-open');

/**
 * A setting the user must fix in the config node; `explanation` names the setting as its dialog
 * labels it, and the rule. The message says the same in the runtime's language.
 */
export class SettingsError extends Error {
  constructor(readonly explanation: Explanation) {
    super(say(explanation));
    this.name = 'SettingsError';
  }
}

/** A setting, for a message: named as the dialog labels it. */
const setting = (name: keyof TerminalConfig) => ({ setting: name });

/** Turns the config node's properties into client options; throws SettingsError when one is wrong. */
export function clientOptionsFromConfig(config: TerminalConfig): TerminalClientOptions {
  const responseTimeout = numberSetting(config, 'responseTimeout');
  const connectTimeout = numberSetting(config, 'connectTimeout');
  const decimals = numberSetting(config, 'decimals');
  const maxAmount = maxAmountSetting(config, decimals);
  const queueLimit = numberSetting(config, 'queueLimit');
  const queueTimeout = numberSetting(config, 'queueTimeout');
  const lateAnswerWindow = numberSetting(config, 'lateAnswerWindow');
  const requestEnding = choiceSetting<RequestEnding>(config.requestEnding, DEFAULT_REQUEST_ENDING, 'requestEnding', REQUEST_ENDINGS);
  const transport = transportFromConfig(config);
  // A serial link is opened once and kept, so the nodes can show whether the terminal is there.
  const serial = transport instanceof SerialTransport;
  const connectionMode: ConnectionMode = serial ? 'keep-open' : choiceSetting(config.connectionMode, DEFAULT_CONNECTION_MODE, 'connectionMode', TCP_CONNECTION_MODES);
  // A serial link kept open shows whether the terminal is there: no checks (the editor hides the setting).
  const readinessCheck = serial ? 0 : numberSetting(config, 'readinessCheck');
  return {
    transport,
    connectionMode,
    readinessCheckMs: readinessCheck * 1000,
    lateAnswerWindowMs: lateAnswerWindow * 1000,
    requestEnding,
    responseTimeoutMs: responseTimeout * 1000,
    connectTimeoutMs: connectTimeout * 1000,
    decimals,
    ...(maxAmount !== undefined && { maxAmount }),
    queueLimit,
    queueTimeoutMs: queueTimeout * 1000,
  };
}

export function transportFromConfig(config: TerminalConfig): Transport {
  const connection = blank(config.connection) ? DEFAULT_CONNECTION : choiceSetting(config.connection, DEFAULT_CONNECTION, 'connection', CONNECTIONS);
  if (connection === 'serial') {
    const path = typeof config.serialPath === 'string' ? config.serialPath.trim() : '';
    if (path === '') throw new SettingsError(explain('settings.serialPathMissing', { setting: setting('serialPath') }));
    const baudRate = numberSetting(config, 'baudRate');
    return new SerialTransport({ path, baudRate });
  }
  const host = typeof config.host === 'string' ? config.host.trim() : '';
  if (host === '') throw new SettingsError(explain('settings.hostMissing', { setting: setting('host') }));
  const port = numberSetting(config, 'port');
  return new TcpTransport({ host, port });
}

/** A choice among `choices` (two, as every choice of the dialog has), or `fallback` when blank. */
function choiceSetting<T extends string>(value: unknown, fallback: T, name: keyof TerminalConfig, choices: readonly T[]): T {
  if (blank(value)) return fallback;
  const text = String(value).trim() as T;
  if (!choices.includes(text)) {
    const [first, ...rest] = choices.map((choice) => ({ setting: name, choice }));
    throw new SettingsError(explain('settings.choice', { setting: setting(name), first, second: rest[rest.length - 1] ?? first, got: String(value) }));
  }
  return text;
}

/** The amount limit as typed (checked against the decimals), or undefined when there is none. */
function maxAmountSetting(config: TerminalConfig, decimals: number): string | undefined {
  if (blank(config.maxAmount)) return undefined;
  const text = String(config.maxAmount).trim();
  try {
    amountRules(decimals, text);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The amount rule's own words, about the setting as the dialog labels it.
    throw new SettingsError(explain(error.explanation.key, { ...error.explanation.params, field: setting('maxAmount') }));
  }
  return text;
}

function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function numberSetting(config: TerminalConfig, name: NumberSettingName): number {
  const value = config[name];
  const { min, max, integer, fallback } = NUMBER_SETTINGS[name];
  if (blank(value)) return fallback;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(number) || number < min || number > max || (integer && !Number.isInteger(number))) {
    throw new SettingsError(explain(integer ? 'settings.wholeNumber' : 'settings.seconds', { setting: setting(name), min, max, got: String(value) }));
  }
  return number;
}
