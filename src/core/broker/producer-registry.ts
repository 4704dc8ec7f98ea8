/**
 * Producer ids and the rebuild of producer state.
 *
 * InitProducerId hands out ids from blocks reserved durably in the broker's metadata file
 * (producerIdBlockSize at a time), so an id is never handed out twice, even across crashes. Every
 * producer starts at epoch 0; transactional ids are not supported.
 *
 * On start, each partition's producer state is rebuilt by reading the batch headers of the log's
 * tail (the last producerStateRebuildOffsetsMax offsets): a producer silent for longer than that is
 * unknown again, which Kafka's rules accept at any sequence.
 */
import { assert } from '../assert.ts';
import type { Log } from '../io/index.ts';
import { producerIdBlockSize, producerStateRebuildOffsetsMax, producerStateRebuildReadBytes } from '../limits.ts';
import { isLogError, splitBatches } from '../log/index.ts';
import type { Clock } from '../io/index.ts';
import { errorText, kafkaCodeFor } from './errors.ts';
import type { Partition, TopicStore } from './topic-store.ts';

export type ProducerIdResult = { readonly producerId: bigint; readonly producerEpoch: number } | { readonly errorCode: number; readonly message: string };

export class ProducerRegistry {
  private nextId = 0n;
  private blockEnd = 0n;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly topics: TopicStore,
    private readonly clock: Clock,
    private readonly log: Log,
  ) {
    this.nextId = topics.producerIdsReservedEnd;
    this.blockEnd = this.nextId;
  }

  /** A fresh producer id at epoch 0 (ids are serialized: one reservation at a time). */
  allocate(): Promise<ProducerIdResult> {
    const result = this.tail.then(async (): Promise<ProducerIdResult> => {
      if (this.nextId >= this.blockEnd) {
        try {
          const first = await this.topics.reserveProducerIds(BigInt(producerIdBlockSize), this.nextId);
          this.nextId = first;
          this.blockEnd = first + BigInt(producerIdBlockSize);
        } catch (error) {
          this.log.error('ProducerIdReserveFailed', { error: errorText(error) });
          return { errorCode: kafkaCodeFor(error), message: errorText(error) };
        }
      }
      const producerId = this.nextId++;
      return { producerId, producerEpoch: 0 };
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Rebuilds every partition's producer state from its log tail. */
  async rebuild(): Promise<void> {
    let batches = 0;
    for (const topic of this.topics.all()) {
      for (const partition of topic.partitions) batches += await this.rebuildPartition(partition);
    }
    this.log.info('ProducerStateRebuilt', { batches });
  }

  private async rebuildPartition(partition: Partition): Promise<number> {
    const log = partition.log;
    if (log === null) return 0;
    const tailStart = log.logEndOffset - BigInt(producerStateRebuildOffsetsMax);
    let offset = tailStart > log.logStartOffset ? tailStart : log.logStartOffset;
    let count = 0;
    while (offset < log.logEndOffset) {
      let bytes: Uint8Array;
      try {
        bytes = await log.read(offset, producerStateRebuildReadBytes);
      } catch (error) {
        if (!isLogError(error)) throw error;
        this.log.warn('ProducerStateRebuildStopped', { topic: partition.topic.name, partition: partition.index, offset, error: error.message });
        return count;
      }
      if (bytes.length === 0) break;
      const split = splitBatches(bytes, bytes.length);
      assert(split.ok, 'the log returns whole, valid batches');
      for (const span of split.spans) {
        partition.producers.load(span.header, this.clock.nowMs());
        offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
        count++;
      }
    }
    return count;
  }
}
