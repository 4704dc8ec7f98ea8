import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.ts';
import { afterAnswer, firstQuestion, type FollowerLog } from './divergence.ts';
import { LeaderEpochEntries, rebuildFromBatches, undefinedEpochEnd } from './leader-epoch-entries.ts';

/** A log written as the epoch of each record, offset 0 first (one record a batch). */
function epochsOf(recordEpochs: readonly number[]): LeaderEpochEntries {
  return rebuildFromBatches(recordEpochs.map((epoch, offset) => ({ baseOffset: BigInt(offset), partitionLeaderEpoch: epoch })));
}

function follower(recordEpochs: readonly number[], highWatermark: number): FollowerLog {
  return { epochs: epochsOf(recordEpochs), logEndOffset: BigInt(recordEpochs.length), highWatermark: BigInt(highWatermark) };
}

/** Runs the question-and-answer loop against a leader's history; returns where the follower truncates and the epochs asked. */
function converge(f: FollowerLog, leader: LeaderEpochEntries, leaderLogEnd: bigint): { truncateTo: number; asked: number[] } {
  const asked: number[] = [];
  let step = firstQuestion(f);
  while (step.kind === 'askAgain') {
    expect(asked.length).toBeLessThan(50);
    asked.push(step.epoch);
    step = afterAnswer(f, step.epoch, leader.endOffsetFor(step.epoch, leaderLogEnd));
  }
  return { truncateTo: Number(step.truncateTo), asked };
}

/** converge() against a leader log written as record epochs. */
function convergeOn(f: FollowerLog, leaderRecordEpochs: readonly number[]): { truncateTo: number; asked: number[] } {
  return converge(f, epochsOf(leaderRecordEpochs), BigInt(leaderRecordEpochs.length));
}

describe('divergence: where the follower truncates', () => {
  const cases: { name: string; follower: number[]; hw: number; leader: number[]; truncateTo: number; asked: number[] }[] = [
    { name: 'identical logs: nothing to cut', follower: [0, 0, 1, 1], hw: 2, leader: [0, 0, 1, 1], truncateTo: 4, asked: [1] },
    { name: 'a follower behind the leader in the same epoch keeps all it has', follower: [0, 0, 1], hw: 1, leader: [0, 0, 1, 1, 1], truncateTo: 3, asked: [1] },
    { name: 'a follower behind the leader in an older epoch keeps all it has', follower: [0, 0], hw: 0, leader: [0, 0, 0, 2, 2], truncateTo: 2, asked: [0] },
    {
      // KIP-101 scenario 1: B fetched offset 1 but its HW (one fetch behind) is still 1. Truncating to
      // the HW on restart would drop a record A counted as committed, and lose it if A then fails.
      name: 'KIP-101 #1: a follower whose HW lags keeps records past its HW that the leader has',
      follower: [0, 0],
      hw: 1,
      leader: [0, 0, 1],
      truncateTo: 2,
      asked: [0],
    },
    {
      // KIP-101 scenario 2: A (leader, epoch 0) has offset 1, B never got it; both crash, B comes back
      // first, leads epoch 1 and writes its own offset 1. A returns as a follower: same offset, other
      // record. A's HW is 1 (B never had offset 1, so it was never committed).
      name: 'KIP-101 #2: both crash, diverging tails: the returning one drops its uncommitted tail',
      follower: [0, 0],
      hw: 1,
      leader: [0, 1, 1],
      truncateTo: 1,
      asked: [0],
    },
    {
      // KIP-279: A leads epoch 1 and writes offset 2 alone; B leads epoch 2 and writes 2, 3; A leads
      // epoch 3 (never having heard of epoch 2) and writes 3. B asks about epoch 2; A has only epoch 1
      // below it, ending at 3. B holds epoch 1 too, ending at 2 in its log: the logs agree up to 2.
      name: 'KIP-279: fast failover, the leader answers an older epoch the follower also holds',
      follower: [1, 1, 2, 2],
      hw: 2,
      leader: [1, 1, 1, 3],
      truncateTo: 2,
      asked: [2],
    },
    {
      name: 'KIP-279: the leader answers an epoch the follower lacks: ask again for the follower older one',
      follower: [1, 1, 3, 3],
      hw: 2,
      leader: [1, 1, 1, 2, 2, 4],
      truncateTo: 2,
      asked: [3, 1],
    },
    {
      // The ISR shrank to A alone; A took over epoch 1 at offset 4 while B, the old leader, held an
      // unreplicated tail 4, 5 of epoch 0. A is the last replica standing: it restarts and leads again
      // in epoch 2. B comes back with HW 4 and must drop its tail, and only that.
      name: 'last replica standing: the returning old leader drops its unreplicated tail, down to its HW',
      follower: [0, 0, 0, 0, 0, 0],
      hw: 4,
      leader: [0, 0, 0, 0, 1, 1, 1, 1, 1, 2],
      truncateTo: 4,
      asked: [0],
    },
    {
      name: 'last replica standing: a replica that was merely behind keeps everything',
      follower: [0, 0, 0],
      hw: 3,
      leader: [0, 0, 0, 0, 1, 1, 1, 2],
      truncateTo: 3,
      asked: [0],
    },
    { name: 'a follower with no epochs truncates to its HW', follower: [], hw: 0, leader: [0, 0, 1], truncateTo: 0, asked: [] },
    {
      // Retention removed the leader's epochs 0 and 1: its history starts at epoch 3.
      name: 'the leader holds no epoch that old (UNDEFINED): truncate to the HW',
      follower: [1, 1, 1],
      hw: 2,
      leader: [3, 3, 3],
      truncateTo: 2,
      asked: [1],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(convergeOn(follower(c.follower, c.hw), c.leader)).toEqual({ truncateTo: c.truncateTo, asked: c.asked });
    });
  }

  it('the follower holds no epoch <= the one the leader answered: truncate to the HW', () => {
    // Follower's history starts at epoch 4 (its older records were removed by retention).
    const f: FollowerLog = { epochs: new LeaderEpochEntries([{ epoch: 4, startOffset: 5n }]), logEndOffset: 8n, highWatermark: 6n };
    expect(afterAnswer(f, 4, { epoch: 2, endOffset: 7n })).toEqual({ kind: 'truncate', truncateTo: 6n });
  });

  it('never truncates past its own log end', () => {
    expect(afterAnswer(follower([0, 0], 0), 0, { epoch: 0, endOffset: 10n })).toEqual({ kind: 'truncate', truncateTo: 2n });
  });

  it('an answer below the HW is an assertion: the leader lacks acknowledged records', () => {
    // The follower's HW is 3: the whole ISR had offsets 0..2. A leader whose epoch 0 ends at 1 lost them.
    expect(() => convergeOn(follower([0, 0, 0], 3), [0, 1, 1])).toThrow(/below the follower's high watermark 3/);
  });

  it('refuses answers and questions that break the protocol', () => {
    const f = follower([0, 0, 2, 2], 1);
    expect(() => afterAnswer(f, 2, { epoch: 3, endOffset: 4n })).toThrow(AssertionError); // answer newer than asked
    expect(() => afterAnswer(f, 1, { epoch: 0, endOffset: 2n })).toThrow(AssertionError); // asked about an epoch it lacks
    expect(() => afterAnswer(f, 2, { epoch: 2, endOffset: -2n })).toThrow(AssertionError);
    expect(() => firstQuestion({ ...f, highWatermark: 5n })).toThrow(AssertionError); // HW past the log end
    expect(afterAnswer(f, 2, undefinedEpochEnd)).toEqual({ kind: 'truncate', truncateTo: 1n });
  });
});

