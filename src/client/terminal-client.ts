import {
  Action,
  Amount,
  AmountRules,
  DEFAULT_FRAMER_LIMITS,
  DEFAULT_RECEIPT_MODE,
  DEFAULT_REQUEST_ENDING,
  Explanation,
  FramerLimits,
  FramingError,
  InputError,
  RequestDraft,
  RequestEnding,
  TerminalRequest,
  TransactionResult,
  XmlFramer,
  buildRequestXml,
  checkDecimals,
  createRequest,
  errorText,
  explain,
  explainError,
  failure,
  interpretReply,
  parseAmount,
  resultFromReply,
} from '../protocol';
import type { BeginResult, Journal } from '../journal/journal';
import { Connection, Transport } from '../transport/transport';
import { Answer, ENDED, TransactOptions, Transaction } from './transaction';
import { StepForTests, replaceStepOf } from '../test-seams';

export type { TransactionPhase, TransactOptions, TransactionState } from './transaction';

/**
 * How the client uses the link to a terminal:
 * - `per-request`: a new TCP connection for every request, closed after its answer. An answer
 *   can only ever arrive on its own request's connection; a late or repeated one finds it
 *   closed. The default for TCP: an app that stops listening when its client leaves shows it
 *   at the first test, as CONNECT (nothing sent), never as a wrong answer.
 * - `reuse`: one connection, opened when a request needs it and kept while it stays up.
 * - `keep-open`: opened at start() and reopened, with a backoff, when it drops (serial links).
 */
export type ConnectionMode = 'per-request' | 'reuse' | 'keep-open';
export const CONNECTION_MODES: readonly ConnectionMode[] = ['per-request', 'reuse', 'keep-open'];

/**
 * TEST-ONLY SEAM (issue #14), not for production callers: the internal steps of a client that
 * test/robustness-steps.test.ts makes fail, through TerminalClient.replaceStepForTests.
 */
export type ClientStepForTests = 'endUnknown' | 'confirm' | 'onAnswer';

export interface TerminalClientOptions {
  readonly transport: Transport;
  /** Default `per-request`; `keepOpen: true` means `keep-open`. */
  readonly connectionMode?: ConnectionMode;
  /** The same as connectionMode `keep-open` (for serial links). */
  readonly keepOpen?: boolean;
  /** How long to wait for the terminal's answer; the customer may take minutes. Default 180 s. */
  readonly responseTimeoutMs?: number;
  /** How long to wait for a connection. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** How long an answer may pause once it has begun. Default 10 s. */
  readonly replyStallTimeoutMs?: number;
  /**
   * After an answer, how long the link is watched for the same answer again (ignored) or a
   * different one (then the outcome is unknown) before the result counts. Default 250 ms.
   */
  readonly answerGuardMs?: number;
  /**
   * After a request ended with an unknown outcome, how long its link is kept to hear a late
   * answer, which then becomes that request's outcome in the journal. Nothing else is sent to
   * the terminal meanwhile (requests get BUSY, or wait in the queue); then the link is
   * replaced. Default 10 s.
   */
  readonly lateAnswerWindowMs?: number;
  /**
   * On a link that stays open (keep-open), after an answer that could not be recognised if it
   * came again (anything but an approval with a ref), how long the link must be quiet before
   * the next request; what arrives meanwhile is dropped. Default 2 s. (A reused TCP connection
   * is closed after such an answer instead.)
   */
  readonly quietAfterDeclineMs?: number;
  /** What follows each request's closing tag. Default `newline`. */
  readonly requestEnding?: RequestEnding;
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
  /**
   * While nothing holds the terminal, check at most this often whether it accepts a connection:
   * a connection is opened and closed at once, and nothing is ever sent on it (see `readiness`).
   * Default 0: never. Checks begin at start(). Not for `keep-open`, whose link state says as much.
   */
  readonly readinessCheckMs?: number;
}

export const DEFAULT_RESPONSE_TIMEOUT_MS = 180_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLY_STALL_TIMEOUT_MS = 10_000;
/**
 * Longer than a repeated answer can be held back: the terminal's Nagle algorithm keeps it until
 * our side ACKs the first answer, and Linux and Windows delay that ACK by up to 200 ms.
 */
export const DEFAULT_ANSWER_GUARD_MS = 250;
export const DEFAULT_LATE_ANSWER_WINDOW_MS = 10_000;
export const DEFAULT_QUIET_AFTER_DECLINE_MS = 2_000;
export const DEFAULT_CONNECTION_MODE: ConnectionMode = 'per-request';
/** Refs of earlier approvals remembered per link, to recognise a repeated one. */
const REMEMBERED_REFS = 64;
export const DEFAULT_RECONNECT_MIN_MS = 1_000;
export const DEFAULT_RECONNECT_MAX_MS = 30_000;
export const DEFAULT_QUEUE_TIMEOUT_MS = 60_000;

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/**
 * Whether the terminal can be reached, as last learnt: `ready` once a connection to it opened or
 * it answered, `unreachable` once a connection could not be opened, `unknown` before either.
 */
export type ReadinessState = 'unknown' | 'ready' | 'unreachable';

export interface Readiness {
  readonly state: ReadinessState;
  /** When it became this state (Date.now()). */
  readonly since: number;
  /** Unreachable: why the connection could not be opened, e.g. `ECONNREFUSED connect ECONNREFUSED 192.168.1.20:51042`. */
  readonly reason?: string;
}

/**
 * What holds the terminal now, derived from the transaction state: nothing (`idle`), an open
 * request (`request`, since it left the queue), or the wait for the late answer to a request that
 * ended unknown (`late-answer`, since it ended). Requests waiting in the queue wait for one of these.
 */
