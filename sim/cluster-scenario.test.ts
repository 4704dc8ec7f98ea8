import { describe, expect, it } from 'vitest';
import { runOne } from './runner.ts';
import { sweepTimeout } from './sweep-timeout.ts';
import { sweep } from './cluster-sweep.ts';

/**
 * The `cluster` scenario in `npm test`: seeds of 3 nodes (RF=3, min.insync.replicas=2) under
 * crashes, graceful stops, rolling restarts, partitions, resets and fsync failures, every history
 * judged by the Kafka checker and the replica checks. The 5-node seeds and the planted bugs are in
 * cluster-planted.test.ts. `npm run sim -- --scenario cluster --seeds 1..2000` (and `--nodes 5`) is
 * the longer sweep.
 */
// 200 fixed seeds with the 50 of 5 nodes (and with the moving window's 6 and the corpus's cluster
// cases, about 250 cluster seeds per run): what fits the 5-minute budget since the simulator's event
// loop got cheaper (a message to itself between events instead of a setImmediate).
const seeds3 = 150;

describe('cluster scenario', () => {
  it(`passes ${seeds3} seeds of 3 nodes, reaching every coverage target`, async () => {
    const { failing, acked, crashes, coverageFailures } = await sweep(3, 7000, seeds3);
    expect(failing).toEqual([]);
    expect(coverageFailures).toEqual([]);
    expect(acked).toBeGreaterThan(seeds3 * 100);
    expect(crashes).toBeGreaterThan(seeds3);
  }, sweepTimeout);

  it('is deterministic: the same seed gives the same trace', async () => {
    const a = await runOne({ scenario: 'cluster', seed: 7 });
    const b = await runOne({ scenario: 'cluster', seed: 7 });
    expect(b.traceHash).toBe(a.traceHash);
  });
});
