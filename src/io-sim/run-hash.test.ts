import { describe, expect, it } from 'vitest';
import { RunHash } from './run-hash.ts';

function hashOf(feed: (h: RunHash) => void): string {
  const h = new RunHash();
  feed(h);
  return h.digest();
}

describe('RunHash', () => {
  it('is a pure function of what was mixed, and digest() leaves it untouched', () => {
    const h = new RunHash();
    h.string('timer');
    h.number(12.5);
    const first = h.digest();
    expect(h.digest()).toBe(first);
    expect(hashOf((x) => (x.string('timer'), x.number(12.5)))).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
  });

  it('tells apart order, float bits, string boundaries, and an extra folded in last', () => {
    const digests = [
      hashOf((h) => (h.int(1), h.int(2))),
      hashOf((h) => (h.int(2), h.int(1))),
      hashOf((h) => h.number(0.1 + 0.2)),
      hashOf((h) => h.number(0.3)),
      hashOf((h) => h.number(3)),
      hashOf((h) => h.number(-3)),
      hashOf((h) => (h.string('ab'), h.string('c'))),
      hashOf((h) => (h.string('a'), h.string('bc'))),
      hashOf(() => undefined),
      new RunHash().digest('x'),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });
});
