/**
 * Requests, responses and effects of the group coordinator, as plain objects independent of the wire
 * codec. Field names follow Kafka's JSON message specs (JoinGroupRequest.json, ...) in camelCase; INT64
 * values are bigint, opaque member metadata and assignments are Uint8Array, error codes are numbers
 * from GroupErrorCode.
 */
import type { GroupErrorCode } from './error-codes.ts';

/** Kafka's classic group states. 'Dead' is only ever reported for a group the coordinator does not hold. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinGroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** -1 (JoinGroup v0 has no such field) means "the same as sessionTimeoutMs". */
  readonly rebalanceTimeoutMs: number;
  /** '' on a member's first join. */
  readonly memberId: string;
  /**
   * JoinGroup v5+: makes the member static (KIP-345). A join with an empty member id and a known
   * instance id takes the instance over (the old member id is fenced) without a rebalance.
   */
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly JoinGroupProtocol[];
  /** True for JoinGroup v4+: a first join without a member id is answered MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** From the request header; the member id starts with it, DescribeGroups reports it. */
  readonly clientId: string;
  /** The peer's address, for DescribeGroups. */
  readonly clientHost: string;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResponse {
  readonly errorCode: GroupErrorCode;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Every member with its metadata for the chosen protocol, for the leader only; [] for the others. */
  readonly members: readonly JoinGroupResponseMember[];
}

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+; null when the client did not send it. Checked against the group's when present. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** Sent by the leader only; followers send []. */
  readonly assignments: readonly SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  readonly errorCode: GroupErrorCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  readonly errorCode: GroupErrorCode;
}

export interface LeaveGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** LeaveGroup v0-2 carry one member id: pass it as a one-element `members`. */
export interface LeaveGroupRequest {
  readonly groupId: string;
  readonly members: readonly LeaveGroupMember[];
}

/**
 * For LeaveGroup v0-2 the wire has only the top-level code: answer `errorCode` if it is not NONE,
 * else `members[0].errorCode`.
 */
export interface LeaveGroupResponse {
  readonly errorCode: GroupErrorCode;
  readonly members: readonly (LeaveGroupMember & { readonly errorCode: GroupErrorCode })[];
}

export interface OffsetCommitRequestPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  /** -1 when unknown (OffsetCommit < v6). */
  readonly committedLeaderEpoch: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** -1 for a commit outside group management (v0, or a "simple" consumer / admin tool). */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly OffsetCommitRequestPartition[];
  }[];
}

export interface OffsetCommitResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: GroupErrorCode }[];
  }[];
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** null (v2+) means every topic and partition the group has an offset for. */
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;
}

export interface OffsetFetchResponsePartition {
  readonly partitionIndex: number;
  /** -1 when the group has no committed offset for the partition. */
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: GroupErrorCode;
}

export interface OffsetFetchResponse {
  /** Top-level code (v2+). */
  readonly errorCode: GroupErrorCode;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly OffsetFetchResponsePartition[];
  }[];
}

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The member's metadata for the chosen protocol; empty unless the group is Stable. */
  readonly memberMetadata: Uint8Array;
  /** The member's assignment; empty unless the group is Stable. */
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly errorCode: GroupErrorCode;
  readonly groupId: string;
  readonly groupState: GroupState;
  readonly protocolType: string;
  /** The chosen protocol name when Stable, else ''. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState;
}

/** One committed offset: what the offset store persists and the coordinator loads on start. */
export interface CommittedOffset {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  /** Wall-clock milliseconds of the commit (kept for a future offset-retention policy). */
  readonly commitTimestampMs: number;
}

/** One group's answer to DeleteGroups. */
export interface DeleteGroupsResult {
  readonly groupId: string;
  readonly errorCode: GroupErrorCode;
}

/** One partition of a group's committed offsets. */
export interface OffsetPartitionKey {
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetDeleteRequest {
  readonly groupId: string;
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[];
}

export interface OffsetDeleteResponse {
  /** Top-level: GROUP_ID_NOT_FOUND, INVALID_GROUP_ID, NON_EMPTY_GROUP, COORDINATOR_NOT_AVAILABLE; then no topics. */
  readonly errorCode: GroupErrorCode;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partitionIndex: number; readonly errorCode: GroupErrorCode }[];
  }[];
}

/** Names one held request; its answer arrives later as a reply-* effect with the same token. */
export type ReplyToken = number;

/** What a request method returns: the answer now, or a token whose answer comes as an effect. */
export type Reply<Response> =
  | { readonly kind: 'done'; readonly response: Response }
  | { readonly kind: 'pending'; readonly token: ReplyToken };

/**
 * What the driver must do after a call (drain with takeEffects()). Ordering contract:
 * - persist-offsets, persist-group-deletions and persist-offset-deletions: append `records`
 *   (OffsetStore.append), remove every offset of `groupIds` (OffsetStore.deleteGroups), or remove the
 *   offsets of `partitions` of `groupId` (OffsetStore.deleteOffsets), in the order the effects were
 *   emitted, and call offsetsPersisted(token, ok) once that is durable (or failed), in that same
 *   order. The answer (reply-commit, reply-delete-groups, reply-delete-offsets) is only emitted after
 *   that: nothing is acknowledged before fsync.
 * - reply-*: send the response for the held request `token`, in effect order.
 * Timers are pulled rather than pushed: after every call, nextTickAtMs() says when tick() is due.
 */
export type GroupEffect =
  | { readonly kind: 'reply-join'; readonly token: ReplyToken; readonly response: JoinGroupResponse }
  | { readonly kind: 'reply-sync'; readonly token: ReplyToken; readonly response: SyncGroupResponse }
  | { readonly kind: 'reply-commit'; readonly token: ReplyToken; readonly response: OffsetCommitResponse }
  | { readonly kind: 'reply-delete-groups'; readonly token: ReplyToken; readonly response: readonly DeleteGroupsResult[] }
  | { readonly kind: 'persist-offsets'; readonly token: ReplyToken; readonly records: readonly CommittedOffset[] }
  | { readonly kind: 'persist-group-deletions'; readonly token: ReplyToken; readonly groupIds: readonly string[] }
  | { readonly kind: 'reply-delete-offsets'; readonly token: ReplyToken; readonly response: OffsetDeleteResponse }
  | {
      readonly kind: 'persist-offset-deletions';
      readonly token: ReplyToken;
      readonly groupId: string;
      readonly partitions: readonly OffsetPartitionKey[];
    };
