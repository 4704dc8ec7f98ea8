import { describe, expect, it } from 'vitest';
import { TrackedRandom } from './tracked-random.ts';

describe('TrackedRandom and the unseed', () => {
  it('peekNext() tells the next draw without making it', () => {
    const r = TrackedRandom.root('7');
    r.next();
    const peeked = r.peekNext();
    expect(r.peekNext()).toBe(peeked);
    expect(r.next()).toBe(peeked);
  });

  it('covers every stream at any depth, and computing it draws nothing', () => {
    const a = TrackedRandom.root('7');
    const b = TrackedRandom.root('7');
    const [fa, fb] = [a.fork('disk').fork('n1'), b.fork('disk').fork('n1')];
    expect(a.streamCount()).toBe(3);
    expect(a.unseed()).toBe(b.unseed());
    const before = a.unseed();
    expect(a.unseed()).toBe(before);
    fa.next(); // one more draw in a grandchild stream
    expect(a.unseed()).not.toBe(b.unseed());
    fb.next();
    expect(a.unseed()).toBe(b.unseed());
    a.fork('late'); // one more stream, even undrawn
    expect(a.unseed()).not.toBe(b.unseed());
  });
});
