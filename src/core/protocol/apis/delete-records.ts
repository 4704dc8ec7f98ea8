/**
 * DeleteRecords (key 21), versions 0-1 (2 is flexible); v0 and v1 share one layout. Moves a
 * partition's log start offset forward (kafkajs admin.deleteTopicRecords, librdkafka DeleteRecords).
 *
 * Request:  topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, offset INT64)), timeout_ms INT32
 * Response: throttle_time_ms INT32,
 *           topics ARRAY(name STRING, partitions ARRAY(partition_index INT32, low_watermark INT64, error_code INT16))
 *
 * offset -1 means "up to the high watermark".
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface DeleteRecordsPartition {
  partitionIndex: number;
  offset: bigint;
}

export interface DeleteRecordsTopic {
  name: string;
  partitions: DeleteRecordsPartition[];
}

export interface DeleteRecordsRequest {
  topics: DeleteRecordsTopic[];
  timeoutMs: number;
}

export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: bigint;
  errorCode: number;
}

export interface DeleteRecordsTopicResult {
  name: string;
  partitions: DeleteRecordsPartitionResult[];
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: DeleteRecordsTopicResult[];
}

function decodeRequest(r: Reader): DeleteRecordsRequest {
  const topics = r.array(6, (t) => ({
    name: t.string(),
    partitions: t.array(12, (p) => ({ partitionIndex: p.int32(), offset: p.int64() })),
  }));
  return { topics, timeoutMs: r.int32() };
}

function encodeRequest(w: Writer, _version: number, request: DeleteRecordsRequest): void {
  w.array(request.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => void p.int32(partition.partitionIndex).int64(partition.offset));
  });
  w.int32(request.timeoutMs);
}

function decodeResponse(r: Reader): DeleteRecordsResponse {
  const throttleTimeMs = r.int32();
  const topics = r.array(6, (t) => ({
    name: t.string(),
    partitions: t.array(14, (p) => ({ partitionIndex: p.int32(), lowWatermark: p.int64(), errorCode: p.int16() })),
  }));
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, _version: number, response: DeleteRecordsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.name).array(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex).int64(partition.lowWatermark).int16(partition.errorCode);
    });
  });
}

export const deleteRecordsApi: ApiCodec<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: ApiKey.DeleteRecords,
  name: 'DeleteRecords',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 2,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
