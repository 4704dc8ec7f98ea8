import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.ts';
import { LeaderState, followerHighWatermark, type LeaderStateInit } from './high-watermark.ts';

/** Leader 1 of replicas 1, 2, 3, all in the ISR, log end 10 (all durable), HW 10, at t=0. */
function leader(overrides: Partial<LeaderStateInit> = {}): LeaderState {
  return new LeaderState({
    leaderId: 1,
    leaderEpoch: 5,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    logEndOffset: 10n,
    durableEnd: 10n,
    highWatermark: 10n,
    nowMs: 0,
    ...overrides,
  });
}

/** Appends `count` records and makes them durable at once. */
function appendDurable(s: LeaderState, count: bigint): void {
  s.onLeaderAppend(s.logEndOffset() + count);
  s.onLeaderDurable(s.logEndOffset());
}

describe('high watermark = min over the ISR, leader durable end included', () => {
  const cases: { name: string; fetches: [number, bigint][]; durable: bigint; hw: bigint }[] = [
    { name: 'both followers fully caught up', fetches: [[2, 20n], [3, 20n]], durable: 20n, hw: 20n },
    { name: 'the slower follower decides', fetches: [[2, 20n], [3, 14n]], durable: 20n, hw: 14n },
    { name: 'the leader durable end decides', fetches: [[2, 20n], [3, 20n]], durable: 12n, hw: 12n },
    { name: 'a follower that has not fetched yet holds it', fetches: [[2, 20n]], durable: 20n, hw: 10n },
    { name: 'a follower behind the old HW holds it where it is', fetches: [[2, 20n], [3, 8n]], durable: 20n, hw: 10n },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = leader();
      s.onLeaderAppend(20n);
      s.onLeaderDurable(c.durable);
      for (const [id, offset] of c.fetches) s.onFollowerFetch(id, offset, 1);
      expect(s.highWatermark()).toBe(c.hw);
      expect(s.highWatermark() <= s.durableEnd()).toBe(true);
    });
  }

  it('a follower outside the ISR does not hold the HW', () => {
    const s = leader({ isr: [1, 2] });
    appendDurable(s, 10n);
    expect(s.onFollowerFetch(2, 20n, 1)).toEqual({ highWatermark: 20n, advanced: true });
    expect(s.followerPosition(3)).toBeNull();
  });

  it('reports whether each input advanced it, and never moves it back', () => {
    const s = leader({ isr: [1, 2] });
    s.onLeaderAppend(20n);
    expect(s.onFollowerFetch(2, 20n, 1)).toEqual({ highWatermark: 10n, advanced: false }); // leader not durable yet
    expect(s.onLeaderDurable(15n)).toEqual({ highWatermark: 15n, advanced: true });
    expect(s.onLeaderDurable(20n)).toEqual({ highWatermark: 20n, advanced: true });
    // The follower truncates and comes back behind: the HW stays.
    expect(s.onFollowerFetch(2, 12n, 2)).toEqual({ highWatermark: 20n, advanced: false });
    expect(s.onFollowerFetch(2, 20n, 3)).toEqual({ highWatermark: 20n, advanced: false });
  });

  it('a leader-only ISR moves the HW with the leader durable end', () => {
    const s = leader({ isr: [1] });
    s.onLeaderAppend(30n);
    expect(s.highWatermark()).toBe(10n);
    expect(s.onLeaderDurable(30n)).toEqual({ highWatermark: 30n, advanced: true });
  });

  it('a new leader starts from the HW it knew and the followers must fetch before it moves', () => {
    const s = leader({ highWatermark: 7n });
    expect(s.highWatermark()).toBe(7n);
    s.onFollowerFetch(2, 10n, 1);
    expect(s.highWatermark()).toBe(7n);
    expect(s.onFollowerFetch(3, 9n, 1)).toEqual({ highWatermark: 9n, advanced: true });
  });

  it('refuses inputs that break its contract', () => {
    expect(() => leader({ highWatermark: 11n })).toThrow(AssertionError); // above the durable end
    expect(() => leader({ isr: [2, 3] })).toThrow(AssertionError); // leader not in the ISR
    expect(() => leader({ isr: [1, 4] })).toThrow(AssertionError); // not a replica
    const s = leader();
    expect(() => s.onFollowerFetch(2, 11n, 1)).toThrow(AssertionError); // past the leader's log end
    expect(() => s.onFollowerFetch(4, 5n, 1)).toThrow(AssertionError); // not a follower
    expect(() => s.onFollowerFetch(1, 5n, 1)).toThrow(AssertionError); // the leader itself
    expect(() => s.onLeaderAppend(9n)).toThrow(AssertionError);
    expect(() => s.onLeaderDurable(11n)).toThrow(AssertionError);
    expect(() => s.onLeaderDurable(9n)).toThrow(AssertionError);
  });
});

