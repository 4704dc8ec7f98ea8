/**
 * The driver: wires the pure Raft state machine to io.clock (the tick timer), io.disk (RaftStorage)
 * and io.net (RaftTransport), and to an application state machine.
 *
 * One loop works through Ready after Ready, in the order the contract in types.ts demands: persist
 * (fsync), then send, then apply, then advance. Nothing is locked while the loop awaits the disk:
 * messages and ticks that arrive meanwhile are stepped into the state machine at once, and their
 * effects come out in the next Ready (an earlier broker of this kind held a lock across ready/advance
 * and its disk I/O).
 *
 * Startup never waits for peers (an earlier broker of this kind crashed at startup when they were
 * down): storage is recovered, the tick timer starts, and the transport dials peers in the
 * background. Recovery reads a snapshot plus a short tail, and ticks only start once it is done, so
 * a long history does not eat the election timeout (an earlier broker of this kind, restarted with
 * a 149K-entry log, held elections without end).
 *
 * A disk error while persisting is fatal for this incarnation (fail-stop): the node stops ticking,
 * sending and applying, rejects waiting proposals, and must be restarted to recover from its disk.
 */
import { assert } from '../assert.ts';
import { reached, type Io, type Log, type Timer } from '../io/index.ts';
import { raftCompactionTrailEntries, raftPendingProposalsMax, raftSnapshotEntriesInterval } from '../limits.ts';
import { DecodeError, decodeMessage, encodeMessage } from './codec.ts';
import type { RaftTestHooks } from './raft.ts';
import { Raft } from './raft.ts';
import { RaftStorage } from './storage.ts';
import type { PeerAddress } from './transport.ts';
import { RaftTransport, transportFrameKinds } from './transport.ts';
import type { Entry, Message, NodeId, ProposeError, Ready, Role, Snapshot } from './types.ts';
import { mayPrecedePersist, noNode } from './types.ts';

/** A Raft node's state as the metrics show it. */
export interface RaftStatus {
  readonly term: number;
  readonly role: Role;
  /** The leader this node knows (0: none). */
  readonly leader: NodeId;
  readonly lastIndex: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Times this node learned of a new leader (a node, not "none") since it started. */
  readonly leaderChanges: number;
  /** The node stopped for good after a storage failure. */
  readonly failed: boolean;
}

/** What the replicated log drives: applied in log order on every node, identically. */
export interface StateMachine {
  /** Applies one committed data entry. Must be deterministic: no clock, no randomness. */
  apply(entry: Entry): void;
  /** The state after the last applied entry, serialized. */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's. */
  restore(data: Uint8Array): void;
}

export interface RaftNodeTestHooks extends RaftTestHooks {
  /** Send a Ready's messages before its entries and votes are fsynced (breaks "persist before send"). */
  readonly sendBeforePersist?: boolean;
}

export interface RaftNodeObserver {
  /** Every Ready, right after it is taken (before it is persisted). */
  onReady?(raft: Raft, rd: Ready): void;
  /** The node recovered from disk and is about to start. */
  onRecovered?(raft: Raft): void;
  /** The node won an election (called synchronously inside the state machine). */
  onBecameLeader?(raft: Raft): void;
  /**
   * The node failed for good (its storage refused a write or an fsync): it no longer votes, leads or
   * applies. The process should stop and be started again, recovering from what is durable.
   */
  onFailed?(error: string): void;
}

export interface RaftNodeConfig {
  readonly id: NodeId;
  /** Every voter, this node included: 1, 3 or 5 (static). */
  readonly voters: readonly PeerAddress[];
  /** Directory on io.disk for this node's Raft state. */
  readonly dataDir: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly snapshotEntriesInterval?: number;
  readonly testHooks?: RaftNodeTestHooks;
  readonly observer?: RaftNodeObserver;
}

export type RaftNodeErrorCode = ProposeError | 'ProposalLost' | 'Stopped' | 'TooManyPending' | 'StorageFailed';

