import type { Simulation } from '../src/io-sim/index.ts';
import type { KafkaHistory } from './checkers/kafka-history.ts';
import type { FaultKinds, FaultSchedule } from './fault-schedule.ts';
import type { SwarmConfig } from './swarm.ts';

export interface ScenarioOptions {
  /** Number of broker/server nodes (each scenario has a default). */
  nodes: number;
  /**
   * Run these faults instead of the ones the seed draws (scenarios with `faultKinds` only). The
   * seed still draws its own first, so a run's own schedule replays that run exactly.
   */
  faults?: FaultSchedule;
  /**
   * How long the fault phase lasts after the workload starts, instead of the scenario's own length
   * (scenarios with `faultKinds`): a shrunk failing run ends its faults sooner, so it is shorter.
   */
  faultPhaseMs?: number;
}

export interface ScenarioResult {
  ok: boolean;
  /** What the checkers found; empty when ok. */
  failures: string[];
  /** Counters worth printing (messages acknowledged, crashes injected, ...). */
  summary: Record<string, number | string>;
  /** What the seed drew before the run (sim/swarm.ts): fault kinds on, rates, timeouts, workload shape. */
  swarm?: SwarmConfig;
  /** The faults the run was given or drew, as data (scenarios with `faultKinds`). */
  faultSchedule?: FaultSchedule;
  /** For the timeline of the run (`sim --html`): the clients' history, and when failures were found where that is known. */
  timeline?: ScenarioTimeline;
}

/** A failure (its text as in `failures`) and the virtual time it was found at, or happened at. */
export interface TimedFailure {
  readonly atMs: number;
  readonly text: string;
}

export interface ScenarioTimeline {
  readonly history?: KafkaHistory;
  readonly failureTimes?: readonly TimedFailure[];
}

/**
 * The rare states a scenario's runs exist to reach (coverage marks, sim/coverage.ts), for one node
 * count. A sweep of at least `seedsMin` seeds fails when one of `targets` was never reached;
 * `seedsMin` is the size of the scenario's range in `npm test`, which reaches every target.
 */
export interface CoverageGoal {
  readonly targets: readonly string[];
  readonly seedsMin: number;
}

/**
 * A simulation scenario: builds nodes in `sim`, drives a workload and faults, and checks what must
 * hold. Names follow `<subsystem>[-<fault>]`; everything random must come from `sim.random`.
 */
export interface Scenario {
  name: string;
  description: string;
  defaultNodes: number;
  /** The node counts the scenario runs (`--nodes` outside them is a usage error, never adjusted). */
  nodesMin: number;
  nodesMax: number;
  /** What a sweep of this many nodes must reach (docs/simulator.md lists every target and why). */
  coverageGoal(nodes: number): CoverageGoal;
  /** The fault kinds of its schedules, when its faults are data (sim/fault-schedule.ts): they can be given, replayed and shrunk. */
  faultKinds?: FaultKinds;
  /** With `faultKinds`: how long its fault phase lasts unless ScenarioOptions.faultPhaseMs says otherwise. */
  faultPhaseMs?: number;
  run(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult>;
}

/** What `--nodes` a scenario accepts: "1" or "2..9". */
export function nodesAccepted(scenario: Pick<Scenario, 'nodesMin' | 'nodesMax'>): string {
  return scenario.nodesMin === scenario.nodesMax ? `${scenario.nodesMin}` : `${scenario.nodesMin}..${scenario.nodesMax}`;
}

/** Why `nodes` is not a count the scenario runs, or null when it is. */
export function nodesError(scenario: Scenario, nodes: number): string | null {
  if (Number.isInteger(nodes) && nodes >= scenario.nodesMin && nodes <= scenario.nodesMax) return null;
  const accepted = scenario.nodesMin === scenario.nodesMax ? `exactly ${scenario.nodesMin}` : `${scenario.nodesMin} to ${scenario.nodesMax}`;
  return `--nodes ${nodes}: scenario ${scenario.name} runs ${accepted} node${scenario.nodesMax === 1 ? '' : 's'}`;
}
