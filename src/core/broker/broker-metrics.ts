/**
 * The broker's metrics (the catalog: src/core/metrics/catalog.ts; docs/metrics.md). Two kinds:
 *
 * - Events (requests, bytes, connections accepted, fsyncs) are recorded as they happen, on children
 *   looked up once, here: a request costs an array read and an add, never a label lookup.
 * - State (offsets, replicas, lag, open connections, rebalances so far) is read by a collector at the
 *   start of each scrape, from the broker's own structures; the per-partition gauges are reset first,
 *   so a deleted topic's series disappear. Nothing is kept per partition between scrapes.
 *
 * Replication is read through PartitionReplication (brokerReplication below: the single-node answer,
 * and the cluster mode's replica state where a partition has one), so that it can be replaced whole.
 * The high watermark is read where consumers' reads are bounded: Partition.highWatermark.
 */
import type { GroupCoordinator } from '../group/coordinator.ts';
import type { LogMetrics } from '../log/index.ts';
import { metricDefs, type Counter, type Gauge, type Histogram, type MetricFamily, type Metrics } from '../metrics/index.ts';
import { apiKeyName } from '../protocol/index.ts';
import type { Partition, TopicStore } from './topic-store.ts';

/** How many replicas a partition has and how many are in sync, as the metrics report it. */
export interface PartitionReplication {
  replicaCount(partition: Partition): number;
  inSyncCount(partition: Partition): number;
  /** Whether this broker speaks for the partition's replication (Kafka counts under-replication on the leader only). */
  leads(partition: Partition): boolean;
}

/**
 * Single node: the broker is the partition's only replica, in sync while its log is open and has not
 * failed. In the cluster mode (a partition with a PartitionReplica): the replicas and ISR of the
 * metadata this broker last applied, and the leader alone counts the partition as under-replicated.
 */
export const brokerReplication: PartitionReplication = {
  replicaCount: (partition) => partition.replica?.replicas.length ?? 1,
  inSyncCount: (partition) => {
    if (partition.replica !== null) return partition.replica.isr.length;
    return partition.log !== null && partition.failure === null ? 1 : 0;
  },
  leads: (partition) => partition.replica === null || partition.replica.role === 'leader',
};

/** What the collector reads at each scrape. */
export interface BrokerMetricsSource {
  readonly topics: TopicStore;
  /** The group coordinators running here (one on a single node; one per offsets partition led, on a cluster). */
  coordinators(): readonly GroupCoordinator[];
  readonly connectionCount: number;
  requestMemory(): { readonly heldBytes: number; readonly connectionsReadingPaused: number; readonly readingPausesTotal: number };
}

export class BrokerMetrics {
  readonly produceDurationSeconds: Histogram;
  readonly fetchDurationSeconds: Histogram;
  /** chronik_produce_stage_seconds: stage "append" (to durable here) and "replication" (durable to the HW). */
  readonly produceAppendSeconds: Histogram;
  readonly produceReplicationSeconds: Histogram;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly connectionsAccepted: Counter;
  /** Handed to every partition log (PartitionLogOptions.metrics). */
  readonly log: LogMetrics;
  private readonly requests: MetricFamily<Counter>;
  /** The requests counter of each API key, looked up on first use. */
  private readonly requestsByApiKey: (Counter | undefined)[] = [];
  private readonly rebalances: Counter;
  /** Rebalances already counted, per coordinator (a cluster broker's come and go with leaderships). */
  private rebalancesCounted = new WeakMap<GroupCoordinator, number>();
  private readonly connections: Gauge;
  private readonly requestBytesHeld: Gauge;
  private readonly connectionsReadingPaused: Gauge;
  private readonly readingPauses: Counter;
  private readingPausesCounted = 0;
  private readonly underReplicated: Gauge;
  private readonly partitionGauges: readonly MetricFamily<Gauge>[];
  private readonly logStart: MetricFamily<Gauge>;
  private readonly logEnd: MetricFamily<Gauge>;
  private readonly highWatermark: MetricFamily<Gauge>;
  private readonly logSize: MetricFamily<Gauge>;
  private readonly replicas: MetricFamily<Gauge>;
  private readonly inSync: MetricFamily<Gauge>;
  private readonly lag: MetricFamily<Gauge>;

