/**
 * LeaveGroup (key 13), versions 0-3 (4+ is flexible). v3 (KIP-345) replaces the single member_id by
 * a batch of members.
 *
 * Request v0-2: group_id STRING, member_id STRING
 * Request v3:   group_id STRING, members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING)
 * Response:     throttle_time_ms INT32 v1+, error_code INT16,
 *               members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING, error_code INT16) v3+
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface LeaveGroupMemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** v0-2; '' for v3. */
  memberId: string;
  /** v3+; [] for older versions. */
  members: LeaveGroupMemberIdentity[];
}

export interface LeaveGroupMemberResponse {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  /** v3+ */
  members: LeaveGroupMemberResponse[];
}

function decodeRequest(r: Reader, version: number): LeaveGroupRequest {
  const groupId = r.string();
  if (version < 3) return { groupId, memberId: r.string(), members: [] };
  const members = r.array(4, (m) => ({ memberId: m.string(), groupInstanceId: m.nullableString() }));
  return { groupId, memberId: '', members };
}

function encodeRequest(w: Writer, version: number, request: LeaveGroupRequest): void {
  w.string(request.groupId);
  if (version < 3) w.string(request.memberId);
  else w.array(request.members, (m, member) => void m.string(member.memberId).nullableString(member.groupInstanceId));
}

function decodeResponse(r: Reader, version: number): LeaveGroupResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  const errorCode = r.int16();
  const members =
    version >= 3 ? r.array(6, (m) => ({ memberId: m.string(), groupInstanceId: m.nullableString(), errorCode: m.int16() })) : [];
  return { throttleTimeMs, errorCode, members };
}

function encodeResponse(w: Writer, version: number, response: LeaveGroupResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode);
  if (version >= 3) {
    w.array(response.members, (m, member) => void m.string(member.memberId).nullableString(member.groupInstanceId).int16(member.errorCode));
  }
}

export const leaveGroupApi: ApiCodec<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  versionMin: 0,
  versionMax: 3,
  flexibleVersionMin: 4,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
