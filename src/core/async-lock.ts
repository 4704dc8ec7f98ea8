/**
 * A FIFO async lock: run(fn) starts fn once every earlier holder has settled, and settles with fn's
 * result. A holder that rejects passes its rejection to its own caller only; the lock moves on to
 * the next holder. The one serializer of src/core (the partition log's writer, the topic table, the
 * producer-id allocator).
 */
export class AsyncLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
