import type { Random } from '../src/core/io/random.ts';
import type { Simulation } from '../src/io-sim/index.ts';

/**
 * Swarm testing (Groce et al., "Swarm Testing", ISSTA 2012; FoundationDB's and TigerBeetle's VOPR
 * simulators do the same): instead of running every seed with every fault kind at one fixed rate,
 * each seed first draws its own configuration: which fault kinds are on at all, how often faults
 * come, the timeouts the scenario sets and the shape of its workload. A seed with crashes off and
 * partitions on reaches states that a crash every few hundred milliseconds would interrupt; a seed
 * with a short session timeout and a long replica lag meets orderings a fixed configuration never
 * shows.
 *
 * Every scenario draws its configuration from its own fork of the run's random source named
 * `swarm`, so the draw reshuffles none of the streams the scenario drew from before; the
 * configuration is one object, traced (`SwarmConfig`), printed by `npm run sim` (`swarm` line) and
 * returned in the outcome (`swarm` in `--json`).
 */

/** What one seed drew: numbers, switches, and the list of fault kinds that are on. */
export type SwarmConfig = Readonly<Record<string, number | boolean | string | readonly string[]>>;

/** Each fault kind with the probability that a seed switches it on. */
export type KindOdds<K extends string> = Readonly<Record<K, number>>;

/**
 * The fault kinds a seed switches on, each independently with its own probability (a kind a planted
 * bug needs is on more often: variety, not weakening). Draws one number per kind, in the order given.
 */
export function drawKinds<K extends string>(random: Random, odds: KindOdds<K>): ReadonlySet<K> {
  const on = new Set<K>();
  for (const kind of Object.keys(odds) as K[]) {
    const p = odds[kind];
    if (!(p >= 0 && p <= 1)) throw new Error(`swarm: odds of ${kind} must be in [0, 1], got ${p}`);
    if (random.chance(p)) on.add(kind);
  }
  return on;
}

/** One line: `key=value` pairs in the config's order, lists joined by commas (`-` when empty). */
export function renderSwarm(config: SwarmConfig): string {
  return Object.entries(config)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? (value.length === 0 ? '-' : value.join(',')) : String(value)}`)
    .join(' ');
}

/** Uniform in [min, max], rounded to a multiple of `step` (timeouts read better in round numbers). */
export function betweenStep(random: Random, min: number, max: number, step: number): number {
  return min + step * random.int(Math.floor((max - min) / step) + 1);
}

/** A probability drawn uniformly from [min, max], kept to two decimals so it prints short. */
export function oddsBetween(random: Random, min: number, max: number): number {
  return Math.round((min + random.next() * (max - min)) * 100) / 100;
}

/** Records the config in the trace (hashed with the run) as `SwarmConfig`, and returns it. */
export function announceSwarm<C extends SwarmConfig>(sim: Pick<Simulation, 'trace'>, config: C): C {
  sim.trace(null, 'SwarmConfig', config);
  return config;
}
