import { describe, expect, it } from 'vitest';
import { faultScheduleError, shrinkSchedule, type FaultKinds, type PlannedFault } from './fault-schedule.ts';
import { runOne } from './runner.ts';
import { clusterFaultKinds } from './scenarios/cluster.ts';
import { failureKind, shrinkRun } from './shrink.ts';

const faults = (n: number): PlannedFault[] => Array.from({ length: n }, (_, i) => ({ kind: 'crash', atMs: 100 * i, node: i % 3, durationMs: 50 }));

describe('shrinkSchedule (delta debugging)', () => {
  it('finds the two faults a failure needs among twenty, keeping their order', async () => {
    const all = faults(20);
    const needed = [all[4]!, all[13]!];
    const result = await shrinkSchedule(all, async (c) => needed.every((f) => c.includes(f)), 1000);
    expect(result.schedule).toEqual(needed);
    expect(result.exhausted).toBe(false);
    // Far fewer runs than the 2^20 subsets, and more than one (it had to search).
    expect(result.runs).toBeGreaterThan(2);
    expect(result.runs).toBeLessThan(120);
  });

  it('returns the empty schedule when the failure needs no fault', async () => {
    const result = await shrinkSchedule(faults(8), async () => true, 1000);
    expect(result.schedule).toEqual([]);
    expect(result.runs).toBe(1);
  });

  it('keeps a schedule whose every fault is needed, and says when the budget ran out', async () => {
    const all = faults(6);
    const whole = await shrinkSchedule(all, async (c) => c.length === all.length, 1000);
    expect(whole.schedule).toEqual(all);
    expect(whole.exhausted).toBe(false);
    const cut = await shrinkSchedule(faults(40), async (c) => c.some((f) => f.atMs === 3900), 3);
    expect(cut.runs).toBe(3);
    expect(cut.exhausted).toBe(true);
    expect(cut.schedule.some((f) => f.atMs === 3900)).toBe(true);
  });
});

describe('faultScheduleError', () => {
  const kinds: FaultKinds = { crash: { node: 'node', durationMs: 'number' }, slow: { a: 'host', factor: 'number' }, cut: { oneWay: 'boolean' } };
  const targets = { nodes: 3, hosts: 5 };
  it('accepts a schedule of known kinds with their parameters', () => {
    expect(faultScheduleError([{ kind: 'crash', atMs: 10, node: 2, durationMs: 5 }, { kind: 'slow', atMs: 0, a: 4, factor: 2 }, { kind: 'cut', atMs: 1, oneWay: false }], kinds, targets)).toBeNull();
  });
  it.each([
    [{ not: 'an array' }, 'a fault schedule is a JSON array'],
    [[{ kind: 'melt', atMs: 1 }], 'fault 0: kind "melt" is not one of crash, slow, cut'],
    [[{ kind: 'crash', atMs: -1, node: 0, durationMs: 1 }], 'atMs must be a number of ms >= 0'],
    [[{ kind: 'crash', atMs: 1, durationMs: 1 }], 'missing node'],
    [[{ kind: 'crash', atMs: 1, node: 3, durationMs: 1 }], 'node 3 is not a node index 0..2'],
    [[{ kind: 'slow', atMs: 1, a: 5, factor: 2 }], 'a 5 is not a host index 0..4'],
    [[{ kind: 'cut', atMs: 1, oneWay: 'yes' }], 'oneWay must be a boolean'],
    [[{ kind: 'crash', atMs: 1, node: 0, durationMs: 1, extra: 1 }], 'unknown field extra'],
  ])('refuses %j', (schedule, message) => {
    expect(faultScheduleError(schedule, kinds, targets)).toContain(message);
  });
});

describe('failureKind', () => {
  it("is the checker's name, or the text with its numbers blanked", () => {
    expect(failureKind('lost-write: i1:51 acknowledged at events/3@23')).toBe('lost-write');
    expect(failureKind('liveness: 8000 ms after the faults stopped: n1: no topic')).toBe('liveness');
    expect(failureKind('4 clients still busy 8 s after being told to stop')).toBe('N clients still busy N s after being told to stop');
  });
});

