import { assert } from '../core/assert.ts';
import { DiskError, dirName, type Disk, type DiskFile } from '../core/io/disk.ts';
import type { Random } from '../core/io/random.ts';
import type { EventOwner, Scheduler } from './scheduler.ts';
import { tracedKnobs } from './traced-knobs.ts';

/**
 * An unsynced write or truncate. `orphaned` (writes only): a failed fsync covered it and did not
 * write it (Linux then marks its pages clean: reads still see it, no later fsync writes it, a crash
 * loses it). A truncate is never orphaned: it changes the in-memory inode, which stays dirty, so the
 * next good fsync writes it.
 */
type PendingOp = (
  | { kind: 'write'; seq: number; position: number; data: Uint8Array; landed?: number }
  | { kind: 'truncate'; seq: number; size: number }
) & { orphaned?: boolean };

/**
 * The sector size of the simulated disk's storage faults: a latent sector error makes one aligned
 * sector unreadable, and a misdirected write or read is off by a whole number of sectors.
 */
export const sectorBytes = 4096;

/**
 * A stretch of a file whose bytes a storage fault destroyed (or made unreadable): a latent sector
 * error's sector, a misdirected write's intended range (it kept its old bytes, or zeros where the
 * write grew the file) and the range it landed on instead (its old bytes are gone). Positions are
 * the file's; the list follows the file through renames and is never shortened, so a checker can
 * still tell, after a recovery cut them off, which bytes the disk destroyed.
 */
export interface DiskDamage {
  readonly kind: 'latent-sector' | 'misdirected-intended' | 'misdirected-landed';
  readonly start: number;
  readonly end: number;
}

/**
 * A file's bytes as the simulated platter and page cache hold them: `durable` is what survives a
 * crash; `pending` are the writes and truncates since the last good sync, in issue order. Reads see
 * durable bytes with the pending ops laid over them.
 */
class Inode {
  durable = new Uint8Array(64);
  durableSize = 0;
  pending: PendingOp[] = [];
  size = 0;
  opSeqNext = 0;
  /** Sectors (index = position / sectorBytes) whose durable bytes cannot be read until rewritten. */
  latent = new Set<number>();
  /** Every stretch a storage fault destroyed (DiskDamage). */
  readonly damage: DiskDamage[] = [];
  /**
   * The file as it would be had no write been misdirected (every op at its intended position):
   * made at the first misdirected write, then fed every op, sync and crash the file gets. Checkers
   * read it to know where a record should have been (SimDiskState.pristineRead); nothing else does.
   */
  twin: Inode | null = null;

  read(position: number, length: number): Uint8Array {
    const end = Math.min(position + length, this.size);
    if (end <= position) return new Uint8Array(0);
    if (this.pending.length === 0 && end <= this.durableSize) return this.durable.slice(position, end);
    const out = new Uint8Array(end - position);
    out.set(this.durable.subarray(position, Math.min(end, this.durableSize)));
    let sizeSoFar = this.durableSize;
    for (const op of this.pending) {
      if (op.kind === 'truncate') {
        if (op.size < end) out.fill(0, Math.max(op.size - position, 0));
        sizeSoFar = op.size;
        continue;
      }
      // A misdirected write's bytes sit where it landed; its intended range keeps what was there.
      const at = op.landed ?? op.position;
      const from = Math.max(at, position);
      const to = Math.min(at + op.data.length, end);
      if (from < to) out.set(op.data.subarray(from - at, to - at), from - position);
      sizeSoFar = Math.max(sizeSoFar, op.position + op.data.length);
    }
    assert(sizeSoFar === this.size, 'inode size agrees with its ops');
    return out;
  }

  /**
   * Applies the first `count` pending ops to the durable image (count < 0: all), orphaned ones
   * excepted: they leave the page cache unwritten, so reads no longer see them.
   */
  persist(count: number, tornBytes = -1, zeroFilled = false): void {
    const n = count < 0 ? this.pending.length : count;
    let orphansDropped = false;
    for (let i = 0; i < n; i++) {
      const op = this.pending[i]!;
      if (op.orphaned === true) orphansDropped = true;
      else this.applyDurable(op, -1);
    }
    const torn = this.pending[n];
    if (tornBytes >= 0 && torn !== undefined && torn.orphaned !== true) this.applyDurable(torn, tornBytes, zeroFilled);
    this.pending = this.pending.slice(n);
    if (orphansDropped) this.size = this.visibleSize();
    this.twin?.persist(count, tornBytes, zeroFilled);
  }

