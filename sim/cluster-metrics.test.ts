/**
 * The broker's replication metrics in the cluster mode (3 nodes in the simulator, each a controller
 * voter and a broker): replicas and in-sync replicas come from the metadata each broker applied, and
 * only the leader counts a partition whose ISR shrank as under-replicated.
 */
import { describe, expect, it } from 'vitest';
import { Broker } from '../src/core/broker/index.ts';
import { recordBatch } from '../src/core/log/index.ts';
import { metricDefs as m } from '../src/core/metrics/index.ts';
import { ControllerNode } from '../src/core/metadata/controller-node.ts';
import { ApiKey, ErrorCode } from '../src/core/protocol/index.ts';
import { KafkaWireClient } from '../src/core/protocol/wire-client.ts';
import { Simulation } from '../src/io-sim/index.ts';
import { InMemoryMetrics } from '../src/testing/memory-metrics.ts';
import { collectRaftMetrics } from '../src/core/raft/raft-metrics.ts';

const names = ['n1', 'n2', 'n3'];
const replicaLagTimeMaxMs = 5000;

function startCluster(sim: Simulation, metrics: Map<string, InMemoryMetrics>): Map<string, Broker> {
  const live = new Map<string, Broker>();
  names.forEach((name, k) =>
    sim.addNode(name, async (io) => {
      const controller = await ControllerNode.start(io, {
        nodeId: k + 1,
        voters: names.map((n, j) => ({ id: j + 1, host: n, port: 9093 })),
        brokerSessionTimeoutMs: 3000,
        forwardTimeoutMs: 2000,
      });
      const own = new InMemoryMetrics();
      metrics.set(name, own);
      collectRaftMetrics(own, () => controller.raft.status());
      const broker = await Broker.start(io, {
        nodeId: k + 1,
        listen: { host: name, port: 9092 },
        dataDir: 'kafka',
        cluster: controller,
        replication: { replicaLagTimeMaxMs, brokerHeartbeatIntervalMs: 300, minInsyncReplicas: 2 },
        metrics: own,
      });
      live.set(name, broker);
      return {
        stop: async () => {
          live.delete(name);
          await broker.stop();
          await controller.stop();
        },
      };
    }),
  );
  return live;
}

async function settle<T>(sim: Simulation, promise: Promise<T>): Promise<T> {
  let outcome: { value: T } | { error: unknown } | null = null;
  void promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  const deadlineMs = sim.nowMs() + 30_000;
  await sim.run({ until: () => outcome !== null || sim.nowMs() > deadlineMs });
  const settled = outcome as { value: T } | { error: unknown } | null;
  if (settled === null) throw new Error('did not settle within 30 s of virtual time');
  if ('error' in settled) throw settled.error;
  return settled.value;
}

