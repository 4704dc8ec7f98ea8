/**
 * Reads from segments: whole batches by offset, and offsets by timestamp. Readers run beside the
 * writer without a lock: they look only at bytes below a segment's `sizeBytes` as it was when the
 * read began, which the writer never changes. Every batch handed out is CRC-checked first, and its
 * CRC compared with the one the segment keeps for that offset (batch-checksums.ts); a batch that
 * fails either, or a header that does not follow on from the one before, is a CorruptRecordError.
 */
import { assert } from '../assert.ts';
import { CorruptRecordError } from './errors.ts';
import {
  batchCrcPosition,
  batchHeaderBytes,
  batchLogOverheadBytes,
  checkBatch,
  compressionNone,
  compressionOf,
  isLogAppendTime,
  describeBatchProblem,
  readBatchHeader,
  recordTimestamps,
  type RecordBatchHeader,
} from './record-batch.ts';
import { ChunkReader, Segment, segmentFileName } from './segment.ts';

const readChunkBytesMin = 64 * 1024;

interface Located {
  readonly position: number;
  readonly size: number;
  readonly header: RecordBatchHeader;
}

function corrupt(segment: Segment, position: number, message: string, staleCopy = false): CorruptRecordError {
  return new CorruptRecordError(segmentFileName(segment.baseOffset, 'log'), position, message, staleCopy);
}

/**
 * The header of the batch at `position`, which must be the one holding `expectedOffset` as its base.
 * Throws CorruptRecordError when the bytes there are not such a batch.
 */
async function headerAt(segment: Segment, reader: ChunkReader, position: number, expectedOffset: bigint, batchBytesMax: number): Promise<Located> {
  const head = await reader.bytes(position, batchHeaderBytes);
  if (head.length < batchHeaderBytes) throw corrupt(segment, position, 'batch header cut short');
  const header = readBatchHeader(head, 0);
  const size = batchLogOverheadBytes + header.batchLength;
  if (header.magic !== 2) throw corrupt(segment, position, `magic ${header.magic}`);
  if (size < batchHeaderBytes || size > batchBytesMax || position + size > reader.end) throw corrupt(segment, position, `batch length ${header.batchLength}`);
  if (header.baseOffset !== expectedOffset) throw corrupt(segment, position, `baseOffset ${header.baseOffset}, expected ${expectedOffset}`);
  if (header.lastOffsetDelta < 0) throw corrupt(segment, position, `lastOffsetDelta ${header.lastOffsetDelta}`);
  return { position, size, header };
}

function lastOffsetOf(header: RecordBatchHeader): bigint {
  return header.baseOffset + BigInt(header.lastOffsetDelta);
}

/** Walks from index entry `entry` (or the segment start) to the batch that holds `offset`. */
async function locate(segment: Segment, reader: ChunkReader, entry: number, offset: bigint, batchBytesMax: number): Promise<Located | null> {
  let position = entry < 0 ? 0 : segment.index.entry(entry).position;
  let expected = entry < 0 ? segment.baseOffset : segment.baseOffset + BigInt(segment.index.entry(entry).relOffset);
  while (position < reader.end) {
    const found = await headerAt(segment, reader, position, expected, batchBytesMax);
    if (lastOffsetOf(found.header) >= offset) return found;
    position += found.size;
    expected = lastOffsetOf(found.header) + 1n;
  }
  return null;
}

/**
 * Whole batches of `segment` starting with the one that holds `offset`, at most `maxBytes` (but at
 * least one batch), none with an offset at or past `offsetLimit`. Empty when nothing qualifies.
 */
export async function readSegment(
  segment: Segment,
  offset: bigint,
  maxBytes: number,
  offsetLimit: bigint,
  batchBytesMax: number,
  /** Test only (PartitionLogBugs.readSkipsCrc): hand the bytes out unchecked. */
  skipCrc = false,
): Promise<Uint8Array> {
  const reader = new ChunkReader(segment.file, segment.sizeBytes, Math.max(readChunkBytesMin, maxBytes + batchHeaderBytes));
  const first = await locate(segment, reader, segment.index.floor(Number(offset - segment.baseOffset)), offset, batchBytesMax);
  if (first === null) {
    if (offset < segment.nextOffset) throw corrupt(segment, reader.end, `offset ${offset} lies in a damaged stretch`);
    return new Uint8Array(0);
  }
  let end = first.position;
  let expected = first.header.baseOffset;
  let count = 0;
  while (end < reader.end) {
    let found: Located;
    try {
      found = await headerAt(segment, reader, end, expected, batchBytesMax);
    } catch (error) {
      if (count === 0) throw error;
      break; // serve the good batches before the damage; the next read meets it
    }
    if (lastOffsetOf(found.header) >= offsetLimit) {
      // Nothing to serve below the limit. A batch whose header claims offsets past it, where the
      // offset asked for should be, is checked whole first: a damaged header (a misdirected write
      // over it) would otherwise answer "nothing yet" for offsets the log holds.
      if (count === 0) await checkedWhole(segment, reader, found, batchBytesMax);
      break;
    }
    if (count > 0 && end + found.size - first.position > maxBytes) break;
    end += found.size;
    expected = lastOffsetOf(found.header) + 1n;
    count++;
  }
  // A view of the reader's own buffer (every read of the file gets a fresh one, and nothing writes
  // into what a read returns): no second copy of every fetch response.
  const bytes = await reader.bytes(first.position, end - first.position);
  return skipCrc ? bytes : verifiedPrefix(segment, bytes, first.position, batchBytesMax);
}

