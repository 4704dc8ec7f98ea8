/**
 * Raft as a pure state machine, in the shape of etcd-io/raft: inputs are tick(), step(message) and
 * propose(data); outputs are collected into a Ready (what to persist, send and apply — the ordering
 * contract is written above `Ready` in types.ts) and acknowledged with advance(). No I/O, no clock:
 * time is a count of ticks, randomness (election jitter) comes from the injected Random.
 *
 * Implemented: leader election with randomized timeouts, pre-vote and check-quorum (a partitioned
 * node cannot depose a healthy leader when it rejoins), log replication with conflict backtracking
 * by term, commit by majority of durable matches, a bounded in-flight window per follower, snapshots
 * (sent to followers whose next entry was compacted away). Voters are static.
 */
import { assert, assertionFailed, unreachable } from '../assert.ts';
import type { Log, Probes, Random } from '../io/index.ts';
import { buggify, nullLog, reached } from '../io/index.ts';
import {
  raftAppendBytesPerMessageMax,
  raftAppendEntriesPerMessageMax,
  raftApplyEntriesPerReadyMax,
  raftEntryBytesMax,
  raftInflightMessagesMax,
  raftUncommittedEntriesMax,
  raftVotersMax,
} from '../limits.ts';
import { Progress } from './progress.ts';
import { committedIndex, voteResult } from './quorum.ts';
import { RaftLog } from './raft-log.ts';
import type {
  Entry,
  EntryType,
  HardState,
  Message,
  NodeId,
  ProposeResult,
  RaftInitialState,
  Ready,
  Role,
  Snapshot,
  SoftState,
} from './types.ts';
import { emptyHardState, message, noNode } from './types.ts';

/**
 * Test-only fault points, for showing that the simulator's checkers catch real bugs. Production
 * never sets them.
 */
export interface RaftTestHooks {
  /** Grant votes without the election restriction (the candidate's log may be behind ours). */
  readonly voteWithoutLogCheck?: boolean;
  /**
   * Commit an entry of an older term once a majority holds it (no term check in maybeCommit): the
   * bug of the Raft paper's figure 8, where such an entry can still be overwritten.
   */
  readonly commitOlderTermByCount?: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  /** A follower starts an election after a random number of ticks in [electionTicks, 2*electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly random: Random;
  readonly log?: Log;
  readonly inflightMax?: number;
  readonly testHooks?: RaftTestHooks;
  /** Coverage marks and BUGGIFY points (src/core/io/probes.ts): the driver passes its Io's. */
  readonly probes?: Probes;
  /** Called the moment this node wins an election, before its no-op is appended (for checkers). */
  readonly onBecameLeader?: (raft: Raft) => void;
}

export class Raft {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  term = 0;
  vote: NodeId = noNode;
  leader: NodeId = noNode;
  role: Role = 'follower';
  readonly log: RaftLog;
  /** The newest snapshot this node has (persisted by the driver); sent to followers that fell behind. */
  latestSnapshot: Snapshot | null;

  private readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTicks = 0;
  private msgs: Message[] = [];
  private prevHardState: HardState;
  /** A Ready was handed out and not yet advanced (only one may be outstanding). */
  private readyOutstanding = false;
  private prevSoftState: SoftState;
  private readonly trace: Log;

  constructor(
    private readonly config: RaftConfig,
    initial: RaftInitialState = { hardState: emptyHardState, snapshot: null, entries: [] },
  ) {
    const voters = [...config.voters].sort((a, b) => a - b);
    assert(voters.length >= 1 && voters.length <= raftVotersMax, `1..${raftVotersMax} voters`);
    assert(new Set(voters).size === voters.length && !voters.includes(noNode), 'distinct non-zero voter ids');
    assert(voters.includes(config.id), 'this node is a voter');
    assert(config.electionTicks > config.heartbeatTicks && config.heartbeatTicks >= 1, 'tick settings');
    this.id = config.id;
    this.voters = voters;
    this.trace = config.log ?? nullLog;
    this.log = new RaftLog(initial.snapshot?.meta ?? null, initial.entries, initial.hardState.commit);
    this.latestSnapshot = initial.snapshot;
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.prevHardState = this.hardState();
    this.prevSoftState = this.softState();
    this.becomeFollower(this.term, noNode);
  }

  // ---- inputs -----------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Starts an election now (etcd's MsgHup), as if the election timeout had elapsed. */
  campaign(): void {
    if (this.role === 'leader') return;
    if (this.config.preVote) this.becomePreCandidate();
    else this.becomeCandidate();
  }

