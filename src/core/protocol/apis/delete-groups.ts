/**
 * DeleteGroups (key 42), versions 0-1 (2 is flexible); v0 and v1 share one layout. Sent by the admin
 * clients of kafkajs (deleteGroups), librdkafka (DeleteGroups) and kafka-python.
 *
 * Request:  groups_names ARRAY(STRING)
 * Response: throttle_time_ms INT32, results ARRAY(group_id STRING, error_code INT16)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface DeleteGroupsRequest {
  /** (sic: Kafka's field name) */
  groupsNames: string[];
}

export interface DeletableGroupResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeletableGroupResult[];
}

function decodeRequest(r: Reader): DeleteGroupsRequest {
  return { groupsNames: r.array(2, (g) => g.string()) };
}

function encodeRequest(w: Writer, _version: number, request: DeleteGroupsRequest): void {
  w.array(request.groupsNames, (g, name) => void g.string(name));
}

function decodeResponse(r: Reader): DeleteGroupsResponse {
  const throttleTimeMs = r.int32();
  return { throttleTimeMs, results: r.array(4, (g) => ({ groupId: g.string(), errorCode: g.int16() })) };
}

function encodeResponse(w: Writer, _version: number, response: DeleteGroupsResponse): void {
  w.int32(response.throttleTimeMs).array(response.results, (g, result) => void g.string(result.groupId).int16(result.errorCode));
}

export const deleteGroupsApi: ApiCodec<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 2,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
