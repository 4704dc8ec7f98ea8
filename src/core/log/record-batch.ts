/**
 * Kafka record batches, magic 2: the unit the log stores, exactly as a producer sent it except for
 * baseOffset (and, later, partitionLeaderEpoch), which the broker rewrites. Neither field is covered by
 * the CRC, so rewriting them never invalidates a batch.
 *
 *   offset  size  field
 *        0     8  baseOffset            int64
 *        8     4  batchLength           int32   bytes after this field (total size = 12 + batchLength)
 *       12     4  partitionLeaderEpoch  int32
 *       16     1  magic                 int8    always 2
 *       17     4  crc                   uint32  CRC-32C of bytes [21, end)
 *       21     2  attributes            int16   bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
 *       23     4  lastOffsetDelta       int32
 *       27     8  baseTimestamp         int64
 *       35     8  maxTimestamp          int64
 *       43     8  producerId            int64
 *       51     2  producerEpoch         int16
 *       53     4  baseSequence          int32
 *       57     4  recordCount           int32
 *       61     -  records
 */
import { crc32c } from '@node-rs/crc32';
import { assert, unreachable } from '../assert.ts';

export const batchLogOverheadBytes = 12; // baseOffset + batchLength
export const batchHeaderBytes = 61;
export const batchMagic = 2;
const crcPosition = 17;
export const batchCrcPosition = crcPosition;
const crcCoveredFrom = 21;

