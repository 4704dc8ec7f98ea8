import { describe, expect, it } from 'vitest';
import type { Random } from '../src/core/io/random.ts';
import { SeededRandom } from '../src/core/io/seeded-random.ts';
import { runOne } from './runner.ts';
import { clusterLivenessMs, clusterSwarm } from './scenarios/cluster.ts';
import { kernelSwarm } from './scenarios/kernel.ts';
import { logCrashSwarm } from './scenarios/log-crash.ts';
import { raftSwarm } from './scenarios/raft.ts';
import { singleNodeSwarm } from './scenarios/single-node.ts';
import { drawKinds, renderSwarm, type SwarmConfig } from './swarm.ts';

/**
 * Swarm testing (sim/swarm.ts): every scenario draws its fault kinds, rates, timeouts and workload
 * shape from the seed. Same seed, same mix; other seeds, other mixes; every fault kind both on and off
 * across seeds, each about as often as its odds say.
 */

/** Each scenario's draw from the run's root source of `seed` (the Simulation's root is seeded the same way). */
const draws: Record<string, (root: Random) => SwarmConfig> = {
  cluster: clusterSwarm,
  kernel: kernelSwarm,
  'log-crash': (root) => logCrashSwarm(root.fork('log-crash/plan')),
  raft: raftSwarm,
  'single-node': singleNodeSwarm,
};

const root = (seed: number): Random => new SeededRandom(String(seed));

/** Single-node seed 7000's draws as the commit before the clock faults made them. */
const PINNED_7000 = { faults: ['crash', 'stop', 'syncFail', 'slowDisk'], faultGapMsMax: 300, downMsMax: 225, requestTimeoutMs: 1500, partitions: 3, acksOneOdds: 0.43, consumerFetchBytes: 7168, livenessMs: 2000 };
const seeds = Array.from({ length: 400 }, (_, k) => k + 1);