/** An operating error of propose(): with the leader to retry at when known. */
export class RaftNodeError extends Error {
  constructor(
    readonly code: RaftNodeErrorCode,
    readonly leader: NodeId,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RaftNodeError';
  }
}

export const frameKindRaft = 1;

interface Pending {
  readonly term: number;
  resolve(index: number): void;
  reject(error: RaftNodeError): void;
}

export class RaftNode {
  private readonly pending = new Map<number, Pending>();
  private timer: Timer | null = null;
  private processing = false;
  private stopped = false;
  private failedWith: string | null = null;
  private snapshotIndex: number;
  private readonly log: Log;
  private extraHandlers = new Map<number, (from: NodeId, payload: Uint8Array, reply: (kind: number, payload: Uint8Array) => void) => boolean>();

  private constructor(
    private readonly io: Io,
    private readonly config: RaftNodeConfig,
    readonly raft: Raft,
    private readonly storage: RaftStorage,
    private readonly sm: StateMachine,
    private readonly transport: RaftTransport,
  ) {
    this.log = io.log.child({ component: 'raft', node: config.id });
    this.snapshotIndex = raft.log.snapshotPoint().index;
  }

  /** Recovers from disk, restores the state machine, starts ticking and dialling peers. */
  static async start(io: Io, config: RaftNodeConfig, sm: StateMachine): Promise<RaftNode> {
    const self = config.voters.find((v) => v.id === config.id);
    assert(self !== undefined, `node ${config.id} is one of the voters`);
    const { storage, initial } = await RaftStorage.open(io.disk, config.dataDir, io.log);
    if (initial.snapshot !== null) sm.restore(initial.snapshot.data);
    const raft = new Raft(
      {
        id: config.id,
        voters: config.voters.map((v) => v.id),
        electionTicks: config.electionTicks,
        heartbeatTicks: config.heartbeatTicks,
        preVote: config.preVote ?? true,
        checkQuorum: config.checkQuorum ?? true,
        random: io.random.fork('raft'),
        log: io.log,
        testHooks: config.testHooks,
        probes: io,
        onBecameLeader: (r) => {
          config.observer?.onBecameLeader?.(r);
          for (const listener of [...(node?.becameLeaderListeners ?? [])]) listener();
        },
      },
      initial,
    );
    config.observer?.onRecovered?.(raft);
    let node: RaftNode | null = null;
    const transport = new RaftTransport(
      io,
      config.id,
      config.voters.filter((v) => v.id !== config.id),
      {
        onFrame: (from, kind, payload, reply) => node?.onFrame(from, kind, payload, reply) ?? true,
        onPeerDown: (id) => node?.raft.reportUnreachable(id),
        onPeerRefused: (id) => {
          for (const listener of [...(node?.peerRefusedListeners ?? [])]) listener(id);
        },
      },
    );
    node = new RaftNode(io, config, raft, storage, sm, transport);
    await transport.start({ host: self.host, port: self.port });
    // A single voter is its own majority: no reason to wait an election timeout after a restart.
    if (config.voters.length === 1) raft.campaign();
    node.armTick();
    node.kick();
    return node;
  }

  // ---- public API -------------------------------------------------------------------------------

  /**
   * Proposes `data`. Resolves with its log index once it is committed and applied on this node;
   * rejects with a RaftNodeError (NotLeader carries the leader to retry at).
   */
  propose(data: Uint8Array): Promise<number> {
    if (this.stopped || this.failedWith !== null) {
      return Promise.reject(new RaftNodeError(this.failedWith ? 'StorageFailed' : 'Stopped', this.raft.leader, 'node is not running'));
    }
    if (this.pending.size >= raftPendingProposalsMax) {
      return Promise.reject(new RaftNodeError('TooManyPending', this.raft.leader, `${this.pending.size} proposals waiting`));
    }
    const result = this.raft.propose(data);
    if (!result.ok) return Promise.reject(new RaftNodeError(result.error, result.leader, 'proposal refused'));
    // A proposal of an older term may still wait at this index: this node led then, lost the entry
    // to a newer leader's log, and leads again. Its entry is gone; without this it would wait forever
    // (cluster seed 21397: a controlled shutdown hung, and with it a graceful stop).
    const replaced = this.pending.get(result.index);
    if (replaced !== undefined) replaced.reject(new RaftNodeError('ProposalLost', this.raft.leader, `entry ${result.index} of term ${replaced.term} was replaced by one of term ${result.term}`));
    const promise = new Promise<number>((resolve, reject) => {
      this.pending.set(result.index, { term: result.term, resolve, reject });
    });
    this.kick();
    return promise;
  }

