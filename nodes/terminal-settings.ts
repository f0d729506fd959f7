import { DEFAULT_BAUD_RATE, SerialTransport } from '../src/transport/serial';
import { DEFAULT_TCP_PORT, TcpTransport } from '../src/transport/tcp';
import { TerminalClient, TerminalClientOptions } from '../src/client/terminal-client';
import { Journal } from '../src/journal/journal';
import { Transport } from '../src/transport/transport';
import { Node } from './node-red';

/** The `mypos-terminal` config node as the action nodes see it. */
export interface TerminalConfigNode extends Node {
  /** Undefined when the settings are wrong; `settingsError` then says why. */
  client?: TerminalClient;
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
}

export const DEFAULT_RESPONSE_TIMEOUT_S = 180;
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
export const DEFAULT_DECIMALS = 2;
export const DEFAULT_QUEUE_TIMEOUT_S = 60;

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
  const transport = transportFromConfig(config);
  return {
    transport,
    // A serial link is opened once and kept, so the nodes can show whether the terminal is there.
    keepOpen: transport instanceof SerialTransport,
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
