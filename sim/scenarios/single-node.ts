import { Broker } from '../../src/core/broker/index.ts';
import { DiskError, sleep, type Io } from '../../src/core/io/index.ts';
import type { Random } from '../../src/core/io/random.ts';
import type { FlushPolicy } from '../../src/core/log/index.ts';
import { ApiKey, ErrorCode } from '../../src/core/protocol/index.ts';
import type { Simulation, SimNode } from '../../src/io-sim/index.ts';
import { KafkaWireClient } from '../../src/testing/kafka-wire-client.ts';
import { tpKey, type Acks, type Outcome, type ProduceOp } from '../checkers/kafka-history.ts';
import { checkSegmentRolls, type AckedWrite } from '../checkers/segment-roll.ts';
import { checkFaultSchedule, type FaultKinds, type FaultSchedule, type PlannedFault } from '../fault-schedule.ts';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.ts';
import { announceSwarm, betweenStep, drawKinds, oddsBetween } from '../swarm.ts';
import { drawClockFaults, planClockFaults, type ClockFaultsSwarm, type ClockJump, type ClockPlan } from '../clock-faults.ts';
import { wallClockOriginMs } from '../../src/io-sim/index.ts';
import { commitPositions, fetchCommitted, fetchOnce, produceOutcome, valuesBatch, WorkloadRun } from '../workload/kafka-ops.ts';

/**
 * One broker, real Kafka requests over the simulated network. Producers (plain and idempotent, acks
 * 1 and all, a few acks=0; p2 pipelines up to three batches on its connection) write numbered values
 * while the fault plan crashes the node (torn writes), stops it gracefully, breaks connections
 * mid-frame, fails fsyncs and slows the disk. During the faults a consumer reads every partition
 * from its position (three Fetch requests, sometimes with an OffsetFetch, pipelined on one
 * connection), commits its positions for group `sim-group` (a simple commit: generation -1, no
 * member), and on every reconnect starts over from the offsets the broker returns for the group, as
 * a restarted consumer does. After the faults stop, a final consumer reads every partition from the
 * start.
 *
 * Everything the clients did and saw goes into one KafkaHistory, judged by the shared checker
 * (sim/checkers/kafka-history.ts): lost writes, one value per offset, no duplicates, per-producer
 * order, reads below the high watermark of data that stays, committed offsets never going back,
 * failed writes absent, and a dense final log. Besides it:
 * - responses on every connection arrive in request order (KafkaWireClient.orderViolations);
 * - liveness: within `livenessMs` of virtual time after the faults stop (2 s at the old fixed
 *   timeouts), every producer gets an ack.
 * What varies from seed to seed (fault kinds, rates, timeouts, workload shape) is its swarm config.
 */

const topic = 'events';
const port = 9092;
const faultsMs = 3000;
const group = 'sim-group';

/** Each fault kind and the odds that a seed switches it on (the planted bugs need crashes). */
const faultOdds = { crash: 0.9, stop: 0.75, reset: 0.75, syncFail: 0.75, slowDisk: 0.6 } as const;
type FaultKind = keyof typeof faultOdds;

/**
 * What a seed draws before it runs (swarm testing, sim/swarm.ts), from the fork `swarm`. Each range
 * is centred on the value the scenario used before, so a seed costs the same on average.
 */
export type SingleNodeSwarm = {
  /** Fault kinds on; the others never happen in this seed. */
  readonly faults: readonly FaultKind[];
  /** A fault comes every 50..faultGapMsMax ms (200..600; was 400). */
  readonly faultGapMsMax: number;
  /** The node stays down, the disk slow, 10..downMsMax ms (100..300; was 200). */
  readonly downMsMax: number;
  /** Clients' request timeout (1000..3000; was 2000), connect timeout (250..750; was 500). */
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Produce's timeoutMs (500..1500; was 1000). */
  readonly produceTimeoutMs: number;
  /** Partitions of the topic (2..4; was 3). */
  readonly partitions: number;
  /** p2 pipelines up to this many batches (2..4; was 3). */
  readonly pipelineMax: number;
  /** Values per batch 1..batchValuesMax (3..7; was 5). */
  readonly batchValuesMax: number;
  /** A plain batch goes with acks=0 with these odds (0..0.2; was 0.1), else acks=1 with acksOneOdds (0.2..0.8; was 0.5), else acks=all. */
  readonly acksZeroOdds: number;
  readonly acksOneOdds: number;
  /** A producer waits 1..produceGapMsMax ms between sends (8..16; was 12). */
  readonly produceGapMsMax: number;
  /** Bytes per partition of the consumer's fetches (1..8 KiB; was 4 KiB). */
  readonly consumerFetchBytes: number;
  /** Derived: 2000 ms plus what the longer timeouts add. */
  readonly livenessMs: number;
} & ClockSwarm &
  StorageSwarm;

