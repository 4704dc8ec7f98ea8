/**
 * What the broker's metrics cost on the request path: the five recordings of one Produce request
 * (request count, produce latency, bytes in, one group-commit fsync's duration and batch size) in a
 * loop, with no-op metrics, with PromMetrics (what `chronik start --metrics-listen` uses), and with
 * prom-client's own Histogram.observe for comparison (what PromMetrics avoids).
 *
 *   npx tsx bench/metrics-recording.ts [--iterations 2000000]
 */
import client from 'prom-client';
import { BrokerMetrics } from '../src/core/broker/broker-metrics.ts';
import { noopMetrics } from '../src/core/metrics/index.ts';
import { PromMetrics } from '../src/io-real/prom-metrics.ts';

const at = process.argv.indexOf('--iterations');
const iterations = at >= 0 ? Number(process.argv[at + 1]) : 2_000_000;

/** Nanoseconds per call of `body`, from the last of three rounds (the first two warm the JIT). */
function nsPerCall(body: () => void): number {
  let ns = 0;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) body();
    ns = Number(process.hrtime.bigint() - started) / iterations;
  }
  return ns;
}

function produceRecordings(metrics: BrokerMetrics): () => void {
  return () => {
    metrics.countRequest(0);
    metrics.produceDurationSeconds.observe(0.002);
    metrics.bytesIn.inc(27_000);
    metrics.log.fsyncDurationSeconds.observe(0.001);
    metrics.log.appendsPerFsync.observe(3);
  };
}

const registry = new client.Registry();
const promClientHistogram = new client.Histogram({ name: 'bench_seconds', help: 'bench', buckets: [0.001, 0.01, 0.1, 1], registers: [registry] });

console.log(`iterations: ${iterations}`);
console.log(`no-op metrics:                      ${nsPerCall(produceRecordings(new BrokerMetrics(noopMetrics))).toFixed(0)} ns per Produce request`);
console.log(`PromMetrics:                        ${nsPerCall(produceRecordings(new BrokerMetrics(new PromMetrics({ processMetrics: false })))).toFixed(0)} ns per Produce request`);
console.log(`prom-client Histogram.observe once: ${nsPerCall(() => promClientHistogram.observe(0.002)).toFixed(0)} ns`);
