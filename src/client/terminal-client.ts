import {
  Action,
  Amount,
  AmountRules,
  DEFAULT_FRAMER_LIMITS,
  FramerLimits,
  FramingError,
  InputError,
  RequestDraft,
  TerminalRequest,
  TransactionResult,
  XmlFramer,
  buildRequestXml,
  checkDecimals,
  createRequest,
  failure,
  interpretReply,
  parseAmount,
  resultFromReply,
} from '../protocol';
import { Connection, Transport } from '../transport/transport';

export interface TerminalClientOptions {
  readonly transport: Transport;
  /** How long to wait for the terminal's answer; the customer may take minutes. Default 180 s. */
  readonly responseTimeoutMs?: number;
  /** How long to wait for a connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** How long an answer may pause once it has begun. Default 10 s. */
  readonly replyStallTimeoutMs?: number;
  /** How long a reused link must be quiet after an answer before the next request. Default 25 ms. */
  readonly answerGuardMs?: number;
  /**
   * Keep the link open between requests and reopen it when it drops, waiting from
   * reconnectMinMs up to reconnectMaxMs between tries (start() begins). For serial links.
   */
  readonly keepOpen?: boolean;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Digits after the decimal point in amounts. Default 2. */
  readonly decimals?: number;
  /** Optional safety limit on amounts, e.g. `500.00`. */
  readonly maxAmount?: string | number;
  readonly framerLimits?: FramerLimits;
}

export const DEFAULT_RESPONSE_TIMEOUT_MS = 180_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLY_STALL_TIMEOUT_MS = 10_000;
export const DEFAULT_ANSWER_GUARD_MS = 25;
export const DEFAULT_RECONNECT_MIN_MS = 1_000;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** How far a request got: `connecting` before anything is sent, `sent` once it is on the wire. */
export type TransactionPhase = 'connecting' | 'sent';

export interface TransactOptions {
  onPhase?(phase: TransactionPhase, request: TerminalRequest): void;
  /** Who asked; abort(detail, owner) then ends the request only if it is theirs. */
  owner?: unknown;
}

/** Plain values for the convenience methods, e.g. `client.pay({ amount: '12.50' })`. */
export interface ActionFields {
  readonly amount?: unknown;
  readonly invoice?: unknown;
  readonly preauthcode?: unknown;
  readonly receipt?: unknown;
  readonly custrcpt?: unknown;
}

interface OpenTransaction {
  readonly request: TerminalRequest;
  readonly owner: unknown;
  readonly resolve: (result: TransactionResult) => void;
  sent: boolean;
  settled: boolean;
  waitTimer?: NodeJS.Timeout;
  waitImmediate?: NodeJS.Immediate;
  responseTimer?: NodeJS.Timeout;
  stallTimer?: NodeJS.Timeout;
}

/** One opened link; handlers of a link that was replaced or discarded are ignored. */
interface Link {
  connection?: Connection;
  /** Gives up an attempt still connecting. */
  readonly cancel: AbortController;
  /** performance.now() when the last answer arrived on this link. */
  lastAnswerAt: number;
}

/**
 * Talks to one terminal: owns its connection, runs one transaction at a time, and turns every
 * way a transaction can end into exactly one result. Never re-sends a request. After a timeout,
 * a lost connection or an answer it cannot understand it drops the connection, so a late answer
 * can never be taken for the answer to a later request.
 */
export class TerminalClient {
  readonly transport: Transport;
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly replyStallTimeoutMs: number;
  readonly answerGuardMs: number;
  readonly keepOpen: boolean;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly amountRules: AmountRules;
  private readonly framer: XmlFramer;
  private link: Link | undefined;
  private connecting: Promise<Connection> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private open: OpenTransaction | undefined;
  private closed = false;
  private state: ConnectionState = 'disconnected';
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();