  /** fsyncgate: a failed fsync wrote the first `count` pending ops and orphaned the other writes. */
  failSync(count: number): void {
    this.persist(count);
    for (const op of this.pending) if (op.kind === 'write') op.orphaned = true;
    if (this.twin !== null) for (const op of this.twin.pending) if (op.kind === 'write') op.orphaned = true;
  }

  /** A crash: the unsynced ops not persisted are gone. */
  dropPending(): void {
    this.pending = [];
    this.size = this.durableSize;
    this.twin?.dropPending();
  }

  /** Queues an op (and its intended twin, without the misdirection). */
  push(op: PendingOp): void {
    this.pending.push(op);
    const twin = this.twin;
    if (twin === null) return;
    twin.pending.push(op.kind === 'write' ? { kind: 'write', seq: op.seq, position: op.position, data: op.data } : { ...op });
    twin.size = op.kind === 'write' ? Math.max(twin.size, op.position + op.data.length) : op.size;
    twin.opSeqNext = op.seq + 1;
  }

  /** Starts the intended twin as a copy of the file now (before its first misdirected write). */
  makeTwin(): void {
    if (this.twin !== null) return;
    const twin = new Inode();
    twin.durable = this.durable.slice();
    twin.durableSize = this.durableSize;
    twin.pending = this.pending.map((op) => ({ ...op }));
    twin.size = this.size;
    twin.opSeqNext = this.opSeqNext;
    this.twin = twin;
  }

  /** The sector's bytes that are on the platter: [start, min(end, durable size)). */
  private sectorMediaEnd(sector: number): number {
    return Math.min((sector + 1) * sectorBytes, this.durableSize);
  }

  /**
   * Latent sectors a read of [position, end) must read from the platter: those not wholly
   * overwritten (or cut away) by an unsynced op, whose bytes the page cache then holds.
   */
  latentSectorsIn(position: number, length: number): number[] {
    if (this.latent.size === 0) return [];
    const end = Math.min(position + length, this.size);
    const hit: number[] = [];
    for (const sector of [...this.latent].sort((a, b) => a - b)) {
      const start = sector * sectorBytes;
      if (start >= end || (sector + 1) * sectorBytes <= position) continue;
      const mediaEnd = this.sectorMediaEnd(sector);
      const covered = this.pending.some((op) =>
        op.kind === 'truncate' ? op.size <= start : (op.landed ?? op.position) <= start && (op.landed ?? op.position) + op.data.length >= mediaEnd,
      );
      if (!covered) hit.push(sector);
    }
    return hit;
  }

  /** The size reads see: the durable size with every pending op laid over it. */
  private visibleSize(): number {
    let size = this.durableSize;
    for (const op of this.pending) size = op.kind === 'truncate' ? op.size : Math.max(size, op.position + op.data.length);
    return size;
  }

  /**
   * `tornBytes` >= 0: only that prefix of a write reached the platter. `zeroFilled`: the file's new
   * size did (a filesystem that journals sizes before data), so the rest of the write reads as zeros.
   */
  private applyDurable(op: PendingOp, tornBytes: number, zeroFilled = false): void {
    if (op.kind === 'truncate') {
      if (op.size < this.durableSize) this.durable.fill(0, op.size, this.durableSize);
      this.durableSize = op.size;
      this.ensureCapacity(op.size);
      // A sector cut off the file leaves it: its next bytes will be written fresh.
      for (const sector of [...this.latent]) if (sector * sectorBytes >= op.size) this.latent.delete(sector);
      return;
    }
    let data = tornBytes >= 0 ? op.data.subarray(0, Math.min(tornBytes, op.data.length)) : op.data;
    if (zeroFilled && data.length < op.data.length) {
      const filled = new Uint8Array(op.data.length);
      filled.set(data);
      data = filled;
    }
    // A misdirected write lands `landed` (always below its position, so inside the size it sets).
    const at = op.landed ?? op.position;
    const end = op.position + data.length;
    this.ensureCapacity(end);
    // A write over the whole of a latent sector's bytes remaps it, as a drive does on a write.
    for (const sector of [...this.latent]) {
      if (at <= sector * sectorBytes && at + data.length >= this.sectorMediaEnd(sector)) {
        this.latent.delete(sector);
        this.remapped++;
      }
    }
    this.durable.set(data, at);
    if (end > this.durableSize) this.durableSize = end;
  }

