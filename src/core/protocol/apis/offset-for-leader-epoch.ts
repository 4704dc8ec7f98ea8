/**
 * OffsetForLeaderEpoch (key 23), versions 0-3 (4 is flexible). A follower (replica_id >= 0) asks its
 * leader where a leader epoch ended, to cut a divergent tail (KIP-101, KIP-279); consumers ask it to
 * detect truncation (KIP-320).
 *
 * Request:  [v3+ replica_id INT32]
 *           topics ARRAY(topic STRING, partitions ARRAY(partition INT32, [v2+ current_leader_epoch INT32], leader_epoch INT32))
 * Response: [v2+ throttle_time_ms INT32]
 *           topics ARRAY(topic STRING, partitions ARRAY(error_code INT16, partition INT32, [v1+ leader_epoch INT32], end_offset INT64))
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface OffsetForLeaderPartition {
  partition: number;
  /** v2+; -1 when not sent. */
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochRequest {
  /** v3+; -2 (a consumer that does not say) in older versions. */
  replicaId: number;
  topics: { topic: string; partitions: OffsetForLeaderPartition[] }[];
}

export interface EpochEndOffset {
  errorCode: number;
  partition: number;
  /** v1+; -1 when unknown. */
  leaderEpoch: number;
  endOffset: bigint;
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: { topic: string; partitions: EpochEndOffset[] }[];
}

function decodeRequest(r: Reader, version: number): OffsetForLeaderEpochRequest {
  const replicaId = version >= 3 ? r.int32() : -2;
  const topics = r.array(6, (t) => ({
    topic: t.string(),
    partitions: t.array(version >= 2 ? 12 : 8, (p) => ({ partition: p.int32(), currentLeaderEpoch: version >= 2 ? p.int32() : -1, leaderEpoch: p.int32() })),
  }));
  return { replicaId, topics };
}

function encodeRequest(w: Writer, version: number, request: OffsetForLeaderEpochRequest): void {
  if (version >= 3) w.int32(request.replicaId);
  w.array(request.topics, (t, topic) => {
    t.string(topic.topic).array(topic.partitions, (p, partition) => {
      p.int32(partition.partition);
      if (version >= 2) p.int32(partition.currentLeaderEpoch);
      p.int32(partition.leaderEpoch);
    });
  });
}

function decodeResponse(r: Reader, version: number): OffsetForLeaderEpochResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(6, (t) => ({
    topic: t.string(),
    partitions: t.array(version >= 1 ? 18 : 14, (p) => ({
      errorCode: p.int16(),
      partition: p.int32(),
      leaderEpoch: version >= 1 ? p.int32() : -1,
      endOffset: p.int64(),
    })),
  }));
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, version: number, response: OffsetForLeaderEpochResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.topic).array(topic.partitions, (p, partition) => {
      p.int16(partition.errorCode).int32(partition.partition);
      if (version >= 1) p.int32(partition.leaderEpoch);
      p.int64(partition.endOffset);
    });
  });
}

export const offsetForLeaderEpochApi: ApiCodec<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  name: 'OffsetForLeaderEpoch',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin: 4,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
