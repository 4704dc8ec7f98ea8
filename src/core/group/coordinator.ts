/**
 * The consumer-group coordinator (Kafka's classic protocol: JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup, OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups, DeleteGroups) as a pure state
 * machine.
 *
 * Time enters as `nowMs` (monotonic) on every call; randomness (member ids) from the injected Random.
 * A request method returns its answer at once or a token; held answers, and the offsets that must be
 * made durable before a commit is answered, come out as effects (drain them with takeEffects()).
 * Call tick(nowMs) when nextTickAtMs() says so (or on any schedule): it expires sessions, pending
 * member ids, join phases and sync phases.
 *
 * States (Kafka's GroupMetadata): Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and
 * back to PreparingRebalance whenever a member joins, leaves, changes its protocols, or expires.
 * Static members (KIP-345, a group.instance.id) are the exception: a restarted static member that
 * joins again with an empty member id takes its old place, assignment and generation, and a Stable
 * group does not rebalance; the member id it replaces is fenced (FENCED_INSTANCE_ID).
 * See docs/groups.md for the picture and every error code.
 */
import { AssertionError, assert, unreachable } from '../assert.ts';
import type { Log } from '../io/log.ts';
import { nullLog } from '../io/log.ts';
import type { Random } from '../io/random.ts';
import * as limits from '../limits.ts';
import { GroupErrorCode } from './error-codes.ts';
import { Group, emptyBytes, metadataFor, sameProtocols, type Member } from './group.ts';
import { subscribedTopics } from './consumer-subscription.ts';
import { newMemberId } from './member-id.ts';
import { OffsetCommits } from './offset-commits.ts';
import type {
  CommittedOffset,
  DeleteGroupsResult,
  DescribedGroup,
  GroupEffect,
  GroupState,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupMember,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListedGroup,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  Reply,
  ReplyToken,
  SyncGroupRequest,
  SyncGroupResponse,
} from './types.ts';

export interface GroupCoordinatorConfig {
  readonly sessionTimeoutMsMin: number;
  readonly sessionTimeoutMsMax: number;
  /** An empty group's first join phase lasts at least this long, and longer while new members arrive. */
  readonly initialRebalanceDelayMs: number;
  readonly groupMembersMax: number;
  readonly groupsMax: number;
  readonly offsetMetadataBytesMax: number;
  readonly offsetCommitsInFlightMax: number;
  readonly committedOffsetKeysMax: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  sessionTimeoutMsMin: limits.groupSessionTimeoutMsMin,
  sessionTimeoutMsMax: limits.groupSessionTimeoutMsMax,
  initialRebalanceDelayMs: limits.groupInitialRebalanceDelayMsDefault,
  groupMembersMax: limits.groupMembersMax,
  groupsMax: limits.groupsMax,
  offsetMetadataBytesMax: limits.offsetMetadataBytesMax,
  offsetCommitsInFlightMax: limits.offsetCommitsInFlightMax,
  committedOffsetKeysMax: limits.committedOffsetKeysMax,
};

export interface GroupCoordinatorOptions {
  readonly random: Random;
  readonly config?: Partial<GroupCoordinatorConfig>;
  readonly log?: Log;
  /** Offsets loaded from the OffsetStore, oldest first (a later record for a key wins). */
  readonly committed?: Iterable<CommittedOffset>;
}

export interface GroupSnapshot {
  readonly state: GroupState;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly memberIds: readonly string[];
  readonly pendingMemberIds: readonly string[];
}

