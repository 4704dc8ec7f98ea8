/**
 * SyncGroup (key 14), versions 0-3 (4+ is flexible).
 *
 * Request:  group_id STRING, generation_id INT32, member_id STRING,
 *           group_instance_id NULLABLE_STRING v3+, assignments ARRAY(member_id STRING, assignment BYTES)
 * Response: throttle_time_ms INT32 v1+, error_code INT16, assignment BYTES
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Uint8Array;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+ */
  groupInstanceId: string | null;
  /** Only the leader sends assignments; followers send an empty array. */
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Uint8Array;
}

function decodeRequest(r: Reader, version: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = version >= 3 ? r.nullableString() : null;
  const assignments = r.array(6, (a) => ({ memberId: a.string(), assignment: a.bytes() }));
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

function encodeRequest(w: Writer, version: number, request: SyncGroupRequest): void {
  w.string(request.groupId).int32(request.generationId).string(request.memberId);
  if (version >= 3) w.nullableString(request.groupInstanceId);
  w.array(request.assignments, (a, assignment) => void a.string(assignment.memberId).bytes(assignment.assignment));
}

function decodeResponse(r: Reader, version: number): SyncGroupResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, errorCode: r.int16(), assignment: r.bytes() };
}

function encodeResponse(w: Writer, version: number, response: SyncGroupResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode).bytes(response.assignment);
}

export const syncGroupApi: ApiCodec<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: ApiKey.SyncGroup,
  name: 'SyncGroup',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin: 4,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
