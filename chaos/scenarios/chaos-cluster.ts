/**
 * A cluster of real `chronik start` processes on loopback with every link behind the fault proxy:
 *
 *   clients  -> `kafka clients->N` -> broker N's Kafka port     (addresses rewritten for clients)
 *   broker M -> `kafka brokers->N` -> broker N's Kafka port     (follower fetches; N advertises this)
 *   voter M  -> `raft M->N`        -> voter N's controller port (node M's --voters points here)
 *
 * Node N is started as docs/replication.md's "Running a cluster" says, with `--advertised` set to
 * its `kafka brokers->N` listener and its own `--voters` list: its own entry is its real controller
 * port (it listens there), the others are the proxy's `raft N->K` listeners. With one node it runs
 * without --voters (a single-node broker), still behind the proxy.
 *
 * Process faults are signals to the PID it started: kill -9, SIGTERM, SIGSTOP/SIGCONT.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { BrokerProcess, freePort, tempDataDir } from '../broker-process.ts';
import { FaultProxy, type HostPort } from '../proxy/fault-proxy.ts';

export interface ChaosNode {
  readonly id: number;
  readonly kafkaPort: number;
  readonly controllerPort: number;
  readonly dir: { dir: string; remove(): void };
  /** Where clients dial node N (the proxy). */
  clientAddress: HostPort;
  /** What node N advertises (the proxy's listener for other brokers). */
  brokerAddress: HostPort;
  process: BrokerProcess | null;
  paused: boolean;
}

export interface ChaosClusterOptions {
  readonly nodes: 1 | 3;
  /** Extra environment for every broker (e.g. CHRONIK_TEST_ONLY_BUGS). */
  readonly env?: Record<string, string>;
  readonly name: string;
}

const startTimeoutMs = 60_000;

export class ChaosCluster {
  /** Every cluster not yet closed, so a crashing runner can still kill its processes by PID. */
  static readonly live = new Set<ChaosCluster>();
  readonly proxy = new FaultProxy();
  readonly nodes: ChaosNode[] = [];
  /** Every process started, for the output dump when a scenario fails. */
  readonly started: BrokerProcess[] = [];

