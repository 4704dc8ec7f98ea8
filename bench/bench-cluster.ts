/**
 * The brokers a bench runs against: one single-node broker (`chronik start` without `--voters`, as
 * `npm run bench` runs it) or N nodes started with the documented cluster command (`chronik start
 * --node-id N --voters ... --min-insync-replicas 2 --log-format json`, as chaos/cluster does). Each
 * node keeps its process's output (JSON log lines with wall-clock `time`) for the failover breakdown,
 * a node can be killed and started again on the same ports and data, and `stop()` stops every
 * process by PID and removes every data directory.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { BrokerProcess, freePort, tempDataDir } from '../chaos/broker-process.ts';

export interface BenchNode {
  readonly id: number;
  readonly kafkaPort: number;
  readonly dir: { dir: string; remove(): void };
  process: BrokerProcess | null;
}

const startTimeoutMs = 60_000;
const stopTimeoutMs = 60_000;

export class BenchCluster {
  private adminClient: Admin | null = null;

  private constructor(
    readonly nodes: BenchNode[],
    private readonly voters: string | null,
    private readonly extraArgs: string[],
  ) {}

  /** `extraArgs` go to every node's `chronik start` (e.g. `--broker-session-timeout-ms 1000`). */
  static async start(nodeCount: number, name: string, extraArgs: string[] = []): Promise<BenchCluster> {
    const nodes: BenchNode[] = [];
    for (let id = 1; id <= nodeCount; id++) nodes.push({ id, kafkaPort: await freePort(), dir: tempDataDir(`${name}-${id}`), process: null });
    const controllerPorts = await Promise.all(nodes.map(() => freePort()));
    const voters = nodeCount === 1 ? null : nodes.map((n, k) => `${n.id}@127.0.0.1:${controllerPorts[k]}`).join(',');
    const cluster = new BenchCluster(nodes, voters, extraArgs);
    try {
      await Promise.all(nodes.map((n) => cluster.startNode(n)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Starts (or restarts, on the same port and data) one node; resolves once it serves. */
  async startNode(node: BenchNode): Promise<void> {
    const clusterArgs = this.voters === null ? [] : ['--node-id', String(node.id), '--voters', this.voters, '--min-insync-replicas', '2', '--log-format', 'json'];
    const args = [...clusterArgs, ...this.extraArgs];
    node.process = await BrokerProcess.start({
      dataDir: node.dir.dir,
      port: node.kafkaPort,
      args,
      ready: (line) => line.includes(this.voters === null ? '"BrokerStarted"' : '"BrokerRegistered"'),
      startTimeoutMs,
    });
  }

  /** The Kafka addresses of the nodes now running, comma-separated. */
  bootstrap(): string {
    return this.live().map((n) => `127.0.0.1:${n.kafkaPort}`).join(',');
  }

  live(): BenchNode[] {
    return this.nodes.filter((n) => n.process !== null);
  }

  async admin(): Promise<Admin> {
    if (this.adminClient === null) {
      const kafka = new Kafka({
        clientId: 'bench-admin',
        brokers: this.nodes.map((n) => `127.0.0.1:${n.kafkaPort}`),
        logLevel: logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      this.adminClient = kafka.admin();
      await this.adminClient.connect();
    }
    return this.adminClient;
  }

  /** A topic of one partition with `replicationFactor` replicas, once every replica is in the ISR. */
  async createTopic(topic: string, replicationFactor: number): Promise<string> {
    const admin = await this.admin();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor }], waitForLeaders: true });
    await waitFullIsr(this, topic, replicationFactor);
    return topic;
  }

  async stop(): Promise<void> {
    await this.adminClient?.disconnect().catch(() => undefined);
    await Promise.all(this.nodes.map((n) => n.process?.stop(stopTimeoutMs)));
    for (const n of this.nodes) {
      n.process = null;
      n.dir.remove();
    }
  }
}

/** Partition 0's leader and ISR as a broker reports them (leader -1 while an election is on). */
export async function partitionState(cluster: BenchCluster, topic: string): Promise<{ leader: number; isr: number[] }> {
  const md = await (await cluster.admin()).fetchTopicMetadata({ topics: [topic] });
  const p = md.topics[0]!.partitions.find((x) => x.partitionId === 0)!;
  return { leader: p.leader, isr: p.isr };
}

export async function waitFullIsr(cluster: BenchCluster, topic: string, replicas: number, timeoutMs = 60_000): Promise<{ leader: number; isr: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await partitionState(cluster, topic).catch(() => null);
    if (state !== null && state.leader >= 0 && state.isr.length === replicas) return state;
    if (Date.now() > deadline) throw new Error(`${topic}: the ISR did not reach ${replicas} replicas within ${timeoutMs} ms (last seen ${JSON.stringify(state)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
