/**
 * Reads the records of uncompressed magic-2 batches, as a consumer would: offsets and values.
 * Used by workload checkers; throws on anything malformed (a checker failure, never ignored).
 */
export interface ConsumedRecord {
  offset: bigint;
  value: string | null;
}

const decoder = new TextDecoder();

class Cursor {
  constructor(
    private readonly bytes: Uint8Array,
    public at: number,
  ) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error('record runs past the end of the fetched data');
    return this.bytes[this.at++]!;
  }
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new Error('varint too long');
  }
  varint(): number {
    return Number(this.varlong());
  }
  take(n: number): Uint8Array {
    if (n < 0 || this.at + n > this.bytes.length) throw new Error('field runs past the end of the fetched data');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}

/** Every record of the whole batches in `bytes` (a trailing partial batch is ignored, as clients do). */
export function readRecords(bytes: Uint8Array): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= 61) {
    const baseOffset = view.getBigInt64(at);
    const batchLength = view.getInt32(at + 8);
    const end = at + 12 + batchLength;
    if (end > bytes.length) break;
    if (view.getInt8(at + 16) !== 2) throw new Error(`batch at ${baseOffset} has magic ${view.getInt8(at + 16)}`);
    const count = view.getInt32(at + 57);
    const cursor = new Cursor(bytes.subarray(0, end), at + 61);
    for (let i = 0; i < count; i++) {
      const length = cursor.varint();
      const recordEnd = cursor.at + length;
      cursor.byte();
      cursor.varlong();
      const offsetDelta = cursor.varint();
      const keyLength = cursor.varint();
      if (keyLength >= 0) cursor.take(keyLength);
      const valueLength = cursor.varint();
      const value = valueLength < 0 ? null : decoder.decode(cursor.take(valueLength));
      out.push({ offset: baseOffset + BigInt(offsetDelta), value });
      cursor.at = recordEnd;
    }
    at = end;
  }
  return out;
}
