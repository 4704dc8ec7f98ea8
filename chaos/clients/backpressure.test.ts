import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, repoRoot, tempDataDir } from '../broker-process.ts';

/**
 * A real broker process whose request budget is small (4 MiB), and librdkafka
 * (python3-confluent-kafka) pushing 32 MiB of 512 KiB messages at it with every request it can in
 * flight: the broker must pause reading (it logs ConnectionReadingPaused at debug level), never
 * disconnect the client (librdkafka counts disconnects in its statistics), and acknowledge and store
 * every message. A missing client fails here; nothing is skipped.
 */
const run = promisify(execFile);
const data = tempDataDir('backpressure');
let broker: BrokerProcess;
const budgetBytes = 4 * 1024 * 1024;

beforeAll(async () => {
  broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--log-level', 'debug', '--log-format', 'json', '--request-bytes-held-max', String(budgetBytes)] });
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

describe('back-pressure with a real client', () => {
  it('librdkafka pipelining big messages is slowed down by TCP, never disconnected, and every message is stored', async () => {
    const count = 64;
    const messageBytes = 512 * 1024;
    const script = path.join(repoRoot, 'chaos', 'clients', 'python', 'confluent_big_messages.py');
    const { stdout } = await run('/usr/bin/python3', [script, `127.0.0.1:${broker.port}`, 'big-messages', '4', String(count), String(messageBytes)], {
      timeout: 240_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`confluent_big_messages.py failed: ${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    console.log(`librdkafka big messages: ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ delivered: count, failed: 0, undelivered: 0, stored: count, disconnects: 0, error_count: 0 });
    expect(result['connects']).toBeGreaterThanOrEqual(1);
    const pauses = broker.output.filter((line) => line.includes('"ConnectionReadingPaused"'));
    expect(pauses.length).toBeGreaterThan(0);
    expect(broker.output.filter((line) => line.includes('"ConnectionClosedByBroker"'))).toEqual([]);
  });
});
