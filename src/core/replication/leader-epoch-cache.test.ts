import { describe, expect, it } from 'vitest';
import { Simulation } from '../../io-sim/index.ts';
import { StoppingDisk } from '../../testing/stopping-disk.ts';
import type { Disk, Io } from '../io/index.ts';
import {
  LeaderEpochCache,
  decodeLeaderEpochCheckpoint,
  encodeLeaderEpochCheckpoint,
  leaderEpochCheckpointName,
  readLeaderEpochCheckpoint,
  rebuildFromBatches,
  writeLeaderEpochCheckpoint,
  type EpochEntry,
} from './leader-epoch-cache.ts';

const dir = 'data/orders-0';
const path = `${dir}/${leaderEpochCheckpointName}`;

/** One simulated node whose disk we drive by hand; crash() restarts it over what survived. */
class Harness {
  readonly sim: Simulation;
  private io: Io | null = null;
  constructor(seed: number) {
    this.sim = new Simulation({ seed });
    this.sim.addNode('n1', (io) => void (this.io = io));
  }
  async disk(): Promise<Disk> {
    await this.sim.run({ until: () => this.io !== null });
    return (this.io as unknown as Io).disk;
  }
  drive<T>(promise: Promise<T>): Promise<T> {
    return this.sim.runUntilSettled(promise);
  }
  async crash(): Promise<Disk> {
    this.io = null;
    this.sim.node('n1').crash();
    this.sim.node('n1').start();
    return this.disk();
  }
}

const e = (...pairs: [number, number][]): EpochEntry[] => pairs.map(([epoch, start]) => ({ epoch, startOffset: BigInt(start) }));

describe('leader-epoch-checkpoint file', () => {
  it('round-trips, and every flipped bit makes it corrupt', () => {
    const entries = e([0, 0], [3, 17], [9, 1_000_000_000_000]);
    const bytes = encodeLeaderEpochCheckpoint(entries);
    expect(decodeLeaderEpochCheckpoint(bytes)).toEqual(entries);
    expect(decodeLeaderEpochCheckpoint(encodeLeaderEpochCheckpoint([]))).toEqual([]);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const bad = bytes.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(typeof decodeLeaderEpochCheckpoint(bad)).toBe('string');
    }
    for (let length = 0; length < bytes.length; length++) expect(typeof decodeLeaderEpochCheckpoint(bytes.subarray(0, length))).toBe('string');
  });

  it('opens missing, then ok, then corrupt after rot; each change is on disk when its promise resolves', async () => {
    const h = new Harness(1);
    const disk = await h.disk();
    await h.drive(disk.mkdir(dir));
    const first = await h.drive(LeaderEpochCache.open(disk, dir));
    expect(first.status).toBe('missing');
    expect(await h.drive(first.cache.assign(0, 0n))).toBe('appended');
    expect(await h.drive(first.cache.assign(0, 5n))).toBe('unchanged');
    expect(await h.drive(first.cache.assign(2, 10n))).toBe('appended');
    expect(await h.drive(first.cache.truncateFromStart(4n))).toBe(true);
    const disk2 = await h.crash();
    const again = await h.drive(LeaderEpochCache.open(disk2, dir));
    expect(again.status).toBe('ok');
    expect(again.cache.entries()).toEqual(e([0, 4], [2, 10]));
    expect(again.cache.endOffsetFor(0, 12n)).toEqual({ epoch: 0, endOffset: 10n });

    const file = await h.drive(disk2.open(path));
    await h.drive(file.write(20, new Uint8Array([0xff])));
    await h.drive(file.sync());
    const rotten = await h.drive(LeaderEpochCache.open(await h.crash(), dir));
    expect(rotten).toMatchObject({ status: 'corrupt', problem: 'crc mismatch' });
    expect(rotten.cache.entries()).toEqual([]);
  });

  it('changes made without waiting land in call order', async () => {
    const h = new Harness(2);
    const disk = await h.disk();
    await h.drive(disk.mkdir(dir));
    const { cache } = await h.drive(LeaderEpochCache.open(disk, dir));
    const all = Promise.all([cache.assign(1, 0n), cache.assign(2, 4n), cache.assign(3, 9n), cache.truncateFromEnd(9n)]);
    await h.drive(all);
    expect(await h.drive(readLeaderEpochCheckpoint(await h.crash(), dir))).toEqual({ kind: 'ok', entries: e([1, 0], [2, 4]) });
  });
});

