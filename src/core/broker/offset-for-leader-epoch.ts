/**
 * OffsetForLeaderEpoch: where a leader epoch ends in this broker's log (the partition leader answers;
 * a follower uses it to cut a divergent tail, a consumer to detect truncation). A single-node broker
 * leads every partition at epoch 0.
 */
import { ErrorCode, type EpochEndOffset, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../protocol/index.ts';
import { leadsHere, type BrokerState } from './broker-state.ts';
import { undefinedEpochEnd } from '../replication/leader-epoch-entries.ts';

function answer(state: BrokerState, topic: string, index: number, currentLeaderEpoch: number, leaderEpoch: number): EpochEndOffset {
  const fail = (errorCode: number): EpochEndOffset => ({ errorCode, partition: index, leaderEpoch: -1, endOffset: -1n });
  const partition = state.topics.partition(topic, index);
  if (partition === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const log = partition.log;
  if (log === null || partition.failure !== null) return fail(ErrorCode.KAFKA_STORAGE_ERROR);
  const replica = partition.replica;
  const epoch = replica === null ? 0 : replica.leaderEpoch;
  if (!leadsHere(state, partition)) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < epoch) return fail(ErrorCode.FENCED_LEADER_EPOCH);
  if (currentLeaderEpoch > epoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH);
  const end = replica === null ? (leaderEpoch === 0 ? { epoch: 0, endOffset: log.logEndOffset } : undefinedEpochEnd) : replica.epochs.endOffsetFor(leaderEpoch, log.logEndOffset);
  return { errorCode: ErrorCode.NONE, partition: index, leaderEpoch: end.epoch, endOffset: end.endOffset };
}

export function handleOffsetForLeaderEpoch(state: BrokerState, request: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => answer(state, t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch)),
    })),
  };
}
