/**
 * Every queue, buffer, batch and in-flight window in Chronik has a maximum, and they live here,
 * together, with the relations between them asserted at load time. A subsystem adds its own section;
 * a limit that a user may change is a default here and a config option elsewhere.
 */
import { assert } from './assert.ts';

// ---- network framing ----------------------------------------------------------------------------
/** Largest Kafka request frame accepted (configurable per broker; this is the default). */
export const requestBytesMaxDefault = 100 * 1024 * 1024;
/** Outgoing bytes queued on one connection before writers are asked to wait for drain. */
export const connectionWriteBufferBytesHighWater = 4 * 1024 * 1024;

// ---- raft metadata quorum (src/core/raft, src/core/metadata) ---------------------------------------
/** Controller voters: 1, 3 or 5 (static, from configuration). */
export const raftVotersMax = 5;
/** Entries carried by one append message (leader to follower). */
export const raftAppendEntriesPerMessageMax = 256;
/** Payload bytes carried by one append message (at least one entry is always sent). */
export const raftAppendBytesPerMessageMax = 1024 * 1024;
/** Append messages in flight to one follower in the replicate state (the pipelining window). */
export const raftInflightMessagesMax = 32;
/** Proposed but uncommitted entries a leader holds before it refuses new proposals. */
export const raftUncommittedEntriesMax = 4096;
/** Committed entries handed to the application in one Ready. */
export const raftApplyEntriesPerReadyMax = 1024;
/** One entry's payload. */
export const raftEntryBytesMax = 1024 * 1024;
/** Applied entries after which the driver takes a snapshot and compacts the log. */
export const raftSnapshotEntriesInterval = 1024;
/** Entries kept behind a snapshot so a briefly lagging follower is caught up without one. */
export const raftCompactionTrailEntries = 256;
/** A serialized metadata snapshot. */
export const raftSnapshotBytesMax = 32 * 1024 * 1024;
/** One framed message on the controller transport (a snapshot is the largest). */
export const raftFrameBytesMax = raftSnapshotBytesMax + 64 * 1024;
/** Messages queued towards one peer while it is unreachable; the oldest are dropped (Raft retransmits)... */
export const raftPeerQueueMessagesMax = 1024;
/** ...and so are they beyond this many bytes (a resent snapshot is large). */
export const raftPeerQueueBytesMax = 64 * 1024 * 1024;
/** Client proposals waiting to be committed and applied on one node. */
export const raftPendingProposalsMax = 8192;
/** Incoming controller connections held at once (peers, forwarding voters); more are closed at once. */
export const raftInboundConnectionsMax = 64;
/** Reconnect backoff towards a peer that is down: doubles from the minimum up to the maximum. */
export const raftReconnectBackoffMsMin = 25;
export const raftReconnectBackoffMsMax = 1000;
/** An outgoing peer connection is re-dialled when nothing was heard from that peer for this long. */
export const raftPeerSilenceMsMax = 3000;
/** Log records in one segment file before it rolls. */
export const raftSegmentBytesMax = 8 * 1024 * 1024;
/** Forwarded controller requests (CreateTopics, DeleteTopics) waiting for an answer on one node. */
export const controllerForwardsInflightMax = 1024;

assert(raftUncommittedEntriesMax >= raftAppendEntriesPerMessageMax, 'raft: uncommitted window holds a full append');
assert(raftCompactionTrailEntries < raftSnapshotEntriesInterval, 'raft: compaction trail shorter than the snapshot interval');
assert(raftEntryBytesMax <= raftAppendBytesPerMessageMax, 'raft: one entry fits one append message');
assert(raftAppendBytesPerMessageMax * 2 < raftFrameBytesMax, 'raft: an append message fits a frame');
assert(raftReconnectBackoffMsMin < raftReconnectBackoffMsMax, 'raft: backoff range');
assert(raftFrameBytesMax <= raftPeerQueueBytesMax, 'raft: a peer queue holds the largest frame');
assert(raftInboundConnectionsMax >= 2 * raftVotersMax, 'raft: room for every peer to reconnect once');