export type Activity =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'request' | 'late-answer';
      readonly request: TerminalRequest;
      /** Date.now() when it began. */
      readonly since: number;
    };

const IDLE: Activity = Object.freeze({ kind: 'idle' });

/** The link's state, and since when it has been up or down (attempts to reconnect while down do not count). */
export interface LinkState {
  readonly state: ConnectionState;
  /** Date.now() when the link last came up or went down. */
  readonly since: number;
}

/** Plain values for the convenience methods, e.g. `client.pay({ amount: '12.50' })`. */
export interface ActionFields {
  readonly amount?: unknown;
  readonly invoice?: unknown;
  readonly preauthcode?: unknown;
  readonly receipt?: unknown;
  readonly custrcpt?: unknown;
}

/** An answer that came after its request had ended unknown: now its outcome. */
export interface LateAnswer {
  readonly request: TerminalRequest;
  /** What the terminal said, as the result would have been. */
  readonly result: TransactionResult;
  /** How long after the request ended. */
  readonly afterMs: number;
  /** Who sent the request (TransactOptions.owner). */
  readonly owner?: unknown;
}

/** One opened link; the handlers of a link that was replaced or discarded are ignored. */
interface Link {
  connection?: Connection;
  /** Gives up an attempt still connecting. */
  readonly cancel: AbortController;
  /** Answers are framed per link: bytes of one link never join another's. */
  readonly framer: XmlFramer;
  /** performance.now() of the last answer (or stray bytes) on this link. */
  lastAnswerAt: number;
  /** How long the link must be quiet after lastAnswerAt before the next request. */
  quietMs: number;
  /** Refs of approvals that arrived on this link, oldest first. */
  readonly refs: string[];
}

/** A request that ended unknown, whose answer may still come. */
interface Unsettled {
  readonly transaction: Transaction;
  /** The link its answer would come on; for a link kept open, whatever link is open. */
  readonly link: Link | undefined;
  readonly endedAt: number;
  /** Date.now() when it ended: the wait for its answer began. */
  readonly since: number;
  readonly timer: NodeJS.Timeout;
}

/**
 * Talks to one terminal: owns its link, runs one transaction at a time, and turns every way a
 * transaction can end into exactly one result. Never re-sends a request. An answer can only be
 * taken as the answer to the request it belongs to: after a request ends unknown, nothing else
 * is sent until its late answer came (and is recorded as its outcome) or a window passed and
 * the link was replaced.
 */
export class TerminalClient {
  /** The transport connections are opened with; replaced only through replaceTransportForTests. */
  private transportNow: Transport;
  readonly connectionMode: ConnectionMode;
  readonly responseTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly replyStallTimeoutMs: number;
  readonly answerGuardMs: number;
  readonly lateAnswerWindowMs: number;
  readonly quietAfterDeclineMs: number;
  readonly requestEnding: RequestEnding;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly journal: Journal | undefined;
  readonly queueLimit: number;
  readonly queueTimeoutMs: number;
  readonly amountRules: AmountRules;
  private readonly framerLimits: FramerLimits;
  private link: Link | undefined;
  private connecting: Promise<Link> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs: number;
  private active: Transaction | undefined;
  private unsettled: Unsettled | undefined;
  private readonly queue: Transaction[] = [];
  private closed = false;
  private linkNow: LinkState = Object.freeze({ state: 'disconnected', since: Date.now() });
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly lateListeners = new Set<(late: LateAnswer) => void>();
  private readonly activityListeners = new Set<(activity: Activity) => void>();
  /** What the activity listeners last heard; changes are told once the client's step is done. */
  private toldActivity: Activity = IDLE;
  private activityNoticeQueued = false;
  private idleWaiters: (() => void)[] = [];
  readonly readinessCheckMs: number;
  private readinessNow: Readiness = Object.freeze({ state: 'unknown', since: Date.now() });
  private readonly readinessListeners = new Set<(readiness: Readiness) => void>();
  /** The next readiness check's timer; unref'd, so it never keeps a process alive. */
  private checkTimer: NodeJS.Timeout | undefined;
  /** A readiness check under way: aborting it closes its connection. */
  private check: AbortController | undefined;
  /** performance.now() of the last thing learnt about the terminal: a connection, an answer, a request's end, a check. */
  private lastContactAt = -Infinity;

