import { Broker } from '../../src/core/broker/index.ts';
import { sleep, type Io } from '../../src/core/io/index.ts';
import type { Random } from '../../src/core/io/random.ts';
import { recordBatch } from '../../src/core/log/index.ts';
import { ApiKey, ErrorCode } from '../../src/core/protocol/index.ts';
import type { Simulation, SimNode } from '../../src/io-sim/index.ts';
import { KafkaWireClient } from '../../src/testing/kafka-wire-client.ts';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.ts';
import { readRecords } from '../workload/records.ts';

/**
 * One broker, real Kafka requests over the simulated network. Producers (plain and idempotent, acks
 * 1 and all, a few acks=0) write numbered values while the fault plan crashes the node (torn writes),
 * stops it gracefully, breaks connections mid-frame, fails fsyncs and slows the disk. After the faults
 * stop, a consumer reads every partition from the start. Checkers:
 * - every acknowledged value is read back exactly once, at the offset it was acknowledged with;
 * - offsets are dense and increasing in each partition, and no value appears twice (idempotent
 *   retries included);
 * - responses on a connection arrive in request order;
 * - liveness: within 2 s of virtual time after the faults stop, every producer gets an ack.
 */

const topic = 'events';
const partitions = 3;
const port = 9092;
const faultsMs = 3000;
const livenessMs = 2000;

interface Ack {
  partition: number;
  offset: bigint;
  value: string;
}

class History {
  readonly acks: Ack[] = [];
  readonly failures: string[] = [];
  readonly lastAckMs = new Map<string, number>();
  counts = { produced: 0, acked: 0, unknown: 0, retries: 0, crashes: 0, stops: 0, resets: 0, syncFailures: 0 };

  fail(message: string): void {
    if (this.failures.length < 20) this.failures.push(message);
  }
}

function valuesBatch(values: string[], idempotent?: { producerId: bigint; epoch: number; sequence: number }): Uint8Array {
  const encoder = new TextEncoder();
  return recordBatch.encodeRecordBatch({
    records: values.map((v) => ({ key: null, value: encoder.encode(v) })),
    baseTimestamp: 1_767_225_600_000n,
    producerId: idempotent?.producerId ?? -1n,
    producerEpoch: idempotent?.epoch ?? -1,
    baseSequence: idempotent?.sequence ?? -1,
  });
}

async function connect(io: Io, name: string): Promise<KafkaWireClient | null> {
  try {
    return await KafkaWireClient.connect(io, 'n1', port, { clientId: name, connectTimeoutMs: 500, requestTimeoutMs: 2000 });
  } catch {
    return null;
  }
}

