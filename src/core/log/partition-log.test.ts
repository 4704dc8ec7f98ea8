import { describe, expect, it } from 'vitest';
import { joinPath } from '../io/index.ts';
import { CorruptRecordError, LogError, OffsetOutOfRangeError } from './errors.ts';
import { batchHeaderBytes, readBatchHeader, splitBatches, writeBaseOffset } from './record-batch.ts';
import { segmentFileName } from './segment.ts';
import { LogHarness, concatBytes, hex, smallConfig, testBatch, testLogDir, withoutBaseOffset } from '../../testing/log-harness.ts';
import type { PartitionLog, PartitionLogOptions } from './partition-log.ts';

function batchesOf(bytes: Uint8Array) {
  const split = splitBatches(bytes, 1 << 20);
  if (!split.ok) throw new Error(`bad read: ${JSON.stringify(split.problem)}`);
  return split.spans.map((s) => ({ ...s, bytes: bytes.subarray(s.position, s.position + s.size) }));
}

async function appendMany(h: LogHarness, log: PartitionLog, count: number, tag = 'b', records = 1, valueBytes = 40) {
  const results = [];
  for (let i = 0; i < count; i++) results.push(await h.run(log.append(testBatch(`${tag}${i}`, records, valueBytes))));
  return results;
}

/**
 * A log in one large segment holding `count` batches of one 40-byte record each (`tag`0, `tag`1, ...),
 * with the config to reopen it, each batch's size, and its segment file to damage.
 */
async function oneSegmentOf(h: LogHarness, count: number, tag: string) {
  const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
  const { log } = await h.open(config);
  await appendMany(h, log, count, tag, 1, 40);
  const size = testBatch(`${tag}0`, 1, 40).length;
  const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
  return { config, size, file };
}

async function errorOf(h: LogHarness, promise: Promise<unknown>): Promise<unknown> {
  return h.run(promise.then(() => null, (error: unknown) => error));
}

describe('PartitionLog: append and read', () => {
  it('assigns dense offsets and reads back the same bytes with the new baseOffset', async () => {
    const h = new LogHarness(1);
    const { log, recovery } = await h.open();
    expect(recovery).toMatchObject({ segmentCount: 1, truncatedBytes: 0, logStartOffset: 0n, logEndOffset: 0n });
    const sent = [testBatch('a', 3), testBatch('b', 1), testBatch('c', 5)];
    const originals = sent.map((b) => b.slice()); // append stamps offsets into the buffers it is given
    const results = [];
    for (const batch of sent) results.push(await h.run(log.append(batch)));
    expect(results).toEqual([
      { baseOffset: 0n, lastOffset: 2n },
      { baseOffset: 3n, lastOffset: 3n },
      { baseOffset: 4n, lastOffset: 8n },
    ]);
    expect(log.logEndOffset).toBe(9n);
    expect(log.durableEndOffset).toBe(9n);
    const all = batchesOf(await h.run(log.read(0n, 1 << 20)));
    expect(all.map((b) => b.header.baseOffset)).toEqual([0n, 3n, 4n]);
    all.forEach((b, i) => expect(hex(withoutBaseOffset(b.bytes))).toBe(hex(originals[i]!)));
    // A read from the middle of a batch starts at that batch.
    expect(batchesOf(await h.run(log.read(6n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([4n]);
    expect((await h.run(log.read(9n, 1000))).length).toBe(0);
  });

  it('returns whole batches within maxBytes, but always at least one', async () => {
    const h = new LogHarness(2);
    const { log } = await h.open();
    await appendMany(h, log, 5, 'x', 1, 100);
    const size = testBatch('x0', 1, 100).length;
    expect(batchesOf(await h.run(log.read(0n, 1))).length).toBe(1);
    expect(batchesOf(await h.run(log.read(0n, size * 2 + 5))).length).toBe(2);
    expect(batchesOf(await h.run(log.read(1n, size * 10))).length).toBe(4);
    expect((await h.run(log.read(0n, 1 << 20, 2n))).length).toBe(size * 2); // offset limit
  });

  it('rejects reads outside [logStartOffset, logEndOffset] with OffsetOutOfRange', async () => {
    const h = new LogHarness(3);
    const { log } = await h.open();
    await appendMany(h, log, 2);
    const error = await errorOf(h, log.read(3n, 100));
    expect(error).toBeInstanceOf(OffsetOutOfRangeError);
    expect((error as LogError).kafkaErrorCode).toBe(1);
    expect(await errorOf(h, log.read(-1n, 100))).toBeInstanceOf(OffsetOutOfRangeError);
  });

  it('rejects malformed input with INVALID_RECORD and changes nothing', async () => {
    const h = new LogHarness(4);
    const { log } = await h.open();
    const bad = testBatch('a', 2);
    bad[bad.length - 1]! ^= 1;
    expect(await errorOf(h, log.append(bad))).toMatchObject({ code: 'INVALID_RECORD' });
    expect(await errorOf(h, log.append(new Uint8Array(10)))).toMatchObject({ code: 'INVALID_RECORD' });
    expect(await errorOf(h, log.append(concatBytes([testBatch('ok'), new Uint8Array(5)])))).toMatchObject({ code: 'INVALID_RECORD' });
    expect(log.logEndOffset).toBe(0n);
    expect(await h.run(log.append(testBatch('ok')))).toEqual({ baseOffset: 0n, lastOffset: 0n });
  });

  it('rolls segments by size, indexes them, and reads every offset across segments', async () => {
    const h = new LogHarness(5);
    const { log } = await h.open();
    await appendMany(h, log, 60, 'r', 2, 60); // ~ 60 * 150 bytes over 4 KiB segments
    expect(log.segmentCount).toBeGreaterThan(2);
    for (let offset = 0n; offset < 120n; offset++) {
      const [first] = batchesOf(await h.run(log.read(offset, 1)));
      expect(first!.header.baseOffset).toBe(offset - (offset % 2n));
    }
    const names = await h.run(h.io.disk.list(testLogDir));
    expect(names).toContain(segmentFileName(0n, 'index'));
    expect(names).toContain(segmentFileName(0n, 'timeindex'));
  });

  it('rolls a segment by age', async () => {
    const h = new LogHarness(6);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20, segmentAgeMsMax: 1000 });
    const now = BigInt(h.io.clock.wallClockMs());
    await h.run(log.append(testBatch('old', 1, 10, now)));
    await h.advance(1500);
    await h.run(log.append(testBatch('new', 1, 10, now + 1500n)));
    expect(log.segmentCount).toBe(2);
  });

  it('rolls a segment by age on the monotonic clock, whatever the wall clock does (the planted segmentAgeByWallClock does not)', async () => {
    const rolls = async (bugs: PartitionLogOptions['bugs']): Promise<number> => {
      const h = new LogHarness(61);
      const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20, segmentAgeMsMax: 1000 }, { bugs });
      const now = BigInt(h.io.clock.wallClockMs());
      await h.run(log.append(testBatch('old', 1, 10, now)));
      h.node.clock.faults.jump(-3_600_000); // an NTP step back by an hour
      await h.advance(1500);
      await h.run(log.append(testBatch('new', 1, 10, now + 1500n)));
      const afterBackwardJump = log.segmentCount;
      h.node.clock.faults.jump(7_200_000); // and forward by two: no extra roll
      await h.run(log.append(testBatch('newer', 1, 10, now + 1500n)));
      expect(log.segmentCount).toBe(2);
      return afterBackwardJump;
    };
    expect(await rolls(undefined)).toBe(2);
    const held = async (): Promise<number> => {
      const h = new LogHarness(62);
      const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20, segmentAgeMsMax: 1000 }, { bugs: { segmentAgeByWallClock: true } });
      await h.run(log.append(testBatch('old', 1, 10, 0n)));
      h.node.clock.faults.jump(-3_600_000);
      await h.advance(1500);
      await h.run(log.append(testBatch('new', 1, 10, 0n)));
      return log.segmentCount;
    };
    expect(await held()).toBe(1); // the wall clock says the segment is an hour younger than it is
  });

  it('finds offsets by timestamp', async () => {
    const h = new LogHarness(7);
    const { log } = await h.open();
    for (let i = 0; i < 40; i++) await h.run(log.append(testBatch(`t${i}`, 3, 50, BigInt(10_000 + i * 100))));
    // batch i holds offsets 3i..3i+2 with timestamps 10000+100i + {0,1,2}
    expect(await h.run(log.offsetForTimestamp(0n))).toBe(0n);
    expect(await h.run(log.offsetForTimestamp(10_000n + 2000n))).toBe(60n);
    expect(await h.run(log.offsetForTimestamp(10_000n + 2001n))).toBe(61n);
    expect(await h.run(log.offsetForTimestamp(10_000n + 2003n))).toBe(63n);
    expect(await h.run(log.offsetForTimestamp(99_999n))).toBe(null);
  });
});

