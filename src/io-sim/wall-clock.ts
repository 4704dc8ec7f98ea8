/**
 * A simulated host's wall clock: what `Clock.wallClockMs()` reads on one node. Real hosts' wall
 * clocks drift (a quartz off by tens to hundreds of parts per million) and jump (an NTP step, a VM
 * resumed, an operator setting the date), forwards and backwards, by seconds to hours; the monotonic
 * clock (`Clock.nowMs()`, the scheduler's virtual time) does neither.
 *
 *   wallClockMs = origin + virtual time + offset, where the offset grows by `driftPpm` millionths of
 *   every virtual millisecond and moves by every jump.
 *
 * The state belongs to the host, not to a process: it survives the node's crashes and restarts, as
 * a real host's clock does. It draws no randomness (the scenario decides drifts and jumps from its
 * seed), so it is deterministic per seed. Faults are traced where they are injected: `FaultClockDrift`
 * (`ppm`) and `FaultClockJump` (`jumpMs`, `wallClockMs`: the wall clock after the jump).
 */

/** What a scenario may do to a host's wall clock. */
export interface WallClockFaults {
  /** From now on the clock gains `ppm` millionths of a millisecond per millisecond (negative: loses). */
  setDriftPpm(ppm: number): void;
  /** Steps the clock by `jumpMs` at once (negative: backwards). */
  jump(jumpMs: number): void;
}

/** Virtual wall-clock origin: 2026-01-01T00:00:00Z, so Kafka timestamps look real and never vary. */
export const wallClockOriginMs = 1_767_225_600_000;

/** Drift beyond this is no clock a host keeps (NTP gives up on a clock off by more than 500 ppm). */
const driftPpmMax = 1000;

export class SimWallClock {
  /** Offset from origin + virtual time so far (fractional while drifting), up to `driftSinceMs`. */
  private offsetMs = 0;
  private driftPpm = 0;
  private driftSinceMs = 0;
  /** The largest value the clock showed before its latest backward jump. */
  private shownMaxMs = Number.NEGATIVE_INFINITY;
  readonly faults: WallClockFaults;

  constructor(
    private readonly virtualNowMs: () => number,
    private readonly onFault: (event: string, fields: Record<string, number>) => void,
  ) {
    this.faults = {
      setDriftPpm: (ppm) => this.setDriftPpm(ppm),
      jump: (jumpMs) => this.jump(jumpMs),
    };
  }

  /** Milliseconds since the Unix epoch on this host now (an integer, as Date.now gives). */
  wallClockMs(): number {
    return wallClockOriginMs + Math.floor(this.exactMs());
  }

  /** The largest value the clock has shown (or could have, read at any moment) so far. */
  wallClockMaxMs(): number {
    return Math.max(this.shownMaxMs, this.wallClockMs());
  }

  /** The drift in force (ppm). */
  get currentDriftPpm(): number {
    return this.driftPpm;
  }

  /** Offset and drift since `driftSinceMs`, without the origin. */
  private exactMs(): number {
    const nowMs = this.virtualNowMs();
    return nowMs + this.offsetMs + ((nowMs - this.driftSinceMs) * this.driftPpm) / 1e6;
  }

  private setDriftPpm(ppm: number): void {
    if (!(Math.abs(ppm) <= driftPpmMax)) throw new Error(`wall clock drift must be within ±${driftPpmMax} ppm, got ${ppm}`);
    const nowMs = this.virtualNowMs();
    this.offsetMs = this.exactMs() - nowMs;
    this.driftSinceMs = nowMs;
    this.driftPpm = ppm;
    this.onFault('FaultClockDrift', { ppm });
  }

  private jump(jumpMs: number): void {
    if (!Number.isFinite(jumpMs)) throw new Error(`wall clock jump must be finite, got ${jumpMs}`);
    if (jumpMs < 0) this.shownMaxMs = Math.max(this.shownMaxMs, this.wallClockMs());
    this.offsetMs += jumpMs;
    this.onFault('FaultClockJump', { jumpMs, wallClockMs: this.wallClockMs() });
  }
}