async function ensureTopic(io: Io, sim: Simulation): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const client = await connect(io, 'admin');
    if (client !== null) {
      try {
        const response = await client.request(ApiKey.CreateTopics, 3, {
          topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
          timeoutMs: 1000,
          validateOnly: false,
        });
        const code = response.topics[0]?.errorCode;
        client.close();
        if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      } catch {
        client.close();
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

/** A producer: new values every time; an idempotent one retries an unacknowledged batch with the same sequence. */
async function producer(io: Io, name: string, idempotent: boolean, history: History, stopAtMs: () => number): Promise<void> {
  const random: Random = io.random.fork(name);
  let client: KafkaWireClient | null = null;
  let producerId = -1n;
  let epoch = -1;
  const sequences = new Map<number, number>();
  let retry: PendingBatch | null = null;
  let counter = 0;
  while (io.clock.nowMs() < stopAtMs()) {
    await sleep(io.clock, random.between(1, 12));
    if (client === null || client.closed) {
      for (const violation of client?.orderViolations ?? []) history.fail(`${name}: ${violation}`);
      client = await connect(io, name);
      if (client === null) continue;
      if (idempotent && producerId < 0n) {
        const init = await client.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }).catch(() => null);
        if (init === null || init.errorCode !== ErrorCode.NONE) continue;
        producerId = init.producerId;
        epoch = init.producerEpoch;
      }
    }
    const send: PendingBatch = retry ?? nextBatch(random, name, () => counter++, sequences, idempotent);
    if (retry !== null) history.counts.retries++;
    retry = null;
    const acks = idempotent ? -1 : random.chance(0.1) ? 0 : random.chance(0.5) ? 1 : -1;
    const records = valuesBatch(send.values, idempotent ? { producerId, epoch, sequence: send.sequence } : undefined);
    const body = { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: send.partition, records }] }] };
    history.counts.produced += send.values.length;
    if (acks === 0) {
      client.sendOneWay(ApiKey.Produce, 7, body);
      continue;
    }
    const outcome = await client.request(ApiKey.Produce, 7, body).then(
      (response) => response.responses[0]?.partitionResponses[0],
      () => undefined,
    );
    if (outcome?.errorCode === ErrorCode.NONE) {
      send.values.forEach((value, i) => history.acks.push({ partition: send.partition, offset: outcome.baseOffset + BigInt(i), value }));
      history.counts.acked += send.values.length;
      history.lastAckMs.set(name, io.clock.nowMs());
    } else {
      history.counts.unknown += send.values.length;
      if (idempotent && outcome !== undefined && producerFenced.has(outcome.errorCode)) {
        // The broker no longer knows this producer's sequence (its batches were lost in a crash
        // before they were durable): start over with a new producer id, as a real client does.
        producerId = -1n;
        sequences.clear();
      } else if (idempotent) {
        retry = send;
      }
    }
  }
  client?.close();
}

interface PendingBatch {
  partition: number;
  values: string[];
  sequence: number;
}

function nextBatch(random: Random, name: string, next: () => number, sequences: Map<number, number>, idempotent: boolean): PendingBatch {
  const partition = random.int(partitions);
  const values = Array.from({ length: random.between(1, 5) }, () => `${name}:${next()}`);
  const sequence = sequences.get(partition) ?? 0;
  if (idempotent) sequences.set(partition, sequence + values.length);
  return { partition, values, sequence };
}

async function consumeAll(io: Io): Promise<Map<number, { offset: bigint; value: string | null }[]> | string> {
  const client = await connect(io, 'checker');
  if (client === null) return 'checker could not connect';
  const out = new Map<number, { offset: bigint; value: string | null }[]>();
  for (let partition = 0; partition < partitions; partition++) {
    const records: { offset: bigint; value: string | null }[] = [];
    for (let guard = 0; guard < 10_000; guard++) {
      const fetchOffset = records.length === 0 ? 0n : records.at(-1)!.offset + 1n;
      const response = await client.request(ApiKey.Fetch, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      }).catch((e: Error) => e.message);
      if (typeof response === 'string') return `checker fetch failed: ${response}`;
      const data = response.responses[0]?.partitions[0];
      if (data === undefined || data.errorCode !== ErrorCode.NONE) return `checker fetch p${partition} error ${data?.errorCode}`;
      const batch = readRecords((data.records ?? new Uint8Array(0)) as Uint8Array).filter((r) => r.offset >= fetchOffset);
      if (batch.length === 0) break;
      records.push(...batch);
    }
    out.set(partition, records);
  }
  client.close();
  return out;
}

function check(history: History, log: Map<number, { offset: bigint; value: string | null }[]>): void {
  const seen = new Map<string, string>();
  for (const [partition, records] of log) {
    records.forEach((r, i) => {
      if (r.offset !== BigInt(i)) history.fail(`p${partition}: record ${i} has offset ${r.offset} (offsets must be dense from 0)`);
      const where = `p${partition}@${r.offset}`;
      if (r.value !== null && seen.has(r.value)) history.fail(`value ${r.value} appears twice: ${seen.get(r.value)} and ${where}`);
      if (r.value !== null) seen.set(r.value, where);
    });
  }
  for (const ack of history.acks) {
    const found = log.get(ack.partition)?.[Number(ack.offset)];
    if (found?.value !== ack.value) {
      history.fail(`acknowledged ${ack.value} at p${ack.partition}@${ack.offset}, but that offset holds ${found?.value ?? 'nothing'}`);
    }
  }
}