// ---- consumer groups and idempotent producers -----------------------------------------------------
/** Groups one coordinator holds (active or only holding offsets); a new group beyond it is refused. */
export const groupsMax = 10_000;
/** Members plus pending (MEMBER_ID_REQUIRED) members of one group; more answer GROUP_MAX_SIZE_REACHED. */
export const groupMembersMax = 1000;
/** Session timeouts a member may ask for (Kafka's group.min/max.session.timeout.ms defaults). */
export const groupSessionTimeoutMsMin = 6000;
export const groupSessionTimeoutMsMax = 1_800_000;
/** Kafka's group.initial.rebalance.delay.ms default: an empty group waits this long for more joiners. */
export const groupInitialRebalanceDelayMsDefault = 3000;
/** UTF-8 bytes of the metadata string stored with one committed offset (Kafka offset.metadata.max.bytes). */
export const offsetMetadataBytesMax = 4096;
/** Offset commits accepted but not yet durable, per coordinator; beyond it commits answer COORDINATOR_NOT_AVAILABLE. */
export const offsetCommitsInFlightMax = 4096;
/** Distinct (group, topic, partition) keys with a committed offset, per coordinator. */
export const committedOffsetKeysMax = 1_000_000;
/** One record in an offsets or producer-id file; a longer length prefix is treated as corruption. */
export const recordFileRecordBytesMax = 64 * 1024;
/** Bytes read at once while loading a record file. */
export const recordFileReadChunkBytes = 1024 * 1024;
/** The offsets file is rewritten with only the latest commit per key once it is larger than this... */
export const offsetsFileCompactBytesMin = 4 * 1024 * 1024;
/** ...and larger than this many times the bytes of its live records. */
export const offsetsFileCompactRatio = 2;
/** Producer ids reserved (persisted as a high-water mark) per disk write. */
export const producerIdBlockSize = 1000;
/** Batches remembered per (producer, partition) for duplicate detection (Kafka's NumBatchesToRetain). */
export const producerBatchesRetained = 5;
/** Producers tracked per partition; the one with the oldest last write is forgotten beyond it. */
export const producersPerPartitionMax = 10_000;

assert(groupSessionTimeoutMsMin < groupSessionTimeoutMsMax, 'groups: session timeout range');
assert(offsetMetadataBytesMax * 4 < recordFileRecordBytesMax, 'groups: an offset record with metadata fits a record');
assert(offsetsFileCompactRatio > 1, 'groups: compaction must shrink the file');
assert(producerBatchesRetained >= 5, 'producer: clients keep up to 5 batches in flight');

// ---- partition log ------------------------------------------------------------------------------
/** Largest segment size a config may ask for: positions in the sparse index are int32. */
export const logSegmentBytesMaxLimit = 1024 * 1024 * 1024;
/** Bytes of one append() call (a produce request's batches for one partition). */
export const logAppendBytesMax = 64 * 1024 * 1024;
/** Bytes the group-commit writer coalesces into one disk write. */
export const logWriteBytesMax = 8 * 1024 * 1024;
/** Bytes of appends waiting for the writer; append() waits for room beyond it (backpressure). */
export const logAppendQueueBytesMax = 64 * 1024 * 1024;
/** Bytes read from a segment per disk read while scanning (recovery, index lookups, reads). */
export const logScanChunkBytes = 1024 * 1024;
/** Sparse-index entries one segment may hold (bounds indexIntervalBytes from below). */
export const logIndexEntriesPerSegmentMax = 1024 * 1024;
/** Iterations of the group-commit loop before it yields the lock to truncation, retention or stop. */
export const logWriterRoundsPerLock = 16;

assert(logWriteBytesMax <= logAppendQueueBytesMax, 'log: one write fits in the append queue');
assert(logAppendBytesMax <= logAppendQueueBytesMax, 'log: one append fits in the append queue');
assert(logSegmentBytesMaxLimit + logAppendBytesMax < 2 ** 31, 'log: segment positions fit int32');

// ---- kafka broker (src/core/broker) -------------------------------------------------------------
/** Requests of one connection being handled or waiting for their turn to be written (Kafka's queued.max.requests is per broker; this is per connection). */
export const connectionRequestsInFlightMax = 64;
/**
 * Whole request frames read from one connection but not yet started (the in-flight window is full or
 * writes are backed up). At this many the connection stops reading until some are started; the rest
 * of the chunk being read is still parked, so the count can pass it by one chunk's frames.
 */
export const connectionRequestsParkedMax = 1024;
/** Bytes of those parked frames at which the connection stops reading (a default; BrokerOptions.connectionParkedBytesMax)... */
export const connectionParkedBytesMaxDefault = 128 * 1024 * 1024;
/**
 * ...and bytes of request frames held across all connections of a broker: parked, in flight (until
 * answered) and partly read. At this total, connections with a request in flight or parked stop
 * reading, and resume in the order they stopped as it drains; a connection with neither keeps
 * reading, so a frame larger than what is left still gets in (a default; BrokerOptions.requestBytesHeldMax).
 */
