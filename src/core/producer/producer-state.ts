/**
 * Idempotent-producer state of one partition: for each producer id, its epoch and the sequence and
 * offset ranges of its last few batches (Kafka keeps 5, the client's largest in-flight window), so a
 * retried batch is recognised and answered with the offsets it got the first time.
 *
 * The rules, as Kafka's broker (ProducerStateManager, 1.0 and later) applies them to a batch with
 * producerId >= 0:
 *  - unknown producer: baseSequence 0 starts it; anything else is UNKNOWN_PRODUCER_ID (59), which
 *    tells the client its state is gone (e.g. evicted) and it must reset its sequences;
 *  - producerEpoch below the known one: INVALID_PRODUCER_EPOCH (47), the writer is fenced;
 *  - producerEpoch above it: baseSequence must be 0 (a new epoch restarts sequences), else
 *    OUT_OF_ORDER_SEQUENCE_NUMBER (45);
 *  - same epoch, the exact sequence range of one of the retained batches: a duplicate. Kafka answers
 *    it NONE with the original base offset and does not append it again; so do we. (Kafka brokers
 *    before 1.0 answered DUPLICATE_SEQUENCE_NUMBER (46); clients treat 46 as a failure or a success
 *    without offsets, so it is never sent.)
 *  - same epoch, baseSequence == last sequence + 1 (wrapping after 2^31-1 to 0): in order, append;
 *  - anything else (a gap, an overlap, a duplicate older than the retained window): 45.
 * Batches with producerId -1 are not idempotent and are always appended.
 *
 * check() decides, recordAppend() remembers a batch once the log gave it offsets. The two must run
 * as one step per partition (no other append of the same partition may come between them), or a
 * second copy of a batch could pass check() while the first is still being appended.
 *
 * The table is rebuilt after a restart by replaying every stored batch header through
 * rebuildFromBatch(), oldest first; it then answers exactly as it did before the restart for every
 * producer whose batches are still in the log.
 */
import { assert, assertionFailed } from '../assert.ts';
import { producerBatchesRetained, producersPerPartitionMax } from '../limits.ts';
import { ProducerErrorCode } from './error-codes.ts';

const sequenceMax = 0x7fff_ffff;

/** The producer fields of a record batch header. lastSequence = baseSequence + lastOffsetDelta, wrapped. */
export interface ProducerBatchHeader {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastSequence: number;
}

/** A batch header with the offsets the log assigned to it. */
export interface AppendedProducerBatch extends ProducerBatchHeader {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
}

export type SequenceCheck =
  /** Append the batch, then call recordAppend() with its offsets. */
  | { readonly kind: 'append' }
  /** A retry of a batch already in the log: answer NONE with these offsets; do not append. */
  | { readonly kind: 'duplicate'; readonly baseOffset: bigint; readonly lastOffset: bigint }
  /** Refuse the batch with this error code. */
  | { readonly kind: 'reject'; readonly errorCode: ProducerErrorCode; readonly reason: string };

interface RetainedBatch extends SequenceRange {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  /** Oldest first; at most batchesRetained; never empty. */
  batches: RetainedBatch[];
}

export interface ProducerStateOptions {
  readonly producersMax?: number;
  readonly batchesRetained?: number;
}

/** A read-only view of one producer's state, for tests and DescribeProducers-style tooling. */
export interface ProducerSnapshot {
  readonly producerId: bigint;
  readonly epoch: number;
  readonly lastSequence: number;
  readonly lastOffset: bigint;
  readonly batches: readonly RetainedBatch[];
}

export class ProducerStateTable {
  /** In order of last write: the first entry is the one to forget when the table is full. */
  private readonly producers = new Map<bigint, ProducerEntry>();
  private readonly producersMax: number;
  private readonly batchesRetained: number;

  constructor(options: ProducerStateOptions = {}) {
    this.producersMax = options.producersMax ?? producersPerPartitionMax;
    this.batchesRetained = options.batchesRetained ?? producerBatchesRetained;
    assert(this.producersMax >= 1 && this.batchesRetained >= 1, 'producer state limits are positive');
  }

  get size(): number {
    return this.producers.size;
  }

  check(batch: ProducerBatchHeader): SequenceCheck {
    if (batch.producerId < 0n) return { kind: 'append' };
    const verdict = checkSequence(this.producers.get(batch.producerId) ?? null, batch);
    if (verdict.kind !== 'duplicate') return verdict;
    return { kind: 'duplicate', baseOffset: verdict.of.baseOffset, lastOffset: verdict.of.lastOffset };
  }

  /** Remembers a batch check() allowed, with the offsets the log gave it. */
  recordAppend(batch: AppendedProducerBatch): void {
    if (batch.producerId < 0n) return;
    const verdict = this.check(batch);
    if (verdict.kind !== 'append') assertionFailed(`recordAppend of a batch check() did not allow (${verdict.kind})`);
    this.remember(batch);
  }

  /**
   * Replays a batch header from the log during recovery (oldest first). The log is the truth, so no
   * checks: a batch from a newer epoch resets the producer, one from an older epoch is ignored.
   */
  rebuildFromBatch(batch: AppendedProducerBatch): void {
    if (batch.producerId < 0n) return;
    const entry = this.producers.get(batch.producerId);
    if (entry !== undefined && batch.producerEpoch < entry.epoch) return;
    this.remember(batch);
  }