/**
 * Storage faults that destroy nothing, drawn last (after the clock): a full disk now and then
 * (odds 0.4; 'disk-full' entries of the schedule, from their own stream), and through the fault
 * phase transient read errors (odds 0.4 of 0.001..0.02 per read) and misdirected reads (odds 0.3 of
 * 0.001..0.01 per read: served once from a whole number of sectors away). Faults that destroy
 * stored bytes (latent sector errors, misdirected writes) are in log-crash and kernel, whose
 * checkers tell bytes the disk destroyed from bytes the code lost.
 */
export type StorageSwarm = {
  readonly diskFull: boolean;
  readonly readErrorOdds: number;
  readonly misdirectedReadOdds: number;
};

function drawStorage(random: Random): StorageSwarm {
  return {
    diskFull: random.chance(0.4),
    readErrorOdds: random.chance(0.4) ? Math.round((0.001 + random.next() * 0.019) * 1000) / 1000 : 0,
    misdirectedReadOdds: random.chance(0.3) ? Math.round((0.001 + random.next() * 0.009) * 1000) / 1000 : 0,
  };
}

/**
 * Wall-clock faults on the broker's host (sim/clock-faults.ts) and the time limits that can see
 * them, drawn last (after every draw above, so those are the same for every seed as before they
 * came in).
 */
export type ClockSwarm = ClockFaultsSwarm & {
  /** The topic rolls by age and deletes by age, with LogAppendTime timestamps (odds 0.5). */
  readonly timeLimits: boolean;
  /** Its segment.ms (100..400) and retention.ms (2..30 s), the broker's retention check interval (100..500 ms). */
  readonly segmentMs: number;
  readonly retentionMs: number;
  readonly retentionCheckIntervalMs: number;
};

/** Draws the clock part of the swarm config (from the same fork, after everything else). */
function drawClock(random: Random, livenessMs: number): { swarm: ClockSwarm; plan: ClockPlan } {
  const clock = drawClockFaults(random, ['n1'], { faultsMs, livenessMs });
  const swarm: ClockSwarm = {
    ...clock.swarm,
    timeLimits: random.chance(0.5),
    segmentMs: betweenStep(random, 100, 400, 50),
    retentionMs: betweenStep(random, 2000, 30_000, 1000),
    retentionCheckIntervalMs: betweenStep(random, 100, 500, 50),
  };
  return { swarm, plan: clock.plan };
}

/** Draws a seed's swarm config from the fork `swarm` of the run's root source. */
export function singleNodeSwarm(root: Random): SingleNodeSwarm {
  return drawSingleNode(root).swarm;
}

function drawSingleNode(root: Random): { swarm: SingleNodeSwarm; clock: ClockPlan } {
  const random = root.fork('swarm');
  const on = drawKinds(random, faultOdds);
  const requestTimeoutMs = betweenStep(random, 1000, 3000, 250);
  const connectTimeoutMs = betweenStep(random, 250, 750, 50);
  const base = {
    faults: (Object.keys(faultOdds) as FaultKind[]).filter((kind) => on.has(kind)),
    faultGapMsMax: betweenStep(random, 200, 600, 50),
    downMsMax: betweenStep(random, 100, 300, 25),
    requestTimeoutMs,
    connectTimeoutMs,
    produceTimeoutMs: betweenStep(random, 500, 1500, 250),
    partitions: random.between(2, 4),
    pipelineMax: random.between(2, 4),
    batchValuesMax: random.between(3, 7),
    acksZeroOdds: oddsBetween(random, 0, 0.2),
    acksOneOdds: oddsBetween(random, 0.2, 0.8),
    produceGapMsMax: random.between(8, 16),
    consumerFetchBytes: 1024 * random.between(1, 8),
    // A request outstanding when the faults stop may have to time out before the producer retries.
    livenessMs: 2000 + Math.max(0, requestTimeoutMs - 2000) + Math.max(0, connectTimeoutMs - 500),
  };
  const clock = drawClock(random, base.livenessMs);
  const storage = drawStorage(random);
  return { swarm: { ...base, ...clock.swarm, ...storage }, clock: clock.plan };
}

const initialCounts = { produced: 0, retries: 0, pipelined: 0, crashes: 0, stops: 0, powerLossesAfterStop: 0, intervalFlush: 0, resets: 0, syncFailures: 0, consumerRestarts: 0, consumerOutOfRange: 0, bootFailures: 0, diskFull: 0, clockJumpsBack: 0, clockJumpsForward: 0, retentionDeleted: 0 };

