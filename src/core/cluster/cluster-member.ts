/**
 * A broker's membership of a cluster: it registers with the metadata controller, heartbeats, and
 * makes its partitions follow the metadata image. Entry point: `new ClusterMember(...)`, `start()`
 * once the broker listens, `stop()` before its logs stop.
 *
 * The image is the truth; the broker's topic store is a cache of it. On every image change
 * (coalesced, one reconcile at a time): topics the image names are created locally with the image's
 * topic id (all partitions; a partition this broker does not replicate stays empty and answers
 * NOT_LEADER_OR_FOLLOWER), topics it no longer names (or names with another id) are deleted, and each
 * partition's PartitionReplica takes its leader, epoch and ISR from the image.
 */
import { AsyncLock } from '../async-lock.ts';
import { buggify, sleep, type Io, type Log, type Timer } from '../io/index.ts';
import { reached } from '../io/probes.ts';
import type { AlterPartitionResult, AlterTopicConfigsRequest, BrokerResult, CreatePartitionsRequest, CreateTopicRequest, ProducerIdsResult, TopicResult } from '../metadata/controller.ts';
import type { MetadataImage, TopicInfo } from '../metadata/image.ts';
import type { AlterPartitionRequest } from '../metadata/partition-policy.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { Partition, TopicStore } from '../broker/topic-store.ts';
import { ClusterProducerIds } from './cluster-producer-ids.ts';
import { PartitionReplica, type ReplicaHost, type ReplicationBugs } from './partition-replica.ts';
import type { ReplicationConfig } from './replication-config.ts';

/** What a broker needs of the metadata quorum (a ControllerNode provides it). */
export interface ClusterLink {
  readonly controller: {
    registerBroker(brokerId: number, host: string, port: number): Promise<BrokerResult>;
    brokerHeartbeat(brokerId: number, brokerEpoch: number): Promise<BrokerResult>;
    controlledShutdown(brokerId: number, brokerEpoch: number): Promise<BrokerResult>;
    createTopics(requests: readonly CreateTopicRequest[]): Promise<TopicResult[]>;
    deleteTopics(names: readonly string[]): Promise<TopicResult[]>;
    createPartitions(requests: readonly CreatePartitionsRequest[]): Promise<TopicResult[]>;
    alterTopicConfigs(requests: readonly AlterTopicConfigsRequest[]): Promise<TopicResult[]>;
    alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionResult>;
    allocateProducerIds(brokerId: number, brokerEpoch: number): Promise<ProducerIdsResult>;
    activeController(): number;
  };
  image(): MetadataImage;
  /** Calls `listener` after every change of the image; returns a function that removes it. */
  onImageChanged(listener: () => void): () => void;
}

/** Pause before a reconcile retries a partition whose replica could not be built. */
const replicaCreateRetryMs = 1000;

export class ClusterMember {
  private epoch = -1;
  private heartbeatTimer: Timer | null = null;
  private readonly reconcileLock = new AsyncLock();
  private reconcileQueued = false;
  private stopped = false;
  private shuttingDown = false;
  /** What every pending waitUntil() calls to look at its condition again. */
  private readonly waiters = new Set<() => void>();
  private registering = false;
  /** When the last registration or heartbeat that the controller answered was sent (sessionLeaseHeld). */
  private leaseFromMs: number | null = null;
  /** When this broker last gave up its leaderships over a log it could not read (unreadableLeaderLog). */
  private unreadableSinceMs: number | null = null;
  private advertised: { host: string; port: number } | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly leadershipListeners = new Set<(replica: PartitionReplica) => void>();
  private readonly host: ReplicaHost;
  /** InitProducerId's ids: blocks from the controller (cluster-producer-ids.ts). */
  readonly producerIds: ClusterProducerIds;

  constructor(
    private readonly io: Io,
    readonly link: ClusterLink,
    readonly brokerId: number,
    private readonly topics: TopicStore,
    readonly config: ReplicationConfig,
    private readonly log: Log,
    rebuildProducers: (partition: Partition) => Promise<unknown>,
    readonly bugs: ReplicationBugs = {},
  ) {
    this.host = {
      io,
      log,
      brokerId,
      config,
      bugs,
      brokerEpoch: () => this.epoch,
      brokerAddress: (id) => {
        const b = this.link.image().broker(id);
        return b === undefined ? null : { host: b.host, port: b.port };
      },
      alterPartition: (request) => this.link.controller.alterPartition(request),
      rebuildProducers,
      leadershipChanged: (replica) => {
        for (const listener of [...this.leadershipListeners]) listener(replica);
      },
    };
    this.producerIds = new ClusterProducerIds(io.clock, log, () =>
      this.epoch < 0 || this.stopped ? Promise.resolve(null) : this.link.controller.allocateProducerIds(this.brokerId, this.epoch),
    );
  }

