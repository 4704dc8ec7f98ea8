/**
 * `npm run bench`: produce and consume throughput and latency of a real Chronik broker process,
 * driven by librdkafka (Debian's python3-confluent-kafka), next to the client-bound ceiling measured
 * in the same run against a null broker built from Chronik's own codec.
 *
 * 256-byte messages, one partition, fsync-before-ack (the default flush policy). Prints a JSON line
 * and a Markdown table. Options: --count N (messages per produce run, default 1,000,000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrokerProcess, freePort } from '../chaos/broker-process.ts';
import { fmt, load, progress, startNullBroker, storedMessages, type LoadResult } from './kafka-load.ts';

const countArg = process.argv.indexOf('--count');
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : 1_000_000;

async function ceiling(): Promise<{ acks1: LoadResult; acksAll: LoadResult }> {
  const port = await freePort();
  const nullBroker = await startNullBroker(port);
  try {
    progress(`null broker: ${count} msgs acks=1`);
    const acks1 = await load(['produce', `127.0.0.1:${port}`, 'ceiling', '1', String(count)]);
    progress(`null broker: ${count} msgs acks=all`);
    const acksAll = await load(['produce', `127.0.0.1:${port}`, 'ceiling', 'all', String(count)]);
    return { acks1, acksAll };
  } finally {
    nullBroker.kill('SIGTERM');
  }
}

async function chronik(): Promise<Record<string, LoadResult | number>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chronik-bench-'));
  const broker = await BrokerProcess.start({ dataDir });
  const bootstrap = `127.0.0.1:${broker.port}`;
  try {
    const out: Record<string, LoadResult | number> = {};
    for (const acks of ['1', 'all']) {
      progress(`chronik: ${count} msgs acks=${acks}, as fast as the client goes`);
      out[`max_acks_${acks}`] = await load(['produce', bootstrap, `bench-${acks}`, acks, String(count)]);
    }
    for (const acks of ['1', 'all']) {
      const max = out[`max_acks_${acks}`] as LoadResult;
      const rate = Math.floor(max.msgs_per_s / 2);
      const fixedCount = Math.min(count, rate * 5);
      progress(`chronik: ${fixedCount} msgs acks=${acks} at half the max rate (${rate}/s)`);
      out[`half_rate_acks_${acks}`] = await load(['produce', bootstrap, `bench-half-${acks}`, acks, String(fixedCount), String(rate)]);
    }
    progress(`chronik: consume ${count} msgs`);
    out['consume'] = await load(['consume', bootstrap, 'bench-all', String(count)]);
    out['stored_acks_all'] = await storedMessages([bootstrap], 'bench-all');
    return out;
  } finally {
    await broker.stop(60_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const limit = await ceiling();
const ours = await chronik();
const row = (name: string, r: LoadResult, ceilingRate?: number): string =>
  `| ${name} | ${fmt(r.msgs_per_s)} | ${fmt(r.mb_per_s, 1)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${ceilingRate ? `${fmt((100 * r.msgs_per_s) / ceilingRate, 1)}%` : ''} |`;
console.log(JSON.stringify({ count, messageBytes: 256, ceiling: limit, chronik: ours, at: new Date().toISOString() }));
console.log('\n| run | msgs/s | MB/s | p50 ms | p99 ms | of ceiling |');
console.log('|---|---|---|---|---|---|');
console.log(row('null broker, acks=1 (ceiling)', limit.acks1));
console.log(row('null broker, acks=all (ceiling)', limit.acksAll));
console.log(row('chronik, acks=1, max', ours['max_acks_1'] as LoadResult, limit.acks1.msgs_per_s));
console.log(row('chronik, acks=all, max', ours['max_acks_all'] as LoadResult, limit.acksAll.msgs_per_s));
console.log(row('chronik, acks=1, half max rate', ours['half_rate_acks_1'] as LoadResult));
console.log(row('chronik, acks=all, half max rate', ours['half_rate_acks_all'] as LoadResult));
console.log(row('chronik, consume', ours['consume'] as LoadResult));
console.log(`\nstored in bench-all: ${ours['stored_acks_all']} messages (produced ${count + 1} incl. warm-up)`);
