import { describe, expect, it } from 'vitest';
import { recordBatch } from '../log/index.ts';
import { ErrorCode } from '../protocol/index.ts';
import { makeBatch } from '../../testing/broker-harness.ts';
import { PartitionProducers, type ProducerCheck } from './producer-state.ts';

const header = (baseSequence: number, records = 1, producerEpoch = 0, producerId = 7n) =>
  recordBatch.readBatchHeader(makeBatch(records, 'x', { producerId, producerEpoch, baseSequence }), 0);

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
    expect(p.check(header(9)).kind).toBe('rejected');
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
    expect(p.check(header(1, 1, 2))).toMatchObject({ kind: 'rejected', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    expect(p.check(header(5, 1, 4))).toMatchObject({ kind: 'rejected', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    accepted(p.check(header(0, 1, 4)));
    pending.settle({ baseOffset: 0n, lastOffset: 0n });
    expect(p.check(header(3, 1, 9, 8n))).toMatchObject({ kind: 'rejected', errorCode: ErrorCode.UNKNOWN_PRODUCER_ID });
    expect(p.check(header(0, 1, 0, -1n)).kind).toBe('untracked');
  });
});