/**
 * Property: in any history of leader changes (clean or not), appends and partial replication, a
 * follower that converges against the current leader and truncates keeps exactly the longest prefix
 * its log shares with the leader's, record for record (each record carries a unique id, so agreement
 * is checked on the records, not only on their epochs). HW is 0 here: unclean elections are allowed,
 * so nothing is known committed, and the epochs alone must find the point.
 *
 * Each replica keeps its history as the broker must: a new leader assigns its epoch at its log end
 * when it takes over (so it can answer for epochs between its last written one and its current one),
 * every appended record assigns its epoch, and a follower truncates its history with its log, to
 * the offset found, even when that is its log end (dropping an epoch it led without writing).
 */
describe('divergence (property): truncation keeps exactly the common prefix', () => {
  type Op = { kind: 'append'; count: number } | { kind: 'elect'; replica: number } | { kind: 'replicate'; replica: number; count: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('elect' as const), replica: fc.nat(2) }),
    fc.record({ kind: fc.constant('replicate' as const), replica: fc.nat(2), count: fc.integer({ min: 1, max: 4 }) }),
  );
  interface Replica {
    readonly log: { readonly epoch: number; readonly id: number }[];
    readonly history: LeaderEpochEntries;
    synced: boolean;
  }

  function truncateToLeader(r: Replica, leader: Replica): void {
    const f: FollowerLog = { epochs: r.history, logEndOffset: BigInt(r.log.length), highWatermark: 0n };
    const { truncateTo } = converge(f, leader.history, BigInt(leader.log.length));
    let common = 0;
    while (common < r.log.length && common < leader.log.length && r.log[common]!.id === leader.log[common]!.id) common++;
    expect(truncateTo).toBe(common);
    r.log.length = truncateTo;
    r.history.truncateFromEnd(BigInt(truncateTo));
    r.synced = true;
  }

  it('holds over random histories of three replicas', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 80 }), (ops) => {
        const replicas: Replica[] = [0, 1, 2].map(() => ({ log: [], history: new LeaderEpochEntries(), synced: true }));
        let leader = replicas[0]!;
        leader.history.assign(0, 0n);
        let epoch = 0;
        let nextId = 0;
        for (const op of ops) {
          if (op.kind === 'append') {
            for (let k = 0; k < op.count; k++) {
              leader.history.assign(epoch, BigInt(leader.log.length));
              leader.log.push({ epoch, id: nextId++ });
            }
          } else if (op.kind === 'elect') {
            leader = replicas[op.replica]!;
            epoch++;
            for (const r of replicas) r.synced = r === leader;
            leader.history.assign(epoch, BigInt(leader.log.length));
          } else {
            const r = replicas[op.replica]!;
            if (r === leader) continue;
            if (!r.synced) truncateToLeader(r, leader);
            for (const rec of leader.log.slice(r.log.length, r.log.length + op.count)) {
              expect(r.history.assign(rec.epoch, BigInt(r.log.length))).not.toBe('ignored-stale');
              r.log.push(rec);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