export interface RecordBatchHeader {
  readonly baseOffset: bigint;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

let readViewBuffer: ArrayBufferLike | null = null;
let readView: DataView | null = null;

/**
 * A DataView over the whole ArrayBuffer under `bytes`, kept for the last buffer asked about, for the
 * reads run per batch (sizes, headers, checks): batches are read one after another from one buffer,
 * and a DataView per call was a visible share of the broker's allocations. Positions must add
 * `bytes.byteOffset`; callers stay within `bytes` (they check bounds first).
 */
function readViewOf(bytes: Uint8Array): DataView {
  if (bytes.buffer !== readViewBuffer || readView === null) {
    readViewBuffer = bytes.buffer;
    readView = new DataView(bytes.buffer);
  }
  return readView;
}

/** Total size in bytes of the batch starting at `position`, read from its batchLength field. */
export function batchSizeAt(bytes: Uint8Array, position: number): number {
  assert(position + batchLogOverheadBytes <= bytes.length, 'batch length field in range');
  return batchLogOverheadBytes + readViewOf(bytes).getInt32(bytes.byteOffset + position + 8);
}

/** Parses the 61-byte header of the batch at `position` (no validation beyond bounds). */
export function readBatchHeader(bytes: Uint8Array, position = 0): RecordBatchHeader {
  assert(position + batchHeaderBytes <= bytes.length, 'batch header in range');
  const v = readViewOf(bytes);
  const p = bytes.byteOffset + position;
  return {
    baseOffset: v.getBigInt64(p),
    batchLength: v.getInt32(p + 8),
    partitionLeaderEpoch: v.getInt32(p + 12),
    magic: v.getInt8(p + 16),
    crc: v.getUint32(p + 17),
    attributes: v.getInt16(p + 21),
    lastOffsetDelta: v.getInt32(p + 23),
    baseTimestamp: v.getBigInt64(p + 27),
    maxTimestamp: v.getBigInt64(p + 35),
    producerId: v.getBigInt64(p + 43),
    producerEpoch: v.getInt16(p + 51),
    baseSequence: v.getInt32(p + 53),
    recordCount: v.getInt32(p + 57),
  };
}

/** Rewrites baseOffset in place (not covered by the CRC). */
export function writeBaseOffset(bytes: Uint8Array, position: number, baseOffset: bigint): void {
  view(bytes).setBigInt64(position, baseOffset);
}

/** Rewrites partitionLeaderEpoch in place (not covered by the CRC). */
export function writePartitionLeaderEpoch(bytes: Uint8Array, position: number, epoch: number): void {
  view(bytes).setInt32(position + 12, epoch);
}

/** Attributes bit 3: the batch's timestamps are the broker's log-append time, not the producer's. */
export const logAppendTimeAttributeBit = 0x08;

/** True when every record of a batch with these attributes has the batch's max timestamp (log-append time). */
export function isLogAppendTime(attributes: number): boolean {
  return (attributes & logAppendTimeAttributeBit) !== 0;
}

/**
 * Makes the batch at `position` (total size `size`) a log-append-time batch, as Kafka's broker does
 * for a topic with message.timestamp.type=LogAppendTime: sets the timestamp-type attribute bit and
 * the max timestamp to `timestampMs`, and recomputes the CRC (both fields are covered by it). The
 * records keep their own timestamp deltas; readers take the max timestamp for every record.
 */
export function stampLogAppendTime(bytes: Uint8Array, position: number, size: number, timestampMs: bigint): void {
  const v = view(bytes);
  v.setInt16(position + 21, v.getInt16(position + 21) | logAppendTimeAttributeBit);
  v.setBigInt64(position + 35, timestampMs);
  v.setUint32(position + crcPosition, computeBatchCrc(bytes, position, size));
}

/** CRC-32C over [attributes, end) of the batch at `position` with total size `size`. */
export function computeBatchCrc(bytes: Uint8Array, position: number, size: number): number {
  return crc32c(bytes.subarray(position + crcCoveredFrom, position + size)) >>> 0;
}

/** Why the bytes at a position are not a whole, valid batch. */
export type BatchProblem =
  | { readonly kind: 'short-header'; readonly available: number }
  | { readonly kind: 'bad-length'; readonly batchLength: number }
  | { readonly kind: 'bad-magic'; readonly magic: number }
  | { readonly kind: 'short-body'; readonly size: number; readonly available: number }
  | { readonly kind: 'bad-crc'; readonly stored: number; readonly computed: number }
  | { readonly kind: 'bad-header'; readonly detail: string };

export type BatchCheck = { readonly ok: true; readonly size: number } | { readonly ok: false; readonly problem: BatchProblem };

/**
 * Checks the batch at `position` of `bytes` (the bytes available end at bytes.length): length sane,
 * magic 2, whole, CRC right, lastOffsetDelta and recordCount plausible. `sizeMax` bounds batchLength.
 */
export function checkBatch(bytes: Uint8Array, position: number, sizeMax: number): BatchCheck {
  const available = bytes.length - position;
  if (available < batchHeaderBytes) return { ok: false, problem: { kind: 'short-header', available } };
  const v = readViewOf(bytes);
  const p = bytes.byteOffset + position;
  const batchLength = v.getInt32(p + 8);
  const size = batchLogOverheadBytes + batchLength;
  if (size < batchHeaderBytes || size > sizeMax) return { ok: false, problem: { kind: 'bad-length', batchLength } };
  const magic = v.getInt8(p + 16);
  if (magic !== batchMagic) return { ok: false, problem: { kind: 'bad-magic', magic } };
  if (available < size) return { ok: false, problem: { kind: 'short-body', size, available } };
  const stored = v.getUint32(p + crcPosition);
  const computed = computeBatchCrc(bytes, position, size);
  if (stored !== computed) return { ok: false, problem: { kind: 'bad-crc', stored, computed } };
  const lastOffsetDelta = v.getInt32(p + 23);
  const recordCount = v.getInt32(p + 57);
  if (lastOffsetDelta < 0 || recordCount < 0 || (recordCount > 0 && lastOffsetDelta < recordCount - 1)) {
    return { ok: false, problem: { kind: 'bad-header', detail: `lastOffsetDelta ${lastOffsetDelta}, recordCount ${recordCount}` } };
  }
  return { ok: true, size };
}

export function describeBatchProblem(problem: BatchProblem): string {
  switch (problem.kind) {
    case 'short-header':
      return `only ${problem.available} bytes, short of a batch header`;
    case 'bad-length':
      return `implausible batchLength ${problem.batchLength}`;
    case 'bad-magic':
      return `magic ${problem.magic}, expected 2`;
    case 'short-body':
      return `batch of ${problem.size} bytes but only ${problem.available} present`;
    case 'bad-crc':
      return `crc mismatch (stored ${problem.stored}, computed ${problem.computed})`;
    case 'bad-header':
      return `bad header: ${problem.detail}`;
    default:
      return unreachable(problem);
  }
}

/** Position, size and header of one batch inside a larger buffer. */
export interface BatchSpan {
  readonly position: number;
  readonly size: number;
  readonly header: RecordBatchHeader;
}

/**
 * The headers of consecutive batches that were checked whole already (a PartitionLog append checked
 * them): no CRC is computed again, which for a follower was a second pass over every replicated
 * byte. Stops at the first header that does not fit.
 */
export function headersOfCheckedBatches(bytes: Uint8Array): RecordBatchHeader[] {
  const headers: RecordBatchHeader[] = [];
  let position = 0;
  while (position + batchHeaderBytes <= bytes.length) {
    const header = readBatchHeader(bytes, position);
    const size = batchLogOverheadBytes + header.batchLength;
    if (size < batchHeaderBytes || position + size > bytes.length) break;
    headers.push(header);
    position += size;
  }
  return headers;
}

/**
 * Splits a buffer of consecutive batches (a produce request's records, or a slice of a segment),
 * checking each one. Returns the spans, or the first problem and where it is.
 */
export function splitBatches(
  bytes: Uint8Array,
  sizeMax: number,
): { readonly ok: true; readonly spans: BatchSpan[] } | { readonly ok: false; readonly position: number; readonly problem: BatchProblem } {
  const spans: BatchSpan[] = [];
  let position = 0;
  while (position < bytes.length) {
    const check = checkBatch(bytes, position, sizeMax);
    if (!check.ok) return { ok: false, position, problem: check.problem };
    spans.push({ position, size: check.size, header: readBatchHeader(bytes, position) });
    position += check.size;
  }
  return { ok: true, spans };
}

// ---- records inside a batch (for timestamps, and for building batches in tests and clients) ------

export const compressionNone = 0;

export function compressionOf(attributes: number): number {
  return attributes & 0x07;
}

export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestampDelta?: number;
  readonly headers?: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array | null }>;
}

