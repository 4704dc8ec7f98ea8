/**
 * CreateTopics (key 19), versions 0-4 (5+ is flexible). kafkajs sends up to v3, librdkafka v4.
 *
 * Request:
 *   topics ARRAY(name STRING, num_partitions INT32, replication_factor INT16,
 *     assignments ARRAY(partition_index INT32, broker_ids ARRAY(INT32)),
 *     configs ARRAY(name STRING, value NULLABLE_STRING))
 *   timeout_ms INT32, validate_only BOOLEAN v1+
 * Response:
 *   throttle_time_ms INT32 v2+
 *   topics ARRAY(name STRING, error_code INT16, error_message NULLABLE_STRING v1+)
 *
 * num_partitions / replication_factor of -1 mean "broker default" (v4+). A null (-1) array where the
 * grammar wants an array is read as empty rather than refused: some clients send it for "no explicit
 * assignments / configs", and a broker must not fail on it.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  /** v1+ */
  validateOnly: boolean;
}

export interface CreatableTopicResult {
  name: string;
  errorCode: number;
  /** v1+ */
  errorMessage: string | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

function readTopic(r: Reader): CreatableTopic {
  const name = r.string();
  const numPartitions = r.int32();
  const replicationFactor = r.int16();
  const assignments = r.nullableArray(8, (a) => ({ partitionIndex: a.int32(), brokerIds: a.int32Array() })) ?? [];
  const configs = r.nullableArray(4, (c) => ({ name: c.string(), value: c.nullableString() })) ?? [];
  return { name, numPartitions, replicationFactor, assignments, configs };
}

function decodeRequest(r: Reader, version: number): CreateTopicsRequest {
  const topics = r.nullableArray(16, readTopic) ?? [];
  const timeoutMs = r.int32();
  const validateOnly = version >= 1 ? r.bool() : false;
  return { topics, timeoutMs, validateOnly };
}

function encodeRequest(w: Writer, version: number, request: CreateTopicsRequest): void {
  w.array(request.topics, (t, topic) => {
    t.string(topic.name).int32(topic.numPartitions).int16(topic.replicationFactor);
    t.array(topic.assignments, (a, assignment) => void a.int32(assignment.partitionIndex).int32Array(assignment.brokerIds));
    t.array(topic.configs, (c, config) => void c.string(config.name).nullableString(config.value));
  });
  w.int32(request.timeoutMs);
  if (version >= 1) w.bool(request.validateOnly);
}

function decodeResponse(r: Reader, version: number): CreateTopicsResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const topics = r.array(4, (t) => ({
    name: t.string(),
    errorCode: t.int16(),
    errorMessage: version >= 1 ? t.nullableString() : null,
  }));
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, version: number, response: CreateTopicsResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.array(response.topics, (t, topic) => {
    t.string(topic.name).int16(topic.errorCode);
    if (version >= 1) t.nullableString(topic.errorMessage);
  });
}

export const createTopicsApi: ApiCodec<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: ApiKey.CreateTopics,
  name: 'CreateTopics',
  versionMin: 0,
  versionMax: 4,
  flexibleVersionMin: 5,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
