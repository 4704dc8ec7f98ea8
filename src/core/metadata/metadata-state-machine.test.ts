import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../raft/types.ts';
import { parseVoters, VoterConfigError } from './controller-node.ts';
import { MetadataStateMachine } from './metadata-state-machine.ts';
import type { MetadataRecord } from './records.ts';
import { decodeRecord, encodeRecord } from './records.ts';

function applyAll(sm: MetadataStateMachine, records: MetadataRecord[], from = 1): void {
  records.forEach((r, k) => {
    const e: Entry = { term: 1, index: from + k, type: 'data', data: encodeRecord(r) };
    sm.apply(e);
  });
}

const history: MetadataRecord[] = [
  { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
  { type: 'RegisterBroker', brokerId: 2, host: 'b2', port: 9092 },
  { type: 'CreateTopic', name: 'orders', topicId: 'id-orders', replicas: [[1, 2], [2, 1]] },
  { type: 'CreateTopic', name: 'orders', topicId: 'id-dup', replicas: [[1]] }, // skipped: exists
  { type: 'ChangePartitionLeader', topic: 'orders', partition: 0, leader: 2, leaderEpoch: 1 },
  { type: 'ChangePartitionLeader', topic: 'orders', partition: 0, leader: 1, leaderEpoch: 1 }, // skipped: stale epoch
  { type: 'ChangeIsr', topic: 'orders', partition: 0, isr: [2], leaderEpoch: 1, partitionEpoch: 1 },
  { type: 'ChangeIsr', topic: 'orders', partition: 0, isr: [3], leaderEpoch: 1, partitionEpoch: 2 }, // skipped: 3 not a replica
  { type: 'FenceBroker', brokerId: 1, epoch: 1 },
  { type: 'FenceBroker', brokerId: 2, epoch: 99 }, // skipped: stale broker epoch
];

describe('metadata state machine', () => {
  it('applies records to the image and skips those that no longer fit', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, history);
    expect(sm.appliedIndex).toBe(10);
    expect(sm.recordsSkipped).toBe(4);
    expect(sm.topic('orders')?.topicId).toBe('id-orders');
    expect(sm.topic('orders')?.partitions[0]).toEqual({ partition: 0, replicas: [1, 2], leader: 2, leaderEpoch: 1, isr: [2], partitionEpoch: 2 });
    expect(sm.topic('orders')?.partitions[1]).toMatchObject({ leader: 2, isr: [2, 1], leaderEpoch: 0 });
    expect(sm.broker(1)).toMatchObject({ epoch: 1, fenced: true });
    expect(sm.broker(2)).toMatchObject({ epoch: 2, fenced: false });
  });

  it('every replica applying the same records holds the same image; a snapshot restores it exactly', () => {
    const a = new MetadataStateMachine();
    const b = new MetadataStateMachine();
    applyAll(a, history);
    applyAll(b, history.slice(0, 5));
    const c = new MetadataStateMachine();
    c.restore(b.snapshot());
    applyAll(c, history.slice(5), 6);
    expect(c.digest()).toBe(a.digest());
    applyAll(a, [{ type: 'DeleteTopic', name: 'orders', topicId: 'id-orders' }], 11);
    expect(a.topic('orders')).toBeUndefined();
    expect(a.digest()).not.toBe(c.digest());
  });

  it('a broker that registers again loses its leaderships in the same record, under a higher leader epoch', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
      { type: 'RegisterBroker', brokerId: 2, host: 'b2', port: 9092 },
      { type: 'RegisterBroker', brokerId: 3, host: 'b3', port: 9092 },
      { type: 'CreateTopic', name: 't', topicId: 'id-t', replicas: [[1, 2, 3], [2, 1, 3], [1]] },
      { type: 'FenceBroker', brokerId: 2, epoch: 2 },
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9093 }, // broker 1 restarted
    ]);
    expect(sm.broker(1)).toMatchObject({ epoch: 6, fenced: false, port: 9093 });
    // Led by 1: the first live ISR member other than it (2 is fenced), the ISR cut to the live ones.
    expect(sm.topic('t')?.partitions[0]).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3], partitionEpoch: 1 });
    // Led by 2: untouched (1 stays in its ISR).
    expect(sm.topic('t')?.partitions[1]).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2, 1, 3], partitionEpoch: 0 });
    // 1 its only replica: leaderless, ISR kept, until the controller elects it again under a new epoch.
    expect(sm.topic('t')?.partitions[2]).toMatchObject({ leader: -1, leaderEpoch: 1, isr: [1], partitionEpoch: 1 });
    // The planted bug keeps the old leadership.
    const buggy = new MetadataStateMachine({ restartKeepsLeadership: true });
    applyAll(buggy, [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
      { type: 'CreateTopic', name: 't', topicId: 'id-t', replicas: [[1]] },
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
    ]);
    expect(buggy.topic('t')?.partitions[0]).toMatchObject({ leader: 1, leaderEpoch: 0 });
  });

  it('records round-trip through their encoding', () => {
    for (const r of history) expect(decodeRecord(encodeRecord(r))).toEqual(r);
    const ids: MetadataRecord = { type: 'ProducerIds', brokerId: 1, brokerEpoch: 1, firstProducerId: 2 ** 40, nextProducerId: 2 ** 40 + 1000 };
    expect(decodeRecord(encodeRecord(ids))).toEqual(ids);
  });
});