  /** Latent sectors remapped by a rewrite so far. */
  remapped = 0;

  private ensureCapacity(bytes: number): void {
    if (bytes <= this.durable.length) return;
    let capacity = this.durable.length;
    while (capacity < bytes) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.durable.subarray(0, this.durableSize));
    this.durable = grown;
  }
}

export interface DiskLatency {
  opMsMin: number;
  opMsMax: number;
  syncMsMin: number;
  syncMsMax: number;
}

/** Fault knobs of one node's disk, set by scenarios (never by the code under test). */
export interface DiskFaults {
  /**
   * The next sync() on any file of this disk fails with EIO, as Linux does (fsyncgate): some of the
   * file's unsynced ops were written, the rest never will be though reads still see them until the
   * file's next good sync or a crash, and a retried sync reports success.
   */
  failNextSync(): void;
  /** Withdraws sync failures asked for and not yet delivered (a scenario's fault phase ends). */
  cancelSyncFailures(): void;
  /** While full, writes that grow the disk's bytes fail with ENOSPC and store nothing. */
  setFull(full: boolean): void;
  /** Flips one random bit of one random durable byte of one random non-empty file (bit rot). */
  corruptRandomByte(): string | null;
  /**
   * From now on each read fails with EIO with these odds (0: never), as a disk with a transient
   * media or controller error answers; nothing stored changes, and the same read may succeed again.
   */
  setReadErrorOdds(odds: number): void;
  /**
   * A latent sector error: one aligned sector (`sectorBytes`) of a file's durable bytes becomes
   * unreadable, for good: every read that touches it fails with EIO until a write covers the whole
   * sector (or a truncate cuts it off), which remaps it, as a drive does. Without `at`, on a random
   * sector of a random non-empty file, drawn from the disk's own stream `latent`. Traced
   * `FaultLatentSectorError`; each read it fails is `DiskReadFailed` with `latentSector`. Returns
   * `path@sectorStart`, or null when no file has durable bytes (or `at` lies past the durable end).
   * With `at.inFiles`, on a random sector of a random non-empty file it accepts.
   */
  plantLatentSectorError(at?: { path: string; position: number } | { inFiles: (path: string) => boolean }): string | null;
  /**
   * From now on each write lands, with odds `writes`, a whole number of sectors before where it was
   * aimed, in the same file (the size still grows as the write asked, its intended range keeps its
   * old bytes, or zeros where it grew the file); and each read is served, with odds `reads`, from a
   * whole number of sectors away (once: the next read of the same bytes is right). Only where such
   * a place exists inside the file. Drawn from the disk's own stream `misdirect`; traced
   * `FaultMisdirection` when the odds change, then `DiskWriteMisdirected` and `DiskReadMisdirected`.
   */
  setMisdirectionOdds(odds: { writes: number; reads: number }): void;
  latency: DiskLatency;
}

/** Test-only hooks that make the disk itself wrong, to show the checkers notice. */
export interface DiskBugs {
  /** sync() resolves but makes nothing durable (an earlier broker of this kind acknowledged flushes that wrote nothing). */
  syncIsNoop: boolean;
}

/**
 * The simulated disk of one node. It outlives the node's incarnations: `crash()` keeps only the
 * durable namespace and durable bytes, plus (per file) a random prefix of the unsynced ops, the last
 * of which may be torn: it ends where the tear is, or (half the tears) keeps its whole length with
 * zeros after the tear, as XFS or ext4 with data=writeback leave a file whose new size was
 * journaled before its data was written. That tail passes every length check a reader makes; only
 * a checksum finds it.
 */
export class SimDiskState {
  private entries = new Map<string, Inode>();
  private durableEntries = new Map<string, Inode>();
  private readonly dirs = new Set<string>(['']);
  private syncFailuresPending = 0;
  private full = false;
  /** Its own stream, so that drawing a tear's kind reshuffles none of the disk's other choices. */
  private readonly tearRandom: Random;
  /** Likewise for read errors; drawn from only while their odds are above 0. */
  private readonly readErrorRandom: Random;
  private readErrorOdds = 0;
  /** Reads failed with an injected EIO so far. */
  readErrors = 0;
  /** Storage faults (TigerBeetle's model): streams forked at first use, so seeds that never use them keep their trace hashes. */
  private latentRandomMade: Random | null = null;
  private misdirectRandomMade: Random | null = null;
  private misdirection = { writes: 0, reads: 0 };
  /** What the storage faults did so far. */
  readonly storageCounts = { latentSectorsPlanted: 0, latentReadErrors: 0, misdirectedWrites: 0, misdirectedReads: 0 };
  /**
   * Told of every stretch a storage fault destroys, as it happens (a checker maps it to the records
   * it held, from `pristineRead`, while the file still holds them).
   */
  onDamage: ((path: string, damage: DiskDamage) => void) | null = null;
  readonly bugs: DiskBugs = { syncIsNoop: false };
  readonly faults: DiskFaults;

