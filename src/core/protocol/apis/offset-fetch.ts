/**
 * OffsetFetch (key 9), versions 0-5 (6+ is flexible; capping at 5 keeps librdkafka non-flexible).
 * kafka-python sends v1, kafkajs v1-4.
 *
 * Request:
 *   group_id STRING
 *   topics ARRAY(name STRING, partition_indexes ARRAY(INT32))   v0-1 non-null; v2+ null = all topics
 * Response:
 *   throttle_time_ms INT32 v3+
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, committed_offset INT64,
 *     committed_leader_epoch INT32 v5+, metadata NULLABLE_STRING, error_code INT16))
 *   error_code INT16 v2+
 *
 * A partition with no committed offset is answered with committed_offset -1 and error_code 0.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every topic the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
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

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  /** v2+ top-level error (e.g. COORDINATOR_LOAD_IN_PROGRESS). */
  errorCode: number;
}

function decodeRequest(r: Reader, version: number): OffsetFetchRequest {
  const groupId = r.string();
  const readTopic = (t: Reader): OffsetFetchRequestTopic => ({ name: t.string(), partitionIndexes: t.int32Array() });
  const topics = version >= 2 ? r.nullableArray(6, readTopic) : r.array(6, readTopic);
  return { groupId, topics };
}

function encodeRequest(w: Writer, version: number, request: OffsetFetchRequest): void {
  w.string(request.groupId);
  const writeTopic = (t: Writer, topic: OffsetFetchRequestTopic): void => void t.string(topic.name).int32Array(topic.partitionIndexes);
  if (version >= 2) w.nullableArray(request.topics, writeTopic);
  else w.array(request.topics ?? [], writeTopic);
}

function readPartition(r: Reader, version: number): OffsetFetchResponsePartition {
  const partitionIndex = r.int32();
  const committedOffset = r.int64();
  const committedLeaderEpoch = version >= 5 ? r.int32() : -1;
  const metadata = r.nullableString();
  return { partitionIndex, committedOffset, committedLeaderEpoch, metadata, errorCode: r.int16() };
}

function decodeResponse(r: Reader, version: number): OffsetFetchResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(6, (t) => ({ name: t.string(), partitions: t.array(16, (p) => readPartition(p, version)) }));
  const errorCode = version >= 2 ? r.int16() : 0;
  return { throttleTimeMs, topics, errorCode };
}

function encodeResponse(w: Writer, version: number, response: OffsetFetchResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex).int64(partition.committedOffset);
      if (version >= 5) p.int32(partition.committedLeaderEpoch);
      p.nullableString(partition.metadata).int16(partition.errorCode);
    });
  });
  if (version >= 2) w.int16(response.errorCode);
}

export const offsetFetchApi: ApiCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  versionMin: 0,
  versionMax: 5,
  flexibleVersionMin: 6,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