describe('CreatePartitions records', () => {
  it('append partitions after the last, led by their first replica; skip an unknown or re-created topic', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
      { type: 'RegisterBroker', brokerId: 2, host: 'b2', port: 9092 },
      { type: 'CreateTopic', name: 'orders', topicId: 'id-orders', replicas: [[1, 2]] },
      { type: 'CreatePartitions', name: 'orders', topicId: 'id-orders', replicas: [[2, 1], [1, 2]] },
      { type: 'CreatePartitions', name: 'orders', topicId: 'id-old', replicas: [[1, 2]] }, // skipped: another topic id
      { type: 'CreatePartitions', name: 'missing', topicId: 'id-x', replicas: [[1]] }, // skipped: no such topic
    ]);
    expect(sm.recordsSkipped).toBe(2);
    expect(sm.topic('orders')?.partitions.map((p) => [p.partition, p.leader, p.isr.join(',')])).toEqual([
      [0, 1, '1,2'],
      [1, 2, '2,1'],
      [2, 1, '1,2'],
    ]);
  });
});

describe('topic configs', () => {
  it('come with CreateTopic and change with AlterTopicConfigs (all overrides at once; none removes them); a snapshot keeps them', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, [
      { type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 },
      { type: 'CreateTopic', name: 'orders', topicId: 'id-orders', replicas: [[1]], configs: { 'retention.ms': '1000' } },
      { type: 'CreateTopic', name: 'plain', topicId: 'id-plain', replicas: [[1]] },
      { type: 'AlterTopicConfigs', name: 'orders', topicId: 'id-orders', configs: { 'min.insync.replicas': '2' } },
      { type: 'AlterTopicConfigs', name: 'orders', topicId: 'id-other', configs: {} }, // skipped: another topic id
    ]);
    expect(sm.recordsSkipped).toBe(1);
    expect(sm.topic('orders')?.configs).toEqual({ 'min.insync.replicas': '2' });
    expect(sm.topic('plain')?.configs).toBeUndefined();
    const restored = new MetadataStateMachine();
    restored.restore(sm.snapshot());
    expect(restored.topic('orders')?.configs).toEqual({ 'min.insync.replicas': '2' });
    applyAll(sm, [{ type: 'AlterTopicConfigs', name: 'orders', topicId: 'id-orders', configs: {} }], 6);
    expect(sm.topic('orders')?.configs).toBeUndefined();
  });
});