describe('caught-up time and ISR shrink', () => {
  const lagMs = 100;

  it('a follower at the leader log end is caught up at its fetch time', () => {
    const s = leader();
    appendDurable(s, 5n);
    s.onFollowerFetch(2, 15n, 50);
    s.onFollowerFetch(3, 12n, 50);
    appendDurable(s, 1n);
    // t=151: follower 2 was caught up at 50 (101 ms ago), follower 3 only at the new leader's start (0).
    expect(s.isrShrinkCandidates(151, lagMs)).toEqual([2, 3]);
    expect(s.isrShrinkCandidates(150, lagMs)).toEqual([3]);
  });

  it('a follower that reaches the log end the leader had at its previous fetch was caught up back then', () => {
    const s = leader();
    s.onFollowerFetch(2, 10n, 10); // caught up at 10; the leader's end was 10
    appendDurable(s, 5n); // leader end 15
    s.onFollowerFetch(2, 10n, 60); // nothing new: it had not fetched the new records yet
    appendDurable(s, 5n); // leader end 20
    s.onFollowerFetch(2, 15n, 120); // reaches 15, the end at its previous fetch (t=60): caught up at 60
    expect(s.isrShrinkCandidates(160, lagMs)).toEqual([3]); // 160 - 60 = 100: not longer than the lag
    expect(s.isrShrinkCandidates(161, lagMs)).toEqual([2, 3]);
  });

  it('a follower that stays behind the previous end is never caught up again', () => {
    const s = leader({ isr: [1, 2] });
    for (let t = 10; t <= 300; t += 10) {
      appendDurable(s, 10n);
      s.onFollowerFetch(2, s.logEndOffset() - 15n, t); // always more than one fetch behind
    }
    expect(s.isrShrinkCandidates(300, lagMs)).toEqual([2]);
  });

  it('caught-up time never moves back, even on a clock reading older than the last fetch', () => {
    const s = leader({ isr: [1, 2] });
    s.onFollowerFetch(2, 10n, 90);
    appendDurable(s, 5n);
    s.onFollowerFetch(2, 10n, 50); // a stale clock reading from the driver: caught up as of its previous fetch (90) at most
    expect(s.isrShrinkCandidates(190, lagMs)).toEqual([]);
  });

  it('a follower equal to the leader log end stays even without fetching (no writes, nothing to lag on)', () => {
    const s = leader({ isr: [1, 2] });
    s.onFollowerFetch(2, 10n, 5);
    expect(s.isrShrinkCandidates(10_000, lagMs)).toEqual([]);
    appendDurable(s, 1n);
    expect(s.isrShrinkCandidates(10_000, lagMs)).toEqual([2]);
  });

  it('ISR followers get the lag time from the moment the leader took over', () => {
    const s = leader({ nowMs: 1000 });
    appendDurable(s, 1n);
    expect(s.isrShrinkCandidates(1100, lagMs)).toEqual([]);
    expect(s.isrShrinkCandidates(1101, lagMs)).toEqual([2, 3]);
  });
});

