/**
 * OffsetFetch (key 9), versions 0-8 (6+ is flexible). kafka-python sends v1-3, kafkajs v1-4,
 * librdkafka 2.0 v7 (its consumer and ListConsumerGroupOffsets).
 *
 * Request:
 *   group_id STRING                                                 v0-7
 *   topics ARRAY(name STRING, partition_indexes ARRAY(INT32))       v0-7; v0-1 non-null; v2+ null = all
 *   groups ARRAY(group_id STRING, topics ARRAY(name STRING,         v8+; topics null = all
 *     partition_indexes ARRAY(INT32)))
 *   require_stable BOOL                                             v7+
 * Response:
 *   throttle_time_ms INT32 v3+
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, committed_offset INT64,     v0-7
 *     committed_leader_epoch INT32 v5+, metadata NULLABLE_STRING, error_code INT16))
 *   error_code INT16                                                v2-7
 *   groups ARRAY(group_id STRING, topics (as above, with committed_leader_epoch), error_code INT16)  v8+
 * v6+ (flexible): compact strings and arrays, a tagged-field section after each struct.
 *
 * A partition with no committed offset is answered with committed_offset -1 and error_code 0. Zero
 * bytes after a flexible request are ignored, as Kafka does (librdkafka 2.0.2 sends some).
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

const flexibleVersionMin = 6;
const groupsVersionMin = 8;

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequestGroup {
  groupId: string;
  /** null: every topic the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchRequest {
  /** v0-7 ('' when decoded from v8+). */
  groupId: string;
  /** v0-7: null (v2+) means every topic the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
  /** v8+: several groups at once (absent below v8). */
  groups?: OffsetFetchRequestGroup[];
  /** v7+: only stable offsets (no pending transactional commits; Chronik has none). */
  requireStable?: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: bigint;
  /** v5+, -1 otherwise. */
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponseGroup {
  groupId: string;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  /** v0-7. */
  topics: OffsetFetchResponseTopic[];
  /** v2-7 top-level error (e.g. COORDINATOR_LOAD_IN_PROGRESS). */
  errorCode: number;
  /** v8+: one answer per requested group (absent below v8). */
  groups?: OffsetFetchResponseGroup[];
}

/** The version's encodings of strings and arrays, so the field order is written once. */
function readerFor(r: Reader, version: number) {
  const flexible = version >= flexibleVersionMin;
  return {
    flexible,
    /** The smallest topic entry: a name and an array (and a tag section) in either encoding. */
    topicBytesMin: flexible ? 3 : 6,
    string: (): string => (flexible ? r.compactString() : r.string()),
    nullableString: (): string | null => (flexible ? r.compactNullableString() : r.nullableString()),
    array: <T>(bytesMin: number, one: (r: Reader) => T): T[] => (flexible ? r.compactArray(bytesMin, one) : r.array(bytesMin, one)),
    nullableArray: <T>(bytesMin: number, one: (r: Reader) => T): T[] | null =>
      flexible ? r.compactNullableArray(bytesMin, one) : r.nullableArray(bytesMin, one),
    tags: (): void => (flexible ? r.taggedFields() : undefined),
  };
}

function writerFor(w: Writer, version: number) {
  const flexible = version >= flexibleVersionMin;
  return {
    string: (value: string): Writer => (flexible ? w.compactString(value) : w.string(value)),
    nullableString: (value: string | null): Writer => (flexible ? w.compactNullableString(value) : w.nullableString(value)),
    array: <T>(items: readonly T[], one: (w: Writer, item: T) => void): Writer => (flexible ? w.compactArray(items, one) : w.array(items, one)),
    nullableArray: <T>(items: readonly T[] | null, one: (w: Writer, item: T) => void): Writer =>
      flexible ? w.compactNullableArray(items, one) : w.nullableArray(items, one),
    tags: (): Writer => (flexible ? w.emptyTaggedFields() : w),
  };
}

function readRequestTopic(r: Reader, version: number): OffsetFetchRequestTopic {
  const f = readerFor(r, version);
  const topic = { name: f.string(), partitionIndexes: f.array(4, (p) => p.int32()) };
  f.tags();
  return topic;
}

