/**
 * IncrementalAlterConfigs (key 44), versions 0-1 (1 is flexible). Each config names an operation:
 * 0 SET, 1 DELETE (back to the default), 2 APPEND, 3 SUBTRACT (list configs). The Java AdminClient's
 * incrementalAlterConfigs and librdkafka 2.2+ send it.
 *
 * Request:  resources ARRAY(resource_type INT8, resource_name STRING,
 *             configs ARRAY(name STRING, config_operation INT8, value NULLABLE_STRING)),
 *           validate_only BOOLEAN
 * Response: throttle_time_ms INT32, responses ARRAY(error_code INT16, error_message NULLABLE_STRING,
 *             resource_type INT8, resource_name STRING)
 * v1 uses compact strings and arrays, with a tagged-field section after each struct.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface IncrementalAlterableConfig {
  name: string;
  /** 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. */
  configOperation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: IncrementalAlterableConfig[];
}

export interface IncrementalAlterConfigsRequest {
  resources: IncrementalAlterConfigsResource[];
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: IncrementalAlterConfigsResourceResponse[];
}

const flexibleFrom = 1;

/** The string, nullable string and array primitives of one version (compact ones when flexible). */
function readers(r: Reader, flexible: boolean) {
  return {
    string: () => (flexible ? r.compactString() : r.string()),
    nullableString: () => (flexible ? r.compactNullableString() : r.nullableString()),
    array: <T>(elementBytesMin: number, read: (r: Reader) => T): T[] => (flexible ? r.compactArray(elementBytesMin, read) : r.array(elementBytesMin, read)),
    endStruct: () => void (flexible && r.taggedFields()),
  };
}

function writers(w: Writer, flexible: boolean) {
  return {
    string: (value: string) => (flexible ? w.compactString(value) : w.string(value)),
    nullableString: (value: string | null) => (flexible ? w.compactNullableString(value) : w.nullableString(value)),
    array: <T>(items: readonly T[], write: (w: Writer, item: T) => void) => (flexible ? w.compactArray(items, write) : w.array(items, write)),
    endStruct: () => void (flexible && w.emptyTaggedFields()),
  };
}

function readConfig(r: Reader, flexible: boolean): IncrementalAlterableConfig {
  const f = readers(r, flexible);
  const config = { name: f.string(), configOperation: r.int8(), value: f.nullableString() };
  f.endStruct();
  return config;
}

function readResource(r: Reader, flexible: boolean): IncrementalAlterConfigsResource {
  const f = readers(r, flexible);
  const resourceType = r.int8();
  const resourceName = f.string();
  const configs = f.array(4, (c) => readConfig(c, flexible));
  f.endStruct();
  return { resourceType, resourceName, configs };
}

function decodeRequest(r: Reader, version: number): IncrementalAlterConfigsRequest {
  const flexible = version >= flexibleFrom;
  const f = readers(r, flexible);
  const resources = f.array(4, (res) => readResource(res, flexible));
  const validateOnly = r.bool();
  f.endStruct();
  return { resources, validateOnly };
}

function encodeRequest(w: Writer, version: number, request: IncrementalAlterConfigsRequest): void {
  const flexible = version >= flexibleFrom;
  writers(w, flexible).array(request.resources, (res, resource) => {
    const fr = writers(res, flexible);
    res.int8(resource.resourceType);
    fr.string(resource.resourceName);
    fr.array(resource.configs, (c, config) => {
      const fc = writers(c, flexible);
      fc.string(config.name);
      c.int8(config.configOperation);
      fc.nullableString(config.value);
      fc.endStruct();
    });
    fr.endStruct();
  });
  w.bool(request.validateOnly);
  writers(w, flexible).endStruct();
}

function readResponseResource(r: Reader, flexible: boolean): IncrementalAlterConfigsResourceResponse {
  const f = readers(r, flexible);
  const result = { errorCode: r.int16(), errorMessage: f.nullableString(), resourceType: r.int8(), resourceName: f.string() };
  f.endStruct();
  return result;
}

function decodeResponse(r: Reader, version: number): IncrementalAlterConfigsResponse {
  const flexible = version >= flexibleFrom;
  const f = readers(r, flexible);
  const throttleTimeMs = r.int32();
  const responses = f.array(5, (res) => readResponseResource(res, flexible));
  f.endStruct();
  return { throttleTimeMs, responses };
}

function encodeResponse(w: Writer, version: number, response: IncrementalAlterConfigsResponse): void {
  const flexible = version >= flexibleFrom;
  w.int32(response.throttleTimeMs);
  writers(w, flexible).array(response.responses, (res, result) => {
    const fr = writers(res, flexible);
    res.int16(result.errorCode);
    fr.nullableString(result.errorMessage);
    res.int8(result.resourceType);
    fr.string(result.resourceName);
    fr.endStruct();
  });
  writers(w, flexible).endStruct();
}

export const incrementalAlterConfigsApi: ApiCodec<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: flexibleFrom,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
