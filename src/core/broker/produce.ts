/**
 * Produce: validates each partition's record batches, checks idempotent-producer sequences, stamps
 * the leader epoch, appends to the partition log and answers once the append is durable (the log
 * resolves appends only after an fsync under the default policy, so acks=1 and acks=-1 mean the same
 * on one node). On a cluster, only the partition's leader accepts a batch, and acks=-1 also waits
 * for the high watermark to pass it (every ISR member has it), refusing up front with
 * NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas. acks=0 appends the same way; the
 * connection sends no response.
 *
 * Every partition's checks and its append() call happen synchronously, in request order, before the
 * first await: requests on one connection reach each log in the order they were sent, and a
 * producer's in-flight batches are checked against each other in sequence order.
 *
 * The topic's configs (metadata/topic-config.ts) apply per request: a batch above max.message.bytes
 * (or segment.bytes) is MESSAGE_TOO_LARGE; acks=-1 with min.insync.replicas above the one in-sync
 * replica is NOT_ENOUGH_REPLICAS; message.timestamp.type=LogAppendTime stamps each batch with the
 * broker's wall-clock time (attribute bit and max timestamp, as Kafka does) and answers it as
 * log_append_time_ms.
 */
import { offsetsTopicName } from '../cluster/offsets-topic.ts';
import { isLogError, splitBatches, type AppendResult } from '../log/index.ts';
import { stampLogAppendTime, writePartitionLeaderEpoch, type BatchSpan } from '../log/record-batch.ts';
import type { ProducerCheck } from '../producer/index.ts';
import {
  ErrorCode,
  type ProducePartitionData,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../protocol/index.ts';
import { reached } from '../io/index.ts';
import { secondsBetween } from '../metrics/index.ts';
import { leadsHere, type BrokerState } from './broker-state.ts';
import { kafkaCodeFor } from './errors.ts';
import type { BrokerBugs } from './options.ts';
import type { Partition } from './topic-store.ts';

const transactionalBit = 0x10;
const controlBit = 0x20;
const int32Max = 2 ** 31 - 1;

function failed(index: number, errorCode: number, message: string | null = null): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}

function succeeded(partition: Partition, index: number, baseOffset: bigint, logAppendTimeMs = -1n): ProducePartitionResponse {
  const logStartOffset = partition.log?.logStartOffset ?? -1n;
  return { index, errorCode: ErrorCode.NONE, baseOffset, logAppendTimeMs, logStartOffset, recordErrors: [], errorMessage: null };
}

/** The batches of one partition's records, or the response refusing them. */
function validateBatches(partition: Partition, data: ProducePartitionData): BatchSpan[] | ProducePartitionResponse {
  const records = data.records;
  if (records === null || records.length === 0) return failed(data.index, ErrorCode.INVALID_RECORD, 'no record batches');
  const split = splitBatches(records, int32Max);
  if (!split.ok) {
    const kind = split.problem.kind;
    if (kind === 'bad-magic') return failed(data.index, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 'only magic 2 record batches are accepted');
    return failed(data.index, ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${split.position}: ${kind}`);
  }
  const { maxMessageBytes, segmentBytes } = partition.topic.config;
  for (const span of split.spans) {
    if (span.size > maxMessageBytes || span.size > segmentBytes) {
      const limit = span.size > maxMessageBytes ? `max.message.bytes ${maxMessageBytes}` : `segment.bytes ${segmentBytes}`;
      return failed(data.index, ErrorCode.MESSAGE_TOO_LARGE, `batch of ${span.size} bytes is above the topic's ${limit}`);
    }
    if ((span.header.attributes & (transactionalBit | controlBit)) !== 0) {
      return failed(data.index, ErrorCode.INVALID_RECORD, 'transactional and control batches are not supported');
    }
  }
  return split.spans;
}

/** Producer-sequence checks for every batch; on refusal, withdraws the ones already accepted. */
function checkProducers(partition: Partition, spans: readonly BatchSpan[]): ProducerCheck[] | ProducerCheck {
  const checks: ProducerCheck[] = [];
  for (const span of spans) {
    const check = partition.producers.check(span.header);
    const alone = spans.length === 1;
    if (check.kind === 'rejected' || (check.kind === 'duplicate' && !alone)) {
      for (const c of checks) if (c.kind === 'accepted') c.settle(null);
      if (check.kind === 'duplicate') return { kind: 'rejected', errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER, message: 'a duplicate batch among others' };
      return check;
    }
    checks.push(check);
  }
  return checks;
}

