/**
 * Property: for any sequence of appends (many in flight), waits, crashes with torn writes, graceful
 * stops, failed fsyncs and a full disk, run on the simulator's disk,
 * (a) every append acknowledged as durable is read back after restart, same offset, same bytes;
 * (b) offsets are dense and increasing, acknowledgements come in offset order;
 * (c) no partial, corrupt, phantom or duplicated batch is ever returned;
 * (d) after a graceful stop every accepted append has settled and is there.
 * The checker is the log-crash scenario's (sim/scenarios/log-crash.ts). A failure prints the shrunk
 * plan (steps and config) and the checker's message; replay with the printed seed and path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../io-sim/index.ts';
import { describeStep, runLogPlan, type LogPlan, type LogStep } from '../../../sim/scenarios/log-crash.ts';
import { defaultPartitionLogConfig, type PartitionLogBugs } from './partition-log.ts';
import type { PartitionLogConfig } from './types.ts';

const stepArb: fc.Arbitrary<LogStep> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), records: fc.integer({ min: 1, max: 4 }), valueBytes: fc.integer({ min: 4, max: 400 }), waitMs: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 30 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'crash' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'failSync' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('diskFull' as const), ms: fc.integer({ min: 1, max: 8 }) }) },
);

const configArb: fc.Arbitrary<PartitionLogConfig> = fc
  .record({
    segmentBytesMax: fc.integer({ min: 1024, max: 16_384 }),
    indexIntervalBytes: fc.integer({ min: 32, max: 2048 }),
    interval: fc.option(fc.record({ intervalMs: fc.integer({ min: 1, max: 20 }), bytesMax: fc.integer({ min: 256, max: 8192 }) }), { nil: undefined }),
  })
  .map(({ segmentBytesMax, indexIntervalBytes, interval }) => ({
    ...defaultPartitionLogConfig,
    segmentBytesMax,
    indexIntervalBytes,
    flush: interval === undefined ? { mode: 'per-append' as const } : { mode: 'interval' as const, ...interval },
    retentionBytesMax: null,
    retentionMsMax: null,
  }));

interface Case {
  readonly seed: number;
  readonly config: PartitionLogConfig;
  readonly steps: readonly LogStep[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  config: configArb,
  steps: fc.array(stepArb, { minLength: 1, maxLength: 25 }),
});

/** A readable rendering of a (shrunk) counterexample. */
function describeCase(c: Case): string {
  const flush = c.config.flush.mode === 'interval' ? `interval ${c.config.flush.intervalMs}ms/${c.config.flush.bytesMax}B` : 'per-append';
  const steps = c.steps.map((s, i) => `  ${i}: ${describeStep(s)}`).join('\n');
  return `sim seed ${c.seed}; segmentBytesMax ${c.config.segmentBytesMax}, indexIntervalBytes ${c.config.indexIntervalBytes}, flush ${flush}\n${steps}`;
}

async function holds(c: Case, bugs?: PartitionLogBugs): Promise<void> {
  const sim = new Simulation({ seed: c.seed });
  const plan: LogPlan = { config: c.config, steps: c.steps, bugs };
  const result = await runLogPlan(sim, plan);
  const failures = [...result.failures, ...sim.failed];
  if (failures.length > 0) throw new Error(`${failures.join('\n')}\nplan:\n${describeCase(c)}`);
}

const property = (bugs?: PartitionLogBugs) => fc.asyncProperty(caseArb.map((c) => Object.assign(c, { toString: () => describeCase(c) })), (c) => holds(c, bugs));

describe('PartitionLog durability property (simulated disk with faults)', () => {
  it('holds (a)-(d) for any plan of appends, crashes, stops and disk faults', async () => {
    await fc.assert(property(), { numRuns: 600 });
  });

  // Sharpness: the same property fails, with a small readable counterexample, when a bug is planted.
  it('fails when appends are acknowledged before fsync', async () => {
    const details = await fc.check(property({ ackBeforeSync: true }), { numRuns: 200 });
    expect(details.failed).toBe(true);
    // The report reads as a plan: seed, config, then numbered steps (e.g. "0: append 2x2 ... 2: crash").
    expect(fc.defaultReportMessage(details)).toMatch(/Counterexample: \[sim seed \d+; segmentBytesMax \d+.*\n {2}0: /);
    // Caught as lost acknowledged data (a), as a hole that reads hit (c) once a later segment was
    // made durable over an unsynced earlier one, or as a read that starts past acknowledged offsets
    // (b: "batch at 2 where offset 0 was expected", seen in a fresh-clone CI run).
    expect(String(details.errorInstance)).toMatch(/\(a\)|\(b\)|\(c\)|corruption/);
  });

  it('fails when stop() skips the final flush', async () => {
    const details = await fc.check(property({ stopSkipsFlush: true }), { numRuns: 300 });
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/\(a\)|\(d\)/);
  });
});
