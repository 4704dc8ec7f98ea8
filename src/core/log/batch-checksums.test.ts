import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { BatchChecksums } from './batch-checksums.ts';

function table(entries: Array<[number, number]>): BatchChecksums {
  const t = new BatchChecksums();
  for (const [relOffset, crc] of entries) t.add(relOffset, crc);
  return t;
}

describe('BatchChecksums', () => {
  it('finds a batch by relative offset, matches slot by slot, and drops a cut tail', () => {
    const t = table(Array.from({ length: 40 }, (_, i) => [i * 3, 0xf0000000 + i]));
    expect(t.find(30)).toBe(10);
    expect(t.find(31)).toBe(-1);
    expect(t.matches(10, 30, 0xf000000a)).toBe(true);
    expect(t.matches(10, 30, 0xf000000b)).toBe(false);
    expect(t.matches(11, 30, 0xf000000a)).toBe(false);
    expect(t.matches(40, 120, 0)).toBe(false);
    t.truncateFrom(31);
    expect([t.size, t.lastRelOffset]).toEqual([11, 30]);
    t.add(31, 7); // a new batch where the cut was
    expect(t.matches(11, 31, 7)).toBe(true);
  });

  it('decodes what it encodes, and refuses a file it cannot trust', () => {
    const t = table([[0, 1], [2, 0xffffffff], [5, 3]]);
    const bytes = t.encode();
    expect(bytes.length).toBe(3 * 8 + 4);
    const back = BatchChecksums.decode(bytes, [0, 5], 5);
    expect(back).toBeInstanceOf(BatchChecksums);
    expect((back as BatchChecksums).matches(1, 2, 0xffffffff)).toBe(true);
    expect(BatchChecksums.decode(new BatchChecksums().encode(), [], -1)).toBeInstanceOf(BatchChecksums);
    expect(BatchChecksums.decode(bytes.subarray(0, 27), [0], 5)).toMatch(/not 8n\+4/);
    const flipped = bytes.slice();
    flipped[13]! ^= 1;
    expect(BatchChecksums.decode(flipped, [0], 5)).toBe('checksums trailer mismatch');
    expect(BatchChecksums.decode(bytes, [0], 7)).toMatch(/end at 5, the segment at 7/);
    expect(BatchChecksums.decode(bytes, [0, 3], 5)).toMatch(/index entry at 3 has no checksum/);
    // Entries out of order, under a trailer that fits them: refused by the order check.
    const raw = new Uint8Array(2 * 8 + 4);
    const view = new DataView(raw.buffer);
    view.setInt32(0, 5);
    view.setInt32(8, 0);
    view.setUint32(16, crc32c(raw.subarray(0, 16)) >>> 0);
    expect(BatchChecksums.decode(raw, [], 0)).toBe('checksum entry 1 out of order');
  });
});
