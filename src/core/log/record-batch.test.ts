import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchHeaderBytes,
  checkBatch,
  decodeRecords,
  encodeRecordBatch,
  headersOfCheckedBatches,
  readBatchHeader,
  recordTimestamps,
  splitBatches,
  stampLogAppendTime,
  writeBaseOffset,
  writePartitionLeaderEpoch,
} from './record-batch.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('record batches (magic 2)', () => {
  const batch = encodeRecordBatch({
    records: [
      { key: enc('k0'), value: enc('v0'), timestampDelta: 0 },
      { key: null, value: enc('v1'), timestampDelta: 7, headers: [{ key: 'h', value: enc('x') }] },
      { key: enc('k2'), value: null, timestampDelta: 3 },
    ],
    baseTimestamp: 1_700_000_000_000n,
    producerId: 42n,
    producerEpoch: 3,
    baseSequence: 17,
  });

  it('writes and parses every header field', () => {
    const h = readBatchHeader(batch);
    expect(h.baseOffset).toBe(0n);
    expect(h.batchLength).toBe(batch.length - 12);
    expect(h.magic).toBe(2);
    expect(h.lastOffsetDelta).toBe(2);
    expect(h.recordCount).toBe(3);
    expect(h.baseTimestamp).toBe(1_700_000_000_000n);
    expect(h.maxTimestamp).toBe(1_700_000_000_007n);
    expect(h.producerId).toBe(42n);
    expect(h.producerEpoch).toBe(3);
    expect(h.baseSequence).toBe(17);
    expect(h.partitionLeaderEpoch).toBe(-1);
    expect(checkBatch(batch, 0, 1 << 20)).toEqual({ ok: true, size: batch.length });
  });

  it('keeps the CRC valid when baseOffset and partitionLeaderEpoch are rewritten', () => {
    const copy = batch.slice();
    writeBaseOffset(copy, 0, 123_456_789_012n);
    writePartitionLeaderEpoch(copy, 0, 9);
    expect(readBatchHeader(copy).baseOffset).toBe(123_456_789_012n);
    expect(readBatchHeader(copy).partitionLeaderEpoch).toBe(9);
    expect(checkBatch(copy, 0, 1 << 20).ok).toBe(true);
  });

  it('stamps log-append time: attribute bit 3 and the max timestamp set, CRC recomputed, records untouched', () => {
    const copy = batch.slice();
    stampLogAppendTime(copy, 0, copy.length, 1_800_000_000_000n);
    const h = readBatchHeader(copy);
    expect(h.attributes & 0x08).toBe(0x08);
    expect(h.attributes & 0x07).toBe(readBatchHeader(batch).attributes & 0x07);
    expect(h.maxTimestamp).toBe(1_800_000_000_000n);
    expect(h.baseTimestamp).toBe(1_700_000_000_000n);
    expect(checkBatch(copy, 0, 1 << 20).ok).toBe(true);
    expect(copy.subarray(61)).toEqual(batch.subarray(61));
  });

  it('detects a flipped bit anywhere the CRC covers', () => {
    for (let position = 21; position < batch.length; position++) {
      const copy = batch.slice();
      copy[position]! ^= 0x10;
      const check = checkBatch(copy, 0, 1 << 20);
      expect(check.ok, `flip at ${position}`).toBe(false);
    }
  });

  it('reports short, oversized and wrong-magic batches', () => {
    expect(checkBatch(batch.subarray(0, 30), 0, 1 << 20)).toMatchObject({ ok: false, problem: { kind: 'short-header' } });
    expect(checkBatch(batch.subarray(0, batch.length - 1), 0, 1 << 20)).toMatchObject({ ok: false, problem: { kind: 'short-body' } });
    expect(checkBatch(batch, 0, 64)).toMatchObject({ ok: false, problem: { kind: 'bad-length' } });
    const v1 = batch.slice();
    v1[16] = 1;
    expect(checkBatch(v1, 0, 1 << 20)).toMatchObject({ ok: false, problem: { kind: 'bad-magic', magic: 1 } });
  });

  it('splits concatenated batches and points at the first bad one', () => {
    const two = new Uint8Array(batch.length * 2);
    two.set(batch, 0);
    two.set(batch, batch.length);
    const split = splitBatches(two, 1 << 20);
    expect(split.ok && split.spans.map((s) => s.position)).toEqual([0, batch.length]);
    two[batch.length + batchHeaderBytes + 2]! ^= 1;
    const bad = splitBatches(two, 1 << 20);
    expect(bad).toMatchObject({ ok: false, position: batch.length, problem: { kind: 'bad-crc' } });
  });

  it('reads the headers of checked batches without their CRC, and stops at a header that does not fit', () => {
    const three = new Uint8Array(batch.length * 3);
    for (let k = 0; k < 3; k++) three.set(batch, k * batch.length);
    writeBaseOffset(three, batch.length, 7n);
    expect(headersOfCheckedBatches(three).map((h) => h.baseOffset)).toEqual([readBatchHeader(batch).baseOffset, 7n, readBatchHeader(batch).baseOffset]);
    expect(headersOfCheckedBatches(three.subarray(0, 3 * batch.length - 1))).toHaveLength(2);
    expect(headersOfCheckedBatches(three.subarray(0, batch.length + batchHeaderBytes - 1))).toHaveLength(1);
  });

  it('round-trips any records: lengths past one varint byte, timestamp deltas past int32, headers past the size estimate', () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 600 }), { nil: null });
    const record = fc.record({
      key: bytes,
      value: bytes,
      timestampDelta: fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(fc.uint8Array({ maxLength: 3000 }), { nil: null }) }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
        const encoded = encodeRecordBatch({ records, baseTimestamp: 1_700_000_000_000n });
        expect(checkBatch(encoded, 0, 1 << 24)).toEqual({ ok: true, size: encoded.length });
        const decoded = decodeRecords(encoded, 0);
        expect(decoded.map((r) => [r.key, r.value, r.timestampMs])).toEqual(records.map((r) => [r.key, r.value, 1_700_000_000_000n + BigInt(r.timestampDelta)]));
      }),
      { numRuns: 200 },
    );
  });

  it('reads record offsets and timestamps', () => {
    const copy = batch.slice();
    writeBaseOffset(copy, 0, 100n);
    expect(recordTimestamps(copy, 0)).toEqual([
      { offset: 100n, timestampMs: 1_700_000_000_000n },
      { offset: 101n, timestampMs: 1_700_000_000_007n },
      { offset: 102n, timestampMs: 1_700_000_000_003n },
    ]);
  });
});