class Run extends WorkloadRun<typeof initialCounts> {
  /** The LogAppendTime each acknowledged produce was answered with (by operation id; -1 when none). */
  readonly appendTimesMs = new Map<number, bigint>();
  /** Each partition's log start offset as the final read found it (`topic/partition`). */
  readonly logStarts = new Map<string, bigint>();
  /** When the scenario restarted the node. */
  readonly restartsMs: number[] = [];
  /** When the broker host's wall clock jumped back. */
  readonly backwardJumpsMs: number[] = [];
  constructor(nowMs: () => number) {
    super({ ...initialCounts }, nowMs);
  }
}

/** How long the supervisor waits before it starts a broker whose start failed. */
const supervisorRestartMs = 200;

/** Whether a DiskError is somewhere in the error's cause chain. */
function causedByDisk(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof DiskError) return true;
  }
  return false;
}

/** Starts the node again (it crashed or stopped), noting when: a restart reopens every log. */
function restart(sim: Simulation, node: SimNode, run: Run): void {
  run.restartsMs.push(sim.nowMs());
  node.restart();
}

async function connect(io: Io, name: string, swarm: SingleNodeSwarm): Promise<KafkaWireClient | null> {
  try {
    return await KafkaWireClient.connect(io, 'n1', port, { clientId: name, connectTimeoutMs: swarm.connectTimeoutMs, requestTimeoutMs: swarm.requestTimeoutMs });
  } catch {
    return null;
  }
}

async function ensureTopic(io: Io, sim: Simulation, run: Run, swarm: SingleNodeSwarm): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const client = await connect(io, 'admin', swarm);
    if (client !== null) {
      try {
        const configs = swarm.timeLimits
          ? [
              { name: 'segment.ms', value: String(swarm.segmentMs) },
              { name: 'retention.ms', value: String(swarm.retentionMs) },
              { name: 'message.timestamp.type', value: 'LogAppendTime' },
            ]
          : [];
        const response = await client.request(ApiKey.CreateTopics, 3, {
          topics: [{ name: topic, numPartitions: swarm.partitions, replicationFactor: 1, assignments: [], configs }],
          timeoutMs: 1000,
          validateOnly: false,
        });
        const code = response.topics[0]?.errorCode;
        run.close('admin', client);
        if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      } catch {
        run.close('admin', client);
      }
    }
    await sleep(io.clock, 20);
  }
  sim.fail('could not create the topic in 200 attempts');
}

const producerFenced = new Set<number>([
  ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  ErrorCode.UNKNOWN_PRODUCER_ID,
  ErrorCode.INVALID_PRODUCER_EPOCH,
]);

/** The idempotent producer's identity, or null for a plain producer. */
type Identity = { producerId: bigint; epoch: number } | null;

/** Sends one batch as one Produce request and records it; resolves with the partition's error code (undefined: no answer). */
function sendBatch(io: Io, run: Run, name: string, client: KafkaWireClient, send: PendingBatch, acks: Acks, identity: Identity, timeoutMs: number): Promise<number | undefined> {
  const records = valuesBatch(send.values, identity === null ? undefined : { producerId: identity.producerId, epoch: identity.epoch, sequence: send.sequence });
  const body = { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: send.partition, records }] }] };
  run.counts.produced += send.values.length;
  const fields = { process: name, idempotent: identity !== null, acks, topic, partition: send.partition, values: send.values };
  const op = run.history.produce(fields, io.clock.nowMs());
  if (acks === 0) {
    client.sendOneWay(ApiKey.Produce, 7, body);
    run.history.complete(op, { type: 'info', reason: 'acks=0' }, io.clock.nowMs());
    return Promise.resolve(undefined);
  }
  return client.request(ApiKey.Produce, 7, body).then(
    (response) => {
      const answer = response.responses[0]?.partitionResponses[0];
      if (answer === undefined) {
        run.history.complete(op, { type: 'info', reason: 'no partition in the response' }, io.clock.nowMs());
        return undefined;
      }
      run.history.complete(op, produceOutcome(answer.errorCode, answer.baseOffset), io.clock.nowMs());
      run.appendTimesMs.set(op.id, answer.logAppendTimeMs);
      if (answer.errorCode === ErrorCode.NONE) run.lastAckMs.set(name, io.clock.nowMs());
      return answer.errorCode;
    },
    (error: Error) => {
      run.history.complete(op, { type: 'info', reason: error.message }, io.clock.nowMs());
      return undefined;
    },
  );
}

