import { Broker } from '../../src/core/broker/index.ts';
import { sleep, type Io } from '../../src/core/io/index.ts';
import type { Random } from '../../src/core/io/random.ts';
import { ControllerNode } from '../../src/core/metadata/controller-node.ts';
import { ApiKey, ErrorCode } from '../../src/core/protocol/index.ts';
import { KafkaWireClient } from '../../src/core/protocol/wire-client.ts';
import type { Simulation, SimNode } from '../../src/io-sim/index.ts';
import type { Acks, ProduceOp } from '../checkers/kafka-history.ts';
import { checkReplicasAgree, ReplicaMonitor, type ReplicaBatch, type ReplicaLog, type ReplicaView } from '../checkers/replica-consistency.ts';
import { splitBatches } from '../../src/core/log/record-batch.ts';
import { replicaRebuildReadBytes } from '../../src/core/limits.ts';
import type { CoverageGoal, Scenario, ScenarioOptions, ScenarioResult } from '../scenario.ts';
import { clusterNotWritten, commitPositions, fetchCommitted, fetchOnce, produceOutcome, valuesBatch, WorkloadRun, workloadTopic as topic } from '../workload/kafka-ops.ts';

/**
 * A cluster of 3 or 5 nodes, each a controller voter and a broker (combined mode), over the simulated
 * network. Topic `events`: 3 partitions, RF=3, min.insync.replicas=2. Producers (plain with acks=1 and
 * acks=all, sometimes pipelining on one partition; two idempotent ones with acks=all) find each
 * partition's leader through Metadata and follow it across failovers; a consumer reads every
 * partition from its leader during the faults. The fault plan crashes nodes (losing unsynced bytes,
 * tearing writes), stops them gracefully (controlled shutdown), partitions one node from the others
 * (both ways or one way), resets connections mid-frame, fails fsyncs and slows disks; up to all but
 * one node may be down at once. Rolling restarts run for faultsMs from the moment the topic exists.
 *
 * Judged by the shared Kafka history checker: no acknowledged acks=all write lost (no scenario
 * here loses a whole disk), one value per offset, no duplicates from idempotent producers,
 * per-producer order, no producer id handed out twice (across brokers and restarts), reads only of
 * data that stays and only below the high watermark, failed writes absent, a dense final log,
 * committed group offsets never going back. And by the replica checks
 * (sim/checkers/replica-consistency.ts) over the brokers' own state: between every two events, a
 * leader holds every committed offset and every ISR member holds the leader's high watermark; at the
 * end, the replicas' batches agree below it. Liveness: once every node is back and the network
 * healed, within `livenessMs` of virtual time every partition has a leader and a full ISR in every
 * node's image, every producer gets an ack and the consumer an offset commit acknowledged.
 */

const partitions = 3;
const allPartitions = Array.from({ length: partitions }, (_, p) => p);
const group = 'sim-group';
const kafkaPort = 9092;
const controllerPort = 9093;
const faultsMs = 4000;
/** ensureTopic gives up after 400 attempts, each at least 50 ms apart. */
const topicWaitMsMax = 60_000;
const livenessMs = 8000;
const sessionMs = 1500;

const initialCounts = { coordinatorsFound: 0, controllerRestarts: 0, produced: 0, retries: 0, pipelined: 0, crashes: 0, stops: 0, rollingRestarts: 0, partitions: 0, resets: 0, syncFailures: 0 };

class Run extends WorkloadRun<typeof initialCounts> {
  /** Every producer id InitProducerId handed out, with who got it: each call must get a fresh one. */
  private readonly producerIds = new Map<bigint, string>();

  constructor() {
    super({ ...initialCounts });
  }

  /** Fails the run when `producerId` was handed out before (by any broker, to any producer). */
  producerIdHandedOut(producerId: bigint, to: string, atMs: number): void {
    const before = this.producerIds.get(producerId);
    if (before !== undefined) this.fail(`duplicate-producer-id: ${producerId} given to ${to} at ${atMs} ms, already given to ${before}`);
    else this.producerIds.set(producerId, `${to} at ${atMs} ms`);
  }
}

/** Errors after which a client refreshes its metadata: the partition's leader is elsewhere. */
const leaderMoved = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
]);

/** A client's view of the cluster: partition leaders from Metadata, one connection per broker. */
class Router {
  private readonly leaders = new Map<number, string>();
  private readonly clients = new Map<string, KafkaWireClient>();

