/**
 * Fetch: reads batches below the high watermark (on one node the log's durable end; on a cluster the
 * offset every ISR member holds durably: a consumer never sees a record that a crash could take back),
 * as stored (compressed batches are never decompressed),
 * within the request's byte limits, waiting up to max_wait_ms for min_bytes.
 *
 * Limits: the response holds at most min(max_bytes, fetchResponseBytesMax) bytes, except that the
 * first batch found is sent whole even when larger (KIP-74), so a consumer can always make progress;
 * each partition contributes at most partition_max_bytes (same exception).
 * Fetch sessions (KIP-227) are not kept: every response carries session id 0, which tells clients
 * to keep sending full fetches; an incremental fetch (session id != 0) gets FETCH_SESSION_ID_NOT_FOUND.
 */
import { fetchResponseBytesMax, fetchWaitMsMax, leaderReadFailuresBeforeStepDown } from '../limits.ts';
import { isLogError } from '../log/index.ts';
import { ErrorCode, type FetchPartition, type FetchPartitionData, type FetchRequest, type FetchResponse } from '../protocol/index.ts';
import { leadsHere, type BrokerState } from './broker-state.ts';
import { kafkaCodeFor } from './errors.ts';
import type { Partition } from './topic-store.ts';

interface FetchRound {
  readonly response: FetchResponse;
  readonly bytes: number;
  readonly anyError: boolean;
}

const noRecords = new Uint8Array(0);

function partitionResult(index: number, errorCode: number, partition?: Partition, records: Uint8Array = noRecords): FetchPartitionData {
  const log = partition?.log ?? null;
  const hw = log === null || partition === undefined ? -1n : partition.highWatermark;
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: hw,
    lastStableOffset: hw,
    logStartOffset: log === null ? -1n : log.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  };
}

/**
 * On a cluster: the error that refuses this fetch (not the leader, a stale or unknown leader epoch),
 * or NONE with the offset reads stop at: the high watermark for consumers, the log end for a
 * follower (whose fetch offset tells the leader what it holds durably; it may copy what the leader has
 * not synced yet, and a waiting follower fetch is woken by the leader's write, not its fsync).
 */
function replicaLimit(state: BrokerState, partition: Partition, asked: FetchPartition, replicaId: number): { code: number; limit: bigint } {
  const log = partition.log!;
  const replica = partition.replica;
  if (!leadsHere(state, partition)) return { code: ErrorCode.NOT_LEADER_OR_FOLLOWER, limit: -1n };
  if (replica === null) return { code: ErrorCode.NONE, limit: log.durableEndOffset };
  if (asked.currentLeaderEpoch >= 0 && asked.currentLeaderEpoch < replica.leaderEpoch) return { code: ErrorCode.FENCED_LEADER_EPOCH, limit: -1n };
  if (asked.currentLeaderEpoch > replica.leaderEpoch) return { code: ErrorCode.UNKNOWN_LEADER_EPOCH, limit: -1n };
  if (replicaId < 0) return { code: ErrorCode.NONE, limit: replica.consumerReadLimit };
  const code = replica.onFollowerFetch(replicaId, asked.fetchOffset);
  return { code, limit: log.logEndOffset };
}

