/**
 * The event loop's longest delay, as perf_hooks.monitorEventLoopDelay measures it, and next to
 * it how much of the longest gap between two 1 ms ticks the process spent on the CPU. On a
 * shared machine a long delay with little CPU time means the OS ran someone else; a long delay
 * with as much CPU time means this process itself blocked its loop.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class LoopMonitor {
  private histogram: IntervalHistogram | undefined;
  private maxBusyMs = 0;
  private lastWall = 0;
  private lastCpu = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): this {
    this.histogram = monitorEventLoopDelay({ resolution: 1 });
    this.histogram.enable();
    this.maxBusyMs = 0;
    this.lastWall = performance.now();
    this.lastCpu = cpuMs();
    this.timer = setInterval(() => this.tick(), 1);
    return this;
  }

  tick(): void {
    const wall = performance.now();
    const cpu = cpuMs();
    // CPU time of all the process's threads, so GC helpers count too: an upper bound.
    this.maxBusyMs = Math.max(this.maxBusyMs, Math.min(wall - this.lastWall, cpu - this.lastCpu));
    this.lastWall = wall;
    this.lastCpu = cpu;
  }

  /** Stops; { maxDelayMs, maxBusyMs }. Call after the loop has had a turn since the work ended. */
  stop(): { maxDelayMs: number; maxBusyMs: number } {
    clearInterval(this.timer);
    this.tick();
    if (!this.histogram) throw new Error('LoopMonitor.stop() before start()');
    this.histogram.disable();
    return { maxDelayMs: this.histogram.max / 1e6, maxBusyMs: this.maxBusyMs };
  }
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
