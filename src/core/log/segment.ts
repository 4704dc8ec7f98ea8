/**
 * One segment: a file of whole record batches, `<20-digit base offset>.log`, with its in-memory
 * sparse index (persisted as `.index` and `.timeindex`, see segment-index.ts), the CRC of every batch
 * (`.checksums`, see batch-checksums.ts) and what the log needs to know about it without reading it
 * (size, next offset, largest timestamp).
 */
import { assert } from '../assert.ts';
import { joinPath, type Disk, type DiskFile } from '../io/disk.ts';
import { logScanChunkBytes } from '../limits.ts';
import {
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  readBatchHeader,
  type BatchProblem,
  type RecordBatchHeader,
} from './record-batch.ts';
import { BatchChecksums } from './batch-checksums.ts';
import { SegmentIndex } from './segment-index.ts';

const offsetDigits = 20;

export type SegmentFileKind = 'log' | 'index' | 'timeindex' | 'checksums';

/** Every file of a segment; the .log first (see PartitionLog.removeSegments). */
export const segmentFileKinds: readonly SegmentFileKind[] = ['log', 'index', 'timeindex', 'checksums'];

export function segmentFileName(baseOffset: bigint, kind: SegmentFileKind): string {
  return `${baseOffset.toString().padStart(offsetDigits, '0')}.${kind}`;
}

/** Parses `00000000000000000042.log` and its siblings; null for any other name. */
export function parseSegmentFileName(name: string): { baseOffset: bigint; kind: SegmentFileKind } | null {
  const match = /^(\d{20})\.(log|index|timeindex|checksums)$/.exec(name);
  if (match === null) return null;
  return { baseOffset: BigInt(match[1]!), kind: match[2] as SegmentFileKind };
}

export class Segment {
  sizeBytes = 0;
  nextOffset: bigint;
  index = new SegmentIndex();
  /** The CRC of every batch, checked on every read (a whole batch at the right offset can still be a stale copy). */
  checksums = new BatchChecksums();
  /** Largest batch maxTimestamp in the segment; -1 when empty. */
  maxTimestampMs = -1;
  /** Relative offset of the last batch; -1 when empty. */
  lastBatchRelOffset = -1;
  /**
   * Monotonic time (io.clock.nowMs) of the first append into this segment since open (or the open
   * time, for a segment that was not empty then): the segment rolls `segmentAgeMsMax` after it. An
   * age is a duration, so it is measured on the monotonic clock: a wall clock stepped back by an
   * hour would hold the segment open (and retention off it) for that hour. Kafka measures age by
   * record timestamps instead; the broker's clock cannot be skewed by a producer's.
   */
  rollReferenceMs: number | null = null;
  /** The in-memory index differs from the index files (they are rewritten on roll and stop). */
  indexDirty = true;
  private bytesSinceIndexEntry = 0;
  private forceIndexEntry = false;

  constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    readonly file: DiskFile,
    private readonly indexIntervalBytes: number,
  ) {
    this.nextOffset = baseOffset;
  }

  path(kind: SegmentFileKind): string {
    return joinPath(this.dir, segmentFileName(this.baseOffset, kind));
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0;
  }

  /** Records a verified batch at `position` (which must be the segment's end). */
  noteBatch(position: number, size: number, header: RecordBatchHeader): void {
    assert(position >= this.sizeBytes, 'segment: batches are noted in order');
    assert(header.baseOffset >= this.nextOffset, 'segment: offsets increase');
    const relOffset = Number(header.baseOffset - this.baseOffset);
    const maxTimestampMs = Number(header.maxTimestamp);
    this.maxTimestampMs = Math.max(this.maxTimestampMs, maxTimestampMs);
    if (this.index.entryCount === 0 || this.bytesSinceIndexEntry >= this.indexIntervalBytes || this.forceIndexEntry) {
      this.index.add(relOffset, position, this.maxTimestampMs);
      this.bytesSinceIndexEntry = 0;
      this.forceIndexEntry = false;
    }
    this.checksums.add(relOffset, header.crc);
    this.bytesSinceIndexEntry += size;
    this.sizeBytes = position + size;
    this.lastBatchRelOffset = relOffset;
    this.nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
    this.indexDirty = true;
  }

  /**
   * Skips a damaged stretch [sizeBytes, end) found by recovery: its offsets up to `nextOffset` stay
   * taken (reads of them fail with CORRUPT_RECORD), and the next batch gets an index entry of its own
   * so that reads of later offsets never walk through the damage.
   */
  noteCorruptRegion(end: number, nextOffset: bigint): void {
    assert(end > this.sizeBytes && nextOffset >= this.nextOffset, 'segment: corrupt region moves forward');
    this.sizeBytes = end;
    this.nextOffset = nextOffset;
    this.forceIndexEntry = true;
    this.indexDirty = true;
  }

  /** Forgets everything in memory (before a rescan from position 0). */
  resetInMemory(): void {
    this.sizeBytes = 0;
    this.nextOffset = this.baseOffset;
    this.index = new SegmentIndex();
    this.checksums.clear();
    this.maxTimestampMs = -1;
    this.lastBatchRelOffset = -1;
    this.rollReferenceMs = null;
    this.bytesSinceIndexEntry = 0;
    this.forceIndexEntry = false;
    this.indexDirty = true;
  }

  /**
   * Forgets the batches from index entry `entry` on (before a rescan from its position): the entries
   * before it stay, and so does what they say. The largest timestamp becomes the entry's running
   * maximum, which counts the entry's own batch (too high by at most that batch's, when the rescan
   * keeps none of it: safe, for it only makes a timestamp lookup look at this segment); the last
   * batch's relative offset becomes the previous entry's until a batch is noted again.
   */
  rewindToEntry(entry: number): void {
    const { relOffset, position, maxTimestampMs } = this.index.entry(entry);
    this.lastBatchRelOffset = entry > 0 ? this.index.entry(entry - 1).relOffset : -1;
    this.index.truncateToPosition(position);
    this.checksums.truncateFrom(relOffset);
    this.sizeBytes = position;
    this.nextOffset = this.baseOffset + BigInt(relOffset);
    this.maxTimestampMs = entry > 0 ? maxTimestampMs : -1;
    this.bytesSinceIndexEntry = 0;
    this.forceIndexEntry = true; // the next batch noted (at this position) takes the entry back
    this.indexDirty = true;
  }

  /** Adopts a validated index loaded from disk, for a segment known to end at `sizeBytes`/`nextOffset`. */
  adoptIndex(index: SegmentIndex, checksums: BatchChecksums, sizeBytes: number, nextOffset: bigint, maxTimestampMs: number, lastBatchRelOffset: number): void {
    this.index = index;
    this.checksums = checksums;
    this.sizeBytes = sizeBytes;
    this.nextOffset = nextOffset;
    this.maxTimestampMs = maxTimestampMs;
    this.lastBatchRelOffset = lastBatchRelOffset;
    this.bytesSinceIndexEntry = index.entryCount > 0 ? sizeBytes - index.entry(index.entryCount - 1).position : 0;
    this.indexDirty = false;
  }

  /** Writes the index and checksum files in full and syncs them (their names need a syncDir by the caller). */
  async writeIndexFiles(disk: Disk): Promise<void> {
    const contents: Array<[SegmentFileKind, Uint8Array]> = [
      ['index', this.index.encodeOffsetIndex()],
      ['timeindex', this.index.encodeTimeIndex(this.maxTimestampMs, this.lastBatchRelOffset)],
      ['checksums', this.checksums.encode()],
    ];
    for (const [kind, bytes] of contents) {
      const file = await disk.open(this.path(kind), { create: true });
      try {
        if (bytes.length > 0) await file.write(0, bytes);
        if (file.size() !== bytes.length) await file.truncate(bytes.length);
        await file.sync();
      } finally {
        await file.close();
      }
    }
    this.indexDirty = false;
  }
}

