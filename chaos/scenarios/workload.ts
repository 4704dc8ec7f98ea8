/**
 * Real clients as a chaos workload, recording what they did and saw in the simulator's history
 * format (sim/checkers/kafka-history.ts), so one checker judges simulated and real runs alike:
 *
 * - kafkajs idempotent acks=all producers, one value per send to an explicit partition. A send that
 *   fails (kafkajs gave up) is info, and the same value is sent again to the same partition until it
 *   is acknowledged or the workload stops: kafkajs reuses the unacknowledged sequence number for the
 *   next send, so a new value would be taken for a duplicate of the failed one (see
 *   chaos/cluster/cluster.test.ts); resending the same value is what the checker expects of retries.
 * - librdkafka's idempotent acks=all producer (python3-confluent-kafka), one value per message, its
 *   delivery reports merged into the history by their timestamps.
 * - a final read after every fault healed: a kafkajs consumer reads each partition from offset 0 to
 *   its end offset; every batch is a final ReadOp with its offsets and high watermark.
 *
 * Times in the history are milliseconds since the workload began (Date.now: this is the real world).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { repoRoot } from '../broker-process.ts';
import { KafkaHistory, type ProduceOp, type ReadRecord } from '../../sim/checkers/kafka-history.ts';
import { ChaosCluster } from './chaos-cluster.ts';

export class ChaosHistory {
  readonly history = new KafkaHistory();
  private readonly startedAtMs = Date.now();

  nowMs(): number {
    return Date.now() - this.startedAtMs;
  }

  toHistoryMs(epochMs: number): number {
    return epochMs - this.startedAtMs;
  }
}

/** Pause after a failed send before the value is sent again. */
const retryBackoffMs = 200;

/** One kafkajs idempotent producer sending values `<name>-<i>` round robin over the partitions. */
export class KafkajsProducerLoop {
  private running = true;
  private loop: Promise<void> | null = null;
  private producer: Producer | null = null;
  sent = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly recorder: ChaosHistory,
    readonly name: string,
    private readonly topic: string,
    private readonly partitions: number,
    /** Pause between acknowledged values (0: as fast as acks come back). */
    private readonly paceMs = 10,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Stops after the send in flight; what it had not acknowledged stays info. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    this.producer = this.cluster.kafka(this.name).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await ChaosCluster.until(`${this.name} to connect`, async () => (await this.producer!.connect(), true), 30_000);
    for (let i = 0; this.running; i++) {
      const value = `${this.name}-${i}`;
      const partition = i % this.partitions;
      while (this.running && !(await this.sendOnce(value, partition))) await sleep(retryBackoffMs);
      if (this.paceMs > 0) await sleep(this.paceMs);
    }
  }

  private async sendOnce(value: string, partition: number): Promise<boolean> {
    const { history } = this.recorder;
    const op: ProduceOp = history.produce({ process: this.name, idempotent: true, acks: -1, topic: this.topic, partition, values: [value] }, this.recorder.nowMs());
    this.sent++;
    try {
      const [answer] = await this.producer!.send({ topic: this.topic, acks: -1, timeout: 5000, messages: [{ partition, value }] });
      if (answer === undefined || answer.errorCode !== 0 || answer.baseOffset === undefined) {
        history.complete(op, { type: 'info', reason: `answer ${JSON.stringify(answer)}` }, this.recorder.nowMs());
        return false;
      }
      history.complete(op, { type: 'ok', value: BigInt(answer.baseOffset) }, this.recorder.nowMs());
      return true;
    } catch (error) {
      history.complete(op, { type: 'info', reason: (error as Error).message }, this.recorder.nowMs());
      return false;
    }
  }
}

interface PythonOp {
  v: string;
  p: number;
  t0: number;
  t1: number | null;
  ok: boolean;
  offset: number | null;
  err: string | null;
}

/**
 * Runs librdkafka's producer for `durationMs` (plus its flush) and merges its operations into the
 * history in the order of their timestamps. Resolves with the number of values it sent and the
 * fatal error that stopped it, if one did.
 */