describe('PartitionLog: group commit and flush policy', () => {
  it('shares one fsync among concurrent appends', async () => {
    const h = new LogHarness(8);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    const before = h.syncCount;
    const results = await h.run(Promise.all(Array.from({ length: 50 }, (_, i) => log.append(testBatch(`g${i}`)))));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i)));
    expect(h.syncCount - before).toBeLessThanOrEqual(3);
  });

  it('interval mode acknowledges only after the timed fsync', async () => {
    const h = new LogHarness(9);
    const { log } = await h.open({ ...smallConfig, flush: { mode: 'interval', intervalMs: 200, bytesMax: 1 << 20 } });
    let done = false;
    const pending = log.append(testBatch('i')).then(() => (done = true));
    await h.advance(100);
    expect(done).toBe(false);
    expect(log.logEndOffset).toBe(1n);
    expect(log.durableEndOffset).toBe(0n);
    await h.advance(150);
    await h.run(pending);
    expect(log.durableEndOffset).toBe(1n);
  });

  it('interval mode flushes early once bytesMax is waiting', async () => {
    const h = new LogHarness(10);
    const { log } = await h.open({ ...smallConfig, flush: { mode: 'interval', intervalMs: 60_000, bytesMax: 500 } });
    const start = h.sim.nowMs();
    await h.run(Promise.all(Array.from({ length: 10 }, (_, i) => log.append(testBatch(`i${i}`, 1, 100)))));
    expect(h.sim.nowMs() - start).toBeLessThan(1000);
  });
});