export const requestBytesHeldMaxDefault = 256 * 1024 * 1024;
/** Fetch requests waiting (long poll) across the broker; beyond it a fetch is answered at once. */
export const fetchWaitersMax = 10_000;
/** Longest max_wait_ms honoured; a larger one is cut to this. */
export const fetchWaitMsMax = 60_000;
/** Bytes of one fetch response (max_bytes is cut to this); one batch larger than it is still sent whole. */
export const fetchResponseBytesMax = 64 * 1024 * 1024;
/** Topics one broker holds; CreateTopics and auto-creation beyond it answer POLICY_VIOLATION... */
export const topicsMax = 10_000;
/** ...partitions of one topic (CreateTopics and CreatePartitions above it answer INVALID_PARTITIONS, on the broker and the metadata controller alike)... */
export const topicPartitionsMax = 10_000;
/** ...and partitions across all topics (each is an open partition log). */
export const partitionsMax = 20_000;
/** The topic metadata file (names, ids, partition counts); a larger length is treated as corruption. */
export const topicMetadataFileBytesMax = 16 * 1024 * 1024;
/** Kafka's limit on topic name length. */
export const topicNameLengthMax = 249;
/** Offsets at the end of each partition log whose batch headers rebuild producer state on start. */
export const producerStateRebuildOffsetsMax = 1_000_000;
/** Bytes read per step of that rebuild. */
export const producerStateRebuildReadBytes = 1024 * 1024;
/** Reads of one chunk of the log tail tried before the rebuild of a partition's producer state gives up (a transient EIO passes). */
export const producerStateRebuildReadAttemptsMax = 5;
/**
 * Times log recovery reads a bad stretch again before it takes it for damage (and cuts or skips
 * it): a misdirected read is wrong for that read only, and may happen twice in a row.
 */
export const recoveryRereadsMax = 3;
/** HTTP connections the `--metrics-listen` endpoint holds at once; one more is closed on arrival (a scraper needs one). */
export const metricsConnectionsMax = 16;

/** Producer ids per block the controller gives a cluster broker (a ProducerIds record; Kafka's is 1000 too). */
export const clusterProducerIdBlockSize = 1000;
/** A cluster broker asks for its next block once this many ids of the current one are handed out (90 %). */
export const clusterProducerIdPrefetchUsed = 900;
/** How long InitProducerId on a cluster broker waits for a block before answering COORDINATOR_LOAD_IN_PROGRESS. */
export const clusterProducerIdWaitMsMax = 1000;

/** Bytes per read when a replica rebuilds its leader-epoch history from the log's batch headers. */
export const replicaRebuildReadBytes = 1024 * 1024;

assert(clusterProducerIdPrefetchUsed > 0 && clusterProducerIdPrefetchUsed < clusterProducerIdBlockSize, 'cluster: the next producer id block is asked for before the current one runs out');
assert(connectionRequestsInFlightMax <= connectionRequestsParkedMax, 'broker: parking holds a full window');
assert(connectionParkedBytesMaxDefault < requestBytesHeldMaxDefault, 'broker: one connection parking cannot take the whole request budget');
assert(requestBytesMaxDefault <= requestBytesHeldMaxDefault, 'broker: a largest request fits the request budget');
assert(topicPartitionsMax <= partitionsMax, 'broker: one topic fits the broker');
assert(topicPartitionsMax * (5 * '99999,'.length + '[],'.length) <= raftEntryBytesMax, 'broker: the CreateTopic record of a largest topic (5 replicas each) fits one raft entry');
assert(fetchResponseBytesMax <= logAppendQueueBytesMax, 'broker: a fetch response is no larger than the log queue');

// ---- partition replication (src/core/replication) ------------------------------------------------
/** Leader-epoch entries kept per partition log; beyond it the oldest is forgotten (asked about, it answers UNDEFINED). */
export const leaderEpochEntriesMax = 16_384;
/** The leader-epoch checkpoint file: its header plus 12 bytes an entry; a larger file is treated as corruption. */
export const leaderEpochCheckpointBytesMax = 16 + 12 * leaderEpochEntriesMax;
/**
 * Failed reads of one offset of a partition this broker leads (CORRUPT_RECORD or IO_ERROR, none
 * succeeding between: a damaged stretch of its disk) before the broker gives up its leaderships to
 * replicas that can serve (cluster-member.ts, unreadableLeaderLog). One may be a transient fault.
 */
export const leaderReadFailuresBeforeStepDown = 3;

// ---- simulator ----------------------------------------------------------------------------------
/** Events one simulation run may process before it is declared stuck. */
export const simEventsMax = 50_000_000;

assert(connectionWriteBufferBytesHighWater < requestBytesMaxDefault, 'write buffer below request limit');
