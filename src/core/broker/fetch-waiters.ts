/**
 * Fetch long polling: a fetch that found fewer than min_bytes waits until enough bytes have been
 * appended to the partitions it asked for, a partition is deleted, the wait expires, or the broker
 * stops. Appends report their size (Partition.notifyAppended), so a waiter counts bytes without
 * re-reading the log; the handler reads once more when the wait ends. A follower's fetch (`follower`)
 * also wakes on every write to a partition's log, before it is synced (PartitionLog.writtenListeners).
 */
import type { Clock } from '../io/index.ts';
import { fetchWaitersMax } from '../limits.ts';
import type { Partition } from './topic-store.ts';

interface Waiter {
  finish(): void;
}

export class FetchWaiters {
  private readonly waiting = new Set<Waiter>();

  constructor(private readonly clock: Clock) {}

  get count(): number {
    return this.waiting.size;
  }

  get full(): boolean {
    return this.waiting.size >= fetchWaitersMax;
  }

  /**
   * Resolves when `bytesNeeded` more bytes were appended across `partitions`, one of them was
   * deleted, `timeoutMs` passed, or wakeAll() was called.
   */
  wait(partitions: readonly Partition[], bytesNeeded: number, timeoutMs: number, follower = false): Promise<void> {
    return new Promise((resolve) => {
      let seen = 0;
      const listener = (bytes: number): void => {
        seen += bytes;
        if (seen >= bytesNeeded || partitions.some((p) => p.topic.deleted)) waiter.finish();
      };
      const timer = this.clock.setTimer(timeoutMs, () => waiter.finish());
      const waiter: Waiter = {
        finish: () => {
          if (!this.waiting.delete(waiter)) return;
          timer.cancel();
          for (const p of partitions) {
            p.appendListeners.delete(listener);
            p.log?.writtenListeners.delete(listener);
          }
          resolve();
        },
      };
      this.waiting.add(waiter);
      for (const p of partitions) {
        p.appendListeners.add(listener);
        if (follower) p.log?.writtenListeners.add(listener);
      }
    });
  }

  /** Ends every wait now (graceful stop: each fetch is answered with what is there). */
  wakeAll(): void {
    for (const waiter of [...this.waiting]) waiter.finish();
  }
}
