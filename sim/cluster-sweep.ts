/**
 * What the `cluster` scenario's tests in `npm test` share (cluster-scenario.test.ts: the 3-node
 * sweep; cluster-planted.test.ts: the 5-node sweep and the planted bugs; two files so that vitest's
 * two workers share the cost): a sweep that knows the open corpus cases, and the first seed that
 * catches a planted bug.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Simulation, SimulationOptions } from '../src/io-sim/index.ts';
import type { FindingKind } from './checkers/kafka-history.ts';
import type { ReplicaFindingKind } from './checkers/replica-consistency.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { firstFailingSeed, loadCase, runOne } from './runner.ts';
import { findScenario } from './scenarios/index.ts';

const cluster = findScenario('cluster')!;

/**
 * Seeds with a known, not yet fixed bug, each saved under sim/corpus-open/ with what is known of it
 * (`npm run sim -- --replay sim/corpus-open/FILE` shows it). A sweep that meets one says so and
 * fails on any other.
 */
const openDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus-open');
const knownOpen = new Set(
  readdirSync(openDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => loadCase(path.join(openDir, f)))
    .filter((c) => c.scenario === 'cluster')
    .map((c) => `${c.seed}/${c.nodes}`),
);

/**
 * First seed (of `seedsMax` from `firstSeed`) whose run with `plantedBugs` fails with a finding of one of `kinds` (of
 * the Kafka history checker or the replica checks), or with the divergence assertion (a follower
 * told to truncate below the high watermark it knows: the leader lacks records the ISR acknowledged,
 * src/core/replication/divergence.ts).
 */
export function firstCaught(plantedBugs: SimulationOptions['plantedBugs'], kinds: readonly (FindingKind | ReplicaFindingKind)[], seedsMax: number, firstSeed = 1, buggify = true) {
  const caught = (f: string): boolean => kinds.some((kind) => f.startsWith(`${kind}: `)) || /below the follower's high watermark/.test(f);
  const runSeed = async (sim: Simulation) => {
    const result = await cluster.run(sim, { nodes: 3 });
    return { failures: [...result.failures, ...sim.failed].filter(caught) };
  };
  return firstFailingSeed(runSeed, seedsMax, buggify ? { plantedBugs } : { plantedBugs, buggify: false }, firstSeed);
}

/**
 * Runs `count` seeds of `nodes` nodes from `from`; the failing ones (open corpus cases excepted), acks
 * and crashes, and the coverage gate's failures (the scenario's targets for `nodes` never reached;
 * checked only when `count` is at least the goal's seedsMin, as a CLI sweep does).
 */
export async function sweep(nodes: number, from: number, count: number): Promise<{ failing: string[]; acked: number; crashes: number; coverageFailures: string[] }> {
  const failing: string[] = [];
  const coverage = new CoverageTally();
  let acked = 0;
  let crashes = 0;
  for (let seed = from; seed < from + count; seed++) {
    const outcome = await runOne({ scenario: 'cluster', seed, nodes });
    coverage.add(outcome.coverage);
    if (!outcome.ok && knownOpen.has(`${seed}/${nodes}`)) console.log(`cluster seed ${seed} --nodes ${nodes}: known open bug (sim/corpus-open): ${outcome.failures[0]}`);
    else if (!outcome.ok) failing.push(`seed ${seed} (--nodes ${nodes}): ${outcome.failures[0]}`);
    acked += Number(outcome.summary['acked']);
    crashes += Number(outcome.summary['crashes']);
  }
  const goal = cluster.coverageGoal(nodes);
  const gated = count >= goal.seedsMin;
  const coverageFailures = gated ? coverageGateFailures(coverage, goal.targets, `cluster --nodes ${nodes} seeds ${from}..${from + count - 1}`) : [];
  return { failing, acked, crashes, coverageFailures };
}