/**
 * A producer: new values every time; an idempotent one retries an unacknowledged batch with the
 * same sequence. A plain one sends up to `pipelineMax` batches before reading the answers.
 */
async function producer(io: Io, name: string, idempotent: boolean, pipelineMax: number, run: Run, swarm: SingleNodeSwarm, stopAtMs: () => number): Promise<void> {
  const random: Random = io.random.fork(name);
  let client: KafkaWireClient | null = null;
  let producerId = -1n;
  let epoch = -1;
  const sequences = new Map<number, number>();
  let retry: PendingBatch | null = null;
  let counter = 0;
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(1, swarm.produceGapMsMax));
    if (client === null || client.closed) {
      run.close(name, client);
      client = await connect(io, name, swarm);
      if (client === null) continue;
    }
    // An idempotent producer sends nothing without a producer id: when InitProducerId fails (a full
    // disk cannot persist a block) it asks again, on the same connection. (Asking only on a new
    // connection let it send its next batches with producer id -1, untracked, and their retries
    // were stored twice: single-node seed 70669.)
    if (idempotent && producerId < 0n) {
      const init = await client.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }).catch(() => null);
      if (init === null || init.errorCode !== ErrorCode.NONE) continue;
      producerId = init.producerId;
      epoch = init.producerEpoch;
    }
    if (!idempotent) {
      const depth = pipelineMax > 1 ? random.between(1, pipelineMax) : 1;
      if (depth > 1) run.counts.pipelined += depth;
      const batches = Array.from({ length: depth }, () => nextBatch(random, name, () => counter++, sequences, false, swarm));
      const c = client;
      const acks = (): Acks => (random.chance(swarm.acksZeroOdds) ? 0 : random.chance(swarm.acksOneOdds) ? 1 : -1);
      await Promise.all(batches.map((batch) => sendBatch(io, run, name, c, batch, acks(), null, swarm.produceTimeoutMs)));
      // A pipelining producer sends as many batches as the others in all, only in bursts.
      if (depth > 1) await sleep(io.clock, random.between(1, swarm.produceGapMsMax) * (depth - 1));
      continue;
    }
    const send: PendingBatch = retry ?? nextBatch(random, name, () => counter++, sequences, true, swarm);
    if (retry !== null) run.counts.retries++;
    retry = null;
    const errorCode = await sendBatch(io, run, name, client, send, -1, { producerId, epoch }, swarm.produceTimeoutMs);
    if (errorCode === ErrorCode.NONE) continue;
    if (errorCode !== undefined && producerFenced.has(errorCode)) {
      // The broker no longer knows this producer's sequence (its batches were lost in a crash
      // before they were durable): start over with a new producer id, as a real client does.
      producerId = -1n;
      sequences.clear();
      client.close();
    } else {
      retry = send;
    }
  }
  run.close(name, client);
}

interface PendingBatch {
  partition: number;
  values: string[];
  sequence: number;
}

function nextBatch(random: Random, name: string, next: () => number, sequences: Map<number, number>, idempotent: boolean, swarm: SingleNodeSwarm): PendingBatch {
  const partition = random.int(swarm.partitions);
  const values = Array.from({ length: random.between(1, swarm.batchValuesMax) }, () => `${name}:${next()}`);
  const sequence = sequences.get(partition) ?? 0;
  if (idempotent) sequences.set(partition, sequence + values.length);
  return { partition, values, sequence };
}

/** The partition indexes of the topic in this seed. */
function partitionsOf(swarm: SingleNodeSwarm): number[] {
  return Array.from({ length: swarm.partitions }, (_, p) => p);
}

/** The consumer's read of one partition from `position`, recorded; resolves with the next position. */
async function consumeOnce(io: Io, run: Run, name: string, client: KafkaWireClient, partition: number, position: bigint, fetchBytes: number): Promise<bigint> {
  const invokeAt = run.history.invocation();
  const invokeMs = io.clock.nowMs();
  const answer = await fetchOnce(client, partition, position, fetchBytes);
  if (answer.kind === 'failed') return position;
  if (answer.kind === 'error') {
    if (answer.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) return position;
    // The position is past the log's end: only possible if data the consumer read (below the high
    // watermark) or committed was lost, which the checker reports. Carry on from the high watermark.
    run.counts.consumerOutOfRange++;
    return answer.highWatermark >= 0n ? answer.highWatermark : 0n;
  }
  if (answer.records.length === 0) return position;
  const fields = { process: name, topic, partition, fetchOffset: position, records: answer.records, highWatermark: answer.highWatermark, final: false };
  run.history.read(fields, invokeMs, invokeAt, io.clock.nowMs());
  return answer.records.at(-1)!.offset + 1n;
}

