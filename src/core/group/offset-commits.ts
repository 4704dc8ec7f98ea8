/**
 * OffsetCommit and OffsetFetch over the in-memory cache, with the "durable before acknowledged" rule:
 * an accepted commit becomes a persist-offsets effect, and only offsetsPersisted(token, true) puts
 * its records in the cache and answers the client. The offsets of a deleted group leave the same
 * way (persist-group-deletions, then the cache), and so do single partitions' offsets
 * (persist-offset-deletions, OffsetDelete). Both complete in the order they were accepted.
 */
import { assert } from '../assert.ts';
import { GroupErrorCode } from './error-codes.ts';
import { OffsetCache } from './offset-cache.ts';
import type {
  CommittedOffset,
  DeleteGroupsResult,
  GroupEffect,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  OffsetDeleteResponse,
  OffsetFetchResponsePartition,
  OffsetPartitionKey,
  Reply,
  ReplyToken,
} from './types.ts';

const E = GroupErrorCode;
const utf8 = new TextEncoder();

interface OffsetCommitsConfig {
  readonly offsetMetadataBytesMax: number;
  readonly offsetCommitsInFlightMax: number;
  readonly committedOffsetKeysMax: number;
}

type InFlight = InFlightCommit | InFlightGroupDeletion | InFlightOffsetDeletion;

interface InFlightOffsetDeletion {
  readonly kind: 'delete-offsets';
  readonly token: ReplyToken;
  readonly groupId: string;
  readonly partitions: readonly OffsetPartitionKey[];
  /** The answer decided at validation (NONE for the partitions being deleted). */
  readonly response: OffsetDeleteResponse;
}

interface InFlightGroupDeletion {
  readonly kind: 'delete-groups';
  readonly token: ReplyToken;
  readonly groupIds: readonly string[];
  /** Every group of the request with the code decided at validation (NONE for the ones being deleted). */
  readonly results: readonly DeleteGroupsResult[];
}

interface InFlightCommit {
  readonly kind: 'commit';
  readonly token: ReplyToken;
  readonly records: readonly CommittedOffset[];
  /** Per topic, per partition: the code decided at validation (NONE for the ones being persisted). */
  readonly codes: { name: string; partitions: { partitionIndex: number; errorCode: GroupErrorCode }[] }[];
}

export class OffsetCommits {
  private readonly cache = new OffsetCache();
  private readonly inFlight: InFlight[] = [];

  constructor(
    private readonly config: OffsetCommitsConfig,
    private readonly emit: (effect: GroupEffect) => void,
    private readonly nextToken: () => ReplyToken,
  ) {}

  load(record: CommittedOffset): void {
    this.cache.put(record);
  }

  hasGroup(groupId: string): boolean {
    return this.cache.hasGroup(groupId);
  }

  groupIds(): string[] {
    return this.cache.groupIds();
  }

  /** Every durable committed offset (see OffsetCache.all). */
  committed(): IterableIterator<CommittedOffset> {
    return this.cache.all();
  }

