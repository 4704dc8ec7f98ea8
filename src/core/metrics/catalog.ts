/**
 * Every metric the broker exports, in one table: names (Prometheus style: `chronik_` prefix, units
 * last, `_total` on counters), types, labels and meanings. docs/metrics.md lists the same rows (a
 * test holds it to this table). The `chronik_raft_` rows exist only in the cluster mode (a node with
 * a controller voter), collected by src/core/raft/raft-metrics.ts.
 */
import type { MetricDef } from './metrics.ts';

/** Request latency buckets, in seconds: 0.5 ms to 60 s (a Fetch may wait up to fetchWaitMsMax). */
const requestSecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** fsync latency buckets, in seconds: 50 µs to 5 s. */
const fsyncSecondsBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
/** Appends made durable by one fsync: powers of two up to 4096. */
const appendsPerFsyncBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

const partitionLabels = ['topic', 'partition'];

export const metricDefs = {
  requests: {
    name: 'chronik_requests_total', type: 'counter', labelNames: ['api'],
    help: 'Kafka requests started, by API name (Produce, Fetch, Metadata, ...)',
  },
  produceDuration: {
    name: 'chronik_produce_request_duration_seconds', type: 'histogram', labelNames: [], buckets: requestSecondsBuckets,
    help: 'time from a Produce request being started to its response being ready (its appends durable), acks=0 included',
  },
  produceStage: {
    name: 'chronik_produce_stage_seconds', type: 'histogram', labelNames: ['stage'], buckets: requestSecondsBuckets,
    help: 'where a partition\'s produce waits: stage "append" from the request started to its batches durable on this broker (the append queue, the write, the group-commit fsync); stage "replication" (acks=all on a cluster) from then to the high watermark passing them (the followers\' fetch, write and fsync, and their next fetch)',
  },
  fetchDuration: {
    name: 'chronik_fetch_request_duration_seconds', type: 'histogram', labelNames: [], buckets: requestSecondsBuckets,
    help: 'time from a Fetch request being started to its response being ready, including the wait for min_bytes (up to max_wait_ms)',
  },
  bytesIn: {
    name: 'chronik_bytes_in_total', type: 'counter', labelNames: [],
    help: 'record-batch bytes appended by Produce requests, counted once durable',
  },
  bytesOut: {
    name: 'chronik_bytes_out_total', type: 'counter', labelNames: [],
    help: 'record-batch bytes sent in Fetch responses',
  },
  connections: {
    name: 'chronik_connections', type: 'gauge', labelNames: [],
    help: 'client connections open now',
  },
  connectionsAccepted: {
    name: 'chronik_connections_accepted_total', type: 'counter', labelNames: [],
    help: 'client connections accepted since the broker started',
  },
  requestBytesHeld: {
    name: 'chronik_request_bytes_held', type: 'gauge', labelNames: [],
    help: 'request bytes read from clients and not yet answered, across connections; at --request-bytes-held-max connections with requests pending stop reading',
  },
  connectionsReadingPaused: {
    name: 'chronik_connections_reading_paused', type: 'gauge', labelNames: [],
    help: 'client connections not being read now (back-pressure: their parked requests are at the limit, or the request budget is used up)',
  },
  readingPauses: {
    name: 'chronik_connection_reading_pauses_total', type: 'counter', labelNames: [],
    help: 'times a client connection stopped being read (back-pressure, never a disconnect)',
  },
  fsyncDuration: {
    name: 'chronik_log_fsync_duration_seconds', type: 'histogram', labelNames: [], buckets: fsyncSecondsBuckets,
    help: 'time of one group-commit fsync of a partition log segment (every partition)',
  },
  appendsPerFsync: {
    name: 'chronik_log_appends_per_fsync', type: 'histogram', labelNames: [], buckets: appendsPerFsyncBuckets,
    help: 'appends (one per partition of a Produce request) acknowledged by one group-commit fsync',
  },
  logStartOffset: {
    name: 'chronik_partition_log_start_offset', type: 'gauge', labelNames: partitionLabels,
    help: 'first offset a consumer can read (moves with retention and DeleteRecords)',
  },
  logEndOffset: {
    name: 'chronik_partition_log_end_offset', type: 'gauge', labelNames: partitionLabels,
    help: 'offset the next appended record gets (written, possibly not yet durable)',
  },
  highWatermark: {
    name: 'chronik_partition_high_watermark', type: 'gauge', labelNames: partitionLabels,
    help: 'offset below which consumers may read (on a single node, the durable end of the log)',
  },
  logSize: {
    name: 'chronik_partition_log_size_bytes', type: 'gauge', labelNames: partitionLabels,
    help: 'bytes in the partition log segments',
  },
  replicas: {
    name: 'chronik_partition_replicas', type: 'gauge', labelNames: partitionLabels,
    help: 'replicas assigned to the partition (1 on a single node)',
  },
  isrSize: {
    name: 'chronik_partition_in_sync_replicas', type: 'gauge', labelNames: partitionLabels,
    help: 'replicas in sync: on a single node 1 while the partition log is open and healthy, 0 when it failed; in a cluster, the ISR of the metadata this broker applied',
  },
  underReplicated: {
    name: 'chronik_under_replicated_partitions', type: 'gauge', labelNames: [],
    help: 'partitions this broker leads with fewer in-sync replicas than replicas (on a single node, the partitions whose log failed)',
  },
  groupRebalances: {
    name: 'chronik_consumer_group_rebalances_total', type: 'counter', labelNames: [],
    help: 'rebalances started in any consumer group (a group entering PreparingRebalance)',
  },
  groupLag: {
    name: 'chronik_consumer_group_lag_offsets', type: 'gauge', labelNames: ['group', 'topic', 'partition'],
    help: "high watermark minus the group's committed offset, per committed partition (0 when the commit is at or past it)",
  },
  raftTerm: {
    name: 'chronik_raft_term', type: 'gauge', labelNames: [],
    help: "the metadata quorum's current term as this node's controller voter knows it (cluster mode only, as every chronik_raft_ metric)",
  },
  raftLeader: {
    name: 'chronik_raft_leader', type: 'gauge', labelNames: [],
    help: 'node id of the active controller (the Raft leader) this voter knows, 0 when it knows none',
  },
  raftIsLeader: {
    name: 'chronik_raft_is_leader', type: 'gauge', labelNames: [],
    help: '1 while this node is the active controller, else 0',
  },
  raftLastIndex: {
    name: 'chronik_raft_last_index', type: 'gauge', labelNames: [],
    help: "index of the last entry in this voter's metadata log",
  },
  raftCommitIndex: {
    name: 'chronik_raft_commit_index', type: 'gauge', labelNames: [],
    help: 'index of the last metadata log entry this voter knows to be committed',
  },
  raftAppliedIndex: {
    name: 'chronik_raft_applied_index', type: 'gauge', labelNames: [],
    help: "index of the last metadata log entry applied to this node's metadata image",
  },
  raftLeaderChanges: {
    name: 'chronik_raft_leader_changes_total', type: 'counter', labelNames: [],
    help: 'times this voter learned of a new active controller',
  },
  raftFailed: {
    name: 'chronik_raft_failed', type: 'gauge', labelNames: [],
    help: "1 once this node's controller voter stopped for good after a storage failure, else 0 (`chronik start` then exits with code 1 at once, `ProcessExitingControllerFailed`, so a scrape rarely sees the 1)",
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof metricDefs;