/**
 * A consumer of group `sim-group` reading during the faults. On every (re)connect it starts from the
 * group's committed offsets; each round pipelines a Fetch per partition (and, one round in three or
 * so, an OffsetFetch) on its one connection, then commits its new positions.
 */
async function consumer(io: Io, name: string, run: Run, swarm: SingleNodeSwarm, stopAtMs: () => number): Promise<void> {
  const random = io.random.fork(name);
  const allPartitions = partitionsOf(swarm);
  let client: KafkaWireClient | null = null;
  let positions: bigint[] = [];
  const sent = allPartitions.map(() => -1n);
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(30, 90));
    if (client === null || client.closed) {
      run.close(name, client);
      client = await connect(io, name, swarm);
      if (client === null) continue;
      run.counts.consumerRestarts++;
      const committed = await fetchCommitted(io, run, name, client, group, allPartitions);
      if (committed === null) {
        run.close(name, client);
        client = null;
        continue;
      }
      positions = committed.map((offset) => (offset < 0n ? 0n : offset));
    }
    const c = client;
    const reads = allPartitions.map((p) => consumeOnce(io, run, name, c, p, positions[p]!, swarm.consumerFetchBytes));
    const committed = random.chance(0.3) ? fetchCommitted(io, run, name, c, group, allPartitions) : null;
    positions = await Promise.all(reads);
    await committed;
    await commitPositions(io, run, name, c, group, positions, sent);
  }
  run.close(name, client);
}

/** The final full read of every partition from offset 0, recorded as the final log. */
async function consumeAll(io: Io, run: Run, swarm: SingleNodeSwarm): Promise<string | null> {
  const client = await connect(io, 'checker', swarm);
  if (client === null) return 'checker could not connect';
  try {
    for (const partition of partitionsOf(swarm)) {
      let fetchOffset = 0n;
      for (let guard = 0; guard < 10_000; guard++) {
        const invokeAt = run.history.invocation();
        const invokeMs = io.clock.nowMs();
        const answer = await fetchOnce(client, partition, fetchOffset, 1 << 20);
        if (answer.kind === 'failed') return `checker fetch failed: ${answer.message}`;
        if (answer.kind === 'error' && answer.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && answer.logStartOffset > fetchOffset) {
          // Retention deleted the segments below the log start (the checker judges whether it could).
          fetchOffset = answer.logStartOffset;
          run.logStarts.set(tpKey(topic, partition), fetchOffset);
          continue;
        }
        if (answer.kind === 'error') return `checker fetch p${partition} error ${answer.errorCode}`;
        const fields = { process: 'checker', topic, partition, fetchOffset, records: answer.records, highWatermark: answer.highWatermark, final: true };
        run.history.read(fields, invokeMs, invokeAt, io.clock.nowMs());
        if (answer.records.length === 0) break;
        fetchOffset = answer.records.at(-1)!.offset + 1n;
      }
    }
    return null;
  } finally {
    run.close('checker', client);
  }
}

/** The fault kind each of the plan's six draws stands for (resets twice as often). */
const plannedKinds: readonly FaultKind[] = ['crash', 'stop', 'reset', 'reset', 'syncFail', 'slowDisk'];

/**
 * The single node's fault kinds and their parameters (sim/fault-schedule.ts): every fault but a
 * reset waits `downMs` for its end (the restart, or the disk's speed back).
 */
export const singleNodeFaultKinds = {
  crash: { downMs: 'number' },
  stop: { downMs: 'number' },
  reset: {},
  'sync-fail': { downMs: 'number' },
  'slow-disk': { downMs: 'number' },
  'disk-full': { downMs: 'number' },
} as const satisfies FaultKinds;

/** A fault every 50..faultGapMsMax ms; a kind the seed switched off is drawn and then skipped. */
function drawFaults(random: Random, swarm: SingleNodeSwarm): PlannedFault[] {
  const names = { crash: 'crash', stop: 'stop', reset: 'reset', syncFail: 'sync-fail', slowDisk: 'slow-disk' } as const;
  const plan: PlannedFault[] = [];
  let atMs = 100;
  while (atMs < faultsMs) {
    atMs += random.between(50, swarm.faultGapMsMax);
    const kind = plannedKinds[random.int(6)]!;
    const downMs = random.between(10, swarm.downMsMax);
    if (!swarm.faults.includes(kind)) continue;
    plan.push(kind === 'reset' ? { kind: 'reset', atMs } : { kind: names[kind], atMs, downMs });
  }
  return plan;
}

