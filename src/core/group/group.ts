/**
 * One consumer group's membership state (no offsets: those live in offset-cache.ts). Plain data plus
 * the small pure helpers the coordinator's transitions use; the transitions themselves are in
 * coordinator.ts so that every state change can be read in one place.
 */
import { assert } from '../assert.ts';
import type { GroupState, JoinGroupProtocol, JoinGroupResponseMember, ReplyToken } from './types.ts';

const emptyBytes = new Uint8Array(0);

export interface Member {
  readonly memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly JoinGroupProtocol[];
  /** Last join, sync, heartbeat or commit (monotonic ms); the session runs from here. */
  lastHeardMs: number;
  /** A JoinGroup held until the rebalance completes. */
  joinToken: ReplyToken | null;
  /** A SyncGroup held until the leader's assignment arrives. */
  syncToken: ReplyToken | null;
  /** This generation's assignment (set when the leader syncs). */
  assignment: Uint8Array;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  /** Set by the first member to join an empty group; kept while the group holds only offsets. */
  protocolType: string | null = null;
  /** Chosen when a join phase completes; null while Empty. */
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order, which is also the order of leader succession. */
  readonly members = new Map<string, Member>();
  /** Static membership (KIP-345): group.instance.id -> the member id that holds it now. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the time they are forgotten if unused. */
  readonly pendingMembers = new Map<string, number>();
  /** PreparingRebalance: the join phase completes at this time even if members are missing. */
  joinDeadlineMs = 0;
  /** PreparingRebalance: the join phase completes no earlier than this (initial rebalance delay). */
  joinNotBeforeMs = 0;
  /** True while the join phase started from Empty: new members push joinNotBeforeMs further. */
  initialJoinPhase = false;
  /** After a join phase: members that have not sent SyncGroup yet, and when they are given up on. */
  readonly awaitingSync = new Set<string>();
  syncDeadlineMs = 0;

  constructor(readonly groupId: string) {}

  get size(): number {
    return this.members.size + this.pendingMembers.size;
  }

  /** The longest rebalance timeout of the members (Kafka waits this long for all to rejoin). */
  rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  /**
   * Whether a request naming `groupInstanceId` comes from a member id the instance no longer maps to
   * (a newer process with the same instance id took it over): Kafka's isStaticMemberFenced.
   */
  isFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Puts `member` in the place of `oldMemberId` (same join order, so the same leader succession). */
  replaceMember(oldMemberId: string, member: Member): void {
    assert(this.members.has(oldMemberId) && !this.members.has(member.memberId), 'replacing a held member with a new id');
    const entries = [...this.members.entries()].map(([id, m]): [string, Member] => (id === oldMemberId ? [member.memberId, member] : [id, m]));
    this.members.clear();
    for (const [id, m] of entries) this.members.set(id, m);
    if (this.awaitingSync.delete(oldMemberId)) this.awaitingSync.add(member.memberId);
    if (this.leaderId === oldMemberId) this.leaderId = member.memberId;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const member of this.members.values()) if (member.joinToken === null) return false;
    return true;
  }

  /** Whether a member with this protocol type and list may be (or stay) in the group. */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupProtocol[], ignoring?: string): boolean {
    if (protocolType.length === 0 || protocols.length === 0) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== ignoring);
    if (others.length === 0) return true;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /**
   * Kafka's vote: the protocols every member supports are candidates; each member votes for the first
   * candidate in its own preference order; most votes wins, ties go to the earlier candidate in the
   * leader's list.
   */
  selectProtocol(): string {
    const members = [...this.members.values()];
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    assert(leader !== undefined, 'a group choosing a protocol has a leader');
    const candidates = leader.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    assert(candidates.length > 0, 'members share a protocol (checked on join)');
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of members) {
      const choice = member.protocols.find((p) => votes.has(p.name));
      assert(choice !== undefined, 'every member supports a candidate');
      votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** The members with their metadata for the chosen protocol, as the leader's JoinGroup response lists them. */
  memberList(): JoinGroupResponseMember[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: metadataFor(m, this.protocolName),
    }));
  }
}

export function metadataFor(member: Member, protocolName: string | null): Uint8Array {
  if (protocolName === null) return emptyBytes;
  return member.protocols.find((p) => p.name === protocolName)?.metadata ?? emptyBytes;
}

/** Whether two protocol lists are the same names with the same metadata bytes, in the same order. */
export function sameProtocols(a: readonly JoinGroupProtocol[], b: readonly JoinGroupProtocol[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => p.name === b[i]!.name && bytesEqual(p.metadata, b[i]!.metadata));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export { emptyBytes };
