/**
 * The leader's view of one partition: where each replica is, which followers are caught up, and the
 * high watermark (HW), the offset below which every record is on every member of the ISR and so may
 * be shown to consumers and acknowledged to acks=all producers.
 *
 * Pure: no I/O, and time enters as an argument (`nowMs`). The driver feeds it the leader's appends
 * and fsyncs and the followers' fetches, and asks it what to propose to the controller.
 *
 * Positions are durable ends. A follower fetches only from its own durable log end, so the offset it
 * fetches at is durable on it; the leader's position is its own durable end, not its log end. The
 * HW is therefore never above data that a crash could take back.
 *
 * The ISR the leader acts on is the one the controller has committed. While a change is in flight
 * (`proposeIsr`, until `setIsr` or `abortIsrChange`), the HW is computed over the union of the
 * committed and the proposed ISR (Kafka's "maximal ISR"): a shrink does not take effect before the
 * controller has it, and a follower being added already holds the HW back, so whichever way the
 * controller decides, the HW never got ahead of a member of the resulting ISR.
 */
import { assert, assertionFailed } from '../assert.ts';

export type BrokerId = number;

export interface LeaderStateInit {
  readonly leaderId: BrokerId;
  readonly leaderEpoch: number;
  /** Every replica of the partition (the assignment), leader included. */
  readonly replicas: readonly BrokerId[];
  /** The committed ISR, leader included. */
  readonly isr: readonly BrokerId[];
  /** The leader's log end offset when it became leader: the start offset of its epoch. */
  readonly logEndOffset: bigint;
  /** The leader's durable log end (at most logEndOffset). */
  readonly durableEnd: bigint;
  /** The HW this broker knew as a follower (min of the old leader's HW and its own durable end). */
  readonly highWatermark: bigint;
  readonly nowMs: number;
}

/** What an input did to the HW. */
export interface HighWatermarkUpdate {
  readonly highWatermark: bigint;
  readonly advanced: boolean;
}

/** The leader's knowledge of one follower. */
interface FollowerProgress {
  /** The follower's durable end as of its last fetch; null until it fetches from this leader. */
  position: bigint | null;
  /** The leader's log end offset when the follower last fetched (null: none yet). */
  leaderEndAtLastFetch: bigint | null;
  lastFetchMs: number;
  /** The last time the follower was known to hold everything the leader had (see onFollowerFetch). */
  lastCaughtUpMs: number;
}

export class LeaderState {
  readonly leaderId: BrokerId;
  readonly leaderEpoch: number;
  /** The leader's log end when this epoch began: a follower joins the ISR only once it has reached it. */
  readonly epochStartOffset: bigint;
  private readonly replicas: readonly BrokerId[];
  private readonly followers = new Map<BrokerId, FollowerProgress>();
  private committedIsr: readonly BrokerId[];
  private pendingIsr: readonly BrokerId[] | null = null;
  private logEnd: bigint;
  private durable: bigint;
  private hw: bigint;

  constructor(init: LeaderStateInit) {
    assert(init.replicas.includes(init.leaderId), 'the leader is one of the replicas');
    assert(new Set(init.replicas).size === init.replicas.length, 'replicas are distinct');
    assert(init.durableEnd <= init.logEndOffset, 'the durable end is within the log');
    assert(init.highWatermark >= 0n && init.highWatermark <= init.durableEnd, 'the initial HW is within the durable log');
    this.leaderId = init.leaderId;
    this.leaderEpoch = init.leaderEpoch;
    this.replicas = [...init.replicas];
    this.epochStartOffset = init.logEndOffset;
    this.logEnd = init.logEndOffset;
    this.durable = init.durableEnd;
    this.hw = init.highWatermark;
    this.committedIsr = this.checkedIsr(init.isr);
    // Followers in the ISR count as caught up now, so a new leader does not drop them before they
    // have had a chance to fetch; the others have never been caught up from this leader's view.
    // Nobody's position is known until it fetches, which keeps the HW where it is until then.
    for (const id of this.replicas) {
      if (id === this.leaderId) continue;
      const inIsr = this.committedIsr.includes(id);
      this.followers.set(id, {
        position: null,
        leaderEndAtLastFetch: inIsr ? init.logEndOffset : null,
        lastFetchMs: init.nowMs,
        lastCaughtUpMs: inIsr ? init.nowMs : Number.NEGATIVE_INFINITY,
      });
    }
  }

  highWatermark(): bigint {
    return this.hw;
  }

  logEndOffset(): bigint {
    return this.logEnd;
  }

  durableEnd(): bigint {
    return this.durable;
  }

  /** The committed ISR. */
  isr(): readonly BrokerId[] {
    return this.committedIsr;
  }

  /** The ISR proposed to the controller and not yet answered, or null. */
  pendingIsrChange(): readonly BrokerId[] | null {
    return this.pendingIsr;
  }

  /** The replicas the HW waits for: the committed ISR plus, while a change is in flight, the proposed one. */
  maximalIsr(): readonly BrokerId[] {
    if (this.pendingIsr === null) return this.committedIsr;
    return [...new Set([...this.committedIsr, ...this.pendingIsr])];
  }

  /** The follower's durable end as of its last fetch (null before its first fetch from this leader). */
  followerPosition(id: BrokerId): bigint | null {
    return this.follower(id).position;
  }

