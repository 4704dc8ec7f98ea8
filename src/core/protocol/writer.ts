/**
 * A growable, fluent encoder for Kafka's primitive types. Large opaque blobs (record batches) are not
 * copied: `records()` / `blob()` end the current chunk and append the caller's buffer by reference,
 * so `finishChunks()` returns a list of chunks to write in order. Small fields go into one scratch
 * buffer that doubles when full (copying only the part not yet handed off as a chunk).
 *
 * Writers are used for one message and thrown away; the caller must not modify a blob it passed in
 * until the chunks have been written out.
 */
import { assert } from '../assert.ts';

const utf8 = new TextEncoder();

/** Blobs at least this large are appended by reference instead of copied. */
const blobByReferenceBytesMin = 512;
/** Largest message a writer produces: a Kafka frame's size is an INT32. */
const writerBytesMax = 0x7fffffff;

/** Record data for a response: one buffer, or several that are sent back to back (e.g. log slices). */
export type Records = Uint8Array | readonly Uint8Array[];

export function recordsByteLength(records: Records): number {
  if (records instanceof Uint8Array) return records.byteLength;
  let total = 0;
  for (const part of records) total += part.byteLength;
  return total;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private chunkStart = 0;
  private readonly chunks: Uint8Array[] = [];
  private handedOffBytes = 0;

  constructor(capacityBytes = 256) {
    assert(capacityBytes >= 8, 'writer capacity at least 8 bytes');
    this.buf = new Uint8Array(capacityBytes);
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes written so far, including blobs appended by reference. */
  get length(): number {
    return this.handedOffBytes + (this.pos - this.chunkStart);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const live = this.pos - this.chunkStart;
    assert(this.length + bytes <= writerBytesMax, 'message larger than an INT32 frame');
    const capacity = Math.max(this.buf.length * 2, live + bytes + 64);
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(this.chunkStart, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
    this.pos = live;
    this.chunkStart = 0;
  }

  int8(value: number): this {
    this.ensure(1);
    this.view.setInt8(this.pos, value);
    this.pos += 1;
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, value);
    this.pos += 2;
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, value);
    this.pos += 4;
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, value);
    this.pos += 4;
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, value);
    this.pos += 8;
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value);
    this.pos += 8;
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  uvarint(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, 'UNSIGNED_VARINT in [0, 2^32)');
    this.ensure(5);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  varint(value: number): this {
    assert(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff, 'VARINT in INT32 range');
    return this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  uuid(value: Uint8Array): this {
    assert(value.byteLength === 16, 'UUID is 16 bytes');
    return this.raw(value);
  }

  /** Copies bytes in (small values) or appends them by reference (large ones). */
  raw(bytes: Uint8Array): this {
    if (bytes.byteLength >= blobByReferenceBytesMin) return this.blob(bytes);
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
    return this;
  }

  /** Appends bytes by reference: ends the current chunk, the blob becomes the next one. */
  blob(bytes: Uint8Array): this {
    assert(this.length + bytes.byteLength <= writerBytesMax, 'message larger than an INT32 frame');
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.handedOffBytes += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
    if (bytes.byteLength > 0) {
      this.chunks.push(bytes);
      this.handedOffBytes += bytes.byteLength;
    }
    return this;
  }

  private text(s: string, writeLength: (byteLength: number) => void): this {
    if (isAscii(s)) {
      writeLength(s.length);
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += s.length;
      return this;
    }
    const bytes = utf8.encode(s);
    writeLength(bytes.byteLength);
    return this.raw(bytes);
  }

  /** STRING: INT16 length then UTF-8. */
  string(value: string): this {
    return this.text(value, (n) => {
      assert(n <= 0x7fff, 'STRING at most 32767 bytes');
      this.int16(n);
    });
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  compactString(value: string): this {
    return this.text(value, (n) => this.uvarint(n + 1));
  }

  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  bytes(value: Uint8Array): this {
    return this.int32(value.byteLength).raw(value);
  }

  nullableBytes(value: Uint8Array | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  compactBytes(value: Uint8Array): this {
    return this.uvarint(value.byteLength + 1).raw(value);
  }

  compactNullableBytes(value: Uint8Array | null): this {
    return value === null ? this.uvarint(0) : this.compactBytes(value);
  }

  /** RECORDS in a non-flexible version: INT32 length (-1 for null), then the parts by reference. */
  records(value: Records | null): this {
    if (value === null) return this.int32(-1);
    if (value instanceof Uint8Array) return this.int32(value.byteLength).raw(value);
    this.int32(recordsByteLength(value));
    for (const part of value) this.raw(part);
    return this;
  }

  /** ARRAY: INT32 count, then each element. */
  array<T>(items: readonly T[], writeOne: (w: Writer, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) writeOne(this, item);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, writeOne: (w: Writer, item: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, writeOne);
  }

  compactArray<T>(items: readonly T[], writeOne: (w: Writer, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) writeOne(this, item);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null, writeOne: (w: Writer, item: T) => void): this {
    return items === null ? this.uvarint(0) : this.compactArray(items, writeOne);
  }

  int32Array(items: readonly number[]): this {
    this.int32(items.length);
    for (const item of items) this.int32(item);
    return this;
  }

  /** TAGGED_FIELDS with no fields. */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  /** TAGGED_FIELDS: each field's body is encoded by its writer into a sub-writer to learn its size. */
  taggedFields(fields: readonly { tag: number; write: (w: Writer) => void }[]): this {
    this.uvarint(fields.length);
    let previousTag = -1;
    for (const field of fields) {
      assert(field.tag > previousTag, 'tagged fields in increasing tag order');
      previousTag = field.tag;
      const sub = new Writer(64);
      field.write(sub);
      this.uvarint(field.tag).uvarint(sub.length);
      for (const chunk of sub.finishChunks()) this.raw(chunk);
    }
    return this;
  }

  /** Overwrites an INT32 written earlier at absolute byte `offset` (which must still be in the scratch buffer). */
  patchInt32(offset: number, value: number): this {
    const local = offset - this.handedOffBytes + this.chunkStart;
    if (local >= this.chunkStart && local + 4 <= this.pos) {
      this.view.setInt32(local, value);
      return this;
    }
    // The INT32 was handed off in an earlier chunk: find it there.
    let base = 0;
    for (const chunk of this.chunks) {
      if (offset >= base && offset + 4 <= base + chunk.byteLength) {
        new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).setInt32(offset - base, value);
        return this;
      }
      base += chunk.byteLength;
    }
    assert(false, `patchInt32 at ${offset} spans chunks`);
    return this;
  }

  /** The message as chunks to write in order. The writer must not be used afterwards. */
  finishChunks(): Uint8Array[] {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.handedOffBytes += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
    return this.chunks;
  }

  /** The message as one buffer (copies when blobs were appended by reference). */
  finish(): Uint8Array {
    const chunks = this.finishChunks();
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(this.handedOffBytes);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}