function settleChecks(checks: readonly ProducerCheck[], spans: readonly BatchSpan[], result: AppendResult | null): void {
  let next = result?.baseOffset ?? 0n;
  spans.forEach((span, i) => {
    const count = BigInt(span.header.lastOffsetDelta) + 1n;
    const check = checks[i]!;
    if (check.kind === 'accepted') check.settle(result === null ? null : { baseOffset: next, lastOffset: next + count - 1n });
    next += count;
  });
}

/**
 * acks=all on a cluster: waits until the high watermark passes `lastOffset` (every ISR member holds
 * it durably), the request's timeout, or the end of this broker's leadership. Null when answered.
 */
async function awaitReplication(partition: Partition, index: number, lastOffset: bigint, ack: AckPolicy): Promise<ProducePartitionResponse | null> {
  const replica = partition.replica;
  if (ack.acks !== -1 || replica === null) return null;
  const code = await replica.waitForHighWatermark(lastOffset, ack.timeoutMs);
  if (code === ErrorCode.NONE) return null;
  const messages: Record<number, string> = {
    [ErrorCode.REQUEST_TIMED_OUT]: `the in-sync replicas did not all have the batch within ${ack.timeoutMs} ms; it may still be replicated`,
    [ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]: 'written, but the ISR shrank below min.insync.replicas before it was replicated',
    [ErrorCode.NOT_LEADER_OR_FOLLOWER]: 'this broker stopped leading the partition before the batch was replicated',
  };
  return failed(index, code, messages[code] ?? null);
}

interface AckPolicy {
  readonly acks: number;
  readonly timeoutMs: number;
}

async function answerDuplicate(state: BrokerState, partition: Partition, index: number, offsets: Promise<AppendResult>, ack: AckPolicy): Promise<ProducePartitionResponse> {
  reached(state.io, 'producer.duplicate-retry');
  let result: AppendResult;
  try {
    result = await offsets;
  } catch {
    return failed(index, ErrorCode.KAFKA_STORAGE_ERROR, 'the original attempt of this batch failed; retry');
  }
  return (await awaitReplication(partition, index, result.lastOffset, ack)) ?? succeeded(partition, index, result.baseOffset);
}

/** message.timestamp.type=LogAppendTime: stamps every batch with `nowMs` (before append, which takes the buffer over). */
function stampBatches(records: Uint8Array, spans: readonly BatchSpan[], nowMs: bigint): void {
  for (const span of spans) stampLogAppendTime(records, span.position, span.size, nowMs);
}

async function awaitAppend(
  state: BrokerState,
  partition: Partition,
  data: ProducePartitionData,
  appended: Promise<AppendResult>,
  checks: ProducerCheck[],
  spans: BatchSpan[],
  logAppendTimeMs: bigint,
  ack: AckPolicy,
): Promise<ProducePartitionResponse> {
  const clock = state.io.clock;
  const startMs = clock.nowMs();
  const bytes = data.records!.length;
  try {
    const result = await appended;
    // Durable: let go of the request's bytes (the log reads back what followers fetch). An acks=all
    // request still waits for its followers, and a MB-sized request kept alive that long is promoted
    // to V8's old generation, whose collections cost a cluster's leader about a fifth of its CPU.
    data.records = null;
    const durableMs = clock.nowMs();
    state.metrics.produceAppendSeconds.observe(secondsBetween(startMs, durableMs));
    settleChecks(checks, spans, result);
    state.metrics.bytesIn.inc(bytes);
    partition.notifyAppended(bytes);
    const replicated = await awaitReplication(partition, data.index, result.lastOffset, ack);
    if (ack.acks === -1 && partition.replica !== null) state.metrics.produceReplicationSeconds.observe(secondsBetween(durableMs, clock.nowMs()));
    return replicated ?? succeeded(partition, data.index, result.baseOffset, logAppendTimeMs);
  } catch (error) {
    settleChecks(checks, spans, null);
    if (!isLogError(error)) throw error;
    state.log.warn('ProduceAppendFailed', { topic: partition.topic.name, partition: data.index, error: error.message, hint: 'the producer got the error and may retry; if this repeats, check the disk and free space' });
    return failed(data.index, kafkaCodeFor(error), error.message);
  }
}

