import type { ReplyVerdict, TerminalRequest, TransactionResult } from '../protocol';

/** The reason given to aborts: without one, each abort builds a DOMException (tens of µs). */
export const ENDED = Object.freeze(new Error('ended'));

/**
 * One request's way through the client, as one state:
 *
 *   queued → preparing → sent → confirming → settled
 *
 * `queued`: waiting for the terminal. `preparing`: the journal's checks, the link, the journal's
 * record; nothing is on the wire. `sent`: on the wire, waiting for the answer. `confirming`:
 * answered; waiting a moment for a repeat or a contradiction of the answer on the same link.
 * `settled`: it has its one result. Any state may go straight to `settled`.
 *
 * A transaction has one timer at a time (the queue's wait, the answer's wait, a stalled
 * answer's, the confirmation's), and settles once: so every request gets exactly one result.
 */
export type TransactionState = 'queued' | 'preparing' | 'sent' | 'confirming' | 'settled';

/** How far a request got: `connecting` before anything is sent, `sent` once it is on the wire. */
export type TransactionPhase = 'connecting' | 'sent';

export interface TransactOptions {
  onPhase?(phase: TransactionPhase, request: TerminalRequest): void;
  /** Who asked; abort(detail, owner) then ends the request only if it is theirs. */
  owner?: unknown;
  /** Send even when the journal knows the invoice or code was already used. */
  allowDuplicate?: boolean;
  /** How long to wait for this request's answer, instead of the client's responseTimeoutMs. */
  responseTimeoutMs?: number;
}

/** An answer as it arrived: what it says, and its bytes (to tell a repeat from another answer). */
export interface Answer {
  readonly verdict: ReplyVerdict;
  readonly frame: Buffer;
}

export class Transaction {
  readonly request: TerminalRequest;
  readonly options: TransactOptions;
  private current: TransactionState = 'queued';
  private timer: NodeJS.Timeout | undefined;
  private readonly resolve: (result: TransactionResult) => void;
  /** Aborted when the transaction settles: ends the waits of the preparing state early. */
  private readonly settledSignal = new AbortController();
  /** The answer, once one arrived (state confirming or settled). */
  answer: Answer | undefined;
  /** Approval refs on this link that an earlier request received, seen while this one waited. */
  readonly staleRefs: string[] = [];
  /** performance.now() by which the answer must have come (state sent). */
  deadline = Infinity;
  /** When it left the queue for the terminal (Date.now(), state preparing); undefined while queued. */
  begunAt: number | undefined;
  /** The journal's id for this request once it is recorded; undefined when it was not. Never rejects. */
  journalId: Promise<string | undefined> | undefined;

  constructor(request: TerminalRequest, options: TransactOptions, resolve: (result: TransactionResult) => void) {
    this.request = request;
    this.options = options;
    this.resolve = resolve;
  }

  get state(): TransactionState {
    return this.current;
  }

  /** On the wire: the terminal may act on it, so its outcome is no longer "not sent". */
  get sent(): boolean {
    return this.current === 'sent' || this.current === 'confirming';
  }

  get settled(): boolean {
    return this.current === 'settled';
  }

  /** Aborted once the transaction has its result. */
  get settledSignalled(): AbortSignal {
    return this.settledSignal.signal;
  }

  /** Moves to `state`, with its timer (replacing the last state's). */
  enter(state: Exclude<TransactionState, 'settled'>, timer?: { ms: number; onExpiry: () => void }): void {
    if (this.current === 'settled') return;
    if (state === 'preparing') this.begunAt ??= Date.now();
    this.current = state;
    this.setTimer(timer);
  }

  /** Replaces the timer of the current state, e.g. a stall timer restarted by every chunk. */
  setTimer(timer?: { ms: number; onExpiry: () => void }): void {
    clearTimeout(this.timer);
    this.timer = timer ? setTimeout(() => this.expire(timer.onExpiry), timer.ms) : undefined;
  }

  /** A timer's work must not throw into the event loop: if it fails, the transaction still settles. */
  private expire(onExpiry: () => void): void {
    try {
      onExpiry();
    } catch (error) {
      this.onTimerFailure?.(error);
    }
  }

  /** Settles the transaction when a timer's work failed; set by its client. */
  onTimerFailure: ((error: unknown) => void) | undefined;

  /** Gives the transaction its one result. False when it already had one. */
  settle(result: TransactionResult): boolean {
    if (this.current === 'settled') return false;
    this.current = 'settled';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.settledSignal.abort(ENDED);
    this.resolve(result);
    return true;
  }
}