  constructor(options: TerminalClientOptions) {
    this.transport = options.transport;
    this.responseTimeoutMs = positive(options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS, 'responseTimeoutMs');
    this.connectTimeoutMs = positive(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
    this.replyStallTimeoutMs = positive(options.replyStallTimeoutMs ?? DEFAULT_REPLY_STALL_TIMEOUT_MS, 'replyStallTimeoutMs');
    this.answerGuardMs = options.answerGuardMs ?? DEFAULT_ANSWER_GUARD_MS;
    if (!(this.answerGuardMs >= 0)) throw new RangeError('answerGuardMs must be zero or more milliseconds');
    this.keepOpen = options.keepOpen ?? false;
    this.reconnectMinMs = positive(options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS, 'reconnectMinMs');
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    this.reconnectDelayMs = this.reconnectMinMs;
    const decimals = checkDecimals(options.decimals ?? 2);
    let maxAmount: Amount | undefined;
    if (options.maxAmount !== undefined && options.maxAmount !== '') {
      maxAmount = parseAmount(options.maxAmount, decimals, 'maxAmount');
    }
    this.amountRules = { decimals, ...(maxAmount && { maxAmount }) };
    this.framer = new XmlFramer(options.framerLimits ?? DEFAULT_FRAMER_LIMITS);
  }

  /** True while a request is open. */
  get busy(): boolean {
    return this.open !== undefined;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** With keepOpen, opens the link now and keeps it open; otherwise links open when a request needs one. */
  start(): void {
    this.maintainLink();
  }

  /** Calls listener on every change of connection state; returns the function that stops it. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  pay(fields: ActionFields, options?: TransactOptions): Promise<TransactionResult> {
    return this.submit(draftFromFields('pay', fields), options);
  }

  refund(fields: ActionFields, options?: TransactOptions): Promise<TransactionResult> {
    return this.submit(draftFromFields('refund', fields), options);
  }

  preauth(fields: ActionFields, options?: TransactOptions): Promise<TransactionResult> {
    return this.submit(draftFromFields('preauth', fields), options);
  }

  complete(fields: ActionFields, options?: TransactOptions): Promise<TransactionResult> {
    return this.submit(draftFromFields('complete', fields), options);
  }

  cancel(fields: ActionFields, options?: TransactOptions): Promise<TransactionResult> {
    return this.submit(draftFromFields('cancel', fields), options);
  }

  /** Applies the input rules, then runs the request. Resolves with the result; never rejects. */
  submit(draft: RequestDraft, options?: TransactOptions): Promise<TransactionResult> {
    let request: TerminalRequest;
    try {
      request = createRequest(draft, this.amountRules);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return Promise.resolve(failure(draft.action, undefined, 'INVALID_INPUT', `${error.message}. Nothing was sent.`));
    }
    return this.transact(request, options);
  }

  /** Runs a request that already passed the input rules. Resolves with the result; never rejects. */
  transact(request: TerminalRequest, options: TransactOptions = {}): Promise<TransactionResult> {
    if (this.closed) {
      return Promise.resolve(failure(request.action, request, 'CONNECT', 'The terminal connection is closed. Nothing was sent.'));
    }
    if (this.open) {
      return Promise.resolve(
        failure(request.action, request, 'BUSY', `Another request to the terminal at ${this.transport.description} is still open. Nothing was sent.`),
      );
    }
    const xml = buildRequestXml(request);
    return new Promise((resolve) => {
      const transaction: OpenTransaction = { request, owner: options.owner, resolve, sent: false, settled: false };
      this.open = transaction;
      this.run(transaction, xml, options);
    });
  }

  /**
   * Ends the open request now, if any (with an owner: only if it is that owner's). One that was
   * sent ends as CONNECTION_LOST (outcome unknown) and the connection is dropped, since its
   * answer may still come.
   */
  abort(detail = 'The request was abandoned before the terminal answered.', owner?: unknown): void {
    const transaction = this.open;
    if (!transaction || (owner !== undefined && transaction.owner !== owner)) return;
    if (transaction.sent) {
      this.discardConnection();
      this.finish(transaction, failure(transaction.request.action, transaction.request, 'CONNECTION_LOST', detail));
    } else {
      this.finish(transaction, failure(transaction.request.action, transaction.request, 'CONNECT', `${detail} Nothing was sent.`));
    }
  }

  /** Aborts any open request and closes the connection for good. */
  close(detail = 'The terminal connection was closed before the terminal answered.'): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.abort(detail);
    this.discardConnection();
    this.stateListeners.clear();
  }

  /**
   * Sends on the open link once it has been quiet for answerGuardMs since its last answer, plus
   * one turn of the event loop to read whatever already arrived: a repeated or stray answer on
   * its way then drops the link instead of being taken for the answer to this request.
   */
  private run(transaction: OpenTransaction, xml: string, options: TransactOptions): void {
    const link = this.link;
    if (!link?.connection) {
      void this.send(transaction, xml, options);
      return;
    }
    const quietFor = Math.max(0, link.lastAnswerAt + this.answerGuardMs - performance.now());
    transaction.waitTimer = setTimeout(() => {
      transaction.waitImmediate = setImmediate(() => void this.send(transaction, xml, options));
    }, quietFor);
  }

  private async send(transaction: OpenTransaction, xml: string, options: TransactOptions): Promise<void> {
    const { request } = transaction;
    let connection = this.link?.connection;
    if (!connection) {
      options.onPhase?.('connecting', request);
      try {
        connection = await this.connectShared();
      } catch (error) {
        this.finish(
          transaction,
          failure(request.action, request, 'CONNECT', `Could not connect to the terminal at ${this.transport.description}: ${reason(error)}. Nothing was sent.`),
        );
        return;
      }
    }
    if (transaction.settled) return; // aborted while connecting
    transaction.sent = true;
    this.framer.reset();
    transaction.responseTimer = setTimeout(() => {
      this.discardConnection();
      this.finish(
        transaction,
        failure(request.action, request, 'TIMEOUT', `No answer from the terminal within ${this.responseTimeoutMs / 1000} s.`),
      );
    }, this.responseTimeoutMs);
    connection.write(xml);
    if (!transaction.settled) options.onPhase?.('sent', request);
  }

  /** One connection attempt at a time, shared by a request and the keep-open loop. */
  private connectShared(): Promise<Connection> {
    if (!this.connecting) {
      const attempt = this.connect();
      const clear = () => {
        if (this.connecting === attempt) this.connecting = undefined;
      };
      attempt.then(clear, clear);
      this.connecting = attempt;
    }
    return this.connecting;
  }

  private maintainLink(): void {
    if (!this.keepOpen || this.closed || this.link?.connection || this.reconnectTimer) return;
    // A failed attempt schedules the next one itself (see connect).
    this.connectShared().then(
      () => {
        this.reconnectDelayMs = this.reconnectMinMs;
      },
      () => undefined,
    );
  }

  private scheduleReconnect(): void {
    if (!this.keepOpen || this.closed || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, this.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.maintainLink();
    }, delay);
  }

