import { describe, expect, it } from 'vitest';
import type { LogFields } from '../../src/core/io/log.ts';
import { TimelineRecorder } from './recorder.ts';
import type { TimelineHeader } from './model.ts';

const header: TimelineHeader = { scenario: 'kernel', seed: 1, nodes: 2, traceHash: '0'.repeat(16), verdict: 'FAIL', virtualMs: 100, events: 10, command: 'x' };
const nodes = [
  { name: 'n1', isClient: false },
  { name: 'n2', isClient: false },
  { name: 'c1', isClient: true },
];

function line(r: TimelineRecorder, timeMs: number, node: string | null, event: string, fields?: LogFields, level = 'info'): void {
  r.traced({ timeMs, node, level, event, fields });
}

describe('TimelineRecorder', () => {
  it('turns fault lines into bands (a fault to its end) and marks (one-off faults)', () => {
    const r = new TimelineRecorder();
    line(r, 1, 'n1', 'NodeStarted', { incarnation: 1 });
    line(r, 10, 'n1', 'FaultCrash', { opsLost: 2, filesTorn: 1 });
    line(r, 20, 'n1', 'FaultRestart', { incarnation: 2 });
    line(r, 30, 'n2', 'FaultStopStarted');
    line(r, 35, 'n2', 'FaultStopEnded', { stopped: 1 });
    line(r, 40, null, 'FaultPartition', { from: 'n1', to: 'n2', oneWay: 1 });
    line(r, 50, null, 'FaultHeal', { links: 1 });
    line(r, 55, null, 'FaultSlowLink', { a: 'n1', b: 'n2', factor: 20 });
    line(r, 60, 'n1', 'FaultDiskLatency', { opMsMin: 0, opMsMax: 0.2, syncMsMin: 0.5, syncMsMax: 30 });
    line(r, 65, 'n1', 'FaultDiskLatency', { opMsMin: 0, opMsMax: 0.2, syncMsMin: 0.5, syncMsMax: 3 });
    line(r, 70, null, 'FaultConnReset', { conn: 'c1-n1:9092#3', from: 'c1', to: 'n1' });
    line(r, 75, 'n1', 'FaultSyncFailure', { pending: 1 });
    line(r, 76, 'n1', 'DiskSyncFailed', { ops: 3 });
    line(r, 80, 'n2', 'SomethingOdd', { why: 'x' }, 'warn');
    const data = r.finish(header, nodes, [], undefined);
    const bands = data.bands.map((b) => [b.kind, b.lane, b.startMs, b.endMs, b.open]);
    expect(bands).toEqual([
      ['down', 'n1', 10, 20, false],
      ['stopping', 'n2', 30, 35, false],
      ['down', 'n2', 35, 100, true], // never restarted: down to the end of the run
      ['partition', 'n1', 40, 50, false],
      ['slow-link', 'n1', 55, 100, true],
      ['disk-slow', 'n1', 60, 65, false],
    ]);
    expect(data.marks.map((m) => [m.kind, m.lane, m.atMs])).toEqual([
      ['conn-reset', 'c1', 70],
      ['conn-reset', 'n1', 70],
      ['sync-failure', 'n1', 75],
      ['sync-failed', 'n1', 76],
      ['warn', 'n2', 80],
    ]);
    expect(data.faultCounts).toEqual({ FaultCrash: 1, FaultRestart: 1, FaultStopStarted: 1, FaultStopEnded: 1, FaultPartition: 1, FaultHeal: 1, FaultSlowLink: 1, FaultDiskLatency: 2, FaultConnReset: 1, FaultSyncFailure: 1 });
    expect(data.lanes.map((l) => [l.name, l.client])).toEqual([['n1', false], ['n2', false], ['c1', true]]);
  });

  it("marks the figure-8 nemesis's steps on the lane of the node they act on", () => {
    const r = new TimelineRecorder();
    line(r, 10, 'n1', 'FaultFigure8', { step: 1, action: 'cut-leader', term: 3, minority: 'n1', entries: 300 });
    line(r, 20, null, 'FaultFigure8', { step: 5, action: 'heal-all' });
    const data = r.finish(header, nodes, [], undefined);
    expect(data.marks.map((m) => [m.lane, m.atMs, m.label])).toEqual([
      ['n1', 10, 'figure-8 nemesis, step 1: cut-leader'],
      [null, 20, 'figure-8 nemesis, step 5: heal-all'],
    ]);
    expect(data.faultCounts).toEqual({ FaultFigure8: 2 });
  });

  it('a crash in the middle of a graceful stop ends the stop there (its stop() never settles)', () => {
    const r = new TimelineRecorder();
    line(r, 10, 'n1', 'FaultStopStarted');
    line(r, 12, 'n1', 'FaultCrash', { opsLost: 0, filesTorn: 0 });
    line(r, 30, 'n1', 'FaultRestart', { incarnation: 2 });
    expect(r.finish(header, nodes, [], undefined).bands.map((b) => [b.kind, b.startMs, b.endMs])).toEqual([
      ['stopping', 10, 12],
      ['down', 12, 30],
    ]);
  });

  it('keeps a segment per role and epoch, ends it when its node stops reporting, and breaks the number lines there', () => {
    const r = new TimelineRecorder();
    const follower = { node: 'n1', track: 'events-0', role: 'follower', epoch: 1 };
    r.sampled(1, [{ ...follower, values: { leo: 0, hw: 0 } }]);
    r.sampled(2, [{ ...follower, values: { leo: 5, hw: 0 } }]);
    r.sampled(3, [{ ...follower, role: 'leader', values: { leo: 5, hw: 5 } }]);
    r.sampled(4, []); // crashed: nothing to look at
    r.sampled(6, [{ ...follower, epoch: 2, values: { leo: 5, hw: 5 } }]);
    const data = r.finish(header, nodes, ['lost-write: x', 'liveness: y'], { failureTimes: [{ atMs: 42, text: 'lost-write: x' }] });
    const track = data.lanes[0]!.tracks[0]!;
    expect(track.segments.map((s) => [s.role, s.epoch, s.startMs, s.endMs])).toEqual([
      ['follower', 1, 1, 3],
      ['leader', 1, 3, 4],
      ['follower', 2, 6, 100],
    ]);
    expect(track.series.find((s) => s.name === 'leo')!.points).toEqual([[1, 0], [2, 5], [4, null], [6, 5]]);
    expect(data.findings).toEqual([
      { atMs: 42, timeKnown: true, text: 'lost-write: x' },
      { atMs: 100, timeKnown: false, text: 'liveness: y' },
    ]);
  });
});