  constructor(
    private readonly io: Io,
    private readonly name: string,
    private readonly brokers: readonly string[],
    private readonly run: Run,
    private readonly random: Random,
  ) {}

  /** A connection to `partition`'s leader, or null when none is known and reachable now. */
  async forPartition(partition: number): Promise<KafkaWireClient | null> {
    if (!this.leaders.has(partition)) await this.refresh();
    const leader = this.leaders.get(partition);
    return leader === undefined ? null : this.connect(leader);
  }

  /** Forgets what it knew about `partition` (and the connection, when it failed). */
  invalidate(partition: number, client: KafkaWireClient | null): void {
    this.leaders.delete(partition);
    if (client !== null && client.closed) {
      for (const [broker, c] of this.clients) if (c === client) this.drop(broker);
    }
  }

  /** A connection to `group`'s coordinator, found by asking a random broker (FindCoordinator); null when none answers now. */
  async coordinator(group: string): Promise<KafkaWireClient | null> {
    const broker = this.brokers[this.random.int(this.brokers.length)]!;
    const client = await this.connect(broker);
    if (client === null) return null;
    const answer = await client.request(ApiKey.FindCoordinator, 2, { key: group, keyType: 0 }).catch(() => null);
    if (client.closed) this.drop(broker);
    if (answer === null || answer.errorCode !== ErrorCode.NONE) return null;
    return this.connect(answer.host);
  }

  closeAll(): void {
    for (const broker of [...this.clients.keys()]) this.drop(broker);
  }

  private drop(broker: string): void {
    this.run.close(this.name, this.clients.get(broker) ?? null);
    this.clients.delete(broker);
  }

  private async connect(broker: string): Promise<KafkaWireClient | null> {
    const known = this.clients.get(broker);
    if (known !== undefined && !known.closed) return known;
    if (known !== undefined) this.drop(broker);
    try {
      const client = await KafkaWireClient.connect(this.io, broker, kafkaPort, { clientId: this.name, connectTimeoutMs: 300, requestTimeoutMs: 2500 });
      this.clients.set(broker, client);
      return client;
    } catch {
      return null;
    }
  }

  /** Asks one broker (tried in a random order) for the topic's partition leaders. */
  private async refresh(): Promise<void> {
    const order = [...this.brokers].sort(() => this.random.int(3) - 1);
    for (const broker of order) {
      const client = await this.connect(broker);
      if (client === null) continue;
      const md = await client
        .request(ApiKey.Metadata, 8, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })
        .catch(() => null);
      const t = md?.topics[0];
      if (md === null || t === undefined || t.errorCode !== ErrorCode.NONE) {
        if (md === null) this.drop(broker);
        continue;
      }
      const names = new Map(md.brokers.map((b) => [b.nodeId, b.host]));
      for (const p of t.partitions) {
        const host = names.get(p.leaderId);
        if (p.errorCode === ErrorCode.NONE && host !== undefined) this.leaders.set(p.partitionIndex, host);
      }
      return;
    }
  }
}

async function ensureTopic(io: Io, sim: Simulation, run: Run, brokers: readonly string[], replicas: number): Promise<void> {
  const router = new Router(io, 'admin', brokers, run, io.random.fork('admin'));
  for (let attempt = 0; attempt < 400; attempt++) {
    const client = await router.forPartition(0).then((c) => c ?? KafkaWireClient.connect(io, brokers[attempt % brokers.length]!, kafkaPort, { connectTimeoutMs: 300, requestTimeoutMs: 2500 }).catch(() => null));
    if (client !== null) {
      const response = await client
        .request(ApiKey.CreateTopics, 3, { topics: [{ name: topic, numPartitions: partitions, replicationFactor: replicas, assignments: [], configs: [] }], timeoutMs: 2000, validateOnly: false })
        .catch(() => null);
      const code = response?.topics[0]?.errorCode;
      if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) {
        router.closeAll();
        run.close('admin', client);
        return;
      }
      run.close('admin', client);
    }
    router.invalidate(0, null);
    await sleep(io.clock, 50);
  }
  sim.fail('could not create the topic in 400 attempts');
}

interface PendingBatch {
  partition: number;
  values: string[];
  sequence: number;
}

type Identity = { producerId: bigint; epoch: number } | null;

const producerFenced = new Set<number>([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_EPOCH]);

