import { describe, expect, it } from 'vitest';
import { tracedKnobs } from './traced-knobs.ts';

describe('tracedKnobs', () => {
  it('reports every change with all the values, and nothing for a write of the same value', () => {
    const seen: Record<string, number>[] = [];
    const knobs = tracedKnobs({ minMs: 1, maxMs: 3 }, (now) => seen.push(now));
    knobs.maxMs = 3;
    expect(seen).toEqual([]);
    knobs.maxMs = 30;
    Object.assign(knobs, { minMs: 2 });
    expect(seen).toEqual([{ minMs: 1, maxMs: 30 }, { minMs: 2, maxMs: 30 }]);
    expect({ ...knobs }).toEqual({ minMs: 2, maxMs: 30 });
  });
});
