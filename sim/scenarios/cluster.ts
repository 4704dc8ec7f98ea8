import { Broker } from '../../src/core/broker/index.ts';
import { sleep, type Io } from '../../src/core/io/index.ts';
import type { Random } from '../../src/core/io/random.ts';
import { ControllerNode } from '../../src/core/metadata/controller-node.ts';
import { ApiKey, ErrorCode } from '../../src/core/protocol/index.ts';
import { KafkaWireClient } from '../../src/core/protocol/wire-client.ts';
import type { Simulation, SimNode, StateSample } from '../../src/io-sim/index.ts';
import type { Acks, ProduceOp } from '../checkers/kafka-history.ts';
import { checkReplicasAgree, ReplicaMonitor, type ReplicaBatch, type ReplicaLog, type ReplicaView } from '../checkers/replica-consistency.ts';
import { isLogError } from '../../src/core/log/index.ts';
import { splitBatches } from '../../src/core/log/record-batch.ts';
import { replicaRebuildReadBytes } from '../../src/core/limits.ts';
import type { CoverageGoal, Scenario, ScenarioOptions, ScenarioResult } from '../scenario.ts';
import { checkFaultSchedule, type FaultKinds, type FaultSchedule, type PlannedFault } from '../fault-schedule.ts';
import { announceSwarm, betweenStep, drawKinds, oddsBetween } from '../swarm.ts';
import { drawClockFaults, type ClockFaultsSwarm } from '../clock-faults.ts';
import { raftSample } from '../timeline/samples.ts';
import { clusterNotWritten, commitPositions, fetchCommitted, fetchOnce, produceOutcome, valuesBatch, WorkloadRun, workloadTopic as topic } from '../workload/kafka-ops.ts';

/**
 * A cluster of 3 or 5 nodes, each a controller voter and a broker (combined mode), over the simulated
 * network. Topic `events`: 2 to 4 partitions, RF=3, min.insync.replicas=2. Producers (plain with acks=1 and
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
 * Which fault kinds are on, the timeouts, the bound and the workload's shape are the seed's swarm
 * config (`clusterSwarm`, below).
 */

const group = 'sim-group';
const kafkaPort = 9092;
const controllerPort = 9093;
const faultsMs = 4000;
/** ensureTopic gives up after 400 attempts, each at least 50 ms apart. */
const topicWaitMsMax = 60_000;

/** Each fault kind and the odds that a seed switches it on (crashes and rolling restarts: the planted bugs need them). */
const faultOdds = { crash: 0.9, stop: 0.75, partition: 0.75, reset: 0.75, syncFail: 0.6, slowDisk: 0.6, rolling: 0.85 } as const;
type FaultKind = keyof typeof faultOdds;

/**
 * What a seed draws before it runs (swarm testing, sim/swarm.ts), from the fork `swarm`: which fault
 * kinds are on, how often and how long faults come, the timeouts the brokers, controllers and
 * clients use, and the workload's shape. Each range is centred on the fixed value the scenario used
 * before, so a seed costs the same on average. The liveness bound follows the timeouts drawn.
 */
export type ClusterSwarm = {
  /** Fault kinds on; the others never happen in this seed. */
  readonly faults: readonly FaultKind[];
  /** A fault comes every 100..faultGapMsMax ms (300..900; was 600). */
  readonly faultGapMsMax: number;
  /** A node stays down, a partition or slow disk lasts 100..faultDurationMsMax ms (800..2200; was 1500). */
  readonly faultDurationMsMax: number;
  /** Odds that a partition cuts one way only (0.2..0.8; was 0.5). */
  readonly oneWayOdds: number;
  /** Broker session timeout (1000..2500; was 1500); brokers heartbeat every sixth of it. */
  readonly sessionMs: number;
  /** replica.lag.time.max.ms (1000..3000; was 2000). */
  readonly replicaLagMs: number;
  /**
   * replica.fetch.wait.max.ms (100..400, below the lag; was 200). An idle follower fetches once per
   * wait, so the cost of a seed goes with 1/wait: over 100..400 in steps of 50 its mean is 1/204 ms.
   */
  readonly replicaFetchWaitMs: number;
  /** The controller quorum's election timeout in 50 ms ticks (8..14; was 10). */
  readonly electionTicks: number;
  /** Clients' request timeout (1500..3500; was 2500). */
  readonly requestTimeoutMs: number;
  /** Produce's timeoutMs, how long acks=all may wait at the leader (1000 up to 500 below the request timeout; was 2000). */
  readonly produceTimeoutMs: number;
  /** How long a stopping broker waits for its leaderships to move (1000..3000; was 2000). */
  readonly shutdownTimeoutMs: number;
  /** Partitions of the topic (2..4; was 3). */
  readonly partitions: number;
  /**
   * Plain producers (0..2, mean 0.85; was 1) and idempotent ones (1..3, mean 1.95; was 2). A little
   * under the old three in all: a seed with a fault kind off lets its producers get more done, and
   * events per seed (the cost) go with the producers.
   */
  readonly plainProducers: number;
  readonly idempotentProducers: number;
  /** Odds that a plain producer's burst uses acks=all, else acks=1 (0.2..0.8; was 0.5). */
  readonly acksAllOdds: number;
  /** Odds that a plain producer pipelines a burst (0.1..0.5; was 0.3), and its depth 2..pipelineDepthMax (2..4; was 3). */
  readonly pipelineOdds: number;
  readonly pipelineDepthMax: number;
  /** Values per batch 1..batchValuesMax (2..6; was 4). */
  readonly batchValuesMax: number;
  /** A producer waits 2..produceGapMsMax ms between bursts (12..24; was 15: bursts come about 10% less often, for the same reason). */
  readonly produceGapMsMax: number;
  /** Bytes per partition of the consumer's fetches (1..8 KiB; was 4 KiB). */
  readonly consumerFetchBytes: number;
  /** Derived: the liveness bound for these timeouts (below). */
  readonly livenessMs: number;
  /**
   * Process pauses (SimNode.pause: frozen, peers see nothing) of 100..pauseMsMax ms, one every
   * 300..2·faultGapMsMax ms of the fault phase, a quarter of them ending in a crash (a silent host
   * death); 0: none. Half the seeds, pauseMsMax 500..5000 (a long one outlives the broker session:
   * the paused leader is fenced and wakes as a zombie). Drawn last, so every draw above is the one
   * seeds made before pauses existed.
   */
  readonly pauseMsMax: number;
  /**
   * Links that differ and change: every link (brokers and clients) starts 1..3 times the base
   * latency, and one every 200..2·faultGapMsMax ms of the fault phase is slowed 2..slowLinkFactorMax
   * times for 100..faultDurationMsMax ms; 0: none. Half the seeds, 5..50. Drawn after pauseMsMax.
   */
  readonly slowLinkFactorMax: number;
  /**
   * A full disk: one every 300..2·faultGapMsMax ms of the fault phase, a random node's disk refuses
   * every write that grows it (ENOSPC, nothing stored) for 100..faultDurationMsMax ms, under its
   * partition logs, its Raft log and its offsets store alike; false: never. Half the seeds. Drawn
   * after slowLinkFactorMax.
   */
  readonly diskFull: boolean;
  /**
   * Odds that a read of any node's disk fails with EIO during the fault phase (0.001..0.02 in half
   * the seeds; 0: never): the partition logs' reads for consumers and followers, recovery at start,
   * the Raft log's and the offsets store's. Drawn after diskFull.
   */
  readonly readErrorOdds: number;
  /**
   * Odds that a read of any node's disk is served once from a whole number of sectors away during
   * the fault phase (0.001..0.01 in 3 seeds of 10; 0: never): a misdirected read (TigerBeetle's
   * storage fault model), which destroys nothing. Drawn after readErrorOdds.
   */
  readonly misdirectedReadOdds: number;
};

