import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DiskFile, Io } from '../core/io/index.ts';
import { sectorBytes } from './sim-disk.ts';
import { Simulation, type SimNode } from './simulation.ts';

type Op = { kind: 'append'; size: number } | { kind: 'sync' } | { kind: 'crash' };

const ops = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 300 }).map((size): Op => ({ kind: 'append', size })) },
    { weight: 2, arbitrary: fc.constant<Op>({ kind: 'sync' }) },
    { weight: 1, arbitrary: fc.constant<Op>({ kind: 'crash' }) },
  ),
  { minLength: 1, maxLength: 40 },
);

function startsWith(whole: Uint8Array, prefix: Uint8Array): boolean {
  return whole.length >= prefix.length && Buffer.from(whole.subarray(0, prefix.length)).equals(Buffer.from(prefix));
}

/** Crashes so far that left a zero-filled tail (a torn write that kept its length). */
let zeroFilledTails = 0;

/**
 * Drives one file through appends, syncs and crashes, awaiting each operation, and after every crash
 * checks the durability contract: the file holds every byte that a resolved sync covered, and beyond
 * that only a prefix (possibly torn) of what was written after it, possibly followed by zeros where
 * the torn write's bytes should be (its length survived, its data did not), never past what was
 * written.
 */
async function check(seed: number, script: Op[], syncIsNoop = false): Promise<void> {
  const sim = new Simulation({ seed, plantedBugs: { disk: { syncIsNoop } } });
  let file: DiskFile | undefined;
  const node = sim.addNode('n1', async (nodeIo) => {
    await nodeIo.disk.mkdir('d');
    file = await nodeIo.disk.open('d/f', { create: true });
    await nodeIo.disk.syncDir('d');
  });
  await sim.run({ untilMs: 100 });
  let synced: Uint8Array = new Uint8Array(0);
  let written: Uint8Array = new Uint8Array(0);
  let counter = 0;
  for (const op of script) {
    if (op.kind === 'append') {
      const bytes = Uint8Array.from({ length: op.size }, () => counter++ & 0xff);
      const done = file!.append(bytes);
      await sim.run({ until: () => false, untilMs: sim.nowMs() + 50 });
      await done;
      written = Buffer.concat([written, bytes]);
    } else if (op.kind === 'sync') {
      let resolved = false;
      void file!.sync().then(() => (resolved = true));
      await sim.run({ untilMs: sim.nowMs() + 50 });
      expect(resolved).toBe(true);
      synced = written;
    } else {
      node.crash();
      node.restart();
      await sim.run({ untilMs: sim.nowMs() + 100 });
      const after = await readAll(sim, file!);
      expect(startsWith(after, synced), 'every synced byte survives').toBe(true);
      expect(after.length <= written.length, 'nothing survives that was never written').toBe(true);
      let same = 0;
      while (same < after.length && after[same] === written[same]) same++;
      const rest = after.subarray(same);
      expect(rest.every((b) => b === 0), 'what survives beyond is a prefix of what was written, then zeros').toBe(true);
      if (rest.length > 0) zeroFilledTails++;
      synced = after;
      written = after;
      counter = after.length;
    }
  }
}

async function readAll(sim: Simulation, file: DiskFile): Promise<Uint8Array> {
  let out: Uint8Array | undefined;
  void file.read(0, file.size()).then((bytes) => (out = bytes));
  await sim.run({ untilMs: sim.nowMs() + 10 });
  return out!;
}

