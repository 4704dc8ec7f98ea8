/**
 * One partition's replication on one broker of a cluster: its role (leader, follower, or neither),
 * leader epoch, ISR and high watermark, driven by the metadata image (apply) and by follower fetches.
 *
 * Leader:
 * - Every produced batch is stamped with the leader epoch; the epoch starts at the log end when this
 *   broker takes over, recorded in the leader-epoch checkpoint beside the log (LeaderEpochCache)
 *   before the first batch of the epoch is accepted.
 * - Positions: the leader's own is its log's durable end; a follower's is the offset of its last
 *   fetch (followers fetch from their own durable end, so a position is always durable there).
 *   Followers read up to the leader's log end, synced or not (docs/replication.md says why that is
 *   safe: a restarted broker never leads again under an epoch it led before).
 * - High watermark (LeaderState, src/core/replication): the smallest position across the ISR (and,
 *   while an ISR change is in flight, across the union of the old and the new ISR). It never goes
 *   backwards while this broker leads,
 *   and an acks=all write is answered only once the high watermark has passed it: then every ISR
 *   member holds it durably, so it survives any crash of all but one of them, and any crash at all
 *   of the ISR members that are not the last one standing.
 * - ISR: a follower that has not caught up (fetched up to the leader's log end as of that fetch or
 *   the one before) for replicaLagTimeMaxMs is removed; a replica outside the ISR whose position
 *   reaches the high watermark and the start of the current epoch is added. Both go through the
 *   controller (AlterPartition) and take effect only when the image carries them.
 * Follower: a ReplicaFetcher copies the leader's batches (offsets and epochs kept) after cutting any
 * divergent tail by leader epoch; its high watermark is the leader's, capped by its own durable end.
 */
import { DiskError, reached, sleep, type Io, type Log, type Timer } from '../io/index.ts';
import { headersOfCheckedBatches, splitBatches } from '../log/record-batch.ts';
import type { AlterPartitionResult } from '../metadata/controller.ts';
import type { PartitionInfo } from '../metadata/image.ts';
import type { AlterPartitionRequest } from '../metadata/partition-policy.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Partition } from '../broker/topic-store.ts';
import { LeaderState, followerHighWatermark } from '../replication/high-watermark.ts';
import { LeaderEpochCache } from '../replication/leader-epoch-cache.ts';
import { LeaderEpochEntries, rebuildFromBatches, type BatchEpoch } from '../replication/leader-epoch-entries.ts';
import { replicaRebuildReadBytes } from '../limits.ts';
import type { ReplicationConfig } from './replication-config.ts';
import { ReplicaFetcher } from './replica-fetcher.ts';

/** What a partition's replication needs from the broker around it. */
export interface ReplicaHost {
  readonly io: Io;
  readonly log: Log;
  readonly brokerId: number;
  readonly config: ReplicationConfig;
  /** The broker's registration epoch (-1 before it registered). */
  brokerEpoch(): number;
  /** Where another broker listens for Kafka clients, per the image; null if unknown. */
  brokerAddress(brokerId: number): { host: string; port: number } | null;
  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionResult>;
  /** Rebuilds a partition's idempotent-producer state from its log (after a truncation). */
  rebuildProducers(partition: Partition): Promise<unknown>;
  /** Called when a replica starts leading (accepts produce) or stops. */
  leadershipChanged(replica: PartitionReplica): void;
  /** Test-only planted bugs (see ReplicationBugs). */
  readonly bugs: ReplicationBugs;
}

/**
 * Test-only hooks that plant known replication bugs, so tests can show the simulator's checkers
 * catch them. Never set in production code.
 */
