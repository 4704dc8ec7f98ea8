/**
 * Produce (key 0), versions 0-8 (9+ is flexible). v8 is advertised so that kafka-python infers a 2.4
 * broker; kafka-python then sends v7, kafkajs at most v7.
 *
 * Request:
 *   transactional_id NULLABLE_STRING  v3+
 *   acks INT16, timeout_ms INT32
 *   topic_data ARRAY(name STRING, partition_data ARRAY(index INT32, records RECORDS))
 * Response:
 *   responses ARRAY(name STRING, partition_responses ARRAY(index INT32, error_code INT16,
 *     base_offset INT64, log_append_time_ms INT64 v2+, log_start_offset INT64 v5+,
 *     record_errors ARRAY(batch_index INT32, batch_index_error_message NULLABLE_STRING) v8+,
 *     error_message NULLABLE_STRING v8+))
 *   throttle_time_ms INT32            v1+
 *
 * Records are opaque to the codec: decoding hands out a subarray of the request frame (no copy, no
 * parse). acks=0 requests get no response at all; that is the broker's business, not the codec's.
 * Hot path (about one decode per client batch): no closures per partition beyond the array readers.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface ProducePartitionData {
  index: number;
  /** A RecordBatch blob (or, for v0-2, a legacy message set); null only from broken clients. */
  records: Uint8Array | null;
}

export interface ProduceTopicData {
  name: string;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  /** v3+; null for older versions and non-transactional producers. */
  transactionalId: string | null;
  /** 0: no response; 1: leader only; -1: all in-sync replicas. */
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface ProduceBatchIndexError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  /** v2+; -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs: bigint;
  /** v5+ */
  logStartOffset: bigint;
  /** v8+ */
  recordErrors: ProduceBatchIndexError[];
  /** v8+ */
  errorMessage: string | null;
}

export interface ProduceTopicResponse {
  name: string;
  partitionResponses: ProducePartitionResponse[];
}

export interface ProduceResponse {
  responses: ProduceTopicResponse[];
  throttleTimeMs: number;
}

function readPartition(r: Reader): ProducePartitionData {
  return { index: r.int32(), records: r.records() };
}

function readTopic(r: Reader): ProduceTopicData {
  return { name: r.string(), partitionData: r.array(8, readPartition) };
}

function decodeRequest(r: Reader, version: number): ProduceRequest {
  const transactionalId = version >= 3 ? r.nullableString() : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicData = r.array(6, readTopic);
  return { transactionalId, acks, timeoutMs, topicData };
}

function encodeRequest(w: Writer, version: number, request: ProduceRequest): void {
  if (version >= 3) w.nullableString(request.transactionalId);
  w.int16(request.acks).int32(request.timeoutMs);
  w.array(request.topicData, (t, topic) => {
    t.string(topic.name).array(topic.partitionData, (p, partition) => {
      p.int32(partition.index).records(partition.records);
    });
  });
}

function decodePartitionResponse(r: Reader, version: number): ProducePartitionResponse {
  const index = r.int32();
  const errorCode = r.int16();
  const baseOffset = r.int64();
  const logAppendTimeMs = version >= 2 ? r.int64() : -1n;
  const logStartOffset = version >= 5 ? r.int64() : -1n;
  const recordErrors =
    version >= 8 ? r.array(6, (e) => ({ batchIndex: e.int32(), batchIndexErrorMessage: e.nullableString() })) : [];
  const errorMessage = version >= 8 ? r.nullableString() : null;
  return { index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, recordErrors, errorMessage };
}

function decodeResponse(r: Reader, version: number): ProduceResponse {
  const responses = r.array(6, (t) => ({
    name: t.string(),
    partitionResponses: t.array(14, (p) => decodePartitionResponse(p, version)),
  }));
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { responses, throttleTimeMs };
}

function encodePartitionResponse(w: Writer, version: number, p: ProducePartitionResponse): void {
  w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
  if (version >= 2) w.int64(p.logAppendTimeMs);
  if (version >= 5) w.int64(p.logStartOffset);
  if (version >= 8) {
    w.array(p.recordErrors, (e, error) => void e.int32(error.batchIndex).nullableString(error.batchIndexErrorMessage));
    w.nullableString(p.errorMessage);
  }
}

function encodeResponse(w: Writer, version: number, response: ProduceResponse): void {
  w.array(response.responses, (t, topic) => {
    t.string(topic.name).array(topic.partitionResponses, (p, partition) => encodePartitionResponse(p, version, partition));
  });
  if (version >= 1) w.int32(response.throttleTimeMs);
}

export const produceApi: ApiCodec<ProduceRequest, ProduceResponse> = {
  apiKey: ApiKey.Produce,
  name: 'Produce',
  versionMin: 0,
  versionMax: 8,
  flexibleVersionMin: 9,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
