/**
 * ApiVersions (key 18), versions 0-3. v3 is flexible (KIP-511) and is what librdkafka sends first.
 *
 * Request v0-2: (empty)
 * Request v3:   client_software_name COMPACT_STRING, client_software_version COMPACT_STRING, TAG_BUFFER
 * Response v0:  error_code INT16, api_keys ARRAY(api_key INT16, min_version INT16, max_version INT16)
 * Response v1-2: v0 + throttle_time_ms INT32
 * Response v3:  error_code INT16, api_keys COMPACT_ARRAY(api_key, min_version, max_version, TAG_BUFFER),
 *               throttle_time_ms INT32, TAG_BUFFER (tags 0-3, features: never sent by Chronik, skipped)
 *
 * The response header is always v0 (see ../header.ts). A request above v3 is answered with a v0
 * response carrying UNSUPPORTED_VERSION and the full api_keys list: see unsupportedApiVersionsResponse
 * in ../codec.ts.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface ApiVersionsRequest {
  /** v3+; '' for older versions. */
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponseKey {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionsResponseKey[];
  /** v1+ */
  throttleTimeMs: number;
}

const flexibleVersionMin = 3;

function decodeRequest(r: Reader, version: number): ApiVersionsRequest {
  if (version < flexibleVersionMin) return { clientSoftwareName: '', clientSoftwareVersion: '' };
  const clientSoftwareName = r.compactString();
  const clientSoftwareVersion = r.compactString();
  r.taggedFields();
  return { clientSoftwareName, clientSoftwareVersion };
}

function encodeRequest(w: Writer, version: number, request: ApiVersionsRequest): void {
  if (version < flexibleVersionMin) return;
  w.compactString(request.clientSoftwareName).compactString(request.clientSoftwareVersion).emptyTaggedFields();
}

function decodeResponse(r: Reader, version: number): ApiVersionsResponse {
  const flexible = version >= flexibleVersionMin;
  const errorCode = r.int16();
  const readKey = (k: Reader): ApiVersionsResponseKey => {
    const key = { apiKey: k.int16(), minVersion: k.int16(), maxVersion: k.int16() };
    if (flexible) k.taggedFields();
    return key;
  };
  const apiKeys = flexible ? r.compactArray(7, readKey) : r.array(6, readKey);
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  if (flexible) r.taggedFields();
  return { errorCode, apiKeys, throttleTimeMs };
}

function encodeResponse(w: Writer, version: number, response: ApiVersionsResponse): void {
  const flexible = version >= flexibleVersionMin;
  w.int16(response.errorCode);
  const writeKey = (k: Writer, key: ApiVersionsResponseKey): void => {
    k.int16(key.apiKey).int16(key.minVersion).int16(key.maxVersion);
    if (flexible) k.emptyTaggedFields();
  };
  if (flexible) w.compactArray(response.apiKeys, writeKey);
  else w.array(response.apiKeys, writeKey);
  if (version >= 1) w.int32(response.throttleTimeMs);
  if (flexible) w.emptyTaggedFields();
}

export const apiVersionsApi: ApiCodec<ApiVersionsRequest, ApiVersionsResponse> = {
  apiKey: ApiKey.ApiVersions,
  name: 'ApiVersions',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
