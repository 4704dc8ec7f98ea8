import { describe, expect, it } from 'vitest';
import { Scheduler, worldOwner } from './scheduler.ts';

describe('Scheduler', () => {
  it('fires events by time, and events due at the same time in the order they were scheduled', () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.schedule(5, worldOwner, () => fired.push('b'));
    s.schedule(1, worldOwner, () => fired.push('a'));
    s.schedule(5, worldOwner, () => fired.push('c'));
    s.schedule(0, worldOwner, () => fired.push('first'));
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toEqual(['first', 'a', 'b', 'c']);
    expect(s.nowMs()).toBe(5);
  });

  it('skips cancelled events and events of dead owners', () => {
    const s = new Scheduler();
    const fired: string[] = [];
    let alive = true;
    const owner = { alive: () => alive };
    s.schedule(1, owner, () => fired.push('dead'));
    const cancelled = s.schedule(2, worldOwner, () => fired.push('cancelled'));
    s.schedule(3, worldOwner, () => fired.push('kept'));
    cancelled.cancel();
    alive = false;
    for (let fn = s.popDue(); fn !== undefined; fn = s.popDue()) fn();
    expect(fired).toEqual(['kept']);
  });

  it('refuses a negative delay (a programmer error)', () => {
    expect(() => new Scheduler().schedule(-1, worldOwner, () => {})).toThrow(/event delay/);
  });
});
