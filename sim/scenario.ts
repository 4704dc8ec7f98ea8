import type { Simulation } from '../src/io-sim/index.ts';

export interface ScenarioOptions {
  /** Number of broker/server nodes (each scenario has a default). */
  nodes: number;
}

export interface ScenarioResult {
  ok: boolean;
  /** What the checkers found; empty when ok. */
  failures: string[];
  /** Counters worth printing (messages acknowledged, crashes injected, ...). */
  summary: Record<string, number | string>;
}

/**
 * A simulation scenario: builds nodes in `sim`, drives a workload and faults, and checks what must
 * hold. Names follow `<subsystem>[-<fault>]`; everything random must come from `sim.random`.
 */
export interface Scenario {
  name: string;
  description: string;
  defaultNodes: number;
  run(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult>;
}
