/**
 * What a leader knows about one follower's log (etcd's tracker.Progress), with a bounded in-flight
 * window of append messages.
 *
 * - probe: the leader does not know where the logs diverge; one append at a time, next one after a
 *   response or a heartbeat response.
 * - replicate: appends are pipelined optimistically, up to `inflightMax` unacknowledged messages.
 * - snapshot: a snapshot was sent; appends wait until it is acknowledged (or given up on).
 */
import { assert } from '../assert.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** Heartbeat responses after which an unacknowledged snapshot is assumed lost and resent. */
const snapshotHeartbeatsMax = 4;

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append was sent and no answer came yet. */
  probeSent = false;
  /** snapshot: index of the snapshot being sent. */
  pendingSnapshot = 0;
  private snapshotHeartbeats = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** Last index of each unacknowledged append, oldest first (replicate state only). */
  private readonly inflight: number[] = [];

  constructor(
    next: number,
    private readonly inflightMax: number,
  ) {
    assert(next >= 1 && inflightMax >= 1, 'progress bounds');
    this.next = next;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.inflightMax;
      case 'snapshot':
        return true;
    }
  }

  inflightCount(): number {
    return this.inflight.length;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset('replicate');
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotHeartbeats = 0;
    this.inflight.length = 0;
  }

  /** An append ending at `lastIndex` (with `entryCount` entries) was sent. */
  sentEntries(lastIndex: number, entryCount: number): void {
    switch (this.state) {
      case 'replicate':
        if (entryCount > 0) {
          assert(this.inflight.length < this.inflightMax, 'inflight window overflow');
          this.inflight.push(lastIndex);
          this.next = lastIndex + 1;
        }
        return;
      case 'probe':
        this.probeSent = true;
        return;
      case 'snapshot':
        assert(false, 'no appends in snapshot state');
    }
  }

  /** The follower acknowledged up to `index`. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && (this.inflight[0] ?? 0) <= index) this.inflight.shift();
    return updated;
  }

  /**
   * The follower rejected an append at `rejected`; `matchHint` is where the logs may agree.
   * Returns false when the rejection is stale (answers an older append).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** A heartbeat response arrived: unstick a full window or a lost probe or snapshot. */
  onHeartbeatResponse(): void {
    this.probeSent = false;
    if (this.state === 'replicate' && this.inflight.length >= this.inflightMax) this.inflight.shift();
    if (this.state === 'snapshot' && ++this.snapshotHeartbeats >= snapshotHeartbeatsMax) this.becomeProbe();
  }
}
