/**
 * A cursor over one Kafka message (a request or response body, or a header). Every read checks the
 * bytes remaining first and throws DecodeError rather than reading past the end; every length and
 * count is checked against the bytes remaining before anything is allocated for it, so a hostile
 * frame can make a decoder fail but never make it allocate more than the frame's own size.
 *
 * BYTES and records are returned as subarrays of the input (no copy): they stay valid as long as the
 * caller does not reuse the input buffer.
 */
import { DecodeError } from './decode-error.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Strings shorter than this are decoded by hand when pure ASCII (topic names, client ids). */
const asciiFastPathCharsMax = 64;

export class Reader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(code: DecodeError['code'], message: string): never {
    throw new DecodeError(code, this.pos, message);
  }

  private need(bytes: number, what: string): void {
    if (this.end - this.pos < bytes) {
      this.fail('TRUNCATED', `${what} needs ${bytes} bytes, ${this.end - this.pos} remain`);
    }
  }

  int8(): number {
    this.need(1, 'INT8');
    return this.view.getInt8(this.pos++);
  }

  int16(): number {
    this.need(2, 'INT16');
    const value = this.view.getInt16(this.pos);
    this.pos += 2;
    return value;
  }

  int32(): number {
    this.need(4, 'INT32');
    const value = this.view.getInt32(this.pos);
    this.pos += 4;
    return value;
  }

  uint32(): number {
    this.need(4, 'UINT32');
    const value = this.view.getUint32(this.pos);
    this.pos += 4;
    return value;
  }

  int64(): bigint {
    this.need(8, 'INT64');
    const value = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return value;
  }

  float64(): number {
    this.need(8, 'FLOAT64');
    const value = this.view.getFloat64(this.pos);
    this.pos += 8;
    return value;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  /** UNSIGNED_VARINT: at most 5 bytes, a value in [0, 2^32). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'UNSIGNED_VARINT');
      const byte = this.buf[this.pos++]!;
      if (shift === 28 && byte > 0x0f) this.fail('INVALID_VARINT', 'UNSIGNED_VARINT above 2^32-1');
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    return this.fail('INVALID_VARINT', 'UNSIGNED_VARINT longer than 5 bytes');
  }

  /** VARINT (zigzag): a value in [-2^31, 2^31). */
  varint(): number {
    const raw = this.uvarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  uuid(): Uint8Array {
    this.need(16, 'UUID');
    const value = this.buf.slice(this.pos, this.pos + 16);
    this.pos += 16;
    return value;
  }

  /** A length that must fit in the remaining bytes; -1 (null) is not allowed. */
  private byteLength(length: number, what: string): number {
    if (length < 0) this.fail('INVALID_LENGTH', `${what} length ${length}`);
    if (length > this.end - this.pos) {
      this.fail('LENGTH_EXCEEDS_FRAME', `${what} length ${length}, ${this.end - this.pos} bytes remain`);
    }
    return length;
  }

  private text(length: number): string {
    const start = this.pos;
    this.pos += length;
    if (length <= asciiFastPathCharsMax) {
      let ascii = true;
      for (let i = start; i < start + length; i++) {
        if (this.buf[i]! > 0x7f) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, this.buf.subarray(start, start + length) as never);
    }
    return utf8.decode(this.buf.subarray(start, start + length));
  }

  /** STRING: INT16 length then UTF-8. */
  string(): string {
    return this.text(this.byteLength(this.int16(), 'STRING'));
  }

  /** NULLABLE_STRING: INT16 length, -1 for null. */
  nullableString(): string | null {
    const length = this.int16();
    return length === -1 ? null : this.text(this.byteLength(length, 'NULLABLE_STRING'));
  }

  /** COMPACT_STRING: UNSIGNED_VARINT length+1, then UTF-8. */
  compactString(): string {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) this.fail('INVALID_VALUE', 'null COMPACT_STRING where a string is required');
    return this.text(this.byteLength(lengthPlusOne - 1, 'COMPACT_STRING'));
  }

  compactNullableString(): string | null {
    const lengthPlusOne = this.uvarint();
    return lengthPlusOne === 0 ? null : this.text(this.byteLength(lengthPlusOne - 1, 'COMPACT_STRING'));
  }

  private slice(length: number): Uint8Array {
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** BYTES: INT32 length then the bytes (a subarray of the input, not a copy). */
  bytes(): Uint8Array {
    return this.slice(this.byteLength(this.int32(), 'BYTES'));
  }

  nullableBytes(): Uint8Array | null {
    const length = this.int32();
    return length === -1 ? null : this.slice(this.byteLength(length, 'NULLABLE_BYTES'));
  }

  compactBytes(): Uint8Array {
    const lengthPlusOne = this.uvarint();
    if (lengthPlusOne === 0) this.fail('INVALID_VALUE', 'null COMPACT_BYTES where bytes are required');
    return this.slice(this.byteLength(lengthPlusOne - 1, 'COMPACT_BYTES'));
  }

  compactNullableBytes(): Uint8Array | null {
    const lengthPlusOne = this.uvarint();
    return lengthPlusOne === 0 ? null : this.slice(this.byteLength(lengthPlusOne - 1, 'COMPACT_BYTES'));
  }

  /** RECORDS in a non-flexible version: NULLABLE_BYTES, returned as a subarray. */
  records(): Uint8Array | null {
    return this.nullableBytes();
  }

  private count(count: number, elementBytesMin: number, what: string): number {
    if (count < 0) this.fail('INVALID_LENGTH', `${what} count ${count}`);
    if (count * elementBytesMin > this.end - this.pos) {
      this.fail('LENGTH_EXCEEDS_FRAME', `${what} of ${count} needs at least ${count * elementBytesMin} bytes`);
    }
    return count;
  }

  /**
   * ARRAY: INT32 count, then the elements. `elementBytesMin` is the smallest size one element can
   * have on the wire (at least 1); the count is rejected before any allocation if the remaining
   * bytes could not hold that many.
   */
  array<T>(elementBytesMin: number, readOne: (r: Reader) => T): T[] {
    const n = this.count(this.int32(), elementBytesMin, 'ARRAY');
    return this.elements(n, readOne);
  }

  /** ARRAY that may be null (-1). */
  nullableArray<T>(elementBytesMin: number, readOne: (r: Reader) => T): T[] | null {
    const raw = this.int32();
    if (raw === -1) return null;
    return this.elements(this.count(raw, elementBytesMin, 'ARRAY'), readOne);
  }

  /** COMPACT_ARRAY: UNSIGNED_VARINT count+1; 0 (null) is rejected. */
  compactArray<T>(elementBytesMin: number, readOne: (r: Reader) => T): T[] {
    const raw = this.uvarint();
    if (raw === 0) this.fail('INVALID_VALUE', 'null COMPACT_ARRAY where an array is required');
    return this.elements(this.count(raw - 1, elementBytesMin, 'COMPACT_ARRAY'), readOne);
  }

  compactNullableArray<T>(elementBytesMin: number, readOne: (r: Reader) => T): T[] | null {
    const raw = this.uvarint();
    if (raw === 0) return null;
    return this.elements(this.count(raw - 1, elementBytesMin, 'COMPACT_ARRAY'), readOne);
  }

  private elements<T>(n: number, readOne: (r: Reader) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(readOne(this));
    return out;
  }

  int32Array(): number[] {
    return this.array(4, (r) => r.int32());
  }

  /**
   * TAGGED_FIELDS: UNSIGNED_VARINT count, then (tag, size, bytes) with strictly increasing tags.
   * `onTag` reads a known tag from a sub-reader bounded to its size and returns true; unknown tags
   * (onTag returns false, or no onTag) are skipped.
   */
  taggedFields(onTag?: (tag: number, r: Reader) => boolean): void {
    const n = this.count(this.uvarint(), 2, 'TAGGED_FIELDS');
    let previousTag = -1;
    for (let i = 0; i < n; i++) {
      const tag = this.uvarint();
      if (tag <= previousTag) this.fail('INVALID_VALUE', `tag ${tag} after tag ${previousTag}`);
      previousTag = tag;
      const size = this.byteLength(this.uvarint(), 'tagged field');
      const start = this.pos;
      this.pos += size;
      if (onTag === undefined) continue;
      const sub = new Reader(this.buf, start, start + size);
      if (onTag(tag, sub)) sub.expectEnd('tagged field');
    }
  }

  /**
   * Consumes what is left when every remaining byte is zero (otherwise leaves it for expectEnd to
   * refuse). For requests that some client pads with zeros, which Kafka's own parser ignores.
   */
  skipZeroPadding(): void {
    for (let at = this.pos; at < this.end; at++) if (this.buf[at] !== 0) return;
    this.pos = this.end;
  }

  /** Throws TRAILING_BYTES unless every byte was consumed. */
  expectEnd(what = 'message'): void {
    if (this.pos !== this.end) this.fail('TRAILING_BYTES', `${this.end - this.pos} bytes after the ${what}`);
  }
}