export interface ReplicationBugs {
  /** The leader's high watermark follows its own durable end, ignoring the followers. */
  hwIgnoresFollowers?: boolean;
  /** A follower truncates to its own high watermark instead of asking the leader by epoch. */
  truncateToHighWatermark?: boolean;
  /** A group coordinator answers an offset commit once its own log has it, not the offsets partition's ISR. */
  offsetsAckBeforeReplication?: boolean;
  /** acks=all is answered once the leader's own append is durable, without waiting for the ISR. */
  acksAllBeforeIsr?: boolean;
  /** Consumer fetches read up to the leader's log end instead of stopping at the high watermark. */
  readsAboveHighWatermark?: boolean;
  /** A leader whose reads of what it holds keep failing (a damaged disk) keeps its leaderships. */
  keepsLeadingUnreadableLog?: boolean;
  /**
   * A leader never adds a follower back to the ISR, however far it catches up: the ISR only shrinks
   * (a follower that restarted stays out, and after one more loss min.insync.replicas refuses every
   * acks=all write).
   */
  isrNeverExpands?: boolean;
}

/** Pause before an ISR change whose outcome is unknown (a timeout, a lost forward) is asked for again. */
const isrChangeRetryMs = 200;

/** Pause between attempts to write a new leader's epoch after a failed write. */
const leaderEpochRetryMs = 1000;

export type ReplicaRole = 'leader' | 'follower' | 'none';

interface HwWaiter {
  readonly offset: bigint;
  readonly resolve: (errorCode: number) => void;
  readonly timer: Timer;
}

export class PartitionReplica {
  role: ReplicaRole = 'none';
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: readonly number[] = [];
  replicas: readonly number[] = [];
  /** The HW as a follower (or before this broker led); a leader's is its LeaderState's. */
  private followerHw = 0n;
  private leader: LeaderState | null = null;
  /** False while a new leader's epoch is being written to the checkpoint: produce waits (retriable). */
  private leaderReady = false;
  private hwWaiters: HwWaiter[] = [];
  private fetcher: ReplicaFetcher | null = null;
  private isrTimer: Timer | null = null;
  private stopped = false;
  private readonly onAppended = (): void => this.leaderLogMoved();

  private constructor(
    readonly host: ReplicaHost,
    readonly partition: Partition,
    readonly epochs: LeaderEpochCache,
  ) {
    partition.appendListeners.add(this.onAppended);
  }

  /**
   * Builds the replica of `partition`: opens its leader-epoch checkpoint and, when the file is
   * missing, damaged or disagrees with the log (a crash between a log change and its checkpoint),
   * rebuilds it from the log's batch headers.
   */
  static async create(host: ReplicaHost, partition: Partition): Promise<PartitionReplica> {
    const log = partition.log;
    const { cache, status, problem } = await LeaderEpochCache.open(host.io.disk, partition.dir);
    if (log !== null) {
      const last = await lastBatchEpoch(partition);
      const check = status === 'ok' ? await cache.reconcile({ logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, lastBatchEpoch: last }) : 'stale';
      if (check === 'stale') {
        if (status !== 'missing') host.log.warn('LeaderEpochCheckpointRebuilt', { topic: partition.topic.name, partition: partition.index, status, problem: problem ?? 'disagrees with the log', hint: 'rebuilt from the batch headers of the log (a crash between a log write and its checkpoint); nothing to do' });
        await cache.replace(rebuildFromBatches(await batchEpochs(partition)));
      }
    }
    return new PartitionReplica(host, partition, cache);
  }

  /** What consumers may read: offsets below it are on every ISR member, durably. */
  get highWatermark(): bigint {
    return this.leader === null ? this.followerHw : this.leaderHw(this.leader);
  }

  /**
   * Where a consumer's fetch stops: the high watermark (with the planted bug readsAboveHighWatermark,
   * the log end). The fetch response still reports the high watermark.
   */
  get consumerReadLimit(): bigint {
    const log = this.partition.log;
    if (this.host.bugs.readsAboveHighWatermark === true && log !== null) return log.logEndOffset;
    return this.highWatermark;
  }

  /** The leader's HW (or, with the planted bug, its own durable end, ignoring the followers). */
  private leaderHw(leader: LeaderState): bigint {
    if (this.host.bugs.hwIgnoresFollowers === true) return leader.durableEnd();
    return leader.highWatermark();
  }

  get topic(): string {
    return this.partition.topic.name;
  }

  /** True when this broker leads the partition and accepts produce. */
  get leading(): boolean {
    return this.role === 'leader' && this.leaderReady;
  }

