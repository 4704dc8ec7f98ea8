/**
 * Kafka requests and answers the simulator's workloads share: batches of numbered values, what a
 * produce error means for the outcome, one Fetch of one partition as a consumer sees it, and a
 * consumer group's OffsetFetch and OffsetCommit, recorded for the checker.
 */
import { recordBatch } from '../../src/core/log/index.ts';
import { ApiKey, ErrorCode } from '../../src/core/protocol/index.ts';
import type { KafkaWireClient } from '../../src/core/protocol/wire-client.ts';
import type { Io } from '../../src/core/io/index.ts';
import { checkKafkaHistory, KafkaHistory, renderFindings, type CheckOptions, type Finding, type Outcome } from '../checkers/kafka-history.ts';
import type { ScenarioTimeline, TimedFailure } from '../scenario.ts';
import { readRecords, type ConsumedRecord } from './records.ts';

export const workloadTopic = 'events';

export function valuesBatch(values: readonly string[], idempotent?: { producerId: bigint; epoch: number; sequence: number }): Uint8Array {
  const encoder = new TextEncoder();
  return recordBatch.encodeRecordBatch({
    records: values.map((v) => ({ key: null, value: encoder.encode(v) })),
    baseTimestamp: 1_767_225_600_000n,
    producerId: idempotent?.producerId ?? -1n,
    producerEpoch: idempotent?.epoch ?? -1,
    baseSequence: idempotent?.sequence ?? -1,
  });
}

/**
 * Produce errors after which the batch was certainly not appended by this request (all are decided
 * before the append starts). Any other error (KAFKA_STORAGE_ERROR: the bytes may be written though
 * their fsync failed) leaves the outcome unknown. On a cluster NOT_LEADER_OR_FOLLOWER may also come
 * after the append (acks=all waiting when leadership moved): `clusterNotWritten` leaves it out.
 */
export const notWritten = new Set<number>([
ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.INVALID_REQUIRED_ACKS,
  ErrorCode.INVALID_REQUEST,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.INVALID_RECORD,
  ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
  ErrorCode.INVALID_PRODUCER_EPOCH,
  ErrorCode.UNKNOWN_PRODUCER_ID,
]);

export const clusterNotWritten = new Set<number>([...notWritten].filter((code) => code !== ErrorCode.NOT_LEADER_OR_FOLLOWER));

export function produceOutcome(errorCode: number, baseOffset: bigint, certainlyNotWritten: ReadonlySet<number> = notWritten): Outcome<bigint> {
  if (errorCode === ErrorCode.NONE) return { type: 'ok', value: baseOffset };
  if (certainlyNotWritten.has(errorCode)) return { type: 'fail', errorCode };
  return { type: 'info', reason: `error ${errorCode}` };
}

export function fetchBody(partition: number, fetchOffset: bigint, partitionBytesMax: number) {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: workloadTopic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes: partitionBytesMax }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

export type FetchAnswer = { kind: 'records'; records: ConsumedRecord[]; highWatermark: bigint } | { kind: 'error'; errorCode: number; highWatermark: bigint; logStartOffset: bigint } | { kind: 'failed'; message: string };

/** One Fetch of one partition; records only at or above fetchOffset are kept (whole batches may start below it). */
export async function fetchOnce(client: KafkaWireClient, partition: number, fetchOffset: bigint, partitionBytesMax: number): Promise<FetchAnswer> {
  const response = await client.request(ApiKey.Fetch, 11, fetchBody(partition, fetchOffset, partitionBytesMax)).catch((e: Error) => e.message);
  if (typeof response === 'string') return { kind: 'failed', message: response };
  const data = response.responses[0]?.partitions[0];
  if (data === undefined) return { kind: 'failed', message: 'no partition in the fetch response' };
  if (data.errorCode !== ErrorCode.NONE) return { kind: 'error', errorCode: data.errorCode, highWatermark: data.highWatermark, logStartOffset: data.logStartOffset };
  const records = readRecords((data.records ?? new Uint8Array(0)) as Uint8Array).filter((r) => r.offset >= fetchOffset);
  return { kind: 'records', records, highWatermark: data.highWatermark };
}

/**
 * What a Kafka workload scenario records and finds: the history the checker judges, failures
 * (at most 20 kept), each producer's last ack, and counts for the summary.
 */
export class WorkloadRun<Counts extends Record<string, number>> {
  readonly history = new KafkaHistory();
  readonly failures: string[] = [];
  /** When each failure was found (for the timeline), where known. */
  readonly failureTimes: TimedFailure[] = [];
  readonly lastAckMs = new Map<string, number>();

  /** `nowMs`: the virtual clock, so that a failure found now is marked now on the timeline. */
  constructor(
    readonly counts: Counts,
    private readonly nowMs: (() => number) | null = null,
  ) {}

