import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerProcess, freePort, repoRoot, tempDataDir } from './broker-process.ts';

/** `chronik start --metrics-listen`: a real broker process scraped over HTTP while kafkajs produces, consumes and commits. */
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

type Samples = Map<string, number>;

/** Parses the Prometheus text format into `name{labels}` -> value (labels exactly as rendered). */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

async function scrape(port: number): Promise<Samples> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
}

const value = (samples: Samples, key: string): number => samples.get(key) ?? 0;

describe('chronik start --metrics-listen', () => {
  it('serves /metrics whose figures move as kafkajs produces, consumes and commits', async () => {
    const data = tempDataDir('metrics');
    dirs.push(data);
    const metricsPort = await freePort();
    const broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--metrics-listen', `127.0.0.1:${metricsPort}`] });
    try {
      expect(broker.output.some((l) => l.includes('"MetricsListening"') && l.includes(`"port":${metricsPort}`))).toBe(true);
      const before = await scrape(metricsPort);
      expect(before.has('process_cpu_user_seconds_total')).toBe(true);
      expect(value(before, 'chronik_requests_total{api="Produce"}')).toBe(0);
      expect(value(before, 'chronik_bytes_in_total')).toBe(0);
      expect(value(before, 'chronik_log_fsync_duration_seconds_count')).toBe(0);
      expect(value(before, 'chronik_connections')).toBe(0);

      const kafka = new Kafka({ clientId: 'metrics-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'metered', numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      for (let batch = 0; batch < 5; batch++) {
        await producer.send({ topic: 'metered', acks: -1, messages: [{ value: `m-${batch}-a` }, { value: `m-${batch}-b` }] });
      }
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'metered-group', maxWaitTimeInMs: 300 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'metered', fromBeginning: true });
      let consumed = 0;
      const allRead = new Promise<void>((resolve) => {
        void consumer.run({ autoCommit: false, eachMessage: async () => void (++consumed === 10 && resolve()) });
      });
      await allRead;
      await consumer.commitOffsets([{ topic: 'metered', partition: 0, offset: '7' }]);

      const after = await scrape(metricsPort);
      const partition = '{topic="metered",partition="0"}';
      expect(value(after, 'chronik_requests_total{api="Produce"}')).toBe(5);
      expect(value(after, 'chronik_produce_request_duration_seconds_count')).toBe(5);
      expect(value(after, 'chronik_requests_total{api="Fetch"}')).toBeGreaterThan(0);
      expect(value(after, 'chronik_bytes_in_total')).toBeGreaterThan(0);
      expect(value(after, 'chronik_bytes_out_total')).toBeGreaterThan(0);
      expect(value(after, 'chronik_log_fsync_duration_seconds_count')).toBeGreaterThanOrEqual(5);
      expect(value(after, 'chronik_log_appends_per_fsync_sum')).toBeGreaterThanOrEqual(5);
      expect(value(after, `chronik_partition_log_end_offset${partition}`)).toBe(10);
      expect(value(after, `chronik_partition_high_watermark${partition}`)).toBe(10);
      expect(value(after, `chronik_partition_in_sync_replicas${partition}`)).toBe(1);
      expect(value(after, 'chronik_under_replicated_partitions')).toBe(0);
      expect(after.get('chronik_consumer_group_lag_offsets{group="metered-group",topic="metered",partition="0"}')).toBe(3);
      expect(value(after, 'chronik_consumer_group_rebalances_total')).toBeGreaterThanOrEqual(1);
      expect(value(after, 'chronik_connections')).toBeGreaterThan(0);
      expect(value(after, 'chronik_connections_accepted_total')).toBeGreaterThan(value(after, 'chronik_connections'));
      await consumer.disconnect();

      expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      expect(await broker.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('exits 2 naming --metrics-listen when its port is taken, and naming both options when it is the Kafka port', async () => {
    const data = tempDataDir('metrics-taken');
    dirs.push(data);
    const [kafkaPort, metricsPort] = [await freePort(), await freePort()];
    const squatter = net.createServer().listen(metricsPort, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    const start = (args: string[]): { status: number | null; stderr: string } => {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--data-dir', data.dir, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
      return { status: result.status, stderr: result.stderr };
    };
    try {
      const taken = start(['--listen', `127.0.0.1:${kafkaPort}`, '--metrics-listen', `127.0.0.1:${metricsPort}`]);
      expect(taken.status).toBe(2);
      expect(taken.stderr).toContain(`--metrics-listen 127.0.0.1:${metricsPort} (CHRONIK_METRICS_LISTEN): address already in use`);
    } finally {
      squatter.close();
    }
    const clash = start(['--listen', `0.0.0.0:${kafkaPort}`, '--metrics-listen', `127.0.0.1:${kafkaPort}`]);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toContain(`--metrics-listen 127.0.0.1:${kafkaPort} (CHRONIK_METRICS_LISTEN) clashes with --listen 0.0.0.0:${kafkaPort} (CHRONIK_LISTEN)`);
  });
});
