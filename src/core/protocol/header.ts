/**
 * Request and response headers.
 *
 * RequestHeader v1 (non-flexible APIs):  api_key INT16, api_version INT16, correlation_id INT32,
 *                                        client_id NULLABLE_STRING
 * RequestHeader v2 (flexible versions):  the same, then TAGGED_FIELDS (client_id stays a plain
 *                                        NULLABLE_STRING, never compact)
 * ResponseHeader v0:                     correlation_id INT32
 * ResponseHeader v1 (flexible versions): correlation_id INT32, TAGGED_FIELDS
 *
 * Exception (KIP-511): ApiVersions responses always use ResponseHeader v0, even for flexible v3+,
 * because a client that does not yet know the broker's versions must be able to read the answer.
 * Request header v0 (no client_id) is only used by ControlledShutdown v0, which Chronik does not speak.
 */
import { ApiKey } from './api-keys.ts';
import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** Bytes of api_key + api_version + correlation_id: enough to answer even an unparseable request. */
export const requestHeaderFixedBytes = 8;

/** Header version for a request: 2 when the API version is flexible, else 1. */
export function requestHeaderVersion(apiVersion: number, flexibleVersionMin: number): 1 | 2 {
  return apiVersion >= flexibleVersionMin ? 2 : 1;
}

/** Header version for a response: 1 when flexible, else 0; always 0 for ApiVersions (KIP-511). */
export function responseHeaderVersion(apiKey: number, apiVersion: number, flexibleVersionMin: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return apiVersion >= flexibleVersionMin ? 1 : 0;
}

/** Reads a request header; the tagged fields of header v2 are skipped (none are defined for brokers). */
export function decodeRequestHeader(r: Reader, headerVersion: 1 | 2): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (headerVersion === 2) r.taggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(w: Writer, header: RequestHeader, headerVersion: 1 | 2): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId).nullableString(header.clientId);
  if (headerVersion === 2) w.emptyTaggedFields();
}

export function decodeResponseHeader(r: Reader, headerVersion: 0 | 1): { correlationId: number } {
  const correlationId = r.int32();
  if (headerVersion === 1) r.taggedFields();
  return { correlationId };
}

export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.emptyTaggedFields();
}
