/**
 * The metadata quorum end to end in the simulator: three controller voters, brokers registering
 * and heartbeating through followers (forwarded to the active controller), CreateTopics and
 * DeleteTopics forwarded the same way, fencing after the session timeout (leadership and ISR move
 * off the fenced broker), AlterPartition bringing it back into an ISR, every image identical.
 */
import { describe, expect, it } from 'vitest';
import type { AlterPartitionResult, BrokerResult, ProducerIdsResult, TopicResult } from '../src/core/metadata/controller.ts';
import { ControllerNode } from '../src/core/metadata/controller-node.ts';
import { clusterProducerIdBlockSize, topicPartitionsMax } from '../src/core/limits.ts';
import { ErrorCode } from '../src/core/protocol/error-codes.ts';
import { Simulation } from '../src/io-sim/index.ts';

const names = ['c1', 'c2', 'c3'];
const sessionMs = 3000;

function start(sim: Simulation): Map<string, ControllerNode> {
  const live = new Map<string, ControllerNode>();
  names.forEach((name, k) =>
    sim.addNode(name, async (io) => {
      const node = await ControllerNode.start(io, {
        nodeId: k + 1,
        voters: names.map((n, j) => ({ id: j + 1, host: n, port: 9093 })),
        brokerSessionTimeoutMs: sessionMs,
        forwardTimeoutMs: 2000,
      });
      live.set(name, node);
      return { stop: () => node.stop() };
    }),
  );
  return live;
}

async function settle<T>(sim: Simulation, promise: Promise<T>): Promise<T> {
  let value: { v: T } | null = null;
  void promise.then((v) => (value = { v }));
  // A deadline inside `until` (run() moves time to `untilMs` even when `until` stops it early).
  const deadlineMs = sim.nowMs() + 30_000;
  await sim.run({ until: () => value !== null || sim.nowMs() > deadlineMs });
  expect(value).not.toBeNull();
  return (value as unknown as { v: T }).v;
}

function follower(live: Map<string, ControllerNode>): ControllerNode {
  const f = [...live.values()].find((n) => !n.controller.isActive());
  expect(f).toBeDefined();
  return f as ControllerNode;
}

