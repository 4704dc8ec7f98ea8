/**
 * AlterConfigs (key 33), versions 0-1 (2 is flexible); v0 and v1 share one layout. The legacy
 * (non-incremental) form: the given configs replace the resource's whole dynamic config.
 *
 * Request:  resources ARRAY(resource_type INT8, resource_name STRING,
 *             configs ARRAY(name STRING, value NULLABLE_STRING)), validate_only BOOLEAN
 * Response: throttle_time_ms INT32, responses ARRAY(error_code INT16, error_message NULLABLE_STRING,
 *             resource_type INT8, resource_name STRING)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface AlterableConfig {
  name: string;
  value: string | null;
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfig[];
}

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResponse[];
}

function decodeRequest(r: Reader): AlterConfigsRequest {
  const resources = r.array(7, (res) => ({
    resourceType: res.int8(),
    resourceName: res.string(),
    configs: res.array(4, (c) => ({ name: c.string(), value: c.nullableString() })),
  }));
  return { resources, validateOnly: r.bool() };
}

function encodeRequest(w: Writer, _version: number, request: AlterConfigsRequest): void {
  w.array(request.resources, (res, resource) => {
    res.int8(resource.resourceType).string(resource.resourceName);
    res.array(resource.configs, (c, config) => void c.string(config.name).nullableString(config.value));
  });
  w.bool(request.validateOnly);
}

function decodeResponse(r: Reader): AlterConfigsResponse {
  const throttleTimeMs = r.int32();
  const responses = r.array(7, (res) => ({
    errorCode: res.int16(),
    errorMessage: res.nullableString(),
    resourceType: res.int8(),
    resourceName: res.string(),
  }));
  return { throttleTimeMs, responses };
}

function encodeResponse(w: Writer, _version: number, response: AlterConfigsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.responses, (res, result) => {
    res.int16(result.errorCode).nullableString(result.errorMessage).int8(result.resourceType).string(result.resourceName);
  });
}

export const alterConfigsApi: ApiCodec<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 2,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
