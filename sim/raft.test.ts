/**
 * The `raft` scenario swept over many seeds (1..300 with 3 voters, 1..100 with 1 and with 5;
 * about 40-60 s on one core of a 2-core machine running the rest of the suite), and a determinism check. The longer sweep is a
 * command: npm run sim -- --scenario raft --seeds 1..10000 (and --nodes 5).
 */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/io-sim/index.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { runRaftScenario, scenario as raft } from './scenarios/raft.ts';
import { sweepTimeout } from './sweep-timeout.ts';

/** The failing seeds of the range, then the coverage gate's failures (the range is the goal's size or more). */
async function sweep(first: number, last: number, nodes: number): Promise<string[]> {
  const failed: string[] = [];
  const coverage = new CoverageTally();
  for (let seed = first; seed <= last; seed++) {
    const sim = new Simulation({ seed });
    const result = await runRaftScenario(sim, { nodes });
    coverage.add(sim.coverage.counts());
    const failures = [...result.failures, ...sim.failed];
    if (failures.length > 0) failed.push(`seed ${seed} (${nodes} voters): ${failures[0]}  [npm run sim -- --scenario raft --seed ${seed} --nodes ${nodes}]`);
  }
  const goal = raft.coverageGoal(nodes);
  if (last - first + 1 < goal.seedsMin) failed.push(`${last - first + 1} seeds: fewer than the coverage goal's ${goal.seedsMin}`);
  return [...failed, ...coverageGateFailures(coverage, goal.targets, `raft --nodes ${nodes} seeds ${first}..${last}`)];
}

describe('raft scenario sweep', () => {
  it('3 voters, seeds 1..300: safety on every Ready, durability of acknowledged proposals, liveness, every coverage target', async () => {
    expect(await sweep(1, 300, 3)).toEqual([]);
  }, sweepTimeout);

  it('1 voter, seeds 1..100 (crashes, torn writes, slow disks; nothing to partition)', async () => {
    expect(await sweep(1, 100, 1)).toEqual([]);
  }, sweepTimeout);

  it('5 voters, seeds 1..100', async () => {
    expect(await sweep(1, 100, 5)).toEqual([]);
  }, sweepTimeout);

  it('is deterministic: one seed, one trace hash', async () => {
    const hashes: string[] = [];
    for (let run = 0; run < 2; run++) {
      const sim = new Simulation({ seed: 4242 });
      const result = await runRaftScenario(sim, { nodes: 3 });
      expect(result.ok).toBe(true);
      hashes.push(`${sim.traceHash()}/${sim.eventsProcessed}`);
    }
    expect(hashes[0]).toBe(hashes[1]);
  });
});