/** The liveness bound, 8 s at the old fixed timeouts, longer by what slower timeouts can add. */
export function clusterLivenessMs(s: Pick<ClusterSwarm, 'sessionMs' | 'replicaLagMs' | 'requestTimeoutMs' | 'electionTicks'>): number {
  const over = (value: number, base: number): number => Math.max(0, value - base);
  // Fencing a dead broker takes a session; a stuck ISR member leaves after the lag; a client waits out
  // a request; every election round (the controller's, then the partitions') takes the longer timeout.
  return 8000 + 2 * over(s.sessionMs, 1500) + over(s.replicaLagMs, 2000) + over(s.requestTimeoutMs, 2500) + 4 * 50 * over(s.electionTicks, 10);
}

/** Draws a seed's swarm config from `random` (the run's root source; the draws come from its fork `swarm`). */
export function clusterSwarm(root: Random): ClusterSwarm {
  const random = root.fork('swarm');
  const on = drawKinds(random, faultOdds);
  const requestTimeoutMs = betweenStep(random, 1500, 3500, 250);
  const replicaLagMs = betweenStep(random, 1000, 3000, 250);
  const timeouts = {
    sessionMs: betweenStep(random, 1000, 2500, 100),
    replicaLagMs,
    replicaFetchWaitMs: Math.min(betweenStep(random, 100, 400, 50), replicaLagMs - 50),
    electionTicks: random.between(8, 14),
    requestTimeoutMs,
    produceTimeoutMs: betweenStep(random, 1000, requestTimeoutMs - 500, 250),
    shutdownTimeoutMs: betweenStep(random, 1000, 3000, 250),
  };
  const plainRoll = random.next();
  const idempotentRoll = random.next();
  return {
    faults: (Object.keys(faultOdds) as FaultKind[]).filter((kind) => on.has(kind)),
    faultGapMsMax: betweenStep(random, 300, 900, 50),
    faultDurationMsMax: betweenStep(random, 800, 2200, 100),
    oneWayOdds: oddsBetween(random, 0.2, 0.8),
    ...timeouts,
    partitions: random.between(2, 4),
    plainProducers: plainRoll < 0.35 ? 0 : plainRoll < 0.8 ? 1 : 2,
    idempotentProducers: idempotentRoll < 0.25 ? 1 : idempotentRoll < 0.8 ? 2 : 3,
    acksAllOdds: oddsBetween(random, 0.2, 0.8),
    pipelineOdds: oddsBetween(random, 0.1, 0.5),
    pipelineDepthMax: random.between(2, 4),
    batchValuesMax: random.between(2, 6),
    produceGapMsMax: random.between(12, 24),
    consumerFetchBytes: 1024 * random.between(1, 8),
    livenessMs: clusterLivenessMs(timeouts),
    pauseMsMax: random.chance(0.5) ? betweenStep(random, 500, 5000, 250) : 0,
    slowLinkFactorMax: random.chance(0.5) ? betweenStep(random, 5, 50, 5) : 0,
    diskFull: random.chance(0.5),
    readErrorOdds: random.chance(0.5) ? Math.round((0.001 + random.next() * 0.019) * 1000) / 1000 : 0,
    misdirectedReadOdds: random.chance(0.3) ? Math.round((0.001 + random.next() * 0.009) * 1000) / 1000 : 0,
  };
}

/** The partition indexes of the topic in this seed. */
function partitionsOf(swarm: ClusterSwarm): number[] {
  return Array.from({ length: swarm.partitions }, (_, p) => p);
}

const initialCounts = { coordinatorsFound: 0, controllerRestarts: 0, produced: 0, retries: 0, pipelined: 0, crashes: 0, stops: 0, powerLossesAfterStop: 0, rollingRestarts: 0, partitions: 0, resets: 0, syncFailures: 0, pauses: 0, silentDeaths: 0, slowLinks: 0, diskFull: 0, clockJumps: 0 };

class Run extends WorkloadRun<typeof initialCounts> {
  /** Every producer id InitProducerId handed out, with who got it: each call must get a fresh one. */
  private readonly producerIds = new Map<bigint, string>();

