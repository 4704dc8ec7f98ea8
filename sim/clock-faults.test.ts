import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/core/io/seeded-random.ts';
import { Simulation, wallClockOriginMs } from '../src/io-sim/index.ts';
import { drawClockFaults, planClockFaults } from './clock-faults.ts';

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
});
