import { describe, expect, it } from 'vitest';
import { movingSeedWindow } from './moving-window.ts';
import { runOne } from './runner.ts';
import { sweepTimeout } from './sweep-timeout.ts';

/**
 * Besides the fixed seed ranges of the other sweeps, every scenario is swept over a small window of
 * seeds that moves with each commit (sim/moving-window.ts). The range is printed, so a failure
 * reproduces with the command shown, and a found seed goes to sim/corpus/.
 */
const window = movingSeedWindow();

const sweeps = [
  { scenario: 'kernel', nodes: 3, seeds: 10 },
  { scenario: 'log-crash', nodes: 1, seeds: 50 },
  { scenario: 'single-node', nodes: 1, seeds: 10 },
  { scenario: 'raft', nodes: 3, seeds: 20 },
  { scenario: 'raft', nodes: 5, seeds: 5 },
  { scenario: 'cluster', nodes: 3, seeds: 6 },
];

describe(`moving seed window from ${window.from}`, () => {
  for (const { scenario, nodes, seeds } of sweeps) {
    const first = window.first;
    const last = first + seeds - 1;
    const command = `npm run sim -- --scenario ${scenario} --nodes ${nodes} --seeds ${first}..${last}`;
    it(`${scenario} with ${nodes} node(s), seeds ${first}..${last}`, async () => {
      console.log(`moving window (${window.from}): ${command}`);
      const failing: string[] = [];
      let events = 0;
      for (let seed = first; seed <= last; seed++) {
        const outcome = await runOne({ scenario, seed, nodes });
        events += outcome.events;
        if (!outcome.ok) failing.push(`seed ${seed}: ${outcome.failures[0]}  [npm run sim -- --scenario ${scenario} --seed ${seed} --nodes ${nodes}]`);
      }
      expect(failing).toEqual([]);
      // The seeds really ran their scenario.
      expect(events).toBeGreaterThan(seeds * 100);
    }, sweepTimeout);
  }
});
