import type { Clock, Timer } from '../core/io/clock.ts';

/** The process's monotonic clock and Node's timers. */
export class RealClock implements Clock {
  private readonly originMs = performance.now();

  nowMs(): number {
    return performance.now() - this.originMs;
  }

  wallClockMs(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const handle = setTimeout(callback, Math.max(delayMs, 0));
    return { cancel: () => clearTimeout(handle) };
  }
}