/** Throws CorruptRecordError unless the batch at `found` is whole and passes its CRC. */
async function checkedWhole(segment: Segment, reader: ChunkReader, found: Located, batchBytesMax: number): Promise<void> {
  const whole = await reader.bytes(found.position, found.size);
  const check = checkBatch(whole, 0, batchBytesMax);
  if (!check.ok) throw corrupt(segment, found.position, describeBatchProblem(check.problem));
}

/**
 * The batches at the front of `bytes` that pass their CRC and are the batches the segment noted at
 * their offsets (the same CRC as in its checksum table: a stale copy of other batches at the same
 * offsets, which a misdirected read can serve, passes its own CRC and fails this); throws if the
 * very first fails.
 */
function verifiedPrefix(segment: Segment, bytes: Uint8Array, filePosition: number, batchBytesMax: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = 0;
  let slot = -1;
  while (position < bytes.length) {
    const check = checkBatch(bytes, position, batchBytesMax);
    let problem: string | null = null;
    let stale = false;
    let size = 0;
    if (check.ok) {
      size = check.size;
      const relOffset = Number(view.getBigInt64(position) - segment.baseOffset);
      slot = slot < 0 ? segment.checksums.find(relOffset) : slot + 1;
      if (!segment.checksums.matches(slot, relOffset, view.getUint32(position + batchCrcPosition))) {
        problem = 'not the batch written at this offset (its CRC differs from the checksum kept for it)';
        stale = true;
      }
    } else problem = describeBatchProblem(check.problem);
    if (problem !== null) {
      if (position === 0) throw corrupt(segment, filePosition, problem, stale);
      return bytes.subarray(0, position);
    }
    position += size;
  }
  assert(position === bytes.length, 'read: batches fill the slice exactly');
  return bytes;
}

/**
 * The first offset in `segment` whose record timestamp is >= `timestampMs`, or null. For compressed
 * batches (records not parsed here) the batch's baseOffset is returned: a little early, never late.
 */
export async function offsetForTimestampInSegment(segment: Segment, timestampMs: bigint, batchBytesMax: number): Promise<bigint | null> {
  if (segment.maxTimestampMs < Number(timestampMs)) return null;
  const reader = new ChunkReader(segment.file, segment.sizeBytes);
  const entry = segment.index.scanStartForTimestamp(Number(timestampMs));
  let position = entry < 0 ? 0 : segment.index.entry(entry).position;
  let expected = entry < 0 ? segment.baseOffset : segment.baseOffset + BigInt(segment.index.entry(entry).relOffset);
  while (position < reader.end) {
    const found = await headerAt(segment, reader, position, expected, batchBytesMax);
    if (found.header.maxTimestamp >= timestampMs) {
      const whole = (await reader.bytes(position, found.size)).slice();
      const check = checkBatch(whole, 0, batchBytesMax);
      if (!check.ok) throw corrupt(segment, position, describeBatchProblem(check.problem));
      // Compressed records are not parsed here; log-append-time records all carry the max timestamp.
      if (compressionOf(found.header.attributes) !== compressionNone || isLogAppendTime(found.header.attributes)) return found.header.baseOffset;
      const hit = recordsOf(whole).find((r) => r.timestampMs >= timestampMs);
      if (hit !== undefined) return hit.offset;
    }
    position += found.size;
    expected = lastOffsetOf(found.header) + 1n;
  }
  return null;
}

/** Record timestamps of a CRC-checked batch; a producer's malformed records count as one at baseOffset. */
function recordsOf(batch: Uint8Array): Array<{ offset: bigint; timestampMs: bigint }> {
  try {
    return recordTimestamps(batch, 0);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const header = readBatchHeader(batch, 0);
    return [{ offset: header.baseOffset, timestampMs: header.maxTimestamp }];
  }
}
