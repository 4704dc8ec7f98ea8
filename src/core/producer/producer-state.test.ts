import { describe, expect, it } from 'vitest';
import { ProducerErrorCode as E } from './error-codes.ts';
import { ProducerStateTable, lastSequenceOf, type AppendedProducerBatch } from './producer-state.ts';

const max = 0x7fff_ffff;

/** A batch of `count` records of producer `pid` at `baseSequence`, placed at `baseOffset`. */
function batch(pid: bigint, epoch: number, baseSequence: number, count: number, baseOffset = 0n): AppendedProducerBatch {
  return {
    producerId: pid,
    producerEpoch: epoch,
    baseSequence,
    lastSequence: lastSequenceOf(baseSequence, count),
    baseOffset,
    lastOffset: baseOffset + BigInt(count - 1),
  };
}

/** check() then, if allowed, recordAppend() at the next offset: what a broker does per batch. */
class Partition {
  readonly table = new ProducerStateTable({ producersMax: 3 });
  endOffset = 0n;
  readonly log: AppendedProducerBatch[] = [];

  produce(pid: bigint, epoch: number, baseSequence: number, count: number) {
    const verdict = this.table.check(batch(pid, epoch, baseSequence, count));
    if (verdict.kind !== 'append') return verdict;
    const appended = batch(pid, epoch, baseSequence, count, this.endOffset);
    this.table.recordAppend(appended);
    this.log.push(appended);
    this.endOffset = appended.lastOffset + 1n;
    return { kind: 'append' as const, baseOffset: appended.baseOffset };
  }
}

describe('ProducerStateTable', () => {
  it('a new producer starts at sequence 0; in-order batches append', () => {
    const p = new Partition();
    expect(p.produce(7n, 0, 0, 3)).toEqual({ kind: 'append', baseOffset: 0n });
    expect(p.produce(7n, 0, 3, 2)).toEqual({ kind: 'append', baseOffset: 3n });
    expect(p.table.snapshot(7n)).toMatchObject({ epoch: 0, lastSequence: 4, lastOffset: 4n });
  });

  it('a retry of one of the last 5 batches is a duplicate answered with its original offsets', () => {
    const p = new Partition();
    for (let i = 0; i < 6; i++) p.produce(7n, 0, i * 2, 2);
    expect(p.produce(7n, 0, 10, 2)).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 11n });
    expect(p.produce(7n, 0, 2, 2)).toEqual({ kind: 'duplicate', baseOffset: 2n, lastOffset: 3n });
    // The first batch fell out of the 5 retained: it can no longer be recognised, and is out of order.
    expect(p.produce(7n, 0, 0, 2)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(p.log).toHaveLength(6);
  });

  it('a gap, an overlap, or a same-start batch of another length is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const p = new Partition();
    p.produce(7n, 0, 0, 3);
    expect(p.produce(7n, 0, 4, 1)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER, reason: 'expected sequence 3, got 4' });
    expect(p.produce(7n, 0, 2, 2)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(p.produce(7n, 0, 0, 2)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(p.produce(7n, 0, -1, 1)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
  });

  it('an unknown producer with a sequence above 0 is UNKNOWN_PRODUCER_ID', () => {
    const p = new Partition();
    expect(p.produce(9n, 0, 5, 1)).toMatchObject({ kind: 'reject', errorCode: E.UNKNOWN_PRODUCER_ID });
  });

  it('an older epoch is fenced; a newer epoch must restart at 0 and resets the batches', () => {
    const p = new Partition();
    p.produce(7n, 1, 0, 2);
    expect(p.produce(7n, 0, 2, 1)).toMatchObject({ kind: 'reject', errorCode: E.INVALID_PRODUCER_EPOCH });
    expect(p.produce(7n, 0, 0, 2)).toMatchObject({ kind: 'reject', errorCode: E.INVALID_PRODUCER_EPOCH });
    expect(p.produce(7n, 2, 2, 1)).toMatchObject({ kind: 'reject', errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(p.produce(7n, 2, 0, 1)).toEqual({ kind: 'append', baseOffset: 2n });
    expect(p.table.snapshot(7n)).toMatchObject({ epoch: 2, lastSequence: 0 });
    expect(p.produce(7n, 1, 0, 2)).toMatchObject({ kind: 'reject', errorCode: E.INVALID_PRODUCER_EPOCH });
  });

  it('sequences wrap from 2^31-1 to 0', () => {
    const p = new Partition();
    p.table.rebuildFromBatch(batch(7n, 0, max - 3, 2, 100n));
    expect(lastSequenceOf(max - 1, 3)).toBe(0);
    expect(p.produce(7n, 0, max - 1, 3)).toMatchObject({ kind: 'append' });
    expect(p.produce(7n, 0, 1, 1)).toMatchObject({ kind: 'append' });
    expect(p.produce(7n, 0, max - 1, 3)).toMatchObject({ kind: 'duplicate' });
  });

  it('non-idempotent batches (producer id -1) are always appended and leave no state', () => {
    const p = new Partition();
    expect(p.produce(-1n, -1, -1, 5)).toMatchObject({ kind: 'append' });
    expect(p.produce(-1n, -1, -1, 5)).toMatchObject({ kind: 'append' });
    expect(p.table.size).toBe(0);
  });

  it('recordAppend of a batch check() would refuse is a programmer error', () => {
    const p = new Partition();
    p.produce(7n, 0, 0, 1);
    expect(() => p.table.recordAppend(batch(7n, 0, 5, 1, 9n))).toThrow(/recordAppend/);
  });

  it('beyond producersMax, the producer written least recently is forgotten', () => {
    const p = new Partition();
    p.produce(1n, 0, 0, 1);
    p.produce(2n, 0, 0, 1);
    p.produce(3n, 0, 0, 1);
    p.produce(1n, 0, 1, 1); // producer 1 is now the most recent
    p.produce(4n, 0, 0, 1);
    expect([1n, 2n, 3n, 4n].map((pid) => p.table.snapshot(pid) !== null)).toEqual([true, false, true, true]);
    expect(p.produce(2n, 0, 1, 1)).toMatchObject({ kind: 'reject', errorCode: E.UNKNOWN_PRODUCER_ID });
  });

  it('truncateBelow forgets producers whose batches retention deleted', () => {
    const p = new Partition();
    p.produce(1n, 0, 0, 5); // offsets 0-4
    p.produce(2n, 0, 0, 5); // offsets 5-9
    p.table.truncateBelow(5n);
    expect(p.table.snapshot(1n)).toBeNull();
    expect(p.table.snapshot(2n)).not.toBeNull();
  });

  it('rebuildFromBatch replays the log into the same answers', () => {
    const p = new Partition();
    for (let i = 0; i < 4; i++) p.produce(7n, 0, i, 1);
    p.produce(8n, 3, 0, 2);
    p.produce(8n, 4, 0, 1);
    const rebuilt = new ProducerStateTable({ producersMax: 3 });
    for (const b of p.log) rebuilt.rebuildFromBatch(b);
    rebuilt.rebuildFromBatch(batch(8n, 3, 1, 1, 99n)); // an older epoch in the log is ignored
    expect(rebuilt.snapshot(7n)).toEqual(p.table.snapshot(7n));
    expect(rebuilt.snapshot(8n)).toEqual(p.table.snapshot(8n));
    expect(rebuilt.check(batch(7n, 0, 2, 1))).toEqual({ kind: 'duplicate', baseOffset: 2n, lastOffset: 2n });
    expect(rebuilt.check(batch(7n, 0, 4, 1))).toEqual({ kind: 'append' });
  });
});
