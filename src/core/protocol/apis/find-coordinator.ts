/**
 * FindCoordinator (key 10), versions 0-2 (3+ is flexible). kafka-python sends v0, kafkajs and
 * librdkafka up to v2.
 *
 * Request:  key STRING, key_type INT8 v1+ (0 group, 1 transaction)
 * Response: throttle_time_ms INT32 v1+, error_code INT16, error_message NULLABLE_STRING v1+,
 *           node_id INT32, host STRING, port INT32
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export const CoordinatorKeyType = { GROUP: 0, TRANSACTION: 1 } as const;

export interface FindCoordinatorRequest {
  key: string;
  /** v1+; 0 (group) for v0. */
  keyType: number;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  /** v1+ */
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

function decodeRequest(r: Reader, version: number): FindCoordinatorRequest {
  const key = r.string();
  return { key, keyType: version >= 1 ? r.int8() : CoordinatorKeyType.GROUP };
}

function encodeRequest(w: Writer, version: number, request: FindCoordinatorRequest): void {
  w.string(request.key);
  if (version >= 1) w.int8(request.keyType);
}

function decodeResponse(r: Reader, version: number): FindCoordinatorResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const errorMessage = version >= 1 ? r.nullableString() : null;
  return { throttleTimeMs, errorCode, errorMessage, nodeId: r.int32(), host: r.string(), port: r.int32() };
}

function encodeResponse(w: Writer, version: number, response: FindCoordinatorResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
  if (version >= 1) w.nullableString(response.errorMessage);
  w.int32(response.nodeId).string(response.host).int32(response.port);
}

export const findCoordinatorApi: ApiCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  versionMin: 0,
  versionMax: 2,
  flexibleVersionMin: 3,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
