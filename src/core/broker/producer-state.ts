/**
 * Idempotent-producer state of one partition: for each producer id, its epoch and its last few
 * batches' sequence ranges with their offsets, so a retried batch is answered with the offsets it
 * got the first time instead of being stored twice (Kafka's ProducerStateManager, without
 * transactions).
 *
 * Sequence rules (Kafka's ProducerAppendInfo.checkSequence):
 * - an unknown producer (never seen, or its batches are gone) is accepted at any sequence;
 * - an epoch below the known one is INVALID_PRODUCER_EPOCH; a higher epoch must start at sequence 0;
 * - in the same epoch, a batch equal to a retained one (same first and last sequence) is a
 *   duplicate; otherwise its first sequence must follow the last one (wrapping at INT32 max), else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER.
 *
 * Checks happen synchronously, in request order, before the append: an accepted batch is recorded at
 * once as pending (so the next in-flight batch of the same producer checks against it) and is
 * committed with its offsets when the append resolves, or withdrawn when it fails.
 */
import { assert } from '../assert.ts';
import { producerBatchesRetained, producersPerPartitionMax } from '../limits.ts';
import type { AppendResult, RecordBatchHeader } from '../log/index.ts';
import { ErrorCode } from '../protocol/index.ts';

interface BatchMeta {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Settles with the batch's offsets once its append settles. */
  readonly offsets: Promise<AppendResult>;
}

interface ProducerEntry {
  readonly epoch: number;
  readonly batches: BatchMeta[];
  lastWriteMs: number;
}

export type ProducerCheck =
  /** Not an idempotent batch (producer id -1): nothing to track. */
  | { readonly kind: 'untracked' }
  /** Accepted and recorded as pending: call settle() with the batch's offsets, or null if the append failed. */
  | { readonly kind: 'accepted'; settle(result: AppendResult | null): void }
  /** A retry of a batch already stored (or being stored): answer with its offsets. */
  | { readonly kind: 'duplicate'; readonly offsets: Promise<AppendResult> }
  | { readonly kind: 'rejected'; readonly errorCode: number; readonly message: string };

const int32Max = 2 ** 31 - 1;

function batchLastSeq(header: RecordBatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > int32Max ? last - int32Max - 1 : last;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (lastSeq === int32Max && nextSeq === 0);
}

export class PartitionProducers {
  private readonly entries = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.entries.size;
  }

  /** Checks one batch of a produce request and, when accepted, records it as pending. */
  check(header: RecordBatchHeader, nowMs: number): ProducerCheck {
    if (header.producerId < 0n || header.baseSequence < 0) return { kind: 'untracked' };
    const previous = this.entries.get(header.producerId);
    const firstSeq = header.baseSequence;
    const lastSeq = batchLastSeq(header);
    let entry = previous;
    if (previous !== undefined && previous.batches.length > 0) {
      if (header.producerEpoch < previous.epoch) {
        return { kind: 'rejected', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `epoch ${header.producerEpoch} is older than ${previous.epoch}` };
      }
      if (header.producerEpoch > previous.epoch) {
        if (firstSeq !== 0) return { kind: 'rejected', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${header.producerEpoch} must start at sequence 0, got ${firstSeq}` };
        entry = undefined;
      } else {
        const duplicate = previous.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
        if (duplicate !== undefined) return { kind: 'duplicate', offsets: duplicate.offsets };
        const expected = previous.batches[previous.batches.length - 1]!.lastSeq;
        if (!inSequence(expected, firstSeq)) {
          return { kind: 'rejected', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `sequence ${firstSeq} does not follow ${expected}` };
        }
      }
    }
    if (entry === undefined) entry = { epoch: header.producerEpoch, batches: [], lastWriteMs: nowMs };
    return this.accept(header.producerId, previous, entry, firstSeq, lastSeq, nowMs);
  }

  private accept(producerId: bigint, previous: ProducerEntry | undefined, entry: ProducerEntry, firstSeq: number, lastSeq: number, nowMs: number): ProducerCheck {
    let settleOffsets!: (result: AppendResult) => void;
    let failOffsets!: (error: Error) => void;
    const offsets = new Promise<AppendResult>((resolve, reject) => {
      settleOffsets = resolve;
      failOffsets = reject;
    });
    offsets.catch(() => undefined); // a duplicate may never ask
    const meta: BatchMeta = { firstSeq, lastSeq, offsets };
    entry.batches.push(meta);
    if (entry.batches.length > producerBatchesRetained) entry.batches.shift();
    entry.lastWriteMs = nowMs;
    this.entries.delete(producerId);
    this.entries.set(producerId, entry);
    this.evictIfFull();
    return {
      kind: 'accepted',
      settle: (result) => {
        if (result !== null) return settleOffsets(result);
        failOffsets(new Error('the original append failed'));
        this.withdraw(producerId, previous, entry, meta);
      },
    };
  }

  /** A pending batch whose append failed: forget it, restoring the entry it replaced if it was the first of a new epoch. */
  private withdraw(producerId: bigint, previous: ProducerEntry | undefined, entry: ProducerEntry, meta: BatchMeta): void {
    const at = entry.batches.indexOf(meta);
    if (at >= 0) entry.batches.splice(at, 1);
    if (entry.batches.length > 0 || this.entries.get(producerId) !== entry) return;
    if (previous !== undefined && previous !== entry && previous.batches.length > 0) this.entries.set(producerId, previous);
    else this.entries.delete(producerId);
  }

  /** Records a batch found in the log (rebuilding state on start). Batches must come in offset order. */
  load(header: RecordBatchHeader, nowMs: number): void {
    if (header.producerId < 0n || header.baseSequence < 0) return;
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    const offsets = Promise.resolve({ baseOffset: header.baseOffset, lastOffset });
    const current = this.entries.get(header.producerId);
    const entry = current !== undefined && current.epoch === header.producerEpoch ? current : { epoch: header.producerEpoch, batches: [], lastWriteMs: nowMs };
    entry.batches.push({ firstSeq: header.baseSequence, lastSeq: batchLastSeq(header), offsets });
    if (entry.batches.length > producerBatchesRetained) entry.batches.shift();
    this.entries.delete(header.producerId);
    this.entries.set(header.producerId, entry);
    this.evictIfFull();
  }

  /** Beyond producersPerPartitionMax, forgets the producer that wrote longest ago (entries are kept in write order). */
  private evictIfFull(): void {
    while (this.entries.size > producersPerPartitionMax) {
      const oldest = this.entries.keys().next().value;
      assert(oldest !== undefined, 'a full table has an oldest entry');
      this.entries.delete(oldest);
    }
  }
}