  /** Records a failure found at `atMs` (default: now, when the run has a clock). */
  fail(message: string, atMs: number | undefined = this.nowMs?.()): void {
    if (this.failures.length >= 20) return;
    this.failures.push(message);
    if (atMs !== undefined) this.failureTimes.push({ atMs, text: message });
  }

  /** Closes a client, failing the run if any of its responses came out of request order. */
  close(name: string, client: KafkaWireClient | null): void {
    if (client === null) return;
    client.close();
    for (const violation of client.orderViolations) this.fail(`${name}: response order: ${violation}`);
    client.orderViolations.length = 0;
  }

  /** Judges the history (findings become failures) and returns the scenario's result. */
  judge(options: CheckOptions): { ok: boolean; failures: string[]; summary: Record<string, number | string>; timeline: ScenarioTimeline } {
    const checked = checkKafkaHistory(this.history, options);
    renderFindings(checked.findings, 10).forEach((line, i) => this.fail(line, findingTimeMs(checked.findings[i])));
    const { counts } = checked;
    const summary = {
      ...this.counts,
      acked: counts.acked,
      lost: counts.lost,
      duplicates: counts.duplicates,
      recordsRead: counts.recordsRead,
      ...Object.fromEntries(Object.entries(counts.ops).map(([kind, n]) => [`ops.${kind}`, n])),
    };
    return { ok: this.failures.length === 0, failures: this.failures, summary, timeline: { history: this.history, failureTimes: this.failureTimes } };
  }
}

/** When a finding showed: the last completion (or invocation) among its operations; undefined without any. */
function findingTimeMs(finding: Finding | undefined): number | undefined {
  if (finding === undefined || finding.ops.length === 0) return undefined;
  return Math.max(...finding.ops.map((op) => op.completeMs ?? op.invokeMs));
}

/** OffsetFetch of `group`'s offsets for `partitions` of the workload topic, recorded; null when it failed. */
export async function fetchCommitted(io: Io, run: WorkloadRun<Record<string, number>>, name: string, client: KafkaWireClient, group: string, partitions: readonly number[]): Promise<bigint[] | null> {
  const invokeAt = run.history.invocation();
  const invokeMs = io.clock.nowMs();
  const response = await client.request(ApiKey.OffsetFetch, 5, { groupId: group, topics: [{ name: workloadTopic, partitionIndexes: [...partitions] }] }).catch(() => null);
  if (response === null || response.errorCode !== ErrorCode.NONE) return null;
  const offsets: bigint[] = [];
  for (const partition of partitions) {
    const answer = response.topics[0]?.partitions.find((p) => p.partitionIndex === partition);
    if (answer === undefined || answer.errorCode !== ErrorCode.NONE) return null;
    run.history.fetchCommitted({ process: name, group, topic: workloadTopic, partition, offset: answer.committedOffset }, invokeMs, invokeAt, io.clock.nowMs());
    offsets.push(answer.committedOffset);
  }
  return offsets;
}

/**
 * Commits the positions that moved past what this consumer last asked to commit (so the offsets it
 * commits never go down), as a simple commit (generation -1, no member id). Any error leaves the
 * outcome unknown: a commit whose persist failed may still be on disk. Returns the first error code
 * of the answer (NONE when every partition was committed, or nothing moved), null when none came.
 */
export async function commitPositions(
  io: Io,
  run: WorkloadRun<Record<string, number>>,
  name: string,
  client: KafkaWireClient,
  group: string,
  positions: readonly bigint[],
  sent: bigint[],
): Promise<number | null> {
  const moved = positions.map((_, p) => p).filter((p) => positions[p]! > sent[p]!);
  if (moved.length === 0) return ErrorCode.NONE;
  const ops = moved.map((partition) => {
    sent[partition] = positions[partition]!;
    return run.history.commit({ process: name, group, topic: workloadTopic, partition, offset: positions[partition]! }, io.clock.nowMs());
  });
  const response = await client
    .request(ApiKey.OffsetCommit, 7, {
      groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: workloadTopic, partitions: moved.map((p) => ({ partitionIndex: p, committedOffset: positions[p]!, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) }],
    })
    .catch((e: Error) => e.message);
  let first: number | null = typeof response === 'string' ? null : ErrorCode.NONE;
  for (const op of ops) {
    const code = typeof response === 'string' ? null : response.topics[0]?.partitions.find((p) => p.partitionIndex === op.partition)?.errorCode;
    if (first === ErrorCode.NONE && code !== ErrorCode.NONE) first = code ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    const outcome: Outcome<null> =
      code === ErrorCode.NONE ? { type: 'ok', value: null } : { type: 'info', reason: typeof response === 'string' ? response : `error ${code ?? 'missing'}` };
    run.history.complete(op, outcome, io.clock.nowMs());
  }
  return first;
}