  /** Calls `listener` whenever a replica here starts or stops leading; returns a function that removes it. */
  onLeadershipChanged(listener: (replica: PartitionReplica) => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  get brokerEpoch(): number {
    return this.epoch;
  }

  image(): MetadataImage {
    return this.link.image();
  }

  /** Registers (retrying until the controller answers), then heartbeats and follows the image. */
  start(advertised: { host: string; port: number }): void {
    this.advertised = advertised;
    this.unsubscribe = this.link.onImageChanged(() => this.scheduleReconcile());
    void this.register(advertised);
    this.scheduleReconcile();
  }

  /**
   * Controlled shutdown (before the broker stops serving): stops heartbeating, asks the controller to
   * fence this broker (its leaderships move to other ISR members), and waits until the image shows it
   * leads nothing, or `timeoutMs` passes. Resolves with what it achieved, for the log.
   */
  async controlledShutdown(timeoutMs: number): Promise<{ moved: boolean; waitedMs: number }> {
    const startMs = this.io.clock.nowMs();
    this.shuttingDown = true;
    this.wakeWaiters();
    this.heartbeatTimer?.cancel();
    const leadsSomething = (): boolean => this.link.image().topics().some((t) => t.partitions.some((p) => p.leader === this.brokerId));
    const deadlineMs = startMs + timeoutMs;
    while (this.epoch >= 0 && this.io.clock.nowMs() < deadlineMs) {
      const result = await this.link.controller.controlledShutdown(this.brokerId, this.epoch).catch(() => null);
      if (result !== null && result.errorCode === ErrorCode.NONE && result.fenced) break;
      await sleep(this.io.clock, Math.min(this.config.brokerHeartbeatIntervalMs, Math.max(1, deadlineMs - this.io.clock.nowMs())));
    }
    await this.waitUntil(() => !leadsSomething(), deadlineMs);
    return { moved: !leadsSomething(), waitedMs: this.io.clock.nowMs() - startMs };
  }

  /**
   * Registers again, as a restarted broker does, and resolves once this broker's image shows the new
   * registration: the controller has then moved every leadership of this broker to other ISR members
   * under higher leader epochs (MetadataStateMachine.electAwayFrom). Called before a partition log
   * that lost records past its durable end (a failed fsync) serves again: followers may have copied
   * those records, and a leader that wrote other batches at their offsets under the same epoch would
   * leave the replicas diverged. False when that could not happen (the broker is stopping): the
   * partition must then not serve.
   */
  async registerAgain(reason: string): Promise<boolean> {
    if (this.advertised === null) return false;
    while (this.registering && !this.stopped) await sleep(this.io.clock, this.config.brokerHeartbeatIntervalMs);
    if (this.stopped || this.shuttingDown) return false;
    reached(this.io, 'cluster.reregister');
    this.log.warn('BrokerReregistering', { reason, brokerEpoch: this.epoch, hint: 'it registers again so that the controller moves its leaderships to other replicas under new leader epochs; the reason says what went wrong' });
    this.heartbeatTimer?.cancel();
    // Bounded (as long as a controlled shutdown waits for leaderships to move), so that a stop is
    // never held up behind a controller that does not answer: the partition then stays failed, and
    // the next reopen tries again.
    const deadlineMs = this.io.clock.nowMs() + this.config.controlledShutdownTimeoutMs;
    void this.register(this.advertised);
    await this.waitUntil(() => !this.registering || this.stopped || this.shuttingDown, deadlineMs);
    const applied = (): boolean => this.link.image().broker(this.brokerId)?.epoch === this.epoch;
    await this.waitUntil(() => this.stopped || this.shuttingDown || this.registering || applied(), deadlineMs);
    return !this.stopped && !this.shuttingDown && !this.registering && applied();
  }

  /**
   * A partition this broker leads fails reads of what it holds (a damaged stretch of its disk): the
   * broker registers again, so that the controller moves its leaderships to other ISR members under
   * new epochs (where there are none, it keeps leading and the reads keep failing, since an unclean
   * election is off). At most once per replicaLagTimeMaxMs, so that a broker elected again meanwhile
   * does not flap.
   */
  unreadableLeaderLog(partition: string, detail: string): void {
    if (this.host.bugs.keepsLeadingUnreadableLog === true) return;
    const nowMs = this.io.clock.nowMs();
    if (this.unreadableSinceMs !== null && nowMs - this.unreadableSinceMs < this.config.replicaLagTimeMaxMs) return;
    this.unreadableSinceMs = nowMs;
    reached(this.io, 'cluster.leader-gave-up-unreadable-log');
    void this.registerAgain(`partition ${partition} cannot read what it holds: ${detail}`);
  }

  /**
   * True while the controller cannot have fenced this broker for a lapsed session: its last answered
   * registration or heartbeat was sent less than a session ago (the controller counts from when it
   * received it, no earlier). A broker that was paused or cut off for longer may have lost its
   * leaderships without knowing it yet, and must not answer from what it led (a group coordinator's
   * committed offsets: simulator cluster seed 12732, where a paused and partitioned coordinator
   * answered an OffsetFetch with offsets its successor had long replaced).
   */
  sessionLeaseHeld(): boolean {
    return this.leaseFromMs !== null && this.io.clock.nowMs() - this.leaseFromMs < this.config.brokerSessionTimeoutMs;
  }

  private renewLease(sentMs: number): void {
    if (this.leaseFromMs === null || sentMs > this.leaseFromMs) this.leaseFromMs = sentMs;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeWaiters();
    this.unsubscribe?.();
    this.heartbeatTimer?.cancel();
    await this.reconcileLock.run(async () => {
      for (const r of this.replicas.values()) r.stop();
      this.replicas.clear();
    });
  }

  private async register(advertised: { host: string; port: number }): Promise<void> {
    this.registering = true;
    this.wakeWaiters();
    try {
      await this.registerUntilDone(advertised);
    } finally {
      this.registering = false;
      this.wakeWaiters();
    }
  }

  /**
   * Resolves once `done()` holds, or when virtual time reaches `deadlineMs`. `done()` is looked at
   * again whenever the image changes or this member's own state does (wakeWaiters): nothing polls.
   */
  private waitUntil(done: () => boolean, deadlineMs: number): Promise<void> {
    const leftMs = deadlineMs - this.io.clock.nowMs();
    if (done() || leftMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        timer.cancel();
        unsubscribe();
        this.waiters.delete(look);
        resolve();
      };
      const look = (): void => {
        if (done()) finish();
      };
      const unsubscribe = this.link.onImageChanged(look);
      this.waiters.add(look);
      const timer = this.io.clock.setTimer(leftMs, finish);
    });
  }

  /** Has every waitUntil() look again: called when `registering`, `stopped` or `shuttingDown` changes. */
  private wakeWaiters(): void {
    for (const look of [...this.waiters]) look();
  }

  private async registerUntilDone(advertised: { host: string; port: number }): Promise<void> {
    while (!this.stopped && !this.shuttingDown) {
      const sentMs = this.io.clock.nowMs();
      const result = await this.link.controller.registerBroker(this.brokerId, advertised.host, advertised.port).catch(() => null);
      if (result !== null && result.errorCode === ErrorCode.NONE) {
        this.epoch = result.brokerEpoch;
        this.renewLease(sentMs);
        this.log.info('BrokerRegistered', { brokerEpoch: result.brokerEpoch, fenced: result.fenced });
        this.armHeartbeat(advertised);
        this.scheduleReconcile();
        this.producerIds.prefetch();
        return;
      }
      await new Promise<void>((resolve) => (this.heartbeatTimer = this.io.clock.setTimer(this.config.brokerHeartbeatIntervalMs, resolve)));
    }
  }

  /**
   * Heartbeats every brokerHeartbeatIntervalMs whether or not the last one was answered: an answer
   * can take up to the controller's forward timeout (when the active controller just died), longer
   * than a session, and a broker that waited for it would be fenced for the controller's failure.
   */
  private armHeartbeat(advertised: { host: string; port: number }): void {
    // BUGGIFY: an early heartbeat (a quarter of the interval): more often than asked is always allowed.
    const early = buggify(this.io, 'cluster.early-heartbeat', 0.1);
    const delayMs = early ? this.config.brokerHeartbeatIntervalMs / 4 : this.config.brokerHeartbeatIntervalMs;
    this.heartbeatTimer = this.io.clock.setTimer(delayMs, () => {
      if (this.stopped || this.shuttingDown) return;
      const epoch = this.epoch;
      const sentMs = this.io.clock.nowMs();
      this.armHeartbeat(advertised);
      void this.link.controller.brokerHeartbeat(this.brokerId, epoch).then(
        (result) => {
          if (this.stopped || this.shuttingDown || epoch !== this.epoch || this.registering) return;
          if (result.errorCode === ErrorCode.NONE) this.renewLease(sentMs);
          if (result.errorCode === ErrorCode.STALE_BROKER_EPOCH || result.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
            this.log.warn('BrokerReregistering', { errorCode: result.errorCode, brokerEpoch: this.epoch, hint: 'the controller no longer knows the registration of this broker (it was fenced, or the quorum lost it); it registers again by itself' });
            this.heartbeatTimer?.cancel();
            void this.register(advertised);
          }
        },
        () => undefined,
      );
    });
  }

  /** Runs a reconcile now, or once more after the one running (changes during it are not lost). */
  private scheduleReconcile(): void {
    if (this.stopped || this.reconcileQueued) return;
    this.reconcileQueued = true;
    void this.reconcileLock.run(async () => {
      this.reconcileQueued = false;
      if (!this.stopped) await this.reconcile();
    });
  }

  /**
   * Follows the image only once it has caught up: when the local state machine has applied this
   * broker's own registration (its epoch is that record's index), every topic created or deleted
   * before it is known here. Before that a restarted node's image is still being replayed, and a
   * local topic it does not name yet must not be taken for a deleted one.
   */
  private async reconcile(): Promise<void> {
    const image = this.link.image();
    if (this.epoch < 0 || image.appliedIndex < this.epoch) return;
    const named = new Set<string>();
    for (const info of image.topics()) {
      named.add(info.name);
      await this.reconcileTopic(info);
    }
    for (const topic of this.topics.all()) {
      if (named.has(topic.name)) continue;
      await this.deleteLocal(topic.name);
    }
  }

  private async reconcileTopic(info: TopicInfo): Promise<void> {
    let local = this.topics.get(info.name);
    if (local !== undefined && local.id !== info.topicId) {
      await this.deleteLocal(info.name);
      local = undefined;
    }
    try {
      const configs = info.configs ?? {};
      if (local === undefined) local = await this.topics.create(info.name, info.partitions.length, configs, info.topicId);
      else if (local.partitions.length < info.partitions.length) local = await this.topics.addPartitions(info.name, info.partitions.length);
      if (!sameConfigs(local.configs, configs)) await this.topics.alterConfigs(info.name, () => ({ ok: true, overrides: configs }));
    } catch (error) {
      this.log.error('ClusterTopicCreateFailed', { topic: info.name, error: error instanceof Error ? error.message : String(error), hint: 'the partition stays unavailable on this broker; the broker retries on the next metadata change; check the disk' });
      return;
    }
    for (const p of info.partitions) {
      const partition = local.partitions[p.partition];
      if (partition === undefined) continue;
      const key = `${info.topicId}/${p.partition}`;
      let replica = this.replicas.get(key);
      if (replica !== undefined && replica.partition !== partition) {
        replica.stop();
        replica = undefined;
      }
      if (replica === undefined) {
        if (partition.log === null) continue; // failed to open; the broker's reopen pass brings it back
        try {
          replica = await PartitionReplica.create(this.host, partition);
        } catch (error) {
          // A failed write of its leader-epoch checkpoint (or read of its log): try again shortly.
          this.log.error('ReplicaCreateFailed', { topic: info.name, partition: p.partition, error: error instanceof Error ? error.message : String(error), hint: 'retried in a second' });
          this.io.clock.setTimer(replicaCreateRetryMs, () => this.scheduleReconcile());
          continue;
        }
        this.replicas.set(key, replica);
        partition.replica = replica;
      }
      // The image may have moved on while the replica was being built: apply what it says now.
      const now = this.link.image().topic(info.name)?.partitions[p.partition];
      if (now !== undefined && this.link.image().topic(info.name)?.topicId === info.topicId) replica.apply(now);
    }
  }

  private async deleteLocal(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (topic === undefined) return;
    for (const [index] of topic.partitions.entries()) {
      const key = `${topic.id}/${index}`;
      this.replicas.get(key)?.stop();
      this.replicas.delete(key);
    }
    try {
      await this.topics.delete(name);
    } catch (error) {
      this.log.error('ClusterTopicDeleteFailed', { topic: name, error: error instanceof Error ? error.message : String(error), hint: 'remove the topic directory by hand once the broker has stopped; the topic is gone from the cluster' });
    }
  }

  /** Reconciles again (after the broker reopened failed partitions: they need new replicas). */
  refresh(): void {
    this.scheduleReconcile();
  }
}

function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
