/**
 * The sparse indexes of one segment, kept in memory and written to two files when the segment rolls
 * and on a graceful stop:
 *
 *   <base>.index      8 bytes per entry:  relativeOffset int32, position int32
 *   <base>.timeindex  12 bytes per entry: maxTimestampMs int64, relativeOffset int32
 *
 * An entry is taken at the segment's first batch and then at the first batch after every
 * `indexIntervalBytes` of batches. `relativeOffset` is the batch's baseOffset minus the segment's;
 * `position` is the batch's byte position. A time-index entry's timestamp is the largest batch
 * maxTimestamp up to and including that batch, so every batch before an entry whose timestamp is
 * below a target is below it too. The time index ends with one extra entry: the segment's largest
 * timestamp and the relative offset of its last batch.
 *
 * Index files are hints, never trusted blindly: open() validates them against the segment and
 * rebuilds them by scanning when they are missing, short, or inconsistent.
 */
import { assert } from '../assert.ts';

const offsetEntryBytes = 8;
const timeEntryBytes = 12;

export class SegmentIndex {
  private readonly relOffsets: number[] = [];
  private readonly positions: number[] = [];
  private readonly maxTimestamps: number[] = [];

  get entryCount(): number {
    return this.relOffsets.length;
  }

  add(relOffset: number, position: number, maxTimestampSoFarMs: number): void {
    const n = this.relOffsets.length;
    assert(n === 0 || relOffset > this.relOffsets[n - 1]!, 'index: relative offsets increase');
    assert(n === 0 || position > this.positions[n - 1]!, 'index: positions increase');
    this.relOffsets.push(relOffset);
    this.positions.push(position);
    this.maxTimestamps.push(maxTimestampSoFarMs);
  }

  entry(i: number): { relOffset: number; position: number; maxTimestampMs: number } {
    assert(i >= 0 && i < this.relOffsets.length, 'index: entry in range');
    return { relOffset: this.relOffsets[i]!, position: this.positions[i]!, maxTimestampMs: this.maxTimestamps[i]! };
  }

  /** The last entry whose relative offset is <= `relOffset`, or -1. */
  floor(relOffset: number): number {
    let lo = 0;
    let hi = this.relOffsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.relOffsets[mid]! <= relOffset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The entry to start scanning from for the first batch with a timestamp >= `timestampMs`: the last
   * one whose running maximum is below it (every batch before it is below too), or -1 for the start.
   */
  scanStartForTimestamp(timestampMs: number): number {
    let lo = 0;
    let hi = this.maxTimestamps.length - 1;
    let found = -1; // last entry whose running max is < timestampMs
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.maxTimestamps[mid]! < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops every entry at or after `position` (the segment was cut there). */
  truncateToPosition(position: number): void {
    while (this.positions.length > 0 && this.positions[this.positions.length - 1]! >= position) {
      this.relOffsets.pop();
      this.positions.pop();
      this.maxTimestamps.pop();
    }
  }

  encodeOffsetIndex(): Uint8Array {
    const bytes = new Uint8Array(this.relOffsets.length * offsetEntryBytes);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.relOffsets.length; i++) {
      view.setInt32(i * offsetEntryBytes, this.relOffsets[i]!);
      view.setInt32(i * offsetEntryBytes + 4, this.positions[i]!);
    }
    return bytes;
  }

  encodeTimeIndex(segmentMaxTimestampMs: number, lastBatchRelOffset: number): Uint8Array {
    const n = this.relOffsets.length;
    if (n === 0) return new Uint8Array(0);
    const bytes = new Uint8Array((n + 1) * timeEntryBytes);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i <= n; i++) {
      const last = i === n;
      view.setBigInt64(i * timeEntryBytes, BigInt(last ? segmentMaxTimestampMs : this.maxTimestamps[i]!));
      view.setInt32(i * timeEntryBytes + 8, last ? lastBatchRelOffset : this.relOffsets[i]!);
    }
    return bytes;
  }
}

/** A decoded pair of index files, with the segment facts only the time index's last entry carries. */
export interface DecodedIndex {
  readonly index: SegmentIndex;
  readonly maxTimestampMs: number;
  readonly lastBatchRelOffset: number;
}

/**
 * Decodes and validates a segment's index files against the segment's size. Returns a problem
 * description instead when they cannot be trusted (the caller rebuilds them by scanning).
 */
export function decodeIndexFiles(offsetBytes: Uint8Array, timeBytes: Uint8Array, segmentBytes: number): DecodedIndex | string {
  if (offsetBytes.length % offsetEntryBytes !== 0) return `offset index size ${offsetBytes.length} not a multiple of 8`;
  if (timeBytes.length % timeEntryBytes !== 0) return `time index size ${timeBytes.length} not a multiple of 12`;
  const n = offsetBytes.length / offsetEntryBytes;
  if (n === 0) return segmentBytes === 0 && timeBytes.length === 0 ? emptyIndex() : 'empty index for a non-empty segment';
  if (timeBytes.length / timeEntryBytes !== n + 1) return `time index has ${timeBytes.length / timeEntryBytes} entries, expected ${n + 1}`;
  const offsets = new DataView(offsetBytes.buffer, offsetBytes.byteOffset, offsetBytes.byteLength);
  const times = new DataView(timeBytes.buffer, timeBytes.byteOffset, timeBytes.byteLength);
  const index = new SegmentIndex();
  let previousTimestamp = -Infinity;
  for (let i = 0; i < n; i++) {
    const relOffset = offsets.getInt32(i * offsetEntryBytes);
    const position = offsets.getInt32(i * offsetEntryBytes + 4);
    const timestamp = Number(times.getBigInt64(i * timeEntryBytes));
    const ok =
      (i === 0 ? relOffset === 0 && position === 0 : relOffset > index.entry(i - 1).relOffset && position > index.entry(i - 1).position) &&
      position < segmentBytes &&
      times.getInt32(i * timeEntryBytes + 8) === relOffset &&
      timestamp >= previousTimestamp;
    if (!ok) return `index entry ${i} inconsistent`;
    index.add(relOffset, position, timestamp);
    previousTimestamp = timestamp;
  }
  const maxTimestampMs = Number(times.getBigInt64(n * timeEntryBytes));
  const lastBatchRelOffset = times.getInt32(n * timeEntryBytes + 8);
  if (maxTimestampMs < previousTimestamp || lastBatchRelOffset < index.entry(n - 1).relOffset) return 'time index final entry inconsistent';
  return { index, maxTimestampMs, lastBatchRelOffset };
}

function emptyIndex(): DecodedIndex {
  return { index: new SegmentIndex(), maxTimestampMs: -1, lastBatchRelOffset: -1 };
}
