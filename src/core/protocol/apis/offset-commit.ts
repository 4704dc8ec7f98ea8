/**
 * OffsetCommit (key 8), versions 0-7 (8+ is flexible). kafka-python sends v2, kafkajs up to v5,
 * librdkafka up to v7.
 *
 * Request:
 *   group_id STRING, generation_id INT32 v1+, member_id STRING v1+,
 *   group_instance_id NULLABLE_STRING v7+, retention_time_ms INT64 v2-4
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, committed_offset INT64,
 *     committed_leader_epoch INT32 v6+, commit_timestamp INT64 v1, committed_metadata NULLABLE_STRING))
 * Response:
 *   throttle_time_ms INT32 v3+
 *   topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, error_code INT16))
 *
 * The spec names the generation field GenerationIdOrMemberEpoch (it is a member epoch in the v9+
 * consumer protocol); it is a generation id in every version Chronik speaks.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: bigint;
  /** v6+, -1 otherwise. */
  committedLeaderEpoch: number;
  /** v1 only, -1 otherwise. */
  commitTimestamp: bigint;
  committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  /** v1+; -1 for v0 (a commit outside group management). */
  generationIdOrMemberEpoch: number;
  /** v1+; '' for v0. */
  memberId: string;
  /** v7+ */
  groupInstanceId: string | null;
  /** v2-4; -1 means the broker default. */
  retentionTimeMs: bigint;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: OffsetCommitResponseTopic[];
}

function readPartition(r: Reader, version: number): OffsetCommitRequestPartition {
  const partitionIndex = r.int32();
  const committedOffset = r.int64();
  const committedLeaderEpoch = version >= 6 ? r.int32() : -1;
  const commitTimestamp = version === 1 ? r.int64() : -1n;
  const committedMetadata = r.nullableString();
  return { partitionIndex, committedOffset, committedLeaderEpoch, commitTimestamp, committedMetadata };
}

function decodeRequest(r: Reader, version: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationIdOrMemberEpoch = version >= 1 ? r.int32() : -1;
  const memberId = version >= 1 ? r.string() : '';
  const groupInstanceId = version >= 7 ? r.nullableString() : null;
  const retentionTimeMs = version >= 2 && version <= 4 ? r.int64() : -1n;
  const topics = r.array(6, (t) => ({ name: t.string(), partitions: t.array(14, (p) => readPartition(p, version)) }));
  return { groupId, generationIdOrMemberEpoch, memberId, groupInstanceId, retentionTimeMs, topics };
}

function encodeRequest(w: Writer, version: number, request: OffsetCommitRequest): void {
  w.string(request.groupId);
  if (version >= 1) w.int32(request.generationIdOrMemberEpoch).string(request.memberId);
  if (version >= 7) w.nullableString(request.groupInstanceId);
  if (version >= 2 && version <= 4) w.int64(request.retentionTimeMs);
  w.array(request.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex).int64(partition.committedOffset);
      if (version >= 6) p.int32(partition.committedLeaderEpoch);
      if (version === 1) p.int64(partition.commitTimestamp);
      p.nullableString(partition.committedMetadata);
    });
  });
}

function decodeResponse(r: Reader, version: number): OffsetCommitResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const topics = r.array(6, (t) => ({
    name: t.string(),
    partitions: t.array(6, (p) => ({ partitionIndex: p.int32(), errorCode: p.int16() })),
  }));
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, version: number, response: OffsetCommitResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => void p.int32(partition.partitionIndex).int16(partition.errorCode));
  });
}

export const offsetCommitApi: ApiCodec<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  versionMin: 0,
  versionMax: 7,
  flexibleVersionMin: 8,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