/** Sends one batch to its partition's leader and records it; resolves with the error code (undefined: no answer). */
async function sendBatch(io: Io, run: Run, name: string, client: KafkaWireClient, send: PendingBatch, acks: Acks, identity: Identity): Promise<number | undefined> {
  const records = valuesBatch(send.values, identity === null ? undefined : { ...identity, sequence: send.sequence });
  const body = { transactionalId: null, acks, timeoutMs: 2000, topicData: [{ name: topic, partitionData: [{ index: send.partition, records }] }] };
  run.counts.produced += send.values.length;
  const op = run.history.produce({ process: name, idempotent: identity !== null, acks, topic, partition: send.partition, values: send.values }, io.clock.nowMs());
  const response = await client.request(ApiKey.Produce, 7, body).catch((error: Error) => error.message);
  const answer = typeof response === 'string' ? undefined : response.responses[0]?.partitionResponses[0];
  if (answer === undefined) {
    run.history.complete(op, { type: 'info', reason: typeof response === 'string' ? response : 'no partition in the response' }, io.clock.nowMs());
    return undefined;
  }
  run.history.complete(op, produceOutcome(answer.errorCode, answer.baseOffset, clusterNotWritten), io.clock.nowMs());
  if (answer.errorCode === ErrorCode.NONE) run.lastAckMs.set(name, io.clock.nowMs());
  return answer.errorCode;
}

function nextBatch(random: Random, name: string, next: () => number, partition: number, sequences: Map<number, number>, idempotent: boolean): PendingBatch {
  const values = Array.from({ length: random.between(1, 4) }, () => `${name}:${next()}`);
  const sequence = sequences.get(partition) ?? 0;
  if (idempotent) sequences.set(partition, sequence + values.length);
  return { partition, values, sequence };
}

/**
 * A producer following partition leaders. A plain one picks acks=1 or acks=all per burst and
 * sometimes pipelines up to three batches to one partition; an idempotent one (acks=all) retries an
 * unacknowledged batch with the same sequence, wherever its partition's leader now is.
 */
async function producer(io: Io, name: string, idempotent: boolean, brokers: readonly string[], run: Run, stopAtMs: () => number): Promise<void> {
  const random = io.random.fork(name);
  const router = new Router(io, name, brokers, run, random.fork('router'));
  let identity: Identity = null;
  const sequences = new Map<number, number>();
  let retry: PendingBatch | null = null;
  let counter = 0;
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(2, 15));
    const partition = retry?.partition ?? random.int(partitions);
    const client = await router.forPartition(partition);
    if (client === null) {
      await sleep(io.clock, 50);
      continue;
    }
    if (idempotent && identity === null) {
      const init = await client.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }).catch(() => null);
      if (init === null || init.errorCode !== ErrorCode.NONE) {
        router.invalidate(partition, client);
        continue;
      }
      run.producerIdHandedOut(init.producerId, name, io.clock.nowMs());
      identity = { producerId: init.producerId, epoch: init.producerEpoch };
    }
    const depth = idempotent ? 1 : random.chance(0.3) ? random.between(2, 3) : 1;
    if (depth > 1) run.counts.pipelined += depth;
    const acks: Acks = idempotent || random.chance(0.5) ? -1 : 1;
    const batches: PendingBatch[] = retry !== null ? [retry] : Array.from({ length: depth }, () => nextBatch(random, name, () => counter++, partition, sequences, idempotent));
    if (retry !== null) run.counts.retries++;
    retry = null;
    const codes = await Promise.all(batches.map((b) => sendBatch(io, run, name, client, b, acks, idempotent ? identity : null)));
    const code = codes.find((c) => c !== ErrorCode.NONE);
    if (code === undefined && codes.every((c) => c === ErrorCode.NONE)) continue;
    if (code === undefined || leaderMoved.has(code)) router.invalidate(partition, client);
    if (!idempotent) continue;
    if (code !== undefined && producerFenced.has(code)) {
      // The cluster no longer knows this producer's sequence: start over with a new id, as clients do.
      identity = null;
      sequences.clear();
    } else {
      retry = batches[0]!;
    }
  }
  router.closeAll();
}

/**
 * A consumer of group `sim-group` reading every partition from its leader during the faults. It
 * finds the group's coordinator (the leader of the group's offsets partition), starts from the
 * offsets committed there, and after each round commits its new positions; when the coordinator
 * moves (an error, a lost connection) it finds the new one and starts again from what that one has
 * committed, which the checker holds against every acknowledged commit.
 */