  constructor(
    private readonly random: Random,
    private readonly onEvent: (event: string, fields: Record<string, string | number>) => void,
  ) {
    this.tearRandom = random.fork('tears');
    this.readErrorRandom = random.fork('read-errors');
    // Every fault injected here is traced (`Fault...`), so a run's trace shows every one of them.
    const latency = tracedKnobs<DiskLatency>({ opMsMin: 0, opMsMax: 0.2, syncMsMin: 0.5, syncMsMax: 3 }, (l) =>
      onEvent('FaultDiskLatency', { opMsMin: l.opMsMin, opMsMax: l.opMsMax, syncMsMin: l.syncMsMin, syncMsMax: l.syncMsMax }),
    );
    this.faults = {
      failNextSync: () => {
        this.syncFailuresPending++;
        onEvent('FaultSyncFailure', { pending: this.syncFailuresPending });
      },
      cancelSyncFailures: () => {
        if (this.syncFailuresPending > 0) onEvent('FaultSyncFailuresCancelled', { cancelled: this.syncFailuresPending });
        this.syncFailuresPending = 0;
      },
      setFull: (full) => {
        if (full !== this.full) onEvent('FaultDiskFull', { full: full ? 1 : 0 });
        this.full = full;
      },
      corruptRandomByte: () => this.corruptRandomByte(),
      setReadErrorOdds: (odds) => {
        if (odds !== this.readErrorOdds) onEvent('FaultReadErrors', { odds });
        this.readErrorOdds = odds;
      },
      plantLatentSectorError: (at) => this.plantLatentSectorError(at),
      setMisdirectionOdds: ({ writes, reads }) => {
        assert(writes >= 0 && writes <= 1 && reads >= 0 && reads <= 1, 'misdirection odds are probabilities');
        if (writes !== this.misdirection.writes || reads !== this.misdirection.reads) onEvent('FaultMisdirection', { writeOdds: writes, readOdds: reads });
        this.misdirection = { writes, reads };
      },
      latency,
    };
  }

  /** A Disk facade for one incarnation of the node. */
  facade(scheduler: Scheduler, owner: EventOwner): Disk {
    return new SimDisk(this, scheduler, owner, this.random);
  }

  /**
   * What a power loss leaves: the durable namespace, durable bytes, and torn remains of the rest
   * (with `loseAllUnsynced`, nothing of the rest: the harshest loss the contract allows).
   */
  crash(options: { loseAllUnsynced?: boolean } = {}): { filesTorn: number; filesZeroFilled: number; opsLost: number } {
    let filesTorn = 0;
    let filesZeroFilled = 0;
    let opsLost = 0;
    const survivors = new Set(this.durableEntries.values());
    for (const inode of new Set([...this.entries.values(), ...survivors])) {
      if (inode.pending.length === 0) continue;
      const kept = options.loseAllUnsynced === true ? 0 : this.random.int(inode.pending.length + 1);
      const torn = kept < inode.pending.length && options.loseAllUnsynced !== true && this.random.chance(0.5);
      const op = inode.pending[kept];
      const tornBytes = torn && op?.kind === 'write' ? this.random.int(op.data.length + 1) : -1;
      opsLost += inode.pending.length - kept;
      const zeroFilled = tornBytes >= 0 && op?.kind === 'write' && tornBytes < op.data.length && this.tearRandom.chance(0.5);
      if (tornBytes >= 0) filesTorn++;
      if (zeroFilled) filesZeroFilled++;
      inode.persist(kept, tornBytes, zeroFilled);
      inode.dropPending();
    }
    this.entries = new Map(this.durableEntries);
    return { filesTorn, filesZeroFilled, opsLost };
  }

  // ---- operations used by the facade (all synchronous; the facade adds latency) ----

