import type { Random } from '../src/core/io/random.ts';
import type { Simulation } from '../src/io-sim/index.ts';
import { betweenStep } from './swarm.ts';

/**
 * Wall-clock faults for a scenario's hosts (src/io-sim/wall-clock.ts): a drift per host and jumps,
 * drawn from the seed's swarm stream and scheduled on the hosts' clocks. A scenario draws them
 * LAST in its swarm config, so every earlier draw of every seed stays what it was.
 *
 * - `clockFaults` (odds 0.7): the hosts' clocks drift and jump at all in this seed.
 * - Drift: -300..300 ppm per host (a quartz is off by tens to hundreds of ppm).
 * - Jumps: 1..3 during the fault phase at 100..faultsMs and, when the scenario has a liveness phase,
 *   with odds 0.5 one more in it (500 ms after it starts to 700 ms before it ends); each back or
 *   forward (even odds) by 1..10 s, 1..30 min or 1..5 h (even odds): NTP steps, a VM resumed, an
 *   operator setting the date.
 */

/** What a seed drew, for its swarm line: `clockDrift=n1:+120ppm`, `clockJumps=-3600000ms@1250,...`. */
export type ClockFaultsSwarm = {
  readonly clockFaults: boolean;
  /** Drift per host, `n1:+120ppm` (empty when clockFaults is off). */
  readonly clockDrift: readonly string[];
  /**
   * Jumps, `-3600000ms@1250` (by, at virtual ms; `@end+800`: 800 ms into the liveness phase), with
   * the host first (`n2:...`) when there is more than one.
   */
  readonly clockJumps: readonly string[];
};

export interface ClockJump {
  readonly host: string;
  /** Virtual ms from the start of its phase. */
  readonly atMs: number;
  /** Negative: backwards. */
  readonly jumpMs: number;
  /** In the liveness phase (scheduled when the scenario says the faults ended). */
  readonly afterFaults: boolean;
}

/** What to do to the clocks (nothing when the seed has clockFaults off). */
export interface ClockPlan {
  readonly driftPpm: ReadonlyMap<string, number>;
  readonly jumps: readonly ClockJump[];
}

function drawJumpMs(random: Random): number {
  const tier = random.int(3);
  const ms = tier === 0 ? random.between(1, 10) * 1000 : tier === 1 ? random.between(1, 30) * 60_000 : random.between(1, 5) * 3_600_000;
  return random.chance(0.5) ? -ms : ms;
}

/**
 * Draws the clock faults of `hosts` (one host: no draw picks the host of a jump). `livenessMs`:
 * the liveness phase's length, if the scenario has one that may hold a jump (at least 1200 ms).
 */
export function drawClockFaults(random: Random, hosts: readonly string[], phases: { faultsMs: number; livenessMs?: number }): { swarm: ClockFaultsSwarm; plan: ClockPlan } {
  const clockFaults = random.chance(0.7);
  const drift = new Map(hosts.map((host) => [host, betweenStep(random, -300, 300, 10)] as const));
  const pickHost = (): string => (hosts.length === 1 ? hosts[0]! : hosts[random.int(hosts.length)]!);
  const jumps: ClockJump[] = [];
  const inFaults = random.between(1, 3);
  for (let i = 0; i < inFaults; i++) jumps.push({ host: pickHost(), atMs: random.between(100, phases.faultsMs), jumpMs: drawJumpMs(random), afterFaults: false });
  if (phases.livenessMs !== undefined && random.chance(0.5)) {
    jumps.push({ host: pickHost(), atMs: random.between(500, phases.livenessMs - 700), jumpMs: drawJumpMs(random), afterFaults: true });
  }
  jumps.sort((a, b) => Number(a.afterFaults) - Number(b.afterFaults) || a.atMs - b.atMs);
  const hostPrefix = (host: string): string => (hosts.length === 1 ? '' : `${host}:`);
  const swarm: ClockFaultsSwarm = {
    clockFaults,
    clockDrift: clockFaults ? [...drift].map(([host, ppm]) => `${host}:${ppm >= 0 ? '+' : ''}${ppm}ppm`) : [],
    clockJumps: clockFaults ? jumps.map((j) => `${hostPrefix(j.host)}${j.jumpMs > 0 ? '+' : ''}${j.jumpMs}ms@${j.afterFaults ? 'end+' : ''}${j.atMs}`) : [],
  };
  return { swarm, plan: clockFaults ? { driftPpm: drift, jumps } : { driftPpm: new Map(), jumps: [] } };
}

/**
 * Applies a plan: for `faults` (call it when the run starts, after the hosts exist) sets every drift
 * and schedules the fault-phase jumps; for `liveness` (call it when the faults end) schedules the
 * liveness-phase jumps. `onJump` is told of each jump as it happens.
 */
export function planClockFaults(sim: Simulation, plan: ClockPlan, phase: 'faults' | 'liveness', onJump?: (jump: ClockJump) => void): void {
  if (phase === 'faults') {
    for (const [host, ppm] of plan.driftPpm) if (ppm !== 0) sim.node(host).clock.faults.setDriftPpm(ppm);
  }
  for (const jump of plan.jumps) {
    if (jump.afterFaults !== (phase === 'liveness')) continue;
    sim.schedule(jump.atMs, () => {
      onJump?.(jump);
      sim.node(jump.host).clock.faults.jump(jump.jumpMs);
    }, 'clock');
  }
}

/**
 * The one call for a scenario whose jumps all fall in its fault phase (the cluster scenario): draws
 * the clock faults of `hosts` from the run's own stream `clock-faults` (so no other stream's draws
 * move), traces what it drew (`ClockFaults`, in the trace hash), sets the drifts and schedules the
 * jumps. Call it once the hosts exist; merge what it returns into the result's `swarm` so the
 * summary prints it.
 */
export function startClockFaults(sim: Simulation, hosts: readonly string[], faultsMs: number, onJump?: (jump: ClockJump) => void): ClockFaultsSwarm {
  const { swarm, plan } = drawClockFaults(sim.random.fork('clock-faults'), hosts, { faultsMs });
  sim.trace(null, 'ClockFaults', { clockFaults: swarm.clockFaults, clockDrift: swarm.clockDrift.join(','), clockJumps: swarm.clockJumps.join(',') });
  planClockFaults(sim, plan, 'faults', onJump);
  return swarm;
}
