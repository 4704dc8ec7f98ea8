/**
 * ListOffsets (key 2), versions 0-5 (6+ is flexible). v5 is advertised so that kafka-python infers a
 * 2.2+ broker; kafka-python then sends v1, kafkajs at most v3.
 *
 * Request:
 *   replica_id INT32, isolation_level INT8 v2+
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, current_leader_epoch INT32 v4+,
 *     timestamp INT64, max_num_offsets INT32 v0))
 * Response:
 *   throttle_time_ms INT32 v2+
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, error_code INT16,
 *     old_style_offsets ARRAY(INT64) v0, timestamp INT64 v1+, offset INT64 v1+, leader_epoch INT32 v4+))
 *
 * timestamp -1 asks for the latest offset (the high watermark), -2 for the earliest.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export const ListOffsetsTimestamp = { LATEST: -1n, EARLIEST: -2n } as const;

export interface ListOffsetsPartition {
  partitionIndex: number;
  /** v4+, -1 otherwise. */
  currentLeaderEpoch: number;
  timestamp: bigint;
  /** v0 only, 1 otherwise. */
  maxNumOffsets: number;
}

export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+ */
  isolationLevel: number;
  topics: ListOffsetsTopic[];
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  /** v0 only: the offsets found (at most max_num_offsets). */
  oldStyleOffsets: bigint[];
  /** v1+ */
  timestamp: bigint;
  /** v1+ */
  offset: bigint;
  /** v4+ */
  leaderEpoch: number;
}

export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ListOffsetsTopicResponse[];
}

function readPartition(r: Reader, version: number): ListOffsetsPartition {
  const partitionIndex = r.int32();
  const currentLeaderEpoch = version >= 4 ? r.int32() : -1;
  const timestamp = r.int64();
  const maxNumOffsets = version === 0 ? r.int32() : 1;
  return { partitionIndex, currentLeaderEpoch, timestamp, maxNumOffsets };
}

function decodeRequest(r: Reader, version: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = version >= 2 ? r.int8() : 0;
  const topics = r.array(6, (t) => ({ name: t.string(), partitions: t.array(12, (p) => readPartition(p, version)) }));
  return { replicaId, isolationLevel, topics };
}

function encodeRequest(w: Writer, version: number, request: ListOffsetsRequest): void {
  w.int32(request.replicaId);
  if (version >= 2) w.int8(request.isolationLevel);
  w.array(request.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex);
      if (version >= 4) p.int32(partition.currentLeaderEpoch);
      p.int64(partition.timestamp);
      if (version === 0) p.int32(partition.maxNumOffsets);
    });
  });
}

function readPartitionResponse(r: Reader, version: number): ListOffsetsPartitionResponse {
  const partitionIndex = r.int32();
  const errorCode = r.int16();
  const oldStyleOffsets = version === 0 ? r.array(8, (o) => o.int64()) : [];
  const timestamp = version >= 1 ? r.int64() : -1n;
  const offset = version >= 1 ? r.int64() : -1n;
  const leaderEpoch = version >= 4 ? r.int32() : -1;
  return { partitionIndex, errorCode, oldStyleOffsets, timestamp, offset, leaderEpoch };
}

function decodeResponse(r: Reader, version: number): ListOffsetsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(6, (t) => ({ name: t.string(), partitions: t.array(6, (p) => readPartitionResponse(p, version)) }));
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, version: number, response: ListOffsetsResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex).int16(partition.errorCode);
      if (version === 0) p.array(partition.oldStyleOffsets, (o, offset) => void o.int64(offset));
      if (version >= 1) p.int64(partition.timestamp).int64(partition.offset);
      if (version >= 4) p.int32(partition.leaderEpoch);
    });
  });
}

export const listOffsetsApi: ApiCodec<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: ApiKey.ListOffsets,
  name: 'ListOffsets',
  versionMin: 0,
  versionMax: 5,
  flexibleVersionMin: 6,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