function decodeRequest(r: Reader, version: number): OffsetFetchRequest {
  const f = readerFor(r, version);
  const readTopic = (t: Reader): OffsetFetchRequestTopic => readRequestTopic(t, version);
  const request: OffsetFetchRequest = { groupId: '', topics: null };
  if (version >= groupsVersionMin) {
    request.groups = f.array(3, (g) => {
      const group = { groupId: readerFor(g, version).string(), topics: readerFor(g, version).nullableArray(3, readTopic) };
      g.taggedFields();
      return group;
    });
  } else {
    request.groupId = f.string();
    request.topics = version >= 2 ? f.nullableArray(f.topicBytesMin, readTopic) : f.array(f.topicBytesMin, readTopic);
  }
  if (version >= 7) request.requireStable = r.bool();
  f.tags();
  // librdkafka 2.0.2's ListConsumerGroupOffsets (null topics) ends v7 with three zero bytes; Kafka ignores them.
  if (f.flexible) r.skipZeroPadding();
  return request;
}

function encodeRequest(w: Writer, version: number, request: OffsetFetchRequest): void {
  const f = writerFor(w, version);
  const writeTopic = (t: Writer, topic: OffsetFetchRequestTopic): void => {
    const ft = writerFor(t, version);
    ft.string(topic.name);
    ft.array(topic.partitionIndexes, (p, index) => void p.int32(index));
    ft.tags();
  };
  if (version >= groupsVersionMin) {
    f.array(request.groups ?? [], (g, group) => {
      const fg = writerFor(g, version);
      fg.string(group.groupId);
      fg.nullableArray(group.topics, writeTopic);
      fg.tags();
    });
  } else {
    f.string(request.groupId);
    if (version >= 2) f.nullableArray(request.topics, writeTopic);
    else f.array(request.topics ?? [], writeTopic);
  }
  if (version >= 7) w.bool(request.requireStable ?? false);
  f.tags();
}

function readTopics(r: Reader, version: number): OffsetFetchResponseTopic[] {
  const f = readerFor(r, version);
  return f.array(f.topicBytesMin, (t) => {
    const ft = readerFor(t, version);
    const name = ft.string();
    const partitions = ft.array(16, (p) => {
      const fp = readerFor(p, version);
      const partitionIndex = p.int32();
      const committedOffset = p.int64();
      const committedLeaderEpoch = version >= 5 ? p.int32() : -1;
      const metadata = fp.nullableString();
      const partition = { partitionIndex, committedOffset, committedLeaderEpoch, metadata, errorCode: p.int16() };
      fp.tags();
      return partition;
    });
    ft.tags();
    return { name, partitions };
  });
}

function decodeResponse(r: Reader, version: number): OffsetFetchResponse {
  const f = readerFor(r, version);
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  if (version >= groupsVersionMin) {
    const groups = f.array(4, (g) => {
      const groupId = readerFor(g, version).string();
      const topics = readTopics(g, version);
      const group = { groupId, topics, errorCode: g.int16() };
      g.taggedFields();
      return group;
    });
    f.tags();
    return { throttleTimeMs, topics: [], errorCode: 0, groups };
  }
  const topics = readTopics(r, version);
  const errorCode = version >= 2 ? r.int16() : 0;
  f.tags();
  return { throttleTimeMs, topics, errorCode };
}

function writeTopics(w: Writer, version: number, topics: readonly OffsetFetchResponseTopic[]): void {
  writerFor(w, version).array(topics, (t, topic) => {
    const ft = writerFor(t, version);
    ft.string(topic.name);
    ft.array(topic.partitions, (p, partition) => {
      const fp = writerFor(p, version);
      p.int32(partition.partitionIndex).int64(partition.committedOffset);
      if (version >= 5) p.int32(partition.committedLeaderEpoch);
      fp.nullableString(partition.metadata);
      p.int16(partition.errorCode);
      fp.tags();
    });
    ft.tags();
  });
}

function encodeResponse(w: Writer, version: number, response: OffsetFetchResponse): void {
  const f = writerFor(w, version);
  if (version >= 3) w.int32(response.throttleTimeMs);
  if (version >= groupsVersionMin) {
    f.array(response.groups ?? [], (g, group) => {
      writerFor(g, version).string(group.groupId);
      writeTopics(g, version, group.topics);
      g.int16(group.errorCode).emptyTaggedFields();
    });
  } else {
    writeTopics(w, version, response.topics);
    if (version >= 2) w.int16(response.errorCode);
  }
  f.tags();
}

export const offsetFetchApi: ApiCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  versionMin: 0,
  versionMax: 8,
  flexibleVersionMin,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
