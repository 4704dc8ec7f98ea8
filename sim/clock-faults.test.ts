import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/core/io/seeded-random.ts';
import { Simulation, wallClockOriginMs } from '../src/io-sim/index.ts';
import { drawClockFaults, planClockFaults, startClockFaults } from './clock-faults.ts';

const hosts = ['n1', 'n2', 'n3'];

describe('clock faults', () => {
  it('draws a drift per host and jumps of both signs, from seconds to hours, on every host', () => {
    const drawn = Array.from({ length: 200 }, (_, seed) => drawClockFaults(new SeededRandom(String(seed)), hosts, { faultsMs: 4000 }));
    const on = drawn.filter((d) => d.swarm.clockFaults);
    expect(on.length).toBeGreaterThan(100);
    expect(on.length).toBeLessThan(180);
    for (const d of on) expect(d.swarm.clockDrift.map((s) => s.split(':')[0])).toEqual(hosts);
    const jumps = on.flatMap((d) => d.plan.jumps);
    expect(new Set(jumps.map((j) => j.host))).toEqual(new Set(hosts));
    expect(jumps.some((j) => j.jumpMs <= -3_600_000) && jumps.some((j) => j.jumpMs >= 3_600_000)).toBe(true);
    expect(jumps.some((j) => Math.abs(j.jumpMs) <= 10_000)).toBe(true);
    expect(jumps.every((j) => !j.afterFaults && j.atMs >= 100 && j.atMs <= 4000)).toBe(true); // no liveness phase given
    expect(on[0]!.swarm.clockJumps[0]).toMatch(/^n\d:[+-]\d+ms@\d+$/);
    for (const d of drawn.filter((x) => !x.swarm.clockFaults)) expect(d.plan).toEqual({ driftPpm: new Map(), jumps: [] });
  });

  it('applies the drift at once and each jump to its host at its time, in its phase', async () => {
    const sim = new Simulation({ seed: 3 });
    for (const host of hosts) sim.addNode(host, () => undefined);
    const plan = {
      driftPpm: new Map([['n1', 100], ['n2', 0], ['n3', -200]]),
      jumps: [
        { host: 'n2', atMs: 1000, jumpMs: -5000, afterFaults: false },
        { host: 'n3', atMs: 500, jumpMs: 60_000, afterFaults: true },
      ],
    };
    const seen: string[] = [];
    planClockFaults(sim, plan, 'faults', (j) => seen.push(j.host));
    await sim.run({ untilMs: 2000 });
    expect(seen).toEqual(['n2']);
    expect(sim.node('n1').clock.wallClockMs()).toBe(wallClockOriginMs + 2000);
    expect(sim.node('n2').clock.wallClockMs()).toBe(wallClockOriginMs + 2000 - 5000);
    planClockFaults(sim, plan, 'liveness', (j) => seen.push(j.host));
    await sim.run({ untilMs: 3000 });
    expect(seen).toEqual(['n2', 'n3']);
    expect(sim.node('n3').clock.wallClockMs()).toBe(wallClockOriginMs + 3000 - 1 + 60_000); // 3 s at -200 ppm: 0.6 ms back, floored
  });

  it('startClockFaults draws from its own stream, traces the draw and schedules the fault-phase jumps', async () => {
    const run = async (seed: number) => {
      const sim = new Simulation({ seed });
      for (const host of hosts) sim.addNode(host, () => undefined);
      const swarm = startClockFaults(sim, hosts, 4000);
      await sim.run({ untilMs: 5000 });
      return { swarm, trace: sim.recentTrace().filter((l) => l.includes('ClockFaults') || l.includes('FaultClock')), hash: sim.traceHash() };
    };
    const runs: Awaited<ReturnType<typeof run>>[] = [];
    for (const seed of [1, 2, 3, 4]) runs.push(await run(seed)); // one simulation at a time
    const a = runs.find((r) => r.swarm.clockFaults)!;
    expect(a).toBeDefined();
    expect((await run(runs.indexOf(a) + 1)).hash).toBe(a.hash);
    expect(a.trace[0]).toContain('ClockFaults');
    const jumps = a.trace.filter((l) => l.includes('FaultClockJump')).length;
    expect(jumps).toBe(a.swarm.clockJumps.length);
    expect(a.trace.filter((l) => l.includes('FaultClockDrift')).length).toBe(a.swarm.clockDrift.filter((d) => !d.endsWith(':+0ppm')).length);
  });
});
