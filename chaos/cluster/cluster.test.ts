/**
 * A 3-node cluster of real processes on loopback, started with the documented command
 * (`chronik start --node-id N --voters 1@h:p,2@h:p,3@h:p --listen h:p`), driven by kafkajs and by
 * librdkafka (python3-confluent-kafka):
 * - every broker serves Metadata for the whole cluster (an earlier broker of this kind had nodes 2
 *   and 3 refuse clients);
 * - RF=3, min.insync.replicas=2, idempotent acks=all producers: kill -9 the partition leader in the
 *   middle and the producer carries on against the new leader; the killed node restarts, rejoins
 *   the ISR and catches up; then every node is restarted with SIGTERM, one after another, under load
 *   (controlled shutdown moves leadership first);
 * - at the end a consumer reads every partition: every acknowledged value is there exactly once;
 * - a group's committed offsets survive a kill -9 of its coordinator (they are replicated in the
 *   internal offsets topic).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, freePort, repoRoot, tempDataDir } from '../broker-process.ts';
import { offsetsPartitionFor, offsetsTopicName } from '../../src/core/cluster/offsets-topic.ts';

const run = promisify(execFile);
const topic = 'orders';
const partitions = 3;

interface Node {
  id: number;
  kafkaPort: number;
  metricsPort: number;
  dir: { dir: string; remove(): void };
  process: BrokerProcess | null;
}

const nodes: Node[] = [];
/** Every process started, for the output dump on failure. */
const started: BrokerProcess[] = [];
let voters = '';
let bootstrap: string[] = [];

async function startNode(node: Node): Promise<void> {
  node.process = await BrokerProcess.start({
    dataDir: node.dir.dir,
    port: node.kafkaPort,
    args: ['--node-id', String(node.id), '--voters', voters, '--min-insync-replicas', '2', '--log-format', 'json', '--metrics-listen', `127.0.0.1:${node.metricsPort}`],
    ready: (line) => line.includes('"BrokerRegistered"'),
    startTimeoutMs: 60_000,
  });
  started.push(node.process);
}

function kafka(clientId: string): Kafka {
  return new Kafka({ clientId, brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
}

/** The partition's leader and ISR, asking again while it has none (an election in progress). */
async function leaderOf(admin: Admin, partition: number): Promise<{ leader: number; isr: number[] }> {
  let found: { leader: number; isr: number[] } | null = null;
  await until(`a leader for partition ${partition}`, async () => {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = md.topics[0]!.partitions.find((x) => x.partitionId === partition)!;
    found = { leader: p.leader, isr: p.isr };
    return p.leader >= 0;
  }, 30_000);
  return found!;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Sends `values` one message per send (acks=all), recording what was acknowledged. Each message has
 * a key: kafkajs retries a failed send() whole, and a keyless message would be re-partitioned with
 * the next sequence number of another partition (a duplicate there), while the first partition's
 * next message reuses the unacknowledged sequence and is taken for a duplicate of the first attempt
 * (a loss). Keyed, a retry goes to the same partition with the same sequence, as the idempotent
 * producer protocol intends.
 */
async function produceAll(producer: Producer, values: string[], acked: Set<string>): Promise<void> {
  for (const value of values) {
    await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
    acked.add(value);
  }
}

beforeAll(async () => {
  // A port freePort() found free can be taken before the broker binds it (another test file's client
  // gets it as its ephemeral port: one run of the suite failed so). Such a start is tried again on
  // fresh ports and fresh data directories; any other failure fails at once.
  for (let attempt = 1; ; attempt++) {
    nodes.length = 0;
    for (let id = 1; id <= 3; id++) {
      nodes.push({ id, kafkaPort: await freePort(), metricsPort: await freePort(), dir: tempDataDir(`cluster-${id}`), process: null });
    }
    const controllerPorts = [await freePort(), await freePort(), await freePort()];
    voters = nodes.map((n, k) => `${n.id}@127.0.0.1:${controllerPorts[k]}`).join(',');
    bootstrap = nodes.map((n) => `127.0.0.1:${n.kafkaPort}`);
    const failed = (await Promise.allSettled(nodes.map(startNode))).find((r) => r.status === 'rejected');
    if (failed === undefined) return;
    await Promise.all(nodes.map((n) => n.process?.stop(30_000)));
    for (const n of nodes) n.dir.remove();
    if (attempt === 3 || !String(failed.reason).includes('address already in use')) throw failed.reason;
  }
}, 240_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.process?.stop(30_000)));
  if (process.env["CHRONIK_KEEP"] === undefined) for (const n of nodes) n.dir.remove();
  else {
    const { writeFileSync } = await import('node:fs');
    started.forEach((p, k) => writeFileSync(`${p.dataDir}/../${path.basename(p.dataDir)}-out-${k}.txt`, p.output.join('\n')));
    console.log(nodes.map((n) => n.dir.dir).join(' '));
  }
}, 120_000);

