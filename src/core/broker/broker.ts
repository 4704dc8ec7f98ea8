/**
 * Broker: a single-node Kafka broker built from an Io. Entry points: `Broker.start(io, options)`,
 * `broker.port`, `broker.stop()`.
 *
 * Start: loads the topic table and opens every partition log (each recovers its own tail), rebuilds
 * idempotent-producer state from the logs' batch headers, loads committed offsets, then listens.
 * Requests are decoded per connection (connection.ts) and dispatched here to one handler per API.
 *
 * Stop (graceful), in this order: stop accepting connections and starting requests; answer waiting
 * fetches with what is there; finish persisting offset commits and answer held group requests
 * NOT_COORDINATOR; wait until every started request is answered (produce appends included, acks=0
 * too); half-close every connection; stop every partition log (drain, fsync, clean-shutdown marker)
 * and close the offsets file. stop() resolves only when all of that is durable, and rejects with
 * BrokerStopError naming the partitions that could not be made durable.
 */
import { assert, unreachable } from '../assert.ts';
import { buggify, joinPath, sleep, type Connection, type Io, type Listener, type Log, type Timer } from '../io/index.ts';
import { isLogError } from '../log/index.ts';
import {
  ApiKey,
  CoordinatorKeyType,
  ErrorCode,
  advertisedApiVersions,
  encodeResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  type KafkaRequest,
  type ProduceResponse,
} from '../protocol/index.ts';
import { noopMetrics, secondsBetween } from '../metrics/index.ts';
import * as admin from './admin-extras.ts';
import { BrokerMetrics } from './broker-metrics.ts';
import type { BrokerState } from './broker-state.ts';
import { handleAlterConfigs, handleDescribeConfigs, handleIncrementalAlterConfigs } from './configs.ts';
import { BrokerConnection, type RequestContext, type RequestDispatcher } from './connection.ts';
import { RequestMemory, type RequestMemoryStats } from './request-memory.ts';
import { handleFetch } from './fetch.ts';
import { FetchWaiters } from './fetch-waiters.ts';
import { GroupDriver } from './group-driver.ts';
import { singleDriverRouter, type GroupRouter } from './group-router.ts';
import { ClusterGroups } from '../cluster/cluster-groups.ts';
import * as groupApi from './group-handlers.ts';
import { handleListOffsets } from './list-offsets.ts';
import { resolveBrokerOptions, type BrokerBugs, type BrokerOptions, type HostPort, type ResolvedBrokerOptions } from './options.ts';
import { handleProduce } from './produce.ts';
import { ProducerRegistry } from './producer-registry.ts';
import { handleCreateTopics, handleDeleteTopics, handleMetadata } from './topic-admin.ts';
import { TopicStore } from './topic-store.ts';
import { handleOffsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { ClusterMember } from '../cluster/cluster-member.ts';
import {
  handleClusterCreatePartitions,
  handleClusterCreateTopics,
  handleClusterDeleteTopics,
  handleClusterMetadata,
} from '../cluster/cluster-admin.ts';

/** How long a BUGGIFY'd reply is held back (broker.delayed-reply). */
const buggifyReplyDelayMs = 25;

/** stop() could not make everything durable (a partition log or the offsets file failed). */
export class BrokerStopError extends Error {
  override name = 'BrokerStopError';
  constructor(readonly failures: readonly string[]) {
    super(`broker stopped, but not everything was made durable: ${failures.join('; ')}`);
  }
}

/** The planted BrokerBugs.produceOffsetOffByOne: every successful partition's base offset plus one. */
function plantedProduceOffset(body: ProduceResponse, bugs: BrokerBugs): ProduceResponse {
  if (bugs.produceOffsetOffByOne !== true) return body;
  for (const topic of body.responses) {
    for (const p of topic.partitionResponses) if (p.errorCode === ErrorCode.NONE) p.baseOffset += 1n;
  }
  return body;
}

/** The error message a transactional producer sees (FindCoordinator v1+ carries one). */
export const transactionsUnsupported = 'Chronik does not support transactions: unset transactional.id (idempotent producers are supported)';

export class Broker implements RequestDispatcher, BrokerState {
  readonly log: Log;
  readonly fetchWaiters: FetchWaiters;
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly requestBytes: RequestMemory;
  private listener: Listener | null = null;
  private retentionTimer: Timer | null = null;
  private reopenTimer: Timer | null = null;
  private stopFlag = false;
  private stopPromise: Promise<void> | null = null;
  /** Test-only planted bugs (BrokerOptions.testOnlyBrokerBugs); empty in production. */
  private bugs: BrokerBugs = {};
  /** This broker's cluster membership; null on a single node. */
  cluster: ClusterMember | null = null;
  /** The group coordinators of a cluster broker (one per offsets partition it leads); null on a single node. */
  private clusterGroups: ClusterGroups | null = null;
  private singleGroups: GroupRouter;
  private stopCollecting: () => void = () => undefined;

  private constructor(
    readonly io: Io,
    readonly options: ResolvedBrokerOptions,
    readonly topics: TopicStore,
    readonly producers: ProducerRegistry,
    readonly groups: GroupDriver,
    readonly metrics: BrokerMetrics,
    log: Log,
  ) {
    this.log = log;
    this.fetchWaiters = new FetchWaiters(io.clock);
    this.requestBytes = new RequestMemory(options.requestBytesHeldMax);
    this.singleGroups = singleDriverRouter(groups);
  }

  /** Which coordinator serves a group here: the one local driver, or on a cluster the offsets partition's. */
  private get groupRouter(): GroupRouter {
    return this.clusterGroups ?? this.singleGroups;
  }

  /** Recovers the broker's state from `options.dataDir` on io.disk and starts listening. */
  static async start(io: Io, options: BrokerOptions): Promise<Broker> {
    const resolved = resolveBrokerOptions(options);
    const log = io.log.child({ nodeId: resolved.nodeId });
    if (resolved.dataDir !== '') await io.disk.mkdir(resolved.dataDir);
    const metrics = new BrokerMetrics(options.metrics ?? noopMetrics);
    const brokerBugs = options.testOnlyBrokerBugs ?? {};
    const logBugs = brokerBugs.stopSkipsFlush === true ? { ...options.testOnlyLogBugs, stopSkipsFlush: true } : options.testOnlyLogBugs;
    const topics = await TopicStore.open(io, resolved.dataDir, resolved.log, { bugs: logBugs, metrics: metrics.log });
    let producers: ProducerRegistry | null = null;
    let groups: GroupDriver;
    try {
      producers = await ProducerRegistry.open(io, joinPath(resolved.dataDir, 'producers'), topics, log);
      await producers.rebuild();
      groups = await GroupDriver.open(io, joinPath(resolved.dataDir, 'groups'), resolved.groups, options.testOnlyOffsetStoreBugs);
    } catch (error) {
      await producers?.close();
      await topics.stop();
      throw error;
    }
    const broker = new Broker(io, resolved, topics, producers, groups, metrics, log);
    broker.bugs = brokerBugs;
    try {
      broker.listener = await io.net.listen(resolved.listen.host, resolved.listen.port, (c) => broker.accept(c));
    } catch (error) {
      await groups.stop();
      await producers.close();
      await topics.stop();
      throw error;
    }
    if (options.cluster !== undefined) {
      assert(resolved.nodeId > 0, 'a cluster broker has a positive id (a voter id)');
      broker.cluster = new ClusterMember(io, options.cluster, resolved.nodeId, topics, resolved.replication, log, (p) => producers.rebuildPartition(p), options.testOnlyReplicationBugs);
      broker.clusterGroups = new ClusterGroups(io, topics, broker.cluster, resolved.groups, log);
      broker.cluster.start(broker.advertised);
    }
    broker.stopCollecting = metrics.collectFrom({
      topics,
      coordinators: () => broker.groupRouter.all().map((driver) => driver.coordinator),
      get connectionCount() {
        return broker.connectionCount;
      },
      requestMemory: () => broker.requestMemory(),
    });
    broker.armRetention();
    broker.armPartitionReopen();
    const advertised = broker.advertised;
    log.info('BrokerStarted', { host: resolved.listen.host, port: broker.port, advertised: `${advertised.host}:${advertised.port}`, topics: topics.topicCount });
    return broker;
  }

  /** The port actually listened on (the chosen one when options.listen.port was 0). */
  get port(): number {
    assert(this.listener !== null, 'broker is listening');
    return this.listener.port;
  }

  /** What Metadata and FindCoordinator tell clients to connect to. */
  get advertised(): HostPort {
    const configured = this.options.advertised;
    if (configured === null) return { host: this.options.listen.host, port: this.port };
    return configured.port === 0 ? { host: configured.host, port: this.port } : configured;
  }

  get stopping(): boolean {
    return this.stopFlag;
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Request bytes held in memory (the broker-wide budget) and how often reading paused. */
  requestMemory(): RequestMemoryStats & { readonly connectionsReadingPaused: number } {
    let paused = 0;
    for (const connection of this.connections.values()) if (connection.isReadingPaused) paused++;
    return { ...this.requestBytes.stats(), connectionsReadingPaused: paused };
  }

  /** Graceful stop (see the file comment). Safe to call more than once. */
  stop(): Promise<void> {
    this.stopPromise ??= this.stopInOrder();
    return this.stopPromise;
  }

  private async stopInOrder(): Promise<void> {
    if (this.cluster !== null) {
      // Controlled shutdown first, while this broker still serves: its leaderships move to other ISR
      // members, so producers (and acks=all waiting here) carry on there instead of waiting for a
      // session timeout.
      const moved = await this.cluster.controlledShutdown(this.options.replication.controlledShutdownTimeoutMs);
      this.log.info('ControlledShutdownDone', moved);
    }
    this.stopFlag = true;
    this.log.info('BrokerStopping', { connections: this.connections.size, fetchWaiters: this.fetchWaiters.count });
    await this.listener?.close();
    this.retentionTimer?.cancel();
    this.reopenTimer?.cancel();
    this.fetchWaiters.wakeAll();
    // The planted stopSkipsFlush bug closes the logs while requests are still in flight.
    const stoppedEarly = this.bugs.stopSkipsFlush === true ? await this.topics.stop() : null;
    await this.groups.stop();
    await this.clusterGroups?.stop();
    await Promise.all([...this.connections.values()].map((c) => c.idle()));
    for (const connection of [...this.connections.values()]) connection.end();
    await this.cluster?.stop();
    await this.producers.close();
    const failures = stoppedEarly ?? (await this.topics.stop());
    this.stopCollecting();
    this.log.info('BrokerStopped', { failures: failures.length });
    if (failures.length > 0) throw new BrokerStopError(failures);
  }

  /** Every retentionCheckIntervalMs, deletes whole segments past the retention limits, one partition at a time. */
  private armRetention(): void {
    this.retentionTimer = this.io.clock.setTimer(this.options.retentionCheckIntervalMs, () => {
      void this.enforceRetention().then(() => {
        if (!this.stopFlag) this.armRetention();
      });
    });
  }

  /**
   * Every partitionReopenIntervalMs, reopens the partitions that failed (TopicStore.reopenFailed) and
   * rebuilds their idempotent-producer state, so a transient disk error (a failed fsync, a failed open)
   * costs a partition seconds, not the rest of the process's life.
   */
  private armPartitionReopen(): void {
    this.reopenTimer = this.io.clock.setTimer(this.options.partitionReopenIntervalMs, () => {
      void this.reopenFailedPartitions().then(() => {
        if (!this.stopFlag) this.armPartitionReopen();
      });
    });
  }

  private async reopenFailedPartitions(): Promise<void> {
    if (this.stopFlag) return;
    const reopened = await this.topics.reopenFailed(async (partition, tailAtRisk) => {
      // On a cluster, followers may hold records the failed log never made durable: this broker's
      // leaderships move under new epochs before the partition serves again.
      if (tailAtRisk && this.cluster !== null && !(await this.cluster.registerAgain(`partition ${partition.topic.name}-${partition.index} failed with records past its durable end`))) return false;
      await this.producers.rebuildPartition(partition);
      return true;
    });
    if (reopened.length > 0) this.cluster?.refresh();
  }

  private async enforceRetention(): Promise<void> {
    for (const topic of this.topics.all()) {
      for (const partition of topic.partitions) {
        if (this.stopFlag || topic.deleted || partition.log === null || partition.failure !== null) continue;
        try {
          partition.producers.table.truncateBelow(await partition.log.enforceRetention());
        } catch (error) {
          if (!isLogError(error)) throw error;
          this.log.warn('RetentionFailed', { topic: topic.name, partition: partition.index, error: error.message, hint: 'retention retries at its next check; if this repeats, check the disk' });
        }
      }
    }
  }

  private accept(connection: Connection): void {
    if (this.stopFlag) {
      connection.destroy();
      return;
    }
    const limits = { requestBytesMax: this.options.requestBytesMax, parkedBytesMax: this.options.connectionParkedBytesMax };
    const wrapped = new BrokerConnection(connection, this, limits, this.requestBytes, this.log, this.bugs);
    this.connections.set(wrapped.id, wrapped);
    this.metrics.connectionsAccepted.inc();
  }

  connectionClosed(connection: BrokerConnection): void {
    this.connections.delete(connection.id);
  }

  /**
   * Handles one request; its response goes out in request order on its connection (connection.ts).
   * BUGGIFY: a reply held back a little after it is ready (a slow scheduler or a busy socket does the
   * same); the responses behind it on the connection wait for it.
   */
  dispatch(request: KafkaRequest, context: RequestContext): Promise<Uint8Array[] | null> {
    // Production has no BUGGIFY: no extra await on every request.
    if (this.io.buggify === undefined) return this.handle(request, context);
    return this.handleMaybeDelayed(request, context);
  }

  private async handleMaybeDelayed(request: KafkaRequest, context: RequestContext): Promise<Uint8Array[] | null> {
    const response = await this.handle(request, context);
    if (buggify(this.io, 'broker.delayed-reply', 0.02)) await sleep(this.io.clock, buggifyReplyDelayMs);
    return response;
  }

  private async handle(request: KafkaRequest, context: RequestContext): Promise<Uint8Array[] | null> {
    const { apiVersion: v, correlationId: id } = request;
    this.metrics.countRequest(request.apiKey);
    switch (request.apiKey) {
      case ApiKey.Produce: {
        const startMs = this.io.clock.nowMs();
        const body = plantedProduceOffset(await handleProduce(this, request.body, this.bugs), this.bugs);
        this.metrics.produceDurationSeconds.observe(secondsBetween(startMs, this.io.clock.nowMs()));
        return request.body.acks === 0 ? null : encodeResponse(ApiKey.Produce, v, id, body);
      }
      case ApiKey.Fetch: {
        const startMs = this.io.clock.nowMs();
        const body = await handleFetch(this, request.body, v);
        this.metrics.fetchDurationSeconds.observe(secondsBetween(startMs, this.io.clock.nowMs()));
        return encodeResponse(ApiKey.Fetch, v, id, body);
      }
      case ApiKey.ListOffsets:
        return encodeResponse(ApiKey.ListOffsets, v, id, await handleListOffsets(this, request.body));
      case ApiKey.Metadata: {
        const body = this.cluster !== null ? await handleClusterMetadata(this, this.cluster, request.body, v) : await handleMetadata(this, request.body, v);
        if (this.bugs.metadataListsOnlySelf === true) body.brokers = body.brokers.filter((b) => b.nodeId === this.options.nodeId);
        return encodeResponse(ApiKey.Metadata, v, id, body);
      }
      case ApiKey.ApiVersions:
        return encodeResponse(ApiKey.ApiVersions, v, id, { errorCode: ErrorCode.NONE, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 });
      case ApiKey.CreateTopics: {
        const body = this.cluster !== null ? await handleClusterCreateTopics(this, this.cluster, request.body) : await handleCreateTopics(this, request.body);
        return encodeResponse(ApiKey.CreateTopics, v, id, body);
      }
      case ApiKey.DeleteTopics: {
        const body = this.cluster !== null ? await handleClusterDeleteTopics(this.cluster, request.body) : await handleDeleteTopics(this, request.body);
        return encodeResponse(ApiKey.DeleteTopics, v, id, body);
      }
      case ApiKey.FindCoordinator:
        return encodeResponse(ApiKey.FindCoordinator, v, id, this.findCoordinator(request.body));
      case ApiKey.JoinGroup:
        return encodeResponse(ApiKey.JoinGroup, v, id, await groupApi.handleJoinGroup(this.groupRouter, request.body, v, context));
      case ApiKey.SyncGroup:
        return encodeResponse(ApiKey.SyncGroup, v, id, await groupApi.handleSyncGroup(this.groupRouter, request.body));
      case ApiKey.Heartbeat:
        return encodeResponse(ApiKey.Heartbeat, v, id, groupApi.handleHeartbeat(this.groupRouter, request.body));
      case ApiKey.LeaveGroup:
        return encodeResponse(ApiKey.LeaveGroup, v, id, groupApi.handleLeaveGroup(this.groupRouter, request.body, v));
      case ApiKey.OffsetCommit:
        return encodeResponse(ApiKey.OffsetCommit, v, id, await groupApi.handleOffsetCommit(this.groupRouter, this.topics, request.body, this.io.clock.wallClockMs()));
      case ApiKey.OffsetFetch:
        return encodeResponse(ApiKey.OffsetFetch, v, id, groupApi.handleOffsetFetch(this.groupRouter, request.body, v));
      case ApiKey.DescribeGroups:
        return encodeResponse(ApiKey.DescribeGroups, v, id, groupApi.handleDescribeGroups(this.groupRouter, request.body));
      case ApiKey.ListGroups:
        return encodeResponse(ApiKey.ListGroups, v, id, groupApi.handleListGroups(this.groupRouter, request.body));
      case ApiKey.InitProducerId:
        return encodeResponse(ApiKey.InitProducerId, v, id, await this.initProducerId(request.body));
      case ApiKey.DescribeConfigs:
        return encodeResponse(ApiKey.DescribeConfigs, v, id, handleDescribeConfigs(this, request.body));
      case ApiKey.CreatePartitions: {
        const body = this.cluster !== null ? await handleClusterCreatePartitions(this.cluster, request.body) : await admin.handleCreatePartitions(this, request.body);
        return encodeResponse(ApiKey.CreatePartitions, v, id, body);
      }
      case ApiKey.DeleteGroups:
        return encodeResponse(ApiKey.DeleteGroups, v, id, await groupApi.handleDeleteGroups(this.groupRouter, request.body));
      case ApiKey.AlterConfigs:
        return encodeResponse(ApiKey.AlterConfigs, v, id, await handleAlterConfigs(this, request.body));
      case ApiKey.IncrementalAlterConfigs:
        return encodeResponse(ApiKey.IncrementalAlterConfigs, v, id, await handleIncrementalAlterConfigs(this, request.body));
      case ApiKey.DeleteRecords:
        return encodeResponse(ApiKey.DeleteRecords, v, id, await admin.handleDeleteRecords(this, request.body));
      case ApiKey.DescribeCluster:
        return encodeResponse(ApiKey.DescribeCluster, v, id, admin.handleDescribeCluster(this, request.body));
      case ApiKey.OffsetDelete:
        return encodeResponse(ApiKey.OffsetDelete, v, id, await groupApi.handleOffsetDelete(this.groupRouter, request.body));
      case ApiKey.DescribeProducers:
        return encodeResponse(ApiKey.DescribeProducers, v, id, admin.handleDescribeProducers(this, request.body));
      case ApiKey.OffsetForLeaderEpoch:
        return encodeResponse(ApiKey.OffsetForLeaderEpoch, v, id, handleOffsetForLeaderEpoch(this, request.body));
      default:
        return unreachable(request);
    }
  }

  /**
   * A group's coordinator is this node. There is no transaction coordinator: a transaction key
   * answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which librdkafka and kafkajs treat as fatal, so a
   * transactional producer fails at once instead of retrying until its timeout (see docs/broker.md).
   */
  private findCoordinator(request: FindCoordinatorRequest): FindCoordinatorResponse {
    const here = this.advertised;
    if (request.keyType !== CoordinatorKeyType.GROUP) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: transactionsUnsupported, nodeId: -1, host: '', port: -1 };
    }
    if (this.clusterGroups !== null) return { throttleTimeMs: 0, ...this.clusterGroups.findCoordinator(request.key) };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: this.options.nodeId, host: here.host, port: here.port };
  }

  /**
   * On one node, ids come from the local ProducerIdManager (blocks persisted before use). On a
   * cluster they come from blocks the controller gives this broker through the metadata log, so no
   * two brokers hand out the same id; with no block at hand in time the answer is
   * COORDINATOR_LOAD_IN_PROGRESS, which clients retry (as Kafka's broker answers).
   */
  private async initProducerId(request: InitProducerIdRequest): Promise<InitProducerIdResponse> {
    if (this.cluster === null || request.transactionalId !== null) {
      return { throttleTimeMs: 0, ...(await this.producers.ids.initProducerId({ ...request, producerId: -1n, producerEpoch: -1 })) };
    }
    const producerId = await this.cluster.producerIds.take();
    if (producerId === null) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, producerId: -1n, producerEpoch: -1 };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  }
}
