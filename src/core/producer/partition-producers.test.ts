/**
 * PartitionProducers: the pipelining over ProducerStateTable. The sequence rules themselves are
 * pinned in producer-state.test.ts (and producer-state.prop.test.ts); these tests pin what the
 * pending window adds: several batches of one producer in flight, retries of a pending batch,
 * failed appends, and the same rules applied to pending batches as to settled ones.
 */
import { describe, expect, it } from 'vitest';
import type { RecordBatchHeader } from '../log/index.ts';
import { ProducerErrorCode as E } from './error-codes.ts';
import { PartitionProducers, type ProducerCheck } from './partition-producers.ts';

/** The batch header fields PartitionProducers reads; the rest are placeholders. */
const header = (baseSequence: number, records = 1, producerEpoch = 0, producerId = 7n, baseOffset = 0n): RecordBatchHeader => ({
  baseOffset,
  batchLength: 0,
  partitionLeaderEpoch: 0,
  magic: 2,
  crc: 0,
  attributes: 0,
  lastOffsetDelta: records - 1,
  baseTimestamp: 0n,
  maxTimestamp: 0n,
  producerId,
  producerEpoch,
  baseSequence,
  recordCount: records,
});

function accepted(check: ProducerCheck): Extract<ProducerCheck, { kind: 'accepted' }> {
  expect(check.kind).toBe('accepted');
  return check as Extract<ProducerCheck, { kind: 'accepted' }>;
}

describe('PartitionProducers (pipelined idempotence)', () => {
  it('accepts a window of in-flight batches, answers a retry of a pending one with its offsets, and records them in order', async () => {
    const p = new PartitionProducers();
    const a = accepted(p.check(header(0, 2)));
    const b = accepted(p.check(header(2, 3)));
    const retryOfB = p.check(header(2, 3));
    expect(retryOfB.kind).toBe('duplicate');
    expect(p.check(header(9))).toMatchObject({ kind: 'rejected', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER, message: 'expected sequence 5, got 9' });
    a.settle({ baseOffset: 0n, lastOffset: 1n });
    b.settle({ baseOffset: 2n, lastOffset: 4n });
    expect(await (retryOfB as Extract<ProducerCheck, { kind: 'duplicate' }>).offsets).toEqual({ baseOffset: 2n, lastOffset: 4n });
    expect(p.table.snapshot(7n)).toMatchObject({ lastSequence: 4, lastOffset: 4n });
    expect(p.pendingProducers).toBe(0);
    const again = p.check(header(0, 2));
    expect(again.kind).toBe('duplicate');
  });

  it('drops a batch whose append failed, so the retry is accepted', () => {
    const p = new PartitionProducers();
    accepted(p.check(header(0))).settle({ baseOffset: 0n, lastOffset: 0n });
    const failed = accepted(p.check(header(1)));
    failed.settle(null);
    accepted(p.check(header(1))).settle({ baseOffset: 1n, lastOffset: 1n });
    expect(p.table.snapshot(7n)?.lastSequence).toBe(1);
  });

  it('fences an older epoch and requires a new epoch to start at 0, pending or not', () => {
    const p = new PartitionProducers();
    const pending = accepted(p.check(header(0, 1, 3)));
    expect(p.check(header(1, 1, 2))).toMatchObject({ kind: 'rejected', errorCode: E.INVALID_PRODUCER_EPOCH });
    expect(p.check(header(5, 1, 4))).toMatchObject({ kind: 'rejected', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    accepted(p.check(header(0, 1, 4)));
    pending.settle({ baseOffset: 0n, lastOffset: 0n });
    expect(p.check(header(3, 1, 9, 8n))).toMatchObject({ kind: 'rejected', errorCode: E.UNKNOWN_PRODUCER_ID });
    expect(p.check(header(0, 1, 0, -1n)).kind).toBe('untracked');
  });

  it('a retry of a pending batch from an epoch the producer has since left is fenced, as it is once settled', () => {
    const p = new PartitionProducers();
    const old = accepted(p.check(header(0, 1, 0)));
    const bumped = accepted(p.check(header(0, 1, 1)));
    expect(p.check(header(0, 1, 0))).toMatchObject({ kind: 'rejected', errorCode: E.INVALID_PRODUCER_EPOCH });
    old.settle({ baseOffset: 0n, lastOffset: 0n });
    bumped.settle({ baseOffset: 1n, lastOffset: 1n });
    expect(p.check(header(0, 1, 0))).toMatchObject({ kind: 'rejected', errorCode: E.INVALID_PRODUCER_EPOCH });
  });

  it('load() replays stored batches so a retry after a restart is a duplicate with its offsets', () => {
    const p = new PartitionProducers();
    p.load(header(0, 3, 0, 7n, 10n));
    expect(p.check(header(0, 3))).toMatchObject({ kind: 'duplicate' });
    accepted(p.check(header(3)));
  });
});
