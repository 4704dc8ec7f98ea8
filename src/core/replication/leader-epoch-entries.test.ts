import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.ts';
import { leaderEpochEntriesMax } from '../limits.ts';
import { LeaderEpochEntries, rebuildFromBatches, undefinedEpochEnd, type EpochEntry } from './leader-epoch-entries.ts';

/** `[[epoch, start], ...]` as entries. */
function history(...pairs: [number, number][]): LeaderEpochEntries {
  return new LeaderEpochEntries(pairs.map(([epoch, start]) => ({ epoch, startOffset: BigInt(start) })));
}

function pairs(entries: readonly EpochEntry[]): [number, number][] {
  return entries.map((e) => [e.epoch, Number(e.startOffset)]);
}

describe('assign', () => {
  const cases: { name: string; before: [number, number][]; assign: [number, number]; result: string; after: [number, number][] }[] = [
    { name: 'first epoch', before: [], assign: [2, 6], result: 'appended', after: [[2, 6]] },
    { name: 'epochs need not start from zero or be contiguous', before: [[2, 6]], assign: [5, 9], result: 'appended', after: [[2, 6], [5, 9]] },
    { name: 'the latest epoch again keeps its first start offset', before: [[2, 6]], assign: [2, 7], result: 'unchanged', after: [[2, 6]] },
    { name: 'the latest epoch again at a lower offset is not a reassignment', before: [[2, 6]], assign: [2, 5], result: 'unchanged', after: [[2, 6]] },
    { name: 'an older epoch is ignored', before: [[2, 6], [3, 8]], assign: [2, 9], result: 'ignored-stale', after: [[2, 6], [3, 8]] },
    { name: 'a newer epoch at the same start replaces an epoch that wrote nothing', before: [[2, 6], [3, 8]], assign: [4, 8], result: 'replaced', after: [[2, 6], [4, 8]] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const h = history(...c.before);
      expect(h.assign(c.assign[0], BigInt(c.assign[1]))).toBe(c.result);
      expect(pairs(h.entries())).toEqual(c.after);
    });
  }

  it('a newer epoch starting before the latest entry is an assertion (truncateFromEnd first)', () => {
    const h = history([2, 6]);
    expect(() => h.assign(3, 5n)).toThrow(AssertionError);
    h.truncateFromEnd(5n);
    expect(h.assign(3, 5n)).toBe('appended');
    expect(pairs(h.entries())).toEqual([[3, 5]]);
  });

  it('refuses negative epochs and offsets, and an unordered history', () => {
    expect(() => history().assign(-1, 0n)).toThrow(AssertionError);
    expect(() => history().assign(1, -1n)).toThrow(AssertionError);
    expect(() => history([2, 6], [2, 8])).toThrow(AssertionError);
    expect(() => history([2, 6], [3, 6])).toThrow(AssertionError);
  });

  it(`keeps at most ${leaderEpochEntriesMax} entries, forgetting the oldest`, () => {
    const h = new LeaderEpochEntries();
    for (let e = 0; e <= leaderEpochEntriesMax; e++) h.assign(e, BigInt(e * 10));
    expect(h.entries()).toHaveLength(leaderEpochEntriesMax);
    expect(h.earliest()).toEqual({ epoch: 1, startOffset: 10n });
    expect(h.endOffsetFor(0, BigInt(leaderEpochEntriesMax * 10 + 5))).toEqual(undefinedEpochEnd);
  });
});