describe('a 3-node cluster of real processes', () => {
  it('every broker answers Metadata with all three brokers', async () => {
    for (const node of nodes) {
      const admin = new Kafka({ clientId: 'md', brokers: [`127.0.0.1:${node.kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(cluster.brokers.map((b) => b.port).sort()).toEqual(nodes.map((n) => n.kafkaPort).sort());
      await admin.disconnect();
    }
  });

  it("every node's metrics endpoint shows its Raft state: one active controller, one term", async () => {
    const scrape = async (node: Node): Promise<Map<string, number>> => {
      const text = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).text();
      const values = new Map<string, number>();
      for (const line of text.split('\n')) {
        const match = /^(chronik_raft_[a-z_]+) (\S+)$/.exec(line);
        if (match !== null) values.set(match[1]!, Number(match[2]));
      }
      return values;
    };
    let scraped: Map<string, number>[] = [];
    await until('one active controller in every scrape', async () => {
      scraped = await Promise.all(nodes.map(scrape));
      return scraped.every((v) => v.get('chronik_raft_leader')! > 0) && scraped.map((v) => v.get('chronik_raft_is_leader')).sort().join() === '0,0,1';
    }, 30_000);
    expect(new Set(scraped.map((v) => v.get('chronik_raft_term'))).size).toBe(1);
    for (const v of scraped) {
      expect(v.get('chronik_raft_commit_index')).toBeGreaterThan(0);
      expect(v.get('chronik_raft_failed')).toBe(0);
    }
  });

  it('grows a topic with CreatePartitions and alters its configs (kafkajs admin): every broker has both, and the new partitions take acks=all writes', async () => {
    const admin = kafka('admin-grow').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    await admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 3 }] });
    await until('3 partitions of grow with leaders', async () => {
      const md = await admin.fetchTopicMetadata({ topics: ['grow'] });
      return md.topics[0]!.partitions.length === 3 && md.topics[0]!.partitions.every((p) => p.leader > 0);
    }, 30_000);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 2 }] })).rejects.toThrow(/Number of partitions is invalid/);
    // Topic configs are in the metadata log: altered through one broker, every broker describes them.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'grow', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await admin.disconnect();
    for (const node of nodes) {
      const one = new Kafka({ clientId: 'describe', brokers: [`127.0.0.1:${node.kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
      await one.connect();
      await until(`broker ${node.id} to describe retention.ms of grow`, async () => {
        const described = await one.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'grow', configNames: ['retention.ms'] }] });
        return described.resources[0]!.configEntries[0]?.configValue === '3600000';
      }, 10_000);
      await one.disconnect();
    }
    const producer = kafka('grow').producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: 'grow', acks: -1, messages: [{ partition: 2, value: 'x' }] });
    await producer.disconnect();
    expect(sent).toMatchObject({ partition: 2, errorCode: 0 });
  });

  it('loses nothing acknowledged through a leader kill -9, a rejoin, and a rolling SIGTERM restart; no duplicates', async () => {
    const admin = kafka('admin').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true });
    await until('full ISRs', async () => (await Promise.all([0, 1, 2].map((p) => leaderOf(admin, p)))).every((p) => p.isr.length === 3), 30_000);

    const producer = kafka('producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const acked = new Set<string>();
    await produceAll(producer, Array.from({ length: 60 }, (_, i) => `a${i}`), acked);

    // kill -9 the leader of partition 0 while producing.
    const { leader } = await leaderOf(admin, 0);
    const victim = nodes.find((n) => n.id === leader)!;
    const killedAtMs = Date.now();
    victim.process!.kill('SIGKILL');
    await victim.process!.waitExit(10_000);
    victim.process = null;
    await produceAll(producer, Array.from({ length: 60 }, (_, i) => `b${i}`), acked);
    const failoverMs = Date.now() - killedAtMs;
    await until('a new leader for partition 0', async () => (await leaderOf(admin, 0)).leader !== leader, 30_000);

    // librdkafka's idempotent acks=all producer, with one broker down (min.insync.replicas=2 holds).
    const bootstrapLive = nodes.filter((n) => n.process !== null).map((n) => `127.0.0.1:${n.kafkaPort}`).join(',');
    const { stdout } = await run('/usr/bin/python3', [path.join(repoRoot, 'chaos/clients/python/confluent_cluster_produce.py'), bootstrapLive, topic, 'c', '200'], { timeout: 120_000 });
    const rd = JSON.parse(stdout.trim().split('\n').at(-1)!) as { acked: number; failed: number; errors: string[] };
    expect(rd).toEqual({ acked: 200, failed: 0, errors: [] });
    for (let i = 0; i < 200; i++) acked.add(`c${i}`);

    // The killed node comes back and catches up: every ISR is full again.
    await startNode(victim);
    await until('full ISRs after the rejoin', async () => (await Promise.all([0, 1, 2].map((p) => leaderOf(admin, p)))).every((p) => p.isr.length === 3), 60_000);

    // Rolling SIGTERM restart of all three, with a producer running throughout.
    let producing = true;
    let rollingCount = 0;
    const load = (async () => {
      while (producing) {
        await produceAll(producer, [`r${rollingCount}`], acked);
        rollingCount++;
      }
    })();
    for (const node of nodes) {
      const exit = await node.process!.stop(30_000);
      expect(exit.code).toBe(0);
      node.process = null;
      await startNode(node);
      await until(`full ISRs after restarting node ${node.id}`, async () => (await Promise.all([0, 1, 2].map((p) => leaderOf(admin, p)))).every((p) => p.isr.length === 3), 60_000);
    }
    producing = false;
    await load;
    expect(rollingCount).toBeGreaterThan(0);
    await producer.disconnect();

    // Read everything back.
    const consumer = kafka('checker').consumer({ groupId: 'checker' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<string, number>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        void admin.fetchTopicOffsets(topic).then((offsets) => {
          const missing = [...acked].filter((v) => !seen.has(v));
          reject(new Error(`read ${seen.size} of ${acked.size} values; missing ${missing.slice(0, 10).join(',')}; offsets ${JSON.stringify(offsets)}`));
        }, reject);
      }, 60_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const value = message.value!.toString();
          seen.set(value, (seen.get(value) ?? 0) + 1);
          if ([...acked].every((v) => seen.has(v))) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    await admin.disconnect();
    const lost = [...acked].filter((v) => !seen.has(v));
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    expect({ lost, duplicated }).toEqual({ lost: [], duplicated: [] });
    console.log(`cluster chaos: ${acked.size} acknowledged, 0 lost, 0 duplicated; kill -9 to 60 more acks: ${failoverMs} ms; rolling restart produced ${rollingCount}`);
  });

  it("keeps a group's committed offsets through a kill -9 of its coordinator", async () => {
    const groupId = 'survivor';
    const admin = kafka('admin-groups').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true });
    const committed = [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }, { partition: 2, offset: '9' }];
    await admin.setOffsets({ groupId, topic, partitions: committed });
    // The coordinator is the leader of the group's partition of the internal offsets topic.
    const md = await admin.fetchTopicMetadata({ topics: [offsetsTopicName] });
    const coordinatorId = md.topics[0]!.partitions.find((p) => p.partitionId === offsetsPartitionFor(groupId, md.topics[0]!.partitions.length))!.leader;
    await admin.disconnect();
    const victim = nodes.find((n) => n.id === coordinatorId)!;
    victim.process!.kill('SIGKILL');
    await victim.process!.waitExit(10_000);
    victim.process = null;
    const live = nodes.filter((n) => n.process !== null).map((n) => `127.0.0.1:${n.kafkaPort}`);
    const after = new Kafka({ clientId: 'after', brokers: live, logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } }).admin();
    await after.connect();
    // kafkajs' admin.fetchOffsets does not retry NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS
    // (its consumer does): ask again, as a client would, while the new coordinator takes over.
    let fetched: Awaited<ReturnType<Admin['fetchOffsets']>> = [];
    await until('the committed offsets from the new coordinator', async () => {
      fetched = await after.fetchOffsets({ groupId, topics: [topic] });
      return true;
    }, 30_000);
    await after.disconnect();
    const offsets = fetched[0]!.partitions.map((p) => ({ partition: p.partition, offset: p.offset })).sort((a, b) => a.partition - b.partition);
    expect(offsets).toEqual(committed);
    await startNode(victim);
  });
});
