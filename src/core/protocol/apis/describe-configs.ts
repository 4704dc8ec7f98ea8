/**
 * DescribeConfigs (key 32), versions 0-3 (4 is flexible).
 *
 * Request:
 *   resources ARRAY(resource_type INT8, resource_name STRING, configuration_keys NULLABLE ARRAY(STRING))
 *   include_synonyms BOOLEAN v1+, include_documentation BOOLEAN v3+
 * Response:
 *   throttle_time_ms INT32
 *   results ARRAY(error_code INT16, error_message NULLABLE_STRING, resource_type INT8, resource_name STRING,
 *     configs ARRAY(name STRING, value NULLABLE_STRING, read_only BOOLEAN, is_default BOOLEAN v0,
 *       config_source INT8 v1+, is_sensitive BOOLEAN,
 *       synonyms ARRAY(name STRING, value NULLABLE_STRING, source INT8) v1+,
 *       config_type INT8 v3+, documentation NULLABLE_STRING v3+))
 *
 * resource_type: 2 topic, 4 broker (ConfigResourceType). configuration_keys null: every key.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export const ConfigResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, BROKER: 4, BROKER_LOGGER: 8 } as const;
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  /** v1+ */
  includeSynonyms: boolean;
  /** v3+ */
  includeDocumentation: boolean;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 only (later versions say configSource DEFAULT_CONFIG). */
  isDefault: boolean;
  /** v1+, -1 otherwise. */
  configSource: number;
  isSensitive: boolean;
  /** v1+ */
  synonyms: DescribeConfigsSynonym[];
  /** v3+ */
  configType: number;
  /** v3+ */
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

function decodeRequest(r: Reader, version: number): DescribeConfigsRequest {
  const resources = r.array(7, (res) => ({
    resourceType: res.int8(),
    resourceName: res.string(),
    configurationKeys: res.nullableArray(2, (k) => k.string()),
  }));
  const includeSynonyms = version >= 1 ? r.bool() : false;
  const includeDocumentation = version >= 3 ? r.bool() : false;
  return { resources, includeSynonyms, includeDocumentation };
}

function encodeRequest(w: Writer, version: number, request: DescribeConfigsRequest): void {
  w.array(request.resources, (res, resource) => {
    res.int8(resource.resourceType).string(resource.resourceName);
    res.nullableArray(resource.configurationKeys, (k, key) => void k.string(key));
  });
  if (version >= 1) w.bool(request.includeSynonyms);
  if (version >= 3) w.bool(request.includeDocumentation);
}

function readConfig(r: Reader, version: number): DescribeConfigsResourceResult {
  const name = r.string();
  const value = r.nullableString();
  const readOnly = r.bool();
  const isDefault = version === 0 ? r.bool() : false;
  const configSource = version >= 1 ? r.int8() : -1;
  const isSensitive = r.bool();
  const synonyms = version >= 1 ? r.array(5, (s) => ({ name: s.string(), value: s.nullableString(), source: s.int8() })) : [];
  const configType = version >= 3 ? r.int8() : 0;
  const documentation = version >= 3 ? r.nullableString() : null;
  return { name, value, readOnly, isDefault, configSource, isSensitive, synonyms, configType, documentation };
}

function decodeResponse(r: Reader, version: number): DescribeConfigsResponse {
  const throttleTimeMs = r.int32();
  const results = r.array(11, (res) => ({
    errorCode: res.int16(),
    errorMessage: res.nullableString(),
    resourceType: res.int8(),
    resourceName: res.string(),
    configs: res.array(6, (c) => readConfig(c, version)),
  }));
  return { throttleTimeMs, results };
}

function writeConfig(w: Writer, version: number, c: DescribeConfigsResourceResult): void {
  w.string(c.name).nullableString(c.value).bool(c.readOnly);
  if (version === 0) w.bool(c.isDefault);
  if (version >= 1) w.int8(c.configSource);
  w.bool(c.isSensitive);
  if (version >= 1) w.array(c.synonyms, (s, synonym) => void s.string(synonym.name).nullableString(synonym.value).int8(synonym.source));
  if (version >= 3) w.int8(c.configType).nullableString(c.documentation);
}

function encodeResponse(w: Writer, version: number, response: DescribeConfigsResponse): void {
  w.int32(response.throttleTimeMs);
  w.array(response.results, (res, result) => {
    res.int16(result.errorCode).nullableString(result.errorMessage).int8(result.resourceType).string(result.resourceName);
    res.array(result.configs, (c, config) => writeConfig(c, version, config));
  });
}

export const describeConfigsApi: ApiCodec<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: ApiKey.DescribeConfigs,
  name: 'DescribeConfigs',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin: 4,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
