import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Io } from '../core/io/index.ts';
import { Simulation } from './index.ts';
import { SimWallClock, wallClockOriginMs } from './wall-clock.ts';

/** A node whose boot function hands each incarnation's Io to `ios`. */
function nodeWithIos(sim: Simulation): { node: ReturnType<Simulation['addNode']>; ios: Io[] } {
  const ios: Io[] = [];
  const node = sim.addNode('n1', (io) => {
    ios.push(io);
  });
  return { node, ios };
}

describe('SimWallClock', () => {
  it('drifts by ppm of virtual time, jumps both ways, and keeps its largest shown value', () => {
    let nowMs = 0;
    const faults: string[] = [];
    const clock = new SimWallClock(() => nowMs, (event, fields) => faults.push(`${event} ${JSON.stringify(fields)}`));
    expect(clock.wallClockMs()).toBe(wallClockOriginMs);
    clock.faults.setDriftPpm(200);
    nowMs = 10_000;
    expect(clock.wallClockMs()).toBe(wallClockOriginMs + 10_002); // 10 s at +200 ppm: 2 ms ahead
    clock.faults.setDriftPpm(-100);
    nowMs = 20_000;
    expect(clock.wallClockMs()).toBe(wallClockOriginMs + 20_001); // then 10 s at -100 ppm: 1 ms back
    clock.faults.jump(-3_600_000);
    expect(clock.wallClockMs()).toBe(wallClockOriginMs + 20_001 - 3_600_000);
    expect(clock.wallClockMaxMs()).toBe(wallClockOriginMs + 20_001);
    clock.faults.jump(7_200_000);
    expect(clock.wallClockMaxMs()).toBe(wallClockOriginMs + 20_001 + 3_600_000);
    expect(faults).toEqual([
      'FaultClockDrift {"ppm":200}',
      'FaultClockDrift {"ppm":-100}',
      `FaultClockJump {"jumpMs":-3600000,"wallClockMs":${wallClockOriginMs + 20_001 - 3_600_000}}`,
      `FaultClockJump {"jumpMs":7200000,"wallClockMs":${wallClockOriginMs + 20_001 + 3_600_000}}`,
    ]);
    expect(() => clock.faults.setDriftPpm(5000)).toThrow(/ppm/);
  });

  it('property: wall clock = origin + virtual time + jumps + drift, whatever the order of changes', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 100_000 }) }),
      fc.record({ kind: fc.constant('drift' as const), ppm: fc.integer({ min: -500, max: 500 }) }),
      fc.record({ kind: fc.constant('jump' as const), ms: fc.integer({ min: -10_000_000, max: 10_000_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let nowMs = 0;
        let expected = 0; // offset from origin + virtual time, computed independently
        let ppm = 0;
        let max = Number.NEGATIVE_INFINITY;
        const clock = new SimWallClock(() => nowMs, () => undefined);
        for (const s of steps) {
          if (s.kind === 'advance') {
            nowMs += s.ms;
            expected += (s.ms * ppm) / 1e6;
          } else if (s.kind === 'drift') {
            clock.faults.setDriftPpm(s.ppm);
            ppm = s.ppm;
          } else {
            max = Math.max(max, clock.wallClockMs());
            clock.faults.jump(s.ms);
            expected += s.ms;
          }
          expect(Math.abs(clock.wallClockMs() - (wallClockOriginMs + nowMs + expected))).toBeLessThanOrEqual(1);
          expect(clock.wallClockMaxMs()).toBe(Math.max(max, clock.wallClockMs()));
        }
      }),
    );
  });
});

describe('SimNode wall clock', () => {
  it('is what the node Io reads, survives a restart with its offset, and never moves nowMs', async () => {
    const sim = new Simulation({ seed: 1 });
    const { node, ios } = nodeWithIos(sim);
    const client = sim.addClient('c1');
    await sim.run({ untilMs: 1000 });
    expect(ios[0]!.clock.wallClockMs()).toBe(wallClockOriginMs + 1000);
    node.clock.faults.jump(-60_000);
    node.clock.faults.setDriftPpm(500);
    expect(ios[0]!.clock.nowMs()).toBe(1000);
    expect(ios[0]!.clock.wallClockMs()).toBe(wallClockOriginMs + 1000 - 60_000);
    expect(client.clock.wallClockMs()).toBe(wallClockOriginMs + 1000); // another host's clock is its own
    await sim.run({ untilMs: 3000 });
    node.restart();
    await sim.run({ untilMs: 5000 });
    expect(ios).toHaveLength(2);
    // 4 s at +500 ppm since the drift was set: 2 ms; the jump is kept across the restart.
    expect(ios[1]!.clock.wallClockMs()).toBe(wallClockOriginMs + 5000 - 60_000 + 2);
    expect(ios[1]!.clock.nowMs()).toBe(5000);
    expect(sim.recentTrace().filter((line) => line.includes('FaultClock'))).toHaveLength(2);
    expect(sim.coverage.counts()['sim.clock-jumped-backward']).toBe(1);
  });

  it('gives the same trace hash for the same seed and faults, and another for another jump', async () => {
    const hashOf = async (jumpMs: number): Promise<string> => {
      const sim = new Simulation({ seed: 7 });
      const { node, ios } = nodeWithIos(sim);
      await sim.run({ untilMs: 10 });
      node.clock.faults.jump(jumpMs);
      ios[0]!.log.info('Stamp', { wallClockMs: ios[0]!.clock.wallClockMs() });
      return sim.traceHash();
    };
    expect(await hashOf(-5000)).toBe(await hashOf(-5000));
    expect(await hashOf(-5000)).not.toBe(await hashOf(5000));
  });
});