describe('cluster metrics', () => {
  it('report replicas and the ISR from the metadata, and under-replication on the leader only', async () => {
    const sim = new Simulation({ seed: 7 });
    const metrics = new Map<string, InMemoryMetrics>();
    const live = startCluster(sim, metrics);
    const io = sim.addClient('c1');
    await sim.run({ until: () => live.size === 3, untilMs: 30_000 });
    const admin = await settle(sim, KafkaWireClient.connect(io, 'n1', 9092, { clientId: 'test', connectTimeoutMs: 500, requestTimeoutMs: 5000 }));
    let created = -1;
    for (let attempt = 0; attempt < 20 && created !== ErrorCode.NONE; attempt++) {
      const r = await settle(sim, admin.request(ApiKey.CreateTopics, 3, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
      created = r.topics[0]!.errorCode;
      if (created !== ErrorCode.NONE) await sim.run({ untilMs: sim.nowMs() + 500 });
    }
    expect(created).toBe(ErrorCode.NONE);
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    const leaderName = names.find((n) => live.get(n)!.topics.partition('orders', 0)?.replica?.role === 'leader')!;
    expect(leaderName).toBeDefined();
    const leader = await settle(sim, KafkaWireClient.connect(io, leaderName, 9092, { clientId: 'test', connectTimeoutMs: 500, requestTimeoutMs: 5000 }));
    const batch = recordBatch.encodeRecordBatch({ records: [{ key: null, value: new Uint8Array([1]) }], baseTimestamp: 1_767_225_600_000n });
    const produced = await settle(sim, leader.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batch }] }] }));
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);

    for (const name of names) {
      const own = metrics.get(name)!;
      own.scrape();
      expect(own.value(m.replicas.name, ['orders', '0']), name).toBe(3);
      expect(own.value(m.isrSize.name, ['orders', '0']), name).toBe(3);
      expect(own.value(m.underReplicated.name), name).toBe(0);
    }
    expect(metrics.get(leaderName)!.value(m.highWatermark.name, ['orders', '0'])).toBe(1);

    // A follower stops: the leader shrinks the ISR after replicaLagTimeMaxMs and alone reports it.
    const stopped = names.find((n) => n !== leaderName)!;
    const other = names.find((n) => n !== leaderName && n !== stopped)!;
    sim.node(stopped).crash();
    live.delete(stopped);
    await sim.run({ until: () => live.get(leaderName)!.topics.partition('orders', 0)!.replica!.isr.length === 2, untilMs: sim.nowMs() + 6 * replicaLagTimeMaxMs });
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    const onLeader = metrics.get(leaderName)!;
    onLeader.scrape();
    expect(onLeader.value(m.isrSize.name, ['orders', '0'])).toBe(2);
    expect(onLeader.value(m.underReplicated.name)).toBe(1);
    const onFollower = metrics.get(other)!;
    onFollower.scrape();
    expect(onFollower.value(m.isrSize.name, ['orders', '0'])).toBe(2);
    expect(onFollower.value(m.underReplicated.name)).toBe(0);
  });

  it("report each voter's Raft term, leader, log positions and leader changes", async () => {
    const sim = new Simulation({ seed: 3 });
    const metrics = new Map<string, InMemoryMetrics>();
    const live = startCluster(sim, metrics);
    await sim.run({ until: () => live.size === 3, untilMs: 30_000 });
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    const read = (name: string) => {
      const own = metrics.get(name)!;
      own.scrape();
      const v = (def: { name: string }) => own.value(def.name)!;
      return { term: v(m.raftTerm), leader: v(m.raftLeader), isLeader: v(m.raftIsLeader), last: v(m.raftLastIndex), commit: v(m.raftCommitIndex), applied: v(m.raftAppliedIndex), changes: v(m.raftLeaderChanges), failed: v(m.raftFailed) };
    };
    const before = names.map(read);
    expect(new Set(before.map((r) => r.term)).size).toBe(1);
    expect(new Set(before.map((r) => r.leader)).size).toBe(1);
    expect(before[0]!.leader).toBeGreaterThan(0);
    expect(before.map((r) => r.isLeader).sort()).toEqual([0, 0, 1]);
    for (const r of before) {
      expect(r.applied).toBeLessThanOrEqual(r.commit);
      expect(r.commit).toBeLessThanOrEqual(r.last);
      expect(r.commit).toBeGreaterThan(0);
      expect(r.changes).toBeGreaterThanOrEqual(1);
      expect(r.failed).toBe(0);
    }
    // The active controller crashes: the others elect a new one, in a higher term, and count the change.
    const active = names[before[0]!.leader - 1]!;
    sim.node(active).crash();
    live.delete(active);
    const survivors = names.filter((n) => n !== active);
    await sim.run({ until: () => survivors.every((n) => { const r = read(n); return r.leader > 0 && names[r.leader - 1] !== active; }), untilMs: sim.nowMs() + 30_000 });
    for (const n of survivors) {
      const r = read(n);
      expect(r.term).toBeGreaterThan(before[0]!.term);
      expect(r.changes).toBeGreaterThan(before[names.indexOf(n)]!.changes);
    }
  });
});