  private async connect(): Promise<Connection> {
    const link: Link = { lastAnswerAt: -Infinity, cancel: new AbortController() };
    this.link = link;
    this.setState('connecting');
    try {
      const connection = await this.transport.connect(
        {
          data: (chunk) => {
            if (this.link === link) this.onData(chunk);
          },
          closed: (error) => {
            if (this.link === link) this.onClosed(error);
          },
        },
        this.connectTimeoutMs,
        link.cancel.signal,
      );
      if (this.link !== link) {
        // Closed or replaced while connecting.
        connection.destroy();
        throw new Error('the connection was closed while opening');
      }
      link.connection = connection;
      this.setState('connected');
      return connection;
    } catch (error) {
      if (this.link === link) {
        this.link = undefined;
        this.setState('disconnected');
      }
      this.scheduleReconnect();
      throw error;
    }
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    let framingError: FramingError | undefined;
    try {
      frames = this.framer.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      frames = error.completedFrames;
      framingError = error;
    }
    if (frames.length > 0 && this.link) this.link.lastAnswerAt = performance.now();
    for (const frame of frames) {
      const transaction = this.open;
      if (!transaction?.sent) {
        // Nobody asked: a late or repeated answer. Drop the connection so it cannot answer the next request.
        this.discardConnection();
        return;
      }
      const result = resultFromReply(transaction.request, interpretReply(frame, transaction.request.action));
      if (result.result === 'ERROR' && result.code === 'PROTOCOL') this.discardConnection();
      this.finish(transaction, result);
    }
    if (framingError) {
      this.failOpenTransaction('PROTOCOL', `The terminal's answer could not be understood: ${framingError.message}.`);
      this.discardConnection();
      return;
    }
    this.watchPartialReply();
  }

  /** A reply that began must finish promptly; bytes with no request open are never kept. */
  private watchPartialReply(): void {
    const transaction = this.open;
    if (!this.framer.inFrame) {
      if (transaction?.stallTimer) {
        clearTimeout(transaction.stallTimer);
        transaction.stallTimer = undefined;
      }
      return;
    }
    if (!transaction?.sent) {
      this.discardConnection();
      return;
    }
    // Restarted by every chunk: a slow but steady answer is not a stall.
    clearTimeout(transaction.stallTimer);
    transaction.stallTimer = setTimeout(() => {
      this.discardConnection();
      this.finish(
        transaction,
        failure(
          transaction.request.action,
          transaction.request,
          'TIMEOUT',
          `The terminal began to answer but stopped for ${this.replyStallTimeoutMs / 1000} s.`,
        ),
      );
    }, this.replyStallTimeoutMs);
  }

  private onClosed(error?: Error): void {
    this.link = undefined;
    this.framer.reset();
    this.setState('disconnected');
    this.scheduleReconnect();
    const why = error ? ` (${reason(error)})` : '';
    this.failOpenTransaction('CONNECTION_LOST', `The connection to the terminal closed before a whole answer arrived${why}.`);
  }

  private failOpenTransaction(code: 'PROTOCOL' | 'CONNECTION_LOST', detail: string): void {
    const transaction = this.open;
    if (transaction?.sent) this.finish(transaction, failure(transaction.request.action, transaction.request, code, detail));
  }

  private discardConnection(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    link.cancel.abort();
    link.connection?.destroy();
    this.framer.reset();
    this.setState('disconnected');
    this.scheduleReconnect();
  }

  private finish(transaction: OpenTransaction, result: TransactionResult): void {
    if (transaction.settled) return;
    transaction.settled = true;
    clearTimeout(transaction.waitTimer);
    clearImmediate(transaction.waitImmediate);
    clearTimeout(transaction.responseTimer);
    clearTimeout(transaction.stallTimer);
    if (this.open === transaction) this.open = undefined;
    transaction.resolve(result);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function draftFromFields(action: Action, fields: ActionFields): RequestDraft {
  return {
    action,
    amount: { value: fields.amount, field: 'amount' },
    invoice: { value: fields.invoice, field: 'invoice' },
    preauthCode: { value: fields.preauthcode, field: 'preauthcode' },
    receipt: { value: fields.receipt ?? 'ON', field: 'receipt' },
    custrcpt: { value: fields.custrcpt ?? 'ON', field: 'custrcpt' },
  };
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return String(error);
}