const E = GroupErrorCode;

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly random: Random;
  private readonly log: Log;
  private readonly groups = new Map<string, Group>();
  private readonly offsets: OffsetCommits;
  private effects: GroupEffect[] = [];
  private tokenNext: ReplyToken = 1;
  private rebalancesStarted = 0;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...defaultGroupCoordinatorConfig, ...options.config };
    assert(this.config.sessionTimeoutMsMin <= this.config.sessionTimeoutMsMax, 'session timeout range');
    assert(this.config.initialRebalanceDelayMs >= 0, 'initial rebalance delay is not negative');
    this.random = options.random;
    this.log = options.log ?? nullLog;
    this.offsets = new OffsetCommits(this.config, (e) => this.effects.push(e), () => this.tokenNext++);
    for (const record of options.committed ?? []) this.offsets.load(record);
  }

  /** The effects produced since the last call, in order; the caller now owns them. */
  takeEffects(): GroupEffect[] {
    const out = this.effects;
    this.effects = [];
    return out;
  }

  // ---- JoinGroup ------------------------------------------------------------------------------

  join(req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    if (req.groupId.length === 0) return done(joinError(req.memberId, E.INVALID_GROUP_ID));
    const sessionMs = req.sessionTimeoutMs;
    if (sessionMs < this.config.sessionTimeoutMsMin || sessionMs > this.config.sessionTimeoutMsMax) {
      return done(joinError(req.memberId, E.INVALID_SESSION_TIMEOUT));
    }
    const group = this.groups.get(req.groupId);
    if (req.memberId.length === 0) {
      const staticMemberId = req.groupInstanceId === null ? undefined : group?.staticMembers.get(req.groupInstanceId);
      if (group !== undefined && staticMemberId !== undefined) return this.joinKnownStaticMember(group, staticMemberId, req, nowMs);
      return this.joinNewMember(group, req, nowMs);
    }
    if (group === undefined) return done(joinError(req.memberId, E.UNKNOWN_MEMBER_ID));
    if (group.isFenced(req.memberId, req.groupInstanceId)) return done(joinError(req.memberId, E.FENCED_INSTANCE_ID));
    if (group.pendingMembers.has(req.memberId)) {
      if (!group.supportsProtocols(req.protocolType, req.protocols)) {
        return done(joinError(req.memberId, E.INCONSISTENT_GROUP_PROTOCOL));
      }
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req, nowMs);
    }
    return this.joinKnownMember(group, req, nowMs);
  }

  private joinNewMember(existing: Group | undefined, req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    const supported = existing?.supportsProtocols(req.protocolType, req.protocols) ??
      (req.protocolType.length > 0 && req.protocols.length > 0);
    if (!supported) return done(joinError('', E.INCONSISTENT_GROUP_PROTOCOL));
    if (existing !== undefined && existing.size >= this.config.groupMembersMax) {
      return done(joinError('', E.GROUP_MAX_SIZE_REACHED));
    }
    const group = existing ?? this.createGroup(req.groupId);
    if (group === null) return done(joinError('', E.COORDINATOR_NOT_AVAILABLE));
    const memberId = newMemberId(req.groupInstanceId ?? req.clientId, this.random);
    // Kafka skips MEMBER_ID_REQUIRED for static members: the instance id already names the member.
    if (req.requireKnownMemberId && req.groupInstanceId === null) {
      group.pendingMembers.set(memberId, nowMs + req.sessionTimeoutMs);
      return done(joinError(memberId, E.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, memberId, req, nowMs);
  }

  private joinKnownMember(group: Group, req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    const member = group.members.get(req.memberId);
    if (member === undefined) return done(joinError(req.memberId, E.UNKNOWN_MEMBER_ID));
    if (!group.supportsProtocols(req.protocolType, req.protocols, req.memberId)) {
      return done(joinError(req.memberId, E.INCONSISTENT_GROUP_PROTOCOL));
    }
    const unchanged = sameProtocols(member.protocols, req.protocols);
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, nowMs);
      case 'CompletingRebalance':
        // The member lost our JoinGroup answer: give it again, unless its subscription changed.
        if (unchanged) return done(this.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, req, nowMs);
      case 'Stable':
        // A leader rejoins to make the group rebalance (e.g. its topics' partitions changed).
        if (unchanged && group.leaderId !== member.memberId) return done(this.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, req, nowMs);
      case 'Empty':
      case 'Dead':
        return done(joinError(req.memberId, E.UNKNOWN_MEMBER_ID));
      default:
        return unreachable(group.state);
    }
  }

  /**
   * KIP-345: a JoinGroup with an empty member id and an instance id the group knows (a static member
   * restarted). The new member id takes the old one's place (join order, leadership, assignment); the
   * old member id's held requests and later ones get FENCED_INSTANCE_ID. A Stable group whose chosen
   * protocol stays the same does not rebalance: the member is answered at once with the current
   * generation, and told the leader is the leader id from before the replacement, so that a restarted
   * leader acts as a follower and takes its stored assignment with SyncGroup (as Kafka before KIP-814
   * does: a new assignment sent by the leader of a Stable group would reach nobody).
   */
  private joinKnownStaticMember(group: Group, oldMemberId: string, req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    const old = group.members.get(oldMemberId);
    assert(old !== undefined, 'the static member map names held members only');
    if (!group.supportsProtocols(req.protocolType, req.protocols, oldMemberId)) {
      return done(joinError('', E.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (old.joinToken !== null) this.replyJoin(old.joinToken, joinError(oldMemberId, E.FENCED_INSTANCE_ID));
    if (old.syncToken !== null) this.replySync(old.syncToken, syncError(E.FENCED_INSTANCE_ID));
    const leaderBefore = group.leaderId ?? '';
    const member: Member = { ...old, memberId: newMemberId(old.groupInstanceId ?? req.clientId, this.random), joinToken: null, syncToken: null };
    group.replaceMember(oldMemberId, member);
    this.log.info('GroupStaticMemberReplaced', { groupId: group.groupId, groupInstanceId: req.groupInstanceId, oldMemberId, memberId: member.memberId });
    switch (group.state) {
      case 'Stable': {
        setMemberFromJoin(member, req, nowMs);
        if (group.selectProtocol() !== group.protocolName) return this.holdJoinAndRebalance(group, member, nowMs);
        return done({ ...this.joinResult(group, member), leader: leaderBefore, members: [] });
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: start over so the new id gets a part.
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, nowMs);
      case 'Empty':
      case 'Dead':
        throw new AssertionError(`a ${group.state} group holds no members, static or not`);
      default:
        return unreachable(group.state);
    }
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    if (group.members.size === 0) group.protocolType = req.protocolType;
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req),
      protocolType: req.protocolType,
      protocols: req.protocols,
      lastHeardMs: nowMs,
      joinToken: null,
      syncToken: null,
      assignment: emptyBytes,
    };
    group.members.set(memberId, member);
    if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, memberId);
    group.leaderId ??= memberId;
    if (group.state === 'PreparingRebalance' && group.initialJoinPhase) {
      group.joinNotBeforeMs = Math.min(nowMs + this.config.initialRebalanceDelayMs, group.joinDeadlineMs);
    }
    this.log.debug('GroupMemberAdded', { groupId: group.groupId, memberId, state: group.state });
    return this.holdJoinAndRebalance(group, member, nowMs);
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest, nowMs: number): Reply<JoinGroupResponse> {
    setMemberFromJoin(member, req, nowMs);
    return this.holdJoinAndRebalance(group, member, nowMs);
  }

  private holdJoinAndRebalance(group: Group, member: Member, nowMs: number): Reply<JoinGroupResponse> {
    if (member.joinToken !== null) {
      // A retried JoinGroup replaces the held one; the old connection gets a retriable answer.
      this.replyJoin(member.joinToken, joinError(member.memberId, E.REBALANCE_IN_PROGRESS));
    }
    const token = this.tokenNext++;
    member.joinToken = token;
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, nowMs, 'member joined');
    this.tryCompleteJoin(group, nowMs);
    return { kind: 'pending', token };
  }

  // ---- the rebalance ---------------------------------------------------------------------------

  private prepareRebalance(group: Group, nowMs: number, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const member of group.members.values()) {
        member.assignment = emptyBytes;
        if (member.syncToken === null) continue;
        this.replySync(member.syncToken, syncError(E.REBALANCE_IN_PROGRESS));
        member.syncToken = null;
      }
    }
    const fromEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    group.awaitingSync.clear();
    group.joinDeadlineMs = nowMs + group.rebalanceTimeoutMs();
    group.joinNotBeforeMs = fromEmpty
      ? Math.min(nowMs + this.config.initialRebalanceDelayMs, group.joinDeadlineMs)
      : nowMs;
    group.initialJoinPhase = fromEmpty;
    this.rebalancesStarted += 1;
    this.log.info('GroupRebalanceStarted', { groupId: group.groupId, generationId: group.generationId, reason });
  }

  private tryCompleteJoin(group: Group, nowMs: number): void {
    if (group.state !== 'PreparingRebalance') return;
    const ready = group.allMembersJoined() && nowMs >= group.joinNotBeforeMs;
    if (ready || nowMs >= group.joinDeadlineMs) this.completeJoin(group, nowMs);
  }

  /** The join phase ends: members that did not rejoin are dropped and a new generation begins. */
  private completeJoin(group: Group, nowMs: number): void {
    const missing = [...group.members.values()].filter((m) => m.joinToken === null);
    for (const member of missing) this.removeMember(group, member.memberId, 'did not rejoin');
    group.generationId += 1;
    group.initialJoinPhase = false;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      this.log.info('GroupEmpty', { groupId: group.groupId, generationId: group.generationId });
      return;
    }
    group.protocolName = group.selectProtocol();
    group.state = 'CompletingRebalance';
    group.syncDeadlineMs = nowMs + group.rebalanceTimeoutMs();
    for (const member of group.members.values()) {
      group.awaitingSync.add(member.memberId);
      member.lastHeardMs = nowMs;
      member.assignment = emptyBytes;
      const token = member.joinToken;
      assert(token !== null, 'every remaining member holds a join');
      member.joinToken = null;
      this.replyJoin(token, this.joinResult(group, member));
    }
    this.log.info('GroupJoinCompleted', {
      groupId: group.groupId,
      generationId: group.generationId,
      leader: group.leaderId,
      members: group.members.size,
      protocol: group.protocolName,
    });
  }

  /** Drops one member without changing the group's state; held answers get UNKNOWN_MEMBER_ID. */
  private removeMember(group: Group, memberId: string, reason: string): void {
    const member = group.members.get(memberId);
    assert(member !== undefined, 'removing a member the group holds');
    if (member.joinToken !== null) this.replyJoin(member.joinToken, joinError(memberId, E.UNKNOWN_MEMBER_ID));
    if (member.syncToken !== null) this.replySync(member.syncToken, syncError(E.UNKNOWN_MEMBER_ID));
    group.members.delete(memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    group.awaitingSync.delete(memberId);
    if (group.leaderId === memberId) group.leaderId = group.members.keys().next().value ?? null;
    this.log.info('GroupMemberRemoved', { groupId: group.groupId, memberId, reason });
  }

  /** Removes members, then moves the group on: a stable group rebalances, a joining one may complete. */
  private removeMembersAndUpdate(group: Group, memberIds: readonly string[], nowMs: number, reason: string): void {
    if (memberIds.length === 0) return;
    for (const memberId of memberIds) this.removeMember(group, memberId, reason);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, nowMs, reason);
        this.tryCompleteJoin(group, nowMs);
        return;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group, nowMs);
        return;
      case 'Empty':
      case 'Dead':
        return;
      default:
        unreachable(group.state);
    }
  }

  // ---- SyncGroup -------------------------------------------------------------------------------

  sync(req: SyncGroupRequest, nowMs: number): Reply<SyncGroupResponse> {
    if (req.groupId.length === 0) return done(syncError(E.INVALID_GROUP_ID));
    const group = this.groups.get(req.groupId);
    if (group?.isFenced(req.memberId, req.groupInstanceId) === true) return done(syncError(E.FENCED_INSTANCE_ID));
    const member = group?.members.get(req.memberId);
    if (group === undefined || member === undefined) return done(syncError(E.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return done(syncError(E.ILLEGAL_GENERATION));
    const typeMismatch = req.protocolType !== null && req.protocolType !== group.protocolType;
    const nameMismatch = req.protocolName !== null && req.protocolName !== group.protocolName;
    if (typeMismatch || nameMismatch) return done(syncError(E.INCONSISTENT_GROUP_PROTOCOL));
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return done(syncError(E.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return done(syncError(E.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance':
        return this.holdSync(group, member, req, nowMs);
      case 'Stable':
        member.lastHeardMs = nowMs;
        group.awaitingSync.delete(member.memberId);
        return done(this.syncResult(group, member));
      default:
        return unreachable(group.state);
    }
  }

  private holdSync(group: Group, member: Member, req: SyncGroupRequest, nowMs: number): Reply<SyncGroupResponse> {
    member.lastHeardMs = nowMs;
    group.awaitingSync.delete(member.memberId);
    if (member.syncToken !== null) this.replySync(member.syncToken, syncError(E.REBALANCE_IN_PROGRESS));
    const token = this.tokenNext++;
    member.syncToken = token;
    if (group.leaderId === member.memberId) this.applyAssignment(group, req);
    return { kind: 'pending', token };
  }

  /** The leader's SyncGroup: every member gets its part (or nothing), and the group is Stable. */
  private applyAssignment(group: Group, req: SyncGroupRequest): void {
    const byMember = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
    group.state = 'Stable';
    for (const member of group.members.values()) {
      member.assignment = byMember.get(member.memberId) ?? emptyBytes;
      if (member.syncToken === null) continue;
      this.replySync(member.syncToken, this.syncResult(group, member));
      member.syncToken = null;
    }
    this.log.info('GroupStable', { groupId: group.groupId, generationId: group.generationId, members: group.members.size });
  }

  // ---- Heartbeat and LeaveGroup ------------------------------------------------------------------

  heartbeat(req: HeartbeatRequest, nowMs: number): HeartbeatResponse {
    if (req.groupId.length === 0) return { errorCode: E.INVALID_GROUP_ID };
    const group = this.groups.get(req.groupId);
    if (group?.isFenced(req.memberId, req.groupInstanceId) === true) return { errorCode: E.FENCED_INSTANCE_ID };
    const member = group?.members.get(req.memberId);
    if (group === undefined || member === undefined) return { errorCode: E.UNKNOWN_MEMBER_ID };
    if (req.generationId !== group.generationId) return { errorCode: E.ILLEGAL_GENERATION };
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return { errorCode: E.UNKNOWN_MEMBER_ID };
      case 'PreparingRebalance':
        member.lastHeardMs = nowMs;
        return { errorCode: E.REBALANCE_IN_PROGRESS };
      case 'CompletingRebalance':
      case 'Stable':
        member.lastHeardMs = nowMs;
        return { errorCode: E.NONE };
      default:
        return unreachable(group.state);
    }
  }

  leave(req: LeaveGroupRequest, nowMs: number): LeaveGroupResponse {
    if (req.groupId.length === 0) return { errorCode: E.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(req.groupId);
    if (group === undefined) return { errorCode: E.NONE, members: req.members.map((m) => ({ ...m, errorCode: E.UNKNOWN_MEMBER_ID })) };
    const leaving: string[] = [];
    const results = req.members.map((identity) => {
      const target = leaveTarget(group, identity);
      if (typeof target !== 'string') return { ...identity, errorCode: target.errorCode };
      if (!group.pendingMembers.delete(target) && !leaving.includes(target)) leaving.push(target);
      return { ...identity, errorCode: E.NONE };
    });
    this.removeMembersAndUpdate(group, leaving, nowMs, 'member left');
    this.tryCompleteJoin(group, nowMs);
    return { errorCode: E.NONE, members: results };
  }

  // ---- time ------------------------------------------------------------------------------------

  /** Expires pending member ids, sessions, join phases and sync phases that are due at `nowMs`. */
  tick(nowMs: number): void {
    for (const group of this.groups.values()) {
      for (const [memberId, expiresAtMs] of [...group.pendingMembers]) {
        if (nowMs >= expiresAtMs) group.pendingMembers.delete(memberId);
      }
      const expired = [...group.members.values()]
        .filter((m) => m.joinToken === null && m.syncToken === null && nowMs >= m.lastHeardMs + m.sessionTimeoutMs)
        .map((m) => m.memberId);
      this.removeMembersAndUpdate(group, expired, nowMs, 'session expired');
      const syncing = group.state === 'CompletingRebalance' || group.state === 'Stable';
      if (syncing && group.awaitingSync.size > 0 && nowMs >= group.syncDeadlineMs) {
        this.removeMembersAndUpdate(group, [...group.awaitingSync], nowMs, 'did not sync');
      }
      this.tryCompleteJoin(group, nowMs);
    }
  }

  /** The earliest time at which tick() has something to do, or null when nothing is scheduled. */
  nextTickAtMs(): number | null {
    let atMs = Infinity;
    for (const group of this.groups.values()) {
      for (const expiresAtMs of group.pendingMembers.values()) atMs = Math.min(atMs, expiresAtMs);
      for (const m of group.members.values()) {
        if (m.joinToken === null && m.syncToken === null) atMs = Math.min(atMs, m.lastHeardMs + m.sessionTimeoutMs);
      }
      if (group.state === 'PreparingRebalance') {
        atMs = Math.min(atMs, group.allMembersJoined() ? group.joinNotBeforeMs : group.joinDeadlineMs);
      }
      if (group.awaitingSync.size > 0) atMs = Math.min(atMs, group.syncDeadlineMs);
    }
    return atMs === Infinity ? null : atMs;
  }

  // ---- offsets ---------------------------------------------------------------------------------

  /**
   * Validates a commit against the group (generation, member, state) and, when it may proceed, emits a
   * persist-offsets effect and answers later (after offsetsPersisted). `wallClockMs` is stored with
   * the commit.
   */
  commitOffsets(req: OffsetCommitRequest, nowMs: number, wallClockMs: number): Reply<OffsetCommitResponse> {
    return this.offsets.commit(req, this.validateCommit(req, nowMs), wallClockMs);
  }

  /** The driver's report that the records of persist-offsets `token` are durable (ok) or not. */
  offsetsPersisted(token: ReplyToken, ok: boolean): void {
    this.offsets.persisted(token, ok);
  }

  fetchOffsets(req: OffsetFetchRequest): OffsetFetchResponse {
    return this.offsets.fetch(req);
  }

  /** Every durable committed offset of every group (for metrics: consumer lag). */
  committedOffsets(): IterableIterator<CommittedOffset> {
    return this.offsets.committed();
  }

  /** Rebalances started since this coordinator was created: times a group entered PreparingRebalance. */
  get rebalanceCount(): number {
    return this.rebalancesStarted;
  }

  private validateCommit(req: OffsetCommitRequest, nowMs: number): GroupErrorCode {
    const group = this.groups.get(req.groupId);
    if (group === undefined) return req.generationId < 0 ? E.NONE : E.ILLEGAL_GENERATION;
    if (req.generationId < 0 && group.state === 'Empty') return E.NONE;
    if (group.isFenced(req.memberId, req.groupInstanceId)) return E.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (member === undefined) return E.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return E.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Stable':
      case 'PreparingRebalance':
        // A member of the current generation may commit during a rebalance, before it rejoins.
        member.lastHeardMs = nowMs;
        return E.NONE;
      case 'CompletingRebalance':
        return E.REBALANCE_IN_PROGRESS;
      case 'Empty':
      case 'Dead':
        return E.UNKNOWN_MEMBER_ID;
      default:
        return unreachable(group.state);
    }
  }

  // ---- DeleteGroups ----------------------------------------------------------------------------

  /**
   * Kafka's DeleteGroups: an Empty group is deleted with its committed offsets (NONE), a group with
   * members answers NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND. When a deleted group had
   * offsets, the answer waits until their removal is durable (persist-group-deletions). A repeated
   * id is answered once, as Kafka does.
   */
  deleteGroups(groupIds: readonly string[]): Reply<readonly DeleteGroupsResult[]> {
    const results = [...new Set(groupIds)].map((groupId) => ({ groupId, errorCode: this.deletable(groupId) }));
    if (this.offsets.full) {
      return done(results.map((r) => (r.errorCode === E.NONE ? { ...r, errorCode: E.COORDINATOR_NOT_AVAILABLE } : r)));
    }
    for (const r of results) {
      if (r.errorCode !== E.NONE) continue;
      this.groups.delete(r.groupId);
      this.log.info('GroupDeleted', { groupId: r.groupId });
    }
    return this.offsets.deleteGroups(results);
  }

  private deletable(groupId: string): GroupErrorCode {
    if (groupId.length === 0) return E.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (group !== undefined) return group.state === 'Empty' ? E.NONE : E.NON_EMPTY_GROUP;
    return this.offsets.hasGroup(groupId) ? E.NONE : E.GROUP_ID_NOT_FOUND;
  }

  // ---- OffsetDelete ----------------------------------------------------------------------------

  /**
   * Kafka's OffsetDelete: removes the committed offsets of the given partitions, durably before the
   * answer (persist-offset-deletions). An unknown group answers GROUP_ID_NOT_FOUND. A group with
   * members keeps the offsets of topics it is subscribed to (GROUP_SUBSCRIBED_TO_TOPIC per
   * partition); a member with "consumer" metadata that does not parse counts as subscribed to every
   * topic, and a group with members of another protocol type answers NON_EMPTY_GROUP. A partition
   * with no offset answers NONE.
   */
  deleteOffsets(req: OffsetDeleteRequest): Reply<OffsetDeleteResponse> {
    const groupError = this.offsetsDeletable(req.groupId);
    if (groupError !== E.NONE) return done({ errorCode: groupError, topics: [] });
    const subscribed = this.subscribedTopics(req.groupId);
    const topics = req.topics.map((t) => {
      const errorCode: GroupErrorCode = subscribed === 'all' || subscribed.has(t.name) ? E.GROUP_SUBSCRIBED_TO_TOPIC : E.NONE;
      return { name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) };
    });
    return this.offsets.deleteOffsets(req.groupId, { errorCode: E.NONE, topics });
  }

  private offsetsDeletable(groupId: string): GroupErrorCode {
    if (groupId.length === 0) return E.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (group === undefined && !this.offsets.hasGroup(groupId)) return E.GROUP_ID_NOT_FOUND;
    if (group !== undefined && group.members.size > 0 && group.protocolType !== 'consumer') return E.NON_EMPTY_GROUP;
    return this.offsets.full ? E.COORDINATOR_NOT_AVAILABLE : E.NONE;
  }

  /** The union of the members' subscriptions over every protocol they offered; 'all' when one does not parse. */
  private subscribedTopics(groupId: string): Set<string> | 'all' {
    const topics = new Set<string>();
    for (const member of this.groups.get(groupId)?.members.values() ?? []) {
      for (const protocol of member.protocols) {
        const parsed = subscribedTopics(protocol.metadata);
        if (parsed === null) return 'all';
        for (const topic of parsed) topics.add(topic);
      }
    }
    return topics;
  }

  // ---- DescribeGroups and ListGroups -------------------------------------------------------------

  describe(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) {
        const state: GroupState = this.offsets.hasGroup(groupId) ? 'Empty' : 'Dead';
        return { errorCode: E.NONE, groupId, groupState: state, protocolType: '', protocolData: '', members: [] };
      }
      const stable = group.state === 'Stable';
      return {
        errorCode: E.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? metadataFor(m, group.protocolName) : emptyBytes,
          memberAssignment: stable ? m.assignment : emptyBytes,
        })),
      };
    });
  }

  /** Every group (with members, or only offsets), sorted by id; `statesFilter` (ListGroups v4+) is case-insensitive. */
  list(statesFilter: readonly string[] = []): ListedGroup[] {
    const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
    const ids = new Set([...this.groups.keys(), ...this.offsets.groupIds()]);
    const out: ListedGroup[] = [];
    for (const groupId of [...ids].sort()) {
      const group = this.groups.get(groupId);
      const listed: ListedGroup = {
        groupId,
        protocolType: group?.protocolType ?? '',
        groupState: group?.state ?? 'Empty',
      };
      if (wanted.size === 0 || wanted.has(listed.groupState.toLowerCase())) out.push(listed);
    }
    return out;
  }

  /** A read-only view of one group's membership, for tests, checkers and debug endpoints. */
  groupSnapshot(groupId: string): GroupSnapshot | null {
    const group = this.groups.get(groupId);
    if (group === undefined) return null;
    return {
      state: group.state,
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      memberIds: [...group.members.keys()],
      pendingMemberIds: [...group.pendingMembers.keys()],
    };
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /** A new group, evicting the oldest Empty one when the coordinator is full; null if none can go. */
  private createGroup(groupId: string): Group | null {
    if (this.groups.size >= this.config.groupsMax) {
      const victim = [...this.groups.values()].find((g) => g.state === 'Empty' && g.size === 0);
      if (victim === undefined) return null;
      this.groups.delete(victim.groupId);
    }
    const group = new Group(groupId);
    this.groups.set(groupId, group);
    return group;
  }

  private joinResult(group: Group, member: Member): JoinGroupResponse {
    return {
      errorCode: E.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: group.leaderId === member.memberId ? group.memberList() : [],
    };
  }

  private syncResult(group: Group, member: Member): SyncGroupResponse {
    return {
      errorCode: E.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    };
  }

  private replyJoin(token: ReplyToken, response: JoinGroupResponse): void {
    this.effects.push({ kind: 'reply-join', token, response });
  }

  private replySync(token: ReplyToken, response: SyncGroupResponse): void {
    this.effects.push({ kind: 'reply-sync', token, response });
  }
}