describe('endOffsetFor (OffsetForLeaderEpoch)', () => {
  // Log end 20; epochs 0 from 10, 2 from 13, 4 from 17.
  const h = history([0, 10], [2, 13], [4, 17]);
  const cases: [requested: number, epoch: number, endOffset: number, why: string][] = [
    [4, 4, 20, 'the latest epoch ends at the log end'],
    [2, 2, 17, 'an epoch ends where the next begins'],
    [0, 0, 13, 'the first epoch ends where the second begins'],
    [1, 0, 13, 'an epoch the log lacks: the largest one below it, ending where the next one above begins'],
    [3, 2, 17, 'same, between 2 and 4'],
    [5, -1, -1, 'above the latest: UNDEFINED (a leader fences this before asking)'],
    [-1, -1, -1, 'UNDEFINED_EPOCH asks for nothing'],
  ];
  for (const [requested, epoch, endOffset, why] of cases) {
    it(`epoch ${requested} -> (${epoch}, ${endOffset}): ${why}`, () => {
      expect(h.endOffsetFor(requested, 20n)).toEqual({ epoch, endOffset: BigInt(endOffset) });
    });
  }

  it('below the first epoch: UNDEFINED (the asker falls back to its high watermark)', () => {
    expect(history([5, 11]).endOffsetFor(4, 12n)).toEqual(undefinedEpochEnd);
  });

  it('an empty history answers UNDEFINED for any epoch', () => {
    expect(history().endOffsetFor(0, 0n)).toEqual(undefinedEpochEnd);
    expect(history().endOffsetFor(7, 100n)).toEqual(undefinedEpochEnd);
  });

  it('the latest epoch with no records beyond its start ends at its start', () => {
    expect(history([2, 6], [3, 8]).endOffsetFor(3, 8n)).toEqual({ epoch: 3, endOffset: 8n });
  });

  it('a log end before the latest epoch start is an assertion (the history was not truncated with the log)', () => {
    expect(() => history([2, 6], [3, 8]).endOffsetFor(2, 7n)).toThrow(AssertionError);
  });
});

describe('truncation', () => {
  const base: [number, number][] = [[2, 6], [3, 8], [4, 11]];
  const fromEnd: [offset: number, after: [number, number][], changed: boolean][] = [
    [12, base, false],
    [11, [[2, 6], [3, 8]], true],
    [9, [[2, 6], [3, 8]], true],
    [8, [[2, 6]], true],
    [6, [], true],
    [0, [], true],
  ];
  for (const [offset, after, changed] of fromEnd) {
    it(`truncateFromEnd(${offset}) leaves ${JSON.stringify(after)}`, () => {
      const h = history(...base);
      expect(h.truncateFromEnd(BigInt(offset))).toBe(changed);
      expect(pairs(h.entries())).toEqual(after);
    });
  }

  const fromStart: [offset: number, after: [number, number][], changed: boolean][] = [
    [5, base, false],
    [6, base, false],
    [7, [[2, 7], [3, 8], [4, 11]], true],
    [8, [[3, 8], [4, 11]], true],
    [9, [[3, 9], [4, 11]], true],
    [11, [[4, 11]], true],
    [15, [[4, 15]], true],
  ];
  for (const [offset, after, changed] of fromStart) {
    it(`truncateFromStart(${offset}) leaves ${JSON.stringify(after)}`, () => {
      const h = history(...base);
      expect(h.truncateFromStart(BigInt(offset))).toBe(changed);
      expect(pairs(h.entries())).toEqual(after);
    });
  }

  it('answers for the trimmed history', () => {
    const h = history(...base);
    h.truncateFromStart(9n);
    expect(h.endOffsetFor(2, 20n)).toEqual(undefinedEpochEnd);
    expect(h.endOffsetFor(3, 20n)).toEqual({ epoch: 3, endOffset: 11n });
  });
});

describe('rebuildFromBatches', () => {
  it('takes the first batch of each epoch and skips batches without one', () => {
    const batches = [
      { baseOffset: 0n, partitionLeaderEpoch: -1 },
      { baseOffset: 3n, partitionLeaderEpoch: 0 },
      { baseOffset: 5n, partitionLeaderEpoch: 0 },
      { baseOffset: 9n, partitionLeaderEpoch: 2 },
      { baseOffset: 12n, partitionLeaderEpoch: 2 },
      { baseOffset: 14n, partitionLeaderEpoch: 5 },
    ];
    expect(pairs(rebuildFromBatches(batches).entries())).toEqual([[0, 3], [2, 9], [5, 14]]);
  });

  it('an empty log has an empty history', () => {
    expect(rebuildFromBatches([]).entries()).toEqual([]);
  });
});
