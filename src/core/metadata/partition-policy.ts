/**
 * What the active controller changes on its own when brokers are fenced or come back (pure, read
 * from the image): a fenced broker leaves every ISR, a partition led by a fenced broker gets the
 * first live ISR member as leader (a higher leader epoch), and a leaderless partition gets a leader
 * again as soon as one of its ISR members is unfenced. No unclean election: with no live ISR member
 * the leader is -1 and the ISR keeps its last members, as in Kafka.
 *
 * Also the validation of AlterPartition (ISR changes asked for by a partition leader).
 */
import { ErrorCode } from '../protocol/error-codes.ts';
import type { MetadataImage, PartitionInfo } from './image.ts';
import type { MetadataRecord } from './records.ts';

/**
 * Test-only hooks that plant known controller bugs, so tests can show the simulator's checkers catch
 * them. Never set in production code.
 */
export interface ControllerBugs {
  /** A partition that needs a new leader gets a live replica outside the ISR when there is one (unclean election). */
  readonly electOutsideIsr?: boolean;
  /** The controller answers a broker the last producer id block given to another broker again, without a record. */
  readonly producerIdBlockRepeated?: boolean;
  /** A broker that registers anew (it restarted) keeps leading its partitions under the epoch it led before. */
  readonly restartKeepsLeadership?: boolean;
  /**
   * A broker's session never expires: one that died without a controlled shutdown (kill -9, a
   * crash, a pause) stays unfenced, so the partitions it led get no new leader until it returns.
   */
  readonly sessionsNeverExpire?: boolean;
}

/** Changes the image calls for right now (one record per partition). */
export function partitionChanges(image: MetadataImage, bugs: ControllerBugs = {}): MetadataRecord[] {
  const live = (b: number): boolean => image.broker(b)?.fenced === false;
  const out: MetadataRecord[] = [];
  for (const topic of image.topics()) {
    for (const p of topic.partitions) {
      const change = changeFor(topic.name, p, live, bugs);
      if (change !== null) out.push(change);
    }
  }
  return out;
}

function changeFor(topic: string, p: PartitionInfo, live: (b: number) => boolean, bugs: ControllerBugs): MetadataRecord | null {
  const liveIsr = p.isr.filter(live);
  if (p.leader !== -1 && live(p.leader)) {
    if (liveIsr.length === p.isr.length) return null;
    return { type: 'ChangeIsr', topic, partition: p.partition, isr: liveIsr, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
  }
  const outside = bugs.electOutsideIsr === true ? p.replicas.find((b) => live(b) && !p.isr.includes(b)) : undefined;
  if (outside !== undefined) {
    // Planted bug: the new leader joins the ISR by fiat, so the image accepts it.
    return { type: 'ChangePartitionLeader', topic, partition: p.partition, leader: outside, leaderEpoch: p.leaderEpoch + 1, isr: [outside, ...liveIsr], partitionEpoch: p.partitionEpoch };
  }
  const next = cleanElection(p, live);
  if (next.leader === -1 && p.leader === -1) return null;
  return { type: 'ChangePartitionLeader', topic, partition: p.partition, leader: next.leader, leaderEpoch: p.leaderEpoch + 1, isr: next.isr, partitionEpoch: p.partitionEpoch };
}

/**
 * The leader and ISR of a partition whose leader is gone: the first live ISR member in replica order,
 * the ISR cut to the live members; with none live, no leader (-1) and the ISR as it was (no unclean
 * election).
 */
export function cleanElection(p: PartitionInfo, live: (b: number) => boolean): { leader: number; isr: readonly number[] } {
  const liveIsr = p.isr.filter(live);
  const leader = p.replicas.find((b) => liveIsr.includes(b)) ?? -1;
  return { leader, isr: leader === -1 ? p.isr : liveIsr };
}

export interface AlterPartitionRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

/** Kafka's AlterPartition checks. Returns an error code, or NONE when the change may be proposed. */
export function checkAlterPartition(image: MetadataImage, r: AlterPartitionRequest): number {
  const broker = image.broker(r.brokerId);
  if (broker === undefined || broker.epoch !== r.brokerEpoch) return ErrorCode.STALE_BROKER_EPOCH;
  const p = image.topic(r.topic)?.partitions[r.partition];
  if (p === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  if (p.leader !== r.brokerId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (r.leaderEpoch !== p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (r.partitionEpoch !== p.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const eligible = (b: number): boolean => p.replicas.includes(b) && image.broker(b)?.fenced === false;
  if (!r.isr.includes(r.brokerId) || new Set(r.isr).size !== r.isr.length || !r.isr.every(eligible)) return ErrorCode.INELIGIBLE_REPLICA;
  return ErrorCode.NONE;
}
