import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, frame, unframe } from './codec.ts';
import { FrameReader, encodeFrame } from './transport.ts';
import type { Message } from './types.ts';
import { messageTypes } from './types.ts';

const int = fc.integer({ min: 0, max: 2 ** 40 });
const entryArb = fc.record({ term: int, index: int, type: fc.constantFrom('noop' as const, 'data' as const), data: fc.uint8Array({ maxLength: 64 }) });
const messageArb: fc.Arbitrary<Message> = fc.record({
  type: fc.constantFrom(...messageTypes),
  from: fc.integer({ min: 1, max: 5 }),
  to: fc.integer({ min: 1, max: 5 }),
  term: int,
  logTerm: int,
  index: int,
  commit: int,
  reject: fc.boolean(),
  rejectHint: int,
  entries: fc.array(entryArb, { maxLength: 5 }),
  snapshot: fc.option(
    fc.record({
      meta: fc.record({ index: int, term: int, voters: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }) }),
      data: fc.uint8Array({ maxLength: 128 }),
    }),
    { nil: null },
  ),
});

describe('raft codec', () => {
  it('messages round-trip', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });

  it('a frame with any flipped byte is reported corrupt or short, never accepted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (body, at, flip) => {
        const f = frame(body);
        const i = at % f.length;
        f[i] = (f[i] as number) ^ flip;
        expect(unframe(f, 0, 1000).kind).not.toBe('ok');
      }),
    );
  });

  it('zeros are never a frame (a torn write whose size survived reads as zeros, and the CRC-32C of nothing is 0)', () => {
    for (const size of [8, 9, 64]) {
      const zeros = new Uint8Array(size);
      expect(unframe(zeros, 0, 1000)).toEqual({ kind: 'corrupt', reason: 'empty frame (zeros)' });
    }
    const good = frame(new Uint8Array([7]));
    const withZeros = Buffer.concat([good, new Uint8Array(16)]);
    expect(unframe(withZeros, 0, 1000).kind).toBe('ok');
    expect(unframe(withZeros, good.length, 1000).kind).toBe('corrupt');
    expect(() => frame(new Uint8Array(0))).toThrow(/a frame has a body/);
  });

  it('the frame reader reassembles frames split at any byte and rejects corruption', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (payloads, cuts) => {
        const stream = Buffer.concat(payloads.map((p) => encodeFrame(1, p)));
        const got: Uint8Array[] = [];
        const reader = new FrameReader((kind, payload) => {
          got.push(payload);
          return kind === 1;
        });
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let last = 0;
        for (const p of [...points, stream.length]) {
          expect(reader.push(stream.subarray(last, p))).toBe(true);
          last = p;
        }
        expect(got.map((g) => Buffer.from(g).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
      }),
    );
    const bad = encodeFrame(1, new Uint8Array([1, 2, 3]));
    bad[bad.length - 1] = 9;
    expect(new FrameReader(() => true).push(bad)).toBe(false);
  });
});