describe('swarm configs', () => {
  for (const [scenario, draw] of Object.entries(draws)) {
    it(`${scenario}: the same seed draws the same mix, two seeds draw different ones`, () => {
      expect(draw(root(7000))).toEqual(draw(root(7000)));
      expect(draw(root(7000))).not.toEqual(draw(root(7001)));
      const mixes = new Set(seeds.map((seed) => renderSwarm(draw(root(seed)))));
      expect(mixes.size).toBe(seeds.length);
      // Fault kinds alone: many distinct sets, and every kind both on and off somewhere.
      const kindSets = seeds.map((seed) => draw(root(seed))['faults'] as readonly string[]);
      expect(new Set(kindSets.map((kinds) => kinds.join(','))).size).toBeGreaterThan(10);
      const allKinds = new Set(kindSets.flat());
      for (const kind of allKinds) {
        const on = kindSets.filter((kinds) => kinds.includes(kind)).length;
        expect(on, `${scenario}: ${kind} on in ${on} of ${seeds.length} seeds`).toBeGreaterThan(seeds.length * 0.45);
        expect(on, `${scenario}: ${kind} on in ${on} of ${seeds.length} seeds`).toBeLessThan(seeds.length);
      }
    });
  }

  it('the storage faults (drawn last) are on in some seeds and off in others, about as often as their odds say', () => {
    const fields: Array<[string, string, number]> = [
      ['log-crash', 'latentSectorOdds', 0.25],
      ['log-crash', 'misdirectedWriteOdds', 0.3],
      ['log-crash', 'misdirectedReadOdds', 0.3],
      ['kernel', 'latentSectorGapMsMax', 0.4],
      ['kernel', 'misdirectedWriteOdds', 0.4],
    ];
    for (const [scenario, field, odds] of fields) {
      const on = seeds.filter((seed) => Number(draws[scenario]!(root(seed))[field]) > 0).length / seeds.length;
      expect(on, `${scenario} ${field}: on in ${on} of the seeds`).toBeGreaterThan(odds - 0.1);
      expect(on, `${scenario} ${field}: on in ${on} of the seeds`).toBeLessThan(odds + 0.1);
    }
  });

  it('a kind is on about as often as its odds say', () => {
    const odds = { often: 0.9, half: 0.5, never: 0, always: 1 };
    const counts = { often: 0, half: 0, never: 0, always: 0 };
    for (const seed of seeds) for (const kind of drawKinds(root(seed), odds)) counts[kind]++;
    expect(counts.never).toBe(0);
    expect(counts.always).toBe(seeds.length);
    expect(counts.often / seeds.length).toBeCloseTo(0.9, 1);
    expect(counts.half / seeds.length).toBeGreaterThan(0.4);
    expect(counts.half / seeds.length).toBeLessThan(0.6);
  });

  it('raft: the figure-8 nemesis is on in about 40% of seeds, drawn and printed last', () => {
    const on = seeds.filter((seed) => raftSwarm(root(seed)).figure8).length;
    expect(on).toBeGreaterThan(seeds.length * 0.3);
    expect(on).toBeLessThan(seeds.length * 0.5);
    // Drawn after every earlier field (then the promise crashes): the summary line prints it so.
    expect(renderSwarm(raftSwarm(root(7000)))).toMatch(/ stallMsMax=\d+ figure8=(true|false) promiseCrashOdds=[\d.]+$/);
  });

  it('raft: crashes on promises in about half the seeds, drawn last, at odds 0.05..0.3', () => {
    const odds = seeds.map((seed) => raftSwarm(root(seed)).promiseCrashOdds);
    const on = odds.filter((o) => o > 0);
    expect(on.length).toBeGreaterThan(seeds.length * 0.4);
    expect(on.length).toBeLessThan(seeds.length * 0.6);
    for (const o of on) expect(o >= 0.05 && o <= 0.3).toBe(true);
    // Drawn last: every earlier field of every seed is what it was before (figure8 among them).
    const before = seeds.map((seed) => raftSwarm(root(seed)).figure8);
    expect(before.filter(Boolean).length).toBe(seeds.filter((seed) => raftSwarm(root(seed)).figure8).length);
  });

  it('the cluster liveness bound is the old 8 s at the old timeouts and grows with longer ones', () => {
    expect(clusterLivenessMs({ sessionMs: 1500, replicaLagMs: 2000, requestTimeoutMs: 2500, electionTicks: 10 })).toBe(8000);
    expect(clusterLivenessMs({ sessionMs: 1000, replicaLagMs: 1000, requestTimeoutMs: 1500, electionTicks: 8 })).toBe(8000);
    expect(clusterLivenessMs({ sessionMs: 2500, replicaLagMs: 3000, requestTimeoutMs: 3500, electionTicks: 14 })).toBe(8000 + 2000 + 1000 + 1000 + 800);
    for (const seed of seeds) {
      const s = clusterSwarm(root(seed));
      expect(s.replicaFetchWaitMs).toBeLessThan(s.replicaLagMs);
      expect(s.produceTimeoutMs).toBeLessThan(s.requestTimeoutMs);
      expect(s.livenessMs).toBe(clusterLivenessMs(s));
    }
  });

  it('single-node: the clock faults are drawn last, so every earlier field of every seed is what it was before them', () => {
    // Pinned before the clock fields came in (seed 7000); they must not move.
    const s = singleNodeSwarm(root(7000));
    const before = { faults: s.faults, faultGapMsMax: s.faultGapMsMax, downMsMax: s.downMsMax, requestTimeoutMs: s.requestTimeoutMs, partitions: s.partitions, acksOneOdds: s.acksOneOdds, consumerFetchBytes: s.consumerFetchBytes, livenessMs: s.livenessMs };
    expect(before).toEqual(PINNED_7000);
    const clock = seeds.map((seed) => singleNodeSwarm(root(seed)));
    const jumps = clock.flatMap((c) => (c.clockFaults ? c.clockJumps : []));
    expect(jumps.some((j) => j.startsWith('-')) && jumps.some((j) => j.startsWith('+'))).toBe(true);
    expect(jumps.some((j) => Math.abs(Number.parseInt(j, 10)) >= 3_600_000)).toBe(true); // hours
    expect(clock.filter((c) => c.timeLimits).length / seeds.length).toBeGreaterThan(0.4);
    for (const c of clock) expect(c.retentionMs).toBeGreaterThan(c.segmentMs);
  });

  it('single-node: the storage faults come after the clock, and seeds draw each of them on and off', () => {
    const drawn = seeds.map((seed) => singleNodeSwarm(root(seed)));
    for (const field of ['diskFull', 'readErrorOdds', 'misdirectedReadOdds'] as const) {
      const on = drawn.filter((c) => Boolean(c[field])).length;
      expect(on, field).toBeGreaterThan(0);
      expect(on, field).toBeLessThan(drawn.length);
    }
    for (const c of drawn) expect(c.readErrorOdds === 0 || (c.readErrorOdds >= 0.001 && c.readErrorOdds <= 0.02)).toBe(true);
  });

  it('a run reports the config its seed draws, in the outcome (--json) and in the trace', async () => {
    const outcome = await runOne({ scenario: 'kernel', seed: 12 });
    expect(outcome.swarm).toEqual(kernelSwarm(root(12)));
    const again = await runOne({ scenario: 'kernel', seed: 12 });
    expect(again.traceHash).toBe(outcome.traceHash);
    expect(renderSwarm({ faults: ['crash', 'reset'], gapMs: 300, none: [] })).toBe('faults=crash,reset gapMs=300 none=-');
  });
});