describe('ProducerIds records', () => {
  // Broker 1 registers at index 1 (epoch 1), broker 2 at index 2 (epoch 2).
  const brokers: MetadataRecord[] = history.slice(0, 2);
  const block = (brokerId: number, brokerEpoch: number, first: number, next: number): MetadataRecord => ({
    type: 'ProducerIds',
    brokerId,
    brokerEpoch,
    firstProducerId: first,
    nextProducerId: next,
  });

  it('advance nextProducerId block by block, each block starting where the last ended', () => {
    const sm = new MetadataStateMachine();
    expect(sm.nextProducerId).toBe(0);
    expect(sm.lastProducerIdBlock).toBeNull();
    applyAll(sm, [...brokers, block(1, 1, 0, 1000), block(2, 2, 1000, 2000)]);
    expect(sm.nextProducerId).toBe(2000);
    expect(sm.lastProducerIdBlock).toEqual({ brokerId: 2, brokerEpoch: 2, firstProducerId: 1000, nextProducerId: 2000 });
    expect(sm.recordsSkipped).toBe(0);
  });

  it('skip a block that does not start at nextProducerId (two proposals from one image: only the first applies)', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, [...brokers, block(1, 1, 0, 1000), block(2, 2, 0, 1000), block(2, 2, 500, 1500), block(2, 2, 2000, 3000)]);
    expect(sm.nextProducerId).toBe(1000);
    expect(sm.lastProducerIdBlock?.brokerId).toBe(1);
    expect(sm.recordsSkipped).toBe(3);
  });

  it('skip a block for an unknown broker, a stale epoch or a fenced broker', () => {
    const sm = new MetadataStateMachine();
    applyAll(sm, [...brokers, block(3, 3, 0, 1000), block(1, 7, 0, 1000), { type: 'FenceBroker', brokerId: 2, epoch: 2 }, block(2, 2, 0, 1000)]);
    expect(sm.nextProducerId).toBe(0);
    expect(sm.recordsSkipped).toBe(3);
  });

  it('replay from the log or from a snapshot gives the same nextProducerId; an old snapshot without it restores as 0', () => {
    const records = [...brokers, block(1, 1, 0, 1000), block(2, 2, 1000, 2000), block(1, 1, 2000, 3000)];
    const a = new MetadataStateMachine();
    applyAll(a, records);
    const b = new MetadataStateMachine();
    applyAll(b, records.slice(0, 3));
    const c = new MetadataStateMachine();
    c.restore(b.snapshot());
    expect(c.nextProducerId).toBe(1000);
    applyAll(c, records.slice(3), 4);
    expect(c.digest()).toBe(a.digest());
    expect(c.nextProducerId).toBe(3000);
    const old = JSON.parse(new TextDecoder().decode(b.snapshot())) as Record<string, unknown>;
    delete old['producerIds'];
    const d = new MetadataStateMachine();
    d.restore(new TextEncoder().encode(JSON.stringify(old)));
    expect(d.nextProducerId).toBe(0);
    expect(d.lastProducerIdBlock).toBeNull();
  });

  it('never moves nextProducerId backwards, whatever records come (property over random sequences)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ broker: fc.integer({ min: 1, max: 3 }), epoch: fc.integer({ min: 1, max: 3 }), first: fc.integer({ min: 0, max: 5000 }), size: fc.integer({ min: 1, max: 1500 }) }), { maxLength: 40 }),
        (blocks) => {
          const sm = new MetadataStateMachine();
          applyAll(sm, brokers);
          const given: [number, number][] = [];
          blocks.forEach((b, k) => {
            const before = sm.nextProducerId;
            applyAll(sm, [block(b.broker, b.epoch, b.first, b.first + b.size)], 3 + k);
            expect(sm.nextProducerId).toBeGreaterThanOrEqual(before);
            if (sm.nextProducerId !== before) given.push([before, sm.nextProducerId]);
          });
          // The blocks applied are disjoint and adjacent: [0, a), [a, b), ...
          given.forEach(([first], k) => expect(first).toBe(k === 0 ? 0 : given[k - 1]![1]));
        },
      ),
    );
  });
});

describe('voter configuration', () => {
  it('parses id@host:port lists of 1, 3 or 5 voters', () => {
    expect(parseVoters('1@c1:9093')).toEqual([{ id: 1, host: 'c1', port: 9093 }]);
    expect(parseVoters('1@c1:9093,2@c2:9093,3@c3:9093').map((v) => v.id)).toEqual([1, 2, 3]);
    expect(parseVoters('1@a:1,2@b:2,3@c:3,4@d:4,5@e:5')).toHaveLength(5);
  });

  it('refuses other counts, duplicates and malformed entries', () => {
    expect(() => parseVoters('1@c1:9093,2@c2:9093')).toThrow(VoterConfigError);
    expect(() => parseVoters('1@a:1,2@b:2,3@c:3,4@d:4')).toThrow(/1, 3 or 5/);
    expect(() => parseVoters('1@a:1,1@b:2,3@c:3')).toThrow(/distinct/);
    expect(() => parseVoters('c1:9093')).toThrow(/id@host:port/);
    expect(() => parseVoters('1@c1:70000')).toThrow(/out of range/);
  });
});
