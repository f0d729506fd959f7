/**
 * A notice to the editors that something changed: a topic and a time, never the data itself (an
 * editor reads that through the admin API, with its user's permissions). Changes that come close
 * together make one notice: the first goes out `gatherMs` after it came, and then at most one
 * every `spacingMs`, so a busy kiosk cannot flood the editors.
 */
export class EditorNotice {
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the last notice sent. */
  private sentAt = -Infinity;

  constructor(
    private readonly publish: (notice: { changed: string }) => void,
    private readonly gatherMs: number,
    private readonly spacingMs: number,
  ) {}

  /** Something changed: a notice goes out soon, unless one is already due (it covers this change too). */
  changed(): void {
    if (this.timer) return;
    const wait = Math.max(this.gatherMs, this.sentAt + this.spacingMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sentAt = performance.now();
      try {
        this.publish({ changed: new Date().toISOString() });
      } catch {
        // No editor to tell: the sidebar reads again when it is opened.
      }
    }, wait);
    this.timer.unref();
  }

  /** Drops a notice still due: a stop or redeploy leaves no timer behind (the editors read again when they next look). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
