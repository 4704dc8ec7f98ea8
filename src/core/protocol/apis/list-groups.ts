/**
 * ListGroups (key 16), versions 0-2 (3+ is flexible; capping at 2 keeps librdkafka non-flexible).
 *
 * Request:  (empty)
 * Response: throttle_time_ms INT32 v1+, error_code INT16, groups ARRAY(group_id STRING, protocol_type STRING)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export type ListGroupsRequest = Record<string, never>;

export interface ListedGroup {
  groupId: string;
  protocolType: string;
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

function decodeRequest(): ListGroupsRequest {
  return {};
}

function encodeRequest(): void {}

function decodeResponse(r: Reader, version: number): ListGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  return { throttleTimeMs, errorCode, groups: r.array(4, (g) => ({ groupId: g.string(), protocolType: g.string() })) };
}

function encodeResponse(w: Writer, version: number, response: ListGroupsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode).array(response.groups, (g, group) => void g.string(group.groupId).string(group.protocolType));
}

export const listGroupsApi: ApiCodec<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: ApiKey.ListGroups,
  name: 'ListGroups',
  versionMin: 0,
  versionMax: 2,
  flexibleVersionMin: 3,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