  /** Appends a record to the leader's log. The caller learns of its commit when it is applied. */
  propose(data: Uint8Array, type: EntryType = 'data'): ProposeResult {
    if (this.role !== 'leader') return { ok: false, error: 'NotLeader', leader: this.leader };
    if (data.length > raftEntryBytesMax) return { ok: false, error: 'EntryTooLarge', leader: this.leader };
    if (this.log.lastIndex() - this.log.committed >= raftUncommittedEntriesMax) {
      return { ok: false, error: 'TooManyUncommitted', leader: this.leader };
    }
    const entry: Entry = { term: this.term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([entry]);
    this.bcastAppend();
    return { ok: true, index: entry.index, term: entry.term };
  }

  step(m: Message): void {
    if (m.to !== this.id) assertionFailed(`message for ${m.to} stepped into ${this.id}`);
    assert(Number.isSafeInteger(m.term) && Number.isSafeInteger(m.index), 'term and index are safe integers');
    if (!this.voters.includes(m.from)) return;
    if (m.term > this.term) {
      if (!this.acceptHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.answerStaleTerm(m);
      return;
    }
    switch (m.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return;
      default:
        this.stepByRole(m);
    }
  }

  /** The transport lost the connection to `id`: stop pipelining to it and probe again. */
  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role === 'leader' && pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /**
   * The driver persisted `snapshot` (state after applying every entry up to its index): remember it
   * for followers and drop log entries up to `compactIndex` (<= the snapshot's index).
   */
  compact(snapshot: Snapshot, compactIndex: number): void {
    assert(compactIndex <= snapshot.meta.index, 'compact within the snapshot');
    assert(snapshot.meta.index <= this.log.applied, 'snapshot of applied state');
    assert(this.log.term(snapshot.meta.index) === snapshot.meta.term || this.log.snapshotPoint().index >= snapshot.meta.index,
      'snapshot term matches the log');
    if (this.latestSnapshot === null || this.latestSnapshot.meta.index < snapshot.meta.index) this.latestSnapshot = snapshot;
    this.log.compactTo(Math.min(compactIndex, this.log.stable));
  }

  // ---- outputs ----------------------------------------------------------------------------------

  hasReady(): boolean {
    return (
      this.msgs.length > 0 ||
      this.log.pendingSnapshot !== null ||
      this.log.hasUnpersisted() ||
      this.log.hasCommittedToApply() ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  ready(): Ready {
    assert(!this.readyOutstanding, 'advance() the previous Ready before taking the next');
    this.readyOutstanding = true;
    const hs = this.hardState();
    const ss = this.softState();
    const rd: Ready = {
      softState: sameSoftState(ss, this.prevSoftState) ? null : ss,
      hardState: sameHardState(hs, this.prevHardState) ? null : hs,
      snapshot: this.log.pendingSnapshot,
      entries: this.log.takeUnpersisted(),
      messages: this.msgs,
      committedEntries: this.log.takeCommitted(raftApplyEntriesPerReadyMax),
    };
    this.log.pendingSnapshot = null;
    this.msgs = [];
    this.prevHardState = hs;
    this.prevSoftState = ss;
    return rd;
  }

  advance(rd: Ready): void {
    assert(this.readyOutstanding, 'advance() of a Ready that was handed out');
    this.readyOutstanding = false;
    if (rd.snapshot !== null) this.log.snapshotStable(rd.snapshot);
    if (rd.entries.length > 0) this.log.stableTo(rd.entries);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) this.log.appliedTo(lastApplied.index);
    if (this.role === 'leader') {
      const self = this.progress.get(this.id);
      assert(self !== undefined, 'leader tracks itself');
      self.maybeUpdate(this.log.stable);
      if (this.maybeCommit()) this.bcastAppend();
    }
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  /** For tests and status pages: a follower's progress as the leader sees it. */
  progressOf(id: NodeId): { match: number; next: number; state: string; inflight: number } | undefined {
    const pr = this.progress.get(id);
    return pr && { match: pr.match, next: pr.next, state: pr.state, inflight: pr.inflightCount() };
  }

  // ---- term rules -------------------------------------------------------------------------------

  /** A message from a higher term. Returns false when it must be ignored. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === 'vote' || m.type === 'preVote') {
      // Check-quorum lease: while we hear from a leader, a disruptive candidate is ignored.
      const inLease = this.config.checkQuorum && this.leader !== noNode && this.electionElapsed < this.config.electionTicks;
      if (inLease) return false;
    }
    if (m.type === 'preVote') return true; // a pre-vote never changes our term
    if (m.type === 'preVoteResp' && !m.reject) return true; // a grant carries the future term
    const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
    this.becomeFollower(m.term, fromLeader ? m.from : noNode);
    return true;
  }

  private answerStaleTerm(m: Message): void {
    const lowerTermAllowed = this.config.checkQuorum || this.config.preVote;
    if (lowerTermAllowed && (m.type === 'app' || m.type === 'heartbeat')) {
      // A stale leader (e.g. back from a partition) learns the new term and steps down.
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term }));
    } else if (m.type === 'preVote') {
      this.send(message({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true }));
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === noNode && this.leader === noNode) ||
      (m.type === 'preVote' && m.term > this.term);
    const logOk = this.config.testHooks?.voteWithoutLogCheck === true || this.log.isUpToDate(m.index, m.logTerm);
    if (canVote && logOk) {
      this.send(message({ type: respType, from: this.id, to: m.from, term: m.term }));
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, from: this.id, to: m.from, term: this.term, reject: true }));
    }
  }

  private stepByRole(m: Message): void {
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
      default:
        unreachable(this.role);
    }
  }

  // ---- roles ------------------------------------------------------------------------------------

  private becomeFollower(term: number, leader: NodeId): void {
    if (this.role === 'leader') reached(this.config.probes, 'raft.leader-stepped-down');
    if (term !== this.term) {
      this.term = term;
      this.vote = noNode;
    }
    this.leader = leader;
    this.role = 'follower';
    this.resetTimers();
  }

  private becomePreCandidate(): void {
    this.role = 'preCandidate';
    this.leader = noNode;
    this.votes.clear();
    this.resetTimers();
    this.trace.debug('RaftPreVoteStarted', { id: this.id, term: this.term });
    this.requestVotes('preVote', this.term + 1);
  }

  private becomeCandidate(): void {
    this.term += 1;
    this.vote = this.id;
    this.role = 'candidate';
    this.leader = noNode;
    this.votes.clear();
    this.resetTimers();
    this.trace.debug('RaftElectionStarted', { id: this.id, term: this.term });
    this.requestVotes('vote', this.term);
  }

  private requestVotes(type: 'vote' | 'preVote', term: number): void {
    this.votes.set(this.id, true);
    if (this.tallyVotes(type === 'vote' ? 'voteResp' : 'preVoteResp')) return;
    for (const id of this.voters) {
      if (id === this.id) continue;
      this.send(message({ type, from: this.id, to: id, term, index: this.log.lastIndex(), logTerm: this.log.lastTerm() }));
    }
  }

  /** Returns true when the election is decided (and acted upon). */
  private tallyVotes(respType: 'voteResp' | 'preVoteResp'): boolean {
    const result = voteResult(this.voters, this.votes);
    if (result === 'won') {
      if (respType === 'preVoteResp') this.becomeCandidate();
      else this.becomeLeader();
      return true;
    }
    if (result === 'lost') {
      this.becomeFollower(this.term, noNode);
      return true;
    }
    return false;
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    this.role = 'leader';
    this.leader = this.id;
    this.resetTimers();
    this.progress.clear();
    const inflightMax = this.config.inflightMax ?? raftInflightMessagesMax;
    for (const id of this.voters) {
      const pr = new Progress(this.log.lastIndex() + 1, inflightMax);
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'self progress');
    self.maybeUpdate(this.log.stable);
    self.becomeReplicate();
    this.trace.info('RaftBecameLeader', { id: this.id, term: this.term, lastIndex: this.log.lastIndex() });
    this.config.onBecameLeader?.(this);
    // A no-op of our term lets us commit (and so learn) everything earlier leaders committed.
    this.log.append([{ term: this.term, index: this.log.lastIndex() + 1, type: 'noop', data: new Uint8Array(0) }]);
    this.bcastAppend();
  }

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const base = this.config.electionTicks;
    this.randomizedElectionTicks = base + this.config.random.int(base);
    // BUGGIFY: the earliest timeout of the legal range [base, 2*base) (drawn all the same, so the
    // jitter stream stays as it was).
    if (buggify(this.config.probes, 'raft.early-election-timeout', 0.2)) this.randomizedElectionTicks = base;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.campaign();
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.quorumActive()) {
        this.trace.info('RaftLeaderLostQuorum', { id: this.id, term: this.term });
        reached(this.config.probes, 'raft.leader-lost-quorum');
        this.becomeFollower(this.term, noNode);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  /** Check-quorum: did a majority (counting ourselves) talk to us since the last round? Resets the marks. */
  private quorumActive(): boolean {
    let active = 0;
    for (const [id, pr] of this.progress) {
      if (id === this.id || pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= Math.floor(this.voters.length / 2) + 1;
  }

  private stepCandidate(m: Message): void {
    const myRespType = this.role === 'candidate' ? 'voteResp' : 'preVoteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        // Someone won this term: follow it.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        if (m.type !== myRespType) return;
        this.votes.set(m.from, !m.reject);
        this.tallyVotes(myRespType);
        return;
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.send(message({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term }));
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed }));
      return;
    }
    // Coverage: this follower's log diverged from the leader's (entries of another term at the same
    // indexes), and the append is about to cut them: the diverging histories Raft must reconcile.
    const last = this.log.lastIndex();
    const diverged =
      this.config.probes?.coverage !== undefined && m.entries.some((e) => e.index <= last && this.log.term(e.index) !== undefined && this.log.term(e.index) !== e.term);
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      if (diverged) reached(this.config.probes, 'raft.follower-cut-diverging-entries');
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: lastNew }));
      return;
    }
    // Mismatch: hint the highest index whose term is <= the leader's prev term, so the leader can
    // skip a whole conflicting term per round trip instead of one entry.
    reached(this.config.probes, 'raft.append-log-mismatch');
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hint) ?? 0;
    this.send(
      message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: m.index, reject: true, rejectHint: hint, logTerm: hintTerm }),
    );
  }

  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    assert(snap !== null, 'snap message carries a snapshot');
    const { index, term } = snap.meta;
    if (index <= this.log.committed) {
      this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.committed }));
      return;
    }
    if (this.log.matchTerm(index, term)) {
      // We already hold everything the snapshot covers: just learn that it is committed.
      this.log.commitTo(index);
    } else {
      this.trace.info('RaftSnapshotRestored', { id: this.id, index, term });
      reached(this.config.probes, 'raft.snapshot-restored');
      this.log.restore(snap);
      if (this.latestSnapshot === null || this.latestSnapshot.meta.index < index) this.latestSnapshot = snap;
    }
    this.send(message({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: this.log.lastIndex() }));
  }

  // ---- leader -----------------------------------------------------------------------------------

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    switch (m.type) {
      case 'appResp':
        pr.recentActive = true;
        if (m.reject) this.handleAppendRejected(m, pr);
        else this.handleAppendAccepted(m, pr);
        return;
      case 'heartbeatResp':
        pr.recentActive = true;
        pr.onHeartbeatResponse();
        // A follower behind us (e.g. its appends were lost): an empty append finds where we differ.
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, pr, true);
        return;
      default:
        return;
    }
  }

  private handleAppendRejected(m: Message, pr: Progress): void {
    let next = m.rejectHint;
    if (m.logTerm > 0) next = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
    if (pr.maybeDecrTo(m.index, next)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      this.sendAppend(m.from, pr, false);
    }
  }

  private handleAppendAccepted(m: Message, pr: Progress): void {
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from, pr, true);
    // Fill the window.
    while (!pr.isPaused() && pr.next <= this.log.lastIndex()) {
      if (!this.sendAppend(m.from, pr, false)) break;
    }
  }

  private maybeCommit(): boolean {
    const index = committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
    // Only entries of the current term are committed by counting replicas (Raft paper, 5.4.2).
    // Coverage: the state of the paper's figure 8 (c), a majority holding an older term's entry that
    // this leader must not commit by counting; a commit rule without the term check would commit it.
    if (index > this.log.committed && this.log.term(index) !== this.term) reached(this.config.probes, 'raft.older-term-majority');
    const countable = this.log.term(index) === this.term || this.config.testHooks?.commitOlderTermByCount === true;
    if (index > this.log.committed && countable) {
      this.log.commitTo(index);
      return true;
    }
    return false;
  }

  private bcastAppend(): void {
    for (const [id, pr] of this.progress) {
      if (id !== this.id) this.sendAppend(id, pr, true);
    }
    if (this.voters.length === 1) this.maybeCommit();
  }

  private bcastHeartbeat(): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // BUGGIFY: a heartbeat lost on the way (the network may drop any message; the next one follows).
      if (buggify(this.config.probes, 'raft.drop-heartbeat', 0.05)) continue;
      const commit = Math.min(pr.match, this.log.committed);
      this.send(message({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit }));
    }
  }

  /** Sends the next append (or the snapshot) to a follower. Returns whether anything was sent. */
  private sendAppend(to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const last = this.log.lastIndex();
    // BUGGIFY: one entry per message (as a tight byte limit would make it), so a follower can hold an
    // older leader's entries without the new leader's own: the state of the Raft paper's figure 8.
    const entriesMax = buggify(this.config.probes, 'raft.small-append', 0.3) ? 1 : raftAppendEntriesPerMessageMax;
    const entries =
      prevTerm === undefined ? undefined : this.log.slice(pr.next, last + 1, entriesMax, raftAppendBytesPerMessageMax);
    if (prevTerm === undefined || entries === undefined) return this.sendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    const lastSent = entries[entries.length - 1]?.index ?? prevIndex;
    this.send(
      message({ type: 'app', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed }),
    );
    pr.sentEntries(lastSent, entries.length);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snap = this.latestSnapshot;
    assert(snap !== null, 'entries were compacted, so a snapshot exists');
    this.trace.info('RaftSnapshotSent', { id: this.id, to, index: snap.meta.index });
    this.send(message({ type: 'snap', from: this.id, to, term: this.term, snapshot: snap }));
    pr.becomeSnapshot(snap.meta.index);
    return true;
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
