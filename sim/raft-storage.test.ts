import { describe, expect, it } from 'vitest';
import type { Disk, DiskFile, Io } from '../src/core/io/index.ts';
import { nullLog } from '../src/core/io/index.ts';
import { Simulation } from '../src/io-sim/index.ts';
import { encodeEntryRecord } from '../src/core/raft/codec.ts';
import { termsToEntries } from '../src/testing/raft-network.ts';
import { RaftStorage, RaftStorageError } from '../src/core/raft/storage.ts';
import type { Entry, HardState, Ready, Snapshot } from '../src/core/raft/types.ts';

/** A simulated node whose Io we drive by hand; restart() gives a fresh Io over what survived. */
class Harness {
  readonly sim: Simulation;
  io: Io | null = null;
  constructor(seed: number) {
    this.sim = new Simulation({ seed });
    this.sim.addNode('s', (io) => {
      this.io = io;
    });
  }
  async boot(): Promise<Io> {
    this.io = null;
    await this.sim.run({ until: () => this.io !== null });
    return this.io as unknown as Io;
  }
  async drive<T>(promise: Promise<T>): Promise<T> {
    let out: { v: T } | { e: unknown } | null = null;
    promise.then(
      (v) => (out = { v }),
      (e: unknown) => (out = { e }),
    );
    // Let the operation's first microtasks run, so its first disk call is scheduled before run() looks.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.sim.run({ until: () => out !== null });
    if (out === null) throw new Error(`simulation stopped before the operation settled: ${this.sim.failed.join('; ')}`);
    const r = out as unknown as { v: T } | { e: unknown };
    if ('e' in r) throw r.e;
    return r.v;
  }
  async crashAndOpen(): Promise<{ storage: RaftStorage; hardState: HardState; snapshot: Snapshot | null; entries: readonly Entry[] }> {
    this.sim.node('s').crash();
    this.sim.node('s').start();
    const io = await this.boot();
    const { storage, initial } = await this.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    return { storage, ...initial };
  }
}

function ready(entries: Entry[], hardState: HardState | null = null, snapshot: Snapshot | null = null): Ready {
  return { softState: null, hardState, snapshot, entries, messages: [], committedEntries: [] };
}

const terms = (es: readonly Entry[]): string => es.map((e) => `${e.index}/${e.term}`).join(' ');

describe('raft storage', () => {
  it('recovers fsynced entries and hard state after a crash', async () => {
    const h = new Harness(1);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries([1, 1, 2, 2, 2]), { term: 2, vote: 3, commit: 4 })));
    await h.drive(storage.persist(ready([], { term: 3, vote: 0, commit: 5 })));
    const after = await h.crashAndOpen();
    expect(terms(after.entries)).toBe('1/1 2/1 3/2 4/2 5/2');
    expect(after.hardState).toEqual({ term: 3, vote: 0, commit: 5 });
  });

  it('cuts a torn record at the tail and keeps appending after it', async () => {
    const h = new Harness(2);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries([1, 1, 1]))));
    // Half of a fourth record reaches the disk (as a torn write would leave it).
    const [segName] = await h.drive(io.disk.list('raft/log'));
    const file = await h.drive(io.disk.open(`raft/log/${segName}`));
    const record = encodeEntryRecord(termsToEntries([1], 4)[0] as Entry);
    await h.drive(file.append(record.subarray(0, 11)));
    await h.drive(file.sync());
    const after = await h.crashAndOpen();
    expect(terms(after.entries)).toBe('1/1 2/1 3/1');
    await h.drive(after.storage.persist(ready(termsToEntries([2], 4))));
    expect(terms((await h.crashAndOpen()).entries)).toBe('1/1 2/1 3/1 4/2');
  });

  it('replaces a conflicting suffix', async () => {
    const h = new Harness(3);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries([1, 1, 1, 1, 1]))));
    await h.drive(storage.persist(ready(termsToEntries([2, 2], 3))));
    expect(terms((await h.crashAndOpen()).entries)).toBe('1/1 2/1 3/2 4/2');
  });

  it('a snapshot plus compaction leaves a short tail, and restart reads snapshot + tail', async () => {
    const h = new Harness(4);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries(new Array<number>(10).fill(1)))));
    const snap: Snapshot = { meta: { index: 8, term: 1, voters: [1, 2, 3] }, data: new Uint8Array([8]) };
    await h.drive(storage.saveSnapshot(snap, 6));
    await h.drive(storage.persist(ready(termsToEntries([1], 11))));
    await h.drive(storage.saveSnapshot({ ...snap, meta: { ...snap.meta, index: 11 } }, 11));
    const after = await h.crashAndOpen();
    expect(after.snapshot?.meta.index).toBe(11);
    expect(after.entries).toHaveLength(0);
    expect((await h.drive((h.io as unknown as Io).disk.list('raft/log'))).length).toBeLessThanOrEqual(2);
    // A snapshot from the leader replaces the log.
    await h.drive(after.storage.persist(ready(termsToEntries([3], 21), null, { meta: { index: 20, term: 3, voters: [1] }, data: new Uint8Array() })));
    const again = await h.crashAndOpen();
    expect(again.snapshot?.meta.index).toBe(20);
    expect(terms(again.entries)).toBe('21/3');
  });

  it('every persist that resolved survives crashes with torn unsynced writes (30 seeds)', async () => {
    for (let seed = 10; seed < 40; seed++) {
      const h = new Harness(seed);
      const io = await h.boot();
      let { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
      let durable = 0;
      let next = 1;
      for (let round = 0; round < 6; round++) {
        await h.drive(storage.persist(ready(termsToEntries([round + 1, round + 1, round + 1], next), { term: round + 1, vote: 1, commit: next })));
        next += 3;
        durable = next - 1;
        // One more persist in flight when the power goes.
        void storage.persist(ready(termsToEntries([round + 1], next)));
        await h.sim.run({ untilMs: h.sim.nowMs() + (seed % 3) * 0.5 });
        const after = await h.crashAndOpen();
        expect(after.entries.length).toBeGreaterThanOrEqual(durable);
        expect(after.hardState.term).toBeGreaterThanOrEqual(round + 1);
        storage = after.storage;
        next = after.entries.length + 1;
      }
    }
  });
});

