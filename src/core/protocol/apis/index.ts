/**
 * The table of APIs Chronik implements. ApiVersions advertises exactly these keys and version ranges;
 * a request for any other key or version is refused by ../codec.ts before its body is decoded.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import { apiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse, type ApiVersionsResponseKey } from './api-versions.ts';
import { fetchApi, type FetchRequest, type FetchResponse } from './fetch.ts';
import { metadataApi, type MetadataRequest, type MetadataResponse } from './metadata.ts';
import { produceApi, type ProduceRequest, type ProduceResponse } from './produce.ts';

/** Request and response body types by API key. */
export interface ApiTypes {
  [ApiKey.Produce]: { request: ProduceRequest; response: ProduceResponse };
  [ApiKey.Fetch]: { request: FetchRequest; response: FetchResponse };
  [ApiKey.Metadata]: { request: MetadataRequest; response: MetadataResponse };
  [ApiKey.ApiVersions]: { request: ApiVersionsRequest; response: ApiVersionsResponse };
}

export type SupportedApiKey = keyof ApiTypes & number;
export type RequestBody<K extends SupportedApiKey> = ApiTypes[K]['request'];
export type ResponseBody<K extends SupportedApiKey> = ApiTypes[K]['response'];

export const SUPPORTED_APIS: { readonly [K in SupportedApiKey]: ApiCodec<RequestBody<K>, ResponseBody<K>> } = {
  [ApiKey.Produce]: produceApi,
  [ApiKey.Fetch]: fetchApi,
  [ApiKey.Metadata]: metadataApi,
  [ApiKey.ApiVersions]: apiVersionsApi,
};

const codecsByKey = new Map<number, ApiCodec<unknown, unknown>>(
  Object.values(SUPPORTED_APIS).map((codec) => [codec.apiKey, codec as ApiCodec<unknown, unknown>]),
);

/** The codec for an API key, or undefined when Chronik does not implement it. */
export function apiCodec(apiKey: number): ApiCodec<unknown, unknown> | undefined {
  return codecsByKey.get(apiKey);
}

export function isSupportedApiKey(apiKey: number): apiKey is SupportedApiKey {
  return codecsByKey.has(apiKey);
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const codec = codecsByKey.get(apiKey);
  return codec !== undefined && apiVersion >= codec.versionMin && apiVersion <= codec.versionMax;
}

/** The api_keys list of an ApiVersions response: every implemented API, ordered by key. */
export function advertisedApiVersions(): ApiVersionsResponseKey[] {
  return [...codecsByKey.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((codec) => ({ apiKey: codec.apiKey, minVersion: codec.versionMin, maxVersion: codec.versionMax }));
}