  constructor(
    private readonly sink: Metrics,
    private readonly replication: PartitionReplication = brokerReplication,
  ) {
    const d = metricDefs;
    this.produceDurationSeconds = sink.histogram(d.produceDuration).child([]);
    this.fetchDurationSeconds = sink.histogram(d.fetchDuration).child([]);
    const stages = sink.histogram(d.produceStage);
    this.produceAppendSeconds = stages.child(['append']);
    this.produceReplicationSeconds = stages.child(['replication']);
    this.bytesIn = sink.counter(d.bytesIn).child([]);
    this.bytesOut = sink.counter(d.bytesOut).child([]);
    this.connectionsAccepted = sink.counter(d.connectionsAccepted).child([]);
    this.log = { fsyncDurationSeconds: sink.histogram(d.fsyncDuration).child([]), appendsPerFsync: sink.histogram(d.appendsPerFsync).child([]) };
    this.requests = sink.counter(d.requests);
    this.rebalances = sink.counter(d.groupRebalances).child([]);
    this.connections = sink.gauge(d.connections).child([]);
    this.requestBytesHeld = sink.gauge(d.requestBytesHeld).child([]);
    this.connectionsReadingPaused = sink.gauge(d.connectionsReadingPaused).child([]);
    this.readingPauses = sink.counter(d.readingPauses).child([]);
    this.underReplicated = sink.gauge(d.underReplicated).child([]);
    this.logStart = sink.gauge(d.logStartOffset);
    this.logEnd = sink.gauge(d.logEndOffset);
    this.highWatermark = sink.gauge(d.highWatermark);
    this.logSize = sink.gauge(d.logSize);
    this.replicas = sink.gauge(d.replicas);
    this.inSync = sink.gauge(d.isrSize);
    this.lag = sink.gauge(d.groupLag);
    this.partitionGauges = [this.logStart, this.logEnd, this.highWatermark, this.logSize, this.replicas, this.inSync, this.lag];
  }

  /** Counts a request as it starts. */
  countRequest(apiKey: number): void {
    let counter = this.requestsByApiKey[apiKey];
    if (counter === undefined) {
      counter = this.requests.child([apiKeyName(apiKey)]);
      this.requestsByApiKey[apiKey] = counter;
    }
    counter.inc();
  }

  /** Reads the broker's state at every scrape from now on; returns the function that stops it (call it on stop). */
  collectFrom(source: BrokerMetricsSource): () => void {
    return this.sink.addCollector(() => this.collect(source));
  }

  private collect(source: BrokerMetricsSource): void {
    for (const family of this.partitionGauges) family.reset();
    this.connections.set(source.connectionCount);
    const memory = source.requestMemory();
    this.requestBytesHeld.set(memory.heldBytes);
    this.connectionsReadingPaused.set(memory.connectionsReadingPaused);
    if (memory.readingPausesTotal > this.readingPausesCounted) this.readingPauses.inc(memory.readingPausesTotal - this.readingPausesCounted);
    this.readingPausesCounted = memory.readingPausesTotal;
    for (const coordinator of source.coordinators()) {
      const counted = this.rebalancesCounted.get(coordinator) ?? 0;
      if (coordinator.rebalanceCount > counted) this.rebalances.inc(coordinator.rebalanceCount - counted);
      this.rebalancesCounted.set(coordinator, coordinator.rebalanceCount);
    }
    let underReplicated = 0;
    for (const topic of source.topics.all()) {
      for (const partition of topic.partitions) {
        if (this.collectPartition(topic.name, partition)) underReplicated++;
      }
    }
    this.underReplicated.set(underReplicated);
    this.collectLag(source);
  }

  /** Sets one partition's gauges; true when it is under-replicated. */
  private collectPartition(topic: string, partition: Partition): boolean {
    const labels = [topic, String(partition.index)];
    const replicaCount = this.replication.replicaCount(partition);
    const inSyncCount = this.replication.inSyncCount(partition);
    this.replicas.child(labels).set(replicaCount);
    this.inSync.child(labels).set(inSyncCount);
    const log = partition.log;
    if (log !== null) {
      this.logStart.child(labels).set(Number(log.logStartOffset));
      this.logEnd.child(labels).set(Number(log.logEndOffset));
      this.highWatermark.child(labels).set(Number(partition.highWatermark));
      this.logSize.child(labels).set(log.sizeBytes);
    }
    return inSyncCount < replicaCount && this.replication.leads(partition);
  }

  /** Lag of every durable committed offset (not negative) whose partition exists and has a log. */
  private collectLag(source: BrokerMetricsSource): void {
    for (const committed of source.coordinators().flatMap((c) => [...c.committedOffsets()])) {
      if (committed.offset < 0n) continue;
      const partition = source.topics.partition(committed.topic, committed.partition);
      if (partition === undefined || partition.log === null) continue;
      const lag = partition.highWatermark - committed.offset;
      this.lag.child([committed.groupId, committed.topic, String(committed.partition)]).set(lag > 0n ? Number(lag) : 0);
    }
  }
}
