import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/error-codes.ts';
import { MetadataStateMachine } from './metadata-state-machine.ts';
import { checkAlterPartition, partitionChanges } from './partition-policy.ts';
import type { MetadataRecord } from './records.ts';
import { encodeRecord } from './records.ts';

function image(records: MetadataRecord[]): MetadataStateMachine {
  const sm = new MetadataStateMachine();
  records.forEach((r, k) => sm.apply({ term: 1, index: k + 1, type: 'data', data: encodeRecord(r) }));
  return sm;
}

const base: MetadataRecord[] = [
  { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 1 },
  { type: 'RegisterBroker', brokerId: 2, host: 'b2', port: 1 },
  { type: 'RegisterBroker', brokerId: 3, host: 'b3', port: 1 },
  { type: 'CreateTopic', name: 't', topicId: 'x', replicas: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] },
];

describe('partition policy', () => {
  it('nothing to do while every broker is live', () => {
    expect(partitionChanges(image(base))).toEqual([]);
  });

  it('a fenced broker leaves every ISR and its partitions get the first live ISR member as leader', () => {
    const sm = image([...base, { type: 'FenceBroker', brokerId: 1, epoch: 1 }]);
    expect(partitionChanges(sm)).toEqual([
      { type: 'ChangePartitionLeader', topic: 't', partition: 0, leader: 2, leaderEpoch: 1, isr: [2, 3], partitionEpoch: 0 },
      { type: 'ChangeIsr', topic: 't', partition: 1, isr: [2, 3], leaderEpoch: 0, partitionEpoch: 0 },
      { type: 'ChangeIsr', topic: 't', partition: 2, isr: [3, 2], leaderEpoch: 0, partitionEpoch: 0 },
    ]);
  });

  it('with no live ISR member the partition has no leader, and gets one back when a member returns', () => {
    const one: MetadataRecord[] = [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 1 },
      { type: 'CreateTopic', name: 'solo', topicId: 's', replicas: [[1]] },
      { type: 'FenceBroker', brokerId: 1, epoch: 1 },
    ];
    const [leaderless] = partitionChanges(image(one));
    expect(leaderless).toEqual({ type: 'ChangePartitionLeader', topic: 'solo', partition: 0, leader: -1, leaderEpoch: 1, isr: [1], partitionEpoch: 0 });
    const back = image([...one, leaderless as MetadataRecord, { type: 'UnfenceBroker', brokerId: 1, epoch: 1 }]);
    expect(partitionChanges(back)).toEqual([{ type: 'ChangePartitionLeader', topic: 'solo', partition: 0, leader: 1, leaderEpoch: 2, isr: [1], partitionEpoch: 1 }]);
  });

  it('a leader change computed from an older partition state is refused, so it cannot bring back a member an ISR change removed', () => {
    // Brokers 1 and 2 are fenced one after the other; the record computed when both were gone was
    // made from the image before the ISR shrink that removed 1 (cluster seed 24736).
    const two: MetadataRecord[] = [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 1 },
      { type: 'RegisterBroker', brokerId: 2, host: 'b2', port: 1 },
      { type: 'CreateTopic', name: 'p', topicId: 'p', replicas: [[2, 1]] },
    ];
    const stale: MetadataRecord = { type: 'ChangePartitionLeader', topic: 'p', partition: 0, leader: -1, leaderEpoch: 1, isr: [2, 1], partitionEpoch: 0 };
    const sm = image([...two, { type: 'ChangeIsr', topic: 'p', partition: 0, isr: [2], leaderEpoch: 0, partitionEpoch: 0 }, stale]);
    expect(sm.topic('p')?.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2], partitionEpoch: 1 });
    // The same record without a partition epoch (written before they carried one) still applies.
    const { partitionEpoch: _e, ...old } = stale as Extract<MetadataRecord, { type: 'ChangePartitionLeader' }>;
    const legacy = image([...two, { type: 'ChangeIsr', topic: 'p', partition: 0, isr: [2], leaderEpoch: 0, partitionEpoch: 0 }, old]);
    expect(legacy.topic('p')?.partitions[0]).toMatchObject({ leader: -1, isr: [2, 1] });
  });

  it('elects only from the ISR; the planted bug electOutsideIsr (test-only) picks a live replica outside it', () => {
    // Broker 3 left partition 0's ISR, then its leader 1 was fenced: only 2 may lead.
    const sm = image([...base, { type: 'ChangeIsr', topic: 't', partition: 0, isr: [1, 2], leaderEpoch: 0, partitionEpoch: 0 }, { type: 'FenceBroker', brokerId: 1, epoch: 1 }]);
    const clean = { type: 'ChangePartitionLeader', topic: 't', partition: 0, leader: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 1 };
    expect(partitionChanges(sm)[0]).toEqual(clean);
    expect(partitionChanges(sm, {})[0]).toEqual(clean);
    expect(partitionChanges(sm, { electOutsideIsr: true })[0]).toEqual({ ...clean, leader: 3, isr: [3, 2] });
  });

  it('checks AlterPartition like Kafka', () => {
    const sm = image(base);
    const ok = { brokerId: 1, brokerEpoch: 1, topic: 't', partition: 0, leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2] };
    expect(checkAlterPartition(sm, ok)).toBe(ErrorCode.NONE);
    expect(checkAlterPartition(sm, { ...ok, brokerEpoch: 9 })).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(checkAlterPartition(sm, { ...ok, brokerId: 2, brokerEpoch: 2 })).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(checkAlterPartition(sm, { ...ok, leaderEpoch: 1 })).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(checkAlterPartition(sm, { ...ok, partitionEpoch: 3 })).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(checkAlterPartition(sm, { ...ok, isr: [2] })).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(checkAlterPartition(sm, { ...ok, isr: [1, 4] })).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(checkAlterPartition(sm, { ...ok, topic: 'nope' })).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