export interface BatchInput {
  readonly records: readonly RecordInput[];
  readonly baseOffset?: bigint;
  readonly baseTimestamp?: bigint;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly partitionLeaderEpoch?: number;
  readonly attributes?: number;
}

class ByteWriter {
  buffer: Uint8Array;
  length = 0;
  constructor(capacity = 256) {
    this.buffer = new Uint8Array(capacity);
  }
  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
  bytes(data: Uint8Array, length = data.length): void {
    this.ensure(length);
    this.buffer.set(length === data.length ? data : data.subarray(0, length), this.length);
    this.length += length;
  }
  int8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }
  varlong(value: bigint): void {
    let zigzag = value >= 0n ? value << 1n : ((-value) << 1n) - 1n;
    while (zigzag >= 0x80n) {
      this.int8(Number(zigzag & 0x7fn) | 0x80);
      zigzag >>= 7n;
    }
    this.int8(Number(zigzag));
  }
  /** A zigzag varint of an int32 (the same bytes `varlong` writes for it, without BigInt). */
  varint(value: number): void {
    let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
    this.ensure(5);
    while (zigzag >= 0x80) {
      this.buffer[this.length++] = (zigzag & 0x7f) | 0x80;
      zigzag >>>= 7;
    }
    this.buffer[this.length++] = zigzag;
  }
  /** A zigzag varlong of a number: the int32 path when it fits. */
  varnumber(value: number): void {
    if (value === (value | 0)) this.varint(value);
    else this.varlong(BigInt(value));
  }
}

const utf8 = new TextEncoder();
/** One record's body, reused record after record (encoding is synchronous, so nothing interleaves). */
const recordScratch = new ByteWriter(1024);

/** Writes record `record` (length varint, then body) to `out`. */
function encodeRecord(out: ByteWriter, record: RecordInput, offsetDelta: number): void {
  const body = recordScratch;
  body.length = 0;
  body.int8(0); // record attributes, unused
  body.varnumber(record.timestampDelta ?? 0);
  body.varint(offsetDelta);
  for (const field of [record.key, record.value]) {
    if (field === null) body.varint(-1);
    else {
      body.varint(field.length);
      body.bytes(field);
    }
  }
  const headers = record.headers ?? [];
  body.varint(headers.length);
  for (const header of headers) {
    const key = utf8.encode(header.key);
    body.varint(key.length);
    body.bytes(key);
    if (header.value === null) body.varint(-1);
    else {
      body.varint(header.value.length);
      body.bytes(header.value);
    }
  }
  out.varint(body.length);
  out.bytes(body.buffer, body.length);
}

