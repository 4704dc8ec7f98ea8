import { describe, expect, it } from 'vitest';
import { AsyncLock } from './async-lock.ts';

/** A promise with its resolve and reject at hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('AsyncLock', () => {
  it('runs holders one at a time, in the order they asked', async () => {
    const lock = new AsyncLock();
    const events: string[] = [];
    const first = deferred();
    const a = lock.run(async () => {
      events.push('a start');
      await first.promise;
      events.push('a end');
      return 'a';
    });
    const b = lock.run(async () => {
      events.push('b');
      return 'b';
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(['a start']);
    first.resolve();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b']);
  });

  it("a holder's rejection reaches its caller only; the next holder still runs", async () => {
    const lock = new AsyncLock();
    const failing = lock.run(() => Promise.reject(new Error('disk')));
    const next = lock.run(() => Promise.resolve(7));
    await expect(failing).rejects.toThrow('disk');
    expect(await next).toBe(7);
  });

  it('a synchronous throw inside the holder is a rejection too', async () => {
    const lock = new AsyncLock();
    const thrown = lock.run((): Promise<number> => {
      throw new Error('boom');
    });
    await expect(thrown).rejects.toThrow('boom');
    expect(await lock.run(() => Promise.resolve(1))).toBe(1);
  });
});
