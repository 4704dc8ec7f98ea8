/**
 * ListOffsets: earliest (-2) is the log start, latest (-1) the high watermark (on one node the durable end; on a cluster only the leader answers), and
 * a timestamp finds the first offset whose record timestamp is at or after it (below the high
 * watermark), or -1 when there is none. v0's old-style answer is a one-element list.
 */
import { isLogError, recordBatch, type PartitionLog } from '../log/index.ts';
import {
  ErrorCode,
  type ListOffsetsPartition,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../protocol/index.ts';
import { leadsHere, type BrokerState } from './broker-state.ts';
import { kafkaCodeFor } from './errors.ts';

const latestTimestamp = -1n;
const earliestTimestamp = -2n;

function answer(index: number, errorCode: number, offset: bigint, timestamp: bigint, leaderEpoch = 0): ListOffsetsPartitionResponse {
  return { partitionIndex: index, errorCode, oldStyleOffsets: offset >= 0n ? [offset] : [], timestamp, offset, leaderEpoch };
}

/** The timestamp of the record at `offset` (the batch's max timestamp when it is compressed, log-append time or unreadable). */
async function timestampAt(log: PartitionLog, offset: bigint, highWatermark: bigint): Promise<bigint> {
  const bytes = await log.read(offset, 1, highWatermark);
  if (bytes.length < recordBatch.batchHeaderBytes) return -1n;
  const header = recordBatch.readBatchHeader(bytes, 0);
  if (recordBatch.compressionOf(header.attributes) !== recordBatch.compressionNone || recordBatch.isLogAppendTime(header.attributes)) return header.maxTimestamp;
  try {
    return recordBatch.recordTimestamps(bytes, 0).find((r) => r.offset === offset)?.timestampMs ?? header.maxTimestamp;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return header.maxTimestamp;
  }
}

async function listOne(state: BrokerState, topic: string, asked: ListOffsetsPartition): Promise<ListOffsetsPartitionResponse> {
  const partition = state.topics.partition(topic, asked.partitionIndex);
  if (partition === undefined) return answer(asked.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n, -1n);
  const log = partition.log;
  if (log === null || partition.failure !== null) return answer(asked.partitionIndex, ErrorCode.KAFKA_STORAGE_ERROR, -1n, -1n);
  const replica = partition.replica;
  if (!leadsHere(state, partition)) return answer(asked.partitionIndex, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n, -1n);
  const epoch = replica?.leaderEpoch ?? 0;
  const hw = partition.highWatermark;
  if (asked.timestamp === earliestTimestamp) return answer(asked.partitionIndex, ErrorCode.NONE, log.logStartOffset, -1n, epoch);
  if (asked.timestamp === latestTimestamp) return answer(asked.partitionIndex, ErrorCode.NONE, hw, -1n, epoch);
  if (asked.timestamp < 0n) return answer(asked.partitionIndex, ErrorCode.INVALID_REQUEST, -1n, -1n);
  try {
    const found = await log.offsetForTimestamp(asked.timestamp);
    if (found === null || found >= hw) return answer(asked.partitionIndex, ErrorCode.NONE, -1n, -1n, epoch);
    return answer(asked.partitionIndex, ErrorCode.NONE, found, await timestampAt(log, found, hw), epoch);
  } catch (error) {
    if (!isLogError(error)) throw error;
    return answer(asked.partitionIndex, kafkaCodeFor(error), -1n, -1n);
  }
}

export async function handleListOffsets(state: BrokerState, request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
  const topics: ListOffsetsResponse['topics'] = [];
  for (const topic of request.topics) {
    const partitions: ListOffsetsPartitionResponse[] = [];
    for (const asked of topic.partitions) partitions.push(await listOne(state, topic.name, asked));
    topics.push({ name: topic.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}
