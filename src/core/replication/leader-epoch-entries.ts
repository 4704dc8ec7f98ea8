/**
 * The leader-epoch history of one partition log (Kafka's leader-epoch-checkpoint, KIP-101): for each
 * leader epoch that wrote records, the offset of its first record. Entries are strictly increasing in
 * both epoch and start offset; epoch e covers [start(e), start(next entry)) or, for the latest, up to
 * the log end. Every replica keeps it, and OffsetForLeaderEpoch answers from it, which is how a
 * follower finds where its log parts from the leader's (divergence.ts).
 *
 * Pure; leader-epoch-cache.ts keeps it on disk.
 */
import { assert, assertionFailed } from '../assert.ts';
import { leaderEpochEntriesMax } from '../limits.ts';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

/** An OffsetForLeaderEpoch answer: the epoch found and where it ends. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: bigint;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const undefinedEpoch = -1;
export const undefinedEpochOffset = -1n;
export const undefinedEpochEnd: EpochEndOffset = { epoch: undefinedEpoch, endOffset: undefinedEpochOffset };

/** What assign() did. */
export type AssignResult =
  | 'appended' // a new latest entry
  | 'replaced' // a new latest entry that replaced epochs which wrote nothing (same start offset)
  | 'unchanged' // the epoch is already the latest (its start stays where it was)
  | 'ignored-stale'; // an epoch older than the latest: Kafka logs and ignores it, so do we

export class LeaderEpochEntries {
  private list: EpochEntry[] = [];

  constructor(entries: readonly EpochEntry[] = []) {
    for (const e of entries) {
      const last = this.latest();
      assert(last === null || (e.epoch > last.epoch && e.startOffset > last.startOffset), `epoch entries strictly increase (${describe(last)} then ${describe(e)})`);
      assertValid(e.epoch, e.startOffset);
      this.list.push(e);
    }
    assert(this.list.length <= leaderEpochEntriesMax, `at most ${leaderEpochEntriesMax} epoch entries`);
  }

  entries(): readonly EpochEntry[] {
    return this.list;
  }

  latest(): EpochEntry | null {
    return this.list[this.list.length - 1] ?? null;
  }

  earliest(): EpochEntry | null {
    return this.list[0] ?? null;
  }

  /**
   * Records that `epoch` begins at `startOffset`, called with each batch appended (leader or
   * follower) and when a leader starts its epoch.
   *
   * - An epoch older than the latest is ignored (as Kafka does): the log's batches carry epochs in
   *   non-decreasing order, so it is a batch from before the latest entry.
   * - The latest epoch again: nothing changes (its start is its first record's offset).
   * - A newer epoch at the same start offset as the latest entry replaces it: that epoch wrote no
   *   records (a leader that was elected and replaced before anything reached its log).
   * - A newer epoch at a start offset below the latest entry's is an assertion. Kafka removes every
   *   entry whose start offset is at or past the new one and logs a warning; here the log and its
   *   epochs are truncated together (truncateFromEnd after the log's own truncation), so an offset
   *   going back means a caller forgot that step, and rewriting history silently would hide it.
   */
  assign(epoch: number, startOffset: bigint): AssignResult {
    assertValid(epoch, startOffset);
    const last = this.latest();
    if (last !== null && epoch < last.epoch) return 'ignored-stale';
    if (last !== null && epoch === last.epoch) return 'unchanged';
    if (last !== null) {
      assert(startOffset >= last.startOffset, `epoch ${epoch} starts at ${startOffset}, not before the latest entry ${describe(last)} (truncateFromEnd first)`);
    }
    let result: AssignResult = 'appended';
    if (last !== null && startOffset === last.startOffset) {
      this.list.pop();
      result = 'replaced';
    }
    this.list.push({ epoch, startOffset });
    // The oldest epochs are forgotten beyond the limit: asked about, they answer UNDEFINED, and the
    // follower that asked falls back to its high watermark, which is far past them.
    if (this.list.length > leaderEpochEntriesMax) this.list.shift();
    return result;
  }

