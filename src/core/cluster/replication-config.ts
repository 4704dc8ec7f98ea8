/**
 * Replication settings of a broker in a cluster. Defaults follow Kafka's where Kafka has one.
 */
import { assert } from '../assert.ts';

export interface ReplicationConfig {
  /** A follower that has not caught up with the leader for this long leaves the ISR (Kafka's replica.lag.time.max.ms). */
  readonly replicaLagTimeMaxMs: number;
  /** How long a follower's fetch waits at the leader for new data (Kafka's replica.fetch.wait.max.ms). */
  readonly replicaFetchWaitMsMax: number;
  /**
   * Bytes a follower asks for per fetch (Kafka's replica.fetch.max.bytes). 4 MiB, not Kafka's 1 MiB:
   * a follower here makes every fetch durable (an fsync) before its next fetch reports it, so with
   * 1 MiB a client's 1 MB batch cost a follower one fetch and one fsync (docs/benchmarks.md).
   */
  readonly replicaFetchBytesMax: number;
  /** Pause after a failed fetch or connection before trying again (Kafka's replica.fetch.backoff.ms). */
  readonly replicaFetchBackoffMs: number;
  /** acks=all needs at least this many ISR members (Kafka's min.insync.replicas, broker default). */
  readonly minInsyncReplicas: number;
  /** How often the broker heartbeats to the controller (Kafka's broker.heartbeat.interval.ms). */
  readonly brokerHeartbeatIntervalMs: number;
  /**
   * The controller's broker session (Kafka's broker.session.timeout.ms): a broker whose last answered
   * heartbeat was sent longer ago than this may have been fenced and its leaderships moved, so it
   * stops answering as a group coordinator until a heartbeat is answered again (cluster-member.ts,
   * sessionLeaseHeld). Default: six heartbeat intervals, as `chronik start` derives the interval.
   */
  readonly brokerSessionTimeoutMs: number;
  /** Replication factor of topics created without one (Kafka's default.replication.factor). */
  readonly defaultReplicationFactor: number;
  /** How long a stopping broker waits for its leaderships to move away (bounded, then it stops anyway). */
  readonly controlledShutdownTimeoutMs: number;
  /** Partitions of the internal offsets topic (Kafka's offsets.topic.num.partitions; Kafka's default is 50). */
  readonly offsetsTopicPartitions: number;
  /** Replicas of each offsets partition; the topic is created once this many brokers are live (offsets.topic.replication.factor). */
  readonly offsetsTopicReplicationFactor: number;
  /** How long an offset commit waits for the offsets partition's ISR before failing (offsets.commit.timeout.ms). */
  readonly offsetsCommitTimeoutMs: number;
}

export const defaultReplicationConfig: ReplicationConfig = {
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMsMax: 500,
  replicaFetchBytesMax: 4 * 1024 * 1024,
  replicaFetchBackoffMs: 100,
  minInsyncReplicas: 1,
  brokerHeartbeatIntervalMs: 1000,
  brokerSessionTimeoutMs: 6000,
  defaultReplicationFactor: 1,
  controlledShutdownTimeoutMs: 5000,
  offsetsTopicPartitions: 3,
  offsetsTopicReplicationFactor: 3,
  offsetsCommitTimeoutMs: 5000,
};

export function resolveReplicationConfig(partial: Partial<ReplicationConfig> | undefined): ReplicationConfig {
  const merged = { ...defaultReplicationConfig, ...partial };
  const c = { ...merged, brokerSessionTimeoutMs: partial?.brokerSessionTimeoutMs ?? 6 * merged.brokerHeartbeatIntervalMs };
  assert(c.replicaLagTimeMaxMs > 0 && c.replicaFetchWaitMsMax >= 0 && c.replicaFetchBackoffMs > 0, 'replication config: positive times');
  assert(c.replicaFetchWaitMsMax < c.replicaLagTimeMaxMs, 'replication config: a follower fetch returns before it could fall out of the ISR');
  assert(c.replicaFetchBytesMax >= 1024, 'replication config: replicaFetchBytesMax >= 1 KiB');
  assert(Number.isInteger(c.minInsyncReplicas) && c.minInsyncReplicas >= 1, 'replication config: minInsyncReplicas >= 1');
  assert(c.brokerHeartbeatIntervalMs > 0, 'replication config: brokerHeartbeatIntervalMs > 0');
  assert(c.brokerSessionTimeoutMs > c.brokerHeartbeatIntervalMs, 'replication config: a session outlasts a heartbeat interval');
  assert(c.controlledShutdownTimeoutMs >= 0, 'replication config: controlledShutdownTimeoutMs >= 0');
  assert(Number.isInteger(c.defaultReplicationFactor) && c.defaultReplicationFactor >= 1, 'replication config: defaultReplicationFactor >= 1');
  assert(Number.isInteger(c.offsetsTopicPartitions) && c.offsetsTopicPartitions >= 1, 'replication config: offsetsTopicPartitions >= 1');
  assert(Number.isInteger(c.offsetsTopicReplicationFactor) && c.offsetsTopicReplicationFactor >= 1, 'replication config: offsetsTopicReplicationFactor >= 1');
  assert(c.offsetsCommitTimeoutMs > 0, 'replication config: offsetsCommitTimeoutMs > 0');
  return c;
}
