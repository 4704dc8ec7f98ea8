/**
 * Time, as core sees it. Production reads the monotonic clock and real timers; the simulator
 * hands out virtual time that only moves when its scheduler fires the next event.
 *
 * Core never calls Date.now, performance.now or the global timer functions: time arrives through
 * this interface, as an argument, or as a timer callback.
 */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. Use for timeouts and durations. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch. Use only for values that leave the process (Kafka timestamps). */
  wallClockMs(): number;
  /** Calls `callback` once, `delayMs` from now (0 means "after the current event"). */
  setTimer(delayMs: number, callback: () => void): Timer;
}

/** A pending timer. Cancelling a timer that already fired or was cancelled is a no-op. */
export interface Timer {
  cancel(): void;
}

/** Resolves after `delayMs` of this clock's time. */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(delayMs, resolve);
  });
}
