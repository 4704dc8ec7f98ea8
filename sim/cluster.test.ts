/**
 * A 3-node cluster in the simulator (each node a controller voter and a broker, KRaft's combined
 * mode), driven over the Kafka wire: every broker answers Metadata for the whole cluster, a topic
 * with RF=3 replicates to every broker by follower fetch, acks=all answers once the ISR holds the
 * batch, and when the leader crashes the controller elects another ISR member, the producer carries
 * on there, and the old leader comes back as a follower and catches up.
 */
import { describe, expect, it } from 'vitest';
import { Broker } from '../src/core/broker/index.ts';
import { sleep, type Io } from '../src/core/io/index.ts';
import { recordBatch } from '../src/core/log/index.ts';
import { ControllerNode } from '../src/core/metadata/controller-node.ts';
import { ApiKey, ErrorCode } from '../src/core/protocol/index.ts';
import { KafkaWireClient } from '../src/core/protocol/wire-client.ts';
import { Simulation } from '../src/io-sim/index.ts';
import { readRecords } from './workload/records.ts';

const names = ['n1', 'n2', 'n3'];
const kafkaPort = 9092;
const controllerPort = 9093;

interface Running {
  broker: Broker;
  controller: ControllerNode;
}

function startCluster(sim: Simulation): Map<string, Running> {
  const live = new Map<string, Running>();
  names.forEach((name, k) =>
    sim.addNode(name, async (io) => {
      const controller = await ControllerNode.start(io, {
        nodeId: k + 1,
        voters: names.map((n, j) => ({ id: j + 1, host: n, port: controllerPort })),
        brokerSessionTimeoutMs: 3000,
        forwardTimeoutMs: 2000,
      });
      const broker = await Broker.start(io, {
        nodeId: k + 1,
        listen: { host: name, port: kafkaPort },
        dataDir: 'kafka',
        cluster: controller,
        replication: { replicaLagTimeMaxMs: 5000, brokerHeartbeatIntervalMs: 300, minInsyncReplicas: 2 },
      });
      live.set(name, { broker, controller });
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

async function settle<T>(sim: Simulation, promise: Promise<T>, limitMs = 30_000): Promise<T> {
  let value: { v: T } | null = null;
  let failure: unknown = null;
  void promise.then(
    (v) => (value = { v }),
    (e: unknown) => (failure = e ?? new Error('rejected')),
  );
  const deadlineMs = sim.nowMs() + limitMs;
  await sim.run({ until: () => value !== null || failure !== null || sim.nowMs() > deadlineMs });
  if (failure !== null) throw failure;
  expect(value).not.toBeNull();
  return (value as unknown as { v: T }).v;
}

function batchOf(values: string[]): Uint8Array {
  const encoder = new TextEncoder();
  return recordBatch.encodeRecordBatch({ records: values.map((v) => ({ key: null, value: encoder.encode(v) })), baseTimestamp: 1_767_225_600_000n });
}

async function client(io: Io, host: string): Promise<KafkaWireClient> {
  return KafkaWireClient.connect(io, host, kafkaPort, { clientId: 'test', connectTimeoutMs: 500, requestTimeoutMs: 5000 });
}

describe('cluster: 3 brokers on the metadata quorum', () => {
  it('replicates RF=3, answers acks=all after the ISR has the batch, and fails over to an ISR member', async () => {
    const sim = new Simulation({ seed: 5 });
    const live = startCluster(sim);
    const io = sim.addClient('c1');
    // Every broker registers and lists all three in Metadata.
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((r) => r.controller.image().brokers().filter((b) => !b.fenced).length === 3) });
    for (const name of names) {
      const c = await settle(sim, client(io, name));
      const md = await settle(sim, c.request(ApiKey.Metadata, 8, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
      expect(md.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`)).toEqual(['1@n1:9092', '2@n2:9092', '3@n3:9092']);
      c.close();
    }

    const admin = await settle(sim, client(io, 'n2'));
    const created = await settle(sim, admin.request(ApiKey.CreateTopics, 3, { topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
    expect(created.topics[0]?.errorCode).toBe(ErrorCode.NONE);
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    const md = await settle(sim, admin.request(ApiKey.Metadata, 8, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    const p0 = md.topics[0]!.partitions[0]!;
    expect(p0.replicaNodes.slice().sort()).toEqual([1, 2, 3]);
    expect(p0.isrNodes.slice().sort()).toEqual([1, 2, 3]);
    const leaderName = `n${p0.leaderId}`;

    // A follower refuses produce; the leader answers acks=all.
    const follower = names.find((n) => n !== leaderName)!;
    const fc = await settle(sim, client(io, follower));
    const refused = await settle(sim, fc.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 2000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batchOf(['x']) }] }] }));
    expect(refused.responses[0]?.partitionResponses[0]?.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

    const lc = await settle(sim, client(io, leaderName));
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await settle(sim, lc.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batchOf([`v${i}`]) }] }] }));
      const pr = r.responses[0]!.partitionResponses[0]!;
      expect(pr.errorCode).toBe(ErrorCode.NONE);
      expect(pr.baseOffset).toBe(BigInt(i));
      acked.push(`v${i}`);
    }
    // Every replica holds every acknowledged batch (the high watermark passed them).
    await sim.run({ untilMs: sim.nowMs() + 1000 });
    for (const r of live.values()) expect(r.broker.topics.partition('orders', 0)?.log?.durableEndOffset).toBe(20n);

    // The leader crashes; another ISR member takes over with a higher epoch and the data.
    sim.node(leaderName).crash();
    live.delete(leaderName);
    let newLeader = -1;
    await sim.run({
      until: () => {
        const image = [...live.values()][0]!.controller.image();
        const p = image.topic('orders')?.partitions[0];
        newLeader = p?.leader ?? -1;
        return p !== undefined && p.leader !== p0.leaderId && p.leader > 0 && p.leaderEpoch > p0.leaderEpoch;
      },
      untilMs: sim.nowMs() + 30_000,
    });
    expect(newLeader).toBeGreaterThan(0);
    const nc = await settle(sim, client(io, `n${newLeader}`));
    let next: bigint = -1n;
    for (let attempt = 0; attempt < 50 && next < 0n; attempt++) {
      const r = await settle(sim, nc.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batchOf(['after']) }] }] }));
      const pr = r.responses[0]!.partitionResponses[0]!;
      if (pr.errorCode === ErrorCode.NONE) next = pr.baseOffset;
      else await settle(sim, sleep(io.clock, 200));
    }
    expect(next).toBe(20n);

    // The old leader restarts, follows, and catches up; every replica has the same 21 records.
    sim.node(leaderName).restart();
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((r) => r.broker.topics.partition('orders', 0)?.log?.durableEndOffset === 21n), untilMs: sim.nowMs() + 30_000 });
    const ends = [...live.values()].map((r) => r.broker.topics.partition('orders', 0)?.log?.durableEndOffset);
    expect(ends).toEqual([21n, 21n, 21n]);
    const fetched = await settle(sim, nc.request(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    }));
    const records = readRecords(fetched.responses[0]!.partitions[0]!.records as Uint8Array);
    expect(records.map((r) => r.value)).toEqual([...acked, 'after']);
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 21 }, (_, i) => BigInt(i)));
  });

  it('fences a crashed broker at once (its controller port refuses dials), a cut-off one only after its session', async () => {
    const sim = new Simulation({ seed: 5 });
    const live = startCluster(sim);
    const fenced = (id: number): boolean => [...live.values()].every((r) => r.controller.image().broker(id)?.fenced === true);
    const unfenced = (id: number): boolean => live.size === 3 && [...live.values()].every((r) => r.controller.image().broker(id)?.fenced === false);
    await sim.run({ until: () => [1, 2, 3].every(unfenced), untilMs: 30_000 });
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    expect([1, 2, 3].every(unfenced)).toBe(true);
    const active = [...live.values()][0]!.controller.controller.activeController();
    const victim = [1, 2, 3].find((id) => id !== active)!;
    const victimName = `n${victim}`;

    const crashedAtMs = sim.nowMs();
    sim.node(victimName).crash();
    live.delete(victimName);
    await sim.run({ until: () => fenced(victim), untilMs: sim.nowMs() + 10_000 });
    const crashFencedMs = sim.nowMs() - crashedAtMs;
    // The session is 3000 ms; the refused dial fences within the transport's reconnect backoff.
    expect(crashFencedMs).toBeLessThan(500);

    sim.node(victimName).restart();
    await sim.run({ until: () => unfenced(victim), untilMs: sim.nowMs() + 30_000 });
    expect(unfenced(victim)).toBe(true);
    const cutAtMs = sim.nowMs();
    for (const other of names) if (other !== victimName) sim.network.partition(victimName, other);
    const others = () => [...live.entries()].filter(([name]) => name !== victimName).map(([, r]) => r);
    await sim.run({ until: () => others().every((r) => r.controller.image().broker(victim)?.fenced === true), untilMs: sim.nowMs() + 30_000 });
    // A partition gives no refusal (dials time out): the broker keeps its session.
    expect(sim.nowMs() - cutAtMs).toBeGreaterThanOrEqual(3000);
    expect(crashFencedMs).toBeLessThan(sim.nowMs() - cutAtMs);
    sim.network.heal();
  });

  it('fences a crashed active controller\'s broker as soon as the next controller is elected', async () => {
    const sim = new Simulation({ seed: 6 });
    const live = startCluster(sim);
    const unfenced = (id: number): boolean => live.size === 3 && [...live.values()].every((r) => r.controller.image().broker(id)?.fenced === false);
    await sim.run({ until: () => [1, 2, 3].every(unfenced), untilMs: 30_000 });
    await sim.run({ untilMs: sim.nowMs() + 2000 });
    const victim = [...live.values()][0]!.controller.controller.activeController();
    const victimName = `n${victim}`;
    sim.node(victimName).crash();
    live.delete(victimName);
    const survivors = [...live.values()];
    await sim.run({ until: () => survivors.some((r) => r.controller.controller.isActive()), untilMs: sim.nowMs() + 10_000 });
    const electedAtMs = sim.nowMs();
    await sim.run({ until: () => survivors.every((r) => r.controller.image().broker(victim)?.fenced === true), untilMs: sim.nowMs() + 10_000 });
    // The old controller's voter was found gone before the election; the next session check would
    // come up to a quarter session (750 ms) later.
    expect(survivors.every((r) => r.controller.image().broker(victim)?.fenced === true)).toBe(true);
    expect(sim.nowMs() - electedAtMs).toBeLessThan(150);
  });

  it('grows a topic with CreatePartitions through any broker; the new partitions replicate and take acks=all', async () => {
    const sim = new Simulation({ seed: 9 });
    const live = startCluster(sim);
    const io = sim.addClient('c1');
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((r) => r.controller.image().brokers().filter((b) => !b.fenced).length === 3) });
    const admin = await settle(sim, client(io, 'n3'));
    const created = await settle(sim, admin.request(ApiKey.CreateTopics, 3, { topics: [{ name: 'grow', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
    expect(created.topics[0]?.errorCode).toBe(ErrorCode.NONE);
    const grow = (count: number) => settle(sim, admin.request(ApiKey.CreatePartitions, 1, { topics: [{ name: 'grow', count, assignments: null }], timeoutMs: 5000, validateOnly: false }));
    expect((await grow(3)).results[0]).toMatchObject({ name: 'grow', errorCode: ErrorCode.NONE });
    expect((await grow(2)).results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: "topic 'grow' has 3 partitions; the new count must be larger" });
    // Every broker builds the new partitions from its image; each gets a leader and a full ISR.
    await sim.run({ until: () => [...live.values()].every((r) => r.broker.topics.get('grow')?.partitions.length === 3), untilMs: sim.nowMs() + 5000 });
    const image = [...live.values()][0]!.controller.image();
    const p2 = image.topic('grow')!.partitions[2]!;
    expect(p2.isr.slice().sort()).toEqual([1, 2, 3]);
    const leader = await settle(sim, client(io, `n${p2.leader}`));
    let code = -1;
    for (let attempt = 0; attempt < 50 && code !== ErrorCode.NONE; attempt++) {
      const r = await settle(sim, leader.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'grow', partitionData: [{ index: 2, records: batchOf(['x']) }] }] }));
      code = r.responses[0]!.partitionResponses[0]!.errorCode;
      if (code !== ErrorCode.NONE) await settle(sim, sleep(io.clock, 100));
    }
    expect(code).toBe(ErrorCode.NONE);
    await sim.run({ until: () => [...live.values()].every((r) => r.broker.topics.partition('grow', 2)?.log?.durableEndOffset === 1n), untilMs: sim.nowMs() + 5000 });
    expect([...live.values()].map((r) => r.broker.topics.partition('grow', 2)?.log?.durableEndOffset)).toEqual([1n, 1n, 1n]);
  });

  it('keeps topic configs in the metadata log: CreateTopics and AlterConfigs through any broker reach every broker, and min.insync.replicas applies', async () => {
    const sim = new Simulation({ seed: 13 });
    const live = startCluster(sim);
    const io = sim.addClient('c1');
    await sim.run({ until: () => live.size === 3 && [...live.values()].every((r) => r.controller.image().brokers().filter((b) => !b.fenced).length === 3) });
    const n1 = await settle(sim, client(io, 'n1'));
    const created = await settle(sim, n1.request(ApiKey.CreateTopics, 3, { topics: [{ name: 'conf', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [{ name: 'retention.ms', value: '600000' }] }], timeoutMs: 5000, validateOnly: false }));
    expect(created.topics[0]?.errorCode).toBe(ErrorCode.NONE);
    const bad = await settle(sim, n1.request(ApiKey.CreateTopics, 3, { topics: [{ name: 'bad', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] }], timeoutMs: 5000, validateOnly: false }));
    expect(bad.topics[0]?.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const n2 = await settle(sim, client(io, 'n2'));
    const altered = await settle(sim, n2.request(ApiKey.IncrementalAlterConfigs, 0, { resources: [{ resourceType: 2, resourceName: 'conf', configs: [{ name: 'min.insync.replicas', configOperation: 0, value: '3' }] }], validateOnly: false }));
    expect(altered.responses[0]?.errorCode).toBe(ErrorCode.NONE);
    const wanted = { 'retention.ms': '600000', 'min.insync.replicas': '3' };
    await sim.run({ until: () => [...live.values()].every((r) => JSON.stringify(r.broker.topics.get('conf')?.configs) === JSON.stringify(wanted)), untilMs: sim.nowMs() + 5000 });
    for (const r of live.values()) expect(r.broker.topics.get('conf')?.configs).toEqual(wanted);
    // With min.insync.replicas=3, acks=all needs all three in the ISR: stop a follower and it is refused.
    const p0 = [...live.values()][0]!.controller.image().topic('conf')!.partitions[0]!;
    const follower = p0.replicas.find((b) => b !== p0.leader)!;
    sim.node(`n${follower}`).crash();
    live.delete(`n${follower}`);
    await sim.run({ until: () => [...live.values()].every((r) => r.controller.image().topic('conf')!.partitions[0]!.isr.length === 2), untilMs: sim.nowMs() + 10_000 });
    const leader = await settle(sim, client(io, `n${p0.leader}`));
    const r = await settle(sim, leader.request(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'conf', partitionData: [{ index: 0, records: batchOf(['x']) }] }] }));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
  });
});