describe('raft storage: damage to fsynced data', () => {
  it('refuses to start when a record in the middle of the log is damaged, instead of dropping what follows', async () => {
    const h = new Harness(50);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries([1, 1, 1, 1]), { term: 1, vote: 1, commit: 4 })));
    const [segName] = await h.drive(io.disk.list('raft/log'));
    const file = await h.drive(io.disk.open(`raft/log/${segName}`));
    const record = encodeEntryRecord(termsToEntries([1], 2)[0] as Entry);
    // Flip a byte inside the second record's body, and make it durable.
    await h.drive(file.write(record.length + 12, new Uint8Array([0xff])));
    await h.drive(file.sync());
    h.sim.node('s').crash();
    h.sim.node('s').start();
    const io2 = await h.boot();
    await expect(h.drive(RaftStorage.open(io2.disk, 'raft', nullLog))).rejects.toThrow(RaftStorageError);
  });

  it('refuses to start when both hard-state slots are damaged', async () => {
    const h = new Harness(51);
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready([], { term: 1, vote: 1, commit: 0 })));
    await h.drive(storage.persist(ready([], { term: 2, vote: 2, commit: 0 })));
    const state = await h.drive(io.disk.open('raft/state'));
    await h.drive(state.write(20, new Uint8Array([0xaa])));
    await h.drive(state.write(60, new Uint8Array([0xaa])));
    await h.drive(state.sync());
    h.sim.node('s').crash();
    h.sim.node('s').start();
    const io2 = await h.boot();
    await expect(h.drive(RaftStorage.open(io2.disk, 'raft', nullLog))).rejects.toThrow(/both hard-state slots/);
  });
});

/**
 * A Disk whose mutating calls stop after a budget: the call that would exceed it never returns, as
 * if the power went just before it. Reads pass through.
 */
function diskWithBudget(disk: Disk, budget: { left: number }): Disk {
  const gate = <T>(op: () => Promise<T>): Promise<T> => (budget.left-- > 0 ? op() : new Promise<T>(() => {}));
  const wrapFile = (file: DiskFile): DiskFile => ({
    get path() {
      return file.path;
    },
    size: () => file.size(),
    read: (position, length) => file.read(position, length),
    close: () => file.close(),
    append: (data) => gate(() => file.append(data)),
    appendChunks: (chunks) => gate(() => file.appendChunks(chunks)),
    write: (position, data) => gate(() => file.write(position, data)),
    sync: () => gate(() => file.sync()),
    truncate: (size) => gate(() => file.truncate(size)),
  });
  return {
    open: (path, options) => gate(async () => wrapFile(await disk.open(path, options))),
    list: (dir) => disk.list(dir),
    mkdir: (dir) => disk.mkdir(dir),
    exists: (path) => disk.exists(path),
    rename: (from, to) => gate(() => disk.rename(from, to)),
    remove: (path) => gate(() => disk.remove(path)),
    syncDir: (dir) => gate(() => disk.syncDir(dir)),
  };
}