describe('metadata quorum (3 controller voters)', () => {
  it('forwards writes from followers, fences silent brokers, and converges every image', async () => {
    const sim = new Simulation({ seed: 7 });
    const live = start(sim);
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((n) => n.controller.activeController() !== 0) });

    const epochs = new Map<number, number>();
    for (const id of [1, 2, 3]) {
      const r = await settle<BrokerResult>(sim, follower(live).controller.registerBroker(id, `b${id}`, 9092));
      expect(r.errorCode).toBe(ErrorCode.NONE);
      epochs.set(id, r.brokerEpoch);
    }

    const created = await settle<TopicResult[]>(
      sim,
      follower(live).controller.createTopics([
        { name: 'orders', numPartitions: 3, replicationFactor: 3 },
        { name: 'bad name!', numPartitions: 1, replicationFactor: 1 },
        { name: 'wide', numPartitions: 1, replicationFactor: 4 },
        { name: 'huge', numPartitions: 2 ** 31 - 1, replicationFactor: 1 },
      ]),
    );
    expect(created.map((r) => r.errorCode)).toEqual([
      ErrorCode.NONE,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      ErrorCode.INVALID_REPLICATION_FACTOR,
      ErrorCode.INVALID_PARTITIONS,
    ]);
    expect(created[3]?.errorMessage).toBe(`partitions must be from 1 to ${topicPartitionsMax}, got ${2 ** 31 - 1}`);
    const again = await settle<TopicResult[]>(sim, follower(live).controller.createTopics([{ name: 'orders', numPartitions: 1, replicationFactor: 1 }]));
    expect(again[0]?.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);

    // Brokers 1 and 2 heartbeat (through a follower); broker 3 goes silent and is fenced.
    const beat = (): void => {
      for (const id of [1, 2]) void follower(live).controller.brokerHeartbeat(id, epochs.get(id) ?? -1);
      sim.schedule(500, beat);
    };
    beat();
    await sim.run({ untilMs: sim.nowMs() + 2 * sessionMs });
    for (const n of live.values()) {
      expect(n.image().broker(3)?.fenced).toBe(true);
      expect(n.image().broker(1)?.fenced).toBe(false);
      // Broker 3 left every ISR and leads nothing; the partition it led has a new leader, next epoch.
      for (const p of n.image().topic('orders')?.partitions ?? []) {
        expect(p.isr).not.toContain(3);
        expect([1, 2]).toContain(p.leader);
      }
    }
    const back = await settle<BrokerResult>(sim, follower(live).controller.brokerHeartbeat(3, epochs.get(3) ?? -1));
    expect(back).toMatchObject({ errorCode: ErrorCode.NONE, fenced: false });
    // Its partition leader brings broker 3 back into the ISR (AlterPartition, forwarded).
    const p0 = follower(live).image().topic('orders')?.partitions[0];
    expect(p0).toBeDefined();
    const alter = { brokerId: p0!.leader, brokerEpoch: epochs.get(p0!.leader) ?? -1, topic: 'orders', partition: 0, leaderEpoch: p0!.leaderEpoch };
    const expanded = await settle<AlterPartitionResult>(sim, follower(live).controller.alterPartition({ ...alter, partitionEpoch: p0!.partitionEpoch, isr: [...p0!.isr, 3] }));
    expect(expanded).toMatchObject({ errorCode: ErrorCode.NONE, partitionEpoch: p0!.partitionEpoch + 1 });
    expect(expanded.isr).toContain(3);
    const stale = await settle<AlterPartitionResult>(sim, follower(live).controller.alterPartition({ ...alter, partitionEpoch: p0!.partitionEpoch, isr: [p0!.leader] }));
    expect(stale.errorCode).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    const staleBroker = await settle<BrokerResult>(sim, follower(live).controller.brokerHeartbeat(3, 12345));
    expect(staleBroker.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);

    const deleted = await settle<TopicResult[]>(sim, follower(live).controller.deleteTopics(['orders', 'nope']));
    expect(deleted.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

    await sim.run({ untilMs: sim.nowMs() + 500 });
    const images = [...live.values()].map((n) => JSON.stringify({ topics: n.image().topics(), brokers: n.image().brokers().map((b) => [b.brokerId, b.fenced]) }));
    expect(new Set(images).size).toBe(1);
    expect(live.get('c1')?.image().topic('orders')).toBeUndefined();
  });

  it('gives producer id blocks through the metadata log: concurrent askers get disjoint blocks; fenced, stale or unknown brokers none', async () => {
    const sim = new Simulation({ seed: 13 });
    const live = start(sim);
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((n) => n.controller.activeController() !== 0) });
    const epochs = new Map<number, number>();
    for (const id of [1, 2, 3]) epochs.set(id, (await settle<BrokerResult>(sim, follower(live).controller.registerBroker(id, `b${id}`, 9092))).brokerEpoch);
    const active = [...live.values()].find((n) => n.controller.isActive())!;
    // Six requests at once, from every broker, through the active controller and through followers.
    const asks = [1, 2, 3, 1, 2, 3].map((id, k) => (k % 2 === 0 ? active : follower(live)).controller.allocateProducerIds(id, epochs.get(id)!));
    const blocks = await settle<ProducerIdsResult[]>(sim, Promise.all(asks));
    for (const b of blocks) expect(b).toMatchObject({ errorCode: ErrorCode.NONE, size: clusterProducerIdBlockSize });
    const firsts = blocks.map((b) => b.firstProducerId).sort((a, b) => a - b);
    expect(firsts).toEqual(firsts.map((_, k) => k * clusterProducerIdBlockSize));
    await sim.run({ untilMs: sim.nowMs() + 500 });
    for (const n of live.values()) expect(n.image().nextProducerId).toBe(6 * clusterProducerIdBlockSize);

    const refused = await settle<ProducerIdsResult[]>(
      sim,
      Promise.all([follower(live).controller.allocateProducerIds(1, 12345), follower(live).controller.allocateProducerIds(9, 1)]),
    );
    expect(refused.map((r) => r.errorCode)).toEqual([ErrorCode.STALE_BROKER_EPOCH, ErrorCode.BROKER_ID_NOT_REGISTERED]);
    // Broker 3 goes silent (1 and 2 heartbeat) and is fenced: it gets no block until it heartbeats again.
    const beat = (): void => {
      for (const id of [1, 2]) void follower(live).controller.brokerHeartbeat(id, epochs.get(id)!);
      sim.schedule(500, beat);
    };
    beat();
    await sim.run({ untilMs: sim.nowMs() + 2 * sessionMs });
    expect(follower(live).image().broker(3)?.fenced).toBe(true);
    const fenced = await settle<ProducerIdsResult>(sim, follower(live).controller.allocateProducerIds(3, epochs.get(3)!));
    expect(fenced).toEqual({ errorCode: ErrorCode.STALE_BROKER_EPOCH, firstProducerId: -1, size: 0 });
    await settle(sim, follower(live).controller.brokerHeartbeat(3, epochs.get(3)!));
    const back = await settle<ProducerIdsResult>(sim, follower(live).controller.allocateProducerIds(3, epochs.get(3)!));
    expect(back).toEqual({ errorCode: ErrorCode.NONE, firstProducerId: 6 * clusterProducerIdBlockSize, size: clusterProducerIdBlockSize });
  });

  it('after the active controller crashes, a retried forwarded CreateTopics succeeds on the new one', async () => {
    const sim = new Simulation({ seed: 11 });
    const live = start(sim);
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((n) => n.controller.activeController() !== 0) });
    for (const id of [1, 2, 3]) await settle(sim, follower(live).controller.registerBroker(id, `b${id}`, 9092));
    const activeName = names.find((n) => live.get(n)?.controller.isActive()) as string;
    sim.node(activeName).crash();
    live.delete(activeName);
    let result: TopicResult[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const survivor = live.values().next().value as ControllerNode;
      result = await settle(sim, survivor.controller.createTopics([{ name: 'after-failover', numPartitions: 2, replicationFactor: 2 }]));
      if (result[0]?.errorCode !== ErrorCode.NOT_CONTROLLER && result[0]?.errorCode !== ErrorCode.REQUEST_TIMED_OUT) break;
      await sim.run({ untilMs: sim.nowMs() + 250 });
    }
    expect(result[0]?.errorCode).toBe(ErrorCode.NONE);
    await sim.run({ untilMs: sim.nowMs() + 500 }); // the other survivor applies it on the next heartbeat
    for (const n of live.values()) expect(n.image().topic('after-failover')?.partitions).toHaveLength(2);
  });
});
