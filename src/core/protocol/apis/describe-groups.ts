/**
 * DescribeGroups (key 15), versions 0-4 (5 is flexible).
 *
 * Request:  groups ARRAY(STRING), include_authorized_operations BOOLEAN v3+
 * Response: throttle_time_ms INT32 v1+
 *           groups ARRAY(error_code INT16, group_id STRING, group_state STRING, protocol_type STRING,
 *             protocol_data STRING, members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING v4+,
 *             client_id STRING, client_host STRING, member_metadata BYTES, member_assignment BYTES),
 *             authorized_operations INT32 v3+)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface DescribeGroupsRequest {
  groups: string[];
  /** v3+ */
  includeAuthorizedOperations: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  /** v4+ */
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Uint8Array;
  memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  /** Dead, Empty, PreparingRebalance, CompletingRebalance or Stable. */
  groupState: string;
  protocolType: string;
  /** The chosen assignor name when Stable, else ''. */
  protocolData: string;
  members: DescribedGroupMember[];
  /** v3+; -2147483648 when not requested. */
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

function decodeRequest(r: Reader, version: number): DescribeGroupsRequest {
  const groups = r.array(2, (g) => g.string());
  return { groups, includeAuthorizedOperations: version >= 3 ? r.bool() : false };
}

function encodeRequest(w: Writer, version: number, request: DescribeGroupsRequest): void {
  w.array(request.groups, (g, group) => void g.string(group));
  if (version >= 3) w.bool(request.includeAuthorizedOperations);
}

function readMember(r: Reader, version: number): DescribedGroupMember {
  const memberId = r.string();
  const groupInstanceId = version >= 4 ? r.nullableString() : null;
  const clientId = r.string();
  const clientHost = r.string();
  return { memberId, groupInstanceId, clientId, clientHost, memberMetadata: r.bytes(), memberAssignment: r.bytes() };
}

function readGroup(r: Reader, version: number): DescribedGroup {
  const errorCode = r.int16();
  const groupId = r.string();
  const groupState = r.string();
  const protocolType = r.string();
  const protocolData = r.string();
  const members = r.array(14, (m) => readMember(m, version));
  const authorizedOperations = version >= 3 ? r.int32() : -2147483648;
  return { errorCode, groupId, groupState, protocolType, protocolData, members, authorizedOperations };
}

function decodeResponse(r: Reader, version: number): DescribeGroupsResponse {
  const throttleTimeMs = version >= 1 ? r.int32() : 0;
  return { throttleTimeMs, groups: r.array(14, (g) => readGroup(g, version)) };
}

function encodeResponse(w: Writer, version: number, response: DescribeGroupsResponse): void {
  if (version >= 1) w.int32(response.throttleTimeMs);
  w.array(response.groups, (g, group) => {
    g.int16(group.errorCode).string(group.groupId).string(group.groupState).string(group.protocolType).string(group.protocolData);
    g.array(group.members, (m, member) => {
      m.string(member.memberId);
      if (version >= 4) m.nullableString(member.groupInstanceId);
      m.string(member.clientId).string(member.clientHost).bytes(member.memberMetadata).bytes(member.memberAssignment);
    });
    if (version >= 3) g.int32(group.authorizedOperations);
  });
}

export const describeGroupsApi: ApiCodec<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  versionMin: 0,
  versionMax: 4,
  flexibleVersionMin: 5,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
