/**
 * CreatePartitions (key 37), versions 0-1 (2+ is flexible); v0 and v1 share one layout. Sent by the
 * admin clients of kafkajs (createPartitions) and kafka-python (create_partitions).
 *
 * Request:  topics ARRAY(name STRING, count INT32, assignments NULLABLE ARRAY(broker_ids ARRAY(INT32))),
 *           timeout_ms INT32, validate_only BOOLEAN
 * Response: throttle_time_ms INT32, results ARRAY(name STRING, error_code INT16, error_message NULLABLE_STRING)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface CreatePartitionsAssignment {
  brokerIds: number[];
}

export interface CreatePartitionsTopic {
  name: string;
  /** The new total partition count. */
  count: number;
  /** One entry per new partition, or null to let the broker place them. */
  assignments: CreatePartitionsAssignment[] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}

function decodeRequest(r: Reader): CreatePartitionsRequest {
  const topics = r.array(10, (t) => ({
    name: t.string(),
    count: t.int32(),
    assignments: t.nullableArray(4, (a) => ({ brokerIds: a.int32Array() })),
  }));
  return { topics, timeoutMs: r.int32(), validateOnly: r.bool() };
}

function encodeRequest(w: Writer, _version: number, request: CreatePartitionsRequest): void {
  w.array(request.topics, (t, topic) => {
    t.string(topic.name).int32(topic.count).nullableArray(topic.assignments, (a, assignment) => void a.int32Array(assignment.brokerIds));
  });
  w.int32(request.timeoutMs).bool(request.validateOnly);
}

function decodeResponse(r: Reader): CreatePartitionsResponse {
  const throttleTimeMs = r.int32();
  const results = r.array(6, (t) => ({ name: t.string(), errorCode: t.int16(), errorMessage: t.nullableString() }));
  return { throttleTimeMs, results };
}

function encodeResponse(w: Writer, _version: number, response: CreatePartitionsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.results, (t, result) => void t.string(result.name).int16(result.errorCode).nullableString(result.errorMessage));
}

export const createPartitionsApi: ApiCodec<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: ApiKey.CreatePartitions,
  name: 'CreatePartitions',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 2,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