  private constructor(private readonly options: ChaosClusterOptions) {}

  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(options);
    ChaosCluster.live.add(cluster);
    try {
      await cluster.wire();
      await Promise.all(cluster.nodes.map((n) => cluster.startNode(n.id)));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Allocates ports and opens every proxy link before any broker starts (they need the addresses). */
  private async wire(): Promise<void> {
    for (let id = 1; id <= this.options.nodes; id++) {
      const kafkaPort = await freePort();
      const node: ChaosNode = {
        id, kafkaPort, controllerPort: await freePort(), dir: tempDataDir(`${this.options.name}-${id}`),
        clientAddress: { host: '127.0.0.1', port: 0 }, brokerAddress: { host: '127.0.0.1', port: 0 }, process: null, paused: false,
      };
      const target = { host: '127.0.0.1', port: kafkaPort };
      node.brokerAddress = (await this.proxy.addLink({ name: `kafka brokers->${id}`, to: String(id), kafka: true, target })).address;
      node.clientAddress = (await this.proxy.addLink({ name: `kafka clients->${id}`, to: String(id), kafka: true, target, rewrite: (a) => this.clientAddressFor(a) })).address;
      this.nodes.push(node);
    }
    if (this.options.nodes === 1) return;
    for (const from of this.nodes) {
      for (const to of this.nodes) {
        if (from === to) continue;
        await this.proxy.addLink({ name: `raft ${from.id}->${to.id}`, from: String(from.id), to: String(to.id), target: { host: '127.0.0.1', port: to.controllerPort } });
      }
    }
  }

  /** Clients see node N at its `kafka clients->N` listener instead of what it advertises. */
  private clientAddressFor(advertised: HostPort): HostPort | null {
    const node = this.nodes.find((n) => n.brokerAddress.port === advertised.port && n.brokerAddress.host === advertised.host);
    return node === undefined ? null : node.clientAddress;
  }

  private votersFor(node: ChaosNode): string {
    return this.nodes
      .map((n) => (n === node ? `${n.id}@127.0.0.1:${n.controllerPort}` : `${n.id}@127.0.0.1:${this.proxy.links.get(`raft ${node.id}->${n.id}`)!.port}`))
      .join(',');
  }

  node(id: number): ChaosNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  async startNode(id: number): Promise<void> {
    const node = this.node(id);
    if (node.process !== null) throw new Error(`node ${id} is running`);
    const clusterArgs = this.options.nodes === 1 ? [] : ['--node-id', String(id), '--voters', this.votersFor(node), '--min-insync-replicas', '2', '--default-replication-factor', '3', '--replica-lag-time-max-ms', '5000'];
    node.process = await BrokerProcess.start({
      dataDir: node.dir.dir,
      port: node.kafkaPort,
      args: ['--advertised', `127.0.0.1:${node.brokerAddress.port}`, '--log-format', 'json', ...clusterArgs],
      ready: this.options.nodes === 1 ? undefined : (line) => line.includes('"BrokerRegistered"'),
      startTimeoutMs,
      env: this.options.env,
    });
    node.paused = false;
    this.started.push(node.process);
  }

  /** kill -9, waits for the exit. */
  async kill(id: number): Promise<void> {
    const node = this.node(id);
    node.process?.kill('SIGKILL');
    await node.process?.waitExit(10_000);
    node.process = null;
  }

  /** SIGTERM (a controlled shutdown); resolves with the exit code. */
  async terminate(id: number): Promise<number | null> {
    const node = this.node(id);
    const exit = await node.process!.stop(30_000);
    node.process = null;
    return exit.code;
  }

  pause(id: number): void {
    this.node(id).process!.kill('SIGSTOP');
    this.node(id).paused = true;
  }

  resume(id: number): void {
    this.node(id).process!.kill('SIGCONT');
    this.node(id).paused = false;
  }

  /** Client bootstrap addresses (through the proxy). */
  bootstrap(): string[] {
    return this.nodes.map((n) => `${n.clientAddress.host}:${n.clientAddress.port}`);
  }

  kafka(clientId: string, options: { retries?: number; requestTimeoutMs?: number } = {}): Kafka {
    return new Kafka({
      clientId,
      brokers: this.bootstrap(),
      logLevel: logLevel.NOTHING,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      connectionTimeout: 3000,
      retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /**
   * Resolves once `check` holds, asking every 200 ms; throws after `timeoutMs`, or as soon as
   * `giveUp` names a reason (e.g. a broker crashed: waiting longer cannot help).
   */
  static async until(what: string, check: () => Promise<boolean>, timeoutMs: number, giveUp: () => string | null = () => null): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) return;
      const reason = giveUp();
      if (reason !== null) throw new Error(`gave up waiting for ${what}: ${reason}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Leader and ISR of a partition as a fresh admin sees them (-1 while there is none). */
  async partitionState(admin: Admin, topic: string, partition: number): Promise<{ leader: number; isr: number[] }> {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = md.topics[0]!.partitions.find((x) => x.partitionId === partition)!;
    return { leader: p.leader, isr: p.isr };
  }

  /** Waits until every partition of the topic has a leader and an ISR of `size`. */
  async waitForIsr(topic: string, size: number, timeoutMs = 60_000): Promise<void> {
    const admin = this.kafka('isr-wait').admin();
    await admin.connect();
    try {
      await ChaosCluster.until(`every ISR of ${topic} at ${size}`, async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        return md.topics[0]!.partitions.every((p) => p.leader > 0 && p.isr.length >= size);
      }, timeoutMs, () => this.crashes()[0] ?? null);
    } finally {
      await admin.disconnect();
    }
  }

  async leaderOf(topic: string, partition: number, timeoutMs = 30_000): Promise<number> {
    const admin = this.kafka('leader-of').admin();
    await admin.connect();
    let leader = -1;
    try {
      await ChaosCluster.until(`a leader of ${topic}/${partition}`, async () => {
        leader = (await this.partitionState(admin, topic, partition)).leader;
        return leader > 0;
      }, timeoutMs);
    } finally {
      await admin.disconnect();
    }
    return leader;
  }

  /**
   * Every process that ended without the suite telling it to (the suite ends processes only by
   * signal): node, pid, how it ended and the line that says why (an assertion, an uncaught error).
   */
  crashes(): string[] {
    const out: string[] = [];
    for (const p of this.started) {
      const exit = p.exitedOnItsOwn();
      if (exit === null) continue;
      const node = this.nodes.find((n) => n.dir.dir === p.dataDir)?.id ?? '?';
      const why = p.output.find((line) => /^\w*Error: /.test(line)) ?? p.output.at(-1) ?? '';
      out.push(`node ${node} (pid ${p.pid}) exited by itself (${exit.signal ?? `code ${exit.code}`}): ${why.slice(0, 300)}`);
    }
    return out;
  }

  /** Last lines of every process's output, for a failed scenario. */
  outputTail(lines = 30): string {
    return this.started.map((p, k) => `--- process ${k} (pid ${p.pid}) ---\n${p.output.slice(-lines).join('\n')}`).join('\n');
  }

  /** SIGKILL to every process still running (for a runner that is about to die). */
  killAll(): void {
    for (const n of this.nodes) n.process?.kill('SIGKILL');
  }

  async close(): Promise<void> {
    ChaosCluster.live.delete(this);
    for (const n of this.nodes) if (n.paused) this.resume(n.id);
    await Promise.all(this.nodes.map(async (n) => {
      await n.process?.stop(20_000);
      n.process = null;
    }));
    await this.proxy.close();
    if (process.env['CHRONIK_KEEP'] === undefined) for (const n of this.nodes) n.dir.remove();
  }
}
