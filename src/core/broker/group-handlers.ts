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
  type ListGroupsRequest,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../protocol/index.ts';
import { assert } from '../assert.ts';
import { authorizedOperationsOmitted } from '../protocol/index.ts';
import type { RequestContext } from './connection.ts';
import type { GroupDriver } from './group-driver.ts';
import type { GroupRouter } from './group-router.ts';
import type { DescribedGroup } from '../group/types.ts';
import type { TopicStore } from './topic-store.ts';

const gone = ErrorCode.NOT_COORDINATOR;

export async function handleJoinGroup(router: GroupRouter, request: JoinGroupRequest, version: number, context: RequestContext): Promise<JoinGroupResponse> {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') return joinFailed(request, groups);
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
  if (answer === null) return joinFailed(request, gone);
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

function joinFailed(request: JoinGroupRequest, errorCode: number): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: '', leader: '', memberId: request.memberId, members: [] };
}

export async function handleSyncGroup(router: GroupRouter, request: SyncGroupRequest): Promise<SyncGroupResponse> {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') return { throttleTimeMs: 0, errorCode: groups, assignment: new Uint8Array(0) };
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

export function handleHeartbeat(router: GroupRouter, request: HeartbeatRequest): HeartbeatResponse {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') return { throttleTimeMs: 0, errorCode: groups };
  const answer = groups.now((nowMs) => groups.coordinator.heartbeat(request, nowMs));
  return { throttleTimeMs: 0, errorCode: answer.errorCode };
}

export function handleLeaveGroup(router: GroupRouter, request: LeaveGroupRequest, version: number): LeaveGroupResponse {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') return { throttleTimeMs: 0, errorCode: groups, members: [] };
  const members = version >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
  const answer = groups.now((nowMs) => groups.coordinator.leave({ groupId: request.groupId, members }, nowMs));
  if (version >= 3) return { throttleTimeMs: 0, errorCode: answer.errorCode, members: answer.members.map((m) => ({ ...m })) };
  const errorCode = answer.errorCode !== ErrorCode.NONE ? answer.errorCode : (answer.members[0]?.errorCode ?? ErrorCode.NONE);
  return { throttleTimeMs: 0, errorCode, members: [] };
}

/**
 * Kafka's OffsetCommit: a partition that does not exist (unknown topic, or an index beyond its
 * partition count) answers UNKNOWN_TOPIC_OR_PARTITION and is not stored; the rest of the request is
 * one commit to the coordinator. When no partition exists the coordinator is not asked at all.
 */
export async function handleOffsetCommit(router: GroupRouter, topics: TopicStore, request: OffsetCommitRequest, wallClockMs: number): Promise<OffsetCommitResponse> {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: groups })) })) };
  }
  // Decided once, before the commit waits for the disk: a topic created or deleted meanwhile does
  // not change which partitions were committed.
  const exists = request.topics.map((t) => t.partitions.map((p) => topics.partition(t.name, p.partitionIndex) !== undefined));
  const known = request.topics
    .map((t, i) => ({ name: t.name, partitions: t.partitions.filter((_, j) => exists[i]![j]) }))
    .filter((t) => t.partitions.length > 0);
  const committed = known.length === 0 ? new Map<string, number>() : await commitKnown(groups, { ...request, topics: known }, wallClockMs);
  const errorCode = (topic: string, index: number, existed: boolean): number => {
    if (!existed) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const answered = committed.get(partitionKey(topic, index));
    assert(answered !== undefined, 'the coordinator answers every partition it was given');
    return answered;
  };
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t, i) => ({
      name: t.name,
      partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: errorCode(t.name, p.partitionIndex, exists[i]![j]!) })),
    })),
  };
}

const partitionKey = (topic: string, index: number): string => `${index}:${topic}`;