/** Reads one partition within `budgetBytes` (ignored for the first data of the response). */
async function readPartition(state: BrokerState, topic: string, asked: FetchPartition, budgetBytes: number, first: boolean, replicaId: number): Promise<FetchPartitionData> {
  const partition = state.topics.partition(topic, asked.partition);
  if (partition === undefined) return partitionResult(asked.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const log = partition.log;
  if (log === null || partition.failure !== null) return partitionResult(asked.partition, ErrorCode.KAFKA_STORAGE_ERROR, partition);
  const { code, limit: hw } = replicaLimit(state, partition, asked, replicaId);
  if (code !== ErrorCode.NONE) return partitionResult(asked.partition, code, partition);
  if (asked.fetchOffset < log.logStartOffset || asked.fetchOffset > log.logEndOffset) {
    return partitionResult(asked.partition, ErrorCode.OFFSET_OUT_OF_RANGE, partition);
  }
  const limit = Math.min(asked.partitionMaxBytes, budgetBytes);
  if (asked.fetchOffset >= hw || asked.partitionMaxBytes <= 0 || (!first && limit <= 0)) return partitionResult(asked.partition, ErrorCode.NONE, partition);
  try {
    const records = await log.read(asked.fetchOffset, Math.max(limit, 0), hw);
    if (partition.unreadable?.offset === asked.fetchOffset) partition.unreadable = null;
    if (!first && records.length > budgetBytes) return partitionResult(asked.partition, ErrorCode.NONE, partition);
    return partitionResult(asked.partition, ErrorCode.NONE, partition, records);
  } catch (error) {
    if (!isLogError(error)) throw error;
    state.log.warn('FetchReadFailed', { topic, partition: asked.partition, offset: asked.fetchOffset, error: error.message, hint: 'the consumer got KAFKA_STORAGE_ERROR and retries; if this repeats, check the disk' });
    if (error.code === 'CORRUPT_RECORD' || error.code === 'IO_ERROR') readFailed(state, partition, asked.fetchOffset, error.message);
    return partitionResult(asked.partition, kafkaCodeFor(error), partition);
  }
}

/**
 * A read of what this broker holds failed at `offset`. On a cluster, a leader whose reads of one
 * offset fail several times with none succeeding between has a damaged stretch on its disk: its
 * followers cannot copy from it and consumers cannot read, so it gives up its leaderships to ISR
 * members that can serve (as Kafka takes a failed log directory offline), before its followers fall
 * out of the ISR for want of what it cannot read. Its own copy keeps the damage; it follows from there.
 */
function readFailed(state: BrokerState, partition: Partition, offset: bigint, detail: string): void {
  const failures = partition.unreadable?.offset === offset ? partition.unreadable.failures + 1 : 1;
  partition.unreadable = { offset, failures };
  // With no other ISR member to lead, giving up would move nothing (an unclean election is off).
  if (state.cluster === null || failures < leaderReadFailuresBeforeStepDown || !leadsHere(state, partition) || (partition.replica?.isr.length ?? 0) < 2) return;
  partition.unreadable = null;
  state.cluster.unreadableLeaderLog(`${partition.topic.name}-${partition.index}`, detail);
}

async function readRound(state: BrokerState, request: FetchRequest, version: number): Promise<FetchRound> {
  let budget = Math.min(version >= 3 ? request.maxBytes : 0x7fffffff, fetchResponseBytesMax);
  let bytes = 0;
  let anyError = false;
  const responses: FetchResponse['responses'] = [];
  for (const topic of request.topics) {
    const partitions: FetchPartitionData[] = [];
    for (const asked of topic.partitions) {
      const result = await readPartition(state, topic.topic, asked, budget, bytes === 0, request.replicaId);
      const size = (result.records as Uint8Array).length;
      bytes += size;
      budget -= size;
      if (result.errorCode !== ErrorCode.NONE) anyError = true;
      partitions.push(result);
    }
    responses.push({ topic: topic.topic, partitions });
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes, anyError };
}

export async function handleFetch(state: BrokerState, request: FetchRequest, version: number): Promise<FetchResponse> {
  if (version >= 7 && request.sessionId !== 0 && request.sessionId !== -1) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const round = await readRoundWaiting(state, request, version);
  state.metrics.bytesOut.inc(round.bytes);
  return round.response;
}

/** The first round if it satisfies min_bytes (or cannot wait), else a second one after the wait. */
async function readRoundWaiting(state: BrokerState, request: FetchRequest, version: number): Promise<FetchRound> {
  const first = await readRound(state, request, version);
  const waitMs = Math.min(Math.max(request.maxWaitMs, 0), fetchWaitMsMax);
  if (first.bytes >= request.minBytes || first.anyError || waitMs === 0 || state.stopping || state.fetchWaiters.full) return first;
  const partitions: Partition[] = [];
  for (const topic of request.topics) {
    for (const asked of topic.partitions) {
      const partition = state.topics.partition(topic.topic, asked.partition);
      if (partition !== undefined) partitions.push(partition);
    }
  }
  if (partitions.length === 0) return first;
  await state.fetchWaiters.wait(partitions, request.minBytes - first.bytes, waitMs, request.replicaId >= 0);
  return readRound(state, request, version);
}
