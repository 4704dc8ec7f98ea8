import { describe, expect, test } from 'vitest';
import { FrameDecoder, frameChunks, type FrameEvent } from './framing.ts';
import { concatChunks } from './codec.ts';

function frame(body: number[]): Uint8Array {
  return concatChunks(frameChunks([Uint8Array.from(body)]));
}

function collect(decoder: FrameDecoder, chunks: Uint8Array[]): FrameEvent[] {
  const events: FrameEvent[] = [];
  for (const chunk of chunks) decoder.push(chunk, (e) => events.push(e));
  return events;
}

describe('FrameDecoder', () => {
  test('yields several frames from one chunk, without copying', () => {
    const stream = concatChunks([frame([1, 2, 3]), frame([]), frame([9])]);
    const events = collect(new FrameDecoder(100), [stream]);
    expect(events.map((e) => (e.kind === 'frame' ? [...e.frame] : e.kind))).toEqual([[1, 2, 3], [], [9]]);
    const first = events[0]!;
    expect(first.kind === 'frame' && first.frame.buffer).toBe(stream.buffer);
  });

  test('the planted dropSecondFrameOfRead bug loses the second frame a chunk finishes, and only that one', () => {
    const stream = concatChunks([frame([1]), frame([2]), frame([3])]);
    const events = collect(new FrameDecoder(100, { dropSecondFrameOfRead: true }), [stream.subarray(0, 3), stream.subarray(3), frame([4])]);
    expect(events.map((e) => (e.kind === 'frame' ? [...e.frame] : e.kind))).toEqual([[1], [3], [4]]);
  });

  test('reassembles a frame split at every possible byte, including inside the size prefix', () => {
    const stream = concatChunks([frame([1, 2, 3, 4, 5]), frame([6, 7])]);
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      for (let cut2 = cut; cut2 <= stream.byteLength; cut2++) {
        const decoder = new FrameDecoder(100);
        const events = collect(decoder, [stream.subarray(0, cut), stream.subarray(cut, cut2), stream.subarray(cut2)]);
        expect(events.map((e) => (e.kind === 'frame' ? [...e.frame] : e.kind))).toEqual([[1, 2, 3, 4, 5], [6, 7]]);
        expect(decoder.bufferedBytes()).toBe(0);
      }
    }
  });

  test('reports an oversized frame from its prefix alone, buffers nothing, and ignores what follows', () => {
    const decoder = new FrameDecoder(10);
    const prefix = Uint8Array.from([0, 0, 0, 11]);
    const events = collect(decoder, [prefix.subarray(0, 2), prefix.subarray(2), new Uint8Array(11), frame([1])]);
    expect(events).toEqual([{ kind: 'oversized', sizeBytes: 11, frameBytesMax: 10 }]);
    expect(decoder.bufferedBytes()).toBe(0);
  });

  test('treats a negative size as oversized', () => {
    const events = collect(new FrameDecoder(10), [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1])]);
    expect(events).toEqual([{ kind: 'oversized', sizeBytes: -1, frameBytesMax: 10 }]);
  });

  test('a frame of exactly the maximum is accepted', () => {
    const events = collect(new FrameDecoder(3), [frame([1, 2, 3])]);
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('frame');
  });
});
