import { describe, expect, it } from 'vitest';
import { Simulation } from './index.ts';

/** A promise chain `depth` continuations long that calls `done` at its end. */
function chain(depth: number, done: () => void): void {
  let p: Promise<number> = Promise.resolve(0);
  for (let i = 0; i < depth; i++) p = p.then((n) => n + 1);
  void p.then(done);
}

describe('Simulation.run', () => {
  it('runs every continuation an event queued, however long its chain, before the next event fires', async () => {
    const sim = new Simulation({ seed: 1 });
    const order: string[] = [];
    for (let i = 0; i < 100; i++) {
      // Events at the same virtual time: nothing but run() keeps one's continuations before the next.
      sim.schedule(0, () => {
        order.push(`event ${i}`);
        chain(1 + ((i * 37) % 200), () => order.push(`chain ${i} done`));
      });
    }
    await sim.run();
    expect(sim.failed).toEqual([]);
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => [`event ${i}`, `chain ${i} done`]).flat());
  });

  it('turns a rejection nobody handles into a failure, in the middle of a run and after its last event', async () => {
    const middle = new Simulation({ seed: 1 });
    let fired = 0;
    for (let i = 0; i < 200; i++) {
      middle.schedule(i, () => {
        fired++;
        if (i === 10) void Promise.reject(new Error('nobody listens'));
      });
    }
    await middle.run();
    expect(middle.failed).toEqual(['unhandled rejection: Error: nobody listens']);
    expect(fired).toBeLessThan(200); // it stopped the run

    const last = new Simulation({ seed: 1 });
    last.schedule(5, () => void Promise.reject(new Error('left by the last event')));
    await last.run();
    await last.settled();
    expect(last.failed).toEqual(['unhandled rejection: Error: left by the last event']);
  });

  it('many simulations at once share one process listener, and a rejection still becomes a failure', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // simulations of earlier tests let theirs go
    const listenersBefore = process.listenerCount('unhandledRejection');
    const sims = Array.from({ length: 12 }, (_, i) => new Simulation({ seed: i + 1 }));
    sims[0]!.schedule(5, () => void Promise.reject(new Error('in one of twelve')));
    for (const sim of sims) sim.schedule(1, () => undefined);
    await Promise.all(sims.map((sim) => sim.run()));
    expect(process.listenerCount('unhandledRejection')).toBe(listenersBefore + 1);
    await Promise.all(sims.map((sim) => sim.settled()));
    expect(sims[0]!.failed).toContain('unhandled rejection: Error: in one of twelve');
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.listenerCount('unhandledRejection')).toBe(listenersBefore);
  });

  it('keeps one channel and one listener across many short runs, and lets both go once no run is going', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // simulations of earlier tests let theirs go
    const listenersBefore = process.listenerCount('unhandledRejection');
    const sim = new Simulation({ seed: 1 });
    for (let i = 0; i < 50; i++) {
      sim.schedule(1, () => undefined);
      await sim.run();
      expect(process.listenerCount('unhandledRejection')).toBe(listenersBefore + 1);
    }
    // A rejection left by the last event of a short run is still caught by the next macrotask.
    sim.schedule(1, () => void Promise.reject(new Error('after a short run')));
    await sim.run();
    await sim.settled();
    expect(sim.failed).toEqual(['unhandled rejection: Error: after a short run']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.listenerCount('unhandledRejection')).toBe(listenersBefore);
  });
});