describe('PartitionLog: recovery', () => {
  it('cuts a torn tail and reports it', async () => {
    const h = new LogHarness(11);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    await appendMany(h, log, 5);
    // A torn write: half a batch reaches the platter.
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    const good = file.size();
    await h.run(file.append(testBatch('torn', 3).subarray(0, 70)));
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    expect(recovery.truncatedBytes).toBe(70);
    expect(recovery.truncationReason).toMatch(/batch of \d+ bytes but only 70 present/);
    expect(recovery.cleanShutdown).toBe(false);
    expect(reopened.logEndOffset).toBe(5n);
    expect(h.sim.recentTrace().some((line) => line.includes('LogTailTruncated'))).toBe(true);
    const reread = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    expect(reread.size()).toBe(good);
    expect(await h.run(reopened.append(testBatch('after')))).toEqual({ baseOffset: 5n, lastOffset: 5n });
  });

  it('detects bit rot in the middle of a segment, never serves it, and keeps what follows', async () => {
    const h = new LogHarness(12);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    await appendMany(h, log, 6, 'm', 1, 40);
    const size = testBatch('m0', 1, 40).length;
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    await h.run(file.write(2 * size + 70, new Uint8Array([0xee]))); // inside batch 2's records
    await h.run(file.sync());
    const error = await errorOf(h, log.read(2n, 1000));
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect((error as LogError).kafkaErrorCode).toBe(2);
    // Batches before the damage are served up to it; batches after it are served.
    expect(batchesOf(await h.run(log.read(0n, 1 << 20))).length).toBe(2);
    expect(batchesOf(await h.run(log.read(3n, 1 << 20))).length).toBe(3);
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    expect(recovery.truncatedBytes).toBe(0);
    expect(recovery.corruptRanges.length).toBe(1);
    expect(reopened.logEndOffset).toBe(6n);
    expect(await errorOf(h, reopened.read(2n, 1000))).toBeInstanceOf(CorruptRecordError);
    expect(batchesOf(await h.run(reopened.read(3n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([3n, 4n, 5n]);
  });

  it('steps over a damaged batch length when valid batches follow', async () => {
    const h = new LogHarness(13);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    await appendMany(h, log, 6, 'l', 1, 40);
    const size = testBatch('l0', 1, 40).length;
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    await h.run(file.write(3 * size + 8, new Uint8Array([0x7f]))); // batch 3's batchLength
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    expect(recovery.truncatedBytes).toBe(0);
    expect(recovery.corruptRanges).toHaveLength(1);
    expect(reopened.logEndOffset).toBe(6n);
    expect(await errorOf(h, reopened.read(3n, 1000))).toBeInstanceOf(CorruptRecordError);
    expect(batchesOf(await h.run(reopened.read(4n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([4n, 5n]);
  });

  it('trusts index files after a graceful stop and rebuilds missing or stale ones', async () => {
    const h = new LogHarness(14);
    const { log } = await h.open();
    await appendMany(h, log, 60, 'x', 2, 60);
    await h.run(log.stop());
    const first = await h.open();
    expect(first.recovery.cleanShutdown).toBe(true);
    expect(first.recovery.indexesRebuilt).toEqual([]);
    await h.run(first.log.stop());
    await h.run(h.io.disk.remove(joinPath(testLogDir, segmentFileName(0n, 'timeindex'))));
    const index1 = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(first.log['segments'][1]!.baseOffset, 'index'))));
    await h.run(index1.write(8, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]))); // entry 1 -> nonsense
    await h.run(index1.sync());
    const second = await h.open();
    expect(second.recovery.indexesRebuilt).toHaveLength(2);
    for (let offset = 0n; offset < 120n; offset += 7n) {
      expect(batchesOf(await h.run(second.log.read(offset, 1)))[0]!.header.baseOffset).toBe(offset - (offset % 2n));
    }
  });

  it('removes index files left without their segment', async () => {
    const h = new LogHarness(15);
    const { log } = await h.open();
    await h.run(log.stop());
    const orphan = joinPath(testLogDir, segmentFileName(500n, 'index'));
    await h.run(h.io.disk.open(orphan, { create: true }));
    await h.run(h.io.disk.syncDir(testLogDir));
    const { recovery } = await h.open();
    expect(recovery.filesRemoved).toEqual([segmentFileName(500n, 'index')]);
  });
});

describe('PartitionLog: setConfig on a running log', () => {
  it('a smaller segment size refuses larger appends and rolls at once; batches stored before still read back and survive recovery', async () => {
    const h = new LogHarness(40);
    const big = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(big);
    await h.run(log.append(testBatch('large', 1, 10_000)));
    await h.run(log.append(testBatch('small', 1, 10)));
    expect(log.segmentCount).toBe(1);
    log.setConfig({ ...big, segmentBytesMax: 2048 });
    expect(log.currentConfig.segmentBytesMax).toBe(2048);
    const refused = await errorOf(h, log.append(testBatch('too-large', 1, 5_000)));
    expect(refused).toBeInstanceOf(LogError);
    expect((refused as LogError).code).toBe('RECORD_TOO_LARGE');
    await h.run(log.append(testBatch('after', 1, 10)));
    expect(log.segmentCount).toBe(2); // the 10 KB segment is above the new size: the next append rolled
    expect(batchesOf(await h.run(log.read(0n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([0n, 1n]);
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open({ ...big, segmentBytesMax: 2048 });
    expect(recovery).toMatchObject({ truncatedBytes: 0, logEndOffset: 3n });
    expect(batchesOf(await h.run(reopened.read(0n, 1 << 20))).length).toBe(2);
  });

  it('lower retention takes effect at the next retention pass; a longer segment age stops age rolls', async () => {
    const h = new LogHarness(41);
    const { log } = await h.open({ ...smallConfig, retentionMsMax: null });
    const now = BigInt(h.io.clock.wallClockMs());
    for (let i = 0; i < 40; i++) await h.run(log.append(testBatch(`r${i}`, 1, 100, now)));
    expect(log.segmentCount).toBeGreaterThan(1);
    await h.advance(61_000);
    expect(await h.run(log.enforceRetention())).toBe(0n);
    log.setConfig({ ...log.currentConfig, retentionMsMax: 60_000 });
    expect(await h.run(log.enforceRetention())).toBeGreaterThan(0n);
    expect(log.segmentCount).toBe(1);
  });

  it('refuses a config that changes the index interval (an assertion: a programmer error)', async () => {
    const h = new LogHarness(42);
    const { log } = await h.open();
    expect(() => log.setConfig({ ...smallConfig, indexIntervalBytes: 1024 })).toThrow(/indexIntervalBytes/);
  });
});

describe('PartitionLog: retention and truncation', () => {
  it('deletes whole old segments by size and advances logStartOffset', async () => {
    const h = new LogHarness(16);
    const { log } = await h.open({ ...smallConfig, retentionBytesMax: 8192 });
    await appendMany(h, log, 100, 's', 1, 100);
    // Kafka's rule: a segment goes while the rest still holds retentionBytesMax; retention runs at each
    // roll, so at most one more old segment plus the active one sit above the limit.
    expect(log.sizeBytes).toBeLessThanOrEqual(8192 + 2 * 4096);
    expect(log.logStartOffset).toBeGreaterThan(0n);
    const start = log.logStartOffset;
    expect(await errorOf(h, log.read(start - 1n, 100))).toBeInstanceOf(OffsetOutOfRangeError);
    expect(batchesOf(await h.run(log.read(start, 1)))[0]!.header.baseOffset).toBe(start);
    await h.crashAndRestart();
    const { log: reopened } = await h.open({ ...smallConfig, retentionBytesMax: 8192 });
    expect(reopened.logStartOffset).toBe(start);
  });

  it('deletes segments older than retentionMsMax', async () => {
    const h = new LogHarness(17);
    const { log } = await h.open({ ...smallConfig, retentionMsMax: 60_000 });
    const now = BigInt(h.io.clock.wallClockMs());
    for (let i = 0; i < 40; i++) await h.run(log.append(testBatch(`o${i}`, 1, 100, now)));
    const segments = log.segmentCount;
    expect(segments).toBeGreaterThan(1);
    expect(await h.run(log.enforceRetention())).toBe(0n);
    await h.advance(61_000);
    const start = await h.run(log.enforceRetention());
    expect(start).toBe(log.logStartOffset);
    expect(log.segmentCount).toBe(1);
    expect(start).toBeGreaterThan(0n);
  });

  it('deleteRecordsBefore moves the start inside a segment, drops whole segments below it, and survives a crash', async () => {
    const h = new LogHarness(19);
    const { log } = await h.open();
    await appendMany(h, log, 100, 'd', 1, 100);
    const segments = log.segmentCount;
    expect(segments).toBeGreaterThan(2);
    expect(await h.run(log.deleteRecordsBefore(57n))).toBe(57n);
    expect(log.logStartOffset).toBe(57n);
    expect(log.segmentCount).toBeLessThan(segments);
    expect(await errorOf(h, log.read(56n, 100))).toBeInstanceOf(OffsetOutOfRangeError);
    expect(batchesOf(await h.run(log.read(57n, 1)))[0]!.header.baseOffset).toBe(57n);
    expect(await h.run(log.offsetForTimestamp(0n))).toBe(57n);
    // At or below the start: nothing changes. Beyond the durable end: out of range.
    expect(await h.run(log.deleteRecordsBefore(10n))).toBe(57n);
    expect(await errorOf(h, log.deleteRecordsBefore(101n))).toBeInstanceOf(OffsetOutOfRangeError);
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open();
    expect(reopened.logStartOffset).toBe(57n);
    expect(recovery.logStartOffset).toBe(57n);
    expect(await errorOf(h, reopened.read(56n, 100))).toBeInstanceOf(OffsetOutOfRangeError);
    // Up to the end: nothing is left to read, and appends continue at the end.
    expect(await h.run(reopened.deleteRecordsBefore(100n))).toBe(100n);
    expect(reopened.segmentCount).toBe(1);
    expect(await h.run(reopened.append(testBatch('after')))).toEqual({ baseOffset: 100n, lastOffset: 100n });
    await h.crashAndRestart();
    const { log: again } = await h.open();
    expect([again.logStartOffset, again.logEndOffset]).toEqual([100n, 101n]);
  });

  it('truncateTo cuts a divergent tail at a batch boundary', async () => {
    const h = new LogHarness(18);
    const { log } = await h.open();
    await appendMany(h, log, 60, 'x', 2, 60);
    await h.run(log.truncateTo(51n));
    expect(log.logEndOffset).toBe(50n);
    expect(await h.run(log.append(testBatch('new')))).toEqual({ baseOffset: 50n, lastOffset: 50n });
    await h.crashAndRestart();
    const { log: reopened } = await h.open();
    expect(reopened.logEndOffset).toBe(51n);
    const last = batchesOf(await h.run(reopened.read(50n, 1000)))[0]!;
    expect(readBatchHeader(last.bytes).recordCount).toBe(1);
  });
});

describe('PartitionLog: truncation scans only the stretch it cuts in', () => {
  it('cuts from the index entry at or below the cut, so an unreadable sector earlier in the segment does not stop it', async () => {
    const h = new LogHarness(22);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 60, 'd', 1, 100); // about 10 KiB: three sectors, an index entry every 512 bytes
    const path = joinPath(testLogDir, segmentFileName(0n, 'log'));
    expect(h.node.disk.faults.plantLatentSectorError({ path, position: 0 })).toBe(`${path}@0`);
    // Scanning from the segment's start (as the cut did before) meets the sector and fails the log.
    await h.run(log.truncateTo(51n));
    expect(log.failedWith).toBeNull();
    expect(log.logEndOffset).toBe(51n);
    expect(batchesOf(await h.run(log.read(40n, 1 << 20))).map((b) => readBatchHeader(b.bytes).baseOffset)).toEqual([40n, 41n, 42n, 43n, 44n, 45n, 46n, 47n, 48n, 49n, 50n]);
    expect(await h.run(log.append(testBatch('after')))).toEqual({ baseOffset: 51n, lastOffset: 51n });
    // The index kept below the cut and rebuilt above it still finds every readable batch after a clean stop.
    await h.run(log.stop());
    const { log: reopened } = await h.open(config);
    expect(reopened.logEndOffset).toBe(52n);
    expect(batchesOf(await h.run(reopened.read(30n, 300))).map((b) => readBatchHeader(b.bytes).baseOffset)[0]).toBe(30n);
    expect((await errorOf(h, reopened.read(5n, 300)) as LogError).code).toBe('IO_ERROR'); // the sector is still unreadable
    expect(batchesOf(await h.run(reopened.read(51n, 1 << 20))).map((b) => readBatchHeader(b.bytes).baseOffset)).toEqual([51n]);
  });
});

describe('PartitionLog: a truncation that meets a read error', () => {
  it('fails the log, which keeps the end it had (never one below what it recorded), and a reopen recovers it whole', async () => {
    const h = new LogHarness(19);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    await appendMany(h, log, 30, 'r', 2, 60);
    h.node.disk.faults.setReadErrorOdds(1);
    const error = await errorOf(h, log.truncateTo(21n));
    h.node.disk.faults.setReadErrorOdds(0);
    expect((error as LogError).code).toBe('LOG_FAILED');
    expect(log.failedWith).not.toBeNull();
    expect(log.logEndOffset).toBe(60n);
    await h.crashAndRestart();
    const { log: reopened } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    expect(reopened.logEndOffset).toBe(60n);
  });
});

describe('PartitionLog: replicated appends (a follower copying its leader)', () => {
  it('keeps the leader\'s offsets and epochs, refuses a gap or an overlap, and is durable when it resolves', async () => {
    const leaderH = new LogHarness(31);
    const { log: leader } = await leaderH.open();
    await appendMany(leaderH, leader, 4, 'l', 3, 30);
    const fromLeader = await leaderH.run(leader.read(0n, 1 << 20));
    const h = new LogHarness(32);
    const { log: follower } = await h.open();
    const all = batchesOf(fromLeader);
    // A batch that does not start at the follower's end: a gap, then (after a good append) an overlap.
    expect(await errorOf(h, follower.appendReplicated(all[1]!.bytes.slice()))).toMatchObject({ code: 'OFFSET_MISMATCH' });
    expect(await h.run(follower.appendReplicated(concatBytes([all[0]!.bytes, all[1]!.bytes])))).toEqual({ baseOffset: 0n, lastOffset: 5n });
    expect(await errorOf(h, follower.appendReplicated(all[1]!.bytes.slice()))).toMatchObject({ code: 'OFFSET_MISMATCH' });
    // Batches that are not dense among themselves are refused whole.
    expect(await errorOf(h, follower.appendReplicated(concatBytes([all[2]!.bytes, all[0]!.bytes])))).toMatchObject({ code: 'OFFSET_MISMATCH' });
    expect(follower.logEndOffset).toBe(6n);
    await h.run(follower.appendReplicated(concatBytes([all[2]!.bytes, all[3]!.bytes])));
    expect(follower.durableEndOffset).toBe(12n);
    await h.crashAndRestart();
    const { log: reopened } = await h.open();
    expect(hex(await h.run(reopened.read(0n, 1 << 20)))).toBe(hex(fromLeader));
  });
});

describe('PartitionLog: faults', () => {
  it('fails the partition on an fsync error: pending and later appends reject, stop reports it', async () => {
    const h = new LogHarness(19);
    const { log } = await h.open();
    await appendMany(h, log, 3);
    h.node.disk.faults.failNextSync();
    const error = await errorOf(h, log.append(testBatch('lost')));
    expect(error).toMatchObject({ code: 'LOG_FAILED' });
    expect((error as LogError).kafkaErrorCode).toBe(56);
    expect(await errorOf(h, log.append(testBatch('later')))).toMatchObject({ code: 'LOG_FAILED' });
    expect(log.durableEndOffset).toBe(3n);
    expect(await errorOf(h, log.stop())).toMatchObject({ code: 'LOG_FAILED' });
    await h.crashAndRestart();
    const { log: reopened } = await h.open();
    expect(batchesOf(await h.run(reopened.read(0n, 1 << 20))).length).toBeGreaterThanOrEqual(3);
  });

  // fsyncgate: after the failed fsync the unwritten batch still reads back from the page cache. A
  // log opened again without a power loss (a graceful restart) must not take it for a batch and
  // append after it: the next good fsync writes the new batch but never the failed one, and a crash
  // then cuts the segment at the hole, with the acknowledged batch behind it.
  it('after a failed fsync (and a failed fsync of its cut), a log reopened without a crash loses nothing it acknowledges later', async () => {
    const h = new LogHarness(23);
    const { log } = await h.open();
    await appendMany(h, log, 3);
    const durableBytes = (await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))))).size();
    h.node.disk.faults.failNextSync();
    h.node.disk.faults.failNextSync();
    expect(await errorOf(h, log.append(testBatch('lost')))).toMatchObject({ code: 'LOG_FAILED' });
    // Whatever the failed writeback wrote, the file no longer reads past the durable bytes.
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    expect(file.size()).toBe(durableBytes);
    await h.run(file.close());
    expect(await errorOf(h, log.stop())).toMatchObject({ code: 'LOG_FAILED' });
    const { log: again } = await h.open();
    expect(again.logEndOffset).toBe(3n);
    expect(await h.run(again.append(testBatch('acked')))).toEqual({ baseOffset: 3n, lastOffset: 3n });
    await h.crashAndRestart();
    const { log: reopened } = await h.open();
    expect(reopened.logEndOffset).toBe(4n);
  });

  it('answers DISK_FULL without losing anything acknowledged, and carries on when space returns', async () => {
    const h = new LogHarness(20);
    const { log } = await h.open();
    await appendMany(h, log, 3);
    h.node.disk.faults.setFull(true);
    expect(await errorOf(h, log.append(testBatch('full')))).toMatchObject({ code: 'DISK_FULL' });
    expect(log.logEndOffset).toBe(3n);
    h.node.disk.faults.setFull(false);
    expect(await h.run(log.append(testBatch('room')))).toEqual({ baseOffset: 3n, lastOffset: 3n });
    await h.run(log.stop());
    const { log: reopened } = await h.open();
    expect(batchesOf(await h.run(reopened.read(0n, 1 << 20))).length).toBe(4);
  });
});

describe('PartitionLog: graceful stop', () => {
  it('drains in-flight appends, makes them durable, and refuses new ones', async () => {
    const h = new LogHarness(21);
    const { log } = await h.open({ ...smallConfig, flush: { mode: 'interval', intervalMs: 60_000, bytesMax: 1 << 20 } });
    const inflight = Array.from({ length: 20 }, (_, i) => log.append(testBatch(`s${i}`)));
    const stopped = log.stop();
    expect(await errorOf(h, log.append(testBatch('late')))).toMatchObject({ code: 'LOG_STOPPED' });
    await h.run(stopped);
    const results = await h.run(Promise.all(inflight));
    expect(results.at(-1)).toEqual({ baseOffset: 19n, lastOffset: 19n });
    h.node.crash(); // a power loss right after the stop loses nothing
    h.node.start();
    const { log: reopened, recovery } = await h.open();
    expect(recovery.cleanShutdown).toBe(true);
    expect(reopened.logEndOffset).toBe(20n);
  });
});

describe('PartitionLog: storage faults (latent sector errors, misdirected writes)', () => {
  it('refuses to open, every time, while a sector of its last segment is unreadable, and cuts nothing', async () => {
    const h = new LogHarness(21);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 60, 'u', 1, 100); // about 10 KiB: three sectors
    const path = joinPath(testLogDir, segmentFileName(0n, 'log'));
    const size = (await h.run(h.io.disk.open(path))).size();
    await h.crashAndRestart();
    expect(h.node.disk.faults.plantLatentSectorError({ path, position: 5000 })).toBe(`${path}@4096`);
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await h.open(config).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(LogError);
      expect((error as LogError).code).toBe('IO_ERROR');
      expect((error as LogError).kafkaErrorCode).toBe(56);
      await h.crashAndRestart();
    }
    expect((await h.run(h.io.disk.open(path))).size()).toBe(size);
    // The planted bug takes the read error for the end of the log and cuts every batch after it.
    const { log: cut, recovery } = await h.open(config, { bugs: { recoveryEndsAtReadError: true } });
    expect(recovery.truncatedBytes).toBeGreaterThan(0);
    expect(cut.logEndOffset).toBeLessThan(60n);
  });

  it("an older segment's damaged rest keeps its offsets up to the next segment: reading them fails, never serves the next segment's batch", async () => {
    const h = new LogHarness(22);
    const { log } = await h.open();
    await appendMany(h, log, 60, 'o', 2, 60);
    expect(log.segmentCount).toBeGreaterThan(2);
    const second = (await h.run(h.io.disk.list(testLogDir))).filter((n) => n.endsWith('.log')).sort()[1]!;
    const nextBase = BigInt(second.slice(0, 20));
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    // The last batch of the first segment: damage its body (a misdirected write over it, say), and
    // lose its index files, so recovery scans the segment and meets damage with nothing after it.
    const lastBatchBytes = testBatch('o0', 2, 60).length;
    await h.run(file.write(file.size() - 10, new Uint8Array(4).fill(0xee)));
    await h.run(file.sync());
    for (const kind of ['index', 'timeindex'] as const) await h.run(h.io.disk.remove(joinPath(testLogDir, segmentFileName(0n, kind))));
    await h.run(h.io.disk.syncDir(testLogDir));
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open();
    expect(recovery.corruptRanges.join()).toMatch(/rest of an older segment unreadable/);
    const damagedFirst = nextBase - 2n; // the damaged batch held the two offsets before the next segment
    expect(lastBatchBytes).toBeGreaterThan(10);
    for (const offset of [damagedFirst, damagedFirst + 1n]) expect(await errorOf(h, reopened.read(offset, 1 << 20))).toBeInstanceOf(CorruptRecordError);
    expect(batchesOf(await h.run(reopened.read(nextBase, 1 << 20)))[0]!.header.baseOffset).toBe(nextBase);
  });

  it('after a misdirected write, recovery resumes at the intact batches, not at the misplaced copy, and loses only what it overwrote', async () => {
    const h = new LogHarness(24);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 60, 'w', 1, 100); // about 10 KiB
    h.node.disk.faults.setMisdirectionOdds({ writes: 1, reads: 0 });
    // One group commit of two batches (offsets 60, 61): one write, landing whole sectors earlier.
    await h.run(Promise.all([log.append(testBatch('moved0', 1, 100)), log.append(testBatch('moved1', 1, 100))]));
    h.node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
    const damage = h.node.diskState.damage(joinPath(testLogDir, segmentFileName(0n, 'log')));
    expect(damage.map((d) => d.kind)).toEqual(['misdirected-intended', 'misdirected-landed']);
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1); // the batches the landed copy overwrote
    let readable = 0;
    for (let offset = 0n; offset < 60n; offset++) {
      const got = await h.run(reopened.read(offset, 1).then((bytes) => batchesOf(bytes)[0]?.header.baseOffset, () => null));
      if (got === offset) readable++;
    }
    // The copy (about 320 bytes) overwrote at most three of the 60 batches; the zeros it left at the
    // tail were cut. Resuming at the copy, recovery once skipped and cut every batch after it.
    expect(readable).toBeGreaterThanOrEqual(57);
    expect(reopened.logEndOffset).toBe(60n);
  });

  // Batch 4 is kept (it could be acknowledged: it was synced); the torn batch 5 is cut. Without the
  // torn header as a link, the hole was taken for a zero-filled torn tail and batch 4 cut with it.
  // Log-crash seed 850834 tore the header itself, leaving 17 bytes (baseOffset, batchLength, epoch,
  // magic) at the end of the file; seed 1358887 left 8, the baseOffset alone.
  it.each([
    { torn: 'after its whole header, zeros to its end', keep: batchHeaderBytes, zeros: true },
    { torn: 'inside its header, 17 bytes left at the end of the file', keep: 17, zeros: false },
    { torn: 'inside its header, 13 bytes left at the end of the file', keep: 13, zeros: false },
    { torn: 'inside its header, 8 bytes (the baseOffset) left at the end of the file', keep: 8, zeros: false },
  ])('keeps an intact batch after a hole when the batch after it is torn $torn: the torn header with the next offset links it', async ({ keep, zeros }) => {
    const h = new LogHarness(25);
    const { config, size, file } = await oneSegmentOf(h, 6, 'k');
    await h.run(file.write(2 * size, new Uint8Array(2 * size))); // a hole where batches 2 and 3 were
    if (zeros) await h.run(file.write(5 * size + keep, new Uint8Array(size - keep)));
    else await h.run(file.truncate(5 * size + keep));
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1);
    expect(recovery.truncatedBytes).toBe(zeros ? size : keep);
    expect(reopened.logEndOffset).toBe(5n);
    expect(batchesOf(await h.run(reopened.read(4n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([4n]);
    expect(await errorOf(h, reopened.read(2n, 1000))).toBeInstanceOf(CorruptRecordError);
  });

  it('keeps an intact batch between two holes when a torn batch with a later offset follows the second', async () => {
    // Log-crash seed 1214980: a misdirected write's copy destroyed the batches before an
    // acknowledged one, its intended place after it stayed zeros, and a crash tore the next batch.
    const h = new LogHarness(32);
    const { config, size, file } = await oneSegmentOf(h, 6, 'k');
    await h.run(file.write(2 * size, new Uint8Array(size))); // batch 2 gone
    await h.run(file.write(4 * size, new Uint8Array(size))); // batch 4 never landed
    await h.run(file.write(5 * size + batchHeaderBytes, new Uint8Array(size - batchHeaderBytes))); // batch 5 torn after its header
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1);
    expect(recovery.truncatedBytes).toBe(2 * size);
    expect(reopened.logEndOffset).toBe(4n);
    expect(batchesOf(await h.run(reopened.read(3n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([3n]);
  });

  it('does not resume at a batch whose baseOffset reads as the segment base after damage at the start', async () => {
    // Log-crash seed 1406057: the end of a misdirected write's copy zeroed the baseOffset (outside
    // the CRC) of a later batch, which then read as offset 0; recovery resumed there, skipping the
    // intact batches before it as damage.
    const h = new LogHarness(33);
    const { config, size, file } = await oneSegmentOf(h, 4, 'z');
    await h.run(file.write(0, new Uint8Array(24))); // batch 0's header destroyed
    await h.run(file.write(3 * size, new Uint8Array(8))); // batch 3's baseOffset zeroed
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1);
    expect(recovery.truncatedBytes).toBe(size);
    expect(reopened.logEndOffset).toBe(3n);
    expect(batchesOf(await h.run(reopened.read(1n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([1n, 2n]);
  });

  it('of two copies of an offset after damage resumes at the later one, and zeros the stretch it stepped over so the next recovery agrees', async () => {
    const h = new LogHarness(26);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 8, 'r', 1, 40);
    const size = testBatch('r0', 1, 40).length;
    const real5 = withoutBaseOffset(batchesOf(await h.run(log.read(5n, size)))[0]!.bytes);
    const path = joinPath(testLogDir, segmentFileName(0n, 'log'));
    const file = await h.run(h.io.disk.open(path));
    // Damage where batch 2 was, then a stale copy of offsets 5 and 6 (other values: a misdirected
    // write of batches a recovery later cut and the log wrote again) where batches 3 and 4 were,
    // before the real 5 and 6.
    await h.run(file.write(2 * size, new Uint8Array(size)));
    for (const [slot, offset] of [[3, 5n], [4, 6n]] as const) {
      const stale = testBatch(`x${offset}`, 1, 40);
      writeBaseOffset(stale, 0, offset);
      await h.run(file.write(slot * size, stale));
    }
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1);
    expect(reopened.logEndOffset).toBe(8n);
    const check = async (at: PartitionLog) => {
      expect(await errorOf(h, at.read(2n, 1000))).toBeInstanceOf(CorruptRecordError);
      const read = batchesOf(await h.run(at.read(5n, 1 << 20)));
      expect(read.map((b) => b.header.baseOffset)).toEqual([5n, 6n, 7n]);
      expect(hex(withoutBaseOffset(read[0]!.bytes))).toBe(hex(real5)); // the real batch, not the stale copy
    };
    await check(reopened);
    // The stretch it stepped over is zeros on disk now: a later recovery cannot resume in it.
    const after = await h.run(h.io.disk.open(path));
    expect([...(await h.run(after.read(2 * size, 3 * size)))].every((b) => b === 0)).toBe(true);
    await h.crashAndRestart();
    const { log: again } = await h.open(config);
    await check(again);
  });

  it('remembers where an earlier recovery found the log going on after a hole, so a torn tail after the next batch does not cut it', async () => {
    const h = new LogHarness(29);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 7, 'm', 1, 40);
    const size = testBatch('m0', 1, 40).length;
    const path = joinPath(testLogDir, segmentFileName(0n, 'log'));
    const file = await h.run(h.io.disk.open(path));
    await h.run(file.write(2 * size, new Uint8Array(2 * size))); // a hole where batches 2 and 3 were
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: first, recovery } = await h.open(config);
    expect(recovery.corruptRanges).toHaveLength(1); // stepped over: batch 4 links to batch 5
    expect(first.logEndOffset).toBe(7n);
    expect(await h.run(h.io.disk.exists(joinPath(testLogDir, 'recovery-resumes')))).toBe(true);
    // Then a crash tears what followed batch 4: 20 bytes of a batch header, nothing to link batch 4 to.
    const again = await h.run(h.io.disk.open(path));
    await h.run(again.truncate(5 * size));
    await h.run(again.write(5 * size, testBatch('torn', 1, 40).subarray(0, 20)));
    await h.run(again.sync());
    await h.crashAndRestart();
    const { log: second, recovery: secondRecovery } = await h.open(config);
    // Without the record this is a hole, one valid batch and a torn header: indistinguishable from a
    // torn tail with a batch inside a record's value, and recovery cut the hole with batch 4 after it.
    expect(secondRecovery.truncatedBytes).toBe(20);
    expect(second.logEndOffset).toBe(5n);
    expect(batchesOf(await h.run(second.read(4n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([4n]);
    expect(h.sim.coverage.counts()['log.resumed-at-recorded-point']).toBe(1);
  });

  it('never serves a whole, valid batch that is not the one written at its offset (a stale copy): its CRC differs from the checksum kept', async () => {
    const h = new LogHarness(27);
    const config = { ...smallConfig, segmentBytesMax: 1 << 20 };
    const { log } = await h.open(config);
    await appendMany(h, log, 20, 's', 1, 40); // index entries at batches 0, 5, 10 and 15
    const size = testBatch('s0', 1, 40).length;
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    // Where batch 5 is: a whole batch with offset 5 and another value, what a misdirected write
    // leaves (or a misdirected read serves) when the log cut offset 5 once and wrote it anew.
    const stale = testBatch('x5', 1, 40);
    writeBaseOffset(stale, 0, 5n);
    await h.run(file.write(5 * size, stale));
    await h.run(file.sync());
    const expectRefused = async (at: PartitionLog) => {
      const error = await errorOf(h, at.read(5n, 1 << 20));
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect(String(error)).toMatch(/not the batch written at this offset/);
      expect((error as CorruptRecordError).staleCopy).toBe(true);
      // A read that starts before it serves the batches up to it, not the copy.
      expect(batchesOf(await h.run(at.read(3n, 1 << 20))).map((b) => b.header.baseOffset)).toEqual([3n, 4n]);
    };
    await expectRefused(log);
    expect(h.sim.coverage.counts()['log.stale-copy-refused']).toBe(1);
    // After a graceful stop the checksums come back from the .checksums file (recovery scans only
    // from the last index entry, batch 15, so nothing rereads batch 5 before it is served).
    await h.run(log.stop());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open(config);
    expect(recovery.cleanShutdown).toBe(true);
    expect(recovery.indexesRebuilt).toEqual([]);
    await expectRefused(reopened);
  });

  it("keeps an older segment's checksums across a crash, and rebuilds them by scanning when the file is missing or damaged", async () => {
    const h = new LogHarness(28);
    const { log } = await h.open();
    await appendMany(h, log, 60, 'c', 2, 60);
    expect(log.segmentCount).toBeGreaterThan(2);
    const size = testBatch('c0', 2, 60).length;
    const path = joinPath(testLogDir, segmentFileName(0n, 'log'));
    const file = await h.run(h.io.disk.open(path));
    const stale = testBatch('x2', 2, 60);
    writeBaseOffset(stale, 0, 2n);
    await h.run(file.write(size, stale)); // a stale copy of offsets 2..3 where batch 1 (offsets 2..3) is
    await h.run(file.sync());
    await h.crashAndRestart();
    const { log: reopened, recovery } = await h.open();
    const rebuiltFirst = (r: { indexesRebuilt: readonly string[] }) => r.indexesRebuilt.filter((n) => n.startsWith(segmentFileName(0n, 'index')));
    expect(rebuiltFirst(recovery)).toEqual([]); // only the last segment is scanned after a crash
    expect(await errorOf(h, reopened.read(2n, 1 << 20))).toBeInstanceOf(CorruptRecordError);
    const checksums = joinPath(testLogDir, segmentFileName(0n, 'checksums'));
    // Damaged (a flipped byte, so its trailer fails), then missing: rebuilt by a scan each time, which
    // meets the stale copy as a batch with the right offset and keeps its CRC (the scan cannot tell).
    const table = await h.run(h.io.disk.open(checksums));
    await h.run(table.write(3, new Uint8Array([0xff])));
    await h.run(table.sync());
    await h.crashAndRestart();
    const { recovery: afterDamage } = await h.open();
    expect(rebuiltFirst(afterDamage)).toEqual([`${segmentFileName(0n, 'index')} (checksums trailer mismatch)`]);
    await h.run(h.io.disk.remove(checksums));
    await h.run(h.io.disk.syncDir(testLogDir));
    await h.crashAndRestart();
    const { log: rebuilt, recovery: afterMissing } = await h.open();
    expect(rebuiltFirst(afterMissing)).toEqual([`${segmentFileName(0n, 'index')} (missing)`]);
    expect((await h.run(h.io.disk.list(testLogDir))).filter((n) => n.endsWith('.checksums')).length).toBe(rebuilt.segmentCount - 1);
    expect(batchesOf(await h.run(rebuilt.read(0n, 1))).map((b) => b.header.baseOffset)).toEqual([0n]);
  });

  it('a read over a batch whose damaged header claims offsets past the limit answers CORRUPT_RECORD, not "nothing"', async () => {
    const h = new LogHarness(23);
    const { log } = await h.open({ ...smallConfig, segmentBytesMax: 1 << 20 });
    await appendMany(h, log, 4, 'h', 1, 40);
    const file = await h.run(h.io.disk.open(joinPath(testLogDir, segmentFileName(0n, 'log'))));
    // lastOffsetDelta (bytes 23..26 of the batch) of batch 0 now claims 4096 more offsets.
    await h.run(file.write(23, new Uint8Array([0, 0, 0x10, 0])));
    const error = await errorOf(h, log.read(0n, 1000));
    expect(error).toBeInstanceOf(CorruptRecordError);
  });
});