  /** Takes the partition's state from the image (called on every image change). */
  apply(info: PartitionInfo): void {
    if (this.stopped) return;
    const me = this.host.brokerId;
    const epochChanged = info.leaderEpoch !== this.leaderEpoch;
    const isrBefore = this.isr;
    this.replicas = info.replicas;
    this.isr = info.isr;
    if (info.leader === me && info.replicas.includes(me)) {
      if (this.role !== 'leader' || epochChanged) this.becomeLeader(info);
      else if (info.partitionEpoch !== this.partitionEpoch && this.leader !== null) {
        this.noteIsrChange(isrBefore, info.isr);
        this.afterHw(this.leader.setIsr(info.isr).advanced);
      }
      this.partitionEpoch = info.partitionEpoch;
      return;
    }
    this.partitionEpoch = info.partitionEpoch;
    if (info.leader >= 0 && info.replicas.includes(me)) {
      if (this.role !== 'follower' || epochChanged || this.leaderId !== info.leader) this.becomeFollower(info);
      return;
    }
    if (this.role !== 'none' || epochChanged) this.becomeNone(info);
  }

  /** Coverage: a leader saw its ISR shrink or expand under the same leader epoch. */
  private noteIsrChange(before: readonly number[], after: readonly number[]): void {
    if (before.some((b) => !after.includes(b))) reached(this.host.io, 'replication.isr-shrink');
    if (after.some((b) => !before.includes(b))) reached(this.host.io, 'replication.isr-expand');
  }

  stop(): void {
    this.stopped = true;
    this.partition.appendListeners.delete(this.onAppended);
    this.endLeadership();
    void this.fetcher?.stop();
    this.fetcher = null;
  }

  // ---- leader ------------------------------------------------------------------------------------

  /**
   * Takes over as leader: first waits for the follower's fetcher to stop (a batch it was appending
   * lands before the leader's log end is read), then records the new epoch at the log end, durably,
   * and only then accepts produce and follower fetches (until then both answer NOT_LEADER, which
   * clients retry).
   */
  private becomeLeader(info: PartitionInfo): void {
    const fetcherDone = this.fetcher?.stop() ?? Promise.resolve();
    this.fetcher = null;
    this.endLeadership();
    this.role = 'leader';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    const epoch = info.leaderEpoch;
    const current = (): boolean => this.role === 'leader' && this.leaderEpoch === epoch && !this.stopped;
    void fetcherDone
      .then(async () => {
        const log = this.partition.log;
        if (!current() || log === null) return;
        const end = log.logEndOffset;
        const durable = log.durableEndOffset;
        this.leader = new LeaderState({
          leaderId: info.leader,
          leaderEpoch: epoch,
          replicas: info.replicas,
          isr: this.isr,
          logEndOffset: end,
          durableEnd: durable,
          highWatermark: this.followerHw < durable ? this.followerHw : durable,
          nowMs: this.host.io.clock.nowMs(),
        });
        this.host.log.info('ReplicaBecameLeader', { topic: this.topic, partition: this.partition.index, leaderEpoch: epoch, logEnd: end, isr: this.isr.join(',') });
        if (!(await this.recordEpoch(epoch, end, current))) return;
        this.leaderReady = true;
        this.armIsrCheck();
        this.leaderLogMoved();
        this.host.leadershipChanged(this);
      })
      .catch((error: unknown) => this.host.log.error('ReplicaLeadershipFailed', { topic: this.topic, partition: this.partition.index, error: String(error), hint: 'the partition stays unavailable here until it is reopened or the broker restarts' }));
  }

