import { describe, expect, it } from 'vitest';
import { checkSegmentRolls, type AckedWrite } from './segment-roll.ts';

/** A first send of offsets [first, last] on partition 0, sent at `invokeMs`, acknowledged 5 ms later. */
const write = (first: number, last: number, invokeMs: number, firstSend = true): AckedWrite => ({
  partition: 0, firstOffset: BigInt(first), lastOffset: BigInt(last), invokeMs, completeMs: invokeMs + 5, firstSend,
});

const writes = [write(0, 4, 1000), write(5, 9, 1100), write(10, 14, 1400)];

describe('segment roll check', () => {
  it('passes when a write sent segment.ms after an acknowledged one lands in a later segment, and counts the rolls across backward jumps', () => {
    const result = checkSegmentRolls({ writes, segmentBases: new Map([[0, [0n, 10n]]]), segmentMs: 200, fromMs: 0, resetsMs: [], backwardJumpsMs: [1200] });
    expect(result).toEqual({ findings: [], rollsAcrossBackwardJumps: 1 });
  });

  it('finds roll-overdue when it lands in the same segment', () => {
    const { findings } = checkSegmentRolls({ writes, segmentBases: new Map([[0, [0n]]]), segmentMs: 200, fromMs: 0, resetsMs: [] });
    expect(findings).toEqual(['roll-overdue: partition 0: offset 10 (sent at 1400 ms) is in the segment at 0 with offset 9 (acknowledged at 1105 ms, 295 ms before), although segment.ms is 200']);
  });

  it('does not judge across a restart, before fromMs, a retry, a pair closer than segment.ms, or offsets retention deleted', () => {
    const one = new Map([[0, [0n]]]);
    const base = { writes, segmentBases: one, segmentMs: 200, fromMs: 0, resetsMs: [] as number[] };
    expect(checkSegmentRolls({ ...base, resetsMs: [1300] }).findings).toEqual([]);
    expect(checkSegmentRolls({ ...base, fromMs: 1200 }).findings).toEqual([]);
    expect(checkSegmentRolls({ ...base, writes: [...writes.slice(0, 2), write(10, 14, 1400, false)] }).findings).toEqual([]);
    expect(checkSegmentRolls({ ...base, segmentMs: 400 }).findings).toEqual([]);
    expect(checkSegmentRolls({ ...base, segmentBases: new Map([[0, [10n]]]) }).findings).toEqual([]);
  });
});
