/**
 * The fast subset of the real-process chaos suite that runs in `npm test` (the rest: `npm run
 * chaos`, docs/chaos.md). One scenario: a single node behind the fault proxy (client addresses
 * rewritten), kafkajs and librdkafka writing for 3 s, judged by the simulator's history checker.
 * About 12-17 s here on a loaded 2-core machine; the limit is vitest's 300 s.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, scenarios } from './scenarios/scenarios.ts';

describe('real-process chaos (fast subset)', () => {
  it('single-node-basic: every acknowledged write is read back once, at its offset', async () => {
    const row = await runScenario(scenarios.find((s) => s.name === 'single-node-basic')!);
    expect(row, row.notes.join('\n')).toMatchObject({ verdict: 'pass', lost: 0, duplicates: 0 });
    expect(row.acked).toBeGreaterThan(100);
  });
});