  /**
   * Writes the new epoch to the leader-epoch checkpoint, retrying a failed write every second while
   * this leadership lasts (the history in memory already has it; a retry rewrites the whole file).
   * True once it is durable.
   */
  private async recordEpoch(epoch: number, end: bigint, current: () => boolean): Promise<boolean> {
    let first = true;
    while (current()) {
      try {
        if (first) await this.epochs.assign(epoch, end);
        else await this.epochs.replace(new LeaderEpochEntries(this.epochs.entries()));
        return current();
      } catch (error) {
        if (!(error instanceof DiskError)) throw error;
        this.host.log.warn('LeaderEpochCheckpointWriteFailed', { topic: this.topic, partition: this.partition.index, error: error.message, hint: 'retrying every second; the partition answers NOT_LEADER_OR_FOLLOWER until the write succeeds' });
        first = false;
        await sleep(this.host.io.clock, leaderEpochRetryMs);
      }
    }
    return false;
  }

  private endLeadership(): void {
    const wasLeading = this.leaderReady;
    if (this.leader !== null) this.followerHw = this.leader.highWatermark();
    this.leader = null;
    this.leaderReady = false;
    this.isrTimer?.cancel();
    this.isrTimer = null;
    for (const w of this.hwWaiters.splice(0)) {
      w.timer.cancel();
      w.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    if (wasLeading) this.host.leadershipChanged(this);
  }

  /**
   * A follower fetched from `fetchOffset` (it holds everything below durably). Returns the error a
   * fetch must answer with, or NONE.
   */
  onFollowerFetch(brokerId: number, fetchOffset: bigint): number {
    const log = this.partition.log;
    const leader = this.leader;
    if (!this.leading || leader === null || log === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (brokerId === this.host.brokerId || !this.replicas.includes(brokerId)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    this.leaderLogMoved();
    if (fetchOffset > log.logEndOffset || fetchOffset < 0n) return ErrorCode.OFFSET_OUT_OF_RANGE;
    this.afterHw(leader.onFollowerFetch(brokerId, fetchOffset, this.host.io.clock.nowMs()).advanced);
    this.maybeExpandIsr();
    return ErrorCode.NONE;
  }

  /** Resolves with NONE once the high watermark passes `offset`, or with the error that ends the wait. */
  waitForHighWatermark(offset: bigint, timeoutMs: number): Promise<number> {
    if (this.leader === null) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (this.host.bugs.acksAllBeforeIsr === true) return Promise.resolve(this.afterAppendCode());
    if (this.leaderHw(this.leader) > offset) return Promise.resolve(this.afterAppendCode());
    return new Promise((resolve) => {
      const timer = this.host.io.clock.setTimer(Math.max(timeoutMs, 0), () => {
        this.hwWaiters = this.hwWaiters.filter((w) => w !== waiter);
        resolve(ErrorCode.REQUEST_TIMED_OUT);
      });
      const waiter: HwWaiter = { offset, resolve, timer };
      this.hwWaiters.push(waiter);
    });
  }

  /** False when acks=all cannot be met now (NOT_ENOUGH_REPLICAS before an append). */
  enoughReplicas(): boolean {
    return this.isr.length >= this.minInsyncReplicas;
  }

  /** The topic's min.insync.replicas when it overrides it, else the broker's (--min-insync-replicas). */
  get minInsyncReplicas(): number {
    const topic = this.partition.topic;
    return topic.configs['min.insync.replicas'] !== undefined ? topic.config.minInsyncReplicas : this.host.config.minInsyncReplicas;
  }

  private afterAppendCode(): number {
    return this.enoughReplicas() ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  /** The leader's log grew or became durable (an append finished). */
  private leaderLogMoved(): void {
    const log = this.partition.log;
    const leader = this.leader;
    if (leader === null || log === null || !this.leaderReady) return;
    leader.onLeaderAppend(log.logEndOffset);
    if (log.durableEndOffset > leader.durableEnd()) {
      const update = leader.onLeaderDurable(log.durableEndOffset);
      this.afterHw(update.advanced || this.host.bugs.hwIgnoresFollowers === true);
    }
  }

  /** Wakes what waited for the HW after it advanced. */
  private afterHw(advanced: boolean): void {
    if (!advanced || this.leader === null) return;
    const hw = this.leaderHw(this.leader);
    const ready = this.hwWaiters.filter((w) => w.offset < hw);
    if (ready.length > 0) {
      this.hwWaiters = this.hwWaiters.filter((w) => w.offset >= hw);
      const code = this.afterAppendCode();
      for (const w of ready) {
        w.timer.cancel();
        w.resolve(code);
      }
    }
    this.partition.notifyHighWatermark();
  }

  private armIsrCheck(): void {
    this.isrTimer = this.host.io.clock.setTimer(this.host.config.replicaLagTimeMaxMs / 2, () => {
      this.isrTimer = null;
      if (!this.leading || this.stopped) return;
      const lagging = this.leader!.isrShrinkCandidates(this.host.io.clock.nowMs(), this.host.config.replicaLagTimeMaxMs);
      if (lagging.length > 0) this.proposeIsr(this.isr.filter((b) => !lagging.includes(b)), 'shrink');
      this.armIsrCheck();
    });
  }

  private maybeExpandIsr(): void {
    if (this.host.bugs.isrNeverExpands === true) return;
    const joining = this.leader?.isrExpandCandidates() ?? [];
    if (joining.length > 0) this.proposeIsr([...this.isr, ...joining], 'expand');
  }

  private proposeIsr(isr: readonly number[], why: 'shrink' | 'expand'): void {
    const leader = this.leader;
    if (leader === null || leader.pendingIsrChange() !== null) return;
    this.afterHw(leader.proposeIsr(isr).advanced);
    const request: AlterPartitionRequest = {
      brokerId: this.host.brokerId,
      brokerEpoch: this.host.brokerEpoch(),
      topic: this.topic,
      partition: this.partition.index,
      leaderEpoch: this.leaderEpoch,
      partitionEpoch: this.partitionEpoch,
      isr,
    };
    this.host.log.info('IsrChangeProposed', { topic: this.topic, partition: this.partition.index, why, from: this.isr.join(','), to: isr.join(',') });
    void this.host.alterPartition(request).then(
      (result) => this.isrChangeAnswered(leader, result, request),
      () => this.isrChangeAnswered(leader, null, request),
    );
  }

  /**
   * The controller's answer to an ISR change. A refusal made by the checks before anything is
   * proposed (stale broker epoch, not the leader, old leader epoch, ineligible replica) drops the
   * pending change. A timeout or a lost forward may hide a change committed after all, and a stale
   * partition epoch means the image is about to bring a change (perhaps this one): then the leader
   * keeps counting the proposed members for its high watermark until the image says (apply ->
   * setIsr), asking again while the outcome is unknown. Dropping an expand whose
   * commit it had not seen let a leader's HW pass what the new ISR member held (cluster seed 13258,
   * 5 nodes: that member was elected and a consumer's read was overwritten).
   */
  private isrChangeAnswered(leader: LeaderState, result: AlterPartitionResult | null, request: AlterPartitionRequest): void {
    if (this.leader !== leader || leader.pendingIsrChange() === null) return; // leadership moved on, or the image already brought it
    const code = result?.errorCode ?? -1;
    if (code === ErrorCode.NONE) return; // the image brings the new ISR (apply -> setIsr)
    this.host.log.info('IsrChangeRefused', { topic: this.topic, partition: this.partition.index, errorCode: code });
    // A stale partition epoch: the partition moved on (perhaps by this very change); asking again
    // ends once the image brings the move (apply -> setIsr clears the pending change).
    const unknown =
      code === -1 || code === ErrorCode.REQUEST_TIMED_OUT || code === ErrorCode.NOT_CONTROLLER || code === ErrorCode.UNKNOWN_SERVER_ERROR || code === ErrorCode.INVALID_UPDATE_VERSION;
    if (!unknown) {
      // Refused by the checks made before anything is proposed (broker epoch, leader, leader epoch, eligibility).
      this.afterHw(leader.abortIsrChange().advanced);
      return;
    }
    this.host.io.clock.setTimer(isrChangeRetryMs, () => {
      if (this.leader !== leader || leader.pendingIsrChange() === null || this.stopped) return;
      void this.host.alterPartition(request).then(
        (again) => this.isrChangeAnswered(leader, again, request),
        () => this.isrChangeAnswered(leader, null, request),
      );
    });
  }

  // ---- follower ----------------------------------------------------------------------------------

  private becomeFollower(info: PartitionInfo): void {
    this.endLeadership();
    const previous = this.fetcher?.stop() ?? Promise.resolve();
    this.role = 'follower';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.host.log.info('ReplicaBecameFollower', { topic: this.topic, partition: this.partition.index, leader: info.leader, leaderEpoch: info.leaderEpoch });
    this.fetcher = new ReplicaFetcher(this.host, this, info.leader, info.leaderEpoch);
    this.fetcher.start(previous);
  }

  private becomeNone(info: PartitionInfo): void {
    this.endLeadership();
    void this.fetcher?.stop();
    this.fetcher = null;
    this.role = 'none';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
  }

  /**
   * The follower's fetcher copied `bytes` (now durable); the leader's high watermark was `leaderHw`.
   * Every batch reaches the producer state and the epoch history in memory even when a write of the
   * leader-epoch checkpoint fails on the way (the first such failure is rethrown at the end, and the
   * fetcher starts over). Before, a failed checkpoint fsync skipped the producer state of the copied
   * batches; this replica, elected, then took a producer's retry of one of them for a new batch
   * (cluster seed 30525: an idempotent write stored twice).
   */
  async followerAppended(bytes: Uint8Array, leaderHw: bigint): Promise<void> {
    let checkpointFailure: DiskError | null = null;
    // The log's append checked every batch (CRC included) before this: only the headers are read.
    for (const header of headersOfCheckedBatches(bytes)) {
      this.partition.producers.load(header);
      if (header.partitionLeaderEpoch < 0) continue;
      try {
        await this.epochs.assign(header.partitionLeaderEpoch, header.baseOffset);
      } catch (error) {
        if (!(error instanceof DiskError)) throw error;
        checkpointFailure ??= error;
      }
    }
    this.followerHighWatermark(leaderHw);
    if (checkpointFailure !== null) throw checkpointFailure;
  }

  followerHighWatermark(leaderHw: bigint): void {
    const log = this.partition.log;
    if (log === null) return;
    const hw = followerHighWatermark(this.followerHw, leaderHw, log.durableEndOffset);
    if (hw > this.followerHw) {
      this.followerHw = hw;
      this.partition.notifyHighWatermark();
    }
  }

  /** The follower's HW as it knows it (for truncation decisions). */
  get followerHighWatermarkKnown(): bigint {
    return this.followerHw;
  }

  /**
   * After a follower's truncation to `offset`: the epochs from there go (even when the log itself was
   * not cut: an epoch this replica led without writing must not hide the leader's older epochs), the
   * HW is capped, and when the log was cut the producer state is rebuilt from what is left.
   */
  async followerTruncated(offset: bigint, logCut: boolean): Promise<void> {
    await this.epochs.truncateFromEnd(offset);
    if (this.followerHw > offset) this.followerHw = offset;
    if (!logCut) return;
    this.partition.producers.table.clear();
    await this.host.rebuildProducers(this.partition);
  }
}

/** Every batch's (base offset, leader epoch), oldest first, read from the log's headers. */
async function batchEpochs(partition: Partition): Promise<BatchEpoch[]> {
  const out: BatchEpoch[] = [];
  const log = partition.log;
  if (log === null) return out;
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bytes = await log.read(offset, replicaRebuildReadBytes);
    const split = splitBatches(bytes, bytes.length);
    if (!split.ok || split.spans.length === 0) break;
    for (const span of split.spans) {
      out.push({ baseOffset: span.header.baseOffset, partitionLeaderEpoch: span.header.partitionLeaderEpoch });
      offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
    }
  }
  return out;
}

/** The leader epoch of the log's last batch, or null for an empty log. */
async function lastBatchEpoch(partition: Partition): Promise<number | null> {
  const log = partition.log;
  if (log === null || log.logEndOffset === log.logStartOffset) return null;
  const bytes = await log.read(log.logEndOffset - 1n, 1);
  const split = splitBatches(bytes, bytes.length);
  if (!split.ok || split.spans.length === 0) return null;
  return split.spans.at(-1)!.header.partitionLeaderEpoch;
}
