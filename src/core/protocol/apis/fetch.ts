/**
 * Fetch (key 1), versions 0-11 (12+ is flexible). kafkajs sends up to v11, kafka-python v4.
 *
 * Request:
 *   replica_id INT32, max_wait_ms INT32, min_bytes INT32
 *   max_bytes INT32 v3+, isolation_level INT8 v4+, session_id INT32 v7+, session_epoch INT32 v7+
 *   topics ARRAY(topic STRING, partitions ARRAY(partition INT32, current_leader_epoch INT32 v9+,
 *     fetch_offset INT64, log_start_offset INT64 v5+, partition_max_bytes INT32))
 *   forgotten_topics_data ARRAY(topic STRING, partitions ARRAY(INT32)) v7+
 *   rack_id STRING v11+
 * Response:
 *   throttle_time_ms INT32 v1+, error_code INT16 v7+, session_id INT32 v7+
 *   responses ARRAY(topic STRING, partitions ARRAY(partition_index INT32, error_code INT16,
 *     high_watermark INT64, last_stable_offset INT64 v4+, log_start_offset INT64 v5+,
 *     aborted_transactions NULLABLE ARRAY(producer_id INT64, first_offset INT64) v4+,
 *     preferred_read_replica INT32 v11+, records RECORDS))
 *
 * Hot path: encoding a response appends each partition's records by reference (Writer.records), so a
 * fetch of N bytes from the log is never copied inside the codec.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Records, Writer } from '../writer.ts';

export interface FetchPartition {
  partition: number;
  /** v9+, -1 otherwise. */
  currentLeaderEpoch: number;
  fetchOffset: bigint;
  /** v5+ (followers only), -1 otherwise. */
  logStartOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchTopic {
  topic: string;
  partitions: FetchPartition[];
}

export interface ForgottenTopic {
  topic: string;
  partitions: number[];
}

export interface FetchRequest {
  /** -1 for consumers. */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  /** v3+; 0x7fffffff for older versions. */
  maxBytes: number;
  /** v4+: 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  /** v7+ (KIP-227 fetch sessions): 0 and -1 mean no session. */
  sessionId: number;
  sessionEpoch: number;
  topics: FetchTopic[];
  /** v7+ */
  forgottenTopicsData: ForgottenTopic[];
  /** v11+ */
  rackId: string;
}

export interface FetchAbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

export interface FetchPartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  /** v4+ */
  lastStableOffset: bigint;
  /** v5+ */
  logStartOffset: bigint;
  /** v4+; null when none. */
  abortedTransactions: FetchAbortedTransaction[] | null;
  /** v11+, -1 for none. */
  preferredReadReplica: number;
  /** Record batches, sent as-is (several buffers are sent back to back); decoded as one subarray. */
  records: Records | null;
}

export interface FetchableTopicResponse {
  topic: string;
  partitions: FetchPartitionData[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  /** v7+ top-level error (fetch sessions). */
  errorCode: number;
  sessionId: number;
  responses: FetchableTopicResponse[];
}

function readPartition(r: Reader, version: number): FetchPartition {
  const partition = r.int32();
  const currentLeaderEpoch = version >= 9 ? r.int32() : -1;
  const fetchOffset = r.int64();
  const logStartOffset = version >= 5 ? r.int64() : -1n;
  const partitionMaxBytes = r.int32();
  return { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes };
}

function decodeRequest(r: Reader, version: number): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = version >= 3 ? r.int32() : 0x7fffffff;
  const isolationLevel = version >= 4 ? r.int8() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const sessionEpoch = version >= 7 ? r.int32() : -1;
  const topics = r.array(6, (t) => ({ topic: t.string(), partitions: t.array(16, (p) => readPartition(p, version)) }));
  const forgottenTopicsData =
    version >= 7 ? r.array(6, (t) => ({ topic: t.string(), partitions: t.int32Array() })) : [];
  const rackId = version >= 11 ? r.string() : '';
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopicsData, rackId };
}

function encodeRequest(w: Writer, version: number, request: FetchRequest): void {
  w.int32(request.replicaId).int32(request.maxWaitMs).int32(request.minBytes);
  if (version >= 3) w.int32(request.maxBytes);
  if (version >= 4) w.int8(request.isolationLevel);
  if (version >= 7) w.int32(request.sessionId).int32(request.sessionEpoch);
  w.array(request.topics, (t, topic) => {
    t.string(topic.topic).array(topic.partitions, (p, partition) => {
      p.int32(partition.partition);
      if (version >= 9) p.int32(partition.currentLeaderEpoch);
      p.int64(partition.fetchOffset);
      if (version >= 5) p.int64(partition.logStartOffset);
      p.int32(partition.partitionMaxBytes);
    });
  });
  if (version >= 7) w.array(request.forgottenTopicsData, (t, topic) => void t.string(topic.topic).int32Array(topic.partitions));
  if (version >= 11) w.string(request.rackId);
}

function decodePartitionData(r: Reader, version: number): FetchPartitionData {
  const partitionIndex = r.int32();
  const errorCode = r.int16();
  const highWatermark = r.int64();
  const lastStableOffset = version >= 4 ? r.int64() : -1n;
  const logStartOffset = version >= 5 ? r.int64() : -1n;
  const abortedTransactions =
    version >= 4 ? r.nullableArray(16, (a) => ({ producerId: a.int64(), firstOffset: a.int64() })) : null;
  const preferredReadReplica = version >= 11 ? r.int32() : -1;
  const records = r.records();
  return { partitionIndex, errorCode, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, preferredReadReplica, records };
}

function decodeResponse(r: Reader, version: number): FetchResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = version >= 7 ? r.int16() : 0;
  const sessionId = version >= 7 ? r.int32() : 0;
  const responses = r.array(6, (t) => ({ topic: t.string(), partitions: t.array(18, (p) => decodePartitionData(p, version)) }));
  return { throttleTimeMs, errorCode, sessionId, responses };
}

function encodePartitionData(w: Writer, version: number, p: FetchPartitionData): void {
  w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
  if (version >= 4) w.int64(p.lastStableOffset);
  if (version >= 5) w.int64(p.logStartOffset);
  if (version >= 4) w.nullableArray(p.abortedTransactions, (a, t) => void a.int64(t.producerId).int64(t.firstOffset));
  if (version >= 11) w.int32(p.preferredReadReplica);
  w.records(p.records);
}

function encodeResponse(w: Writer, version: number, response: FetchResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (version >= 7) w.int16(response.errorCode).int32(response.sessionId);
  w.array(response.responses, (t, topic) => {
    t.string(topic.topic).array(topic.partitions, (p, partition) => encodePartitionData(p, version, partition));
  });
}

export const fetchApi: ApiCodec<FetchRequest, FetchResponse> = {
  apiKey: ApiKey.Fetch,
  name: 'Fetch',
  versionMin: 0,
  versionMax: 11,
  flexibleVersionMin: 12,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