/** Reads a file through a window of `logScanChunkBytes`, so that walking batch headers costs few reads. */
export class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;

  constructor(
    private readonly file: DiskFile,
    /** Bytes past this position are never read (the segment's logical end). */
    readonly end: number,
    private readonly chunkBytes = logScanChunkBytes,
  ) {}

  /**
   * The byte at `position` when the window already holds it, else undefined (the caller reads it
   * with bytes()): a search byte by byte costs no promise and no view per byte, and reads the disk
   * exactly as bytes() alone would.
   */
  peek(position: number): number | undefined {
    const offset = position - this.chunkStart;
    return position < this.end && offset >= 0 && offset < this.chunk.length ? this.chunk[offset] : undefined;
  }

  /** Bytes [position, position + length), shorter only at `end`. */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    const want = Math.min(length, this.end - position);
    if (want <= 0) return new Uint8Array(0);
    const offset = position - this.chunkStart;
    if (offset >= 0 && offset + want <= this.chunk.length) return this.chunk.subarray(offset, offset + want);
    const readLength = Math.min(Math.max(want, this.chunkBytes), this.end - position);
    this.chunk = await this.file.read(position, readLength);
    this.chunkStart = position;
    return this.chunk.subarray(0, Math.min(want, this.chunk.length));
  }
}

/** Where and why a scan stopped early. */
export interface ScanStop {
  readonly position: number;
  readonly problem: BatchProblem | { readonly kind: 'offset-gap'; readonly expected: bigint; readonly found: bigint };
}

/**
 * Walks and verifies batches (CRC included) from `from` to the reader's end, noting each into
 * `segment`. Stops at the first batch that is not whole and valid, or whose baseOffset does not
 * follow on (baseOffset is outside the CRC, so a flipped bit there shows up only as a gap).
 */
export async function scanInto(
  segment: Segment,
  reader: ChunkReader,
  from: number,
  batchBytesMax: number,
  /** Stop (cleanly) before the first batch that holds this offset or a later one. */
  untilOffset: bigint | null = null,
  /** Test only (PartitionLogBugs.recoverySkipsCrc): a batch with a bad checksum passes. */
  skipCrc = false,
): Promise<{ stop: ScanStop | null; batches: number }> {
  let position = from;
  let batches = 0;
  while (position < reader.end) {
    const head = await reader.bytes(position, batchHeaderBytes);
    const headCheck = checkBatch(head, 0, batchBytesMax);
    if (!headCheck.ok && headCheck.problem.kind !== 'short-body' && headCheck.problem.kind !== 'bad-crc') {
      return { stop: { position, problem: headCheck.problem }, batches };
    }
    const size = batchLogOverheadBytes + new DataView(head.buffer, head.byteOffset, head.byteLength).getInt32(8);
    const whole = await reader.bytes(position, size);
    const check = checkBatch(whole, 0, batchBytesMax);
    if (!check.ok && !(skipCrc && check.problem.kind === 'bad-crc')) return { stop: { position, problem: check.problem }, batches };
    const header = readBatchHeader(whole, 0);
    if (header.baseOffset !== segment.nextOffset) {
      return { stop: { position, problem: { kind: 'offset-gap', expected: segment.nextOffset, found: header.baseOffset } }, batches };
    }
    if (untilOffset !== null && header.baseOffset + BigInt(header.lastOffsetDelta) >= untilOffset) break;
    segment.noteBatch(position, size, header);
    position += size;
    batches++;
  }
  return { stop: null, batches };
}
