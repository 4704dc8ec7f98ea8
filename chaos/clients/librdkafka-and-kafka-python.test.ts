import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, repoRoot, tempDataDir } from '../broker-process.ts';

/**
 * The same flows with librdkafka (Debian's kcat and python3-confluent-kafka) and with kafka-python
 * (python3-kafka), through Debian's /usr/bin/python3. A missing client fails here; nothing is skipped.
 */
const run = promisify(execFile);
const python = '/usr/bin/python3';
const scripts = path.join(repoRoot, 'chaos', 'clients', 'python');
const data = tempDataDir('clients');
let broker: BrokerProcess;

beforeAll(async () => {
  // Groups form at once (no 3 s wait of an empty group for more members), as Kafka's own tests set
  // group.initial.rebalance.delay.ms=0.
  broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--group-initial-rebalance-delay-ms', '0'] });
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

async function pythonFlow(script: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(python, [path.join(scripts, script), `127.0.0.1:${broker.port}`], { timeout: 120_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`${script} failed: ${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', `127.0.0.1:${broker.port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new Error(`kcat could not run (is Debian's kcat installed?): ${e.message}`)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${err}`));
    });
    child.stdin.end(input ?? '');
  });
}

describe('librdkafka', () => {
  it('kcat produces with acks all and consumes every line back', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `kcat-line-${i}`);
    await kcat(['-P', '-t', 'kcat-topic', '-X', 'acks=all'], lines.join('\n') + '\n');
    const out = await kcat(['-C', '-t', 'kcat-topic', '-o', 'beginning', '-e', '-q']);
    expect(out.trim().split('\n')).toEqual(lines);
    const meta = await kcat(['-L', '-t', 'kcat-topic', '-J']);
    expect(JSON.parse(meta).topics[0].topic).toBe('kcat-topic');
  });

  it('python3-confluent-kafka: admin, acks 0/1/all, idempotence, a group of three, a commit on an unknown topic, transactions refused', async () => {
    const result = await pythonFlow('confluent_flows.py');
    expect(result).toMatchObject({ ok: true, admin: 'ok', acks: 600, idempotent: 300, group: 300, unknown_commit: 'UNKNOWN_TOPIC_OR_PART' });
    // init_transactions(10) fails at once with a fatal error instead of retrying until its timeout.
    const transactions = result['transactions'] as { error: string; fatal: boolean; elapsed_s: number };
    console.log(`librdkafka init_transactions failed after ${transactions.elapsed_s} s with ${transactions.error}`);
    expect(transactions).toMatchObject({ error: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', fatal: true });
    expect(transactions.elapsed_s).toBeLessThan(2);
  });

  it('librdkafka admin (through ctypes): ListConsumerGroups with states, ListConsumerGroupOffsets of a whole group, DeleteConsumerGroupOffsets', async () => {
    const result = await pythonFlow('librdkafka_group_admin.py');
    console.log(`librdkafka group admin: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({
      ok: true,
      states: { 'rd-goff-idle': 'Empty', 'rd-goff-active': 'Stable' },
      idle_offsets: { error: 0, offsets: [[0, 5], [1, 6]] },
      delete_idle: { error: 0, partitions: [[0, 0]] },
      idle_after_delete: [[1, 6]], // null topics: only the partitions that still have an offset
      delete_active: { error: 0, partitions: [[0, 86]] }, // GROUP_SUBSCRIBED_TO_TOPIC
      delete_unknown: { error: 69 }, // GROUP_ID_NOT_FOUND, as the whole call's error
    });
  });
});

describe('librdkafka static membership (KIP-345)', () => {
  it('a static consumer restarted within its session gets its partitions back and the other member sees no rebalance; a duplicate instance id fences the older process', async () => {
    const result = await pythonFlow('confluent_static_membership.py');
    const before = result['before'] as { a: number[]; b: number[] };
    expect(result).toMatchObject({ ok: true, after: { a: before.a, b: before.b, b_events_after_restart: [] } });
    console.log(`librdkafka static member rejoined in ${String(result['rejoin_s'])} s without a rebalance`);
    // librdkafka raises FENCED_INSTANCE_ID as a fatal error (_FATAL, with the broker's reason in the text).
    expect(result['fenced']).toMatchObject({ error: '_FATAL', a3: before.a, b_events: [] });
    expect((result['fenced'] as { text: string }).text).toContain('Static consumer fenced by other consumer with same group.instance.id');
  }, 60_000);
});

describe('kafka-python', () => {
  it('python3-kafka: admin, acks 0/1/all, a group of three, its committed offsets', async () => {
    const result = await pythonFlow('kafka_python_flows.py');
    // The committed offsets of the group (OffsetFetch v3, null topics) add up to every message.
    expect(result).toMatchObject({ ok: true, admin: 'ok', produced: 600, consumed: 600, group_offsets_total: 600, groups: ['kp-three'] });
  });
});