  constructor(nowMs: () => number) {
    super({ ...initialCounts }, nowMs);
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

/** Read errors a client retries (after a metadata refresh): the leader could not read its disk. */
const readRetriable = new Set<number>([ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.CORRUPT_MESSAGE]);

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
    private readonly swarm: ClusterSwarm,
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
      const client = await KafkaWireClient.connect(this.io, broker, kafkaPort, { clientId: this.name, connectTimeoutMs: 300, requestTimeoutMs: this.swarm.requestTimeoutMs });
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

async function ensureTopic(io: Io, sim: Simulation, run: Run, brokers: readonly string[], replicas: number, swarm: ClusterSwarm): Promise<void> {
  const router = new Router(io, 'admin', brokers, run, io.random.fork('admin'), swarm);
  for (let attempt = 0; attempt < 400; attempt++) {
    const client = await router.forPartition(0).then((c) => c ?? KafkaWireClient.connect(io, brokers[attempt % brokers.length]!, kafkaPort, { connectTimeoutMs: 300, requestTimeoutMs: swarm.requestTimeoutMs }).catch(() => null));
    if (client !== null) {
      const response = await client
        .request(ApiKey.CreateTopics, 3, { topics: [{ name: topic, numPartitions: swarm.partitions, replicationFactor: replicas, assignments: [], configs: [] }], timeoutMs: 2000, validateOnly: false })
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
async function sendBatch(io: Io, run: Run, name: string, client: KafkaWireClient, send: PendingBatch, acks: Acks, identity: Identity, timeoutMs: number): Promise<number | undefined> {
  const records = valuesBatch(send.values, identity === null ? undefined : { producerId: identity.producerId, epoch: identity.epoch, sequence: send.sequence });
  const body = { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: send.partition, records }] }] };
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

function nextBatch(random: Random, name: string, next: () => number, partition: number, sequences: Map<number, number>, idempotent: boolean, valuesMax: number): PendingBatch {
  const values = Array.from({ length: random.between(1, valuesMax) }, () => `${name}:${next()}`);
  const sequence = sequences.get(partition) ?? 0;
  if (idempotent) sequences.set(partition, sequence + values.length);
  return { partition, values, sequence };
}

/**
 * A producer following partition leaders. A plain one picks acks=1 or acks=all per burst and
 * sometimes pipelines up to three batches to one partition; an idempotent one (acks=all) retries an
 * unacknowledged batch with the same sequence, wherever its partition's leader now is.
 */
async function producer(io: Io, name: string, idempotent: boolean, brokers: readonly string[], run: Run, swarm: ClusterSwarm, stopAtMs: () => number): Promise<void> {
  const random = io.random.fork(name);
  const router = new Router(io, name, brokers, run, random.fork('router'), swarm);
  let identity: Identity = null;
  const sequences = new Map<number, number>();
  let retry: PendingBatch | null = null;
  let counter = 0;
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(2, swarm.produceGapMsMax));
    const partition = retry?.partition ?? random.int(swarm.partitions);
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
    const depth = idempotent ? 1 : random.chance(swarm.pipelineOdds) ? random.between(2, swarm.pipelineDepthMax) : 1;
    if (depth > 1) run.counts.pipelined += depth;
    const acks: Acks = idempotent || random.chance(swarm.acksAllOdds) ? -1 : 1;
    const batches: PendingBatch[] = retry !== null ? [retry] : Array.from({ length: depth }, () => nextBatch(random, name, () => counter++, partition, sequences, idempotent, swarm.batchValuesMax));
    if (retry !== null) run.counts.retries++;
    retry = null;
    const codes = await Promise.all(batches.map((b) => sendBatch(io, run, name, client, b, acks, idempotent ? identity : null, swarm.produceTimeoutMs)));
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
async function consumer(io: Io, name: string, brokers: readonly string[], run: Run, swarm: ClusterSwarm, stopAtMs: () => number): Promise<void> {
  const random = io.random.fork(name);
  const router = new Router(io, name, brokers, run, random.fork('router'), swarm);
  const allPartitions = partitionsOf(swarm);
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
      const answer = await fetchOnce(client, partition, positions[partition]!, swarm.consumerFetchBytes);
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
async function consumeAll(io: Io, run: Run, brokers: readonly string[], swarm: ClusterSwarm, settledHw: ReadonlyMap<number, bigint>): Promise<string | null> {
  const router = new Router(io, 'checker', brokers, run, io.random.fork('checker'), swarm);
  try {
    for (const partition of partitionsOf(swarm)) {
      let fetchOffset = 0n;
      let hwSeen = settledHw.get(partition) ?? 0n;
      for (let guard = 0; guard < 10_000; guard++) {
        const client = await router.forPartition(partition);
        if (client === null) return `checker found no leader for partition ${partition}`;
        const invokeAt = run.history.invocation();
        const invokeMs = io.clock.nowMs();
        const answer = await fetchOnce(client, partition, fetchOffset, 1 << 20);
        if ((answer.kind === 'error' && (leaderMoved.has(answer.errorCode) || readRetriable.has(answer.errorCode))) || answer.kind === 'failed') {
          // A broker whose image lagged named an old leader, or a leader that cannot read a damaged
          // stretch of its disk (it gives its leaderships up): ask again, as a client does (bounded by the guard).
          router.invalidate(partition, client);
          await sleep(io.clock, 50);
          continue;
        }
        if (answer.kind === 'error') return `checker fetch p${partition} error ${answer.errorCode}`;
        run.history.read({ process: 'checker', topic, partition, fetchOffset, records: answer.records, highWatermark: answer.highWatermark, final: true }, invokeMs, invokeAt, io.clock.nowMs());
        if (answer.highWatermark > hwSeen) hwSeen = answer.highWatermark;
        if (answer.records.length === 0) {
          // Done at the high watermark the cluster settled at (or a higher one seen since): a leader
          // elected during the read (one giving up a damaged disk) learns it from its followers' next fetches.
          if (fetchOffset >= hwSeen) break;
          await sleep(io.clock, 50);
          continue;
        }
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
  const powerLosses = sim.random.fork('power-loss');
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
      void node
        .stop()
        .catch(() => {
          node.crash();
          crashed(names[k]!);
        })
        .then(() => {
          stopping.delete(k);
          // Half the stops are followed by a power loss before the restart (what the stop left
          // unsynced is gone), so a stop that answered writes it never flushed loses them.
          if (powerLosses.chance(0.5)) {
            run.counts.powerLossesAfterStop++;
            node.powerLoss();
          }
          sim.schedule(durationMs, () => {
            if (!node.isUp) node.restart();
            restarted?.();
          });
        });
      return true;
    },
  };
}

/** The fault kind each of the plan's eight draws stands for (crashes and resets twice as often). */
const plannedKinds: readonly FaultKind[] = ['crash', 'crash', 'stop', 'partition', 'reset', 'reset', 'syncFail', 'slowDisk'];

/**
 * The cluster's fault kinds and their parameters (a schedule file is checked against them). `node`
 * and `next` are node indexes (0-based); every time is virtual ms from the start of the run, but a
 * rolling-restart's `atMs` counts from the moment the topic exists.
 */
export const clusterFaultKinds = {
  crash: { node: 'node', durationMs: 'number' },
  stop: { node: 'node', durationMs: 'number' },
  partition: { node: 'node', durationMs: 'number', oneWay: 'boolean' },
  reset: {},
  'sync-fail': { node: 'node' },
  'slow-disk': { node: 'node', durationMs: 'number' },
  pause: { node: 'node', durationMs: 'number', silentDeath: 'boolean', downMs: 'number' },
  'link-latency': { a: 'host', b: 'host', factor: 'number' },
  'slow-link': { a: 'host', b: 'host', factor: 'number', durationMs: 'number' },
  'disk-full': { node: 'node', durationMs: 'number' },
  'rolling-restart': { node: 'node', next: 'node', downMs: 'number', afterMs: 'number', crash: 'boolean', durationMs: 'number' },
  'clock-drift': { node: 'node', ppm: 'number' },
  'clock-jump': { node: 'node', jumpMs: 'number' },
} as const satisfies FaultKinds;

/**
 * The fault plan: a fault every 100..faultGapMsMax ms of the first faultsMs, each of a random kind;
 * a kind the seed switched off is drawn like the others and then skipped (so the stream's draws do
 * not depend on which kinds are on).
 */
function drawFaults(random: Random, nodes: number, swarm: ClusterSwarm): PlannedFault[] {
  const kindNames = { crash: 'crash', stop: 'stop', partition: 'partition', reset: 'reset', syncFail: 'sync-fail', slowDisk: 'slow-disk' } as const;
  const plan: PlannedFault[] = [];
  let atMs = 300;
  for (;;) {
    atMs += random.between(100, swarm.faultGapMsMax);
    if (atMs >= faultsMs) break;
    const node = random.int(nodes);
    const kind = plannedKinds[random.int(8)]!;
    const durationMs = random.between(100, swarm.faultDurationMsMax);
    const oneWay = random.chance(swarm.oneWayOdds);
    if (!swarm.faults.includes(kind)) continue;
    if (kind === 'reset') plan.push({ kind: 'reset', atMs });
    else if (kind === 'syncFail') plan.push({ kind: 'sync-fail', atMs, node });
    else if (kind === 'partition') plan.push({ kind: 'partition', atMs, node, durationMs, oneWay });
    else plan.push({ kind: kindNames[kind as 'crash' | 'stop' | 'slowDisk'], atMs, node, durationMs });
  }
  return plan;
}

/**
 * Process pauses, from their own random stream: a node frozen for 100..pauseMsMax ms, one every
 * 300..2·faultGapMsMax ms, each over before the fault phase ends. A quarter of them end in a crash
 * instead (restarted 100..faultDurationMsMax ms later): a host that died silently, which its peers
 * learn of only by their timeouts until it reboots and its old connections are reset.
 */
function drawPauses(random: Random, nodes: number, swarm: ClusterSwarm): PlannedFault[] {
  const plan: PlannedFault[] = [];
  let atMs = 300;
  for (;;) {
    atMs += random.between(300, 2 * swarm.faultGapMsMax);
    const node = random.int(nodes);
    const durationMs = random.between(100, swarm.pauseMsMax);
    const silentDeath = random.chance(0.25);
    const downMs = random.between(100, swarm.faultDurationMsMax);
    if (atMs >= faultsMs) break;
    if (atMs + durationMs >= faultsMs) continue;
    plan.push({ kind: 'pause', atMs, node, durationMs, silentDeath, downMs });
  }
  return plan;
}

/**
 * Latency that differs per link and over time, from its own random stream: each pair of hosts gets a
 * base factor of 1..3 (a link-latency entry at 0 ms, for the factors other than 1), and during the
 * fault phase one link at a time is slowed further for a while. Hosts are indexed like nodes, the
 * clients after the brokers.
 */
function drawSlowLinks(random: Random, hosts: readonly string[], swarm: ClusterSwarm): PlannedFault[] {
  const plan: PlannedFault[] = [];
  // Each pair once, the host whose name sorts first as `a` (in the order the draws have always had).
  const pairs: Array<[number, number]> = [];
  for (const [a, nameA] of hosts.entries()) for (const [b, nameB] of hosts.entries()) if (nameA < nameB) pairs.push([a, b]);
  for (const [a, b] of pairs) {
    const factor = random.between(1, 3);
    if (factor !== 1) plan.push({ kind: 'link-latency', atMs: 0, a, b, factor });
  }
  let atMs = 0;
  for (;;) {
    atMs += random.between(200, 2 * swarm.faultGapMsMax);
    const [a, b] = pairs[random.int(pairs.length)]!;
    const factor = random.between(2, swarm.slowLinkFactorMax);
    const durationMs = random.between(100, swarm.faultDurationMsMax);
    if (atMs >= faultsMs) break;
    plan.push({ kind: 'slow-link', atMs, a, b, factor, durationMs });
  }
  return plan;
}

/** Full disks, from their own random stream (see ClusterSwarm.diskFull). */
function drawDiskFull(random: Random, nodes: number, swarm: ClusterSwarm): PlannedFault[] {
  const plan: PlannedFault[] = [];
  let atMs = 300;
  for (;;) {
    atMs += random.between(300, 2 * swarm.faultGapMsMax);
    const node = random.int(nodes);
    const durationMs = random.between(100, swarm.faultDurationMsMax);
    if (atMs >= faultsMs) break;
    if (atMs + durationMs >= faultsMs) continue;
    plan.push({ kind: 'disk-full', atMs, node, durationMs });
  }
  return plan;
}

/**
 * Rolling restarts, as an impatient operator runs them, from their own random stream: node k is
 * stopped gracefully and started again and, as soon as its broker is registered again (the script
 * waits for the broker to rejoin the cluster, not for its partitions to be back in sync), another
 * node is crashed or stopped. The failover that follows has to choose among the replicas that are in
 * sync, while the restarted one may still be catching up outside the ISR, or have just cut its log.
 * Times count from the moment the topic exists.
 */
function drawRollingRestarts(random: Random, nodes: number): PlannedFault[] {
  const plan: PlannedFault[] = [];
  let atMs = 0;
  for (;;) {
    atMs += random.between(400, 1200);
    if (atMs >= faultsMs - 500) break;
    const node = random.int(nodes);
    const next = (node + 1 + random.int(nodes - 1)) % nodes;
    const downMs = random.between(100, 800);
    const afterMs = random.between(0, 100);
    const crash = random.chance(0.5);
    const durationMs = random.between(300, 1500);
    plan.push({ kind: 'rolling-restart', atMs, node, next, downMs, afterMs, crash, durationMs });
  }
  return plan;
}

/**
 * The brokers' wall clocks (sim/clock-faults.ts), from their own stream: in 70% of seeds each host's
 * clock drifts (a clock-drift entry at 0 ms, for drifts other than 0) and jumps 1..3 times during the
 * fault phase, back or forward by seconds to hours (clock-jump).
 */
function drawClockSchedule(random: Random, names: readonly string[]): { swarm: ClockFaultsSwarm; faults: PlannedFault[] } {
  const { swarm, plan } = drawClockFaults(random, names, { faultsMs });
  const drifts: PlannedFault[] = [...plan.driftPpm].filter(([, ppm]) => ppm !== 0).map(([host, ppm]) => ({ kind: 'clock-drift', atMs: 0, node: names.indexOf(host), ppm }));
  const jumps: PlannedFault[] = plan.jumps.map((j) => ({ kind: 'clock-jump', atMs: j.atMs, node: names.indexOf(j.host), jumpMs: j.jumpMs }));
  return { swarm, faults: [...drifts, ...jumps] };
}

/**
 * Storage damage (TigerBeetle's latent sector errors) on one broker, from its own stream: in 3 seeds
 * of 10, once the cluster has settled after the clients stopped (every replica holds every record),
 * 1..3 sectors of that node's partition log segments become unreadable for good, before the final
 * read. A leader must then give up what it cannot read to replicas that can (fetch.ts), readers get
 * an error and never wrong bytes, and the final comparison of the replicas excuses only what that
 * node cannot read. Planted only when every replica holds what the sectors held: damage that takes
 * the only copy a lagging replica could get is not survivable without a repair from peers.
 */
interface StorageDamageSwarm {
  /** The damaged node (index), or -1 for none. */
  readonly damagedNode: number;
  readonly latentSectors: number;
}

function drawStorageDamage(random: Random, nodes: number): StorageDamageSwarm {
  if (!random.chance(0.3)) return { damagedNode: -1, latentSectors: 0 };
  return { damagedNode: random.int(nodes), latentSectors: random.between(1, 3) };
}

/** A segment file of the workload topic's partition logs (the files storage damage hits). */
const isSegmentFile = (path: string): boolean => new RegExp(`/logs/${topic}~[^/]+/\\d+/\\d{20}\\.log$`).test(path);

/** The faults a seed draws before the run (all but the rolling restarts, drawn once the topic exists). */
function drawClusterSchedule(sim: Simulation, nodes: number, hosts: readonly string[], swarm: ClusterSwarm): PlannedFault[] {
  // Each kind from its own stream (forked in this order, as the trace hash has always seen them).
  const faults = drawFaults(sim.random.fork('faults'), nodes, swarm);
  const pauses = swarm.pauseMsMax === 0 ? [] : drawPauses(sim.random.fork('pauses'), nodes, swarm);
  const links = swarm.slowLinkFactorMax === 0 ? [] : drawSlowLinks(sim.random.fork('slow-links'), hosts, swarm);
  const full = swarm.diskFull ? drawDiskFull(sim.random.fork('disk-full'), nodes, swarm) : [];
  return [...faults, ...pauses, ...links, ...full];
}

/** Runs the faults of a schedule: each at its time, from the context the scenario gives. */
interface FaultContext {
  readonly sim: Simulation;
  readonly nodes: readonly SimNode[];
  readonly names: readonly string[];
  readonly hosts: readonly string[];
  readonly run: Run;
  readonly down: Outages;
  /** node k's broker epoch if some running controller's image has it unfenced, else -1. */
  readonly registeredEpoch: (k: number) => number;
}

/**
 * Schedules `faults` (link latencies at 0 ms are set at once). `rollingEndMs` is when rolling
 * restarts stop taking the next node down (their times count from now).
 */
function scheduleFaults(c: FaultContext, faults: FaultSchedule, rollingEndMs = Number.POSITIVE_INFINITY): void {
  const { sim, nodes, names, hosts, run, down } = c;
  const baseLatency = new Map<string, number>();
  for (const f of faults) {
    if (f.kind === 'link-latency') {
      baseLatency.set(`${f['a']}|${f['b']}`, f['factor'] as number);
      sim.network.setSlow(hosts[f['a'] as number]!, hosts[f['b'] as number]!, f['factor'] as number);
      continue;
    }
    if (f.kind === 'clock-drift') {
      nodes[f['node'] as number]!.clock.faults.setDriftPpm(f['ppm'] as number);
      continue;
    }
    sim.schedule(f.atMs, () => runFault(f));
  }
  function runFault(f: PlannedFault): void {
    const k = f['node'] as number;
    const durationMs = f['durationMs'] as number;
    switch (f.kind as keyof typeof clusterFaultKinds) {
      case 'crash':
        down.crash(k, durationMs);
        return;
      case 'stop':
        down.stop(k, durationMs);
        return;
      case 'partition':
        run.counts.partitions++;
        for (const other of names) if (other !== names[k]) sim.network.partition(names[k]!, other, { oneWay: f['oneWay'] as boolean });
        sim.schedule(durationMs, () => sim.network.heal());
        return;
      case 'reset':
        if (sim.network.resetRandomConnection() !== null) run.counts.resets++;
        return;
      case 'sync-fail':
        if (!nodes[k]!.isUp) return;
        run.counts.syncFailures++;
        nodes[k]!.disk.faults.failNextSync();
        return;
      case 'slow-disk':
        nodes[k]!.disk.faults.latency.syncMsMax = 30;
        sim.schedule(durationMs, () => void (nodes[k]!.disk.faults.latency.syncMsMax = 3));
        return;
      case 'pause': {
        const node = nodes[k]!;
        if (!node.isUp || node.isPaused || stopping.has(k)) return;
        if (f['silentDeath'] === true) run.counts.silentDeaths++;
        else run.counts.pauses++;
        node.pause(durationMs);
        if (f['silentDeath'] === true) sim.schedule(durationMs, () => void down.crash(k, f['downMs'] as number));
        return;
      }
      case 'slow-link': {
        const [a, b] = [f['a'] as number, f['b'] as number];
        run.counts.slowLinks++;
        sim.network.setSlow(hosts[a]!, hosts[b]!, f['factor'] as number);
        sim.schedule(durationMs, () => sim.network.setSlow(hosts[a]!, hosts[b]!, baseLatency.get(`${a}|${b}`) ?? 1));
        return;
      }
      case 'disk-full':
        run.counts.diskFull++;
        nodes[k]!.disk.faults.setFull(true);
        sim.schedule(durationMs, () => nodes[k]!.disk.faults.setFull(false));
        return;
      case 'clock-jump':
        run.counts.clockJumps++;
        nodes[k]!.clock.faults.jump(f['jumpMs'] as number);
        return;
      case 'clock-drift':
        return; // set when the schedule starts
      case 'rolling-restart': {
        if (stopping.size > 0 || sim.nowMs() >= rollingEndMs) return;
        const next = f['next'] as number;
        const takeNextDown = (): void => void (sim.nowMs() < rollingEndMs && (f['crash'] === true ? down.crash(next, durationMs) : down.stop(next, durationMs)));
        const whenRegistered = (before: number, waitedMs: number): void => {
          if (c.registeredEpoch(k) > before || waitedMs >= 3000) sim.schedule(f['afterMs'] as number, takeNextDown);
          else sim.schedule(10, () => whenRegistered(before, waitedMs + 10));
        };
        const before = c.registeredEpoch(k);
        if (down.stop(k, f['downMs'] as number, () => whenRegistered(before, 0))) run.counts.rollingRestarts++;
        return;
      }
      default:
        throw new Error(`cluster: no fault kind ${f.kind}`);
    }
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
      if (p.leader < 0) return `${name}: ${topic}/${p.partition} has no leader`;
      if (p.isr.length < replicas) return `${name}: ${topic}/${p.partition} ISR [${p.isr.join(',')}]`;
      const leader = brokers.get(names[p.leader - 1]!)?.topics.partition(topic, p.partition);
      const end = leader?.log?.logEndOffset;
      if (leader === undefined || end === undefined || leader.replica?.leading !== true) return `${topic}/${p.partition}: leader n${p.leader} is not leading yet`;
      if (leader.highWatermark !== end) return `${topic}/${p.partition}: leader's high watermark ${leader.highWatermark} below its log end ${end}`;
      for (const r of p.replicas) {
        const replicaEnd = brokers.get(names[r - 1]!)?.topics.partition(topic, p.partition)?.log?.logEndOffset;
        if (replicaEnd !== end) return `${topic}/${p.partition}: replica ${r} ends at ${replicaEnd}, the leader at ${end}`;
      }
    }
  }
  return null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * replicaViews for the replica monitor, which looks between every two events: the same views, in
 * objects reused from one look to the next (the monitor keeps none of them), so a look allocates
 * nothing. `pool` keeps every object made so far; `out` holds those of the last look. Returns
 * whether this look differs from the last (a replica came or went, or a field changed: the ISR is
 * replaced, never changed in place), so that a moment identical to the last one need not be checked
 * again.
 */
function replicaViewsInto(pool: Mutable<ReplicaView>[], out: ReplicaView[], brokers: ReadonlyMap<string, Broker>, names: readonly string[], partitions: number): boolean {
  let n = 0;
  let changed = false;
  for (const [name, broker] of brokers) {
    const id = names.indexOf(name) + 1;
    for (let partition = 0; partition < partitions; partition++) {
      const p = broker.topics.partition(topic, partition);
      const replica = p?.replica ?? null;
      if (p === undefined || replica === null) continue;
      const log = p.failure === null ? p.log : null;
      const durableEnd = log === null || log.failedWith !== null ? null : log.durableEndOffset;
      let view = pool[n];
      if (view === undefined) {
        view = { broker: 0, topic, partition: 0, leading: false, leaderEpoch: 0, isr: [], highWatermark: 0n, durableEnd: null };
        pool[n] = view;
        changed = true;
      }
      n++;
      if (
        out[n - 1] !== view ||
        view.broker !== id ||
        view.partition !== partition ||
        view.leading !== replica.leading ||
        view.leaderEpoch !== replica.leaderEpoch ||
        view.isr !== replica.isr ||
        view.highWatermark !== replica.highWatermark ||
        view.durableEnd !== durableEnd
      ) {
        changed = true;
        view.broker = id;
        view.topic = topic;
        view.partition = partition;
        view.leading = replica.leading;
        view.leaderEpoch = replica.leaderEpoch;
        view.isr = replica.isr;
        view.highWatermark = replica.highWatermark;
        view.durableEnd = durableEnd;
      }
    }
  }
  if (out.length !== n) changed = true;
  if (changed) {
    out.length = 0;
    for (let i = 0; i < n; i++) out.push(pool[i]!);
  }
  return changed;
}

/** Every open replica of the topic on the running brokers, as the replica checks read them. */
function replicaViews(brokers: ReadonlyMap<string, Broker>, names: readonly string[], partitions: number): ReplicaView[] {
  const out: ReplicaView[] = [];
  replicaViewsInto([], out, brokers, names, partitions);
  return out;
}

/**
 * What the timeline (`sim --html`) shows of every running node: its controller's Raft role and term,
 * and its replica of each partition (leading or following, leader epoch, ISR, log end offset, high
 * watermark). Only reads, like the replica checks.
 */
function clusterSamples(controllers: ReadonlyMap<string, ControllerNode>, brokers: ReadonlyMap<string, Broker>, names: readonly string[], partitions: number): StateSample[] {
  const samples: StateSample[] = [];
  for (const [name, controller] of controllers) samples.push(raftSample(name, controller.raft.status()));
  for (const view of replicaViews(brokers, names, partitions)) {
    const name = names[view.broker - 1]!;
    const log = brokers.get(name)?.topics.partition(topic, view.partition)?.log ?? null;
    const values: Record<string, number> = { hw: Number(view.highWatermark) };
    if (log !== null && log.failedWith === null) values.leo = Number(log.logEndOffset);
    const role = view.durableEnd === null ? 'failed' : view.leading ? 'leader' : 'follower';
    samples.push({ node: name, track: `${topic}-${view.partition}`, role, epoch: view.leaderEpoch, detail: `isr ${view.isr.join(',')}`, values });
  }
  return samples;
}

/** Every open replica's batches (offsets, leader epoch, CRC), read from its log: the final replica check. */
async function replicaLogs(brokers: ReadonlyMap<string, Broker>, names: readonly string[], partitions: number, damaged: (broker: number) => boolean): Promise<ReplicaLog[]> {
  const logs: ReplicaLog[] = [];
  for (const view of replicaViews(brokers, names, partitions)) {
    const log = brokers.get(names[view.broker - 1]!)?.topics.partition(topic, view.partition)?.log ?? null;
    if (log === null || view.durableEnd === null) continue;
    const batches: ReplicaBatch[] = [];
    const unreadable: bigint[] = [];
    for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
      let bytes: Uint8Array;
      try {
        bytes = await log.read(offset, replicaRebuildReadBytes);
      } catch (error) {
        // On the damaged broker's disk an offset may be unreadable (never wrong): noted, and the next tried.
        if (!damaged(view.broker) || !isLogError(error) || (error.code !== 'CORRUPT_RECORD' && error.code !== 'IO_ERROR')) throw error;
        unreadable.push(offset);
        offset++;
        continue;
      }
      const split = splitBatches(bytes, bytes.length);
      if (!split.ok || split.spans.length === 0) break;
      for (const { header } of split.spans) {
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        batches.push({ baseOffset: header.baseOffset, lastOffset, leaderEpoch: header.partitionLeaderEpoch, crc: header.crc });
        offset = lastOffset + 1n;
      }
    }
    logs.push(unreadable.length === 0 ? { view, batches } : { view, batches, unreadable });
  }
  return logs;
}

async function runScenario(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult> {
  sim.buggify.enable(); // BUGGIFY points may fire in this scenario's runs (src/core/io/probes.ts)
  const swarm = announceSwarm(sim, clusterSwarm(sim.random));
  const { livenessMs } = swarm;
  const run = new Run(() => sim.nowMs());
  const names = Array.from({ length: options.nodes }, (_, k) => `n${k + 1}`);
  const replicas = Math.min(3, names.length);
  const controllers = new Map<string, ControllerNode>();
  const brokers = new Map<string, Broker>();
  sim.setSampler(() => clusterSamples(controllers, brokers, names, swarm.partitions));
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
      electionTicks: swarm.electionTicks,
      brokerSessionTimeoutMs: swarm.sessionMs,
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
        replication: {
          minInsyncReplicas: 2,
          replicaLagTimeMaxMs: swarm.replicaLagMs,
          brokerHeartbeatIntervalMs: swarm.sessionMs / 6,
          brokerSessionTimeoutMs: swarm.sessionMs,
          replicaFetchWaitMsMax: swarm.replicaFetchWaitMs,
          controlledShutdownTimeoutMs: swarm.shutdownTimeoutMs,
        },
        testOnlyLogBugs: sim.plantedLogBugs,
        testOnlyReplicationBugs: sim.plantedReplicationBugs,
        testOnlyBrokerBugs: sim.plantedBrokerBugs,
      });
      return { controller, broker };
    } catch (error) {
      await controller.stop();
      throw error;
    }
  }
  function supervisorRestart(k: number): void {
    const node = nodes[k]!;
    // Also in the middle of a graceful stop: `chronik start` exits at once when its controller's
    // storage fails (the broker must not go on with a metadata image nobody updates).
    if (!node.isUp) return;
    run.counts.controllerRestarts++;
    node.crash();
    controllers.delete(names[k]!);
    brokers.delete(names[k]!);
    sim.schedule(200, () => node.isUp || node.restart());
  }
  const admin = sim.addClient('admin');
  const producers = [
    ...Array.from({ length: swarm.plainProducers }, (_, j) => ({ name: `p${j + 1}`, idempotent: false })),
    ...Array.from({ length: swarm.idempotentProducers }, (_, j) => ({ name: `i${j + 1}`, idempotent: true })),
  ].map((p) => ({ ...p, io: sim.addClient(p.name) }));
  const consumerIo = sim.addClient('c1');
  let stopAtMs = Number.POSITIVE_INFINITY;
  let running = 0;
  stopping.clear();
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
  const hosts = sim.nodes.map((n) => n.name);
  const faultContext: FaultContext = { sim, nodes, names, hosts, run, down, registeredEpoch };
  // A shortened fault phase (a shrunk failing run) must still hold every fault it is given.
  const phaseMs = options.faultPhaseMs ?? faultsMs;
  // (Rolling restarts count from the topic's creation, and stop at the phase's end by themselves.)
  checkFaultSchedule(options.faults, `cluster with ${nodes.length} nodes and ${hosts.length} hosts (${hosts.join(', ')})`, clusterFaultKinds, { nodes: nodes.length, hosts: hosts.length }, { ms: phaseMs, exempt: (f) => f.kind === 'rolling-restart' });
  void ensureTopic(admin, sim, run, names, replicas, swarm).then(() => {
    faultsEndMs = Math.max(phaseMs, sim.nowMs() + phaseMs);
    // Drawn even when a schedule is given, so that replaying a run's own schedule is that run again.
    const drawnRolling = swarm.faults.includes('rolling') ? drawRollingRestarts(sim.random.fork('rolling'), nodes.length) : [];
    const rolling = options.faults === undefined ? drawnRolling : options.faults.filter((f) => f.kind === 'rolling-restart');
    schedule.push(...rolling);
    scheduleFaults(faultContext, rolling, sim.nowMs() + phaseMs);
    for (const p of producers) {
      running++;
      void producer(p.io, p.name, p.idempotent, names, run, swarm, () => stopAtMs).finally(() => running--);
    }
    running++;
    void consumer(consumerIo, 'c1', names, run, swarm, () => stopAtMs).finally(() => running--);
  });
  // The seed's faults, as data (sim/fault-schedule.ts); a given schedule runs in their place.
  const drawn = drawClusterSchedule(sim, nodes.length, hosts, swarm);
  // Drawn last, from their own stream, so no earlier draw of any seed moves.
  const clocks = drawClockSchedule(sim.random.fork('clock-faults'), names);
  drawn.push(...clocks.faults);
  const damage = drawStorageDamage(sim.random.fork('storage-damage'), nodes.length);
  sim.trace(null, 'SwarmStorageDamage', { ...damage });
  const schedule: PlannedFault[] = options.faults === undefined ? drawn : options.faults.filter((f) => f.kind !== 'rolling-restart');
  scheduleFaults(faultContext, schedule);
  for (const node of nodes) {
    node.disk.faults.setReadErrorOdds(swarm.readErrorOdds);
    node.disk.faults.setMisdirectionOdds({ writes: 0, reads: swarm.misdirectedReadOdds });
  }
  // The replica checks (sim/checkers/replica-consistency.ts) look at every replica between any two
  // events of the whole run (a look adds no event, so the trace is the same with or without it). A
  // moment identical to the last one looked at is not checked again: the checks would find what they
  // found then (most events change no replica's role, epoch, ISR, high watermark or durable end).
  const monitor = new ReplicaMonitor();
  const viewPool: Mutable<ReplicaView>[] = [];
  const views: ReplicaView[] = [];
  const watched =
    (until: () => boolean = () => false): (() => boolean) =>
    () => {
      if (replicaViewsInto(viewPool, views, brokers, names, swarm.partitions)) monitor.observe(views, sim.nowMs());
      return until();
    };
  await sim.run({ untilMs: topicWaitMsMax, until: watched(() => faultsEndMs !== null) });
  await sim.run({ untilMs: faultsEndMs ?? phaseMs, until: watched() });
  // Heal: graceful stops in progress finish, every node comes up, the network is whole, disks
  // fast; then the liveness phase.
  await sim.run({ untilMs: sim.nowMs() + 10_000, until: watched(() => stopping.size === 0) });
  if (stopping.size > 0) run.fail(`graceful stop of ${[...stopping].map((k) => names[k]).join(', ')} did not finish within 10 s`);
  const healedMs = sim.nowMs();
  sim.network.heal();
  for (const node of nodes) {
    node.disk.faults.latency.syncMsMax = 3;
    node.disk.faults.cancelSyncFailures();
    node.disk.faults.setReadErrorOdds(0);
    node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
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
  // Every replica holds every record now: the damaged node's sectors lose nothing the others lack.
  const damagedDisk = damage.damagedNode < 0 ? null : nodes[damage.damagedNode]!.disk;
  for (let i = 0; health === null && damagedDisk !== null && i < damage.latentSectors; i++) damagedDisk.faults.plantLatentSectorError({ inFiles: isSegmentFile });
  let readError: string | null | undefined;
  const settledHw = new Map<number, bigint>();
  for (const view of replicaViews(brokers, names, swarm.partitions)) if (view.leading && view.topic === topic) settledHw.set(view.partition, view.highWatermark);
  void consumeAll(admin, run, names, swarm, settledHw).then((result) => (readError = result));
  await sim.run({ untilMs: sim.nowMs() + 10_000, until: watched(() => readError !== undefined) });
  for (const failure of monitor.timedFailures()) run.fail(failure.text, failure.atMs);
  // Below the high watermark, every ISR member's log holds the leader's batches, batch for batch.
  let logs: ReplicaLog[] | string | undefined;
  const damaged = (broker: number): boolean => nodes[broker - 1]!.diskState.storageCounts.latentSectorsPlanted > 0;
  void replicaLogs(brokers, names, swarm.partitions, damaged).then(
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
  if (nodes.some((n) => n.diskState.readErrors > 0)) sim.coverage.reached('sim.read-failed');
  if (nodes.some((n) => n.diskState.storageCounts.misdirectedReads > 0)) sim.coverage.reached('sim.read-misdirected');
  if (nodes.some((n) => n.diskState.storageCounts.latentReadErrors > 0)) sim.coverage.reached('sim.latent-sector-read-failed');
  return { ...run.judge({ denseFinalLog: true, mustSurvive: (op: ProduceOp) => op.acks === -1 }), swarm: { ...swarm, ...clocks.swarm, ...damage }, faultSchedule: schedule };
}

/**
 * The rare states every sweep of `npm test`'s size must reach (docs/simulator.md): 150 seeds of 3
 * nodes, 50 of 5 (4 or any other count: 50). A torn log tail after a crash is too rare in 50 seeds of
 * 5 nodes to gate on there (4 of 7000..7049 when measured), and so is a leader giving up a partition
 * it cannot read (4 of 7000..7049; 13 of the 150 seeds of 3 nodes).
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
    'sim.process-paused',
    'buggify.broker.delayed-reply',
    'buggify.cluster.early-heartbeat',
    'buggify.log.small-group-commit',
    'buggify.raft.drop-heartbeat',
    'buggify.raft.early-election-timeout',
    'buggify.replication.short-follower-fetch',
    'sim.read-failed',
    'sim.latent-sector-read-failed',
  ];
  if (nodes === 3) return { targets: [...targets, 'log.torn-tail-cut', 'sim.read-misdirected', 'cluster.reregister', 'cluster.leader-gave-up-unreadable-log'], seedsMin: 150 };
  return { targets, seedsMin: 50 };
}

export const scenario: Scenario = {
  name: 'cluster',
  description: '3 or 5 nodes (controller voter + broker each), RF=3, min.insync.replicas=2: crashes, graceful stops, partitions, resets, fsync failures; producers follow leaders; judged by the Kafka checker',
  defaultNodes: 3,
  nodesMin: 3,
  nodesMax: 5,
  coverageGoal: clusterCoverageGoal,
  faultKinds: clusterFaultKinds,
  faultPhaseMs: faultsMs,
  run: runScenario,
};
