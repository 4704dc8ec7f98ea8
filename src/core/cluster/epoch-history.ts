/**
 * The leader epochs of one partition's log: (epoch, start offset) pairs, both strictly increasing
 * (Kafka's leader-epoch cache). A leader adds its epoch at its log end when it takes over; a follower
 * adds each new epoch it sees in the batches it copies. Rebuilt from the log's batch headers when a
 * replica starts (every batch carries the epoch of the leader that wrote it), so it needs no file of
 * its own.
 *
 * endOffsetFor answers OffsetForLeaderEpoch the way Kafka's LeaderEpochFileCache does: for the
 * latest epoch, the log end; for an older one, the start offset of the first epoch after it, with
 * the largest known epoch at or below the one asked; UNDEFINED (-1, -1) when every known epoch is
 * below the one asked and it is not the latest, or when nothing is known.
 */
import { assert } from '../assert.ts';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

export const undefinedEpochEnd = { epoch: -1, endOffset: -1n } as const;

export class EpochHistory {
  private entries: EpochEntry[] = [];

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /**
   * Records that `epoch` starts at `startOffset`. An epoch at or below the latest is ignored. Entries
   * starting at or after `startOffset` are dropped first (their batches were cut by a truncation).
   */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0 || epoch <= this.latestEpoch) return;
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    if (epoch <= this.latestEpoch) return;
    this.entries.push({ epoch, startOffset });
  }

  endOffsetFor(epoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    if (epoch < 0 || this.entries.length === 0) return undefinedEpochEnd;
    if (epoch === this.latestEpoch) return { epoch, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > epoch);
    if (higher === undefined) return undefinedEpochEnd;
    const floor = [...this.entries].reverse().find((e) => e.epoch <= epoch);
    return { epoch: floor?.epoch ?? epoch, endOffset: higher.startOffset };
  }

  /** Forgets the epochs whose batches a truncation to `offset` removed. */
  truncateFromEnd(offset: bigint): void {
    this.entries = this.entries.filter((e) => e.startOffset < offset);
  }

  /** Rebuilds from a log's batch headers, oldest first. */
  static fromBatches(batches: Iterable<{ readonly baseOffset: bigint; readonly partitionLeaderEpoch: number }>): EpochHistory {
    const history = new EpochHistory();
    for (const b of batches) {
      assert(b.baseOffset >= (history.entries.at(-1)?.startOffset ?? -1n), 'batches in offset order');
      history.assign(b.partitionLeaderEpoch, b.baseOffset);
    }
    return history;
  }
}