  inode(path: string): Inode | undefined {
    return this.entries.get(path);
  }

  create(path: string): Inode {
    const parent = dirName(path);
    if (!this.dirs.has(parent)) throw new DiskError('ENOENT', `directory '${parent}' does not exist`);
    const inode = new Inode();
    this.entries.set(path, inode);
    return inode;
  }

  list(dir: string): string[] {
    const names = new Set<string>();
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const path of [...this.entries.keys(), ...this.dirs]) {
      if (path === dir || !path.startsWith(prefix)) continue;
      names.add(path.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  mkdir(dir: string): void {
    const parts = dir.split('/').filter((p) => p.length > 0);
    for (let i = 1; i <= parts.length; i++) this.dirs.add(parts.slice(0, i).join('/'));
  }

  exists(path: string): boolean {
    return this.entries.has(path) || this.dirs.has(path);
  }

  rename(from: string, to: string): void {
    const inode = this.entries.get(from);
    if (inode === undefined) throw new DiskError('ENOENT', `rename: '${from}' does not exist`);
    this.entries.delete(from);
    this.entries.set(to, inode);
  }

  remove(path: string): void {
    this.entries.delete(path);
  }

  syncDir(dir: string): void {
    for (const path of [...this.durableEntries.keys()]) {
      if (dirName(path) === dir) this.durableEntries.delete(path);
    }
    for (const [path, inode] of this.entries) {
      if (dirName(path) === dir) this.durableEntries.set(path, inode);
    }
  }

  write(inode: Inode, position: number, data: Uint8Array, path: string): void {
    const end = position + data.length;
    if (this.full && end > inode.size) throw new DiskError('ENOSPC', 'no space left on simulated disk');
    const landed = this.misdirectWrite(inode, position, data.length, path);
    inode.push({ kind: 'write', seq: inode.opSeqNext++, position, data: data.slice(), ...(landed === null ? {} : { landed }) });
    if (end > inode.size) inode.size = end;
    if (landed === null) return;
    // Noted once the write is in place, so that a checker reading the intended twin sees it there.
    this.noteDamage(inode, path, { kind: 'misdirected-intended', start: position, end });
    this.noteDamage(inode, path, { kind: 'misdirected-landed', start: landed, end: landed + data.length });
  }

  truncate(inode: Inode, size: number): void {
    inode.push({ kind: 'truncate', seq: inode.opSeqNext++, size });
    inode.size = size;
  }

  private get latentRandom(): Random {
    return (this.latentRandomMade ??= this.random.fork('latent'));
  }

  private get misdirectRandom(): Random {
    return (this.misdirectRandomMade ??= this.random.fork('misdirect'));
  }

  /** Where a write of `length` bytes at `position` lands instead, or null (drawn only while the odds are above 0). */
  private misdirectWrite(inode: Inode, position: number, length: number, path: string): number | null {
    if (this.misdirection.writes === 0 || length === 0 || !this.misdirectRandom.chance(this.misdirection.writes)) return null;
    const sectorsBack = Math.floor(position / sectorBytes);
    if (sectorsBack === 0) return null; // no other aligned place inside the file
    const landed = position - sectorBytes * (1 + this.misdirectRandom.int(sectorsBack));
    inode.makeTwin();
    this.storageCounts.misdirectedWrites++;
    this.onEvent('DiskWriteMisdirected', { path, position, landed, bytes: length });
    return landed;
  }

  /** Where a read of [position, position + length) is served from instead, or null. */
  misdirectRead(inode: Inode, position: number, length: number, path: string): number | null {
    if (this.misdirection.reads === 0 || !this.misdirectRandom.chance(this.misdirection.reads)) return null;
    const want = Math.min(length, inode.size - position);
    if (want <= 0) return null;
    const back = Math.floor(position / sectorBytes);
    const ahead = Math.floor((inode.size - position - want) / sectorBytes);
    if (back + ahead === 0) return null;
    const pick = this.misdirectRandom.int(back + ahead);
    const servedFrom = pick < back ? position - sectorBytes * (pick + 1) : position + sectorBytes * (pick - back + 1);
    this.storageCounts.misdirectedReads++;
    this.onEvent('DiskReadMisdirected', { path, position, servedFrom, bytes: want });
    return servedFrom;
  }

  private noteDamage(inode: Inode, path: string, damage: DiskDamage): void {
    inode.damage.push(damage);
    this.onDamage?.(path, damage);
  }

  private plantLatentSectorError(at?: { path: string; position: number } | { inFiles: (path: string) => boolean }): string | null {
    let path: string;
    let inode: Inode;
    let sector: number;
    if (at === undefined || 'inFiles' in at) {
      const candidates = [...this.durableEntries.entries()].filter(([p, i]) => i.durableSize > 0 && (at === undefined || at.inFiles(p)));
      candidates.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (candidates.length === 0) return null;
      [path, inode] = candidates[this.latentRandom.int(candidates.length)]!;
      sector = this.latentRandom.int(Math.ceil(inode.durableSize / sectorBytes));
    } else {
      const found = this.entries.get(at.path);
      if (found === undefined || at.position < 0 || at.position >= found.durableSize) return null;
      [path, inode, sector] = [at.path, found, Math.floor(at.position / sectorBytes)];
    }
    const start = sector * sectorBytes;
    const end = Math.min(start + sectorBytes, inode.durableSize);
    inode.latent.add(sector);
    this.storageCounts.latentSectorsPlanted++;
    this.onEvent('FaultLatentSectorError', { path, position: start, bytes: end - start });
    this.noteDamage(inode, path, { kind: 'latent-sector', start, end });
    return `${path}@${start}`;
  }

  /** The first latent sector a read of [position, position + length) meets (traced, counted), or null. */
  latentReadFails(inode: Inode, path: string, position: number, length: number): number | null {
    const hit = inode.latentSectorsIn(position, length);
    if (hit.length === 0) return null;
    const start = hit[0]! * sectorBytes;
    this.storageCounts.latentReadErrors++;
    this.onEvent('DiskReadFailed', { path, position, latentSector: start });
    return start;
  }

  // ---- for checkers (never for the code under test) ----

  /** Every stretch of the file at `path` a storage fault destroyed (empty for an unknown path). */
  damage(path: string): readonly DiskDamage[] {
    return this.entries.get(path)?.damage ?? [];
  }

  /** The start of every latent sector of `path` not yet remapped. */
  latentSectors(path: string): number[] {
    return [...(this.entries.get(path)?.latent ?? [])].sort((a, b) => a - b).map((sector) => sector * sectorBytes);
  }

  /**
   * The whole file as reads would see it had no write been misdirected and no sector gone bad,
   * or null for an unknown path. Reads no latent sector and draws nothing.
   */
  pristineRead(path: string): Uint8Array | null {
    const inode = this.entries.get(path);
    if (inode === undefined) return null;
    const source = inode.twin ?? inode;
    return source.read(0, source.size);
  }

  /** Paths of the files that exist now, sorted. */
  paths(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The op sequence a sync issued now must make durable up to; throws EIO when a failure was injected. */
  beginSync(inode: Inode): number {
    if (this.syncFailuresPending > 0) {
      this.syncFailuresPending--;
      // fsyncgate: the writeback got through some of the ops, the rest are never written, and the
      // next fsync reports success. Only a rewrite makes them durable.
      const written = this.random.int(inode.pending.length + 1);
      this.onEvent('DiskSyncFailed', { ops: inode.pending.length, written });
      inode.failSync(written);
      throw new DiskError('EIO', 'fsync failed (injected)');
    }
    return inode.opSeqNext;
  }

  /** Whether this read meets an injected EIO (see DiskFaults.setReadErrorOdds). */
  readFails(path: string, position: number): boolean {
    if (this.readErrorOdds === 0 || !this.readErrorRandom.chance(this.readErrorOdds)) return false;
    this.readErrors++;
    this.onEvent('DiskReadFailed', { path, position });
    return true;
  }

  completeSync(inode: Inode, seqEnd: number): void {
    if (this.bugs.syncIsNoop) return;
    let count = 0;
    while (count < inode.pending.length && inode.pending[count]!.seq < seqEnd) count++;
    inode.persist(count);
  }

  private corruptRandomByte(): string | null {
    const candidates = [...this.durableEntries.entries()].filter(([, inode]) => inode.durableSize > 0);
    candidates.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (candidates.length === 0) return null;
    const [path, inode] = candidates[this.random.int(candidates.length)]!;
    const position = this.random.int(inode.durableSize);
    const bit = this.random.int(8);
    inode.durable[position]! ^= 1 << bit;
    this.onEvent('FaultBitFlip', { path, position, bit });
    return `${path}@${position}`;
  }
}

class SimDisk implements Disk {
  constructor(
    private readonly state: SimDiskState,
    private readonly scheduler: Scheduler,
    private readonly owner: EventOwner,
    private readonly random: Random,
  ) {}

  /**
   * Runs `op` now (its effect is immediate, like a write into the page cache) and settles after
   * latency. `kind` and `bytes` label the settling event in the trace hash.
   */
  settle<T>(kind: string, bytes: number, op: () => T, sync = false): Promise<T> {
    const latency = this.state.faults.latency;
    const delayMs = sync
      ? latency.syncMsMin + this.random.next() * (latency.syncMsMax - latency.syncMsMin)
      : latency.opMsMin + this.random.next() * (latency.opMsMax - latency.opMsMin);
    return new Promise<T>((resolve, reject) => {
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, value: op() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      this.scheduler.schedule(delayMs, this.owner, () => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)), kind, bytes);
    });
  }

  open(path: string, options?: { create?: boolean }): Promise<DiskFile> {
    return this.settle('disk.open', 0, () => {
      let inode = this.state.inode(path);
      if (inode === undefined) {
        if (options?.create !== true) throw new DiskError('ENOENT', `no such file '${path}'`);
        inode = this.state.create(path);
      }
      return new SimFile(path, inode, this.state, this);
    });
  }

  list(dir: string): Promise<string[]> {
    return this.settle('disk.list', 0, () => this.state.list(dir));
  }

  mkdir(dir: string): Promise<void> {
    return this.settle('disk.mkdir', 0, () => this.state.mkdir(dir));
  }

  exists(path: string): Promise<boolean> {
    return this.settle('disk.exists', 0, () => this.state.exists(path));
  }

  rename(from: string, to: string): Promise<void> {
    return this.settle('disk.rename', 0, () => this.state.rename(from, to));
  }

  remove(path: string): Promise<void> {
    return this.settle('disk.remove', 0, () => this.state.remove(path));
  }

  syncDir(dir: string): Promise<void> {
    return this.settle('disk.syncDir', 0, () => this.state.syncDir(dir), true);
  }
}

class SimFile implements DiskFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly inode: Inode,
    private readonly state: SimDiskState,
    private readonly disk: SimDisk,
  ) {}

  private checkOpen(): void {
    if (this.closed) throw new DiskError('ECLOSED', `file '${this.path}' is closed`);
  }

  size(): number {
    return this.inode.size;
  }

  append(data: Uint8Array): Promise<void> {
    return this.disk.settle('disk.append', data.length, () => {
      this.checkOpen();
      this.state.write(this.inode, this.inode.size, data, this.path);
    });
  }

  appendChunks(chunks: readonly Uint8Array[]): Promise<void> {
    // One op for the whole write: a crash keeps all of it, none of it, or a torn prefix of it.
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const joined = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    return this.append(joined);
  }

  write(position: number, data: Uint8Array): Promise<void> {
    return this.disk.settle('disk.write', data.length, () => {
      this.checkOpen();
      this.state.write(this.inode, position, data, this.path);
    });
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.disk.settle('disk.read', length, () => {
      this.checkOpen();
      if (this.state.readFails(this.path, position)) throw new DiskError('EIO', `read of ${length} bytes at ${position} of '${this.path}' failed`);
      const latent = this.state.latentReadFails(this.inode, this.path, position, length);
      if (latent !== null) throw new DiskError('EIO', `read of ${length} bytes at ${position} of '${this.path}' failed: unreadable sector at ${latent}`);
      const servedFrom = this.state.misdirectRead(this.inode, position, length, this.path);
      if (servedFrom === null) return this.inode.read(position, length);
      return this.inode.read(servedFrom, Math.min(length, this.inode.size - position));
    });
  }

  sync(): Promise<void> {
    let seqEnd = 0;
    const started = this.disk.settle('disk.sync', 0, () => {
      this.checkOpen();
      seqEnd = this.state.beginSync(this.inode);
    }, true);
    return started.then(() => this.state.completeSync(this.inode, seqEnd));
  }

  truncate(size: number): Promise<void> {
    return this.disk.settle('disk.truncate', size, () => {
      this.checkOpen();
      this.state.truncate(this.inode, size);
    });
  }

  close(): Promise<void> {
    return this.disk.settle('disk.close', 0, () => {
      this.closed = true;
    });
  }
}
