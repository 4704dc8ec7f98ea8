import { describe, expect, it } from 'vitest';
import type { SimulationOptions } from '../src/io-sim/index.ts';
import { runOne } from './runner.ts';

/** Seeds swept in `npm test`; `npm run sim -- --scenario kernel --seeds 1..2000` is the longer sweep. */
const sweepSeeds = 200;

async function firstFailingSeed(plantedBugs: SimulationOptions['plantedBugs'], seedsMax: number): Promise<number | null> {
  for (let seed = 1; seed <= seedsMax; seed++) {
    const outcome = await runOne({ scenario: 'kernel', seed, plantedBugs });
    if (!outcome.ok) return seed;
  }
  return null;
}

describe('kernel scenario', () => {
  it(`passes ${sweepSeeds} seeds with every fault enabled`, async () => {
    const failing: string[] = [];
    let crashes = 0;
    let partitions = 0;
    for (let seed = 1000; seed < 1000 + sweepSeeds; seed++) {
      const outcome = await runOne({ scenario: 'kernel', seed });
      if (!outcome.ok) failing.push(`seed ${seed}: ${outcome.failures[0]}`);
      crashes += Number(outcome.summary['crashes']);
      partitions += Number(outcome.summary['partitions']);
    }
    expect(failing).toEqual([]);
    expect(crashes).toBeGreaterThan(sweepSeeds);
    expect(partitions).toBeGreaterThan(sweepSeeds);
  });

  // Each checker is shown to catch the bug it guards against, planted in the simulator itself.
  it('the order checker catches a network that reorders chunks (within 5 seeds)', async () => {
    expect(await firstFailingSeed({ net: { reorder: true } }, 5)).not.toBeNull();
  });

  it('the partition checker catches a partition that leaks (within 5 seeds)', async () => {
    expect(await firstFailingSeed({ net: { leakAcrossPartition: true } }, 5)).not.toBeNull();
  });

  it('the durability checker catches an fsync that does nothing, like the earlier broker\'s flush (within 5 seeds)', async () => {
    expect(await firstFailingSeed({ disk: { syncIsNoop: true } }, 5)).not.toBeNull();
  });
});
