/**
 * OffsetDelete (key 47), version 0 (the only one; never flexible). Sent by the admin clients of
 * librdkafka (DeleteConsumerGroupOffsets) and the Java AdminClient (deleteConsumerGroupOffsets).
 *
 * Request:  group_id STRING, topics ARRAY(name STRING, partitions ARRAY(partition_index INT32))
 * Response: error_code INT16, throttle_time_ms INT32,
 *           topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, error_code INT16))
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface OffsetDeleteRequestTopic {
  name: string;
  partitions: { partitionIndex: number }[];
}

export interface OffsetDeleteRequest {
  groupId: string;
  topics: OffsetDeleteRequestTopic[];
}

export interface OffsetDeleteResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetDeleteResponseTopic {
  name: string;
  partitions: OffsetDeleteResponsePartition[];
}

export interface OffsetDeleteResponse {
  /** Top-level code: GROUP_ID_NOT_FOUND, INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE... */
  errorCode: number;
  throttleTimeMs: number;
  topics: OffsetDeleteResponseTopic[];
}

function decodeRequest(r: Reader): OffsetDeleteRequest {
  const groupId = r.string();
  const topics = r.array(6, (t) => ({ name: t.string(), partitions: t.array(4, (p) => ({ partitionIndex: p.int32() })) }));
  return { groupId, topics };
}

function encodeRequest(w: Writer, _version: number, request: OffsetDeleteRequest): void {
  w.string(request.groupId).array(request.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => void p.int32(partition.partitionIndex));
  });
}

function decodeResponse(r: Reader): OffsetDeleteResponse {
  const errorCode = r.int16();
  const throttleTimeMs = r.int32();
  const topics = r.array(6, (t) => ({
    name: t.string(),
    partitions: t.array(6, (p) => ({ partitionIndex: p.int32(), errorCode: p.int16() })),
  }));
  return { errorCode, throttleTimeMs, topics };
}

function encodeResponse(w: Writer, _version: number, response: OffsetDeleteResponse): void {
  w.int16(response.errorCode).int32(response.throttleTimeMs).array(response.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => void p.int32(partition.partitionIndex).int16(partition.errorCode));
  });
}

export const offsetDeleteApi: ApiCodec<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: ApiKey.OffsetDelete,
  name: 'OffsetDelete',
  versionMin: 0,
  versionMax: 0,
  /** Kafka's spec says "none": any number above versionMax keeps every version non-flexible. */
  flexibleVersionMin: 1,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