describe('simulated disk', () => {
  it('a crash keeps exactly the synced bytes, plus at most a torn prefix of the rest (with zeros after the tear, or not)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), ops, (seed, script) => check(seed, script)), { numRuns: 80 });
  });

  // That the zero-filled kind of tear (a torn write that kept its length: zeros after the tear) is
  // among what the property above checks, under a fixed seed: with fast-check's random seed, 80
  // runs drew none now and then, and a coverage check must not depend on luck.
  it('the zero-filled kind of tear happens in those runs', async () => {
    zeroFilledTails = 0;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), ops, (seed, script) => check(seed, script)), { numRuns: 80, seed: 20261201 });
    expect(zeroFilledTails).toBeGreaterThan(0);
  });

  it('the property is sharp: it catches a sync that makes nothing durable', async () => {
    const result = await fc.check(
      fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), ops, (seed, script) => check(seed, script, true)),
      // Pinned: a sharpness check must find its planted bug on every run, so FC_SEED does not move it.
      { numRuns: 200, seed: 1 },
    );
    expect(result.failed).toBe(true);
  });

  it('a created file survives a crash only once its directory was synced', async () => {
    const sim = new Simulation({ seed: 3 });
    const seen: string[][] = [];
    const node = sim.addNode('n1', async (io) => {
      seen.push(await io.disk.list('d'));
      if (seen.length > 1) return;
      await io.disk.mkdir('d');
      const a = await io.disk.open('d/a', { create: true });
      await a.append(new Uint8Array([1]));
      await a.sync();
      await io.disk.syncDir('d');
      const b = await io.disk.open('d/b', { create: true });
      await b.append(new Uint8Array([2]));
      await b.sync();
    });
    await sim.run({ untilMs: 100 });
    node.crash();
    node.restart();
    await sim.run({ untilMs: 200 });
    expect(seen).toEqual([[], ['a']]);
  });

  it('fails an injected fsync with EIO and a write on a full disk with ENOSPC, storing nothing', async () => {
    const sim = new Simulation({ seed: 4 });
    const errors: string[] = [];
    let size = -1;
    const node = sim.addNode('n1', async (io) => {
      const f = await io.disk.open('f', { create: true });
      await f.append(new Uint8Array(10));
      node.disk.faults.failNextSync();
      await f.sync().catch((e: { code: string }) => errors.push(e.code));
      node.disk.faults.setFull(true);
      await f.append(new Uint8Array(5)).catch((e: { code: string }) => errors.push(e.code));
      size = f.size();
    });
    await sim.run({ untilMs: 100 });
    expect(errors).toEqual(['EIO', 'ENOSPC']);
    expect(size).toBe(10);
  });

  it('read errors: with odds p each read fails with EIO (about p of them), nothing stored changes, and odds 0 end them', async () => {
    const sim = new Simulation({ seed: 5 });
    let failed = 0;
    let good = 0;
    let afterOff = 0;
    const node = sim.addNode('n1', async (io) => {
      const f = await io.disk.open('f', { create: true });
      await f.append(Uint8Array.from([1, 2, 3, 4]));
      node.disk.faults.setReadErrorOdds(0.2);
      for (let i = 0; i < 500; i++) {
        try {
          expect(Array.from(await f.read(0, 4))).toEqual([1, 2, 3, 4]);
          good++;
        } catch (error) {
          expect((error as { code: string }).code).toBe('EIO');
          failed++;
        }
      }
      node.disk.faults.setReadErrorOdds(0);
      for (let i = 0; i < 100; i++) afterOff += (await f.read(0, 4)).length === 4 ? 1 : 0;
    });
    await sim.run({ untilMs: 10_000 });
    expect(failed + good).toBe(500);
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    expect(afterOff).toBe(100);
    expect(sim.recentTrace().some((line) => line.includes('FaultReadErrors'))).toBe(true);
  });

  it('fsyncgate: after an EIO reads still see the bytes, a retried fsync succeeds, and they are not durable', async () => {
    let lostInSomeSeed = false;
    for (let seed = 1; seed <= 10; seed++) {
      const sim = new Simulation({ seed });
      const codes: string[] = [];
      let seenBeforeCrash = -1;
      let seenAfterCrash = -1;
      const node = sim.addNode('n1', async (io) => {
        const f = await io.disk.open('f', { create: true });
        await io.disk.syncDir('');
        if (f.size() > 0 || seenBeforeCrash >= 0) {
          seenAfterCrash = f.size();
          return;
        }
        for (let i = 0; i < 4; i++) await f.append(new Uint8Array(10).fill(i + 1));
        node.disk.faults.failNextSync();
        await f.sync().catch((e: { code: string }) => codes.push(e.code));
        seenBeforeCrash = (await f.read(0, 40)).filter((b) => b !== 0).length;
        await f.sync().then(() => codes.push('ok'));
      });
      await sim.run({ untilMs: 100 });
      node.crash();
      node.restart();
      await sim.run({ untilMs: 200 });
      expect(codes).toEqual(['EIO', 'ok']);
      expect(seenBeforeCrash).toBe(40);
      // What the failed fsync wrote survives; the rest is gone though the retry "succeeded".
      expect(seenAfterCrash % 10).toBe(0);
      if (seenAfterCrash < 40) lostInSomeSeed = true;
    }
    expect(lostInSomeSeed).toBe(true);
  });

  it('a bit flip changes exactly one bit of durable data', async () => {
    const sim = new Simulation({ seed: 5 });
    let before: Uint8Array | undefined;
    let after: Uint8Array | undefined;
    const node = sim.addNode('n1', async (io) => {
      const f = await io.disk.open('f', { create: true });
      if (f.size() === 0) {
        await f.append(Uint8Array.from({ length: 64 }, (_, i) => i));
        await f.sync();
        await io.disk.syncDir('');
        before = await f.read(0, 64);
      } else {
        after = await f.read(0, 64);
      }
    });
    await sim.run({ untilMs: 100 });
    expect(node.disk.faults.corruptRandomByte()).not.toBeNull();
    node.restart();
    await sim.run({ untilMs: 200 });
    let bitsDiffering = 0;
    for (let i = 0; i < 64; i++) bitsDiffering += [...(before![i]! ^ after![i]!).toString(2)].filter((c) => c === '1').length;
    expect(bitsDiffering).toBe(1);
  });

  describe('storage faults (TigerBeetle-style)', () => {
    /** One node with file `f` holding `size` synced bytes (no two sectors alike), its io kept for the test. */
    async function fileOf(seed: number, size: number): Promise<{ sim: Simulation; node: SimNode; file: () => DiskFile; reopen: () => Promise<DiskFile>; content: Uint8Array }> {
      const sim = new Simulation({ seed });
      const content = Uint8Array.from({ length: size }, (_, i) => (i * 7 + Math.floor(i / sectorBytes) * 31 + 3) & 0xff);
      let io: Io | undefined;
      let file: DiskFile | undefined;
      const node = sim.addNode('n1', (nodeIo) => {
        io = nodeIo;
      });
      await sim.run({ untilMs: 1 });
      file = await sim.runUntilSettled(io!.disk.open('f', { create: true }));
      await sim.runUntilSettled(io!.disk.syncDir(''));
      await sim.runUntilSettled(file.append(content));
      await sim.runUntilSettled(file.sync());
      // After a crash and restart: run the new incarnation's boot, then open the file in it.
      const reopen = async (): Promise<DiskFile> => {
        await sim.run({ untilMs: sim.nowMs() + 10 });
        return sim.runUntilSettled(io!.disk.open('f'));
      };
      return { sim, node, file: () => file!, reopen, content };
    }

    async function tryRead(sim: Simulation, file: DiskFile, position: number, length: number): Promise<Uint8Array | 'EIO'> {
      try {
        return await sim.runUntilSettled(file.read(position, length));
      } catch (error) {
        expect((error as { code: string }).code).toBe('EIO');
        return 'EIO';
      }
    }

    const overlaps = (a: number, b: number, c: number, d: number): boolean => a < d && c < b;

    it('a latent sector error fails every read that touches its sector, and only those, until a write covers the whole sector', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1e9 }),
          fc.integer({ min: 1, max: 6 * sectorBytes }),
          fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 * sectorBytes })), { minLength: 1, maxLength: 12 }),
          fc.boolean(),
          async (seed, size, where, reads, wholeRewrite) => {
            const { sim, node, file, reopen, content } = await fileOf(seed, size);
            const planted = node.disk.faults.plantLatentSectorError({ path: 'f', position: Math.floor(where * size) });
            const sectorStart = Math.floor(Math.floor(where * size) / sectorBytes) * sectorBytes;
            expect(planted).toBe(`f@${sectorStart}`);
            const sectorEnd = Math.min(sectorStart + sectorBytes, size);
            for (const [at, length] of reads) {
              const position = at % size;
              const got = await tryRead(sim, file(), position, length);
              const end = Math.min(position + length, size);
              if (overlaps(position, end, sectorStart, sectorEnd)) expect(got, `read ${position}+${length} touches the bad sector`).toBe('EIO');
              else expect(got).toEqual(content.subarray(position, end));
            }
            // A write over part of the sector does not remap it; one over all of its bytes does.
            const fresh = new Uint8Array(sectorEnd - sectorStart).fill(0xab);
            const written = wholeRewrite ? fresh : fresh.subarray(0, Math.max(fresh.length - 1, 0));
            await sim.runUntilSettled(file().write(sectorStart, written));
            await sim.runUntilSettled(file().sync());
            const after = await tryRead(sim, file(), sectorStart, sectorEnd - sectorStart);
            if (wholeRewrite || written.length === fresh.length) expect(after).toEqual(fresh);
            else expect(after).toBe('EIO');
            // Still so after a crash: the remap is as durable as the write that made it.
            node.crash();
            node.restart();
            const reopened = await reopen();
            const afterCrash = await tryRead(sim, reopened, sectorStart, sectorEnd - sectorStart);
            expect(afterCrash).toEqual(after);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('a misdirected write leaves its intended range unchanged and puts its bytes whole sectors earlier in the same file', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1e9 }),
          fc.integer({ min: sectorBytes, max: 5 * sectorBytes }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.integer({ min: 1, max: 2 * sectorBytes }),
          async (seed, size, where, length) => {
            const { sim, node, file, reopen, content } = await fileOf(seed, size);
            const position = sectorBytes + Math.floor(where * (size - sectorBytes)); // from one sector in up to the end (an append)
            const data = Uint8Array.from({ length }, (_, i) => (i * 13 + 101) & 0xff);
            node.disk.faults.setMisdirectionOdds({ writes: 1, reads: 0 });
            await sim.runUntilSettled(file().write(position, data));
            node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
            const damage = node.diskState.damage('f');
            expect(damage.map((d) => d.kind)).toEqual(['misdirected-intended', 'misdirected-landed']);
            const landed = damage[1]!.start;
            expect(landed < position && (position - landed) % sectorBytes === 0, `landed ${landed} for ${position}`).toBe(true);
            const newSize = Math.max(size, position + length);
            const expected = new Uint8Array(newSize);
            expected.set(content);
            expected.set(data, landed);
            await sim.runUntilSettled(file().sync());
            for (const survive of [false, true]) {
              if (survive) {
                node.crash();
                node.restart();
              }
              const f = survive ? await reopen() : file();
              expect(f.size()).toBe(newSize);
              const seen = await sim.runUntilSettled(f.read(0, newSize));
              // Compared as buffers: a deep equality over tens of KiB, element by element, took most of the test's time.
              expect(Buffer.compare(seen, expected)).toBe(0);
              // The intended twin holds the write where it was aimed, for checkers.
              const intended = new Uint8Array(newSize);
              intended.set(content);
              intended.set(data, position);
              expect(Buffer.compare(node.diskState.pristineRead('f')!, intended)).toBe(0);
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('a misdirected read returns the bytes of a place whole sectors away, once; the file is unchanged', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: sectorBytes + 1, max: 5 * sectorBytes }), fc.nat(), fc.integer({ min: 1, max: sectorBytes }), async (seed, size, at, length) => {
          const { sim, node, file, content } = await fileOf(seed, size);
          const position = at % (size - length + 1 > 0 ? size - length + 1 : 1);
          node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 1 });
          const got = await sim.runUntilSettled(file().read(position, length));
          node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
          const want = content.subarray(position, Math.min(position + length, size));
          expect(got.length).toBe(want.length);
          const shifts = [];
          for (let from = position % sectorBytes; from + want.length <= size; from += sectorBytes) if (from !== position) shifts.push(from);
          if (shifts.length === 0) expect(got).toEqual(want);
          else {
            expect(got).not.toEqual(want);
            expect(shifts.some((from) => Buffer.from(content.subarray(from, from + want.length)).equals(Buffer.from(got)))).toBe(true);
          }
          expect(node.diskState.storageCounts.misdirectedReads).toBe(shifts.length === 0 ? 0 : 1);
          expect(await sim.runUntilSettled(file().read(position, length))).toEqual(want);
          expect(await sim.runUntilSettled(file().read(0, size))).toEqual(content);
        }),
        { numRuns: 40 },
      );
    });
  });
});
