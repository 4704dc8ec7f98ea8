/**
 * Durable Raft state on the Disk interface.
 *
 * Layout under the node's raft directory (default 'raft'):
 *   state                 hard state, two 40-byte slots written alternately:
 *                         magic:u32 crc32c:u32 seq:f64 term:f64 vote:f64 commit:f64
 *                         (crc covers the 32 bytes after it; the valid slot with the higher seq wins,
 *                         so a torn slot write leaves the previous state intact)
 *   snapshot              the newest snapshot as one checksummed record (written to snapshot.tmp,
 *                         fsynced, renamed, directory fsynced)
 *   log/<first index>.seg log segments: checksummed entry records (codec.ts), contiguous indexes
 *
 * Recovery reads the snapshot, the better hard-state slot and the segments in order (each fsynced
 * before it is read, so that bytes a failed fsync left readable but never wrote are not taken for
 * records), skips entries the snapshot covers, and stops at the first short or corrupt record: the
 * file is cut there and later segments are removed (that tail was never fsynced, so nobody was told
 * about it).
 *
 * Installing a leader's snapshot is crash-safe at every step: the snapshot file is made durable
 * first, then the old segments are removed last-first, each removal made durable before the next, so
 * a crash leaves the snapshot plus a prefix of the old segments. Recovery then applies Raft's rule for
 * a received snapshot: the entries after it are kept only when the log holds the snapshot's own
 * entry (same index and term); otherwise the whole log is what the snapshot replaced, and it goes.
 */
import { crc32c } from '@node-rs/crc32';
import { assert, assertionFailed } from '../assert.ts';
import type { Disk, DiskFile, Log } from '../io/index.ts';
import { joinPath } from '../io/index.ts';
import { raftSegmentBytesMax, raftSnapshotBytesMax } from '../limits.ts';
import { DecodeError, Reader, Writer, encodeEntryRecord, frame, readEntry, readSnapshot, unframe, writeSnapshot } from './codec.ts';
import type { Entry, HardState, RaftInitialState, Ready, Snapshot } from './types.ts';
import { emptyHardState } from './types.ts';

const stateMagic = 0x52414654; // 'RAFT'
/** How far past a bad record recovery looks for a valid one (which would mean damage, not a torn tail). */
const corruptionScanBytes = 64 * 1024;

export type RaftStorageErrorCode = 'Corrupt';

/** Fsynced Raft state is damaged: the node must not start from it (see docs/raft.md). */
export class RaftStorageError extends Error {
  constructor(
    readonly code: RaftStorageErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'RaftStorageError';
  }
}
const stateSlotBytes = 40;

interface Segment {
  readonly firstIndex: number;
  readonly file: DiskFile;
  /** Byte offset of each record; record k holds index firstIndex + k. */
  readonly offsets: number[];
}