describe('ISR expand', () => {
  it('a replica outside the ISR joins once it reaches the HW and the epoch start', () => {
    const s = leader({ isr: [1, 2] });
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 20n, 1);
    expect(s.highWatermark()).toBe(20n);
    s.onFollowerFetch(3, 15n, 1);
    expect(s.isrExpandCandidates()).toEqual([]);
    s.onFollowerFetch(3, 20n, 2);
    expect(s.isrExpandCandidates()).toEqual([3]);
  });

  it('reaching the HW is not enough while the replica is below the epoch start offset', () => {
    // New leader at log end 10 (durable to 6) whose HW is 6: a replica at 8 has the HW but may
    // still hold an older epoch's tail past it.
    const s = leader({ isr: [1], highWatermark: 6n, durableEnd: 6n });
    s.onFollowerFetch(3, 8n, 1);
    expect(s.isrExpandCandidates()).toEqual([]);
    s.onFollowerFetch(3, 10n, 2);
    expect(s.isrExpandCandidates()).toEqual([3]);
  });

  it('a replica that never fetched is not a candidate', () => {
    const s = leader({ isr: [1], highWatermark: 0n, logEndOffset: 0n, durableEnd: 0n });
    expect(s.isrExpandCandidates()).toEqual([]);
  });
});

describe('ISR changes in flight (maximal ISR)', () => {
  it('a proposed shrink does not advance the HW before the controller commits it', () => {
    const s = leader();
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 20n, 1);
    s.onFollowerFetch(3, 12n, 1);
    expect(s.highWatermark()).toBe(12n);
    expect(s.proposeIsr([1, 2])).toEqual({ highWatermark: 12n, advanced: false });
    expect(s.maximalIsr()).toEqual([1, 2, 3]);
    expect(s.setIsr([1, 2])).toEqual({ highWatermark: 20n, advanced: true });
    expect(s.isr()).toEqual([1, 2]);
    expect(s.pendingIsrChange()).toBeNull();
  });

  it('a proposed expand holds the HW for the joiner at once, and an abort releases it', () => {
    const s = leader({ isr: [1, 2] });
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 20n, 1);
    s.onFollowerFetch(3, 20n, 1);
    expect(s.isrExpandCandidates()).toEqual([3]);
    s.proposeIsr([1, 2, 3]);
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 30n, 2);
    expect(s.highWatermark()).toBe(20n); // 3 is still at 20
    expect(s.abortIsrChange()).toEqual({ highWatermark: 30n, advanced: true });
    expect(s.maximalIsr()).toEqual([1, 2]);
  });

  it('no shrink or expand is suggested while a change is in flight, and only one may be', () => {
    const s = leader({ isr: [1, 2] });
    appendDurable(s, 10n);
    s.onFollowerFetch(3, 20n, 1);
    s.proposeIsr([1, 2, 3]);
    expect(s.isrExpandCandidates()).toEqual([]);
    expect(s.isrShrinkCandidates(1_000_000, 100)).toEqual([]);
    expect(() => s.proposeIsr([1])).toThrow(AssertionError);
  });

  it('a follower the controller adds while behind does not lower the HW', () => {
    const s = leader({ isr: [1, 2] });
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 20n, 1);
    s.onFollowerFetch(3, 4n, 1);
    expect(s.highWatermark()).toBe(20n);
    expect(s.setIsr([1, 2, 3])).toEqual({ highWatermark: 20n, advanced: false });
    appendDurable(s, 10n);
    s.onFollowerFetch(2, 30n, 2);
    expect(s.highWatermark()).toBe(20n); // held by 3 until it passes 20
    s.onFollowerFetch(3, 25n, 3);
    expect(s.highWatermark()).toBe(25n);
  });
});

describe('followerHighWatermark', () => {
  const cases: [current: bigint, leaderHw: bigint, durable: bigint, expected: bigint][] = [
    [0n, 10n, 20n, 10n], // the leader's HW
    [0n, 10n, 6n, 6n], // not above the follower's own durable end
    [8n, 5n, 20n, 8n], // never backwards
  ];
  for (const [current, leaderHw, durable, expected] of cases) {
    it(`current ${current}, leader HW ${leaderHw}, durable end ${durable} -> ${expected}`, () => {
      expect(followerHighWatermark(current, leaderHw, durable)).toBe(expected);
    });
  }
});