describe('raft storage: installing a leader snapshot is crash-safe at every step', () => {
  // The old log: 1..10 in term 1 and 11..25 in term 2, over three segments, with an own snapshot at 5.
  async function oldLog(h: Harness): Promise<void> {
    const io = await h.boot();
    const { storage } = await h.drive(RaftStorage.open(io.disk, 'raft', nullLog));
    await h.drive(storage.persist(ready(termsToEntries(new Array<number>(10).fill(1)), { term: 2, vote: 1, commit: 5 })));
    await h.drive(storage.saveSnapshot({ meta: { index: 5, term: 1, voters: [1, 2, 3] }, data: new Uint8Array([5]) }, 0));
    await h.drive(storage.persist(ready(termsToEntries(new Array<number>(10).fill(2), 11))));
    await h.drive(storage.saveSnapshot({ meta: { index: 5, term: 1, voters: [1, 2, 3] }, data: new Uint8Array([5]) }, 0));
    await h.drive(storage.persist(ready(termsToEntries(new Array<number>(5).fill(2), 21))));
  }

  // A leader snapshot inside the old log whose term differs (the tail diverges), one inside it whose
  // term matches (the tail after it stays), and one past its end.
  const cases = [
    { name: 'diverging at 22', meta: { index: 22, term: 3, voters: [1, 2, 3] }, keptAfter: '' },
    { name: 'matching at 15', meta: { index: 15, term: 2, voters: [1, 2, 3] }, keptAfter: '16/2 17/2 18/2 19/2 20/2 21/2 22/2 23/2 24/2 25/2' },
    { name: 'past the end at 40', meta: { index: 40, term: 3, voters: [1, 2, 3] }, keptAfter: '' },
  ];
  const oldAfter5 = Array.from({ length: 20 }, (_, k) => `${k + 6}/${k + 6 <= 10 ? 1 : 2}`).join(' ');

  for (const c of cases) {
    it(`a snapshot ${c.name}: after a crash at each step, the old log or the snapshot, and appends go on`, async () => {
      let steps = 0;
      for (let budget = 0; ; budget++) {
        const h = new Harness(70 + budget);
        await oldLog(h);
        const io = h.io as unknown as Io;
        const left = { left: Number.POSITIVE_INFINITY };
        const { storage } = await h.drive(RaftStorage.open(diskWithBudget(io.disk, left), 'raft', nullLog));
        left.left = budget;
        let installed = false;
        void storage.persist(ready([], { term: 3, vote: 0, commit: c.meta.index }, { meta: c.meta, data: new Uint8Array([9]) })).then(() => {
          installed = true;
        });
        await h.sim.run({ until: () => installed });
        const after = await h.crashAndOpen();
        if (after.snapshot?.meta.index === c.meta.index) {
          // The log's own tail after a matching snapshot entry may stay, or the part of it (a prefix) the
          // crash left; a tail that diverged from the snapshot never does.
          expect(`${c.keptAfter} `.startsWith(`${terms(after.entries)} `.trimStart())).toBe(true);
        } else {
          // The snapshot never became durable: the old log is whole.
          expect(installed).toBe(false);
          expect(after.snapshot?.meta.index).toBe(5);
          expect(terms(after.entries)).toBe(oldAfter5);
        }
        // Whatever survived, the log takes the next append and reads back contiguous after a restart.
        const next = (after.snapshot?.meta.index ?? 0) + after.entries.length + 1;
        await h.drive(after.storage.persist(ready(termsToEntries([4], next), { term: 4, vote: 0, commit: 0 })));
        const again = await h.crashAndOpen();
        expect(again.entries[again.entries.length - 1]).toMatchObject({ index: next, term: 4 });
        again.entries.forEach((e, k) => expect(e.index).toBe((again.snapshot?.meta.index ?? 0) + 1 + k));
        steps++;
        if (installed) break;
        expect(budget).toBeLessThan(50);
      }
      // The install takes several disk steps (snapshot file, rename, directory syncs, removals): each was crashed at.
      expect(steps).toBeGreaterThan(6);
    });
  }
});
