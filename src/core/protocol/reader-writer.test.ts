import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecodeError } from './decode-error.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error('expected a DecodeError');
}

describe('Writer and Reader', () => {
  test('primitives round-trip', () => {
    const w = new Writer(8)
      .int8(-5).int16(-300).int32(-70000).uint32(0xfffffffe).int64(-(2n ** 63n)).float64(1.5).bool(true)
      .uvarint(0).uvarint(127).uvarint(128).uvarint(0xffffffff).varint(-1).varint(-2147483648).varint(2147483647)
      .string('héllo').nullableString(null).compactString('topic').compactNullableString(null)
      .bytes(Uint8Array.of(1, 2)).nullableBytes(null).compactBytes(Uint8Array.of(3)).compactNullableBytes(null)
      .uuid(new Uint8Array(16).fill(7));
    const r = new Reader(w.finish());
    expect([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64(), r.float64(), r.bool()]).toEqual([
      -5, -300, -70000, 0xfffffffe, -(2n ** 63n), 1.5, true,
    ]);
    expect([r.uvarint(), r.uvarint(), r.uvarint(), r.uvarint(), r.varint(), r.varint(), r.varint()]).toEqual([
      0, 127, 128, 0xffffffff, -1, -2147483648, 2147483647,
    ]);
    expect([r.string(), r.nullableString(), r.compactString(), r.compactNullableString()]).toEqual(['héllo', null, 'topic', null]);
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.nullableBytes()).toBeNull();
    expect([...r.compactBytes()]).toEqual([3]);
    expect(r.compactNullableBytes()).toBeNull();
    expect([...r.uuid()]).toEqual(new Array(16).fill(7));
    r.expectEnd();
  });

  test('strings of any unicode round-trip', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => {
        const r = new Reader(new Writer(8).string(s).compactString(s).finish());
        expect(r.string()).toBe(s);
        expect(r.compactString()).toBe(s);
      }),
    );
  });

  test('large blobs are appended by reference, small ones copied', () => {
    const big = new Uint8Array(4096).fill(1);
    const w = new Writer(64).int32(1).records(big).int32(2).records([big, Uint8Array.of(5)]).int16(3);
    const chunks = w.finishChunks();
    expect(chunks.filter((c) => c === big)).toHaveLength(2);
    const r = new Reader(new Writer(8).raw(chunks.length > 0 ? concat(chunks) : new Uint8Array()).finish());
    expect(r.int32()).toBe(1);
    expect(r.records()!.byteLength).toBe(4096);
    expect(r.int32()).toBe(2);
    expect(r.records()!.byteLength).toBe(4097);
    expect(r.int16()).toBe(3);
    r.expectEnd();
  });

  test('patchInt32 rewrites a size placeholder even after blobs were appended', () => {
    const big = new Uint8Array(1000);
    const w = new Writer(16).int32(0).raw(big).int8(1);
    w.patchInt32(0, w.length - 4);
    const bytes = w.finish();
    expect(new Reader(bytes).int32()).toBe(1001);
  });

  test('every read past the end is a TRUNCATED DecodeError', () => {
    const r = new Reader(Uint8Array.of(0, 1, 2));
    expect(decodeError(() => r.int32()).code).toBe('TRUNCATED');
    expect(decodeError(() => new Reader(Uint8Array.of(0x80, 0x80)).uvarint()).code).toBe('TRUNCATED');
  });

  test('lengths are checked against the bytes remaining before allocating', () => {
    expect(decodeError(() => new Reader(Uint8Array.of(0, 5, 65)).string()).code).toBe('LENGTH_EXCEEDS_FRAME');
    expect(decodeError(() => new Reader(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)).bytes()).code).toBe('LENGTH_EXCEEDS_FRAME');
    expect(decodeError(() => new Reader(Uint8Array.of(0x7f, 0xff, 0xff, 0xff)).array(1, (e) => e.int8())).code).toBe(
      'LENGTH_EXCEEDS_FRAME',
    );
    expect(decodeError(() => new Reader(Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 1)).int32Array()).code).toBe('LENGTH_EXCEEDS_FRAME');
    expect(decodeError(() => new Reader(Uint8Array.of(0xff, 0xfe)).string()).code).toBe('INVALID_LENGTH');
    expect(decodeError(() => new Reader(Uint8Array.of(0xff, 0xff)).string()).code).toBe('INVALID_LENGTH');
    expect(decodeError(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xfe)).nullableArray(1, (e) => e.int8())).code).toBe(
      'INVALID_LENGTH',
    );
  });

  test('varints longer than 5 bytes or above 2^32 are rejected', () => {
    expect(decodeError(() => new Reader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f)).uvarint()).code).toBe('INVALID_VARINT');
    expect(decodeError(() => new Reader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).uvarint()).code).toBe(
      'INVALID_VARINT',
    );
  });

  test('null where the grammar forbids it is INVALID_VALUE', () => {
    expect(decodeError(() => new Reader(Uint8Array.of(0)).compactString()).code).toBe('INVALID_VALUE');
    expect(decodeError(() => new Reader(Uint8Array.of(0)).compactArray(1, (e) => e.int8())).code).toBe('INVALID_VALUE');
  });

  test('tagged fields: unknown tags are skipped, known ones read within their size, order enforced', () => {
    const w = new Writer(8).taggedFields([
      { tag: 0, write: (t) => void t.int32(42) },
      { tag: 5, write: (t) => void t.compactString('x') },
    ]);
    const seen: number[] = [];
    const r = new Reader(w.int8(9).finish());
    r.taggedFields((tag, sub) => {
      if (tag !== 0) return false;
      seen.push(sub.int32());
      return true;
    });
    expect(seen).toEqual([42]);
    expect(r.int8()).toBe(9);
    const unordered = Uint8Array.of(2, 3, 0, 1, 0);
    expect(decodeError(() => new Reader(unordered).taggedFields()).code).toBe('INVALID_VALUE');
  });

  test('trailing bytes are reported', () => {
    const r = new Reader(Uint8Array.of(1, 2));
    r.int8();
    expect(decodeError(() => r.expectEnd()).code).toBe('TRAILING_BYTES');
  });
});

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