async function consumer(io: Io, name: string, brokers: readonly string[], run: Run, stopAtMs: () => number): Promise<void> {
  const random = io.random.fork(name);
  const router = new Router(io, name, brokers, run, random.fork('router'));
  let positions = allPartitions.map(() => 0n);
  const sent = allPartitions.map(() => -1n);
  let coordinator: KafkaWireClient | null = null;
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(30, 90));
    if (coordinator === null || coordinator.closed) {
      const found = await router.coordinator(group);
      const committed = found === null ? null : await fetchCommitted(io, run, name, found, group, allPartitions);
      if (found === null || committed === null) {
        coordinator = null;
        continue;
      }
      coordinator = found;
      run.counts.coordinatorsFound++;
      positions = committed.map((offset) => (offset < 0n ? 0n : offset));
    }
    const c = coordinator;
    for (const partition of allPartitions) {
      const client = await router.forPartition(partition);
      if (client === null) continue;
      const invokeAt = run.history.invocation();
      const invokeMs = io.clock.nowMs();
      const answer = await fetchOnce(client, partition, positions[partition]!, 4096);
      if (answer.kind !== 'records') {
        router.invalidate(partition, client);
        continue;
      }
      if (answer.records.length === 0) continue;
      run.history.read({ process: name, topic, partition, fetchOffset: positions[partition]!, records: answer.records, highWatermark: answer.highWatermark, final: false }, invokeMs, invokeAt, io.clock.nowMs());
      positions[partition] = answer.records.at(-1)!.offset + 1n;
    }
    const moved = positions.some((offset, p) => offset > sent[p]!);
    const check = random.chance(0.3) ? fetchCommitted(io, run, name, c, group, allPartitions) : null;
    const code = await commitPositions(io, run, name, c, group, positions, sent);
    await check;
    if (code !== ErrorCode.NONE) coordinator = null;
    else if (moved) run.lastAckMs.set(name, io.clock.nowMs());
  }
  router.closeAll();
}

/** The final read of every partition from offset 0 on its leader, recorded as the final log. */
async function consumeAll(io: Io, run: Run, brokers: readonly string[]): Promise<string | null> {
  const router = new Router(io, 'checker', brokers, run, io.random.fork('checker'));
  try {
    for (let partition = 0; partition < partitions; partition++) {
      let fetchOffset = 0n;
      for (let guard = 0; guard < 10_000; guard++) {
        const client = await router.forPartition(partition);
        if (client === null) return `checker found no leader for partition ${partition}`;
        const invokeAt = run.history.invocation();
        const invokeMs = io.clock.nowMs();
        const answer = await fetchOnce(client, partition, fetchOffset, 1 << 20);
        if ((answer.kind === 'error' && leaderMoved.has(answer.errorCode)) || answer.kind === 'failed') {
          // A broker whose image lagged named an old leader: ask again, as a client does (bounded by the guard).
          router.invalidate(partition, client);
          await sleep(io.clock, 50);
          continue;
        }
        if (answer.kind === 'error') return `checker fetch p${partition} error ${answer.errorCode}`;
        run.history.read({ process: 'checker', topic, partition, fetchOffset, records: answer.records, highWatermark: answer.highWatermark, final: true }, invokeMs, invokeAt, io.clock.nowMs());
        if (answer.records.length === 0) break;
        fetchOffset = answer.records.at(-1)!.offset + 1n;
      }
    }
    return null;
  } finally {
    router.closeAll();
  }
}

/** Nodes in the middle of a graceful stop (it can outlast the fault phase). */
const stopping = new Set<number>();

/** Taking node k down for a while: a crash, or a graceful stop (controlled shutdown). */
interface Outages {
  /** Crashes node k and restarts it `durationMs` later; false when not allowed now (it is down, or too many are). */
  crash(k: number, durationMs: number): boolean;
  /** Stops node k gracefully and, once stopped, restarts it `durationMs` later (then calls `restarted`). */
  stop(k: number, durationMs: number, restarted?: () => void): boolean;
}

