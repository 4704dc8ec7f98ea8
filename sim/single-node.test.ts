import { describe, expect, it } from 'vitest';
import type { Simulation, SimulationOptions } from '../src/io-sim/index.ts';
import type { FindingKind } from './checkers/kafka-history.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { firstFailingSeed, runOne } from './runner.ts';
import { sweepTimeout } from './sweep-timeout.ts';
import { findScenario } from './scenarios/index.ts';

/** Seeds swept in `npm test`; `npm run sim -- --scenario single-node --seeds 1..2000` is the longer sweep. */
const sweepSeeds = 50;

const singleNode = findScenario('single-node')!;

/**
 * First seed of the `single-node` scenario, with `plantedBugs` in the simulator, logs or offsets
 * store, whose failures include a checker finding of `kind`; with that finding.
 */
function firstCaught(plantedBugs: SimulationOptions['plantedBugs'], kind: FindingKind, seedsMax: number) {
  const runSeed = async (sim: Simulation) => {
    const result = await singleNode.run(sim, { nodes: singleNode.defaultNodes });
    return { failures: result.failures.filter((f) => f.startsWith(`${kind}: `)) };
  };
  return firstFailingSeed(runSeed, seedsMax, { plantedBugs });
}

/** First seed (of `seedsMax` from 1) whose run with `plantedBugs` has a failure matching `pattern`; with that failure. */
function firstFailure(plantedBugs: SimulationOptions['plantedBugs'], pattern: RegExp, seedsMax: number) {
  const runSeed = async (sim: Simulation) => {
    const result = await singleNode.run(sim, { nodes: singleNode.defaultNodes });
    return { failures: result.failures.filter((f) => pattern.test(f)) };
  };
  return firstFailingSeed(runSeed, seedsMax, { plantedBugs });
}

describe('single-node scenario', () => {
  it(`passes ${sweepSeeds} seeds of crashes, graceful stops, mid-frame resets and fsync failures, reaching every coverage target`, async () => {
    const failing: string[] = [];
    const coverage = new CoverageTally();
    let acked = 0;
    let crashes = 0;
    for (let seed = 5000; seed < 5000 + sweepSeeds; seed++) {
      const outcome = await runOne({ scenario: 'single-node', seed });
      if (!outcome.ok) failing.push(`seed ${seed}: ${outcome.failures[0]}`);
      coverage.add(outcome.coverage);
      acked += Number(outcome.summary['acked']);
      crashes += Number(outcome.summary['crashes']);
    }
    expect(failing).toEqual([]);
    const goal = singleNode.coverageGoal(singleNode.defaultNodes);
    expect(sweepSeeds).toBeGreaterThanOrEqual(goal.seedsMin);
    expect(coverageGateFailures(coverage, goal.targets, `single-node seeds 5000..${4999 + sweepSeeds}`)).toEqual([]);
    expect(acked).toBeGreaterThan(sweepSeeds * 1000);
    expect(crashes).toBeGreaterThan(sweepSeeds / 2);
  }, sweepTimeout);

  it('is deterministic: the same seed gives the same trace', async () => {
    const a = await runOne({ scenario: 'single-node', seed: 77 });
    const b = await runOne({ scenario: 'single-node', seed: 77 });
    expect(b.traceHash).toBe(a.traceHash);
  });

  // The checker is shown catching the bugs it exists for, planted in the broker's partition logs,
  // its committed-offsets store and the simulated disk, each by the Kafka history checker's own
  // finding. When written, each was caught at seed 1 and in 17 to 20 of seeds 1..20.
  // (PartitionLogBugs.stopSkipsFlush alone is not among them: the broker answers every in-flight
  // request before it stops its logs, so that bug loses no acknowledged write here; log-crash
  // catches it. BrokerBugs.stopSkipsFlush, below, also stops the logs before those requests end.)
  it('catches a log that acknowledges before fsync as lost writes (within 10 seeds)', async () => {
    const found = await firstCaught({ log: { ackBeforeSync: true } }, 'lost-write', 10);
    expect(found?.failure).toMatch(/^lost-write: /);
  });

  it('catches an fsync that makes nothing durable, as an earlier broker of this kind did (within 10 seeds)', async () => {
    const found = await firstCaught({ disk: { syncIsNoop: true } }, 'lost-write', 10);
    expect(found?.failure).toMatch(/^lost-write: /);
  });

  it('catches an offset commit answered before it is durable as a committed offset going back (within 10 seeds)', async () => {
    const found = await firstCaught({ offsets: { ackBeforeSync: true } }, 'commit-regressed', 10);
    expect(found?.failure).toMatch(/^commit-regressed: /);
  });

  // Bugs in the broker's own request path, which the workload reaches because p2 and the consumer
  // pipeline requests and the simulated network merges writes that have arrived into one read.
  it('catches a broker that writes responses as they finish, not in request order (within 5 seeds)', async () => {
    const found = await firstFailure({ broker: { reorderResponses: true } }, /: response order: /, 5);
    expect(found?.failure).toMatch(/response #\d+ arrived while #\d+ was next/);
  });

  it('catches a frame decoder that drops the second frame of a read (within 5 seeds; 0 of 10 before reads merged writes)', async () => {
    const found = await firstFailure({ broker: { dropSecondFrameOfRead: true } }, /: response order: /, 5);
    expect(found?.failure).toMatch(/response #\d+ arrived while #\d+ was next/);
  });

  // Half the graceful stops are followed by a power loss before the restart, so a stop that answers
  // appends it never fsynced (interval flush policy: appends wait for the timer) loses them.
  it('catches a graceful stop that skips its final flush as lost writes (within 20 seeds; first at seed 9, 7 of 1..40)', async () => {
    const found = await firstFailure({ broker: { stopSkipsFlush: true } }, /^lost-write: /, 20);
    expect(found?.failure).toMatch(/^lost-write: /);
  });

  // The broker host's wall clock jumps (the clock faults): a segment age measured on the wall clock
  // is held open by a jump back. Measured: caught in 8 of seeds 1..60, first at seed 14.
  it('catches a segment age measured on the wall clock as roll-overdue (within 30 seeds; first at seed 14, 8 of 1..60)', async () => {
    const found = await firstFailure({ log: { segmentAgeByWallClock: true } }, /^roll-overdue: /, 30);
    expect(found?.failure).toMatch(/^roll-overdue: partition \d+: offset \d+ .* although segment.ms is \d+$/);
  });

  // Transient read errors (the storage faults, 4 seeds in 10): the correct log refuses to open on a
  // read error and the broker reopens it later; this one takes the error for the end of the log and
  // cuts there. Measured: caught in 13 of seeds 1..200 (12 by lost-write), first at seed 10.
  it('catches a recovery that takes a read error for the end of the log as lost writes (within 30 seeds; first at seed 10, 13 of 1..200)', async () => {
    const found = await firstFailure({ log: { recoveryEndsAtReadError: true } }, /^(lost-write|inconsistent-offset): /, 30);
    expect(found?.failure).toMatch(/^(lost-write|inconsistent-offset): /);
  });

  // The simulated disk fails fsyncs as Linux does (fsyncgate): the retry succeeds, the data is gone.
  it('catches a log that retries a failed fsync and carries on (within 5 seeds)', async () => {
    const found = await firstFailure({ log: { retryFailedSync: true } }, /^(lost-write|no-final-read): /, 5);
    expect(found?.failure).toMatch(/^(lost-write|no-final-read): /);
  });
});
