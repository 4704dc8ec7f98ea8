/**
 * The shapes of the Raft state machine (src/core/raft/raft.ts): entries, messages, persistent state,
 * and the Ready that hands effects to the driver.
 *
 * Terms and indexes are plain numbers: they are internal to the controller quorum (never INT64 on the
 * Kafka wire) and stay far below 2^53; raft.ts asserts they are safe integers.
 */

/** A controller voter's id (Kafka's node.id). 0 means "nobody". */
export type NodeId = number;
export const noNode: NodeId = 0;

export type EntryType =
  /** Appended by a new leader so that it can commit entries of earlier terms. Carries no data. */
  | 'noop'
  /** A record proposed by the application (a metadata record). */
  | 'data';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it leaves the node. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface SnapshotMeta {
  /** Last entry the snapshot covers, and its term. */
  readonly index: number;
  readonly term: number;
  readonly voters: readonly NodeId[];
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The application's serialized state after applying every entry up to meta.index. */
  readonly data: Uint8Array;
}

export type MessageType =
  | 'app' // leader -> follower: entries after (index, logTerm), and the leader's commit
  | 'appResp' // follower -> leader: index accepted up to, or rejection with a backtracking hint
  | 'vote' // candidate -> all: (index, logTerm) of its last entry
  | 'voteResp'
  | 'preVote' // pre-candidate -> all: "would you vote for me at term+1?" (no state changes)
  | 'preVoteResp'
  | 'heartbeat' // leader -> follower: commit = min(follower match, leader commit)
  | 'heartbeatResp'
  | 'snap'; // leader -> follower: the whole snapshot

export const messageTypes: readonly MessageType[] = [
  'app',
  'appResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
];

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry before `entries`; vote: term of the last entry; appResp reject: hint term. */
  readonly logTerm: number;
  /** app: index before `entries`; vote: last index; appResp: matched index, or the rejected index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** appResp reject: the follower's guess of the highest index that may match. */
  readonly rejectHint: number;
  readonly snapshot: Snapshot | null;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/**
 * The effects of everything stepped since the previous Ready.
 *
 * Ordering contract (the driver must honour it, in this order):
 * 1. Persist: `snapshot` (if any), then `entries` (an entry at index i replaces every stored entry
 *    at i and above), then `hardState` (if any), and fsync all of it. (The commit index in the hard
 *    state may be written lazily: only term and vote are promises; commit is learned again.)
 * 2. Only then send `messages`: a vote, a vote grant or an append acknowledgement promises that the
 *    state above is durable ("persist before send"). The one exception, messages for which
 *    mayPrecedePersist() holds (a leader's appends, heartbeats and snapshots), may go out before or
 *    while the leader persists (Raft thesis 10.2.1): they promise nothing about the leader's disk,
 *    and the leader counts its own entries towards commit only after advance().
 * 3. Apply: restore the state machine from `snapshot` (if any), then apply `committedEntries` in order.
 * 4. Call advance(ready). Only one Ready may be outstanding; step() and tick() may be called while
 *    the driver works through it (the state machine keeps track of what it handed out).
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
}

/** What a restarting node read back from its disk. */
export interface RaftInitialState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  /** Entries after the snapshot (or from index 1), contiguous. */
  readonly entries: readonly Entry[];
}

export const emptyHardState: HardState = { term: 0, vote: noNode, commit: 0 };

export type ProposeError = 'NotLeader' | 'TooManyUncommitted' | 'EntryTooLarge';

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: false; readonly error: ProposeError; readonly leader: NodeId };

/** See the Ready contract: a leader's appends, heartbeats and snapshots need not wait for its fsync. */
export function mayPrecedePersist(m: Message): boolean {
  return m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
}

/** A message with every optional field at its zero value. */
export function message(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return {
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    ...fields,
  };
}