function done<R>(response: R): Reply<R> {
  return { kind: 'done', response };
}

/**
 * Which member one LeaveGroup identity removes (a held or pending member id), or the code to answer.
 * An empty member id with an instance id is the admin's removal of a static member (Kafka's
 * removeMembersFromConsumerGroup); a member id its instance no longer maps to is fenced.
 */
function leaveTarget(group: Group, identity: LeaveGroupMember): string | { errorCode: GroupErrorCode } {
  if (identity.memberId.length === 0) {
    const current = identity.groupInstanceId === null ? undefined : group.staticMembers.get(identity.groupInstanceId);
    return current ?? { errorCode: E.UNKNOWN_MEMBER_ID };
  }
  if (group.pendingMembers.has(identity.memberId)) return identity.memberId;
  if (group.isFenced(identity.memberId, identity.groupInstanceId)) return { errorCode: E.FENCED_INSTANCE_ID };
  return group.members.has(identity.memberId) ? identity.memberId : { errorCode: E.UNKNOWN_MEMBER_ID };
}

/** A rejoining member's request replaces what it said when it last joined. */
function setMemberFromJoin(member: Member, req: JoinGroupRequest, nowMs: number): void {
  member.protocols = req.protocols;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
  member.lastHeardMs = nowMs;
}

function rebalanceTimeoutOf(req: JoinGroupRequest): number {
  return req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs;
}

function joinError(memberId: string, errorCode: GroupErrorCode): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: GroupErrorCode): SyncGroupResponse {
  return { errorCode, protocolType: null, protocolName: null, assignment: emptyBytes };
}
