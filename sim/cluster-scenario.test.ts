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
// 130 seeds in all with the 30 of 5 nodes (with the moving window's 6 and the corpus's 44, 180 cluster
// seeds per run; the cluster issue asks for 200 fixed ones, which did not fit the 5-minute budget: a
// seed costs about four times what it did before the rolling restarts, the group consumer and the
// replica checks came in).
const seeds3 = 100;

describe('cluster scenario', () => {
  it(`passes ${seeds3} seeds of 3 nodes`, async () => {
    const { failing, acked, crashes } = await sweep(3, 7000, seeds3);
    expect(failing).toEqual([]);
    expect(acked).toBeGreaterThan(seeds3 * 100);
    expect(crashes).toBeGreaterThan(seeds3);
  }, sweepTimeout);

  it('is deterministic: the same seed gives the same trace', async () => {
    const a = await runOne({ scenario: 'cluster', seed: 7 });
    const b = await runOne({ scenario: 'cluster', seed: 7 });
    expect(b.traceHash).toBe(a.traceHash);
  });
});