function outages(sim: Simulation, nodes: readonly SimNode[], names: readonly string[], run: Run, crashed: (name: string) => void): Outages {
  const allowed = (k: number): boolean => nodes[k]!.isUp && !stopping.has(k) && nodes.filter((n) => !n.isUp).length < nodes.length - 1;
  return {
    crash(k, durationMs) {
      if (!allowed(k)) return false;
      const node = nodes[k]!;
      run.counts.crashes++;
      node.crash();
      crashed(names[k]!);
      sim.schedule(durationMs, () => node.isUp || node.restart());
      return true;
    },
    stop(k, durationMs, restarted) {
      if (!allowed(k)) return false;
      const node = nodes[k]!;
      run.counts.stops++;
      stopping.add(k);
      sim.trace(names[k]!, 'GracefulStopStarted', { restartAfterMs: durationMs });
      void node
        .stop()
        .catch(() => {
          node.crash();
          crashed(names[k]!);
        })
        .then(() => {
          sim.trace(names[k]!, 'GracefulStopEnded', {});
          stopping.delete(k);
          sim.schedule(durationMs, () => {
            if (!node.isUp) node.restart();
            restarted?.();
          });
        });
      return true;
    },
  };
}

function planFaults(sim: Simulation, nodes: readonly SimNode[], names: readonly string[], run: Run, down: Outages): void {
  stopping.clear();
  const random = sim.random.fork('faults');
  let atMs = 300;
  for (;;) {
    atMs += random.between(100, 600);
    if (atMs >= faultsMs) break;
    const k = random.int(nodes.length);
    const node = nodes[k]!;
    const kind = random.int(8);
    const durationMs = random.between(100, 1500);
    sim.schedule(atMs, () => {
      switch (kind) {
        case 0:
        case 1:
          down.crash(k, durationMs);
          return;
        case 2:
          down.stop(k, durationMs);
          return;
        case 3: {
          run.counts.partitions++;
          const oneWay = random.chance(0.5);
          for (const other of names) if (other !== names[k]) sim.network.partition(names[k]!, other, { oneWay });
          sim.schedule(durationMs, () => sim.network.heal());
          return;
        }
        case 4:
        case 5:
          if (sim.network.resetRandomConnection() !== null) run.counts.resets++;
          return;
        case 6:
          if (!node.isUp) return;
          run.counts.syncFailures++;
          node.disk.faults.failNextSync();
          return;
        default:
          node.disk.faults.latency.syncMsMax = 30;
          sim.schedule(durationMs, () => void (node.disk.faults.latency.syncMsMax = 3));
      }
    });
  }
}

/**
 * Rolling restarts, as an impatient operator runs them, from their own random stream: node k is
 * stopped gracefully and started again and, as soon as its broker is registered again (the script
 * waits for the broker to rejoin the cluster, not for its partitions to be back in sync), another
 * node is crashed or stopped. The failover that follows has to choose among the replicas that are in
 * sync, while the restarted one may still be catching up outside the ISR, or have just cut its log.
 * `registeredEpoch(k)`: node k's broker epoch if some running controller's image has it unfenced, else -1.
 */
function planRollingRestarts(sim: Simulation, nodes: readonly SimNode[], run: Run, down: Outages, registeredEpoch: (k: number) => number, endMs: number): void {
  const random = sim.random.fork('rolling');
  let atMs = 0;
  for (;;) {
    atMs += random.between(400, 1200);
    if (atMs >= faultsMs - 500) break;
    const k = random.int(nodes.length);
    const next = (k + 1 + random.int(nodes.length - 1)) % nodes.length;
    const downMs = random.between(100, 800);
    const afterMs = random.between(0, 100);
    const crash = random.chance(0.5);
    const durationMs = random.between(300, 1500);
    const takeNextDown = (): void => void (sim.nowMs() < endMs && (crash ? down.crash(next, durationMs) : down.stop(next, durationMs)));
    const whenRegistered = (before: number, waitedMs: number): void => {
      if (registeredEpoch(k) > before || waitedMs >= 3000) sim.schedule(afterMs, takeNextDown);
      else sim.schedule(10, () => whenRegistered(before, waitedMs + 10));
    };
    sim.schedule(atMs, () => {
      if (stopping.size > 0 || sim.nowMs() >= endMs) return;
      const before = registeredEpoch(k);
      if (down.stop(k, downMs, () => whenRegistered(before, 0))) run.counts.rollingRestarts++;
    });
  }
}

/**
 * Why the cluster is not healthy yet, or null: every node's image gives every partition a leader and
 * a full ISR, and on every replica the log ends where the leader's does, with the leader's high
 * watermark there too (so a consumer can read everything).
 */
