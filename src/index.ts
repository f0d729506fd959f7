/**
 * The package's API for programs without Node-RED (docs/client.md): the terminal client and its
 * transports, the journal, the simulator, and the result, error and message types. Everything
 * else is internal and may change in any release; test/public-api.test.ts pins this list.
 */
export { TerminalClient } from './client/terminal-client';
export type { ActionFields, Activity, ConnectionMode, ConnectionState, LateAnswer, LinkState, Readiness, ReadinessState, TerminalClientOptions, TransactOptions } from './client/terminal-client';
export { DEFAULT_TCP_PORT, TcpTransport } from './transport/tcp';
export type { TcpTransportOptions } from './transport/tcp';
export { SerialTransport } from './transport/serial';
export type { SerialTransportOptions } from './transport/serial';
export type { Connection, ConnectionHandlers, Transport } from './transport/transport';
export { Journal, ResolveError } from './journal/journal';
export type { DamagedEntry, EntryState, HistoryEntry, HistoryPage, HistoryQuery, JournalEntry, JournalOptions, Resolution, ResolveInput } from './journal/journal';
export type { Finding, JournalOutcome } from './journal/record';
export { TerminalSimulator } from './simulator/simulator';
export type { ReceivedMessage, SimulatorBehaviour, SimulatorFault, SimulatorOptions } from './simulator/simulator';
export { ACTIONS } from './protocol/actions';
export type { Action } from './protocol/actions';
export type { ReceiptMode } from './protocol/fields';
export type { ReceivedRequest, RequestEnding } from './protocol/request';
export type { FramerLimits } from './protocol/framer';
export { ERROR_OUTCOMES } from './protocol/errors';
export type { ErrorCode, Outcome } from './protocol/errors';
export type { TransactionFailure, TransactionResult, TransactionSuccess } from './protocol/result';
export { MESSAGES, render } from './protocol/messages';
export type { Explanation, MessageKey, MessageLanguage, MessageParam } from './protocol/messages';
