/**
 * Committed group offsets on a cluster live in an internal, replicated topic, as in Kafka: group g
 * belongs to partition offsetsPartitionFor(g) of `__consumer_offsets`, and the leader of that
 * partition is the group's coordinator. A commit is answered once its record is below the
 * partition's high watermark (on every ISR member, durably), so a new leader elected from the ISR
 * has every answered commit, and committed offsets survive the coordinator's crash.
 *
 * PartitionOffsetStore is the OffsetStore of one such partition while this broker leads it: load()
 * waits until everything in the leader's log is committed (the high watermark reaches the log end it
 * saw on taking over), then replays the records; append() writes one batch in the leader's epoch and
 * resolves when the high watermark passes it. The records are the offsets file's payloads
 * (offset-record-codec.ts), one per Kafka record value. The topic is not compacted: it keeps every
 * record (docs/replication.md).
 */
import { unreachable } from '../assert.ts';
import { sleep, type Io } from '../io/index.ts';
import { encodeRecordBatch, decodeRecords, splitBatches } from '../log/record-batch.ts';
import { decodeOffsetsFileRecord, encodeGroupDeletion, encodeOffsetRecord, encodePartitionDeletion } from '../group/offset-record-codec.ts';
import { OffsetStoreFormatError, type OffsetStore, type OffsetStoreLoad } from '../group/offset-store.ts';
import type { CommittedOffset, OffsetPartitionKey } from '../group/types.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Partition } from '../broker/topic-store.ts';
import type { PartitionReplica } from './partition-replica.ts';

export const offsetsTopicName = '__consumer_offsets';

/** Pause before a loading coordinator looks at the high watermark again after a wait ended without it. */
const loadRetryMs = 50;

/** Bytes read per step while replaying an offsets partition. */
const replayReadBytes = 1024 * 1024;

/** The partition of the offsets topic (of `partitionCount`) that holds `groupId`: FNV-1a of its UTF-16 units. */
export function offsetsPartitionFor(groupId: string, partitionCount: number): number {
  let h = 2166136261;
  for (let i = 0; i < groupId.length; i++) h = Math.imul(h ^ groupId.charCodeAt(i), 16777619) >>> 0;
  return h % partitionCount;
}

/** An offsets write that did not reach the ISR (the commit is answered COORDINATOR_NOT_AVAILABLE). */
export class OffsetsWriteError extends Error {
  override name = 'OffsetsWriteError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class PartitionOffsetStore implements OffsetStore {
  constructor(
    private readonly io: Io,
    private readonly partition: Partition,
    private readonly replica: PartitionReplica,
    /** The leader epoch this store writes in; a write after it ended fails. */
    private readonly leaderEpoch: number,
    private readonly writeTimeoutMs: number,
    /** Test-only planted bug (ReplicationBugs.offsetsAckBeforeReplication). */
    private readonly ackBeforeReplication = false,
  ) {}

  private get current(): boolean {
    return this.replica.leading && this.replica.leaderEpoch === this.leaderEpoch && this.partition.log !== null;
  }

  /**
   * Waits (while this leadership lasts) until the high watermark reaches the log end seen now, so
   * that nothing replayed can still be truncated, then replays the partition from its start.
   */
  async load(): Promise<OffsetStoreLoad> {
    const log = this.partition.log;
    if (log === null || !this.current) throw new OffsetsWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'not the leader of the offsets partition');
    const end = log.logEndOffset;
    while (this.replica.highWatermark < end) {
      const code = await this.replica.waitForHighWatermark(end - 1n, this.writeTimeoutMs);
      if (!this.current) throw new OffsetsWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'leadership of the offsets partition ended while loading');
      if (code !== ErrorCode.NONE && code !== ErrorCode.REQUEST_TIMED_OUT && code !== ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND) {
        throw new OffsetsWriteError(code, `loading the offsets partition: error ${code}`);
      }
      // An answer that came without the HW moving (never by the rules; a planted bug can) must not spin.
      if (this.replica.highWatermark < end) await sleep(this.io.clock, loadRetryMs);
    }
    const latest = new Map<string, CommittedOffset>();
    let offset = log.logStartOffset;
    while (offset < end) {
      const bytes = await log.read(offset, replayReadBytes);
      const split = splitBatches(bytes, bytes.length);
      if (!split.ok || split.spans.length === 0) break;
      for (const span of split.spans) {
        for (const record of decodeRecords(bytes, span.position)) {
          if (record.offset < offset || record.value === null) continue;
          replay(latest, record.value, `${this.partition.topic.name}-${this.partition.index}@${record.offset}`);
        }
        offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
      }
    }
    return { offsets: [...latest.values()], truncatedBytes: 0, truncationReason: null, compacted: false };
  }

  append(records: readonly CommittedOffset[]): Promise<void> {
    return this.write(records.map(encodeOffsetRecord));
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return this.write(groupIds.map(encodeGroupDeletion));
  }

  deleteOffsets(groupId: string, partitions: readonly OffsetPartitionKey[]): Promise<void> {
    return this.write(partitions.map((p) => encodePartitionDeletion(groupId, p.topic, p.partition)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Appends `payloads` as one batch in this leadership's epoch; resolves once the ISR has it. */
  private async write(payloads: readonly Uint8Array[]): Promise<void> {
    const log = this.partition.log;
    if (payloads.length === 0) return;
    if (log === null || !this.current) throw new OffsetsWriteError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'no longer the leader of the offsets partition');
    if (!this.replica.enoughReplicas()) throw new OffsetsWriteError(ErrorCode.NOT_ENOUGH_REPLICAS, 'the offsets partition has fewer in-sync replicas than min.insync.replicas');
    const batch = encodeRecordBatch({
      records: payloads.map((value) => ({ key: null, value })),
      baseTimestamp: BigInt(this.io.clock.wallClockMs()),
      partitionLeaderEpoch: this.leaderEpoch,
    });
    const bytes = batch.length;
    const result = await log.append(batch);
    this.partition.notifyAppended(bytes);
    if (this.ackBeforeReplication) return;
    const code = await this.replica.waitForHighWatermark(result.lastOffset, this.writeTimeoutMs);
    if (code !== ErrorCode.NONE) throw new OffsetsWriteError(code, `the offsets record was not replicated: error ${code}`);
  }
}

function replay(latest: Map<string, CommittedOffset>, payload: Uint8Array, where: string): void {
  const decoded = decodeOffsetsFileRecord(payload);
  if (typeof decoded === 'string') throw new OffsetStoreFormatError(`${where}: ${decoded}`);
  switch (decoded.kind) {
    case 'group-deleted':
      for (const [key, r] of [...latest]) if (r.groupId === decoded.groupId) latest.delete(key);
      return;
    case 'partition-deleted':
      latest.delete(keyOf(decoded.groupId, decoded.topic, decoded.partition));
      return;
    case 'offset': {
      const key = keyOf(decoded.record.groupId, decoded.record.topic, decoded.record.partition);
      latest.delete(key); // re-inserted: the latest commit comes last
      latest.set(key, decoded.record);
      return;
    }
    default:
      unreachable(decoded);
  }
}

function keyOf(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`;
}