  leader(): NodeId {
    return this.raft.leader;
  }

  /** What the metrics show of this node: its term, role, leader, log positions and leader changes seen. */
  status(): RaftStatus {
    const log = this.raft.log;
    return {
      term: this.raft.term,
      role: this.raft.role,
      leader: this.raft.leader,
      lastIndex: log.lastIndex(),
      commitIndex: log.committed,
      appliedIndex: log.applied,
      leaderChanges: this.leaderChangesSeen,
      failed: this.failedWith !== null,
    };
  }

  role(): Role {
    return this.raft.role;
  }

  isRunning(): boolean {
    return !this.stopped && this.failedWith === null;
  }

  failure(): string | null {
    return this.failedWith;
  }

  private leaderSeen: NodeId = noNode;
  private leaderChangesSeen = 0;

  /** Listeners told when this node wins an election (synchronously, inside the state machine: defer work). */
  readonly becameLeaderListeners = new Set<() => void>();

  /** Listeners told when a peer's process is found gone (a dial refused); see RaftTransport.refusedSince. */
  readonly peerRefusedListeners = new Set<(id: NodeId) => void>();

  /** Since when every dial to `peer` has been refused (its process is gone), or null. */
  peerRefusedSince(peer: NodeId): number | null {
    return this.transport.refusedSince(peer);
  }

  /** Lets another component (the metadata controller) share the transport for its own frame kind. */
  handleFrames(kind: number, handler: (from: NodeId, payload: Uint8Array, reply: (kind: number, payload: Uint8Array) => void) => boolean): void {
    assert(kind !== frameKindRaft && !transportFrameKinds.includes(kind) && !this.extraHandlers.has(kind), `frame kind ${kind} is free`);
    this.extraHandlers.set(kind, handler);
  }

  sendFrame(to: NodeId, kind: number, payload: Uint8Array): boolean {
    return this.transport.send(to, kind, payload);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    await this.transport.stop();
    this.rejectAll('Stopped', 'node stopped');
    // The loop may still be inside a persist; wait for it so the files are closed after it.
    while (this.processing) await new Promise<void>((resolve) => this.io.clock.setTimer(1, resolve));
    await this.storage.close();
  }

  // ---- the loop ---------------------------------------------------------------------------------

  private armTick(): void {
    this.timer = this.io.clock.setTimer(this.config.tickMs, () => {
      if (!this.isRunning()) return;
      this.raft.tick();
      this.kick();
      this.armTick();
    });
  }

  private onFrame(from: NodeId, kind: number, payload: Uint8Array, reply: (kind: number, payload: Uint8Array) => void): boolean {
    if (!this.isRunning()) return true;
    if (kind !== frameKindRaft) return this.extraHandlers.get(kind)?.(from, payload, reply) ?? false;
    let m: Message;
    try {
      m = decodeMessage(payload);
    } catch (error) {
      if (error instanceof DecodeError) return false;
      throw error;
    }
    if (m.to !== this.config.id || m.from !== from) return false;
    this.raft.step(m);
    this.kick();
    return true;
  }

  private kick(): void {
    if (this.processing || !this.isRunning()) return;
    this.processing = true;
    void this.loop().then(
      () => {
        this.processing = false;
      },
      (error: unknown) => {
        this.processing = false;
        this.fail(error);
      },
    );
  }