/** Full disks for 50..downMsMax ms, from their own stream (StorageSwarm.diskFull). */
function drawDiskFull(random: Random, swarm: SingleNodeSwarm): PlannedFault[] {
  const plan: PlannedFault[] = [];
  let atMs = 200;
  for (;;) {
    atMs += random.between(200, 3 * swarm.faultGapMsMax);
    const downMs = random.between(50, swarm.downMsMax);
    if (atMs + downMs >= faultsMs) break;
    plan.push({ kind: 'disk-full', atMs, downMs });
  }
  return plan;
}

/** Schedules each fault of `faults` at its time. */
function scheduleFaults(sim: Simulation, node: SimNode, run: Run, faults: FaultSchedule): void {
  const powerLosses = sim.random.fork('power-loss');
  for (const f of faults) {
    const downMs = f['downMs'] as number;
    sim.schedule(f.atMs, () => {
      if (!node.isUp) return;
      switch (f.kind as keyof typeof singleNodeFaultKinds) {
        case 'crash':
          run.counts.crashes++;
          node.crash();
          sim.schedule(downMs, () => node.isUp || restart(sim, node, run));
          return;
        case 'stop':
          run.counts.stops++;
          // A stop that cannot make everything durable (a partition failed its fsync) reports it; the
          // node is then taken down hard, as an operator's kill would.
          // Half the stops are followed by a power loss before the restart: what the stop left
          // unsynced is gone, so a stop that answered writes it never flushed loses them.
          void node
            .stop()
            .then(() => {
              if (!powerLosses.chance(0.5)) return;
              run.counts.powerLossesAfterStop++;
              node.powerLoss();
            })
            .catch(() => node.crash())
            .then(() => sim.schedule(downMs, () => node.isUp || restart(sim, node, run)));
          return;
        case 'reset':
          if (sim.network.resetRandomConnection() !== null) run.counts.resets++;
          return;
        case 'sync-fail':
          run.counts.syncFailures++;
          node.disk.faults.failNextSync();
          sim.schedule(downMs, () => node.isUp && restart(sim, node, run));
          return;
        case 'disk-full':
          run.counts.diskFull++;
          node.disk.faults.setFull(true);
          sim.schedule(downMs, () => node.disk.faults.setFull(false));
          return;
        case 'slow-disk':
          node.disk.faults.latency.syncMsMax = 25;
          sim.schedule(downMs, () => void (node.disk.faults.latency.syncMsMax = 3));
          return;
        default:
          throw new Error(`single-node: no fault kind ${f.kind}`);
      }
    });
  }
}

/** Counts a jump of the broker host's clock (and when it went back). */
function noteJump(sim: Simulation, run: Run, jump: ClockJump): void {
  if (jump.jumpMs > 0) {
    run.counts.clockJumpsForward++;
    return;
  }
  run.counts.clockJumpsBack++;
  run.backwardJumpsMs.push(sim.nowMs());
}

/** Default retention.ms of a topic (Kafka's 7 days), in force when the seed sets no time limits. */
const defaultRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Whether retention could have deleted an acknowledged record: Kafka deletes a whole segment once
 * its newest timestamp is older than retention.ms by the broker's wall clock, so a deleted record's
 * own timestamp is older than that by some value the broker's clock showed. The largest such value
 * is the clock's maximum over the run (a forward jump makes deletion come sooner, legitimately).
 * The timestamp is the LogAppendTime of its produce answer, or the producer's CreateTime; an
 * idempotent retry answered from the producer state carries none, so it is not judged.
 */
function retentionMayDelete(run: Run, node: SimNode, swarm: SingleNodeSwarm, op: ProduceOp): boolean {
  const appendTimeMs = run.appendTimesMs.get(op.id) ?? -1n;
  if (swarm.timeLimits && appendTimeMs < 0n) return true;
  const timestampMs = appendTimeMs >= 0n ? Number(appendTimeMs) : wallClockOriginMs; // valuesBatch's CreateTime
  const retentionMs = swarm.timeLimits ? swarm.retentionMs : defaultRetentionMs;
  const may = timestampMs < node.clock.wallClockMaxMs() - retentionMs;
  if (may) run.counts.retentionDeleted++;
  return may;
}

/** The base offsets of each partition's segment files on the broker's disk now. */
function segmentBasesOnDisk(node: SimNode, swarm: SingleNodeSwarm): Map<number, bigint[]> {
  const bases = new Map<number, bigint[]>();
  const topicDir = node.diskState.list('data/logs').find((name) => name.startsWith(`${topic}~`));
  if (topicDir === undefined) return bases;
  for (const partition of partitionsOf(swarm)) {
    const names = node.diskState.list(`data/logs/${topicDir}/${partition}`);
    bases.set(partition, names.filter((name) => /^\d+\.log$/.test(name)).map((name) => BigInt(name.slice(0, -4))));
  }
  return bases;
}