  /**
   * OffsetForLeaderEpoch (KIP-101, KIP-279): the largest epoch <= `requestedEpoch` this log holds,
   * and where it ends: the start offset of the first epoch above `requestedEpoch`, or `logEndOffset`
   * when `requestedEpoch` is the latest. UNDEFINED (-1, -1) when the log holds no epoch <= requested
   * (including an empty history and requestedEpoch = -1) or only epochs below it while it is newer
   * than the latest (a leader answers FENCED_LEADER_EPOCH to that before it gets here).
   *
   * Below the first epoch: UNDEFINED, as KIP-101 specified it; the asker then falls back to its high
   * watermark. (Later Kafka answers (requestedEpoch, first start offset) instead; UNDEFINED is the
   * more conservative of the two, and the asker never truncates below its HW either way.)
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    const last = this.latest();
    if (last === null || requestedEpoch < 0) return undefinedEpochEnd;
    assert(logEndOffset >= last.startOffset, `the log end ${logEndOffset} is at or past the latest epoch start ${describe(last)}`);
    if (requestedEpoch === last.epoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    if (requestedEpoch > last.epoch) return undefinedEpochEnd;
    const higher = this.list.findIndex((e) => e.epoch > requestedEpoch);
    if (higher <= 0) return undefinedEpochEnd; // every entry is above the requested epoch
    const floor = this.list[higher - 1] as EpochEntry;
    return { epoch: floor.epoch, endOffset: (this.list[higher] as EpochEntry).startOffset };
  }

  /** After the log is truncated to end at `endOffset`: drops the epochs that start at or past it. */
  truncateFromEnd(endOffset: bigint): boolean {
    assert(endOffset >= 0n, 'an end offset is not negative');
    const before = this.list.length;
    while ((this.latest()?.startOffset ?? -1n) >= endOffset) this.list.pop();
    return this.list.length !== before;
  }

  /**
   * After the log start moves to `startOffset` (retention, DeleteRecords): drops the epochs that end
   * at or before it, and moves the first remaining epoch's start up to it (the epoch still covers
   * the records from there on). An entry that starts exactly at `startOffset` stays as it is.
   */
  truncateFromStart(startOffset: bigint): boolean {
    assert(startOffset >= 0n, 'a start offset is not negative');
    let covering = -1;
    while (covering + 1 < this.list.length && (this.list[covering + 1] as EpochEntry).startOffset <= startOffset) covering++;
    if (covering < 0) return false;
    const first = this.list[covering] as EpochEntry;
    if (covering === 0 && first.startOffset === startOffset) return false;
    this.list.splice(0, covering + 1, { epoch: first.epoch, startOffset });
    return true;
  }
}

/** The header fields of one batch as rebuildFromBatches needs them. */
export interface BatchEpoch {
  readonly baseOffset: bigint;
  readonly partitionLeaderEpoch: number;
}

/**
 * The epoch history read back from a log's batch headers, in log order, when the checkpoint is
 * missing or damaged. Batches without an epoch (-1: written before epochs existed) carry none.
 */
export function rebuildFromBatches(batches: Iterable<BatchEpoch>): LeaderEpochEntries {
  const entries = new LeaderEpochEntries();
  for (const b of batches) {
    if (b.partitionLeaderEpoch < 0) continue;
    entries.assign(b.partitionLeaderEpoch, b.baseOffset);
  }
  return entries;
}

function assertValid(epoch: number, startOffset: bigint): void {
  if (!(Number.isInteger(epoch) && epoch >= 0 && epoch <= 0x7fff_ffff)) assertionFailed(`epoch ${epoch} is a non-negative int32`);
  if (startOffset < 0n) assertionFailed(`start offset ${startOffset} is not negative`);
}

function describe(e: EpochEntry | null): string {
  return e === null ? 'none' : `(epoch ${e.epoch}, start ${e.startOffset})`;
}
