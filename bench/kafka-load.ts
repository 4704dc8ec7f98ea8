/**
 * What the Kafka benches share: the librdkafka load generator (`librdkafka_load.py`, run with
 * Debian's python3-confluent-kafka), the null broker that measures the client-bound ceiling, the
 * count of stored messages, and number formatting for the Markdown tables.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '../chaos/broker-process.ts';

const run = promisify(execFile);

/** Debian's Python, which has python3-confluent-kafka (librdkafka 2.0.2); a pyenv shim may not. */
export const python = '/usr/bin/python3';

/** One line of `librdkafka_load.py` output. */
export interface LoadResult {
  msgs_per_s: number;
  mb_per_s?: number;
  p50_ms?: number | null;
  p99_ms?: number | null;
  p999_ms?: number | null;
  undelivered?: number;
  sampled_failures?: number;
  count: number;
}

/** `librdkafka_load.py produce BOOTSTRAP TOPIC ACKS COUNT [RATE]` or `consume BOOTSTRAP TOPIC COUNT`. */
export async function load(args: string[]): Promise<LoadResult> {
  const { stdout } = await run(python, [path.join(repoRoot, 'bench', 'librdkafka_load.py'), ...args], {
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** `bench/null-broker.ts` on `port`, once it listens; stop it with `kill('SIGTERM')`. */
export async function startNullBroker(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'null-broker.ts'), String(port)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('null broker did not start in 20 s')), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('NullBrokerListening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

/** Messages between the low and high watermarks of every partition of `topic`. */
export async function storedMessages(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export function fmt(n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
