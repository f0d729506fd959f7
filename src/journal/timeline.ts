/**
 * The journal's requests in the order they were begun, for the console's history: newest first,
 * a day (or any time range) found by binary search, never sorted again per request.
 *
 * Requests arrive in time order as they are begun, so adding one is a push. One that arrives out
 * of order while running (the clock was set back) is put in its place; records merged from other
 * files at start-up, which may come in any order, are pushed and sorted once, on the first look.
 * A forgotten request (older than the retention period, at compaction) is only marked; the marks
 * are swept out when they are a quarter of the list.
 */

export interface TimelineSlot<T> {
  readonly value: T;
  /** Milliseconds since the epoch: when the request was begun. */
  readonly ms: number;
  /** Breaks ties between requests begun in the same millisecond: the order they were added. */
  readonly seq: number;
  gone: boolean;
}

/** Fewer marked slots than this are never swept: a sweep costs a pass over the list. */
const SWEEP_AT_LEAST = 1024;

export class Timeline<T> {
  private slots: TimelineSlot<T>[] = [];
  private sorted = true;
  private gone = 0;
  private counter = 0;

  /** Requests held (not forgotten). */
  get size(): number {
    return this.slots.length - this.gone;
  }

  /**
   * Adds a request begun at `ms`. `live`: begun now, by this process (an out-of-order time is
   * then the clock's doing, rare, and inserted in place); otherwise read from a file.
   */
  add(value: T, ms: number, live: boolean): TimelineSlot<T> {
    const slot: TimelineSlot<T> = { value, ms: Number.isFinite(ms) ? ms : 0, seq: ++this.counter, gone: false };
    const last = this.slots.at(-1);
    if (last === undefined || last.ms <= slot.ms) {
      this.slots.push(slot);
    } else if (live && this.sorted) {
      this.slots.splice(this.after(slot.ms), 0, slot);
    } else {
      this.slots.push(slot);
      this.sorted = false;
    }
    return slot;
  }

  remove(slot: TimelineSlot<T>): void {
    if (slot.gone) return;
    slot.gone = true;
    this.gone += 1;
    if (this.gone >= SWEEP_AT_LEAST && this.gone * 4 >= this.slots.length) {
      this.slots = this.slots.filter((kept) => !kept.gone);
      this.gone = 0;
    }
  }

  /**
   * Calls visit for each request begun at or after `from` and before `to`, newest first, until
   * it returns false.
   */
  scan(from: number, to: number, visit: (value: T) => unknown): void {
    this.sort();
    const slots = this.slots;
    for (let i = this.before(to) - 1; i >= 0; i -= 1) {
      const slot = slots[i];
      if (slot.ms < from) return;
      if (!slot.gone && visit(slot.value) === false) return;
    }
  }

  /** The request begun first of those held. */
  oldest(): T | undefined {
    this.sort();
    return this.slots.find((slot) => !slot.gone)?.value;
  }

  private sort(): void {
    if (this.sorted) return;
    this.slots.sort((a, b) => a.ms - b.ms || a.seq - b.seq);
    this.sorted = true;
  }

  /** The index of the first slot with a time of `ms` or later. */
  private before(ms: number): number {
    let low = 0;
    let high = this.slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.slots[middle].ms < ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The index of the first slot with a time later than `ms`. */
  private after(ms: number): number {
    let low = 0;
    let high = this.slots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.slots[middle].ms <= ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