  private async loop(): Promise<void> {
    while (this.isRunning() && this.raft.hasReady()) {
      const rd = this.raft.ready();
      if (rd.softState !== null && rd.softState.leader !== this.leaderSeen) {
        this.leaderSeen = rd.softState.leader;
        if (rd.softState.leader !== noNode) this.leaderChangesSeen++;
      }
      this.config.observer?.onReady?.(this.raft, rd);
      const allEarly = this.config.testHooks?.sendBeforePersist === true;
      this.sendAll(allEarly ? rd.messages : rd.messages.filter(mayPrecedePersist));
      await this.storage.persist(rd);
      if (!this.isRunning()) return;
      if (!allEarly) this.sendAll(rd.messages.filter((m) => !mayPrecedePersist(m)));
      this.apply(rd);
      if (this.raft.role !== 'leader') this.dropPending();
      this.raft.advance(rd);
      await this.maybeSnapshot();
    }
  }

  private sendAll(messages: readonly Message[]): void {
    for (const m of messages) this.transport.send(m.to, frameKindRaft, encodeMessage(m));
  }

  private apply(rd: Ready): void {
    if (rd.snapshot !== null) {
      this.sm.restore(rd.snapshot.data);
      this.snapshotIndex = Math.max(this.snapshotIndex, rd.snapshot.meta.index);
      for (const [index, p] of this.pending) {
        if (index > rd.snapshot.meta.index) continue;
        this.pending.delete(index);
        p.reject(new RaftNodeError('ProposalLost', this.raft.leader, `outcome of ${index} covered by a snapshot`));
      }
    }
    for (const e of rd.committedEntries) {
      if (e.type === 'data') this.sm.apply(e);
      const p = this.pending.get(e.index);
      if (p === undefined) continue;
      this.pending.delete(e.index);
      if (p.term === e.term) p.resolve(e.index);
      else p.reject(new RaftNodeError('ProposalLost', this.raft.leader, `entry ${e.index} was replaced by a newer leader`));
    }
  }

  /**
   * This node no longer leads: what it proposed and has not seen committed may yet be committed by
   * the new leader, or replaced; the caller learns that the outcome is unknown (ProposalLost) now,
   * instead of waiting for an index that an idle cluster may never reach.
   */
  private dropPending(): void {
    for (const [index, p] of this.pending) {
      this.pending.delete(index);
      p.reject(new RaftNodeError('ProposalLost', this.raft.leader, `this node stopped leading before entry ${index} was committed; it may still be`));
    }
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.raft.log.applied;
    const interval = this.config.snapshotEntriesInterval ?? raftSnapshotEntriesInterval;
    if (applied - this.snapshotIndex < interval) return;
    const term = this.raft.log.term(applied);
    // Undefined while a newer snapshot from the leader, stepped in during the last persist, waits
    // to be handed out: it will replace our state anyway.
    if (term === undefined) return;
    const snapshot: Snapshot = { meta: { index: applied, term, voters: this.raft.voters }, data: this.sm.snapshot() };
    const compactIndex = Math.max(this.snapshotIndex, applied - Math.min(raftCompactionTrailEntries, Math.floor(interval / 4)));
    await this.storage.saveSnapshot(snapshot, compactIndex);
    if (!this.isRunning()) return;
    this.raft.compact(snapshot, compactIndex);
    this.snapshotIndex = applied;
    this.log.info('RaftSnapshotTaken', { index: applied, term, bytes: snapshot.data.length, compactIndex });
  }

  private fail(error: unknown): void {
    if (this.failedWith !== null) return;
    this.failedWith = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reached(this.io, 'raft.storage-failed');
    this.log.error('RaftNodeFailed', { error: this.failedWith, hint: 'the controller voter of this node stopped (its metadata storage failed): check the disk, then restart the node; the other voters keep the quorum' });
    this.timer?.cancel();
    void this.transport.stop();
    this.rejectAll('StorageFailed', this.failedWith);
    this.config.observer?.onFailed?.(this.failedWith);
    // Programmer errors are not operating errors: let them crash the run.
    if (error instanceof Error && error.name === 'AssertionError') throw error;
  }

  private rejectAll(code: RaftNodeErrorCode, why: string): void {
    for (const p of this.pending.values()) p.reject(new RaftNodeError(code, this.raft.leader, why));
    this.pending.clear();
  }
}
