/**
 * Producer ids and the rebuild of producer state.
 *
 * InitProducerId is src/core/producer's ProducerIdManager over a FileProducerIdStore in
 * `<dataDir>/producers/`: ids come from blocks whose end is persisted before any id of the block is
 * handed out, so none is reused after a crash; every producer starts at epoch 0; a transactional
 * id is answered INVALID_REQUEST.
 *
 * On start, each partition's producer state is rebuilt by replaying the batch headers of the log's
 * tail (the last producerStateRebuildOffsetsMax offsets). After retention, producers whose batches
 * are all gone are forgotten (ProducerStateTable.truncateBelow).
 */
import { assert } from '../assert.ts';
import type { Io, Log } from '../io/index.ts';
import { producerStateRebuildOffsetsMax, producerStateRebuildReadAttemptsMax, producerStateRebuildReadBytes } from '../limits.ts';
import { isLogError, splitBatches } from '../log/index.ts';
import { FileProducerIdStore, ProducerIdManager } from '../producer/index.ts';
import type { Partition, TopicStore } from './topic-store.ts';

export class ProducerRegistry {
  private constructor(
    readonly ids: ProducerIdManager,
    private readonly topics: TopicStore,
    private readonly log: Log,
  ) {}

  static async open(io: Io, dir: string, topics: TopicStore, log: Log): Promise<ProducerRegistry> {
    await io.disk.mkdir(dir);
    const ids = await ProducerIdManager.open(new FileProducerIdStore(io.disk, dir));
    return new ProducerRegistry(ids, topics, log);
  }

  /** Rebuilds every partition's producer state from its log tail. */
  async rebuild(): Promise<void> {
    let batches = 0;
    for (const topic of this.topics.all()) {
      for (const partition of topic.partitions) batches += await this.rebuildPartition(partition);
    }
    this.log.info('ProducerStateRebuilt', { batches });
  }

  /** Rebuilds one partition's producer state from its log tail (a partition reopened after a failure). Returns the batches read. */
  async rebuildPartition(partition: Partition): Promise<number> {
    const log = partition.log;
    if (log === null) return 0;
    const tailStart = log.logEndOffset - BigInt(producerStateRebuildOffsetsMax);
    let offset = tailStart > log.logStartOffset ? tailStart : log.logStartOffset;
    let count = 0;
    while (offset < log.logEndOffset) {
      let bytes: Uint8Array | null = null;
      for (let attempt = 1; bytes === null; attempt++) {
        try {
          bytes = await log.read(offset, producerStateRebuildReadBytes);
        } catch (error) {
          if (!isLogError(error)) throw error;
          // A transient read error (EIO) passes on the next try; damaged records (CORRUPT_RECORD) do not.
          if (error.code === 'IO_ERROR' && attempt < producerStateRebuildReadAttemptsMax) continue;
          this.log.warn('ProducerStateRebuildStopped', {
            topic: partition.topic.name,
            partition: partition.index,
            offset,
            error: error.message,
            hint: 'the producer state misses the batches from this offset on: an idempotent producer may see OUT_OF_ORDER_SEQUENCE_NUMBER, and a retry of a batch stored past this offset may be appended twice; check the disk',
          });
          return count;
        }
      }
      if (bytes.length === 0) break;
      const split = splitBatches(bytes, bytes.length);
      assert(split.ok, 'the log returns whole, valid batches');
      for (const span of split.spans) {
        partition.producers.load(span.header);
        offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
        count++;
      }
    }
    return count;
  }

  close(): Promise<void> {
    return this.ids.close();
  }
}
