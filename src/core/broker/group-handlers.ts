/**
 * The consumer-group APIs: wire requests mapped onto the GroupCoordinator's requests and back.
 * A held answer that the broker's stop overtakes becomes NOT_COORDINATOR (the client rediscovers
 * the coordinator and rejoins).
 */
import {
  ErrorCode,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../protocol/index.ts';
import { authorizedOperationsOmitted } from '../protocol/index.ts';
import type { RequestContext } from './connection.ts';
import type { GroupDriver } from './group-driver.ts';

const gone = ErrorCode.NOT_COORDINATOR;

export async function handleJoinGroup(groups: GroupDriver, request: JoinGroupRequest, version: number, context: RequestContext): Promise<JoinGroupResponse> {
  const answer = await groups.call((nowMs) =>
    groups.coordinator.join(
      {
        groupId: request.groupId,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: request.protocolType,
        protocols: request.protocols,
        requireKnownMemberId: version >= 4,
        clientId: context.clientId,
        clientHost: context.clientHost,
      },
      nowMs,
    ),
  );
  if (answer === null) {
    return { throttleTimeMs: 0, errorCode: gone, generationId: -1, protocolName: '', leader: '', memberId: request.memberId, members: [] };
  }
  return {
    throttleTimeMs: 0,
    errorCode: answer.errorCode,
    generationId: answer.generationId,
    protocolName: answer.protocolName ?? '',
    leader: answer.leader,
    memberId: answer.memberId,
    members: answer.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

export async function handleSyncGroup(groups: GroupDriver, request: SyncGroupRequest): Promise<SyncGroupResponse> {
  const answer = await groups.call((nowMs) =>
    groups.coordinator.sync(
      {
        groupId: request.groupId,
        generationId: request.generationId,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        protocolType: null,
        protocolName: null,
        assignments: request.assignments,
      },
      nowMs,
    ),
  );
  if (answer === null) return { throttleTimeMs: 0, errorCode: gone, assignment: new Uint8Array(0) };
  return { throttleTimeMs: 0, errorCode: answer.errorCode, assignment: answer.assignment };
}

export function handleHeartbeat(groups: GroupDriver, request: HeartbeatRequest): HeartbeatResponse {
  const answer = groups.now((nowMs) => groups.coordinator.heartbeat(request, nowMs));
  return { throttleTimeMs: 0, errorCode: answer.errorCode };
}

export function handleLeaveGroup(groups: GroupDriver, request: LeaveGroupRequest, version: number): LeaveGroupResponse {
  const members = version >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
  const answer = groups.now((nowMs) => groups.coordinator.leave({ groupId: request.groupId, members }, nowMs));
  if (version >= 3) return { throttleTimeMs: 0, errorCode: answer.errorCode, members: answer.members.map((m) => ({ ...m })) };
  const errorCode = answer.errorCode !== ErrorCode.NONE ? answer.errorCode : (answer.members[0]?.errorCode ?? ErrorCode.NONE);
  return { throttleTimeMs: 0, errorCode, members: [] };
}

export async function handleOffsetCommit(groups: GroupDriver, request: OffsetCommitRequest, wallClockMs: number): Promise<OffsetCommitResponse> {
  const answer = await groups.call((nowMs) =>
    groups.coordinator.commitOffsets(
      {
        groupId: request.groupId,
        generationId: request.generationIdOrMemberEpoch,
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: p.committedLeaderEpoch,
            committedMetadata: p.committedMetadata,
          })),
        })),
      },
      nowMs,
      wallClockMs,
    ),
  );
  if (answer === null) {
    const topics = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: gone })) }));
    return { throttleTimeMs: 0, topics };
  }
  return {
    throttleTimeMs: 0,
    topics: answer.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: p.errorCode })) })),
  };
}

export function handleOffsetFetch(groups: GroupDriver, request: OffsetFetchRequest): OffsetFetchResponse {
  const answer = groups.now(() => groups.coordinator.fetchOffsets({ groupId: request.groupId, topics: request.topics }));
  return {
    throttleTimeMs: 0,
    errorCode: answer.errorCode,
    topics: answer.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p })) })),
  };
}

export function handleDescribeGroups(groups: GroupDriver, request: DescribeGroupsRequest): DescribeGroupsResponse {
  const described = groups.now(() => groups.coordinator.describe(request.groups));
  return {
    throttleTimeMs: 0,
    groups: described.map((g) => ({
      errorCode: g.errorCode,
      groupId: g.groupId,
      groupState: g.groupState,
      protocolType: g.protocolType,
      protocolData: g.protocolData,
      members: g.members.map((m) => ({ ...m })),
      authorizedOperations: authorizedOperationsOmitted,
    })),
  };
}

export function handleListGroups(groups: GroupDriver): ListGroupsResponse {
  const listed = groups.now(() => groups.coordinator.list());
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: listed.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })) };
}

/** Kafka's DeleteGroups: empty groups go with their offsets; NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND otherwise. */
export async function handleDeleteGroups(groups: GroupDriver, request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const answer = await groups.call(() => groups.coordinator.deleteGroups(request.groupsNames));
  if (answer === null) return { throttleTimeMs: 0, results: [...new Set(request.groupsNames)].map((groupId) => ({ groupId, errorCode: gone })) };
  return { throttleTimeMs: 0, results: answer.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })) };
}