  /** `groupError` is the coordinator's verdict on generation and membership (NONE: go ahead). */
  commit(req: OffsetCommitRequest, groupError: GroupErrorCode, wallClockMs: number): Reply<OffsetCommitResponse> {
    if (groupError !== E.NONE) return { kind: 'done', response: allPartitions(req, groupError) };
    if (this.full) {
      return { kind: 'done', response: allPartitions(req, E.COORDINATOR_NOT_AVAILABLE) };
    }
    const records: CommittedOffset[] = [];
    let newKeys = 0;
    const codes = req.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => {
        const metadataBytes = p.committedMetadata === null ? 0 : utf8.encode(p.committedMetadata).length;
        if (metadataBytes > this.config.offsetMetadataBytesMax) {
          return { partitionIndex: p.partitionIndex, errorCode: E.OFFSET_METADATA_TOO_LARGE as GroupErrorCode };
        }
        const isNew = this.cache.get(req.groupId, topic.name, p.partitionIndex) === undefined;
        if (isNew && this.cache.size + newKeys >= this.config.committedOffsetKeysMax) {
          return { partitionIndex: p.partitionIndex, errorCode: E.UNKNOWN_SERVER_ERROR as GroupErrorCode };
        }
        if (isNew) newKeys += 1;
        records.push({
          groupId: req.groupId,
          topic: topic.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
          commitTimestampMs: wallClockMs,
        });
        return { partitionIndex: p.partitionIndex, errorCode: E.NONE as GroupErrorCode };
      }),
    }));
    if (records.length === 0) return { kind: 'done', response: { topics: codes } };
    const token = this.nextToken();
    this.inFlight.push({ kind: 'commit', token, records, codes });
    this.emit({ kind: 'persist-offsets', token, records });
    return { kind: 'pending', token };
  }

  /** Whether another commit or group deletion may be accepted. */
  get full(): boolean {
    return this.inFlight.length >= this.config.offsetCommitsInFlightMax;
  }

  /**
   * Removes the offsets of the groups answered NONE in `results` (the coordinator decided they may
   * go): at once when none has offsets, else after a persist-group-deletions effect is persisted.
   */
  deleteGroups(results: readonly DeleteGroupsResult[]): Reply<readonly DeleteGroupsResult[]> {
    const groupIds = results.filter((r) => r.errorCode === E.NONE && this.cache.hasGroup(r.groupId)).map((r) => r.groupId);
    if (groupIds.length === 0) return { kind: 'done', response: results };
    assert(!this.full, 'the coordinator checks room before deleting groups');
    const token = this.nextToken();
    this.inFlight.push({ kind: 'delete-groups', token, groupIds, results });
    this.emit({ kind: 'persist-group-deletions', token, groupIds });
    return { kind: 'pending', token };
  }

  /**
   * Removes the offsets of `groupId`'s partitions answered NONE in `decided` (the coordinator's
   * verdict): at once when none has an offset, else after a persist-offset-deletions effect is persisted.
   */
  deleteOffsets(groupId: string, decided: OffsetDeleteResponse): Reply<OffsetDeleteResponse> {
    const partitions: OffsetPartitionKey[] = [];
    for (const t of decided.topics) {
      for (const p of t.partitions) {
        const held = this.cache.get(groupId, t.name, p.partitionIndex) !== undefined;
        const listed = partitions.some((k) => k.topic === t.name && k.partition === p.partitionIndex);
        if (p.errorCode === E.NONE && held && !listed) partitions.push({ topic: t.name, partition: p.partitionIndex });
      }
    }
    if (partitions.length === 0) return { kind: 'done', response: decided };
    assert(!this.full, 'the coordinator checks room before deleting offsets');
    const token = this.nextToken();
    this.inFlight.push({ kind: 'delete-offsets', token, groupId, partitions, response: decided });
    this.emit({ kind: 'persist-offset-deletions', token, groupId, partitions });
    return { kind: 'pending', token };
  }

  persisted(token: ReplyToken, ok: boolean): void {
    const done = this.inFlight[0];
    assert(done !== undefined && done.token === token, 'offset commits complete in the order they were emitted');
    this.inFlight.shift();
    if (done.kind === 'delete-offsets') {
      if (ok) for (const p of done.partitions) this.cache.deletePartition(done.groupId, p.topic, p.partition);
      const failed = (code: GroupErrorCode): GroupErrorCode => (ok || code !== E.NONE ? code : E.COORDINATOR_NOT_AVAILABLE);
      const topics = done.response.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: failed(p.errorCode) })),
      }));
      this.emit({ kind: 'reply-delete-offsets', token, response: { errorCode: done.response.errorCode, topics } });
      return;
    }
    if (done.kind === 'delete-groups') {
      if (ok) for (const groupId of done.groupIds) this.cache.deleteGroup(groupId);
      const response = done.results.map((r) => ({ groupId: r.groupId, errorCode: ok || r.errorCode !== E.NONE ? r.errorCode : E.COORDINATOR_NOT_AVAILABLE }));
      this.emit({ kind: 'reply-delete-groups', token, response });
      return;
    }
    if (ok) for (const record of done.records) this.cache.put(record);
    const topics = done.codes.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: ok || p.errorCode !== E.NONE ? p.errorCode : E.COORDINATOR_NOT_AVAILABLE,
      })),
    }));
    this.emit({ kind: 'reply-commit', token, response: { topics } });
  }

  fetch(req: OffsetFetchRequest): OffsetFetchResponse {
    if (req.topics === null) {
      const byTopic = new Map<string, OffsetFetchResponsePartition[]>();
      for (const record of this.cache.allFor(req.groupId)) {
        const partitions = byTopic.get(record.topic) ?? [];
        partitions.push(found(record));
        byTopic.set(record.topic, partitions);
      }
      return { errorCode: E.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    const topics = req.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) => {
        const record = this.cache.get(req.groupId, topic.name, partitionIndex);
        return record === undefined ? notFound(partitionIndex) : found(record);
      }),
    }));
    return { errorCode: E.NONE, topics };
  }
}

function allPartitions(req: OffsetCommitRequest, errorCode: GroupErrorCode): OffsetCommitResponse {
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

function found(record: CommittedOffset): OffsetFetchResponsePartition {
  return {
    partitionIndex: record.partition,
    committedOffset: record.offset,
    committedLeaderEpoch: record.leaderEpoch,
    metadata: record.metadata,
    errorCode: E.NONE,
  };
}

function notFound(partitionIndex: number): OffsetFetchResponsePartition {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: E.NONE };
}
