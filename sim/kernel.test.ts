import { describe, expect, it } from 'vitest';
import type { SimulationOptions } from '../src/io-sim/index.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { firstFailingSeed, runOne } from './runner.ts';
import { sweepTimeout } from './sweep-timeout.ts';
import { findScenario } from './scenarios/index.ts';

/** Seeds swept in `npm test`; `npm run sim -- --scenario kernel --seeds 1..2000` is the longer sweep. */
const sweepSeeds = 50;

const kernel = findScenario('kernel')!;

/** First failing seed of the `kernel` scenario with `plantedBugs` in the simulator or logs. */
function firstFailing(plantedBugs: SimulationOptions['plantedBugs'], seedsMax: number) {
  return firstFailingSeed((sim) => kernel.run(sim, { nodes: kernel.defaultNodes }), seedsMax, { plantedBugs });
}

describe('kernel scenario', () => {
  it(`passes ${sweepSeeds} seeds, each with the fault kinds its swarm config turns on, reaching every coverage target`, async () => {
    const failing: string[] = [];
    const coverage = new CoverageTally();
    let crashes = 0;
    let partitions = 0;
    const storage = { latentSectors: 0, damaged: 0, lostToStorage: 0, recoveriesRefused: 0 };
    for (let seed = 1000; seed < 1000 + sweepSeeds; seed++) {
      const outcome = await runOne({ scenario: 'kernel', seed });
      if (!outcome.ok) failing.push(`seed ${seed}: ${outcome.failures[0]}`);
      coverage.add(outcome.coverage);
      crashes += Number(outcome.summary['crashes']);
      partitions += Number(outcome.summary['partitions']);
      for (const key of Object.keys(storage) as Array<keyof typeof storage>) storage[key] += Number(outcome.summary[key]);
    }
    expect(failing).toEqual([]);
    const goal = kernel.coverageGoal(kernel.defaultNodes);
    expect(sweepSeeds).toBeGreaterThanOrEqual(goal.seedsMin);
    expect(coverageGateFailures(coverage, goal.targets, `kernel seeds 1000..${999 + sweepSeeds}`)).toEqual([]);
    expect(crashes).toBeGreaterThan(sweepSeeds);
    expect(partitions).toBeGreaterThan(sweepSeeds);
    // The storage faults happened, destroyed fsynced records, and stopped recoveries.
    expect(storage.latentSectors).toBeGreaterThan(sweepSeeds / 5);
    expect(storage.damaged).toBeGreaterThan(sweepSeeds / 5);
    expect(storage.lostToStorage).toBeGreaterThan(0);
    expect(storage.recoveriesRefused).toBeGreaterThan(sweepSeeds / 5);
  }, sweepTimeout);

  // Each checker is shown to catch the bug it guards against, planted in the simulator itself.
  it('the order checker catches a network that reorders chunks (within 5 seeds)', async () => {
    expect(await firstFailing({ net: { reorder: true } }, 5)).not.toBeNull();
  });

  it('the partition checker catches a partition that leaks (within 5 seeds)', async () => {
    expect(await firstFailing({ net: { leakAcrossPartition: true } }, 5)).not.toBeNull();
  });

  it('the durability checker catches an fsync that does nothing, as an earlier broker of this kind did (within 5 seeds)', async () => {
    expect(await firstFailing({ disk: { syncIsNoop: true } }, 5)).not.toBeNull();
  });
});
