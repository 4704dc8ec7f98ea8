import { describe, expect, it } from 'vitest';
import type { SimulationOptions } from '../src/io-sim/index.ts';
import { firstFailingSeed, runOne } from './runner.ts';
import { sweepTimeout } from './sweep-timeout.ts';
import { findScenario } from './scenarios/index.ts';

/** Seeds swept in `npm test`; `npm run sim -- --scenario single-node --seeds 1..2000` is the longer sweep. */
const sweepSeeds = 200;

const singleNode = findScenario('single-node')!;

/** First failing seed of the `single-node` scenario with `plantedBugs` in the simulator or logs. */
function firstFailing(plantedBugs: SimulationOptions['plantedBugs'], seedsMax: number) {
  return firstFailingSeed((sim) => singleNode.run(sim, { nodes: singleNode.defaultNodes }), seedsMax, { plantedBugs });
}

describe('single-node scenario', () => {
  it(`passes ${sweepSeeds} seeds of crashes, graceful stops, mid-frame resets and fsync failures`, async () => {
    const failing: string[] = [];
    let acked = 0;
    let crashes = 0;
    for (let seed = 5000; seed < 5000 + sweepSeeds; seed++) {
      const outcome = await runOne({ scenario: 'single-node', seed });
      if (!outcome.ok) failing.push(`seed ${seed}: ${outcome.failures[0]}`);
      acked += Number(outcome.summary['acked']);
      crashes += Number(outcome.summary['crashes']);
    }
    expect(failing).toEqual([]);
    expect(acked).toBeGreaterThan(sweepSeeds * 1000);
    expect(crashes).toBeGreaterThan(sweepSeeds / 2);
  }, sweepTimeout);

  it('is deterministic: the same seed gives the same trace', async () => {
    const a = await runOne({ scenario: 'single-node', seed: 77 });
    const b = await runOne({ scenario: 'single-node', seed: 77 });
    expect(b.traceHash).toBe(a.traceHash);
  });

  // The checker is shown catching the bugs it exists for, planted in the broker's partition logs.
  it('catches a log that acknowledges before fsync (within 10 seeds)', async () => {
    expect(await firstFailing({ log: { ackBeforeSync: true } }, 10)).not.toBeNull();
  });

  it('catches an fsync that makes nothing durable, as an earlier broker of this kind did (within 10 seeds)', async () => {
    expect(await firstFailing({ disk: { syncIsNoop: true } }, 10)).not.toBeNull();
  });
});