  /** Forgets producers whose every retained batch lies below `logStartOffset` (retention deleted them). */
  truncateBelow(logStartOffset: bigint): void {
    for (const [producerId, entry] of [...this.producers]) {
      if (entry.batches[entry.batches.length - 1]!.lastOffset < logStartOffset) this.producers.delete(producerId);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  /** Every producer the table remembers, least recently written first. */
  snapshots(): ProducerSnapshot[] {
    return [...this.producers.keys()].map((producerId) => this.snapshot(producerId) as ProducerSnapshot);
  }

  snapshot(producerId: bigint): ProducerSnapshot | null {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return null;
    const last = entry.batches[entry.batches.length - 1]!;
    return { producerId, epoch: entry.epoch, lastSequence: last.lastSequence, lastOffset: last.lastOffset, batches: [...entry.batches] };
  }

  private remember(batch: AppendedProducerBatch): void {
    assert(batch.lastOffset >= batch.baseOffset, 'batch offsets ascend');
    const retained: RetainedBatch = {
      baseSequence: batch.baseSequence,
      lastSequence: batch.lastSequence,
      baseOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
    };
    const entry = this.producers.get(batch.producerId);
    this.producers.delete(batch.producerId); // re-inserted last: most recently written
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      this.producers.set(batch.producerId, { epoch: batch.producerEpoch, batches: [retained] });
    } else {
      entry.batches.push(retained);
      if (entry.batches.length > this.batchesRetained) entry.batches.shift();
      this.producers.set(batch.producerId, entry);
    }
    if (this.producers.size > this.producersMax) {
      const oldest = this.producers.keys().next().value;
      if (oldest !== undefined) this.producers.delete(oldest);
    }
  }
}

/** A batch's sequence range: what the rules compare. */
export interface SequenceRange {
  readonly baseSequence: number;
  readonly lastSequence: number;
}

/** What the rules know of one producer: its epoch and its last batches of that epoch, oldest first (never empty). */
export interface KnownProducer<B extends SequenceRange> {
  readonly epoch: number;
  readonly batches: readonly B[];
}

export type SequenceVerdict<B extends SequenceRange> =
  | { readonly kind: 'append' }
  /** A retry of `of`, one of the known batches. */
  | { readonly kind: 'duplicate'; readonly of: B }
  | { readonly kind: 'reject'; readonly errorCode: ProducerErrorCode; readonly reason: string };

/**
 * Kafka's sequence rules (the list at the top of this file) for an idempotent batch (producerId >= 0)
 * from a producer in state `known` (null: never seen). The one copy of the rules: ProducerStateTable
 * applies them to what the log holds, PartitionProducers to batches still being appended.
 */
export function checkSequence<B extends SequenceRange>(known: KnownProducer<B> | null, batch: ProducerBatchHeader): SequenceVerdict<B> {
  assert(batch.producerId >= 0n, 'sequence rules apply to idempotent batches');
  if (!validSequences(batch)) return reject(ProducerErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'invalid sequence numbers');
  if (known === null) {
    if (batch.baseSequence === 0) return { kind: 'append' };
    return reject(ProducerErrorCode.UNKNOWN_PRODUCER_ID, `no state for producer ${batch.producerId}`);
  }
  if (batch.producerEpoch < known.epoch) {
    return reject(ProducerErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${batch.producerEpoch} < ${known.epoch}`);
  }
  if (batch.producerEpoch > known.epoch) {
    if (batch.baseSequence === 0) return { kind: 'append' };
    return reject(ProducerErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `new epoch must start at sequence 0`);
  }
  const duplicate = known.batches.find((b) => b.baseSequence === batch.baseSequence && b.lastSequence === batch.lastSequence);
  if (duplicate !== undefined) return { kind: 'duplicate', of: duplicate };
  const last = known.batches[known.batches.length - 1]!.lastSequence;
  if (inSequence(last, batch.baseSequence)) return { kind: 'append' };
  return reject(ProducerErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `expected sequence ${nextSequence(last)}, got ${batch.baseSequence}`);
}

function reject(errorCode: ProducerErrorCode, reason: string): { readonly kind: 'reject'; readonly errorCode: ProducerErrorCode; readonly reason: string } {
  return { kind: 'reject', errorCode, reason };
}

function validSequences(batch: ProducerBatchHeader): boolean {
  const ok = (s: number) => Number.isInteger(s) && s >= 0 && s <= sequenceMax;
  return ok(batch.baseSequence) && ok(batch.lastSequence);
}

function nextSequence(sequence: number): number {
  return sequence === sequenceMax ? 0 : sequence + 1;
}

function inSequence(last: number, next: number): boolean {
  return next === nextSequence(last);
}

/** The last sequence of a batch of `recordCount` records starting at `baseSequence` (Kafka wraps at 2^31-1). */
export function lastSequenceOf(baseSequence: number, recordCount: number): number {
  assert(recordCount >= 1, 'a batch holds at least one record');
  return (baseSequence + recordCount - 1) % (sequenceMax + 1);
}