export async function runLibrdkafkaProducer(
  cluster: ChaosCluster,
  recorder: ChaosHistory,
  options: { name: string; topic: string; partitions: number; durationMs: number; paceMs: number; flushMs: number },
): Promise<{ sent: number; fatal: string | null }> {
  const script = path.join(repoRoot, 'chaos/clients/python/confluent_chaos_produce.py');
  const args = [script, cluster.bootstrap().join(','), options.topic, String(options.partitions), `${options.name}-`, String(options.durationMs / 1000), String(options.paceMs), String(options.flushMs / 1000)];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('/usr/bin/python3', args, { timeout: options.durationMs + options.flushMs + 30_000, maxBuffer: 64 * 1024 * 1024 }, (error, out, err) =>
      error === null ? resolve(out) : reject(new Error(`librdkafka producer failed: ${error.message}\n${err}`)),
    );
  });
  const lines = stdout.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as PythonOp | { fatal: string });
  const ops = lines.filter((l): l is PythonOp => !('fatal' in l));
  mergePythonOps(recorder, options, ops);
  const fatal = lines.find((l): l is { fatal: string } => 'fatal' in l);
  return { sent: ops.length, fatal: fatal?.fatal ?? null };
}

function mergePythonOps(recorder: ChaosHistory, options: { name: string; topic: string }, ops: PythonOp[]): void {
  const events: { atMs: number; invoke: boolean; op: PythonOp }[] = [];
  for (const op of ops) {
    events.push({ atMs: op.t0, invoke: true, op });
    if (op.t1 !== null) events.push({ atMs: op.t1, invoke: false, op });
  }
  events.sort((a, b) => a.atMs - b.atMs || Number(b.invoke) - Number(a.invoke));
  const recorded = new Map<PythonOp, ProduceOp>();
  const { history } = recorder;
  for (const e of events) {
    if (e.invoke) {
      const fields = { process: options.name, idempotent: true, acks: -1 as const, topic: options.topic, partition: e.op.p, values: [e.op.v] };
      recorded.set(e.op, history.produce(fields, recorder.toHistoryMs(e.atMs)));
    } else if (e.op.ok && e.op.offset !== null) {
      history.complete(recorded.get(e.op)!, { type: 'ok', value: BigInt(e.op.offset) }, recorder.toHistoryMs(e.atMs));
    } else {
      history.complete(recorded.get(e.op)!, { type: 'info', reason: e.op.err ?? 'no delivery report' }, recorder.toHistoryMs(e.atMs));
    }
  }
}

/**
 * The final read: every partition of the topic from offset 0 to its end offset (the high watermark
 * after the faults healed), recorded as final reads. Throws if it cannot finish within `timeoutMs`.
 */
export async function finalRead(cluster: ChaosCluster, recorder: ChaosHistory, topic: string, timeoutMs = 60_000): Promise<void> {
  const admin = cluster.kafka('final-read-admin').admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  await admin.disconnect();
  const next = new Map([...ends.keys()].map((p) => [p, 0n]));
  const done = (): boolean => [...ends].every(([p, end]) => next.get(p)! >= end);
  const { history } = recorder;
  // An empty final read per partition, so a partition nobody could write to is still "read".
  for (const p of ends.keys()) {
    const at = history.invocation();
    history.read({ process: 'final', topic, partition: p, fetchOffset: 0n, records: [], highWatermark: ends.get(p)!, final: true }, recorder.nowMs(), at, recorder.nowMs());
  }
  if (done()) return;
  const consumer = cluster.kafka('final-read').consumer({ groupId: `final-read-${Date.now()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let finished!: () => void;
  const finishedReading = new Promise<void>((resolve) => (finished = resolve));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const records: ReadRecord[] = batch.messages.map((m) => ({ offset: BigInt(m.offset), value: m.value === null ? null : m.value.toString() }));
      if (records.length > 0) {
        const at = history.invocation();
        history.read({ process: 'final', topic, partition: batch.partition, fetchOffset: records[0]!.offset, records, highWatermark: BigInt(batch.highWatermark), final: true }, recorder.nowMs(), at, recorder.nowMs());
        next.set(batch.partition, records.at(-1)!.offset + 1n);
      }
      if (done()) finished();
    },
  });
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs));
  const outcome = await Promise.race([finishedReading, timer]);
  await consumer.disconnect();
  if (outcome === 'timeout') throw new Error(`final read of ${topic} did not reach ${JSON.stringify([...ends].map(([p, e]) => `${p}:${e}`))} within ${timeoutMs} ms (at ${JSON.stringify([...next].map(([p, e]) => `${p}:${e}`))})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
