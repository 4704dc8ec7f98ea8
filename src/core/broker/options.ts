/**
 * What a Broker is started with. Only nodeId, listen and dataDir are required; everything else has a
 * default that matches Kafka's where Kafka has one.
 */
import { assert } from '../assert.ts';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from '../group/coordinator.ts';
import { connectionParkedBytesMaxDefault, requestBytesHeldMaxDefault, requestBytesMaxDefault, topicPartitionsMax } from '../limits.ts';
import { defaultPartitionLogConfig } from '../log/index.ts';
import type { PartitionLogConfig } from '../log/index.ts';
import type { OffsetStoreBugs } from '../group/offset-store.ts';
import type { PartitionLogBugs } from '../log/partition-log.ts';
import type { ClusterLink } from '../cluster/cluster-member.ts';
import type { ReplicationBugs } from '../cluster/partition-replica.ts';
import type { ConnectionBugs } from './connection.ts';
import { resolveReplicationConfig, type ReplicationConfig } from '../cluster/replication-config.ts';
import type { Metrics } from '../metrics/index.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface BrokerOptions {
  /** This broker's node id (Metadata, FindCoordinator, DescribeConfigs). */
  readonly nodeId: number;
  /** Where to listen; port 0 picks a free port (read it back from broker.port). */
  readonly listen: HostPort;
  /** What clients are told to connect to. Default: the listen host and the actual port. A port of 0 means the actual port. */
  readonly advertised?: HostPort;
  /** Directory on io.disk holding all of this broker's state ('' is the disk's root). */
  readonly dataDir: string;
  /** Cluster id reported in Metadata v2+. Default 'chronik'. */
  readonly clusterId?: string;
  /** Create unknown topics named in Metadata requests that allow it (Kafka's auto.create.topics.enable). Default true. */
  readonly autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic, and of CreateTopics with num_partitions -1 (Kafka's num.partitions). Default 1. */
  readonly defaultPartitions?: number;
  /** Largest request frame accepted; a larger one closes the connection (Kafka's socket.request.max.bytes). */
  readonly requestBytesMax?: number;
  /**
   * Bytes of request frames held across all connections (parked, in flight until answered, partly
   * read); at this total, connections with work pending stop reading until it drains. Default 256 MiB.
   */
  readonly requestBytesHeldMax?: number;
  /** Bytes of request frames parked on one connection (read, not yet started) at which it stops reading. Default 128 MiB. */
  readonly connectionParkedBytesMax?: number;
  /** Partition log settings (segment size, retention, flush policy); unset fields take the log's defaults. */
  readonly log?: Partial<PartitionLogConfig>;
  /** How often every partition's retention limits are enforced (Kafka's log.retention.check.interval.ms). Default 300000. */
  readonly retentionCheckIntervalMs?: number;
  /**
   * How often partitions that failed (to open, or since: a failed fsync fails a log for good) are
   * reopened, recovering from what is durable as a restart would. Default 1000.
   */
  readonly partitionReopenIntervalMs?: number;
  /** Consumer-group coordinator settings; unset fields take the coordinator's defaults. */
  readonly groups?: Partial<GroupCoordinatorConfig>;
  /** Where the broker records its metrics (docs/metrics.md). Default: nowhere (noopMetrics). */
  readonly metrics?: Metrics;
  /** Test-only: plant a known bug in every partition log, to show the simulator's checkers catch it. */
  readonly testOnlyLogBugs?: PartitionLogBugs;
  /**
   * The metadata quorum this broker is a member of (a ControllerNode, in combined mode). Without it
   * the broker is a single node: its own leader for every partition, topics in its own table.
   */
  readonly cluster?: ClusterLink;
  /** Replication settings (cluster only); unset fields take Kafka's defaults. */
  readonly replication?: Partial<ReplicationConfig>;
  /** Test-only: plant a known replication bug, to show the simulator's checkers catch it. */
  readonly testOnlyReplicationBugs?: ReplicationBugs;
  /** Test-only: plant a known bug in the committed-offsets store, to show the simulator's checkers catch it. */
  readonly testOnlyOffsetStoreBugs?: OffsetStoreBugs;
  /** Test-only: plant a known bug in the broker itself (its connections, its stop), to show the simulator's checkers catch it. */
  readonly testOnlyBrokerBugs?: BrokerBugs;
}

