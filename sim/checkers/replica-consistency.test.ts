import { describe, expect, it } from 'vitest';
import { checkIsrHoldsHighWatermark, checkReplicasAgree, ReplicaMonitor, type ReplicaBatch, type ReplicaView } from './replica-consistency.ts';

const view = (broker: number, fields: Partial<ReplicaView> = {}): ReplicaView => ({
  broker,
  topic: 'events',
  partition: 0,
  leading: false,
  leaderEpoch: 3,
  isr: [1, 2, 3],
  highWatermark: 10n,
  durableEnd: 10n,
  ...fields,
});

const batch = (baseOffset: bigint, lastOffset: bigint, leaderEpoch = 3, crc = Number(baseOffset) * 7): ReplicaBatch => ({ baseOffset, lastOffset, leaderEpoch, crc });

describe('replica consistency (r1): every ISR member holds the leader HW', () => {
  it('passes followers at or past the leader high watermark, and ignores replicas outside the ISR or without a log', () => {
    const views = [view(1, { leading: true, durableEnd: 14n, isr: [1, 2] }), view(2, { durableEnd: 10n }), view(3, { durableEnd: 0n }), view(2, { partition: 1, durableEnd: null })];
    expect(checkIsrHoldsHighWatermark(views)).toEqual([]);
  });

  it('flags an ISR member whose log ends below the leader high watermark (a follower that cut acknowledged records)', () => {
    const views = [view(1, { leading: true, durableEnd: 14n }), view(2, { durableEnd: 14n }), view(3, { durableEnd: 7n })];
    const findings = checkIsrHoldsHighWatermark(views);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.kind).toBe('isr-member-behind-hw');
    expect(findings[0]!.message).toMatch(/broker 3, in the ISR \[1,2,3\] of leader 1 .* holds durably only up to 7, below the high watermark 10/);
  });

  it('the monitor reports each (partition, member) once, with the time it was first seen', () => {
    const monitor = new ReplicaMonitor();
    const bad = [view(1, { leading: true }), view(3, { durableEnd: 7n })];
    monitor.observe(bad, 120);
    monitor.observe([view(1, { leading: true }), view(3, { durableEnd: 8n })], 130);
    monitor.observe([view(1, { leading: true }), view(3)], 140);
    expect(monitor.failures()).toHaveLength(1);
    expect(monitor.failures()[0]).toMatch(/^isr-member-behind-hw: at 120 ms /);
    expect(monitor.observed).toBe(3);
  });
});

describe('replica consistency (r0): a leader holds every offset an earlier leader counted as committed', () => {
  it('passes a new leader that holds the old high watermark, and flags one that does not (an election outside the ISR)', () => {
    const monitor = new ReplicaMonitor();
    monitor.observe([view(1, { leading: true, highWatermark: 10n, durableEnd: 12n, isr: [1, 2] }), view(2, { durableEnd: 12n })], 100);
    monitor.observe([view(2, { leading: true, leaderEpoch: 4, highWatermark: 10n, durableEnd: 12n, isr: [2] })], 200);
    expect(monitor.failures()).toEqual([]);
    monitor.observe([view(3, { leading: true, leaderEpoch: 5, highWatermark: 6n, durableEnd: 6n, isr: [3] })], 300);
    expect(monitor.failures()).toHaveLength(1);
    expect(monitor.failures()[0]).toMatch(/^leader-behind-hw: at 300 ms events\/0: leader 3 \(epoch 5\) holds durably only up to 6, below the high watermark 10 that leader 1 \(epoch 3\) showed/);
  });

  it('does not hold a deposed leader that has not heard of its successor to the successor high watermark (cluster seed 74250, 5 nodes)', () => {
    const monitor = new ReplicaMonitor();
    monitor.observe([view(2, { leading: true, leaderEpoch: 0, highWatermark: 0n, durableEnd: 2n, isr: [2, 3, 5] })], 100);
    monitor.observe([view(3, { leading: true, leaderEpoch: 1, highWatermark: 3n, durableEnd: 3n, isr: [3, 5] })], 200);
    monitor.observe([view(2, { leading: true, leaderEpoch: 0, highWatermark: 0n, durableEnd: 2n, isr: [2, 3, 5] })], 300);
    expect(monitor.failures()).toEqual([]);
    // The successor itself is still held to what its predecessor committed.
    monitor.observe([view(5, { leading: true, leaderEpoch: 2, highWatermark: 1n, durableEnd: 2n, isr: [5] })], 400);
    expect(monitor.failures()).toHaveLength(1);
    expect(monitor.failures()[0]).toMatch(/leader 5 \(epoch 2\) holds durably only up to 2, below the high watermark 3 that leader 3 \(epoch 1\) showed/);
  });
});

describe('replica consistency (r2): below the HW every ISR member holds the leader batches', () => {
  const leaderBatches = [batch(0n, 2n, 1), batch(3n, 3n, 2), batch(4n, 9n, 3)];

  it('passes identical logs, and ignores what lies at or above the high watermark', () => {
    const logs = [
      { view: view(1, { leading: true }), batches: [...leaderBatches, batch(10n, 11n)] },
      { view: view(2), batches: leaderBatches },
      { view: view(3), batches: [...leaderBatches, batch(10n, 12n, 2)] },
    ];
    expect(checkReplicasAgree(logs)).toEqual([]);
  });

  it('flags a follower whose batch below the HW has another leader epoch or CRC, or that misses one', () => {
    const logs = [
      { view: view(1, { leading: true }), batches: leaderBatches },
      { view: view(2), batches: [batch(0n, 2n, 1), batch(3n, 3n, 1), batch(4n, 9n, 3)] },
      { view: view(3), batches: [batch(0n, 2n, 1), batch(3n, 3n, 2)] },
    ];
    const findings = checkReplicasAgree(logs);
    expect(findings.map((f) => f.kind)).toEqual(['replicas-diverge', 'replicas-diverge']);
    expect(findings[0]!.message).toMatch(/broker 2 holds 3\.\.3 epoch 1 crc 21 where leader 1 holds 3\.\.3 epoch 2 crc 21 \(batch 1\)/);
    expect(findings[1]!.message).toMatch(/broker 3 holds nothing where leader 1 holds 4\.\.9 epoch 3/);
  });

  it('excuses only the batches a damaged disk could not read, and still flags a different batch beside them', () => {
    // Broker 2 could not read offset 3 (a latent sector): its batch there is missing, excused.
    const excused = [
      { view: view(1, { leading: true }), batches: leaderBatches },
      { view: view(2), batches: [batch(0n, 2n, 1), batch(4n, 9n, 3)], unreadable: [3n] },
    ];
    expect(checkReplicasAgree(excused)).toEqual([]);
    // The same gap, and a batch of another epoch after it: wrong bytes are never excused.
    const wrong = [excused[0]!, { ...excused[1]!, batches: [batch(0n, 2n, 1), batch(4n, 9n, 2)] }];
    const findings = checkReplicasAgree(wrong);
    expect(findings.map((f) => f.kind)).toEqual(['replicas-diverge']);
    expect(findings[0]!.message).toMatch(/broker 2 holds 4\.\.9 epoch 2 .* where leader 1 holds 4\.\.9 epoch 3 .* \(at offset 4\)/);
    // A gap where nothing was unreadable is a missing batch, as before.
    const missing = [excused[0]!, { ...excused[1]!, unreadable: [9n] }];
    expect(checkReplicasAgree(missing)[0]!.message).toMatch(/broker 2 holds nothing where leader 1 holds 3\.\.3 epoch 2 .* \(at offset 3\)/);
  });
});