  constructor(options: TerminalClientOptions) {
    this.transportNow = options.transport;
    this.connectionMode = options.connectionMode ?? (options.keepOpen ? 'keep-open' : DEFAULT_CONNECTION_MODE);
    if (!CONNECTION_MODES.includes(this.connectionMode)) throw new RangeError(`connectionMode must be one of ${CONNECTION_MODES.join(', ')}`);
    this.responseTimeoutMs = positive(options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS, 'responseTimeoutMs');
    this.connectTimeoutMs = positive(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs');
    this.replyStallTimeoutMs = positive(options.replyStallTimeoutMs ?? DEFAULT_REPLY_STALL_TIMEOUT_MS, 'replyStallTimeoutMs');
    this.answerGuardMs = zeroOrMore(options.answerGuardMs ?? DEFAULT_ANSWER_GUARD_MS, 'answerGuardMs');
    this.lateAnswerWindowMs = zeroOrMore(options.lateAnswerWindowMs ?? DEFAULT_LATE_ANSWER_WINDOW_MS, 'lateAnswerWindowMs');
    this.quietAfterDeclineMs = zeroOrMore(options.quietAfterDeclineMs ?? DEFAULT_QUIET_AFTER_DECLINE_MS, 'quietAfterDeclineMs');
    // Checked as a value: a program in JavaScript may pass anything.
    const ending: unknown = options.requestEnding ?? DEFAULT_REQUEST_ENDING;
    if (ending !== 'newline' && ending !== 'none') throw new RangeError('requestEnding must be "newline" or "none"');
    this.requestEnding = ending;
    this.reconnectMinMs = positive(options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS, 'reconnectMinMs');
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    this.reconnectDelayMs = this.reconnectMinMs;
    this.journal = options.journal;
    this.queueLimit = options.queueLimit ?? 0;
    if (!Number.isInteger(this.queueLimit) || this.queueLimit < 0) throw new RangeError('queueLimit must be a whole number, 0 or more');
    this.queueTimeoutMs = positive(options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS, 'queueTimeoutMs');
    this.amountRules = amountRules(options.decimals ?? 2, options.maxAmount);
    this.framerLimits = options.framerLimits ?? DEFAULT_FRAMER_LIMITS;
    this.readinessCheckMs = zeroOrMore(options.readinessCheckMs ?? 0, 'readinessCheckMs');
    if (this.readinessCheckMs > 0 && this.keepOpen) {
      throw new RangeError('readinessCheckMs is for links that are not kept open: a link kept open shows its state (onConnectionState)');
    }
  }

  /** With keep-open, the link is held open: the nodes show whether the terminal is there. */
  get keepOpen(): boolean {
    return this.connectionMode === 'keep-open';
  }

  /** True while a request is open, or a request that ended unknown may still be answered. */
  get busy(): boolean {
    return this.active !== undefined || this.unsettled !== undefined;
  }

  get connectionState(): ConnectionState {
    return this.linkNow.state;
  }

  /** The link's state, and since when it has been up (connected) or down. */
  get linkState(): LinkState {
    return this.linkNow;
  }

  /** What holds the terminal now: an open request, the wait for a late answer, or nothing. */
  get activity(): Activity {
    const transaction = this.active;
    if (transaction) return { kind: 'request', request: transaction.request, since: transaction.begunAt ?? Date.now() };
    const unsettled = this.unsettled;
    if (unsettled) return { kind: 'late-answer', request: unsettled.transaction.request, since: unsettled.since };
    return IDLE;
  }

  /**
   * Calls listener when the activity changes (a request begins or ends, the wait for a late
   * answer begins or ends), once the step that changed it is done; returns the function that stops it.
   */
  onActivity(listener: (activity: Activity) => void): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  /**
   * With keep-open, opens the link now and keeps it open; otherwise links open when a request
   * needs one. With readinessCheckMs, the first check is made now, while nothing holds the terminal.
   */
  start(): void {
    this.maintainLink();
    this.scheduleCheck();
  }

  /** How the client reaches the terminal (TerminalClientOptions.transport). */
  get transport(): Transport {
    return this.transportNow;
  }

  /** Whether the terminal can be reached, as last learnt from a request or a readiness check. */
  get readiness(): Readiness {
    return this.readinessNow;
  }

  /** Calls listener when the readiness changes (not at every check that confirms it); returns the function that stops it. */
  onReadiness(listener: (readiness: Readiness) => void): () => void {
    this.readinessListeners.add(listener);
    return () => this.readinessListeners.delete(listener);
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: how many onActivity, onReadiness and
   * onConnectionState listeners are registered, so that test/console-api.test.ts can show that a
   * stopped config node removed the listeners it added to a client it shared, and
   * test/faults-node-red.test.ts that redeploying action nodes leaves a shared client with the
   * listeners it had. Nothing in the package calls it.
   */
  listenerCountsForTests(): { readonly activity: number; readonly readiness: number; readonly connectionState: number } {
    return { activity: this.activityListeners.size, readiness: this.readinessListeners.size, connectionState: this.stateListeners.size };
  }

  /** Resolves once nothing holds the terminal: no request open or waiting, no late answer awaited. */
  idle(): Promise<void> {
    if (this.closed || (!this.busy && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Calls listener on every change of connection state; returns the function that stops it. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Calls listener when a request that ended unknown is answered after all; returns the function that stops it. */
  onLateAnswer(listener: (late: LateAnswer) => void): () => void {
    this.lateListeners.add(listener);
    return () => this.lateListeners.delete(listener);
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

  /**
   * Applies the input rules (`rules`, else the client's own), then runs the request. Resolves
   * with the result; never rejects.
   */
  submit(draft: RequestDraft, options?: TransactOptions, rules: AmountRules = this.amountRules): Promise<TransactionResult> {
    let request: TerminalRequest;
    try {
      request = createRequest(draft, rules);
    } catch (error) {
      const why = error instanceof InputError ? error.explanation : explain('input.unbuildable', { detail: errorText(error) });
      return Promise.resolve(failure(draft.action, undefined, 'INVALID_INPUT', why));
    }
    return this.transact(request, options);
  }

  /** Runs a request that already passed the input rules. Resolves with the result; never rejects. */
  transact(request: TerminalRequest, options: TransactOptions = {}): Promise<TransactionResult> {
    if (this.closed) {
      return Promise.resolve(failure(request.action, request, 'CONNECT', explain('connect.closed')));
    }
    return new Promise((resolve) => {
      const transaction = new Transaction(request, options, resolve);
      transaction.onTimerFailure = (error) => this.failInternally(transaction, error);
      if (!this.busy && this.queue.length === 0) {
        this.begin(transaction);
      } else if (this.queue.length < this.queueLimit) {
        this.queue.push(transaction);
        transaction.enter('queued', {
          ms: this.queueTimeoutMs,
          onExpiry: () =>
            this.finish(transaction, failure(request.action, request, 'BUSY', explain('busy.waitedTooLong', { terminal: this.transport.description, seconds: this.queueTimeoutMs / 1000 }))),
        });
      } else {
        this.finish(transaction, failure(request.action, request, 'BUSY', this.whyBusy()));
      }
    });
  }

  /**
   * Ends the open request now, if any, and every waiting one (with an owner: only that owner's).
   * One that was sent ends as CONNECTION_LOST (outcome unknown), and the link is dropped, since
   * its answer may still come; one that was answered ends with that answer.
   */
  abort(why: Explanation = explain('stop.abandoned'), owner?: unknown): void {
    const mine = (transaction: Transaction) => owner === undefined || transaction.options.owner === owner;
    for (const waiting of this.queue.filter(mine)) {
      this.finish(waiting, failure(waiting.request.action, waiting.request, 'CONNECT', why));
    }
    const transaction = this.active;
    if (!transaction || !mine(transaction)) return;
    if (transaction.state === 'confirming' && transaction.answer) {
      this.confirm(transaction);
    } else if (transaction.sent) {
      this.endUnknown(transaction, failure(transaction.request.action, transaction.request, 'CONNECTION_LOST', why), false);
    } else {
      this.finish(transaction, failure(transaction.request.action, transaction.request, 'CONNECT', why));
    }
  }

  /** Aborts every request and closes the link for good. The journal stays its owner's to close. */
  close(why: Explanation = explain('stop.clientClosed')): void {
    this.abort(why);
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    this.cancelCheck();
    this.readinessListeners.clear();
    this.endUnsettled();
    this.discardLink();
    this.stateListeners.clear();
    this.lateListeners.clear();
    this.activityListeners.clear();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private whyBusy(): Explanation {
    const terminal = this.transport.description;
    const unsettled = this.unsettled;
    if (!this.active && unsettled) {
      const { request } = unsettled.transaction;
      return explain('busy.lateAnswer', {
        terminal,
        action: { action: request.action },
        reference: request.invoice ?? request.preauthCode ?? '',
        seconds: Math.ceil(this.lateAnswerWindowMs / 1000),
      });
    }
    return this.queueLimit === 0 ? explain('busy.open', { terminal }) : explain('busy.queueFull', { terminal, count: this.queueLimit });
  }

  private begin(transaction: Transaction): void {
    // A readiness check gives way at once: its connection is closed, never used for a request.
    this.cancelCheck();
    this.active = transaction;
    transaction.enter('preparing');
    this.activityMayHaveChanged();
    // run() handles every expected failure; anything else still settles the request.
    this.run(transaction).catch((error: unknown) => this.failInternally(transaction, error));
  }

  /** Settles a request after a failure of the client's own, by what it could have done: nothing sent before the wire, unknown after. */
  private failInternally(transaction: Transaction, error: unknown): void {
    const { request } = transaction;
    try {
      if (transaction.sent) {
        this.endUnknown(transaction, failure(request.action, request, 'PROTOCOL', explain('internal.afterSend', { detail: errorText(error) })), false);
      } else {
        this.finish(transaction, failure(request.action, request, 'CONNECT', explain('internal.beforeSend', { detail: errorText(error) })));
      }
    } catch {
      // Settling itself failed: settle it plainly, so the request still gets its one result.
      transaction.settle(failure(request.action, request, transaction.sent ? 'PROTOCOL' : 'CONNECT', explain('internal.failed', { detail: errorText(error) })));
      if (this.active === transaction) this.active = undefined;
      this.activityMayHaveChanged();
    }
  }

  private async run(transaction: Transaction): Promise<void> {
    const { request, options } = transaction;
    const journal = this.journal;
    if (journal) {
      // Before connecting: a journal that cannot be written, or a duplicate, needs no terminal.
      try {
        await journal.whenUsable();
      } catch (error) {
        this.finish(transaction, failure(request.action, request, 'JOURNAL', explain('journal.unusable', { path: journal.path, reason: explainError(error, 'file') })));
        return;
      }
      if (transaction.settled) return;
      const refusal = journal.refusal(request, options.allowDuplicate);
      if (refusal) {
        this.finish(transaction, failure(request.action, request, refusal.code, refusal.why));
        return;
      }
    }
    // Connect first, so that an absent terminal is reported at once; then wait until the link
    // has been quiet long enough, which drops one that stray bytes reach.
    let link = await this.ensureLink(transaction, this.connectionMode === 'per-request');
    if (!link) return;
    await this.quiet(transaction, link);
    if (transaction.settled) return;
    link = await this.ensureLink(transaction, false);
    if (!link) return;
    if (journal) {
      // Checked again as the request is recorded: another client sharing the journal may have
      // begun the same invoice meanwhile.
      const begun = journal.begin(request, { allowDuplicate: options.allowDuplicate, terminal: this.transport.description });
      transaction.journalId = begun.then(
        (outcome) => outcome.id,
        () => undefined,
      );
      let outcome: BeginResult;
      try {
        outcome = await begun;
      } catch (error) {
        this.finish(transaction, failure(request.action, request, 'JOURNAL', explain('journal.writeFailed', { path: journal.path, reason: explainError(error, 'file') })));
        return;
      }
      if (outcome.refusal) {
        this.finish(transaction, failure(request.action, request, outcome.refusal.code, outcome.refusal.why));
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an abort may settle it while the journal writes; the compiler assumes a getter keeps its value
      if (transaction.settled) return;
    }
    const connection = this.link === link ? link.connection : undefined;
    if (!connection) {
      // It closed while the journal was written (an app that closes after each answer).
      this.finish(transaction, failure(request.action, request, 'CONNECT', explain('connect.closedBeforeSend', { terminal: this.transport.description })));
      return;
    }
    transaction.deadline = performance.now() + (options.responseTimeoutMs ?? this.responseTimeoutMs);
    transaction.enter('sent', { ms: transaction.deadline - performance.now(), onExpiry: () => this.responseTimedOut(transaction) });
    connection.write(buildRequestXml(request, this.requestEnding));
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a write that fails at once settles it (the compiler assumes a getter keeps its value)
    if (!transaction.settled) notify(() => options.onPhase?.('sent', request));
  }

  /** The link for the next request: `fresh` opens a new one. Undefined when the request ended meanwhile. */
  private async ensureLink(transaction: Transaction, fresh: boolean): Promise<Link | undefined> {
    if (fresh) this.discardLink();
    if (this.link?.connection) return this.link;
    const { request, options } = transaction;
    notify(() => options.onPhase?.('connecting', request));
    try {
      const link = await this.connectShared();
      return transaction.settled ? undefined : link;
    } catch (error) {
      this.finish(transaction, failure(request.action, request, 'CONNECT', explain('connect.failed', { terminal: this.transport.description, reason: explainError(error) })));
      return undefined;
    }
  }

  /**
   * Waits until the link has been quiet for its quiet time after its last answer, then one turn
   * of the event loop to read whatever already arrived: stray bytes on their way then drop the
   * link (or, kept open, start the quiet time again) instead of answering this request.
   */
  private async quiet(transaction: Transaction, link: Link): Promise<void> {
    for (;;) {
      const wait = link.lastAnswerAt + link.quietMs - performance.now();
      await pause(Math.max(0, wait), transaction.settledSignalled);
      if (transaction.settled || this.link !== link) return;
      if (link.lastAnswerAt + link.quietMs <= performance.now()) return;
    }
  }

  /** One connection attempt at a time, shared by a request and the keep-open loop. */
  private connectShared(): Promise<Link> {
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

  private async connect(): Promise<Link> {
    const link: Link = { cancel: new AbortController(), framer: new XmlFramer(this.framerLimits), lastAnswerAt: -Infinity, quietMs: 0, refs: [] };
    this.link = link;
    this.setState('connecting');
    try {
      const connection = await this.transport.connect(
        {
          data: (chunk) => {
            if (this.link === link) this.guarded(() => this.onData(link, chunk));
          },
          closed: (error) => {
            if (this.link === link) this.guarded(() => this.onClosed(link, error));
          },
        },
        this.connectTimeoutMs,
        link.cancel.signal,
      );
      if (this.link !== link) {
        connection.destroy(); // closed or replaced while connecting
        throw new Error('the connection was closed while opening');
      }
      link.connection = connection;
      this.setState('connected');
      this.lastContactAt = performance.now();
      this.setReadiness('ready');
      return link;
    } catch (error) {
      if (this.link === link) {
        this.link = undefined;
        this.setState('disconnected');
        // Not given up by the client itself: the terminal could not be reached.
        if (!link.cancel.signal.aborted) {
          this.lastContactAt = performance.now();
          this.setReadiness('unreachable', errorText(error));
        }
      }
      this.scheduleReconnect();
      throw error;
    }
  }

  /**
   * Runs what the link or a timer set off. Whatever fails in it must not escape into the event
   * loop (Node-RED would exit): the request that was open ends, unknown if it was sent, and the
   * link is dropped.
   */
  private guarded(step: () => void): void {
    try {
      step();
    } catch (error) {
      const transaction = this.active;
      if (transaction?.sent) this.failInternally(transaction, error);
      else notify(() => this.discardLink());
    }
  }

  private onData(link: Link, chunk: Buffer): void {
    this.lastContactAt = performance.now();
    if (this.readinessNow.state !== 'ready') this.setReadiness('ready');
    let frames: Buffer[];
    let framingError: FramingError | undefined;
    try {
      frames = link.framer.push(chunk);
    } catch (error) {
      if (!(error instanceof FramingError)) throw error;
      frames = error.completedFrames;
      framingError = error;
    }
    for (const frame of frames) {
      if (this.link !== link) return;
      this.onAnswer(link, frame);
    }
    if (this.link !== link) return;
    if (framingError) {
      const transaction = this.active;
      if (transaction?.sent && transaction.state === 'sent') {
        this.endUnknown(transaction, failure(transaction.request.action, transaction.request, 'PROTOCOL', explain('answer.unreadable', { detail: framingError.message })), false);
      } else {
        this.straysArrived(link);
      }
      return;
    }
    this.watchPartialAnswer(link);
  }

  private onAnswer(link: Link, frame: Buffer): void {
    const transaction = this.active;
    if (transaction?.state === 'sent') {
      const verdict = interpretReply(frame, transaction.request.action);
      // A repeat of an earlier request's approval on this link: not this request's answer. (A
      // completion or cancellation may legitimately answer with its pre-authorization's code.)
      if (verdict.kind === 'ok' && verdict.ref !== '' && verdict.ref !== transaction.request.preauthCode && link.refs.includes(verdict.ref)) {
        transaction.staleRefs.push(verdict.ref);
        return;
      }
      transaction.answer = { verdict, frame };
      link.lastAnswerAt = performance.now();
      if (verdict.kind === 'unreadable' || verdict.kind === 'contradictory') {
        this.endUnknown(transaction, resultFromReply(transaction.request, verdict), false);
      } else if (this.answerGuardMs > 0) {
        transaction.enter('confirming', { ms: this.answerGuardMs, onExpiry: () => this.confirm(transaction) });
      } else {
        this.confirm(transaction);
      }
      return;
    }
    if (transaction?.state === 'confirming' && transaction.answer) {
      if (sameAnswer(transaction.answer, frame, transaction.request.action)) return; // the same answer again: a repeat
      const first = describeAnswer(transaction.answer.frame);
      const second = describeAnswer(frame);
      this.endUnknown(transaction, failure(transaction.request.action, transaction.request, 'PROTOCOL', explain('answer.twoAnswers', { first, second })), false);
      return;
    }
    const unsettled = this.unsettled;
    if (unsettled && this.onUnsettledLink(link)) {
      this.lateAnswer(unsettled, link, frame);
      return;
    }
    this.straysArrived(link);
  }

  /** Whether a late answer to the unsettled request would come on this link. */
  private onUnsettledLink(link: Link): boolean {
    const unsettled = this.unsettled;
    return unsettled !== undefined && (unsettled.link === link || (unsettled.link === undefined && this.keepOpen));
  }

  /** An answer for the request that ended unknown: its outcome, recorded as such. */
  private lateAnswer(unsettled: Unsettled, link: Link, frame: Buffer): void {
    const { request } = unsettled.transaction;
    const verdict = interpretReply(frame, request.action);
    if (verdict.kind === 'ok' && verdict.ref !== '' && verdict.ref !== request.preauthCode && link.refs.includes(verdict.ref)) return;
    const result = resultFromReply(request, verdict);
    if (this.keepOpen) {
      // A link kept open (serial) stays: replaced, it would forget that a repeat of this answer
      // may still come. So the next request waits until it has been quiet, as after any answer.
      this.endUnsettled(false);
      link.lastAnswerAt = performance.now();
      link.quietMs = Math.max(this.answerGuardMs, this.quietAfterDeclineMs);
      if (verdict.kind === 'ok' && verdict.ref !== '') remember(link.refs, verdict.ref);
    } else {
      this.endUnsettled(); // the connection it came on is closed: a repeat finds it gone
    }
    queueMicrotask(() => this.guarded(() => this.startNext()));
    if (result.result === 'ERROR' && result.outcome === 'unknown') return; // still not known
    const journal = this.journal;
    if (journal) void unsettled.transaction.journalId?.then((id) => (id === undefined ? undefined : journal.late(id, result))).catch(() => undefined);
    const late: LateAnswer = { request, result, afterMs: performance.now() - unsettled.endedAt, owner: unsettled.transaction.options.owner };
    for (const listener of this.lateListeners) notify(() => listener(late));
  }

  /** Bytes nobody asked for: a reused connection is dropped; a link kept open must be quiet again. */
  private straysArrived(link: Link): void {
    if (this.keepOpen) {
      link.framer.reset();
      link.lastAnswerAt = performance.now();
      link.quietMs = Math.max(link.quietMs, this.answerGuardMs);
    } else {
      this.discardLink();
    }
  }

  /** An answer that began must finish promptly; the start of one nobody waits for is a stray. */
  private watchPartialAnswer(link: Link): void {
    const transaction = this.active;
    if (transaction?.state !== 'sent') {
      const awaited = transaction?.state === 'confirming' || (this.unsettled !== undefined && this.onUnsettledLink(link));
      if (link.framer.inFrame && !awaited) this.straysArrived(link);
      return;
    }
    if (!link.framer.inFrame) {
      // Back to waiting for an answer, for the time that is left.
      transaction.setTimer({ ms: Math.max(0, transaction.deadline - performance.now()), onExpiry: () => this.responseTimedOut(transaction) });
      return;
    }
    // Restarted by every chunk: a slow but steady answer is not a stall.
    transaction.setTimer({
      ms: this.replyStallTimeoutMs,
      onExpiry: () =>
        this.endUnknown(transaction, failure(transaction.request.action, transaction.request, 'TIMEOUT', explain('timeout.stalled', { seconds: this.replyStallTimeoutMs / 1000 })), false),
    });
  }

  private responseTimedOut(transaction: Transaction): void {
    const { request } = transaction;
    const ms = transaction.options.responseTimeoutMs ?? this.responseTimeoutMs;
    const seconds = ms / 1000;
    const why = transaction.staleRefs.length === 0 ? explain('timeout.noAnswer', { seconds }) : explain('timeout.noAnswerStale', { seconds, refs: transaction.staleRefs.join(', ') });
    this.endUnknown(transaction, failure(request.action, request, 'TIMEOUT', why), true);
  }

  /** The confirmation window passed: the answer counts, and the link is left fit for the next request. */
  private confirm(transaction: Transaction): void {
    const answer = transaction.answer;
    if (!answer || transaction.settled) return;
    const link = this.link;
    const recognisable = answer.verdict.kind === 'ok' && answer.verdict.ref !== '';
    // Half of something more arrived in the window: not an answer, but not to be left for the next request.
    if (link?.framer.inFrame) this.discardLink();
    else if (link) {
      if (recognisable) remember(link.refs, answer.verdict.ref);
      if (this.connectionMode === 'per-request' || (!recognisable && this.connectionMode === 'reuse')) this.discardLink();
      else link.quietMs = recognisable ? this.answerGuardMs : this.quietAfterDeclineMs;
    }
    this.finish(transaction, resultFromReply(transaction.request, answer.verdict));
  }

  private onClosed(link: Link, error?: Error): void {
    this.link = undefined;
    link.framer.reset();
    this.setState('disconnected');
    this.scheduleReconnect();
    const transaction = this.active;
    if (transaction?.state === 'confirming') {
      this.confirm(transaction); // the answer arrived whole before the link closed
    } else if (transaction?.sent) {
      const why = error ? explain('lost.beforeAnswerBecause', { reason: explainError(error) }) : explain('lost.beforeAnswer');
      this.endUnknown(transaction, failure(transaction.request.action, transaction.request, 'CONNECTION_LOST', why), false);
    }
  }

  /**
   * Ends a sent request whose outcome is unknown, and keeps the terminal to itself for the late
   * answer window: on `keepLink`'s link (a timeout, where the answer may still come), else on
   * whatever link a kept-open connection reopens, else on none (the window still passes).
   */
  private endUnknown(transaction: Transaction, result: TransactionResult, keepLink: boolean): void {
    if (transaction.settled) return;
    const link = keepLink && !this.link?.framer.inFrame ? this.link : undefined;
    if (!link) this.discardLink();
    this.endUnsettled();
    if (this.lateAnswerWindowMs > 0) {
      const unsettled: Unsettled = {
        transaction,
        link,
        endedAt: performance.now(),
        since: Date.now(),
        timer: setTimeout(
          () =>
            this.guarded(() => {
              if (this.unsettled !== unsettled) return;
              this.endUnsettled();
              this.discardLink(); // replaced: whatever it carries later cannot reach the next request
              this.startNext();
            }),
          this.lateAnswerWindowMs,
        ),
      };
      // A wait for an answer that may never come must not keep a process alive by itself.
      unsettled.timer.unref();
      this.unsettled = unsettled;
      this.activityMayHaveChanged();
    } else if (link) {
      this.discardLink();
    }
    this.finish(transaction, result);
  }

  /** Stops waiting for a late answer; the link kept for it is dropped unless `dropLink` is false. */
  private endUnsettled(dropLink = true): void {
    const unsettled = this.unsettled;
    if (!unsettled) return;
    this.unsettled = undefined;
    clearTimeout(unsettled.timer);
    this.activityMayHaveChanged();
    if (dropLink && this.link === unsettled.link) this.discardLink();
  }

  private discardLink(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    link.cancel.abort(ENDED);
    link.connection?.destroy();
    link.framer.reset();
    this.setState('disconnected');
    this.scheduleReconnect();
  }

  /** Gives a transaction its result (once), records its end, and starts the next. */
  private finish(transaction: Transaction, result: TransactionResult): void {
    const queued = this.queue.indexOf(transaction);
    if (queued >= 0) this.queue.splice(queued, 1);
    if (!transaction.settle(result)) return;
    const journal = this.journal;
    if (journal && transaction.journalId) {
      // The journal's end never rejects; and if it threw, the result is still the user's.
      void transaction.journalId.then((id) => (id === undefined ? undefined : journal.end(id, result))).catch(() => undefined);
    }
    if (this.active === transaction) {
      this.active = undefined;
      this.activityMayHaveChanged();
      this.lastContactAt = performance.now(); // the next check waits a whole interval after a request
      this.startNext();
    }
  }

  /** The queue runs first in, first out, one at a time, once nothing else holds the terminal. */
  private startNext(): void {
    if (this.busy) return;
    const next = this.closed ? undefined : this.queue.shift();
    if (next) {
      this.begin(next);
      return;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private setState(state: ConnectionState): void {
    const was = this.linkNow;
    if (was.state === state) return;
    // Up or down is what changes the time: a reconnect attempt (connecting) leaves a link down since it went down.
    const since = (was.state === 'connected') === (state === 'connected') ? was.since : Date.now();
    this.linkNow = Object.freeze({ state, since });
    for (const listener of this.stateListeners) notify(() => listener(state));
  }

  /**
   * Tells the activity listeners of a change, once the current step is done: a request that ends
   * unknown becomes the wait for its late answer in one step, heard as one change.
   */
  private activityMayHaveChanged(): void {
    if (this.activityNoticeQueued || this.activityListeners.size === 0) return;
    this.activityNoticeQueued = true;
    queueMicrotask(() => {
      this.activityNoticeQueued = false;
      const now = this.activity;
      const told = this.toldActivity;
      if (now.kind === told.kind && (now.kind === 'idle' || (told.kind !== 'idle' && now.request === told.request))) return;
      this.toldActivity = now;
      for (const listener of this.activityListeners) notify(() => listener(now));
    });
  }

  private setReadiness(state: ReadinessState, why?: string): void {
    if (this.closed || this.readinessNow.state === state) return;
    const readiness: Readiness = Object.freeze({ state, since: Date.now(), ...(why !== undefined && { reason: why }) });
    this.readinessNow = readiness;
    for (const listener of this.readinessListeners) notify(() => listener(readiness));
  }

  /**
   * Arms the readiness check's one timer, for a whole interval after the last thing learnt about
   * the terminal. The timer comes back while the terminal is held, and checks once it is not.
   */
  private scheduleCheck(waitMs = this.lastContactAt + this.readinessCheckMs - performance.now()): void {
    if (this.readinessCheckMs === 0 || this.closed || this.checkTimer || this.check) return;
    this.checkTimer = setTimeout(
      () => {
        this.checkTimer = undefined;
        this.checkWhenDue();
      },
      Math.max(0, waitMs),
    );
    this.checkTimer.unref();
  }

  private checkWhenDue(): void {
    if (this.closed) return;
    if (performance.now() < this.lastContactAt + this.readinessCheckMs) {
      this.scheduleCheck(); // a request or its answer said more meanwhile
    } else if (this.busy || this.queue.length > 0 || this.link !== undefined || this.connecting !== undefined) {
      // A request is open, waiting, or awaiting a late answer; or a link is open (a reused
      // connection that is up is itself the sign of a terminal there): no check. Look again later.
      this.scheduleCheck(this.readinessCheckMs);
    } else {
      this.runCheck();
    }
  }

  /** Opens a connection and closes it at once; nothing is ever written on it. */
  private runCheck(): void {
    const check = new AbortController();
    this.check = check;
    const ended = (outcome: () => void) => {
      if (this.check !== check) return; // given up for a request, or closed: says nothing
      this.check = undefined;
      this.lastContactAt = performance.now();
      outcome();
      this.scheduleCheck();
    };
    let attempt: Promise<Connection>;
    try {
      attempt = this.transport.connect({ data: () => undefined, closed: () => undefined }, this.connectTimeoutMs, check.signal);
    } catch (error) {
      attempt = Promise.reject(error instanceof Error ? error : new Error(errorText(error)));
    }
    attempt.then(
      (connection) => {
        connection.destroy();
        ended(() => this.setReadiness('ready'));
      },
      (error: unknown) => ended(() => this.setReadiness('unreachable', errorText(error))),
    );
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: test/robustness-steps.test.ts makes
   * these internal steps fail, in turn, on a running client, to show that every request still
   * ends with exactly one result. Puts what `replace` makes of the step (it is handed the step
   * itself, for this client) in its place on this client; returns the undo.
   */
  replaceStepForTests(step: ClientStepForTests, replace: (original: StepForTests) => StepForTests): () => void {
    return replaceStepOf(this, step, replace);
  }

  /**
   * TEST-ONLY SEAM (issue #14), not for production callers: test/robustness-steps.test.ts and
   * test/readiness.test.ts put a pass-through transport (test/support/pass-through-transport.ts)
   * in front of the transport of a client a config node made, to make its connect or a
   * connection's write fail, or to hold a readiness check's connection open. Puts what `replace`
   * makes of the transport (it is handed the one in place) in its place, for the connections
   * opened from now on; returns the undo.
   */
  replaceTransportForTests(replace: (transport: Transport) => Transport): () => void {
    const original = this.transportNow;
    this.transportNow = replace(original);
    return () => {
      this.transportNow = original;
    };
  }

  /** Gives up a readiness check under way: its connection attempt is dropped, its connection closed. */
  private cancelCheck(): void {
    const check = this.check;
    if (!check) return;
    this.check = undefined;
    check.abort(ENDED);
    this.scheduleCheck(); // comes back while the terminal is held, and checks once it is free
  }
}

/**
 * The request draft pay(), refund(), … make of their fields. Exported for the tests (they compare
 * what reached the terminal with the request built from it); not part of the package's API.
 */
export function draftFromFields(action: Action, given: ActionFields | null | undefined): RequestDraft {
  const fields: ActionFields = typeof given === 'object' && given !== null ? given : {};
  return {
    action,
    amount: { value: fields.amount, field: 'amount' },
    invoice: { value: fields.invoice, field: 'invoice' },
    preauthCode: { value: fields.preauthcode, field: 'preauthcode' },
    receipt: { value: fields.receipt ?? DEFAULT_RECEIPT_MODE, field: 'receipt' },
    custrcpt: { value: fields.custrcpt ?? DEFAULT_RECEIPT_MODE, field: 'custrcpt' },
  };
}

/** Amount rules from a decimals setting and an optional limit; throws a RangeError-like InputError when wrong. */
export function amountRules(decimals: number, maxAmount?: string | number): AmountRules {
  const checked = checkDecimals(decimals);
  let limit: Amount | undefined;
  if (maxAmount !== undefined && maxAmount !== '') limit = parseAmount(maxAmount, checked, 'maxAmount');
  return { decimals: checked, ...(limit && { maxAmount: limit }) };
}

/** The same answer again: the same bytes, or what they say is the same. */
function sameAnswer(answer: Answer, frame: Buffer, action: Action): boolean {
  return answer.frame.equals(frame) || JSON.stringify(interpretReply(frame, action)) === JSON.stringify(answer.verdict);
}

/** An answer in a few words for a message: `OK ref 4821`, `ERROR status 2 (TRANSACTION_DECLINED)`. */
function describeAnswer(frame: Buffer): string {
  const text = frame.toString('utf8');
  const field = (name: string) => new RegExp(`<${name}>\\s*([^<]{0,60}?)\\s*</${name}>`).exec(text)?.[1];
  const parts = [field('result') ?? 'no result', field('status') !== undefined ? `status ${field('status')}` : undefined, field('status_text'), field('ref') ? `ref ${field('ref')}` : undefined];
  return `"${parts
    .filter(Boolean)
    .join(', ')
    .replace(/[^\x20-\x7e]/g, '?')}"`;
}

function remember(refs: string[], ref: string): void {
  refs.push(ref);
  if (refs.length > REMEMBERED_REFS) refs.shift();
}

/** Calls a listener of someone else's: its failure is its own, never the client's. */
function notify(call: () => void): void {
  try {
    call();
  } catch {
    // Ignored: a status that could not be shown must not change what happens to the money.
  }
}

/**
 * Resolves after ms and one poll of the event loop for I/O (so bytes that already arrived are
 * read first), or at once when the signal aborts. With nothing to wait for, two immediates
 * enclose a poll phase; a zero timer would cost a whole millisecond.
 */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      clearImmediate(immediate);
      signal.removeEventListener('abort', done);
      resolve();
    };
    let immediate: NodeJS.Immediate | undefined;
    let timer: NodeJS.Timeout | undefined;
    if (ms > 0) {
      timer = setTimeout(() => {
        immediate = setImmediate(done);
      }, ms);
    } else {
      immediate = setImmediate(() => {
        immediate = setImmediate(done);
      });
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}

function zeroOrMore(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be zero or more milliseconds`);
  return value;
}