/** Test-only hooks that plant known broker bugs. Never set in production. */
export interface BrokerBugs extends ConnectionBugs {
  /**
   * stop() closes the partition logs before the requests in flight have finished, and the logs
   * resolve every pending append without writing or fsyncing it, so those producers are answered
   * NONE for records that are not on disk (an earlier broker of this kind lost 30 of 100 messages
   * to a shutdown flush that did nothing).
   */
  stopSkipsFlush?: boolean;
  /**
   * Produce answers each partition's base offset plus one: the log is right, the answer is off by
   * one, so every acknowledged offset names the record after the one written (for the real-process
   * chaos suite: a bug a fault-free run with real clients sees; reorderResponses and
   * dropSecondFrameOfRead are not, as real clients match responses by correlation id and retry).
   */
  produceOffsetOffByOne?: boolean;
  /**
   * Metadata lists only the broker that answers (partition leaders still name the others), so a
   * client that bootstraps from one broker never learns where the others are.
   */
  metadataListsOnlySelf?: boolean;
  /**
   * A retried batch the producer state knows as a duplicate (its first attempt was written, the
   * answer lost, e.g. to a connection reset) is appended again instead of answered with the first
   * attempt's offsets, as if the producer were not idempotent.
   */
  duplicateRetriesAppended?: boolean;
}

export interface ResolvedBrokerOptions {
  readonly nodeId: number;
  readonly listen: HostPort;
  readonly advertised: HostPort | null;
  readonly dataDir: string;
  readonly clusterId: string;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly requestBytesMax: number;
  readonly requestBytesHeldMax: number;
  readonly connectionParkedBytesMax: number;
  readonly log: PartitionLogConfig;
  readonly retentionCheckIntervalMs: number;
  readonly partitionReopenIntervalMs: number;
  readonly groups: GroupCoordinatorConfig;
  readonly replication: ReplicationConfig;
}

export function resolveBrokerOptions(options: BrokerOptions): ResolvedBrokerOptions {
  const resolved: ResolvedBrokerOptions = {
    nodeId: options.nodeId,
    listen: options.listen,
    advertised: options.advertised ?? null,
    dataDir: options.dataDir.replace(/\/+$/, ''),
    clusterId: options.clusterId ?? 'chronik',
    autoCreateTopics: options.autoCreateTopics ?? true,
    defaultPartitions: options.defaultPartitions ?? 1,
    requestBytesMax: options.requestBytesMax ?? requestBytesMaxDefault,
    requestBytesHeldMax: options.requestBytesHeldMax ?? requestBytesHeldMaxDefault,
    connectionParkedBytesMax: options.connectionParkedBytesMax ?? connectionParkedBytesMaxDefault,
    log: { ...defaultPartitionLogConfig, ...options.log },
    retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 300_000,
    partitionReopenIntervalMs: options.partitionReopenIntervalMs ?? 1000,
    groups: { ...defaultGroupCoordinatorConfig, ...options.groups },
    replication: resolveReplicationConfig(options.replication),
  };
  assert(Number.isInteger(resolved.nodeId) && resolved.nodeId >= 0, 'broker options: nodeId is a non-negative integer');
  assert(Number.isInteger(resolved.listen.port) && resolved.listen.port >= 0 && resolved.listen.port <= 65535, 'broker options: listen port');
  assert(Number.isInteger(resolved.defaultPartitions) && resolved.defaultPartitions >= 1, 'broker options: defaultPartitions >= 1');
  assert(resolved.defaultPartitions <= topicPartitionsMax, 'broker options: defaultPartitions within topicPartitionsMax');
  assert(resolved.retentionCheckIntervalMs > 0, 'broker options: retentionCheckIntervalMs > 0');
  assert(resolved.partitionReopenIntervalMs > 0, 'broker options: partitionReopenIntervalMs > 0');
  assert(Number.isInteger(resolved.requestBytesMax) && resolved.requestBytesMax >= 1024, 'broker options: requestBytesMax >= 1 KiB');
  assert(Number.isInteger(resolved.requestBytesHeldMax) && resolved.requestBytesHeldMax >= 1, 'broker options: requestBytesHeldMax >= 1');
  assert(Number.isInteger(resolved.connectionParkedBytesMax) && resolved.connectionParkedBytesMax >= 1, 'broker options: connectionParkedBytesMax >= 1');
  return resolved;
}