  /**
   * A fetch from follower `id` at `fetchOffset` (its durable end) at `nowMs`. The caller has already
   * answered OFFSET_OUT_OF_RANGE to a fetch beyond the leader's log end, so here it is an assertion.
   *
   * Caught-up rule (Kafka's, from Replica.updateFetchState, in our words): a follower that asks for
   * the offset at or past the leader's log end holds everything the leader has, so it is caught up
   * now. One that asks for an offset at or past what the leader's log end was at its previous fetch
   * holds everything that existed then, so it was caught up at the time of that previous fetch. Under
   * steady produce load a follower is always one fetch behind the current end; the second half of
   * the rule is what keeps such a follower in the ISR. lastCaughtUpMs only moves forward.
   */
  onFollowerFetch(id: BrokerId, fetchOffset: bigint, nowMs: number): HighWatermarkUpdate {
    const f = this.follower(id);
    if (!(fetchOffset >= 0n && fetchOffset <= this.logEnd)) assertionFailed(`follower ${id} fetches at ${fetchOffset}, within the leader's log (end ${this.logEnd})`);
    if (fetchOffset >= this.logEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, nowMs);
    else if (f.leaderEndAtLastFetch !== null && fetchOffset >= f.leaderEndAtLastFetch) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.leaderEndAtLastFetch = this.logEnd;
    f.lastFetchMs = nowMs;
    f.position = fetchOffset;
    return this.recompute();
  }

  /** The leader appended to its log (not yet durable: the HW does not move). */
  onLeaderAppend(newLogEndOffset: bigint): void {
    if (newLogEndOffset < this.logEnd) assertionFailed(`the leader's log end only grows (${this.logEnd} -> ${newLogEndOffset})`);
    this.logEnd = newLogEndOffset;
  }

  /** The leader's log is durable up to `durableEnd`. */
  onLeaderDurable(durableEnd: bigint): HighWatermarkUpdate {
    if (durableEnd > this.logEnd) assertionFailed(`the durable end ${durableEnd} is within the log (end ${this.logEnd})`);
    if (durableEnd < this.durable) assertionFailed(`the leader's durable end only grows (${this.durable} -> ${durableEnd})`);
    this.durable = durableEnd;
    return this.recompute();
  }

  /**
   * Followers of the committed ISR that have not been caught up for longer than `replicaLagTimeMaxMs`
   * (a follower whose position equals the leader's log end is never one: with no new writes there is
   * nothing for it to be behind on). Empty while an ISR change is in flight: one change at a time.
   */
  isrShrinkCandidates(nowMs: number, replicaLagTimeMaxMs: number): BrokerId[] {
    if (this.pendingIsr !== null) return [];
    return this.committedIsr.filter((id) => {
      if (id === this.leaderId) return false;
      const f = this.follower(id);
      if (f.position === this.logEnd) return false;
      return nowMs - f.lastCaughtUpMs > replicaLagTimeMaxMs;
    });
  }

  /**
   * Replicas outside the committed ISR whose position has reached both the HW and the start offset of
   * this leader's epoch (a follower below the epoch start may still hold a tail from an older epoch
   * that it has yet to truncate). Empty while an ISR change is in flight. Time plays no part here.
   */
  isrExpandCandidates(): BrokerId[] {
    if (this.pendingIsr !== null) return [];
    return this.replicas.filter((id) => {
      if (this.committedIsr.includes(id)) return false;
      const position = this.follower(id).position;
      return position !== null && position >= this.hw && position >= this.epochStartOffset;
    });
  }

  /** Marks `isr` as proposed to the controller; the HW waits for the union until the answer. */
  proposeIsr(isr: readonly BrokerId[]): HighWatermarkUpdate {
    assert(this.pendingIsr === null, 'one ISR change in flight at a time');
    this.pendingIsr = this.checkedIsr(isr);
    return this.recompute();
  }

  /** The controller committed `isr` (the answer to a proposal, or a change of its own). */
  setIsr(isr: readonly BrokerId[]): HighWatermarkUpdate {
    this.committedIsr = this.checkedIsr(isr);
    this.pendingIsr = null;
    return this.recompute();
  }

  /** The proposal was refused or lost: back to the committed ISR alone. */
  abortIsrChange(): HighWatermarkUpdate {
    this.pendingIsr = null;
    return this.recompute();
  }

  /**
   * HW = the smallest position over the maximal ISR, the leader's durable end included, and only ever
   * forward: a member whose position is unknown, or behind (one the controller added while it was
   * behind, or one that truncated), holds the HW where it is instead of pulling it back.
   */
  private recompute(): HighWatermarkUpdate {
    let candidate = this.durable;
    for (const id of this.maximalIsr()) {
      if (id === this.leaderId) continue;
      const position = this.follower(id).position;
      if (position === null) return { highWatermark: this.hw, advanced: false };
      if (position < candidate) candidate = position;
    }
    if (candidate <= this.hw) return { highWatermark: this.hw, advanced: false };
    this.hw = candidate;
    return { highWatermark: this.hw, advanced: true };
  }

  private follower(id: BrokerId): FollowerProgress {
    const f = this.followers.get(id);
    if (f === undefined) assertionFailed(`broker ${id} is a follower of this partition (replicas ${this.replicas.join(',')}, leader ${this.leaderId})`);
    return f;
  }

  private checkedIsr(isr: readonly BrokerId[]): readonly BrokerId[] {
    if (!isr.includes(this.leaderId)) assertionFailed(`the ISR [${isr.join(',')}] includes the leader ${this.leaderId}`);
    assert(new Set(isr).size === isr.length, 'ISR members are distinct');
    for (const id of isr) if (!this.replicas.includes(id)) assertionFailed(`ISR member ${id} is a replica`);
    return [...isr];
  }
}

/**
 * A follower's own HW after a fetch response: the leader's HW, but never above its own durable end
 * (it may not yet hold what the leader counts), and never backwards.
 */
export function followerHighWatermark(current: bigint, leaderHighWatermark: bigint, durableEnd: bigint): bigint {
  const offered = leaderHighWatermark < durableEnd ? leaderHighWatermark : durableEnd;
  return offered > current ? offered : current;
}
