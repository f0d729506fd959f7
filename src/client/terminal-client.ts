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
import type { BeginResult, Journal } from '../journal/journal';
import { Connection, Transport } from '../transport/transport';

export interface TerminalClientOptions {
  readonly transport: Transport;
  /** How long to wait for the terminal's answer; the customer may take minutes. Default 180 s. */
  readonly responseTimeoutMs?: number;
  /** How long to wait for a connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** How long an answer may pause once it has begun. Default 10 s. */
  readonly replyStallTimeoutMs?: number;
  /**
   * How long a reused link must be quiet after an answer before the next request goes out, so
   * that an app closing the link after each answer is seen to close it, and a repeated answer
   * drops the link. Default 250 ms. (A repeated approval is also recognised by its ref later on.)
   */
  readonly answerGuardMs?: number;
  /**
   * After a request ended with an unknown outcome, how long to wait before the next request goes
   * out, so that a late answer arrives (and is dropped) first. Default 2 s.
   */
  readonly unknownSettleMs?: number;
  /**
   * Keep the link open between requests and reopen it when it drops, waiting from
   * reconnectMinMs up to reconnectMaxMs between tries (start() begins). For serial links.
   */
  readonly keepOpen?: boolean;
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Records every request before it is sent, and refuses duplicates. */
  readonly journal?: Journal;
  /**
   * How many requests may wait, first in first out, while one is open. Default 0: a request
   * while another is open is refused at once as BUSY.
   */
  readonly queueLimit?: number;
  /** How long a request may wait in the queue before it is refused as BUSY. Default 60 s. */
  readonly queueTimeoutMs?: number;
  /** Digits after the decimal point in amounts. Default 2. */
  readonly decimals?: number;
  /** Optional safety limit on amounts, e.g. `500.00`. */
  readonly maxAmount?: string | number;
  readonly framerLimits?: FramerLimits;
}

export const DEFAULT_RESPONSE_TIMEOUT_MS = 180_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLY_STALL_TIMEOUT_MS = 10_000;
/**
 * Longer than a repeated answer can be held back: the terminal's Nagle algorithm keeps it until
 * our side ACKs the first answer, and Linux and Windows delay that ACK by up to 200 ms (or send it
 * with our next request). A repeated decline has no ref to recognise it by.
 */
export const DEFAULT_ANSWER_GUARD_MS = 250;
export const DEFAULT_UNKNOWN_SETTLE_MS = 2_000;
/** Refs of earlier answers remembered to recognise a repeated answer. */
const REMEMBERED_REFS = 64;
export const DEFAULT_RECONNECT_MIN_MS = 1_000;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;
export const DEFAULT_QUEUE_TIMEOUT_MS = 60_000;

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** How far a request got: `connecting` before anything is sent, `sent` once it is on the wire. */
export type TransactionPhase = 'connecting' | 'sent';

