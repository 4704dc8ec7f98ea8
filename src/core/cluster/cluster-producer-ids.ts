/**
 * Producer ids on a cluster broker: taken from blocks the controller gives this broker through the
 * metadata log (a ProducerIds record each, see metadata/controller.ts), so no two brokers ever hand
 * out the same id, and a restarted broker never reuses one (it simply asks for a new block; what was
 * left of the old one is skipped).
 *
 * One block in use, at most one more held in reserve, at most one request to the controller in
 * flight. Once clusterProducerIdPrefetchUsed ids of the block in use are gone, the next block is
 * asked for, so InitProducerId seldom waits. When no id is left, `take` waits for a block up to
 * clusterProducerIdWaitMsMax and then gives up (the broker answers COORDINATOR_LOAD_IN_PROGRESS,
 * which kafkajs and librdkafka retry).
 */
import { assert } from '../assert.ts';
import { sleep, type Clock, type Log } from '../io/index.ts';
import { clusterProducerIdPrefetchUsed, clusterProducerIdWaitMsMax } from '../limits.ts';
import type { ProducerIdsResult } from '../metadata/controller.ts';
import { ErrorCode } from '../protocol/error-codes.ts';

interface Block {
  next: bigint;
  readonly first: bigint;
  readonly end: bigint;
}

/** Pause before asking the controller again after a refused or failed request, while someone waits. */
const retryMs = 50;

export class ClusterProducerIds {
  private current: Block | null = null;
  private reserve: Block | null = null;
  private inFlight: Promise<boolean> | null = null;
  blocksReceived = 0;

  /** `request` asks the controller for a block; null when it cannot be asked now (not registered yet). */
  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly request: () => Promise<ProducerIdsResult | null>,
    private readonly waitMsMax: number = clusterProducerIdWaitMsMax,
  ) {}

  /** The next id, waiting (bounded) for a block when none is left; null when none came in time. */
  async take(): Promise<bigint | null> {
    const deadlineMs = this.clock.nowMs() + this.waitMsMax;
    for (;;) {
      const id = this.tryTake();
      if (id !== null) return id;
      const leftMs = deadlineMs - this.clock.nowMs();
      if (leftMs <= 0) return null;
      const got = await this.within(this.fetch(), leftMs);
      if (got !== true && this.clock.nowMs() < deadlineMs) await this.within(sleep(this.clock, retryMs), deadlineMs - this.clock.nowMs());
    }
  }

  /** Asks for a block now unless one is held in reserve or asked for (after registration). */
  prefetch(): void {
    if (this.reserve === null) void this.fetch();
  }

  private tryTake(): bigint | null {
    if (this.current === null || this.current.next >= this.current.end) {
      this.current = this.reserve;
      this.reserve = null;
    }
    const block = this.current;
    if (block === null || block.next >= block.end) return null;
    const id = block.next;
    block.next += 1n;
    if (block.next - block.first >= BigInt(clusterProducerIdPrefetchUsed)) this.prefetch();
    return id;
  }

  /** The one request in flight (started if none): resolves true when it brought a block. */
  private fetch(): Promise<boolean> {
    this.inFlight ??= this.request()
      .then((result) => this.received(result), () => false)
      .finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private received(result: ProducerIdsResult | null): boolean {
    if (result === null || result.errorCode !== ErrorCode.NONE) {
      this.log.debug('ProducerIdBlockRefused', { errorCode: result?.errorCode ?? -1 });
      return false;
    }
    assert(Number.isSafeInteger(result.firstProducerId) && result.firstProducerId >= 0 && result.size > 0, 'a producer id block');
    const first = BigInt(result.firstProducerId);
    const block: Block = { first, next: first, end: first + BigInt(result.size) };
    if (this.current === null || this.current.next >= this.current.end) this.current = block;
    else {
      assert(this.reserve === null, 'a block is asked for only while none is in reserve');
      this.reserve = block;
    }
    this.blocksReceived++;
    this.log.info('ProducerIdBlockReceived', { firstProducerId: result.firstProducerId, size: result.size });
    return true;
  }

  /** `promise`'s value, or undefined once `ms` have passed. */
  private within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(ms, () => resolve(undefined));
      void promise.then((value) => {
        timer.cancel();
        resolve(value);
      });
    });
  }
}
