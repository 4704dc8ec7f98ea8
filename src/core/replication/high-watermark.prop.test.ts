/**
 * Property: under any sequence of follower fetches, leader appends and fsyncs, and ISR proposals,
 * commits, aborts and controller-made changes, the high watermark never decreases, never exceeds the
 * leader's durable end, and whenever it advances it is at most the position of every member of the
 * maximal ISR at that moment.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeaderState } from './high-watermark.ts';

const replicas = [1, 2, 3, 4];

type Op =
  | { kind: 'fetch'; follower: number; back: number; dtMs: number }
  | { kind: 'append'; count: number }
  | { kind: 'durable'; back: number }
  | { kind: 'propose'; members: number[] }
  | { kind: 'proposeShrink' }
  | { kind: 'proposeExpand' }
  | { kind: 'commit' }
  | { kind: 'abort' }
  | { kind: 'controllerSets'; members: number[] };

const followerArb = fc.constantFrom(2, 3, 4);
const membersArb = fc.subarray([2, 3, 4]).map((m) => [1, ...m]);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('fetch' as const), follower: followerArb, back: fc.nat(6), dtMs: fc.nat(80) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('durable' as const), back: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('propose' as const), members: membersArb }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'proposeShrink' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'proposeExpand' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'commit' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'abort' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('controllerSets' as const), members: membersArb }) },
);

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

function step(s: LeaderState, op: Op, nowMs: number): void {
  switch (op.kind) {
    case 'fetch':
      s.onFollowerFetch(op.follower, max(0n, s.logEndOffset() - BigInt(op.back)), nowMs);
      return;
    case 'append':
      s.onLeaderAppend(s.logEndOffset() + BigInt(op.count));
      return;
    case 'durable':
      s.onLeaderDurable(max(s.durableEnd(), s.logEndOffset() - BigInt(op.back)));
      return;
    case 'propose':
      if (s.pendingIsrChange() === null) s.proposeIsr(op.members);
      return;
    case 'proposeShrink': {
      const out = s.isrShrinkCandidates(nowMs, 100);
      if (out.length > 0) s.proposeIsr(s.isr().filter((id) => !out.includes(id)));
      return;
    }
    case 'proposeExpand': {
      const joiners = s.isrExpandCandidates();
      if (joiners.length > 0) s.proposeIsr([...s.isr(), ...joiners]);
      return;
    }
    case 'commit': {
      const pending = s.pendingIsrChange();
      if (pending !== null) s.setIsr(pending);
      return;
    }
    case 'abort':
      s.abortIsrChange();
      return;
    case 'controllerSets':
      s.setIsr(op.members);
      return;
    default: {
      const never: never = op;
      throw new Error(`unknown op ${JSON.stringify(never)}`);
    }
  }
}

describe('high watermark (property)', () => {
  it('never decreases, never passes the leader durable end, and never passes a maximal-ISR member when it advances', () => {
    fc.assert(
      fc.property(
        fc.record({ start: fc.nat(20), hwBack: fc.nat(20), isr: membersArb, ops: fc.array(opArb, { maxLength: 200 }) }),
        ({ start, hwBack, isr, ops }) => {
          const logEnd = BigInt(start);
          const s = new LeaderState({
            leaderId: 1,
            leaderEpoch: 3,
            replicas,
            isr,
            logEndOffset: logEnd,
            durableEnd: logEnd,
            highWatermark: max(0n, logEnd - BigInt(hwBack)),
            nowMs: 0,
          });
          let nowMs = 0;
          let hw = s.highWatermark();
          for (const op of ops) {
            if (op.kind === 'fetch') nowMs += op.dtMs;
            step(s, op, nowMs);
            const now = s.highWatermark();
            expect(now >= hw).toBe(true);
            expect(now <= s.durableEnd()).toBe(true);
            if (now > hw) {
              for (const id of s.maximalIsr()) {
                if (id === 1) continue;
                const position = s.followerPosition(id);
                expect(position !== null && now <= position).toBe(true);
              }
            }
            hw = now;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
