/**
 * The CRC of every batch of one segment, kept apart from the batches themselves, in memory and in a
 * file written beside the index files when the segment rolls and on a graceful stop:
 *
 *   <base>.checksums  8 bytes per batch: relativeOffset int32, crc uint32 (the batch's own CRC field)
 *                     then 4 bytes: CRC-32C of everything before them
 *
 * A batch's own CRC proves its bytes are whole, not that they are the batch the log wrote at that
 * offset. A misdirected read or write can serve a whole, valid batch from another place: a stale copy
 * of batches whose offsets were later cut and written anew (simulator log-crash seeds 186893 and
 * 302748 read acknowledged offsets back with another batch's records so). Every read compares each
 * batch's CRC with the one kept here, as a pointer that carries its target's checksum would; a batch
 * that disagrees is read as corrupt (the caller reads again), never served.
 *
 * Like the index files, the file is a hint checked before it is trusted: a bad trailer, an order that
 * does not increase, or entries that do not match the index make recovery rebuild it by scanning.
 */
import { crc32c } from '@node-rs/crc32';
import { assert } from '../assert.ts';

const entryBytes = 8;
const trailerBytes = 4;

export class BatchChecksums {
  private relOffsets: Int32Array;
  private crcs: Uint32Array;
  private count = 0;

  constructor(capacity = 16) {
    this.relOffsets = new Int32Array(capacity);
    this.crcs = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The relative offset of the last batch noted, or -1. */
  get lastRelOffset(): number {
    return this.count === 0 ? -1 : this.relOffsets[this.count - 1]!;
  }

  add(relOffset: number, crc: number): void {
    assert(this.count === 0 || relOffset > this.relOffsets[this.count - 1]!, 'checksums: relative offsets increase');
    if (this.count === this.relOffsets.length) {
      const relOffsets = new Int32Array(Math.max(16, this.count * 2));
      relOffsets.set(this.relOffsets);
      this.relOffsets = relOffsets;
      const crcs = new Uint32Array(relOffsets.length);
      crcs.set(this.crcs);
      this.crcs = crcs;
    }
    this.relOffsets[this.count] = relOffset;
    this.crcs[this.count] = crc >>> 0;
    this.count++;
  }

  /** The slot of the batch whose base is `relOffset`, or -1 when no batch starts there. */
  find(relOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.relOffsets[mid]!;
      if (at === relOffset) return mid;
      if (at < relOffset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Whether slot `slot` is the batch at `relOffset` and has the CRC `crc` (batches are read in order, slot by slot). */
  matches(slot: number, relOffset: number, crc: number): boolean {
    return slot >= 0 && slot < this.count && this.relOffsets[slot] === relOffset && this.crcs[slot] === crc >>> 0;
  }

  /** Drops the batches at `relOffset` and after (the segment was cut there). */
  truncateFrom(relOffset: number): void {
    while (this.count > 0 && this.relOffsets[this.count - 1]! >= relOffset) this.count--;
  }

  clear(): void {
    this.count = 0;
  }

  /** Gives back the unused room of the table (a sealed segment's table no longer grows). */
  compact(): void {
    if (this.relOffsets.length === this.count) return;
    this.relOffsets = this.relOffsets.slice(0, this.count);
    this.crcs = this.crcs.slice(0, this.count);
  }

  encode(): Uint8Array {
    const bytes = new Uint8Array(this.count * entryBytes + trailerBytes);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.count; i++) {
      view.setInt32(i * entryBytes, this.relOffsets[i]!);
      view.setUint32(i * entryBytes + 4, this.crcs[i]!);
    }
    view.setUint32(this.count * entryBytes, crc32c(bytes.subarray(0, this.count * entryBytes)) >>> 0);
    return bytes;
  }

  /**
   * Decodes a `.checksums` file, or says why it cannot be trusted. `indexRelOffsets` are the index
   * entries' relative offsets: each must be a batch here, and `lastBatchRelOffset` the last one.
   */
  static decode(bytes: Uint8Array, indexRelOffsets: readonly number[], lastBatchRelOffset: number): BatchChecksums | string {
    if (bytes.length < trailerBytes || (bytes.length - trailerBytes) % entryBytes !== 0) return `checksums size ${bytes.length} not 8n+4`;
    const n = (bytes.length - trailerBytes) / entryBytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(n * entryBytes) !== crc32c(bytes.subarray(0, n * entryBytes)) >>> 0) return 'checksums trailer mismatch';
    const table = new BatchChecksums(n);
    for (let i = 0; i < n; i++) {
      const relOffset = view.getInt32(i * entryBytes);
      if (relOffset < 0 || relOffset <= table.lastRelOffset) return `checksum entry ${i} out of order`;
      table.add(relOffset, view.getUint32(i * entryBytes + 4));
    }
    if (table.lastRelOffset !== lastBatchRelOffset) return `checksums end at ${table.lastRelOffset}, the segment at ${lastBatchRelOffset}`;
    for (const relOffset of indexRelOffsets) if (table.find(relOffset) < 0) return `index entry at ${relOffset} has no checksum`;
    return table;
  }
}
