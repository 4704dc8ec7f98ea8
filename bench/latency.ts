/**
 * `npx tsx bench/latency.ts [--runs 5] [--seconds 10]`: the delivery latency of a Chronik broker
 * process next to the null broker (bench/null-broker.ts, which acknowledges without storing: the
 * client's own floor), both driven by librdkafka (python3-confluent-kafka) at the same paced rates,
 * acks=all, 256-byte messages, one partition, fsync before every acknowledgement. Each run measures
 * chronik's maximum rate first, then, at 50K msg/s and at half that maximum, the null broker and
 * chronik one after the other. Prints every run and a Markdown table with p50/p99/p99.9 per run.
 * Latency is produce() to delivery report, sampled on every 64th message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrokerProcess, freePort } from '../chaos/broker-process.ts';
import { fmt, load, progress, startNullBroker, type LoadResult } from './kafka-load.ts';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at > 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const runs = arg('--runs', 5);
const seconds = arg('--seconds', 10);
const fixedRate = 50_000;

interface Row {
  run: number;
  what: string;
  rate: number;
  result: LoadResult;
}

async function withNull<T>(f: (bootstrap: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const nullBroker = await startNullBroker(port);
  try {
    return await f(`127.0.0.1:${port}`);
  } finally {
    nullBroker.kill('SIGTERM');
  }
}

async function withChronik<T>(f: (bootstrap: string) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chronik-latency-'));
  const broker = await BrokerProcess.start({ dataDir });
  try {
    return await f(`127.0.0.1:${broker.port}`);
  } finally {
    await broker.stop(60_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (let run = 1; run <= runs; run++) {
  const max = await withChronik((b) => {
    progress(`run ${run}: chronik max rate, acks=all`);
    return load(['produce', b, `max-${run}`, 'all', '1000000']);
  });
  const half = Math.floor(max.msgs_per_s / 2);
  rows.push({ run, what: 'chronik, max', rate: 0, result: max });
  for (const rate of [fixedRate, half]) {
    const count = String(Math.floor(rate * seconds));
    progress(`run ${run}: null broker at ${rate}/s`);
    rows.push({ run, what: 'null broker', rate, result: await withNull((b) => load(['produce', b, `n-${run}-${rate}`, 'all', count, String(rate)])) });
    progress(`run ${run}: chronik at ${rate}/s`);
    rows.push({ run, what: 'chronik', rate, result: await withChronik((b) => load(['produce', b, `c-${run}-${rate}`, 'all', count, String(rate)])) });
  }
  for (const row of rows.filter((r) => r.run === run)) console.log(JSON.stringify({ run: row.run, what: row.what, rate: row.rate, ...row.result }));
}

console.log('\n| run | broker | target msg/s | reached msg/s | p50 ms | p99 ms | p99.9 ms | undelivered |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const target = r.rate === 0 ? 'max' : fmt(r.rate);
  console.log(`| ${r.run} | ${r.what} | ${target} | ${fmt(r.result.msgs_per_s)} | ${fmt(r.result.p50_ms, 2)} | ${fmt(r.result.p99_ms, 2)} | ${fmt(r.result.p999_ms, 2)} | ${r.result.undelivered ?? 0} |`);
}
