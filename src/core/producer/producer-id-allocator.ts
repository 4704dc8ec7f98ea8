/**
 * Producer ids for InitProducerId, never handed out twice, even across restarts.
 *
 * Ids are reserved in blocks: before the first id of a block is handed out, the end of the block
 * (exclusive) is persisted as the high-water mark. After a restart, allocation resumes at the
 * persisted mark, so ids reserved but not handed out before the crash are skipped, never reused.
 *
 * ProducerIdAllocator is the pure part (no I/O); ProducerIdManager drives it over a ProducerIdStore
 * and answers InitProducerId.
 */
import { assert } from '../assert.ts';
import { AsyncLock } from '../async-lock.ts';
import { producerIdBlockSize } from '../limits.ts';
import { ProducerErrorCode } from './error-codes.ts';
import type { ProducerIdStore } from './producer-id-store.ts';

export class ProducerIdAllocator {
  private nextId: bigint;
  private reservedEnd: bigint;

  /** `highWater`: the mark loaded from the store (0 for a fresh broker). */
  constructor(
    highWater: bigint,
    private readonly blockSize: bigint = BigInt(producerIdBlockSize),
  ) {
    assert(highWater >= 0n && blockSize > 0n, 'producer id high-water and block size');
    this.nextId = highWater;
    this.reservedEnd = highWater;
  }

  /** The next id, or null when the current block is used up (reserve another first). */
  tryAllocate(): bigint | null {
    if (this.nextId >= this.reservedEnd) return null;
    const id = this.nextId;
    this.nextId += 1n;
    return id;
  }

  /** The high-water mark to persist before ids of the next block may be handed out. */
  nextBlockEnd(): bigint {
    return this.reservedEnd + this.blockSize;
  }

  /** The store made `end` durable: ids below it may now be handed out. */
  blockPersisted(end: bigint): void {
    assert(end > this.reservedEnd, 'a persisted block extends the reservation');
    this.reservedEnd = end;
  }
}

export interface InitProducerIdRequest {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** v3+: -1 when the producer has none. Ignored for non-transactional producers (as Kafka does). */
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface InitProducerIdResponse {
  readonly errorCode: ProducerErrorCode;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/**
 * Answers InitProducerId for idempotent (non-transactional) producers: every call gets a fresh id
 * with epoch 0, as Kafka's broker does when transactionalId is null. Transactions are not supported:
 * a transactional id is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED, which clients treat as fatal. Calls are served in order; one block reservation
 * is written at a time. A failed write answers COORDINATOR_NOT_AVAILABLE (the client retries); the
 * store then refuses further writes until the manager is opened again.
 */
export class ProducerIdManager {
  private constructor(
    private readonly store: ProducerIdStore,
    private readonly allocator: ProducerIdAllocator,
  ) {}

  private readonly lock = new AsyncLock();

  static async open(store: ProducerIdStore, blockSize?: bigint): Promise<ProducerIdManager> {
    const highWater = await store.load();
    return new ProducerIdManager(store, new ProducerIdAllocator(highWater, blockSize));
  }

  initProducerId(req: InitProducerIdRequest): Promise<InitProducerIdResponse> {
    if (req.transactionalId !== null) {
      return Promise.resolve({ errorCode: ProducerErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 });
    }
    return this.lock.run(() => this.allocate());
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private async allocate(): Promise<InitProducerIdResponse> {
    let id = this.allocator.tryAllocate();
    if (id === null) {
      const end = this.allocator.nextBlockEnd();
      try {
        await this.store.persistHighWater(end);
      } catch {
        return { errorCode: ProducerErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
      }
      this.allocator.blockPersisted(end);
      id = this.allocator.tryAllocate();
      assert(id !== null, 'a fresh block has ids');
    }
    return { errorCode: ProducerErrorCode.NONE, producerId: id, producerEpoch: 0 };
  }
}