/** Builds an uncompressed magic-2 batch with a correct CRC. */
export function encodeRecordBatch(input: BatchInput): Uint8Array {
  assert(input.records.length > 0, 'a batch holds at least one record');
  // Sized for the common case in one allocation: fields plus 32 bytes of framing per record.
  let estimate = batchHeaderBytes;
  for (const record of input.records) estimate += 32 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  const out = new ByteWriter(estimate);
  out.length = batchHeaderBytes;
  input.records.forEach((record, i) => encodeRecord(out, record, i));
  const size = out.length;
  const bytes = out.buffer.length === size ? out.buffer : out.buffer.slice(0, size);
  const v = view(bytes);
  const baseTimestamp = input.baseTimestamp ?? 0n;
  const maxDelta = input.records.reduce((max, r) => Math.max(max, r.timestampDelta ?? 0), 0);
  v.setBigInt64(0, input.baseOffset ?? 0n);
  v.setInt32(8, size - batchLogOverheadBytes);
  v.setInt32(12, input.partitionLeaderEpoch ?? -1);
  v.setInt8(16, batchMagic);
  v.setInt16(21, input.attributes ?? 0);
  v.setInt32(23, input.records.length - 1);
  v.setBigInt64(27, baseTimestamp);
  v.setBigInt64(35, baseTimestamp + BigInt(maxDelta));
  v.setBigInt64(43, input.producerId ?? -1n);
  v.setInt16(51, input.producerEpoch ?? -1);
  v.setInt32(53, input.baseSequence ?? -1);
  v.setInt32(57, input.records.length);
  v.setUint32(crcPosition, computeBatchCrc(bytes, 0, size));
  return bytes;
}

class ByteReader {
  constructor(
    private readonly bytes: Uint8Array,
    public position: number,
    private readonly end: number,
  ) {}
  int8(): number {
    if (this.position >= this.end) throw new RangeError('record runs past its batch');
    return this.bytes[this.position++]!;
  }
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.int8();
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw new RangeError('varint longer than 10 bytes');
  }
  varint(): number {
    return Number(this.varlong());
  }
  skip(count: number): void {
    if (count < 0 || this.position + count > this.end) throw new RangeError('field runs past its batch');
    this.position += count;
  }
}

/** One record of a batch, as a consumer sees it. Key and value are views into the batch bytes. */
export interface DecodedRecord {
  readonly offset: bigint;
  readonly timestampMs: bigint;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

/** The records of the uncompressed batch at `position` (throws RangeError if a record runs past it). */
export function decodeRecords(bytes: Uint8Array, position: number): DecodedRecord[] {
  const header = readBatchHeader(bytes, position);
  assert(compressionOf(header.attributes) === compressionNone, 'decodeRecords needs an uncompressed batch');
  const end = position + batchLogOverheadBytes + header.batchLength;
  const reader = new ByteReader(bytes, position + batchHeaderBytes, end);
  const nullable = (): Uint8Array | null => {
    const length = reader.varint();
    if (length < 0) return null;
    const start = reader.position;
    reader.skip(length);
    return bytes.subarray(start, start + length);
  };
  const out: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const length = reader.varint();
    const recordEnd = reader.position + length;
    reader.int8();
    const timestampDelta = reader.varlong();
    const offsetDelta = reader.varint();
    const key = nullable();
    const value = nullable();
    out.push({ offset: header.baseOffset + BigInt(offsetDelta), timestampMs: header.baseTimestamp + timestampDelta, key, value });
    reader.skip(recordEnd - reader.position);
  }
  return out;
}

/** Offset and timestamp of each record of an uncompressed batch (for ListOffsets by timestamp). */
export function recordTimestamps(bytes: Uint8Array, position: number): Array<{ offset: bigint; timestampMs: bigint }> {
  return decodeRecords(bytes, position).map(({ offset, timestampMs }) => ({ offset, timestampMs }));
}