function unhealthy(controllers: ReadonlyMap<string, ControllerNode>, brokers: ReadonlyMap<string, Broker>, names: readonly string[], replicas: number): string | null {
  for (const [name, c] of controllers) {
    const t = c.image().topic(topic);
    if (t === undefined) return `${name}: no topic in the image`;
    for (const p of t.partitions) {
      if (p.leader < 0) return `${name}: partition ${p.partition} has no leader`;
      if (p.isr.length < replicas) return `${name}: partition ${p.partition} ISR [${p.isr.join(',')}]`;
      const leader = brokers.get(names[p.leader - 1]!)?.topics.partition(topic, p.partition);
      const end = leader?.log?.logEndOffset;
      if (leader === undefined || end === undefined || leader.replica?.leading !== true) return `partition ${p.partition}: leader n${p.leader} is not leading yet`;
      if (leader.highWatermark !== end) return `partition ${p.partition}: leader's high watermark ${leader.highWatermark} below its log end ${end}`;
      for (const r of p.replicas) {
        const replicaEnd = brokers.get(names[r - 1]!)?.topics.partition(topic, p.partition)?.log?.logEndOffset;
        if (replicaEnd !== end) return `partition ${p.partition}: replica ${r} ends at ${replicaEnd}, the leader at ${end}`;
      }
    }
  }
  return null;
}

/** Every open replica of the topic on the running brokers, as the replica checks read them. */
function replicaViews(brokers: ReadonlyMap<string, Broker>, names: readonly string[]): ReplicaView[] {
  const views: ReplicaView[] = [];
  for (const [name, broker] of brokers) {
    for (let partition = 0; partition < partitions; partition++) {
      const p = broker.topics.partition(topic, partition);
      const replica = p?.replica ?? null;
      if (p === undefined || replica === null) continue;
      const log = p.failure === null ? p.log : null;
      const durableEnd = log === null || log.failedWith !== null ? null : log.durableEndOffset;
      views.push({ broker: names.indexOf(name) + 1, topic, partition, leading: replica.leading, leaderEpoch: replica.leaderEpoch, isr: replica.isr, highWatermark: replica.highWatermark, durableEnd });
    }
  }
  return views;
}

/** Every open replica's batches (offsets, leader epoch, CRC), read from its log: the final replica check. */
async function replicaLogs(brokers: ReadonlyMap<string, Broker>, names: readonly string[]): Promise<ReplicaLog[]> {
  const logs: ReplicaLog[] = [];
  for (const view of replicaViews(brokers, names)) {
    const log = brokers.get(names[view.broker - 1]!)?.topics.partition(topic, view.partition)?.log ?? null;
    if (log === null || view.durableEnd === null) continue;
    const batches: ReplicaBatch[] = [];
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      const bytes = await log.read(offset, replicaRebuildReadBytes);
      const split = splitBatches(bytes, bytes.length);
      if (!split.ok || split.spans.length === 0) break;
      for (const { header } of split.spans) {
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        batches.push({ baseOffset: header.baseOffset, lastOffset, leaderEpoch: header.partitionLeaderEpoch, crc: header.crc });
        offset = lastOffset + 1n;
      }
    }
    logs.push({ view, batches });
  }
  return logs;
}