/** The one in-sync replica of a single node; acks=-1 needs min.insync.replicas of them. */
const inSyncReplicas = 1;

/** Starts one partition's append synchronously; the promise settles with its response. */
function producePartition(state: BrokerState, topic: string, data: ProducePartitionData, ack: AckPolicy, bugs: BrokerBugs): Promise<ProducePartitionResponse> {
  const partition = state.topics.partition(topic, data.index);
  if (partition === undefined) return Promise.resolve(failed(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  if (partition.log === null || partition.failure !== null) {
    return Promise.resolve(failed(data.index, ErrorCode.KAFKA_STORAGE_ERROR, partition.failure?.message ?? null));
  }
  const replica = partition.replica;
  if (replica !== null && topic === offsetsTopicName) {
    return Promise.resolve(failed(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `'${topic}' is internal: only group coordinators write to it`));
  }
  if (!leadsHere(state, partition, true)) {
    return Promise.resolve(failed(data.index, ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${state.options.nodeId} does not lead ${topic}-${data.index}; refresh metadata`));
  }
  const config = partition.topic.config;
  const inSync = replica === null ? inSyncReplicas : replica.isr.length;
  const minInsync = replica === null ? config.minInsyncReplicas : replica.minInsyncReplicas;
  if (ack.acks === -1 && minInsync > inSync) {
    const message = `min.insync.replicas is ${minInsync}, and the partition has ${inSync} in-sync replica(s)`;
    return Promise.resolve(failed(data.index, ErrorCode.NOT_ENOUGH_REPLICAS, message));
  }
  const spans = validateBatches(partition, data);
  if (!Array.isArray(spans)) return Promise.resolve(spans);
  const checks = checkProducers(partition, spans);
  if (!Array.isArray(checks)) {
    if (checks.kind === 'duplicate') return answerDuplicate(state, partition, data.index, checks.offsets, ack);
    if (checks.kind === 'rejected') return Promise.resolve(failed(data.index, checks.errorCode, checks.message));
    return Promise.resolve(failed(data.index, ErrorCode.UNKNOWN_SERVER_ERROR));
  }
  // The planted bug duplicateRetriesAppended appends the duplicate (its check, not 'accepted', is never settled).
  if (spans.length === 1 && checks[0]!.kind === 'duplicate' && bugs.duplicateRetriesAppended !== true) return answerDuplicate(state, partition, data.index, checks[0]!.offsets, ack);
  let logAppendTimeMs = -1n;
  if (config.messageTimestampType === 'LogAppendTime') {
    logAppendTimeMs = BigInt(state.io.clock.wallClockMs());
    stampBatches(data.records!, spans, logAppendTimeMs);
  }
  const epoch = replica?.leaderEpoch ?? 0;
  for (const span of spans) writePartitionLeaderEpoch(data.records!, span.position, epoch);
  return awaitAppend(state, partition, data, partition.log.append(data.records!), checks, spans, logAppendTimeMs, ack);
}

/** `bugs`: test-only planted bugs (BrokerOptions.testOnlyBrokerBugs); none by default. */
export async function handleProduce(state: BrokerState, request: ProduceRequest, bugs: BrokerBugs = {}): Promise<ProduceResponse> {
  const acksValid = request.acks === 0 || request.acks === 1 || request.acks === -1;
  const pending = request.topicData.map((topic) => ({
    name: topic.name,
    partitions: topic.partitionData.map((data) => {
      if (!acksValid) return Promise.resolve(failed(data.index, ErrorCode.INVALID_REQUIRED_ACKS));
      if (request.transactionalId !== null) return Promise.resolve(failed(data.index, ErrorCode.INVALID_REQUEST, 'transactions are not supported'));
      if (state.stopping) return Promise.resolve(failed(data.index, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is shutting down'));
      return producePartition(state, topic.name, data, { acks: request.acks, timeoutMs: request.timeoutMs }, bugs);
    }),
  }));
  const responses = [];
  for (const topic of pending) responses.push({ name: topic.name, partitionResponses: await Promise.all(topic.partitions) });
  return { responses, throttleTimeMs: 0 };
}