describe('cluster fault schedules as data', () => {
  // A planted bug the checker catches at this seed (sim/cluster-planted.test.ts): acks=all answered
  // before the ISR has the batch, which loses an acknowledged write when the leader crashes.
  const request = { scenario: 'cluster', seed: 6, nodes: 3, plantedBugs: { replication: { acksAllBeforeIsr: true } } };

  it("replays a run's own schedule as that very run, and shrinks it to a few faults that still lose a write", async () => {
    const failed = await runOne(request);
    expect(failed.ok).toBe(false);
    expect(failureKind(failed.failures[0]!)).toBe('lost-write');
    const schedule = failed.faultSchedule!;
    expect(faultScheduleError(schedule, clusterFaultKinds, { nodes: 3, hosts: 10 })).toBeNull();
    const replayed = await runOne({ ...request, faults: schedule });
    expect(replayed.traceHash).toBe(failed.traceHash);

    // The whole shrink takes 16 faults down to 3 and a fault phase of 1.9 s in 21 runs (docs/simulator.md);
    // the suite spends 4 runs, enough to halve the schedule (the CLI test spends 4 more).
    const shrunk = await shrinkRun(request, failed, 4);
    expect(shrunk.exhausted).toBe(true);
    expect(shrunk.schedule.length).toBeLessThanOrEqual(schedule.length / 2);
    expect(shrunk.outcome.failures.some((f) => failureKind(f) === 'lost-write')).toBe(true);
    // What it printed replays: the same faults and phase give the same run.
    const again = await runOne({ ...request, faults: shrunk.schedule, ...(shrunk.faultPhaseMs === undefined ? {} : { faultPhaseMs: shrunk.faultPhaseMs }) });
    expect(again.traceHash).toBe(shrunk.outcome.traceHash);
    // Without the bug, the shrunk schedule passes: it is the bug that fails, not the schedule.
    const fixed = await runOne({ scenario: 'cluster', seed: 6, nodes: 3, faults: shrunk.schedule, ...(shrunk.faultPhaseMs === undefined ? {} : { faultPhaseMs: shrunk.faultPhaseMs }) });
    expect(fixed.failures).toEqual([]);
  }, 300_000);

  it('refuses a schedule that does not fit the run, as a usage error rather than a failed run', async () => {
    await expect(runOne({ scenario: 'cluster', seed: 1, nodes: 3, faults: [{ kind: 'crash', atMs: 10, node: 3, durationMs: 5 }] })).rejects.toThrow('node 3 is not a node index 0..2');
    await expect(runOne({ scenario: 'cluster', seed: 1, nodes: 3, faults: [{ kind: 'crash', atMs: 3000, node: 0, durationMs: 5 }], faultPhaseMs: 2000 })).rejects.toThrow('a crash at 3000 ms is not within the fault phase of 2000 ms');
    await expect(runOne({ scenario: 'kernel', seed: 1, faults: [] })).rejects.toThrow('scenario kernel does not take a fault schedule');
  });
});

describe('raft fault schedules as data', () => {
  it("replays a run's own schedule as that very run; with no random faults it still runs its reactive ones", async () => {
    const drawn = await runOne({ scenario: 'raft', seed: 4 });
    expect(drawn.faultSchedule!.length).toBeGreaterThan(0);
    expect((await runOne({ scenario: 'raft', seed: 4, faults: drawn.faultSchedule! })).traceHash).toBe(drawn.traceHash);
    const none = await runOne({ scenario: 'raft', seed: 4, faults: [] });
    expect(none.ok).toBe(true);
    expect(none.summary['partitions']).toBe(0);
    expect(none.faultSchedule).toEqual([]);
    await expect(runOne({ scenario: 'raft', seed: 4, faults: [{ kind: 'partition', atMs: 100, a: 0, b: 3, oneWay: false }] })).rejects.toThrow('b 3 is not a node index 0..2');
  }, 120_000);
});

describe('single-node fault schedules as data', () => {
  it("replays a run's own schedule as that very run; a hand-made one runs just its faults", async () => {
    const drawn = await runOne({ scenario: 'single-node', seed: 3 });
    expect(drawn.faultSchedule!.length).toBeGreaterThan(0);
    expect((await runOne({ scenario: 'single-node', seed: 3, faults: drawn.faultSchedule! })).traceHash).toBe(drawn.traceHash);
    const one = await runOne({ scenario: 'single-node', seed: 3, faults: [{ kind: 'crash', atMs: 1000, downMs: 50 }] });
    expect(one.ok).toBe(true);
    expect(one.summary['crashes']).toBe(1);
    expect(one.faultSchedule).toEqual([{ kind: 'crash', atMs: 1000, downMs: 50 }]);
  }, 120_000);
});
