import { afterEach, describe, expect, it, vi } from 'vitest';
import { buggify, crashWindow, reached } from '../src/core/io/index.ts';
import { Simulation } from '../src/io-sim/index.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { simExitCode } from './exit-code.ts';
import { sweepSeeds, type SweepRequest } from './sweep.ts';

/** A sweep's stdout lines and result. */
async function quietSweep(request: SweepRequest) {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const result = await sweepSeeds(request);
  return { result, lines };
}

describe('coverage marks and the gate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('tallies runs reaching each state and total hits, and names the targets never reached', () => {
    const tally = new CoverageTally();
    tally.add({ 'a.state': 2, 'buggify.x': 1 });
    tally.add({ 'a.state': 3 });
    tally.add({});
    expect(tally.runsReaching('a.state')).toBe(2);
    expect(tally.totalHits('a.state')).toBe(5);
    expect(tally.unreached(['a.state', 'b.state'])).toEqual(['b.state']);
    const table = tally.table(['a.state', 'b.state']);
    expect(table[0]).toMatch(/^state +\| runs reaching it \| total hits$/);
    expect(table.slice(2)).toEqual([
      'a.state   |                2 |          5  (target)',
      'b.state   |                0 |          0  <- target NEVER REACHED',
      'buggify.x |                1 |          1',
    ]);
    expect(coverageGateFailures(tally, ['a.state', 'b.state'], 'test')).toEqual(["coverage gate: test: target state 'b.state' was never reached in 3 runs"]);
  });

  it('counts a crash inside an open crash window, and not one after the window closed', async () => {
    const sim = new Simulation({ seed: 1 });
    const node = sim.addNode('n1', (io) => {
      reached(io, 'test.booted');
      const leave = crashWindow(io, 'test.crash-inside');
      crashWindow(io, 'test.crash-after-close')();
      io.clock.setTimer(50, leave);
    });
    await sim.run({ untilMs: 10 });
    node.crash();
    node.start();
    await sim.run({ untilMs: 100 });
    node.crash();
    expect(sim.coverage.counts()).toEqual({ 'test.booted': 2, 'test.crash-inside': 1 });
  });

  it('BUGGIFY: never fires without the simulator, before a scenario enables it, or when the run forbids it; once enabled each point is on in some runs only, and counted when it fires', () => {
    expect(buggify({}, 'test.point', 1)).toBe(false);
    const off = new Simulation({ seed: 1, buggify: false });
    off.buggify.enable();
    expect(off.buggify.fires('test.point', 1)).toBe(false);
    let enabledRuns = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const sim = new Simulation({ seed });
      expect(sim.buggify.fires('test.point', 1)).toBe(false);
      sim.buggify.enable();
      const fired = buggify({ coverage: sim.coverage.forIncarnation(), buggify: sim.buggify }, 'test.point', 1);
      if (fired) enabledRuns++;
      expect(sim.coverage.counts()).toEqual(fired ? { 'buggify.test.point': 1 } : {});
      // A point that fires with probability 1 when enabled: every later question in the run agrees.
      expect(sim.buggify.fires('test.point', 1)).toBe(fired);
    }
    // Enabled in about a quarter of the runs (10 of 40 expected).
    expect(enabledRuns).toBeGreaterThan(3);
    expect(enabledRuns).toBeLessThan(20);
  });

  it('fails a sweep of the npm-test size or more when a target is never reached, naming it', async () => {
    // A target no code marks, on two kernel seeds with the gate forced on.
    const { result, lines } = await quietSweep({ scenario: 'kernel', range: { first: 1000, last: 1001 }, save: false, coverageGate: true, coverageTargets: ['kernel.journal-disk-full', 'nobody.marks.this'] });
    expect(result.exitCode).toBe(simExitCode.fail);
    expect(result.coverageFailures).toEqual(["coverage gate: kernel seeds 1000..1001: target state 'nobody.marks.this' was never reached in 2 runs"]);
    expect(lines.find((l) => l.startsWith('nobody.marks.this '))).toMatch(/^nobody\.marks\.this +\| +0 \| +0  <- target NEVER REACHED$/);
    expect(lines.at(-1)).toBe('2 passed, 0 failed, coverage gate failed (1 target never reached)');
  });

  it("fails a sweep too small to reach the scenario's own targets when the gate is on, and only reports when it is off", async () => {
    // One log-crash seed reaches a few of the scenario's targets, not all (500 seeds reach all).
    const gated = await quietSweep({ scenario: 'log-crash', range: { first: 1, last: 1 }, save: false, coverageGate: true });
    expect(gated.result.exitCode).toBe(simExitCode.fail);
    expect(gated.result.coverageFailures.length).toBeGreaterThan(0);
    expect(gated.result.coverageFailures[0]).toMatch(/^coverage gate: log-crash seeds 1\.\.1: target state '[a-z.-]+' was never reached in 1 runs$/);
    vi.restoreAllMocks();
    const auto = await quietSweep({ scenario: 'log-crash', range: { first: 1, last: 1 }, save: false });
    expect(auto.result.exitCode).toBe(simExitCode.pass);
    expect(auto.lines).toContain('coverage gate off: 1 seeds, fewer than the 500 it needs (or --no-coverage-gate)');
  });
});