/** Commits partitions that exist; their error codes by partitionKey. */
async function commitKnown(groups: GroupDriver, request: OffsetCommitRequest, wallClockMs: number): Promise<Map<string, number>> {
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
  const codes = new Map<string, number>();
  if (answer === null) {
    for (const t of request.topics) for (const p of t.partitions) codes.set(partitionKey(t.name, p.partitionIndex), gone);
  } else {
    for (const t of answer.topics) for (const p of t.partitions) codes.set(partitionKey(t.name, p.partitionIndex), p.errorCode);
  }
  return codes;
}

/**
 * Committed offsets of one group (v0-7) or several (v8+); null topics (v2+) ask for every partition
 * the group has an offset for. `requireStable` (v7+) changes nothing: without transactions every
 * committed offset is stable.
 */
export function handleOffsetFetch(router: GroupRouter, request: OffsetFetchRequest, version: number): OffsetFetchResponse {
  const fetchOne = (groupId: string, topics: OffsetFetchRequest['topics']): OffsetFetchResponseGroup => {
    const groups = router.route(groupId);
    if (typeof groups === 'number') return { groupId, errorCode: groups, topics: [] };
    const answer = groups.now(() => groups.coordinator.fetchOffsets({ groupId, topics }));
    return {
      groupId,
      errorCode: answer.errorCode,
      topics: answer.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p })) })),
    };
  };
  if (version >= 8) {
    const answers = (request.groups ?? []).map((g) => fetchOne(g.groupId, g.topics));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [], groups: answers };
  }
  const { topics, errorCode } = fetchOne(request.groupId, request.topics);
  return { throttleTimeMs: 0, errorCode, topics };
}

export function handleDescribeGroups(router: GroupRouter, request: DescribeGroupsRequest): DescribeGroupsResponse {
  const described = request.groups.flatMap((groupId): Array<Omit<DescribedGroup, 'errorCode'> & { errorCode: number }> => {
    const groups = router.route(groupId);
    if (typeof groups === 'number') return [{ errorCode: groups, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] }];
    return groups.now(() => groups.coordinator.describe([groupId]));
  });
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

/** Every group, with its state from v4 on (the codec drops it below), filtered by `statesFilter` (v4+). */
export function handleListGroups(router: GroupRouter, request: ListGroupsRequest): ListGroupsResponse {
  const listed = router.all().flatMap((groups) => groups.now(() => groups.coordinator.list(request.statesFilter ?? [])));
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    groups: listed.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState })),
  };
}

/** Kafka's DeleteGroups: empty groups go with their offsets; NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND otherwise. */
export async function handleDeleteGroups(router: GroupRouter, request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
  const results: Array<{ groupId: string; errorCode: number }> = [];
  const byDriver = new Map<GroupDriver, string[]>();
  for (const groupId of new Set(request.groupsNames)) {
    const groups = router.route(groupId);
    if (typeof groups === 'number') results.push({ groupId, errorCode: groups });
    else byDriver.set(groups, [...(byDriver.get(groups) ?? []), groupId]);
  }
  const answers = await Promise.all([...byDriver].map(async ([groups, groupIds]) => {
    const answer = await groups.call(() => groups.coordinator.deleteGroups(groupIds));
    if (answer === null) return groupIds.map((groupId) => ({ groupId, errorCode: gone }));
    return answer.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode }));
  }));
  for (const answer of answers) results.push(...answer);
  const order = new Map(request.groupsNames.map((g, i) => [g, i]));
  results.sort((a, b) => order.get(a.groupId)! - order.get(b.groupId)!);
  return { throttleTimeMs: 0, results };
}

/** Kafka's OffsetDelete: see GroupCoordinator.deleteOffsets for the rules; answered once the deletion is durable. */
export async function handleOffsetDelete(router: GroupRouter, request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
  const groups = router.route(request.groupId);
  if (typeof groups === 'number') return { errorCode: groups, throttleTimeMs: 0, topics: [] };
  const topics = request.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) }));
  const answer = await groups.call(() => groups.coordinator.deleteOffsets({ groupId: request.groupId, topics }));
  if (answer === null) return { errorCode: gone, throttleTimeMs: 0, topics: [] };
  return {
    errorCode: answer.errorCode,
    throttleTimeMs: 0,
    topics: answer.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p })) })),
  };
}