export interface TransactOptions {
  onPhase?(phase: TransactionPhase, request: TerminalRequest): void;
  /** Who asked; abort(detail, owner) then ends the request only if it is theirs. */
  owner?: unknown;
  /** Send even when the journal knows the invoice or code was already used. */
  allowDuplicate?: boolean;
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
  readonly options: TransactOptions;
  readonly resolve: (result: TransactionResult) => void;
  sent: boolean;
  settled: boolean;
  /** The journal's id for this request once it is recorded; undefined when it was not. Never rejects. */
  journaling?: Promise<string | undefined>;
  queueTimer?: NodeJS.Timeout;
  /** Lets a wait in run() end early when the transaction is finished from outside. */
  wake?: () => void;
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
  readonly unknownSettleMs: number;
  readonly keepOpen: boolean;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly journal: Journal | undefined;
  readonly queueLimit: number;
  readonly queueTimeoutMs: number;
  readonly amountRules: AmountRules;
  private readonly framer: XmlFramer;
  private link: Link | undefined;
  private connecting: Promise<Connection> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private open: OpenTransaction | undefined;
  private readonly queue: OpenTransaction[] = [];
  /** Refs of recent approvals, oldest first: an answer repeating one of them is stale. */
  private readonly seenRefs: string[] = [];
  /** performance.now() before which no request goes out, after an unknown outcome. */
  private settleUntil = -Infinity;
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
    this.unknownSettleMs = options.unknownSettleMs ?? DEFAULT_UNKNOWN_SETTLE_MS;
    if (!(this.unknownSettleMs >= 0)) throw new RangeError('unknownSettleMs must be zero or more milliseconds');
    this.keepOpen = options.keepOpen ?? false;
    this.reconnectMinMs = positive(options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS, 'reconnectMinMs');
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    this.reconnectDelayMs = this.reconnectMinMs;
    this.journal = options.journal;
    this.queueLimit = options.queueLimit ?? 0;
    if (!Number.isInteger(this.queueLimit) || this.queueLimit < 0) throw new RangeError('queueLimit must be a whole number, 0 or more');
    this.queueTimeoutMs = positive(options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS, 'queueTimeoutMs');
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
    return new Promise((resolve) => {
      const transaction: OpenTransaction = { request, options, resolve, sent: false, settled: false };
      if (!this.open) {
        this.begin(transaction);
      } else if (this.queue.length < this.queueLimit) {
        transaction.queueTimer = setTimeout(() => {
          this.finish(
            transaction,
            failure(request.action, request, 'BUSY', `The terminal at ${this.transport.description} stayed busy for ${this.queueTimeoutMs / 1000} s while this request waited. Nothing was sent.`),
          );
        }, this.queueTimeoutMs);
        this.queue.push(transaction);
      } else {
        const where = this.transport.description;
        const message =
          this.queueLimit === 0
            ? `Another request to the terminal at ${where} is still open. Nothing was sent.`
            : `The terminal at ${where} is busy and ${this.queueLimit} requests are already waiting. Nothing was sent.`;
        resolve(failure(request.action, request, 'BUSY', message));
      }
    });
  }

  /**
   * Ends the open request now, if any, and every waiting one (with an owner: only that owner's).
   * One that was sent ends as CONNECTION_LOST (outcome unknown) and the connection is dropped,
   * since its answer may still come.
   */
  abort(detail = 'The request was abandoned before the terminal answered.', owner?: unknown): void {
    const mine = (transaction: OpenTransaction) => owner === undefined || transaction.options.owner === owner;
    for (const waiting of this.queue.filter(mine)) {
      this.finish(waiting, failure(waiting.request.action, waiting.request, 'CONNECT', `${detail} Nothing was sent.`));
    }
    const transaction = this.open;
    if (!transaction || !mine(transaction)) return;
    if (transaction.sent) {
      this.discardConnection();
      this.finish(transaction, failure(transaction.request.action, transaction.request, 'CONNECTION_LOST', detail));
    } else {
      this.finish(transaction, failure(transaction.request.action, transaction.request, 'CONNECT', `${detail} Nothing was sent.`));
    }
  }

  /** Aborts every request and closes the connection for good. The journal stays its owner's to close. */
  close(detail = 'The terminal connection was closed before the terminal answered.'): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.abort(detail);
    this.discardConnection();
    this.stateListeners.clear();
  }

  private begin(transaction: OpenTransaction): void {
    this.open = transaction;
    void this.run(transaction);
  }

  private async run(transaction: OpenTransaction): Promise<void> {
    const { request, options } = transaction;
    const journal = this.journal;
    if (journal) {
      // Before connecting: a journal that cannot be written, or a duplicate, needs no terminal.
      try {
        await journal.whenUsable();
      } catch (error) {
        this.finish(transaction, failure(request.action, request, 'JOURNAL', `The journal ${journal.path} cannot be used: ${reason(error)}. Nothing was sent.`));
        return;
      }
      if (transaction.settled) return;
      const refusal = journal.refusal(request, options.allowDuplicate);
      if (refusal) {
        this.finish(transaction, failure(request.action, request, refusal.code, refusal.message));
        return;
      }
    }
    // Connect first, so that an absent terminal is reported at once; then wait for quiet, which
    // drops a link that a late answer reaches, and connect again if it did.
    if (!(await this.ensureLink(transaction))) return;
    await this.quietLink(transaction);
    if (transaction.settled || !(await this.ensureLink(transaction))) return;
    if (journal) {
      // The check is made again as the request is recorded: another terminal sharing the journal
      // may have begun the same invoice meanwhile.
      const begun = journal.begin(request, { allowDuplicate: options.allowDuplicate, terminal: this.transport.description });
      transaction.journaling = begun.then(
        (outcome) => outcome.id,
        () => undefined,
      );
      let outcome: BeginResult;
      try {
        outcome = await begun;
      } catch (error) {
        this.finish(transaction, failure(request.action, request, 'JOURNAL', `Could not record the request in the journal ${journal.path}: ${reason(error)}. Nothing was sent.`));
        return;
      }
      if (outcome.refusal) {
        this.finish(transaction, failure(request.action, request, outcome.refusal.code, outcome.refusal.message));
        return;
      }
      // The link may have closed while the journal was written (an app that closes after each answer).
      if (transaction.settled || !(await this.ensureLink(transaction))) return;
    }
    const connection = this.link?.connection;
    if (!connection) {
      this.finish(transaction, failure(request.action, request, 'CONNECT', `The connection to the terminal at ${this.transport.description} closed before the request went out. Nothing was sent.`));
      return;
    }
    transaction.sent = true;
    this.framer.reset();
    transaction.responseTimer = setTimeout(() => {
      this.discardConnection();
      this.finish(
        transaction,
        failure(request.action, request, 'TIMEOUT', `No answer from the terminal within ${this.responseTimeoutMs / 1000} s.`),
      );
    }, this.responseTimeoutMs);
    connection.write(buildRequestXml(request));
    if (!transaction.settled) options.onPhase?.('sent', request);
  }

  /** Opens a link if there is none; false when the transaction ended meanwhile. */
  private async ensureLink(transaction: OpenTransaction): Promise<boolean> {
    if (this.link?.connection) return true;
    const { request, options } = transaction;
    options.onPhase?.('connecting', request);
    try {
      await this.connectShared();
    } catch (error) {
      this.finish(
        transaction,
        failure(request.action, request, 'CONNECT', `Could not connect to the terminal at ${this.transport.description}: ${reason(error)}. Nothing was sent.`),
      );
      return false;
    }
    return !transaction.settled; // false when aborted while connecting
  }

  /**
   * Waits before sending: after an unknown outcome, until unknownSettleMs have passed; on a
   * reused link, until it has been quiet for answerGuardMs after its last answer; then one
   * turn of the event loop to read whatever already arrived. A late or repeated answer on its
   * way then drops the link instead of being taken for the answer to this request.
   */
  private quietLink(transaction: OpenTransaction): Promise<void> {
    const link = this.link;
    const now = performance.now();
    const guardUntil = link?.connection ? link.lastAnswerAt + this.answerGuardMs : -Infinity;
    const quietFor = Math.max(0, this.settleUntil - now, guardUntil - now);
    return new Promise((resolve) => {
      transaction.wake = resolve;
      const oneTurn = () => {
        transaction.waitImmediate = setImmediate(resolve);
      };
      if (quietFor > 0) transaction.waitTimer = setTimeout(oneTurn, quietFor);
      else oneTurn();
    });
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
    for (const frame of frames) {
      const transaction = this.open;
      if (!transaction?.sent) {
        // Nobody asked: a late or repeated answer. Drop the connection so it cannot answer the next request.
        this.discardConnection();
        return;
      }
      const verdict = interpretReply(frame, transaction.request.action);
      const ref = verdict.ref ?? '';
      // A repeat of an earlier approval: ignore it and keep waiting. (A completion or cancellation
      // may legitimately answer with its pre-authorization's code.)
      if (ref !== '' && ref !== transaction.request.preauthCode && this.seenRefs.includes(ref)) continue;
      if (this.link) this.link.lastAnswerAt = performance.now();
      if (verdict.kind === 'ok' && ref !== '') this.rememberRef(ref);
      const result = resultFromReply(transaction.request, verdict);
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

  private rememberRef(ref: string): void {
    this.seenRefs.push(ref);
    if (this.seenRefs.length > REMEMBERED_REFS) this.seenRefs.shift();
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
    clearTimeout(transaction.queueTimer);
    clearTimeout(transaction.waitTimer);
    clearImmediate(transaction.waitImmediate);
    clearTimeout(transaction.responseTimer);
    clearTimeout(transaction.stallTimer);
    transaction.wake?.();
    if (result.result === 'ERROR' && result.outcome === 'unknown') this.settleUntil = performance.now() + this.unknownSettleMs;
    const queued = this.queue.indexOf(transaction);
    if (queued >= 0) this.queue.splice(queued, 1);
    const journal = this.journal;
    if (journal && transaction.journaling) {
      void transaction.journaling.then((id) => (id === undefined ? undefined : journal.end(id, result)));
    }
    transaction.resolve(result);
    if (this.open === transaction) {
      this.open = undefined;
      this.startNext();
    }
  }

  /** The queue runs first in, first out, one at a time. */
  private startNext(): void {
    const next = this.queue.shift();
    if (!next || this.closed) return;
    clearTimeout(next.queueTimer);
    this.begin(next);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

function draftFromFields(action: Action, given: ActionFields | null | undefined): RequestDraft {
  const fields: ActionFields = typeof given === 'object' && given !== null ? given : {};
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
