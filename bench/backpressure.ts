/**
 * `npx tsx bench/backpressure.ts`: a producer pushes 1 GiB of 1 MiB messages into one Chronik broker
 * process as fast as it can, and this reports what bounds the broker's memory. Three producers, each
 * against a fresh broker: librdkafka (Debian's python3-confluent-kafka,
 * chaos/clients/python/confluent_big_messages.py), which keeps the backlog in its own queue and only
 * some tens of requests in flight; kafkajs with every message sent at once (no retries, so a
 * disconnect would fail sends), whose pure-JS encoding and CRC-32C pace it; and `wire`, Chronik's
 * own Kafka wire client (src/testing) on a real socket writing every produce request at once, with
 * one pre-encoded 1 MiB batch, so the whole backlog sits on the broker's socket from the start: the
 * case the broker must push back on. Reported per run: its peak RSS (VmHWM, and the largest VmRSS sampled every 50 ms), its RSS at rest before the
 * load, the configured request budget, the throughput, the broker's pauses (ConnectionReadingPaused)
 * and the disconnects (librdkafka's own count, and the broker's ConnectionClosedByBroker lines; both
 * must be 0). Every message must be acknowledged and stored (high watermarks after the run).
 *
 * Options: --count N (messages, default 1024), --message-bytes B (default 1048576), --partitions P
 * (default 4), --budget BYTES (the broker's --request-bytes-held-max; default: the broker's default),
 * --client librdkafka|kafkajs|wire|all (default all), --runs R (default 1). Prints a JSON line per run
 * and a Markdown table.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import { BrokerProcess, repoRoot } from '../chaos/broker-process.ts';
import { recordBatch } from '../src/core/log/index.ts';
import { ApiKey } from '../src/core/protocol/index.ts';
import { RealClock, RealNetwork } from '../src/io-real/index.ts';
import { KafkaWireClient } from '../src/testing/kafka-wire-client.ts';
import { requestBytesHeldMaxDefault } from '../src/core/limits.ts';

const run = promisify(execFile);

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive whole number`);
  return value;
}

const count = option('--count', 1024);
const messageBytes = option('--message-bytes', 1024 * 1024);
const partitions = option('--partitions', 4);
const budgetBytes = option('--budget', requestBytesHeldMaxDefault);
const runs = option('--runs', 1);
const clientAt = process.argv.indexOf('--client');
type ClientKind = 'librdkafka' | 'kafkajs' | 'wire';
const clientChoice = clientAt < 0 ? 'all' : process.argv[clientAt + 1];
if (!['librdkafka', 'kafkajs', 'wire', 'all'].includes(clientChoice ?? '')) throw new Error('--client is librdkafka, kafkajs, wire or all');
const clients: ClientKind[] = clientChoice === 'all' ? ['librdkafka', 'kafkajs', 'wire'] : [clientChoice as ClientKind];
const MiB = 1024 * 1024;

/** kafkajs: every message is its own send, all started at once (kafkajs has no in-flight limit by default). */
async function kafkajsLoad(port: number): Promise<ClientResult> {
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1'; // every send names its partition
  const problems: string[] = [];
  const kafka = new Kafka({
    clientId: 'bench-backpressure',
    brokers: [`127.0.0.1:${port}`],
    requestTimeout: 900_000,
    retry: { retries: 0 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => void problems.push(`${entry.log.message} ${String(entry.log['error'] ?? '')}`.trim()),
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'bench-big', numPartitions: partitions }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(messageBytes, 0x6d);
  let delivered = 0;
  let failed = 0;
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      producer.send({ topic: 'bench-big', acks: -1, timeout: 900_000, messages: [{ value, partition: i % partitions }] }).then(
        () => void delivered++,
        (error: Error) => {
          failed++;
          if (failures.length < 5) failures.push(error.message);
        },
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const offsets = await admin.fetchTopicOffsets('bench-big');
  await producer.disconnect();
  await admin.disconnect();
  const disconnects = problems.filter((p) => /connection|disconnect|ECONNRESET|EPIPE|closed/i.test(p)).length;
  return {
    delivered,
    failed,
    undelivered: 0,
    stored: offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
    seconds,
    mb_per_s: (delivered * messageBytes) / seconds / 1e6,
    connects: 1,
    disconnects,
    error_count: problems.length,
    errors: [...failures, ...problems].slice(0, 10),
  };
}

/** Chronik's wire client on a real socket: every produce request written at once, answers read as they come. */
async function wireLoad(port: number): Promise<ClientResult> {
  const connection = await new RealNetwork().connect('127.0.0.1', port);
  const client = new KafkaWireClient(connection, { clientId: 'bench-wire', clock: new RealClock() });
  const created = await client.request(ApiKey.CreateTopics, 3, {
    topics: [{ name: 'bench-big', numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  if (created.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics answered ${created.topics[0]!.errorCode}`);
  const batch = recordBatch.encodeRecordBatch({ records: [{ key: null, value: new Uint8Array(messageBytes).fill(0x6d) }], baseTimestamp: BigInt(Date.now()) });
  let delivered = 0;
  let failed = 0;
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      client
        .request(ApiKey.Produce, 7, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 900_000,
          topicData: [{ name: 'bench-big', partitionData: [{ index: i % partitions, records: batch }] }],
        })
        .then(
          (response) => {
            const code = response.responses[0]!.partitionResponses[0]!.errorCode;
            if (code === 0) delivered++;
            else failed++;
          },
          (error: Error) => {
            failed++;
            if (failures.length < 5) failures.push(error.message);
          },
        ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  let stored = 0;
  const offsets = await client.request(ApiKey.ListOffsets, 2, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 'bench-big', partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
  });
  for (const p of offsets.topics[0]!.partitions) stored += Number(p.offset);
  const disconnects = client.closed ? 1 : 0;
  client.close();
  return { delivered, failed, undelivered: 0, stored, seconds, mb_per_s: (delivered * messageBytes) / seconds / 1e6, connects: 1, disconnects, error_count: failures.length, errors: failures };
}

async function librdkafkaLoad(port: number): Promise<ClientResult> {
  const script = path.join(repoRoot, 'chaos', 'clients', 'python', 'confluent_big_messages.py');
  const { stdout } = await run('/usr/bin/python3', [script, `127.0.0.1:${port}`, 'bench-big', String(partitions), String(count), String(messageBytes)], {
    timeout: 1_200_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ClientResult;
}

interface ClientResult {
  delivered: number;
  failed: number;
  undelivered: number;
  stored: number;
  seconds: number;
  mb_per_s: number;
  connects: number;
  disconnects: number;
  error_count: number;
  errors: string[];
}

/** A field of /proc/PID/status in bytes (VmRSS, VmHWM), or null once the process is gone. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

async function once(index: number, client: ClientKind): Promise<Record<string, number | string | string[]>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chronik-bench-backpressure-'));
  const broker = await BrokerProcess.start({
    dataDir,
    args: ['--log-level', 'debug', '--log-format', 'json', '--request-bytes-held-max', String(budgetBytes)],
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssAtRest = statusBytes(broker.pid, 'VmRSS') ?? 0;
    let rssSampledMax = 0;
    const sampler = setInterval(() => {
      rssSampledMax = Math.max(rssSampledMax, statusBytes(broker.pid, 'VmRSS') ?? 0);
    }, 50);
    process.stderr.write(`[bench] run ${index + 1}, ${client}: ${count} x ${messageBytes} bytes over ${partitions} partitions, budget ${budgetBytes} bytes\n`);
    const load = { librdkafka: librdkafkaLoad, kafkajs: kafkajsLoad, wire: wireLoad }[client];
    const outcome = await load(broker.port).finally(() => clearInterval(sampler));
    const hwm = statusBytes(broker.pid, 'VmHWM') ?? 0;
    const pauses = broker.output.filter((line) => line.includes('"ConnectionReadingPaused"')).length;
    const closedByBroker = broker.output.filter((line) => line.includes('"ConnectionClosedByBroker"'));
    const result = {
      run: index + 1,
      client,
      count,
      messageBytes,
      partitions,
      budgetMiB: budgetBytes / MiB,
      rssAtRestMiB: rssAtRest / MiB,
      rssSampledMaxMiB: rssSampledMax / MiB,
      vmHwmMiB: hwm / MiB,
      mbPerS: outcome.mb_per_s,
      seconds: outcome.seconds,
      delivered: outcome.delivered,
      failed: outcome.failed,
      stored: outcome.stored,
      clientDisconnects: outcome.disconnects,
      clientErrors: outcome.error_count,
      brokerClosed: closedByBroker.length,
      pauses,
      errors: outcome.errors,
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await broker.stop(120_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results = [];
for (let i = 0; i < runs; i++) for (const client of clients) results.push(await once(i, client));
const fmt = (n: unknown, digits = 0): string => (typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : String(n));
console.log('\n| run | client | budget MiB | RSS at rest MiB | peak RSS (VmHWM) MiB | max sampled RSS MiB | MB/s | delivered / stored | disconnects (client / broker) | reading pauses |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r['run']} | ${r['client']} | ${fmt(r['budgetMiB'])} | ${fmt(r['rssAtRestMiB'])} | ${fmt(r['vmHwmMiB'])} | ${fmt(r['rssSampledMaxMiB'])} | ${fmt(r['mbPerS'], 1)} | ${fmt(r['delivered'])} / ${fmt(r['stored'])} | ${fmt(r['clientDisconnects'])} / ${fmt(r['brokerClosed'])} | ${fmt(r['pauses'])} |`,
  );
}
