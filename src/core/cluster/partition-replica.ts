/**
 * One partition's replication on one broker of a cluster: its role (leader, follower, or neither),
 * leader epoch, ISR and high watermark, driven by the metadata image (apply) and by follower fetches.
 *
 * Leader:
 * - Every produced batch is stamped with the leader epoch; the epoch starts at the log end when this
 *   broker takes over (EpochHistory).
 * - Positions: the leader's own is its log's durable end; a follower's is the offset of its last
 *   fetch (followers fetch from their own durable end, so a position is always durable there).
 * - High watermark: the smallest position across the ISR (and, while an ISR change is in flight,
 *   across the union of the old and the new ISR). It never goes backwards while this broker leads,
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
import type { Io, Log, Timer } from '../io/index.ts';
import { readBatchHeader, splitBatches } from '../log/record-batch.ts';
import type { AlterPartitionResult } from '../metadata/controller.ts';
import type { PartitionInfo } from '../metadata/image.ts';
import type { AlterPartitionRequest } from '../metadata/partition-policy.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Partition } from '../broker/topic-store.ts';
import { EpochHistory } from './epoch-history.ts';
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
}

export type ReplicaRole = 'leader' | 'follower' | 'none';

interface FollowerState {
  /** Offset of the follower's last fetch: what it holds durably. -1 until it fetched from this leader. */
  position: bigint;
  lastCaughtUpMs: number;
  /** The leader's log end at the follower's previous fetch (Kafka's lastFetchLeaderLogEndOffset). */
  previousFetchLeaderEnd: bigint;
  previousFetchMs: number;
}

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
  private hw = 0n;
  /** The log end when this broker became leader (Kafka's leaderEpochStartOffset). */
  private epochStartOffset = 0n;
  private readonly followers = new Map<number, FollowerState>();
  private pendingIsr: readonly number[] | null = null;
  private hwWaiters: HwWaiter[] = [];
  private fetcher: ReplicaFetcher | null = null;
  private isrTimer: Timer | null = null;
  private stopped = false;
  private readonly onAppended = (): void => this.maybeAdvanceHw();

  private constructor(
    readonly host: ReplicaHost,
    readonly partition: Partition,
    readonly epochs: EpochHistory,
  ) {
    partition.appendListeners.add(this.onAppended);
  }

  /** Builds the replica of `partition`, reading its log's batch headers for the epoch history. */
  static async create(host: ReplicaHost, partition: Partition): Promise<PartitionReplica> {
    const headers: { baseOffset: bigint; partitionLeaderEpoch: number }[] = [];
    const log = partition.log;
    if (log !== null) {
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const bytes = await log.read(offset, 1024 * 1024);
        const split = splitBatches(bytes, bytes.length);
        if (!split.ok || split.spans.length === 0) break;
        for (const span of split.spans) {
          headers.push({ baseOffset: span.header.baseOffset, partitionLeaderEpoch: span.header.partitionLeaderEpoch });
          offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
        }
      }
    }
    return new PartitionReplica(host, partition, EpochHistory.fromBatches(headers));
  }

  get highWatermark(): bigint {
    return this.hw;
  }

  get topic(): string {
    return this.partition.topic.name;
  }

  /** Takes the partition's state from the image (called on every image change). */
  apply(info: PartitionInfo): void {
    if (this.stopped) return;
    const me = this.host.brokerId;
    const epochChanged = info.leaderEpoch !== this.leaderEpoch;
    this.replicas = info.replicas;
    if (info.leader === me && info.replicas.includes(me)) {
      if (this.role !== 'leader' || epochChanged) this.becomeLeader(info);
      if (info.partitionEpoch !== this.partitionEpoch) this.pendingIsr = null;
      this.isr = info.isr;
      this.partitionEpoch = info.partitionEpoch;
      this.maybeAdvanceHw();
      return;
    }
    this.isr = info.isr;
    this.partitionEpoch = info.partitionEpoch;
    if (info.leader >= 0 && info.replicas.includes(me)) {
      if (this.role !== 'follower' || epochChanged || this.leaderId !== info.leader) this.becomeFollower(info);
      return;
    }
    if (this.role !== 'none' || epochChanged) this.becomeNone(info);
  }

  stop(): void {
    this.stopped = true;
    this.partition.appendListeners.delete(this.onAppended);
    this.endLeadership();
    this.fetcher?.stop();
    this.fetcher = null;
  }

  // ---- leader ------------------------------------------------------------------------------------

  private becomeLeader(info: PartitionInfo): void {
    this.fetcher?.stop();
    this.fetcher = null;
    this.endLeadership();
    const log = this.partition.log;
    const end = log?.logEndOffset ?? 0n;
    this.role = 'leader';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.epochStartOffset = end;
    this.epochs.assign(info.leaderEpoch, end);
    if (this.hw > end) this.hw = end;
    const nowMs = this.host.io.clock.nowMs();
    this.followers.clear();
    for (const b of info.replicas) {
      if (b !== this.host.brokerId) this.followers.set(b, { position: -1n, lastCaughtUpMs: nowMs, previousFetchLeaderEnd: -1n, previousFetchMs: nowMs });
    }
    this.host.log.info('ReplicaBecameLeader', { topic: this.topic, partition: this.partition.index, leaderEpoch: info.leaderEpoch, logEnd: end, isr: info.isr.join(',') });
    this.armIsrCheck();
  }

  private endLeadership(): void {
    this.isrTimer?.cancel();
    this.isrTimer = null;
    this.pendingIsr = null;
    for (const w of this.hwWaiters.splice(0)) {
      w.timer.cancel();
      w.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
  }

  /**
   * A follower fetched from `fetchOffset` (it holds everything below durably). Returns the error a
   * fetch must answer with, or NONE.
   */
  onFollowerFetch(brokerId: number, fetchOffset: bigint): number {
    const log = this.partition.log;
    if (this.role !== 'leader' || log === null) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const f = this.followers.get(brokerId);
    if (f === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER; // not a replica of this partition
    if (fetchOffset > log.logEndOffset) return ErrorCode.OFFSET_OUT_OF_RANGE;
    const nowMs = this.host.io.clock.nowMs();
    const leaderEnd = log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= f.previousFetchLeaderEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.previousFetchMs);
    f.previousFetchLeaderEnd = leaderEnd;
    f.previousFetchMs = nowMs;
    f.position = fetchOffset;
    this.maybeAdvanceHw();
    this.maybeExpandIsr(brokerId, f);
    return ErrorCode.NONE;
  }

  /** Resolves with NONE once the high watermark passes `offset`, or with the error that ends the wait. */
  waitForHighWatermark(offset: bigint, timeoutMs: number): Promise<number> {
    if (this.role !== 'leader') return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (this.hw > offset) return Promise.resolve(this.afterAppendCode());
    return new Promise((resolve) => {
      const timer = this.host.io.clock.setTimer(Math.max(timeoutMs, 0), () => {
        this.hwWaiters = this.hwWaiters.filter((w) => w !== waiter);
        resolve(ErrorCode.REQUEST_TIMED_OUT);
      });
      const waiter: HwWaiter = { offset, resolve, timer };
      this.hwWaiters.push(waiter);
    });
  }

  /** NOT_ENOUGH_REPLICAS when acks=all cannot be met now (checked before an append). */
  enoughReplicas(): boolean {
    return this.isr.length >= this.host.config.minInsyncReplicas;
  }

  private afterAppendCode(): number {
    return this.enoughReplicas() ? ErrorCode.NONE : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
  }

  private maybeAdvanceHw(): void {
    const log = this.partition.log;
    if (log === null) return;
    if (this.role !== 'leader') return;
    let min = log.durableEndOffset;
    if (this.host.bugs.hwIgnoresFollowers !== true) {
      const members = new Set([...this.isr, ...(this.pendingIsr ?? [])]);
      for (const b of members) {
        if (b === this.host.brokerId) continue;
        const position = this.followers.get(b)?.position ?? -1n;
        if (position < min) min = position;
      }
    }
    if (min <= this.hw) return;
    this.hw = min;
    const ready = this.hwWaiters.filter((w) => w.offset < min);
    if (ready.length > 0) {
      this.hwWaiters = this.hwWaiters.filter((w) => w.offset >= min);
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
      if (this.role !== 'leader' || this.stopped) return;
      this.maybeShrinkIsr();
      this.armIsrCheck();
    });
  }

  private maybeShrinkIsr(): void {
    const nowMs = this.host.io.clock.nowMs();
    const lagging = this.isr.filter((b) => {
      if (b === this.host.brokerId) return false;
      const f = this.followers.get(b);
      return f === undefined || nowMs - f.lastCaughtUpMs > this.host.config.replicaLagTimeMaxMs;
    });
    if (lagging.length === 0) return;
    this.proposeIsr(this.isr.filter((b) => !lagging.includes(b)), 'shrink');
  }

  private maybeExpandIsr(brokerId: number, f: FollowerState): void {
    if (this.isr.includes(brokerId) || this.pendingIsr !== null) return;
    if (f.position < this.hw || f.position < this.epochStartOffset) return;
    this.proposeIsr([...this.isr, brokerId], 'expand');
  }

  private proposeIsr(isr: readonly number[], why: 'shrink' | 'expand'): void {
    if (this.pendingIsr !== null) return;
    this.pendingIsr = isr;
    const leaderEpoch = this.leaderEpoch;
    const request: AlterPartitionRequest = {
      brokerId: this.host.brokerId,
      brokerEpoch: this.host.brokerEpoch(),
      topic: this.topic,
      partition: this.partition.index,
      leaderEpoch,
      partitionEpoch: this.partitionEpoch,
      isr,
    };
    this.host.log.info('IsrChangeProposed', { topic: this.topic, partition: this.partition.index, why, from: this.isr.join(','), to: isr.join(',') });
    void this.host.alterPartition(request).then(
      (result) => this.isrChangeAnswered(request, result),
      () => this.isrChangeAnswered(request, null),
    );
  }

  private isrChangeAnswered(request: AlterPartitionRequest, result: AlterPartitionResult | null): void {
    if (this.pendingIsr !== request.isr) return; // superseded by an image change
    if (result === null || result.errorCode !== ErrorCode.NONE) {
      this.host.log.info('IsrChangeRefused', { topic: this.topic, partition: this.partition.index, errorCode: result?.errorCode ?? -1 });
      this.pendingIsr = null;
      this.maybeAdvanceHw();
    }
    // On success the image brings the new ISR (apply), which clears pendingIsr.
  }

  // ---- follower ----------------------------------------------------------------------------------

  private becomeFollower(info: PartitionInfo): void {
    this.endLeadership();
    this.fetcher?.stop();
    this.role = 'follower';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
    this.host.log.info('ReplicaBecameFollower', { topic: this.topic, partition: this.partition.index, leader: info.leader, leaderEpoch: info.leaderEpoch });
    this.fetcher = new ReplicaFetcher(this.host, this, info.leader, info.leaderEpoch);
    this.fetcher.start();
  }

  private becomeNone(info: PartitionInfo): void {
    this.endLeadership();
    this.fetcher?.stop();
    this.fetcher = null;
    this.role = 'none';
    this.leaderId = info.leader;
    this.leaderEpoch = info.leaderEpoch;
  }

  /** The follower's fetcher copied batches up to a durable end; the leader's high watermark was `leaderHw`. */
  followerAppended(bytes: Uint8Array, leaderHw: bigint): void {
    const split = splitBatches(bytes, bytes.length);
    if (split.ok) {
      for (const span of split.spans) {
        const header = readBatchHeader(bytes, span.position);
        this.epochs.assign(header.partitionLeaderEpoch, header.baseOffset);
        this.partition.producers.load(header);
      }
    }
    this.followerHighWatermark(leaderHw);
  }

  followerHighWatermark(leaderHw: bigint): void {
    const log = this.partition.log;
    if (log === null) return;
    const hw = leaderHw < log.durableEndOffset ? leaderHw : log.durableEndOffset;
    if (hw > this.hw) {
      this.hw = hw;
      this.partition.notifyHighWatermark();
    }
  }

  /** After a follower cut its tail: the epochs and producer state above it go, the high watermark is capped. */
  async followerTruncated(offset: bigint): Promise<void> {
    this.epochs.truncateFromEnd(offset);
    if (this.hw > offset) this.hw = offset;
    this.partition.producers.table.clear();
    await this.host.rebuildProducers(this.partition);
  }
}
