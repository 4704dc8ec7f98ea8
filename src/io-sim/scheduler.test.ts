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

  it('refuses a negative delay (a programmer error)', () => {
    expect(() => new Scheduler().schedule(-1, worldOwner, () => {}, 'test')).toThrow(/event delay/);
  });
});
