/**
 * ListGroups (key 16), versions 0-4 (3+ is flexible). librdkafka 2.0 sends v4 (ListConsumerGroups,
 * and its older list_groups), kafkajs and kafka-python v0-2.
 *
 * Request:  states_filter ARRAY(STRING) v4+
 * Response: throttle_time_ms INT32 v1+, error_code INT16,
 *           groups ARRAY(group_id STRING, protocol_type STRING, group_state STRING v4+)
 * v3+ (flexible): compact strings and arrays, a tagged-field section after each struct. Zero bytes
 * after a flexible request are ignored, as Kafka does: librdkafka 2.0.2 sends one after ListGroups v4.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

const flexibleVersionMin = 3;

export interface ListGroupsRequest {
  /** v4+: only groups in these states (case-insensitive); empty or absent: every group. */
  statesFilter?: string[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  /** v4+ (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead); absent when decoded from older versions. */
  groupState?: string;
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

function decodeRequest(r: Reader, version: number): ListGroupsRequest {
  if (version < flexibleVersionMin) return {};
  const request: ListGroupsRequest = version >= 4 ? { statesFilter: r.compactArray(1, (s) => s.compactString()) } : {};
  r.taggedFields();
  r.skipZeroPadding(); // librdkafka 2.0.2 ends ListGroups v4 with an extra zero byte (Kafka ignores it)
  return request;
}

function encodeRequest(w: Writer, version: number, request: ListGroupsRequest): void {
  if (version < flexibleVersionMin) return;
  if (version >= 4) w.compactArray(request.statesFilter ?? [], (s, state) => void s.compactString(state));
  w.emptyTaggedFields();
}

function readGroup(r: Reader, version: number): ListedGroup {
  if (version < flexibleVersionMin) return { groupId: r.string(), protocolType: r.string() };
  const group: ListedGroup = { groupId: r.compactString(), protocolType: r.compactString() };
  if (version >= 4) group.groupState = r.compactString();
  r.taggedFields();
  return group;
}

function decodeResponse(r: Reader, version: number): ListGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  if (version < flexibleVersionMin) return { throttleTimeMs, errorCode, groups: r.array(4, (g) => readGroup(g, version)) };
  const groups = r.compactArray(3, (g) => readGroup(g, version));
  r.taggedFields();
  return { throttleTimeMs, errorCode, groups };
}

function writeGroup(w: Writer, version: number, group: ListedGroup): void {
  if (version < flexibleVersionMin) {
    w.string(group.groupId).string(group.protocolType);
    return;
  }
  w.compactString(group.groupId).compactString(group.protocolType);
  if (version >= 4) w.compactString(group.groupState ?? '');
  w.emptyTaggedFields();
}

function encodeResponse(w: Writer, version: number, response: ListGroupsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
  if (version < flexibleVersionMin) {
    w.array(response.groups, (g, group) => writeGroup(g, version, group));
    return;
  }
  w.compactArray(response.groups, (g, group) => writeGroup(g, version, group)).emptyTaggedFields();
}

export const listGroupsApi: ApiCodec<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: ApiKey.ListGroups,
  name: 'ListGroups',
  versionMin: 0,
  versionMax: 4,
  flexibleVersionMin,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