async function runScenario(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult> {
  sim.buggify.enable(); // BUGGIFY points may fire in this scenario's runs (src/core/io/probes.ts)
  const run = new Run();
  const names = Array.from({ length: options.nodes }, (_, k) => `n${k + 1}`);
  const replicas = Math.min(3, names.length);
  const controllers = new Map<string, ControllerNode>();
  const brokers = new Map<string, Broker>();
  const nodes = names.map((name, k) =>
    sim.addNode(name, async (io) => {
      const started = await startNode(io, name, k).catch((error: unknown) => {
        // A start that fails (an injected fsync error while recovering) exits the process; the
        // supervisor starts it again, as it would `chronik start`.
        io.log.error('NodeStartFailed', { error: String(error) });
        sim.schedule(0, () => supervisorRestart(k));
        return null;
      });
      if (started === null) return { stop: async () => undefined };
      const { controller, broker } = started;
      controllers.set(name, controller);
      brokers.set(name, broker);
      return {
        stop: async () => {
          controllers.delete(name);
          brokers.delete(name);
          try {
            await broker.stop();
          } finally {
            await controller.stop();
          }
        },
      };
    }),
  );
  async function startNode(io: Io, name: string, k: number): Promise<{ controller: ControllerNode; broker: Broker }> {
    const controller = await ControllerNode.start(io, {
      nodeId: k + 1,
      voters: names.map((n, j) => ({ id: j + 1, host: n, port: controllerPort })),
      brokerSessionTimeoutMs: sessionMs,
      forwardTimeoutMs: 2000,
      testOnlyControllerBugs: sim.plantedControllerBugs,
      // A controller whose storage failed stops for good; its process is restarted, as a
      // supervisor (systemd, Kubernetes) restarts `chronik start` when it exits.
      observer: { onFailed: () => sim.schedule(0, () => supervisorRestart(k)) },
    });
    try {
      const broker = await Broker.start(io, {
        nodeId: k + 1,
        listen: { host: name, port: kafkaPort },
        dataDir: 'kafka',
        cluster: controller,
        replication: { minInsyncReplicas: 2, replicaLagTimeMaxMs: 2000, brokerHeartbeatIntervalMs: sessionMs / 6, replicaFetchWaitMsMax: 200, controlledShutdownTimeoutMs: 2000 },
        testOnlyLogBugs: sim.plantedLogBugs,
        testOnlyReplicationBugs: sim.plantedReplicationBugs,
      });
      return { controller, broker };
    } catch (error) {
      await controller.stop();
      throw error;
    }
  }
  function supervisorRestart(k: number): void {
    const node = nodes[k]!;
    if (!node.isUp || stopping.has(k)) return;
    run.counts.controllerRestarts++;
    node.crash();
    controllers.delete(names[k]!);
    brokers.delete(names[k]!);
    sim.schedule(200, () => node.isUp || node.restart());
  }
  const admin = sim.addClient('admin');
  const producers = [
    { name: 'p1', idempotent: false },
    { name: 'i1', idempotent: true },
    { name: 'i2', idempotent: true },
  ].map((p) => ({ ...p, io: sim.addClient(p.name) }));
  const consumerIo = sim.addClient('c1');
  let stopAtMs = Number.POSITIVE_INFINITY;
  let running = 0;
  const down = outages(sim, nodes, names, run, (name) => {
    controllers.delete(name);
    brokers.delete(name);
  });
  // Faults run for faultsMs from the start (the cluster forms and the topic is created under them)
  // and, with rolling restarts, for faultsMs after the topic exists (so the workload always meets them).
  let faultsEndMs: number | null = null;
  const registeredEpoch = (k: number): number => {
    let epoch = -1;
    for (const c of controllers.values()) {
      const b = c.image().broker(k + 1);
      if (b !== undefined && !b.fenced && b.epoch > epoch) epoch = b.epoch;
    }
    return epoch;
  };
  void ensureTopic(admin, sim, run, names, replicas).then(() => {
    faultsEndMs = Math.max(faultsMs, sim.nowMs() + faultsMs);
    planRollingRestarts(sim, nodes, run, down, registeredEpoch, sim.nowMs() + faultsMs);
    for (const p of producers) {
      running++;
      void producer(p.io, p.name, p.idempotent, names, run, () => stopAtMs).finally(() => running--);
    }
    running++;
    void consumer(consumerIo, 'c1', names, run, () => stopAtMs).finally(() => running--);
  });
  planFaults(sim, nodes, names, run, down);
  // The replica checks (sim/checkers/replica-consistency.ts) look at every replica between any two
  // events of the whole run (a look adds no event, so the trace is the same with or without it).
  const monitor = new ReplicaMonitor();
  const watched =
    (until: () => boolean = () => false): (() => boolean) =>
    () => {
      monitor.observe(replicaViews(brokers, names), sim.nowMs());
      return until();
    };
  await sim.run({ untilMs: topicWaitMsMax, until: watched(() => faultsEndMs !== null) });
  await sim.run({ untilMs: faultsEndMs ?? faultsMs, until: watched() });
  // Heal: graceful stops in progress finish, every node comes up, the network is whole, disks
  // fast; then the liveness phase.
  await sim.run({ untilMs: sim.nowMs() + 10_000, until: watched(() => stopping.size === 0) });
  if (stopping.size > 0) run.fail(`graceful stop of ${[...stopping].map((k) => names[k]).join(', ')} did not finish within 10 s`);
  const healedMs = sim.nowMs();
  sim.network.heal();
  for (const node of nodes) {
    node.disk.faults.latency.syncMsMax = 3;
    node.disk.faults.cancelSyncFailures();
    if (!node.isUp) node.restart();
  }
  let health: string | null = 'not checked';
  const healthy = (): boolean => {
    health = controllers.size === nodes.length ? unhealthy(controllers, brokers, names, replicas) : 'nodes still starting';
    return health === null && [...producers.map((p) => p.name), 'c1'].every((name) => (run.lastAckMs.get(name) ?? -1) > healedMs);
  };
  await sim.run({ untilMs: healedMs + livenessMs, until: watched(healthy) });
  if (health !== null) run.fail(`liveness: ${livenessMs} ms after the faults stopped: ${health}`);
  for (const p of producers) {
    if ((run.lastAckMs.get(p.name) ?? -1) < healedMs) run.fail(`liveness: ${p.name} got no ack within ${livenessMs} ms after the faults stopped`);
  }
  if ((run.lastAckMs.get('c1') ?? -1) < healedMs) run.fail(`liveness: c1 had no offset commit acknowledged within ${livenessMs} ms after the faults stopped`);
  stopAtMs = 0;
  await sim.run({ untilMs: sim.nowMs() + 8000, until: watched(() => running === 0) });
  if (running > 0) run.fail(`${running} clients still busy 8 s after being told to stop`);
  // The last writes reach every replica (and the high watermark) before the final read.
  const settledBy = sim.nowMs() + livenessMs;
  await sim.run({
    untilMs: settledBy,
    until: watched(() => (health = controllers.size === nodes.length ? unhealthy(controllers, brokers, names, replicas) : 'nodes still starting') === null),
  });
  if (health !== null) run.fail(`liveness: ${livenessMs} ms after the clients stopped: ${health}`);
  let readError: string | null | undefined;
  void consumeAll(admin, run, names).then((result) => (readError = result));
  await sim.run({ untilMs: sim.nowMs() + 10_000, until: watched(() => readError !== undefined) });
  for (const failure of monitor.failures()) run.fail(failure);
  // Below the high watermark, every ISR member's log holds the leader's batches, batch for batch.
  let logs: ReplicaLog[] | string | undefined;
  void replicaLogs(brokers, names).then(
    (read) => (logs = read),
    (error: unknown) => (logs = String(error)),
  );
  await sim.run({ untilMs: sim.nowMs() + 10_000, until: () => logs !== undefined });
  if (logs === undefined) run.fail("reading the replicas' logs did not finish within 10 s");
  else if (typeof logs === 'string') run.fail(`reading the replicas' logs: ${logs}`);
  else for (const f of checkReplicasAgree(logs)) run.fail(`${f.kind}: ${f.message}`);
  if (readError === undefined) run.fail('the final read did not finish within 10 s');
  else if (readError !== null) run.fail(readError);
  // Every acks=all write must survive (crashes here lose unsynced bytes, never a whole disk).
  return run.judge({ denseFinalLog: true, mustSurvive: (op: ProduceOp) => op.acks === -1 });
}

/**
 * The rare states every sweep of `npm test`'s size must reach (docs/simulator.md): 150 seeds of 3
 * nodes, 50 of 5 (4 or any other count: 50). A torn log tail after a crash is too rare in 50 seeds of
 * 5 nodes to gate on there (4 of 7000..7049 when measured).
 */
function clusterCoverageGoal(nodes: number): CoverageGoal {
  const targets = [
    'log.crash-with-acks-pending',
    'log.fsync-failed-with-waiters',
    'controller.leader-lost-with-isr-one',
    'replication.follower-truncated-by-epoch',
    'replication.isr-shrink',
    'replication.isr-expand',
    'raft.leader-stepped-down',
    'raft.leader-lost-quorum',
    'raft.storage-failed',
    'producer.duplicate-retry',
    'sim.crash-tore-a-write',
    'buggify.broker.delayed-reply',
    'buggify.cluster.early-heartbeat',
    'buggify.log.small-group-commit',
    'buggify.raft.drop-heartbeat',
    'buggify.raft.early-election-timeout',
    'buggify.replication.short-follower-fetch',
  ];
  if (nodes === 3) return { targets: [...targets, 'log.torn-tail-cut'], seedsMin: 150 };
  return { targets, seedsMin: 50 };
}

export const scenario: Scenario = {
  name: 'cluster',
  description: '3 or 5 nodes (controller voter + broker each), RF=3, min.insync.replicas=2: crashes, graceful stops, partitions, resets, fsync failures; producers follow leaders; judged by the Kafka checker',
  defaultNodes: 3,
  nodesMin: 3,
  nodesMax: 5,
  coverageGoal: clusterCoverageGoal,
  run: runScenario,
};