export class RaftStorage {
  private stateSeq = 0;
  /** Term and vote last made durable: a hard state that differs only in commit is not written. */
  private written: HardState = emptyHardState;
  private segments: Segment[] = [];
  private snapshotIndex = 0;

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private readonly stateFile: DiskFile,
    private readonly log: Log,
  ) {}

  /** Opens (creating if needed) and recovers the state under `dir`. */
  static async open(disk: Disk, dir: string, log: Log): Promise<{ storage: RaftStorage; initial: RaftInitialState }> {
    await disk.mkdir(joinPath(dir, 'log'));
    const statePath = joinPath(dir, 'state');
    const created = !(await disk.exists(statePath));
    const stateFile = await disk.open(statePath, { create: true });
    if (created) await disk.syncDir(dir);
    const storage = new RaftStorage(disk, dir, stateFile, log);
    const snapshot = await storage.readSnapshotFile();
    storage.snapshotIndex = snapshot?.meta.index ?? 0;
    const hardState = await storage.readHardState();
    const { entries: read, termAtSnapshot } = await storage.readSegments();
    const entries = snapshot === null ? read : await storage.dropLogReplacedBy(snapshot, read, termAtSnapshot);
    const lastTerm = entries[entries.length - 1]?.term ?? snapshot?.meta.term ?? 0;
    // Entries of a newer term may be durable while the hard state that followed them was not.
    const recovered: HardState =
      lastTerm > hardState.term ? { term: lastTerm, vote: 0, commit: hardState.commit } : hardState;
    log.info('RaftStorageRecovered', {
      term: recovered.term,
      commit: recovered.commit,
      snapshotIndex: storage.snapshotIndex,
      entries: entries.length,
      segments: storage.segments.length,
    });
    return { storage, initial: { hardState: recovered, snapshot, entries } };
  }

  lastIndex(): number {
    const seg = this.segments[this.segments.length - 1];
    return seg === undefined ? this.snapshotIndex : Math.max(this.snapshotIndex, seg.firstIndex + seg.offsets.length - 1);
  }

  /** Step 1 of the Ready contract: snapshot, entries, hard state, all fsynced. */
  async persist(rd: Ready): Promise<void> {
    if (rd.snapshot !== null) await this.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0) await this.appendEntries(rd.entries);
    const hs = rd.hardState;
    // Only term and vote are promises; the commit index is re-learned from the leader after a restart,
    // so a change of commit alone costs no fsync (it is written with the next term or vote change).
    if (hs !== null && (hs.term !== this.written.term || hs.vote !== this.written.vote)) await this.writeHardState(hs);
  }

  /** Saves a snapshot this node took itself, and drops whole segments at or below `compactIndex`. */
  async saveSnapshot(snapshot: Snapshot, compactIndex: number): Promise<void> {
    await this.writeSnapshotFile(snapshot);
    this.snapshotIndex = Math.max(this.snapshotIndex, snapshot.meta.index);
    await this.rollSegment();
    const keep: Segment[] = [];
    const removed: Segment[] = [];
    for (let k = 0; k < this.segments.length; k++) {
      const next = this.segments[k + 1];
      const seg = this.segments[k] as Segment;
      if (next !== undefined && next.firstIndex - 1 <= compactIndex) removed.push(seg);
      else keep.push(seg);
    }
    this.segments = keep;
    for (const seg of removed) {
      await seg.file.close();
      await this.disk.remove(seg.file.path);
    }
    if (removed.length > 0) await this.disk.syncDir(this.logDir());
  }

  async close(): Promise<void> {
    await this.stateFile.close();
    for (const seg of this.segments) await seg.file.close();
  }

  // ---- hard state -------------------------------------------------------------------------------

  private async writeHardState(hs: HardState): Promise<void> {
    this.stateSeq++;
    const slot = new Uint8Array(stateSlotBytes);
    const view = new DataView(slot.buffer);
    view.setUint32(0, stateMagic);
    view.setFloat64(8, this.stateSeq);
    view.setFloat64(16, hs.term);
    view.setFloat64(24, hs.vote);
    view.setFloat64(32, hs.commit);
    view.setUint32(4, crc32c(slot.subarray(8)));
    await this.stateFile.write((this.stateSeq % 2) * stateSlotBytes, slot);
    await this.stateFile.sync();
    this.written = hs;
  }

  private async readHardState(): Promise<HardState> {
    const bytes = await this.stateFile.read(0, 2 * stateSlotBytes);
    let best: { seq: number; hs: HardState } | null = null;
    let damaged = 0;
    for (let slot = 0; slot < 2; slot++) {
      const b = bytes.subarray(slot * stateSlotBytes, (slot + 1) * stateSlotBytes);
      if (b.length < stateSlotBytes) continue;
      const view = new DataView(b.buffer, b.byteOffset, stateSlotBytes);
      if (view.getUint32(0) !== stateMagic) continue;
      if (view.getUint32(4) !== crc32c(b.subarray(8))) {
        damaged++;
        continue;
      }
      const seq = view.getFloat64(8);
      const hs = { term: view.getFloat64(16), vote: view.getFloat64(24), commit: view.getFloat64(32) };
      if (best === null || seq > best.seq) best = { seq, hs };
    }
    // One torn slot is a crash mid-write (the other holds the previous state); two are damage.
    if (damaged === 2) throw new RaftStorageError('Corrupt', 'both hard-state slots fail their checksum');
    this.stateSeq = best?.seq ?? 0;
    this.written = best?.hs ?? emptyHardState;
    return this.written;
  }

  // ---- snapshot ---------------------------------------------------------------------------------

  private async writeSnapshotFile(snapshot: Snapshot): Promise<void> {
    assert(snapshot.data.length <= raftSnapshotBytesMax, 'snapshot within its limit');
    const w = new Writer();
    writeSnapshot(w, snapshot);
    const tmp = joinPath(this.dir, 'snapshot.tmp');
    await this.disk.remove(tmp);
    const file = await this.disk.open(tmp, { create: true });
    await file.append(frame(w.finish()));
    await file.sync();
    await file.close();
    await this.disk.rename(tmp, joinPath(this.dir, 'snapshot'));
    await this.disk.syncDir(this.dir);
  }

  private async readSnapshotFile(): Promise<Snapshot | null> {
    const path = joinPath(this.dir, 'snapshot');
    if (!(await this.disk.exists(path))) return null;
    const file = await this.disk.open(path);
    const bytes = await file.read(0, file.size());
    await file.close();
    const record = unframe(bytes, 0, raftSnapshotBytesMax + 1024);
    // The file is renamed into place only after an fsync, so a bad one is corruption, not a torn write.
    if (record.kind !== 'ok') throw new RaftStorageError('Corrupt', `snapshot file is unreadable (${record.kind})`);
    try {
      return readSnapshot(new Reader(record.body));
    } catch (error) {
      if (error instanceof DecodeError) throw new RaftStorageError('Corrupt', `snapshot file: ${error.message}`);
      throw error;
    }
  }

  /**
   * A snapshot received from the leader replaces the whole log. The snapshot is durable before any
   * segment goes (a crash in between must not lose entries this node already acknowledged), and the
   * segments go last-first with each removal durable, so what a crash leaves is always a prefix of
   * the old log, which recovery recognises (dropLogReplacedBy).
   */
  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    await this.writeSnapshotFile(snapshot);
    this.snapshotIndex = snapshot.meta.index;
    await this.removeAllSegments();
  }

  /**
   * Recovery's half of installSnapshot: when the log does not hold the snapshot's own entry (index and
   * term), the segments are what a crash during an install left of the replaced log (or hold only
   * entries the snapshot covers): they go. Otherwise the entries after the snapshot are kept (Raft's
   * rule for a snapshot whose last entry the log already has; also the case after a compaction).
   */
  private async dropLogReplacedBy(snapshot: Snapshot, entries: Entry[], termAtSnapshot: number | null): Promise<Entry[]> {
    const replaced = entries.length === 0 || (termAtSnapshot !== null && termAtSnapshot !== snapshot.meta.term);
    if (!replaced || this.segments.length === 0) return entries;
    this.log.info('RaftLogReplacedBySnapshot', {
      reason: entries.length === 0 ? 'nothing after the snapshot' : 'the log diverges at the snapshot',
      snapshotIndex: snapshot.meta.index,
      snapshotTerm: snapshot.meta.term,
      termAtSnapshot: termAtSnapshot ?? -1,
      segments: this.segments.length,
      entriesAfter: entries.length,
    });
    await this.removeAllSegments();
    return [];
  }

  private async removeAllSegments(): Promise<void> {
    while (this.segments.length > 0) {
      const seg = this.segments.pop() as Segment;
      await seg.file.close();
      await this.disk.remove(seg.file.path);
      await this.disk.syncDir(this.logDir());
    }
  }

  // ---- log segments -----------------------------------------------------------------------------

  private logDir(): string {
    return joinPath(this.dir, 'log');
  }

  private async appendEntries(entries: readonly Entry[]): Promise<void> {
    const first = entries[0] as Entry;
    if (first.index > this.lastIndex() + 1) assertionFailed(`append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    if (first.index <= this.lastIndex()) await this.truncateFrom(first.index);
    const touched: Segment[] = [];
    let k = 0;
    while (k < entries.length) {
      let seg = this.segments[this.segments.length - 1];
      if (seg === undefined || seg.file.size() >= raftSegmentBytesMax) seg = await this.newSegment((entries[k] as Entry).index);
      // One write per segment: as many records as fit before it rolls.
      const records: Uint8Array[] = [];
      let position = seg.file.size();
      for (; k < entries.length && position < raftSegmentBytesMax; k++) {
        const record = encodeEntryRecord(entries[k] as Entry);
        seg.offsets.push(position);
        records.push(record);
        position += record.length;
      }
      await seg.file.appendChunks(records);
      assert(seg.file.size() === position, 'segment size after a write matches the offsets noted');
      touched.push(seg);
    }
    for (const seg of touched) await seg.file.sync();
  }

  /** Cuts the log so that `index` is the next to be written. */
  private async truncateFrom(index: number): Promise<void> {
    while (this.segments.length > 0) {
      const seg = this.segments[this.segments.length - 1] as Segment;
      if (seg.firstIndex >= index) {
        this.segments.pop();
        await seg.file.close();
        await this.disk.remove(seg.file.path);
        await this.disk.syncDir(this.logDir());
        continue;
      }
      const k = index - seg.firstIndex;
      if (k < seg.offsets.length) {
        await seg.file.truncate(seg.offsets[k] as number);
        seg.offsets.length = k;
      }
      return;
    }
  }

  private async rollSegment(): Promise<void> {
    const seg = this.segments[this.segments.length - 1];
    if (seg !== undefined && seg.offsets.length > 0) await this.newSegment(this.lastIndex() + 1);
  }

  private async newSegment(firstIndex: number): Promise<Segment> {
    // The segment we leave is fsynced first, so only the last segment can ever have a torn tail.
    await this.segments[this.segments.length - 1]?.file.sync();
    const path = joinPath(this.logDir(), `${String(firstIndex).padStart(20, '0')}.seg`);
    const file = await this.disk.open(path, { create: true });
    await file.truncate(0);
    await this.disk.syncDir(this.logDir());
    const seg: Segment = { firstIndex, file, offsets: [] };
    this.segments.push(seg);
    return seg;
  }

  /** The entries after the snapshot, and the term of the snapshot's own entry if a segment still holds it. */
  private async readSegments(): Promise<{ entries: Entry[]; termAtSnapshot: number | null }> {
    const names = (await this.disk.list(this.logDir())).filter((n) => n.endsWith('.seg'));
    const files: DiskFile[] = [];
    for (const name of names) {
      const file = await this.disk.open(joinPath(this.logDir(), name));
      if (file.size() > 0) {
        files.push(file);
        continue;
      }
      // An empty segment (rolled, nothing written yet) holds nothing: drop it, so that it is never
      // taken for the last segment or reused with stale contents.
      await file.close();
      await this.disk.remove(file.path);
    }
    if (files.length < names.length) await this.disk.syncDir(this.logDir());
    const entries: Entry[] = [];
    const covered = { termAtSnapshot: null as number | null };
    for (const [k, file] of files.entries()) {
      const firstIndex = Number(file.path.slice(file.path.lastIndexOf('/') + 1, -4));
      const expected = (entries[entries.length - 1]?.index ?? this.snapshotIndex) + 1;
      if (!Number.isSafeInteger(firstIndex) || firstIndex > expected) {
        for (const f of files.slice(k)) await f.close();
        throw new RaftStorageError('Corrupt', `log segment ${file.path} leaves a gap after index ${expected - 1}`);
      }
      await this.readSegment(file, firstIndex, entries, covered, k === files.length - 1);
    }
    return { entries, termAtSnapshot: covered.termAtSnapshot };
  }

  /**
   * Reads one segment into `entries` (skipping what the snapshot covers). A bad record at the end of
   * the last segment is a torn tail and is cut off. A bad record anywhere else, or one followed by a
   * valid record, is damage to fsynced data: the node refuses to start (RaftStorageError 'Corrupt').
   */
  private async readSegment(
    file: DiskFile,
    firstIndex: number,
    entries: Entry[],
    covered: { termAtSnapshot: number | null },
    isLast: boolean,
  ): Promise<void> {
    // Synced first: after a failed fsync (of an earlier incarnation, which may have stopped without
    // crashing) reads can still show records that no fsync will ever write; once this sync returns,
    // what is read is what the disk holds, and a later append cannot leave a hole before it.
    await file.sync();
    const bytes = await file.read(0, file.size());
    const seg: Segment = { firstIndex, file, offsets: [] };
    let offset = 0;
    while (offset < bytes.length) {
      const rec = unframe(bytes, offset, raftSegmentBytesMax * 2);
      const entry = rec.kind === 'ok' ? tryReadEntry(rec.body) : null;
      if (rec.kind !== 'ok' || entry === null || entry.index !== firstIndex + seg.offsets.length) {
        const after = isLast ? validRecordAfter(bytes, offset) : 'not the last segment';
        if (after !== null) {
          await file.close();
          throw new RaftStorageError('Corrupt', `${file.path}: bad record at byte ${offset} of ${bytes.length} (${rec.kind}, expected index ${firstIndex + seg.offsets.length}, entry ${entry?.index}) before valid data (${after})`);
        }
        this.log.warn('RaftLogTornTail', { file: file.path, offset, size: bytes.length, reason: rec.kind, hint: 'expected after a crash: the torn, unacknowledged tail of the Raft log was cut' });
        await file.truncate(offset);
        await file.sync();
        break;
      }
      seg.offsets.push(offset);
      if (entry.index > this.snapshotIndex) entries.push(entry);
      else if (entry.index === this.snapshotIndex) covered.termAtSnapshot = entry.term;
      offset = rec.next;
    }
    this.pushSegment(seg);
  }

  private pushSegment(seg: Segment): void {
    if (seg.offsets.length === 0 && this.segments.length > 0) return;
    this.segments.push(seg);
  }
}

function tryReadEntry(body: Uint8Array): Entry | null {
  try {
    return readEntry(new Reader(body));
  } catch (error) {
    if (error instanceof DecodeError) return null;
    throw error;
  }
}

/** A whole, checksummed record starting anywhere after `offset` (within reach), as "at byte:index/term". */
function validRecordAfter(bytes: Uint8Array, offset: number): string | null {
  const end = Math.min(bytes.length, offset + corruptionScanBytes);
  for (let p = offset + 1; p < end; p++) {
    const rec = unframe(bytes, p, raftSegmentBytesMax * 2);
    const entry = rec.kind === 'ok' && rec.body.length >= 21 ? tryReadEntry(rec.body) : null;
    if (entry !== null) return `${p}:${entry.index}/${entry.term}`;
  }
  return null;
}
