/**
 * DeleteTopics (key 20), versions 0-3 (4+ is flexible). kafkajs sends up to v1.
 *
 * Request:  topic_names ARRAY(STRING), timeout_ms INT32
 * Response: throttle_time_ms INT32 v1+, responses ARRAY(name STRING, error_code INT16)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string;
  errorCode: number;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

function decodeRequest(r: Reader): DeleteTopicsRequest {
  const topicNames = r.nullableArray(2, (t) => t.string()) ?? [];
  return { topicNames, timeoutMs: r.int32() };
}

function encodeRequest(w: Writer, _version: number, request: DeleteTopicsRequest): void {
  w.array(request.topicNames, (t, name) => void t.string(name)).int32(request.timeoutMs);
}

function decodeResponse(r: Reader, version: number): DeleteTopicsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const responses = r.array(4, (t) => ({ name: t.string(), errorCode: t.int16() }));
  return { throttleTimeMs, responses };
}

function encodeResponse(w: Writer, version: number, response: DeleteTopicsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.array(response.responses, (t, result) => void t.string(result.name).int16(result.errorCode));
}

export const deleteTopicsApi: ApiCodec<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin: 4,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
