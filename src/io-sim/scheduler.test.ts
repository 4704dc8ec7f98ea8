import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Scheduler, worldOwner } from './scheduler.ts';

describe('Scheduler', () => {
  it('fires events by time, and events due at the same time in the order they were scheduled', () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.schedule(5, worldOwner, () => fired.push('b'), 'test');
    s.schedule(1, worldOwner, () => fired.push('a'), 'test');
    s.schedule(5, worldOwner, () => fired.push('c'), 'test');
    s.schedule(0, worldOwner, () => fired.push('first'), 'test');
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toEqual(['first', 'a', 'b', 'c']);
    expect(s.nowMs()).toBe(5);
  });

  it('skips cancelled events and events of dead owners', () => {
    const told: string[] = [];
    const s = new Scheduler((kind, timeMs, owner, bytes, seq) => told.push(`${kind}@${timeMs}/${owner}/${bytes}#${seq}`));
    const fired: string[] = [];
    let alive = true;
    const owner = { name: 'n1/1', alive: () => alive };
    s.schedule(1, owner, () => fired.push('dead'), 'test');
    const cancelled = s.schedule(2, worldOwner, () => fired.push('cancelled'), 'test');
    s.schedule(3, worldOwner, () => fired.push('kept'), 'disk.write', 42);
    s.schedule(0.5, owner, () => fired.push('early'), 'timer');
    cancelled.cancel();
    expect(s.popDue()).toBeDefined();
    alive = false;
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toEqual(['kept']);
    // The fire listener hears of exactly the events that fire, each once, as they fire.
    expect(told).toEqual(['timer@0.5/n1/1/0#3', 'disk.write@3/world/42#2']);
  });

  it("holds a paused owner's events until it resumes, then fires them in their order; others go on", () => {
    const s = new Scheduler();
    const fired: string[] = [];
    let pausedUntil = 0;
    const owner = { name: 'n1/1', alive: () => true, pausedUntilMs: () => pausedUntil };
    s.schedule(1, owner, () => fired.push(`timer@${s.nowMs()}`), 'timer');
    s.schedule(2, owner, () => fired.push(`disk@${s.nowMs()}`), 'disk.write');
    s.schedule(3, worldOwner, () => fired.push(`peer@${s.nowMs()}`), 'test');
    s.schedule(12, owner, () => fired.push(`late@${s.nowMs()}`), 'timer');
    pausedUntil = 10;
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toEqual(['peer@3', 'timer@10', 'disk@10', 'late@12']);
  });

  it('fires what a sorted list would, however many events are cancelled, and drops cancelled ones from the heap', () => {
    // The heap drops cancelled events in one pass once they are half of it: the events that fire,
    // and their order (time, then scheduling order), must be those of a plain sorted list.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('schedule' as const), delay: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const s = new Scheduler();
        const model: Array<{ time: number; seq: number; cancelled: boolean; fired: boolean }> = [];
        const handles: Array<ReturnType<Scheduler['schedule']>> = [];
        const fired: number[] = [];
        const expected: number[] = [];
        const popModel = () => {
          const live = model.filter((e) => !e.cancelled && !e.fired).sort((a, b) => a.time - b.time || a.seq - b.seq);
          const next = live[0];
          if (next !== undefined) {
            next.fired = true;
            expected.push(next.seq);
          }
        };
        for (const o of ops) {
          if (o.kind === 'schedule') {
            const seq = model.length;
            model.push({ time: s.nowMs() + o.delay, seq, cancelled: false, fired: false });
            handles.push(s.schedule(o.delay, worldOwner, () => fired.push(seq), 'test'));
          } else if (o.kind === 'cancel' && handles.length > 0) {
            const i = o.pick % handles.length;
            handles[i]!.cancel(); // also after it fired, and twice: both harmless
            if (!model[i]!.fired) model[i]!.cancelled = true;
          } else if (o.kind === 'pop') {
            s.popDue()?.();
            popModel();
          }
          if (o.kind === 'schedule') {
            // Checked as events are scheduled, which is when the heap is compacted.
            const live = model.filter((e) => !e.cancelled && !e.fired).length;
            expect(s.queuedCount()).toBeLessThanOrEqual(Math.max(2 * live, 64 + live));
          }
        }
        for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
        for (let n = model.filter((e) => !e.cancelled && !e.fired).length; n > 0; n--) popModel();
        expect(fired).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('does not keep timers cancelled long before they come due (a request timeout per request)', () => {
    const s = new Scheduler();
    let fired = 0;
    for (let i = 0; i < 1000; i++) {
      const timeout = s.schedule(30_000, worldOwner, () => fired++, 'timer');
      s.schedule(1, worldOwner, () => fired++, 'test');
      s.popDue()?.();
      timeout.cancel();
    }
    expect(s.queuedCount()).toBeLessThanOrEqual(2 * 64);
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toBe(1000);
  });

  it('refuses a negative delay (a programmer error)', () => {
    expect(() => new Scheduler().schedule(-1, worldOwner, () => {}, 'test')).toThrow(/event delay/);
  });
});
