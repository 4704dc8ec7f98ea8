/**
 * Segment roll by age, seen from the clients' history and the broker's segment files: a topic's
 * `segment.ms` is a duration, so it holds on the monotonic clock whatever the wall clock does (a
 * step back, a step forward, drift).
 *
 * The rule (`roll-overdue`): if acknowledged write A completed at least `segmentMs` before write B
 * was sent (both on one partition, in virtual time, which the simulated clients and the broker
 * share), B's records are not in the segment that holds A's last record. The log takes a segment's
 * age from its first append since the log was opened, which came no later than A's completion, and
 * decides to roll before it writes B, which it does after B was sent. The rule holds only where the
 * log was not reopened between A and B (a reopen restarts the segment's age): the caller gives the
 * window with no reopen (`fromMs`) and every restart of the node (`resetsMs`), and a B that only
 * repeats values sent before (an idempotent retry, answered with the first attempt's offsets) is
 * never a B.
 */

/** One acknowledged produce, as the check needs it. */
export interface AckedWrite {
  readonly partition: number;
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly invokeMs: number;
  readonly completeMs: number;
  /** Whether the values were sent for the first time (not a retry answered from the producer state). */
  readonly firstSend: boolean;
}

export interface RollCheck {
  readonly writes: readonly AckedWrite[];
  /** Base offsets of the partition's segments on disk at the end (sorted or not). */
  readonly segmentBases: ReadonlyMap<number, readonly bigint[]>;
  readonly segmentMs: number;
  /** Writes sent before this are not looked at (the log may have been reopened up to then). */
  readonly fromMs: number;
  /** When the node restarted: no pair of writes across one is compared. */
  readonly resetsMs: readonly number[];
  /** When the wall clock jumped back (only counted: pairs across one are what a wall-clock age gets wrong). */
  readonly backwardJumpsMs?: readonly number[];
}

export interface RollCheckResult {
  /** `roll-overdue: ...` lines, at most `max`. */
  readonly findings: string[];
  /** Pairs that had to be in different segments and were, with a backward clock jump between them. */
  readonly rollsAcrossBackwardJumps: number;
}

/** The `roll-overdue` findings (none when the rule holds; at most `max`). */
export function checkSegmentRolls(check: RollCheck, max = 10): RollCheckResult {
  const findings: string[] = [];
  let rollsAcrossBackwardJumps = 0;
  for (const [partition, unsorted] of check.segmentBases) {
    const bases = [...unsorted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (bases.length === 0) continue;
    const segmentOf = (offset: bigint): bigint | null => {
      if (offset < bases[0]!) return null; // deleted by retention: its segment is unknown
      let found = bases[0]!;
      for (const base of bases) if (base <= offset) found = base;
      return found;
    };
    const writes = check.writes.filter((w) => w.partition === partition && w.invokeMs >= check.fromMs);
    const byCompletion = [...writes].sort((a, b) => a.completeMs - b.completeMs);
    for (const b of writes) {
      if (!b.firstSend) continue;
      const dueMs = b.invokeMs - check.segmentMs;
      const resetMs = Math.max(Number.NEGATIVE_INFINITY, ...check.resetsMs.filter((t) => t <= b.invokeMs));
      // The write with the highest offset among those old enough: if even it shares B's segment, the roll is overdue.
      let a: AckedWrite | null = null;
      for (const w of byCompletion) {
        if (w.completeMs > dueMs) break;
        if (w.invokeMs < resetMs) continue;
        if (a === null || w.lastOffset > a.lastOffset) a = w;
      }
      if (a === null || a.lastOffset >= b.firstOffset) continue;
      const segmentA = segmentOf(a.lastOffset);
      if (segmentA === null) continue;
      if (segmentA !== segmentOf(b.firstOffset)) {
        const completedMs = a.completeMs;
        if ((check.backwardJumpsMs ?? []).some((t) => t >= completedMs && t <= b.invokeMs)) rollsAcrossBackwardJumps++;
        continue;
      }
      findings.push(
        `roll-overdue: partition ${partition}: offset ${b.firstOffset} (sent at ${Math.round(b.invokeMs)} ms) is in the segment at ${segmentA} with offset ${a.lastOffset} (acknowledged at ${Math.round(a.completeMs)} ms, ${Math.round(b.invokeMs - a.completeMs)} ms before), although segment.ms is ${check.segmentMs}`,
      );
      if (findings.length >= max) return { findings, rollsAcrossBackwardJumps };
      break; // one finding per partition
    }
  }
  return { findings, rollsAcrossBackwardJumps };
}