function planFaults(sim: Simulation, node: SimNode, history: History): void {
  const random = sim.random.fork('faults');
  let atMs = 100;
  while (atMs < faultsMs) {
    atMs += random.between(50, 400);
    const kind = random.int(6);
    const downMs = random.between(10, 200);
    sim.schedule(atMs, () => {
      if (!node.isUp) return;
      switch (kind) {
        case 0:
          history.counts.crashes++;
          node.crash();
          sim.schedule(downMs, () => node.isUp || node.restart());
          return;
        case 1:
          history.counts.stops++;
          // A stop that cannot make everything durable (a partition failed its fsync) reports it; the
          // node is then taken down hard, as an operator's kill would.
          void node
            .stop()
            .catch(() => node.crash())
            .then(() => sim.schedule(downMs, () => node.isUp || node.restart()));
          return;
        case 2:
        case 3:
          if (sim.network.resetRandomConnection() !== null) history.counts.resets++;
          return;
        case 4:
          history.counts.syncFailures++;
          node.disk.faults.failNextSync();
          sim.schedule(downMs, () => node.isUp && node.restart());
          return;
        default:
          node.disk.faults.latency.syncMsMax = 25;
          sim.schedule(downMs, () => void (node.disk.faults.latency.syncMsMax = 3));
      }
    });
  }
}

async function run(sim: Simulation, _options: ScenarioOptions): Promise<ScenarioResult> {
  const history = new History();
  const node = sim.addNode('n1', async (io) =>
    Broker.start(io, {
      nodeId: 1,
      listen: { host: 'n1', port },
      advertised: { host: 'n1', port },
      dataDir: 'data',
      testOnlyLogBugs: sim.plantedLogBugs,
    }),
  );
  const admin = sim.addClient('admin');
  const producers = ['p1', 'p2', 'i1'].map((name) => ({ name, io: sim.addClient(name) }));
  let stopAtMs = faultsMs + livenessMs;
  let running = 0;
  void ensureTopic(admin, sim).then(() => {
    for (const p of producers) {
      running++;
      void producer(p.io, p.name, p.name.startsWith('i'), history, () => stopAtMs).finally(() => running--);
    }
  });
  planFaults(sim, node, history);
  await sim.run({ untilMs: faultsMs });
  const healedMs = sim.nowMs();
  node.disk.faults.latency.syncMsMax = 3;
  if (!node.isUp) node.restart();
  await sim.run({ untilMs: healedMs + livenessMs });
  for (const p of producers) {
    if ((history.lastAckMs.get(p.name) ?? -1) < healedMs) history.fail(`liveness: ${p.name} got no ack within ${livenessMs} ms after the faults stopped`);
  }
  // Producers finish their in-flight requests before the checker reads (an ack that arrives after
  // the read would look lost).
  stopAtMs = 0;
  await sim.run({ untilMs: sim.nowMs() + 5000, until: () => running === 0 });
  if (running > 0) history.fail(`${running} producers still busy 5 s after being told to stop`);
  let log: Awaited<ReturnType<typeof consumeAll>> = 'not read';
  void consumeAll(admin).then((result) => (log = result));
  await sim.run({ untilMs: sim.nowMs() + 5000, until: () => typeof log !== 'string' });
  if (typeof log === 'string') history.fail(log);
  else check(history, log);
  return { ok: history.failures.length === 0, failures: history.failures, summary: { ...history.counts } };
}

export const scenario: Scenario = {
  name: 'single-node',
  description: 'one broker under crashes, graceful stops, mid-frame resets, fsync failures; every acknowledged message read back exactly once',
  defaultNodes: 1,
  nodesMin: 1,
  nodesMax: 1,
  run,
};
