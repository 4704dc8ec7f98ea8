/**
 * JoinGroup (key 11), versions 0-5 (6+ is flexible). kafka-python sends v2, kafkajs and librdkafka
 * up to v5. From v4 on, a member joining with an empty member_id gets MEMBER_ID_REQUIRED (79) and a
 * generated member_id, and must join again with it (KIP-394); kafkajs relies on that.
 *
 * Request:
 *   group_id STRING, session_timeout_ms INT32, rebalance_timeout_ms INT32 v1+, member_id STRING,
 *   group_instance_id NULLABLE_STRING v5+, protocol_type STRING,
 *   protocols ARRAY(name STRING, metadata BYTES)
 * Response:
 *   throttle_time_ms INT32 v2+, error_code INT16, generation_id INT32, protocol_name STRING,
 *   leader STRING, member_id STRING,
 *   members ARRAY(member_id STRING, group_instance_id NULLABLE_STRING v5+, metadata BYTES)
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Uint8Array;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; equal to sessionTimeoutMs for v0 (Kafka's rule). */
  rebalanceTimeoutMs: number;
  memberId: string;
  /** v5+ (static membership) */
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
}

export interface JoinGroupResponseMember {
  memberId: string;
  /** v5+ */
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinGroupResponseMember[];
}

function decodeRequest(r: Reader, version: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = version >= 1 ? r.int32() : sessionTimeoutMs;
  const memberId = r.string();
  const groupInstanceId = version >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array(6, (p) => ({ name: p.string(), metadata: p.bytes() }));
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols };
}

function encodeRequest(w: Writer, version: number, request: JoinGroupRequest): void {
  w.string(request.groupId).int32(request.sessionTimeoutMs);
  if (version >= 1) w.int32(request.rebalanceTimeoutMs);
  w.string(request.memberId);
  if (version >= 5) w.nullableString(request.groupInstanceId);
  w.string(request.protocolType).array(request.protocols, (p, protocol) => void p.string(protocol.name).bytes(protocol.metadata));
}

function decodeResponse(r: Reader, version: number): JoinGroupResponse {
  const throttleTimeMs = version >= 2 ? r.int32() : 0;
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members = r.array(6, (m) => ({
    memberId: m.string(),
    groupInstanceId: version >= 5 ? m.nullableString() : null,
    metadata: m.bytes(),
  }));
  return { throttleTimeMs, errorCode, generationId, protocolName, leader, memberId, members };
}

function encodeResponse(w: Writer, version: number, response: JoinGroupResponse): void {
  if (version >= 2) w.int32(response.throttleTimeMs);
  w.int16(response.errorCode).int32(response.generationId).string(response.protocolName);
  w.string(response.leader).string(response.memberId);
  w.array(response.members, (m, member) => {
    m.string(member.memberId);
    if (version >= 5) m.nullableString(member.groupInstanceId);
    m.bytes(member.metadata);
  });
}

export const joinGroupApi: ApiCodec<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: ApiKey.JoinGroup,
  name: 'JoinGroup',
  versionMin: 0,
  versionMax: 5,
  flexibleVersionMin: 6,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