describe('reconcile with the log after a restart', () => {
  async function cacheWith(entries: EpochEntry[]): Promise<{ h: Harness; cache: LeaderEpochCache }> {
    const h = new Harness(3);
    const disk = await h.disk();
    await h.drive(disk.mkdir(dir));
    await h.drive(writeLeaderEpochCheckpoint(disk, dir, entries));
    const { cache } = await h.drive(LeaderEpochCache.open(disk, dir));
    return { h, cache };
  }

  it('trims epochs past the log end (the log was truncated, the history write was lost)', async () => {
    const { h, cache } = await cacheWith(e([1, 0], [2, 10], [3, 20]));
    expect(await h.drive(cache.reconcile({ logStartOffset: 0n, logEndOffset: 15n, lastBatchEpoch: 2 }))).toBe('ok');
    expect(cache.entries()).toEqual(e([1, 0], [2, 10]));
    expect((await h.drive(readLeaderEpochCheckpoint(await h.crash(), dir))).kind).toBe('ok');
  });

  it('drops an epoch assigned at the log end whose first batch never became durable', async () => {
    const { h, cache } = await cacheWith(e([1, 0], [2, 10]));
    expect(await h.drive(cache.reconcile({ logStartOffset: 0n, logEndOffset: 10n, lastBatchEpoch: 1 }))).toBe('ok');
    expect(cache.entries()).toEqual(e([1, 0]));
  });

  it('moves the first epoch up to the log start', async () => {
    const { h, cache } = await cacheWith(e([1, 0], [2, 10]));
    expect(await h.drive(cache.reconcile({ logStartOffset: 12n, logEndOffset: 15n, lastBatchEpoch: 2 }))).toBe('ok');
    expect(cache.entries()).toEqual(e([2, 12]));
  });

  it('reports stale when the log holds a newer epoch than the history, and a rebuild replaces it', async () => {
    const { h, cache } = await cacheWith(e([1, 0]));
    expect(await h.drive(cache.reconcile({ logStartOffset: 0n, logEndOffset: 15n, lastBatchEpoch: 4 }))).toBe('stale');
    const rebuilt = rebuildFromBatches([
      { baseOffset: 0n, partitionLeaderEpoch: 1 },
      { baseOffset: 8n, partitionLeaderEpoch: 4 },
    ]);
    await h.drive(cache.replace(rebuilt));
    const reopened = await h.drive(LeaderEpochCache.open(await h.crash(), dir));
    expect(reopened.cache.entries()).toEqual(e([1, 0], [4, 8]));
    expect(await h.drive(reopened.cache.reconcile({ logStartOffset: 0n, logEndOffset: 15n, lastBatchEpoch: 4 }))).toBe('ok');
  });

  it('an empty log without epochs is consistent with any history left at its start', async () => {
    const { h, cache } = await cacheWith(e([3, 10]));
    expect(await h.drive(cache.reconcile({ logStartOffset: 50n, logEndOffset: 50n, lastBatchEpoch: null }))).toBe('ok');
    expect(cache.entries()).toEqual(e([3, 50]));
  });
});

describe('a crash at every step of a checkpoint write leaves the old or the new file, never garbage', () => {
  const cases = [
    { name: 'replacing an existing checkpoint', old: e([1, 0], [2, 10]) as EpochEntry[] | null },
    { name: 'writing the first checkpoint', old: null },
  ];
  const next = e([1, 0], [2, 10], [5, 30]);

  for (const c of cases) {
    it(c.name, async () => {
      const seen = new Set<string>();
      let stepsTotal = 0;
      for (let stepsAllowed = 0; ; stepsAllowed++) {
        let finished = false;
        for (let seed = 0; seed < 5; seed++) {
          const h = new Harness(100 * stepsAllowed + seed);
          const disk = await h.disk();
          await h.drive(disk.mkdir(dir));
          await h.drive(disk.syncDir('data'));
          if (c.old !== null) await h.drive(writeLeaderEpochCheckpoint(disk, dir, c.old));
          const stopping = new StoppingDisk(disk, stepsAllowed);
          let done = false;
          void writeLeaderEpochCheckpoint(stopping.disk(), dir, next).then(() => (done = true));
          await h.sim.run({ until: () => done || stopping.stopped });
          // Let the last step that went through settle, or not: the crash comes at a random point after it.
          await h.sim.run({ untilMs: h.sim.nowMs() + seed });
          const after = await h.drive(readLeaderEpochCheckpoint(await h.crash(), dir));
          if (done) expect(after).toEqual({ kind: 'ok', entries: next });
          if (after.kind === 'ok') expect([c.old, next]).toContainEqual(after.entries);
          expect(after.kind).not.toBe('corrupt');
          seen.add(after.kind === 'ok' ? (after.entries.length === next.length ? 'new' : 'old') : after.kind);
          finished = done;
          stepsTotal = Math.max(stepsTotal, stopping.steps.length);
        }
        if (finished) break;
        expect(stepsAllowed).toBeLessThan(20);
      }
      // remove temp, open temp, append, sync, rename, syncDir: each was crashed before.
      expect(stepsTotal).toBe(6);
      expect(seen).toContain('new');
      expect(seen).toContain(c.old === null ? 'missing' : 'old');
    });
  }
});
