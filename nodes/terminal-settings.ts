import { DEFAULT_BAUD_RATE, SerialTransport } from '../src/transport/serial';
import { DEFAULT_TCP_PORT, TcpTransport } from '../src/transport/tcp';
import {
  CONNECTION_MODES,
  ConnectionMode,
  DEFAULT_CONNECTION_MODE,
  DEFAULT_LATE_ANSWER_WINDOW_MS,
  TerminalClient,
  TerminalClientOptions,
} from '../src/client/terminal-client';
import type { TransactOptions } from '../src/client/transaction';
import { Journal } from '../src/journal/journal';
import { DEFAULT_REQUEST_ENDING, REQUEST_ENDINGS, RequestDraft, RequestEnding, TransactionResult } from '../src/protocol';
import { Transport } from '../src/transport/transport';
import { Node } from './node-red';

/** The `mypos-terminal` config node as the action nodes see it. */
export interface TerminalConfigNode extends Node {
  /**
   * Sends a request to this node's terminal, with this node's amount rules and answer timeout.
   * Undefined when the settings are wrong; `settingsError` then says why.
   */
  submit?(draft: RequestDraft, options: TransactOptions): Promise<TransactionResult>;
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
  settingsError?: string;
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
}

export const DEFAULT_RESPONSE_TIMEOUT_S = 180;
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
export const DEFAULT_DECIMALS = 2;
export const DEFAULT_QUEUE_TIMEOUT_S = 60;
export const DEFAULT_LATE_ANSWER_WINDOW_S = DEFAULT_LATE_ANSWER_WINDOW_MS / 1000;

/** A setting the user must fix in the config node; the message names the field and the rule. */
export class SettingsError extends Error {}

/** Turns the config node's properties into client options; throws SettingsError when one is wrong. */
export function clientOptionsFromConfig(config: TerminalConfig): TerminalClientOptions {
  const responseTimeout = numberSetting(config.responseTimeout, DEFAULT_RESPONSE_TIMEOUT_S, 'responseTimeout', 1, 3600);
  const connectTimeout = numberSetting(config.connectTimeout, DEFAULT_CONNECT_TIMEOUT_S, 'connectTimeout', 1, 300);
  const decimals = numberSetting(config.decimals, DEFAULT_DECIMALS, 'decimals', 0, 4);
  if (!Number.isInteger(decimals)) throw new SettingsError('decimals must be a whole number from 0 to 4');
  const maxAmount = blank(config.maxAmount) ? undefined : String(config.maxAmount).trim();
  const queueLimit = numberSetting(config.queueLimit, 0, 'queueLimit', 0, 100);
  if (!Number.isInteger(queueLimit)) throw new SettingsError('queueLimit must be a whole number from 0 to 100');
  const queueTimeout = numberSetting(config.queueTimeout, DEFAULT_QUEUE_TIMEOUT_S, 'queueTimeout', 1, 3600);
  const lateAnswerWindow = numberSetting(config.lateAnswerWindow, DEFAULT_LATE_ANSWER_WINDOW_S, 'lateAnswerWindow', 0, 600);
  const requestEnding = choiceSetting<RequestEnding>(config.requestEnding, DEFAULT_REQUEST_ENDING, 'requestEnding', REQUEST_ENDINGS);
  const transport = transportFromConfig(config);
  // A serial link is opened once and kept, so the nodes can show whether the terminal is there.
  const serial = transport instanceof SerialTransport;
  const tcpModes = CONNECTION_MODES.filter((mode) => mode !== 'keep-open');
  const connectionMode: ConnectionMode = serial ? 'keep-open' : choiceSetting(config.connectionMode, DEFAULT_CONNECTION_MODE, 'connectionMode', tcpModes);
  return {
    transport,
    connectionMode,
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
  const connection = blank(config.connection) ? 'tcp' : config.connection;
  if (connection === 'tcp') {
    const host = typeof config.host === 'string' ? config.host.trim() : '';
    if (host === '') throw new SettingsError('host is missing: give the IP address the Payment Interface app shows');
    const port = numberSetting(config.port, DEFAULT_TCP_PORT, 'port', 1, 65535);
    if (!Number.isInteger(port)) throw new SettingsError('port must be a whole number from 1 to 65535');
    return new TcpTransport({ host, port });
  }
  if (connection === 'serial') {
    const path = typeof config.serialPath === 'string' ? config.serialPath.trim() : '';
    if (path === '') throw new SettingsError('serialPath is missing: give the device of the paired terminal, e.g. /dev/rfcomm0');
    const baudRate = numberSetting(config.baudRate, DEFAULT_BAUD_RATE, 'baudRate', 50, 4_000_000);
    if (!Number.isInteger(baudRate)) throw new SettingsError('baudRate must be a whole number');
    return new SerialTransport({ path, baudRate });
  }
  throw new SettingsError(`connection must be "tcp" or "serial", got "${String(connection)}"`);
}

function choiceSetting<T extends string>(value: unknown, fallback: T, name: string, choices: readonly T[]): T {
  if (blank(value)) return fallback;
  const text = String(value).trim() as T;
  if (!choices.includes(text)) throw new SettingsError(`${name} must be ${choices.map((choice) => `"${choice}"`).join(' or ')}, got "${String(value)}"`);
  return text;
}

function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function numberSetting(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (blank(value)) return fallback;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(number) || number < min || number > max) {
    throw new SettingsError(`${name} must be a number from ${min} to ${max}, got "${String(value)}"`);
  }
  return number;
}
