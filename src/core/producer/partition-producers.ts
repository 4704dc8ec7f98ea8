/**
 * Idempotent-producer checks for one partition, pipelined. The rules and the settled state are
 * src/core/producer's ProducerStateTable (Kafka's: duplicates of the last 5 batches answered with
 * their first offsets, gaps OUT_OF_ORDER, older epochs fenced, unknown producers must start at 0).
 *
 * That table wants check() and recordAppend() of one batch to be one step, with no other append of
 * the producer in between; done literally, a producer's in-flight batches (clients keep up to 5)
 * would each wait for the previous one's fsync. This layer keeps the batches that were accepted but
 * whose append has not settled yet, per producer, in append order:
 * - a producer with nothing pending is checked against the table alone;
 * - otherwise a batch is checked against its pending batches by the same rules (checkSequence, as
 *   if they were the producer's retained batches: epoch of the last one, duplicates among those of
 *   that epoch), and a retry of a pending batch waits for its offsets;
 * - when an append settles, its batch leaves the pending list and, if it succeeded and the table
 *   still agrees it comes next, is recorded in the table with its offsets. A failed append is simply
 *   dropped; later pending batches of that producer then no longer follow and are not recorded, so
 *   the producer's next batch is judged against what is really in the log.
 * Checks run synchronously when the request is read, in request order; a producer's appends to one
 * partition settle in the order they were made (one log, FIFO).
 */
import { unreachable } from '../assert.ts';
import type { AppendResult, RecordBatchHeader } from '../log/index.ts';
import { ProducerStateTable, checkSequence, lastSequenceOf, type ProducerBatchHeader } from './producer-state.ts';

export type ProducerCheck =
  /** Not an idempotent batch (producer id -1): nothing to track. */
  | { readonly kind: 'untracked' }
  /** Accepted and pending: call settle() with the batch's offsets, or null if the append failed. */
  | { readonly kind: 'accepted'; settle(result: AppendResult | null): void }
  /** A retry of a batch already stored (or being stored): answer with its offsets. */
  | { readonly kind: 'duplicate'; readonly offsets: Promise<AppendResult> }
  | { readonly kind: 'rejected'; readonly errorCode: number; readonly message: string };

interface PendingBatch extends ProducerBatchHeader {
  readonly offsets: Promise<AppendResult>;
}

export class PartitionProducers {
  readonly table = new ProducerStateTable();
  private readonly pending = new Map<bigint, PendingBatch[]>();

  /** Producers with batches whose append has not settled. */
  get pendingProducers(): number {
    return this.pending.size;
  }

  /** Checks one batch of a produce request and, when accepted, records it as pending. */
  check(header: RecordBatchHeader): ProducerCheck {
    if (header.producerId < 0n) return { kind: 'untracked' };
    const batch: ProducerBatchHeader = {
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      lastSequence: header.baseSequence < 0 ? -1 : lastSequenceOf(header.baseSequence, header.lastOffsetDelta + 1),
    };
    const verdict = this.table.check(batch);
    if (verdict.kind === 'duplicate') return { kind: 'duplicate', offsets: Promise.resolve({ baseOffset: verdict.baseOffset, lastOffset: verdict.lastOffset }) };
    const queue = this.pending.get(batch.producerId);
    if (queue === undefined) {
      if (verdict.kind === 'reject') return { kind: 'rejected', errorCode: verdict.errorCode, message: verdict.reason };
      return this.accept(batch);
    }
    return this.checkAgainstPending(batch, queue);
  }

  private checkAgainstPending(batch: ProducerBatchHeader, queue: readonly PendingBatch[]): ProducerCheck {
    const epoch = queue[queue.length - 1]!.producerEpoch;
    const verdict = checkSequence({ epoch, batches: queue.filter((p) => p.producerEpoch === epoch) }, batch);
    switch (verdict.kind) {
      case 'append':
        return this.accept(batch);
      case 'duplicate':
        return { kind: 'duplicate', offsets: verdict.of.offsets };
      case 'reject':
        return { kind: 'rejected', errorCode: verdict.errorCode, message: verdict.reason };
      default:
        return unreachable(verdict);
    }
  }

  private accept(batch: ProducerBatchHeader): ProducerCheck {
    let resolveOffsets!: (result: AppendResult) => void;
    let rejectOffsets!: (error: Error) => void;
    const offsets = new Promise<AppendResult>((resolve, reject) => {
      resolveOffsets = resolve;
      rejectOffsets = reject;
    });
    offsets.catch(() => undefined); // only a retry of this batch ever awaits it
    const entry: PendingBatch = Object.assign({}, batch, { offsets });
    const queue = this.pending.get(batch.producerId) ?? [];
    queue.push(entry);
    this.pending.set(batch.producerId, queue);
    return {
      kind: 'accepted',
      settle: (result) => {
        this.unqueue(batch.producerId, entry);
        if (result === null) return rejectOffsets(new Error('the first attempt of this batch failed'));
        if (this.table.check(batch).kind === 'append') this.table.recordAppend(Object.assign({}, batch, result));
        resolveOffsets(result);
      },
    };
  }

  private unqueue(producerId: bigint, entry: PendingBatch): void {
    const queue = this.pending.get(producerId);
    if (queue === undefined) return;
    const at = queue.indexOf(entry);
    if (at >= 0) queue.splice(at, 1);
    if (queue.length === 0) this.pending.delete(producerId);
  }

  /** Replays a stored batch (rebuilding state on start, oldest first). */
  load(header: RecordBatchHeader): void {
    if (header.producerId < 0n || header.baseSequence < 0) return;
    const lastSequence = lastSequenceOf(header.baseSequence, header.lastOffsetDelta + 1);
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    this.table.rebuildFromBatch({ producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, lastSequence, baseOffset: header.baseOffset, lastOffset });
  }
}