/** The acknowledged produces of the history, for the roll check. */
function ackedWrites(run: Run): AckedWrite[] {
  const sent = new Set<string>();
  const writes: AckedWrite[] = [];
  for (const op of run.history.ops) {
    if (op.kind !== 'produce') continue;
    const firstSend = !sent.has(op.values[0]!);
    sent.add(op.values[0]!);
    if (op.outcome.type !== 'ok' || op.completeMs === null) continue;
    const firstOffset = op.outcome.value;
    writes.push({ partition: op.partition, firstOffset, lastOffset: firstOffset + BigInt(op.values.length - 1), invokeMs: op.invokeMs, completeMs: op.completeMs, firstSend });
  }
  return writes;
}

/** A partition log reopened after a failure (every partitionReopenIntervalMs) is open again within this of the faults' end. */
const reopenSettleMs = 500;

async function runScenario(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult> {
  sim.buggify.enable(); // BUGGIFY points may fire in this scenario's runs (src/core/io/probes.ts)
  const draw = drawSingleNode(sim.random);
  const swarm = announceSwarm(sim, draw.swarm);
  const { livenessMs } = swarm;
  const run = new Run(() => sim.nowMs());
  // Half the seeds run the interval flush policy (an fsync a few milliseconds after the first
  // unsynced append): appends then wait unsynced for longer, which is what a stop must flush.
  const config = sim.random.fork('broker-config');
  const flush: FlushPolicy = config.chance(0.5) ? { mode: 'interval', intervalMs: config.between(1, 20), bytesMax: config.between(4096, 65536) } : { mode: 'per-append' };
  run.counts.intervalFlush = flush.mode === 'interval' ? 1 : 0;
  const node: SimNode = sim.addNode('n1', async (io) =>
    Broker.start(io, {
      nodeId: 1,
      listen: { host: 'n1', port },
      advertised: { host: 'n1', port },
      dataDir: 'data',
      log: { flush },
      testOnlyLogBugs: sim.plantedLogBugs,
      testOnlyOffsetStoreBugs: sim.plantedOffsetStoreBugs,
      testOnlyBrokerBugs: sim.plantedBrokerBugs,
      // Time limits: retention runs often, and a partition that failed is reopened soon (a reopen
      // restarts its segment's age, which the roll check must know has settled).
      ...(swarm.timeLimits ? { retentionCheckIntervalMs: swarm.retentionCheckIntervalMs, partitionReopenIntervalMs: 200 } : {}),
    }).catch((error: unknown) => {
      // A start that meets a storage error (an injected fsync failure while recovering) exits the
      // process, and the supervisor (systemd, Kubernetes) starts `chronik start` again. Any other
      // failure to start is a bug, and fails the run.
      if (!causedByDisk(error)) throw error;
      io.log.error('NodeStartFailed', { error: String(error) });
      run.counts.bootFailures++;
      sim.schedule(0, () => {
        if (!node.isUp) return;
        node.crash();
        sim.schedule(supervisorRestartMs, () => node.isUp || restart(sim, node, run));
      });
      return { stop: async () => undefined };
    }),
  );
  planClockFaults(sim, draw.clock, 'faults', (jump) => noteJump(sim, run, jump));
  const admin = sim.addClient('admin');
  const producers = [
    { name: 'p1', idempotent: false, pipelineMax: 1 },
    { name: 'p2', idempotent: false, pipelineMax: swarm.pipelineMax },
    { name: 'i1', idempotent: true, pipelineMax: 1 },
  ].map((p) => ({ ...p, io: sim.addClient(p.name) }));
  const consumerIo = sim.addClient('c1');
  let stopAtMs = (options.faultPhaseMs ?? faultsMs) + livenessMs;
  let running = 0;
  void ensureTopic(admin, sim, run, swarm).then(() => {
    for (const p of producers) {
      running++;
      void producer(p.io, p.name, p.idempotent, p.pipelineMax, run, swarm, () => stopAtMs).finally(() => running--);
    }
    running++;
    void consumer(consumerIo, 'c1', run, swarm, () => stopAtMs).finally(() => running--);
  });
  // The seed's faults, as data (sim/fault-schedule.ts); a given schedule runs in their place (the
  // seed's are drawn all the same, so that a run's own schedule replays that run exactly).
  const drawn = [...drawFaults(sim.random.fork('faults'), swarm), ...(swarm.diskFull ? drawDiskFull(sim.random.fork('disk-full'), swarm) : [])];
  const phaseMs = options.faultPhaseMs ?? faultsMs;
  // Not checked against the phase: the seed's own plan may put its last fault just past the end of
  // the phase (it always could), where it meets the liveness phase.
  checkFaultSchedule(options.faults, 'single-node', singleNodeFaultKinds, { nodes: 1, hosts: sim.nodes.length });
  const schedule = options.faults ?? drawn;
  scheduleFaults(sim, node, run, schedule);
  node.disk.faults.setReadErrorOdds(swarm.readErrorOdds);
  node.disk.faults.setMisdirectionOdds({ writes: 0, reads: swarm.misdirectedReadOdds });
  await sim.run({ untilMs: phaseMs });
  const healedMs = sim.nowMs();
  node.disk.faults.setReadErrorOdds(0);
  node.disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
  node.disk.faults.setFull(false);
  node.disk.faults.latency.syncMsMax = 3;
  // With time limits, no fsync failure armed in the fault phase may fail a log later (the roll check
  // needs every log open from shortly after the faults to the end).
  if (swarm.timeLimits) node.disk.faults.cancelSyncFailures();
  if (!node.isUp) restart(sim, node, run);
  planClockFaults(sim, draw.clock, 'liveness', (jump) => noteJump(sim, run, jump));
  await sim.run({ untilMs: healedMs + livenessMs });
  for (const p of producers) {
    if ((run.lastAckMs.get(p.name) ?? -1) < healedMs) run.fail(`liveness: ${p.name} got no ack within ${livenessMs} ms after the faults stopped`);
  }
  // Clients finish their in-flight requests before the final read (an ack that arrives after the
  // read would look lost).
  stopAtMs = 0;
  await sim.run({ untilMs: sim.nowMs() + 5000, until: () => running === 0 });
  if (running > 0) run.fail(`${running} clients still busy 5 s after being told to stop`);
  let readError: string | null | undefined;
  void consumeAll(admin, run, swarm).then((result) => (readError = result));
  await sim.run({ untilMs: sim.nowMs() + 5000, until: () => readError !== undefined });
  if (readError === undefined) run.fail('the final read did not finish within 5 s');
  else if (readError !== null) run.fail(readError);
  if (swarm.timeLimits) {
    const writes = ackedWrites(run);
    const check = { writes, segmentBases: segmentBasesOnDisk(node, swarm), segmentMs: swarm.segmentMs, fromMs: healedMs + reopenSettleMs, resetsMs: run.restartsMs, backwardJumpsMs: run.backwardJumpsMs };
    const rolls = checkSegmentRolls(check);
    for (const finding of rolls.findings) run.fail(finding);
    for (let i = 0; i < rolls.rollsAcrossBackwardJumps; i++) sim.coverage.reached('clock.roll-across-backward-jump');
  }
  const retention = { logStarts: run.logStarts, mayBeDeleted: (op: ProduceOp) => retentionMayDelete(run, node, swarm, op) };
  if (node.diskState.readErrors > 0) sim.coverage.reached('sim.read-failed');
  if (node.diskState.storageCounts.misdirectedReads > 0) sim.coverage.reached('sim.read-misdirected');
  const judged = run.judge({ denseFinalLog: true, retention });
  const clock = { clockDrift: swarm.clockDrift.join(',') || '-', clockJumps: swarm.clockJumps.join(',') || '-' };
  return { ...judged, summary: { ...judged.summary, ...clock }, swarm, faultSchedule: schedule };
}

/** The rare states every sweep of `npm test`'s size (50 seeds) must reach (docs/simulator.md). */
const coverageTargets = [
  'sim.clock-jumped-backward',
  'sim.clock-jumped-forward',
  'log.segment-rolled-by-age',
  'log.retention-deleted-by-age',
  'clock.roll-across-backward-jump',
  'log.crash-with-acks-pending',
  'log.fsync-failed-with-waiters',
  'log.torn-tail-cut',
  'log.disk-full-rejected',
  'sim.read-failed',
  'producer.duplicate-retry',
  'buggify.broker.delayed-reply',
  'buggify.log.small-group-commit',
];

export const scenario: Scenario = {
  name: 'single-node',
  description: 'one broker under crashes, graceful stops, mid-frame resets, fsync failures; producers (one pipelining), a consumer committing its group offsets, every history judged by the Kafka checker',
  defaultNodes: 1,
  nodesMin: 1,
  nodesMax: 1,
  coverageGoal: () => ({ targets: coverageTargets, seedsMin: 50 }),
  faultKinds: singleNodeFaultKinds,
  faultPhaseMs: faultsMs,
  run: runScenario,
};
