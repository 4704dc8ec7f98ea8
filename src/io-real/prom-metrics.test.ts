import { collectRaftMetrics } from '../core/raft/raft-metrics.ts';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BrokerMetrics } from '../core/broker/broker-metrics.ts';
import { metricDefs, type MetricDef } from '../core/metrics/index.ts';
import { PromMetrics } from './prom-metrics.ts';

const counterDef: MetricDef = { name: 'test_requests_total', type: 'counter', help: 'requests', labelNames: ['api'] };
const plainCounterDef: MetricDef = { name: 'test_bytes_total', type: 'counter', help: 'bytes', labelNames: [] };
const gaugeDef: MetricDef = { name: 'test_offset', type: 'gauge', help: 'offset', labelNames: ['topic', 'partition'] };
const histogramDef: MetricDef = { name: 'test_duration_seconds', type: 'histogram', help: 'duration', labelNames: [], buckets: [0.1, 1] };

describe('PromMetrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', async () => {
    const metrics = new PromMetrics({ processMetrics: false });
    const produce = metrics.counter(counterDef).child(['Produce']);
    const bytes = metrics.counter(plainCounterDef).child([]);
    produce.inc();
    produce.inc(2);
    bytes.inc(100);
    metrics.gauge(gaugeDef).child(['t', '0']).set(42);
    const duration = metrics.histogram(histogramDef).child([]);
    duration.observe(0.05);
    duration.observe(0.5);
    const text = await metrics.scrape();
    expect(text).toContain('# TYPE test_requests_total counter');
    expect(text).toContain('test_requests_total{api="Produce"} 3');
    expect(text).toContain('test_bytes_total 100');
    expect(text).toContain('test_offset{topic="t",partition="0"} 42');
    expect(text).toContain('test_duration_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('test_duration_seconds_bucket{le="1"} 2');
    expect(text).toContain('test_duration_seconds_count 2');
    // Counter increments between scrapes add up, never replace.
    produce.inc();
    expect(await metrics.scrape()).toContain('test_requests_total{api="Produce"} 4');
  });

  it('runs collectors before rendering, and a reset drops the series a collector no longer sets', async () => {
    const metrics = new PromMetrics({ processMetrics: false });
    const offsets = metrics.gauge(gaugeDef);
    let topics = ['a', 'b'];
    const remove = metrics.addCollector(() => {
      offsets.reset();
      for (const t of topics) offsets.child([t, '0']).set(t.length);
    });
    expect(await metrics.scrape()).toContain('test_offset{topic="b",partition="0"} 1');
    topics = ['a'];
    const text = await metrics.scrape();
    expect(text).toContain('test_offset{topic="a",partition="0"} 1');
    expect(text).not.toContain('topic="b"');
    remove();
    topics = ['c'];
    expect(await metrics.scrape()).not.toContain('topic="c"');
  });

  it("registers every metric of the broker's catalog (legal names) and hands back the same family when asked again", async () => {
    const metrics = new PromMetrics();
    new BrokerMetrics(metrics);
    new BrokerMetrics(metrics); // a second broker in one process shares the families
    collectRaftMetrics(metrics, () => ({ term: 1, role: 'leader', leader: 1, lastIndex: 3, commitIndex: 3, appliedIndex: 3, leaderChanges: 1, failed: false }));
    const text = await metrics.scrape();
    for (const def of Object.values(metricDefs)) expect(text).toContain(`# TYPE ${def.name} ${def.type}`);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(() => metrics.counter({ ...plainCounterDef, name: metricDefs.bytesIn.name })).toThrow(/registered twice with different definitions/);
  });

  it("renders a histogram exactly as prom-client's own Histogram does for the same observations", async () => {
    const labeled: MetricDef = { name: 'test_latency_seconds', type: 'histogram', help: 'latency', labelNames: ['api'], buckets: [0.001, 0.01, 0.1, 1] };
    const ours = new PromMetrics({ processMetrics: false });
    const theirsRegistry = new client.Registry();
    const theirs = new client.Histogram({ name: labeled.name, help: labeled.help, labelNames: ['api'], buckets: [...labeled.buckets!], registers: [theirsRegistry] });
    const family = ours.histogram(labeled);
    const values = [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.5, 1, 3, 100];
    for (const [i, v] of values.entries()) {
      const api = i % 2 === 0 ? 'Produce' : 'Fetch';
      family.child([api]).observe(v);
      theirs.labels(api).observe(v);
    }
    expect(await ours.scrape()).toBe(await theirsRegistry.metrics());
    // Unlabeled: exported with zeros before the first observation, as prom-client does.
    const plain = new PromMetrics({ processMetrics: false });
    plain.histogram(histogramDef);
    const plainTheirs = new client.Registry();
    new client.Histogram({ name: histogramDef.name, help: histogramDef.help, buckets: [...histogramDef.buckets!], registers: [plainTheirs] });
    expect(await plain.scrape()).toBe(await plainTheirs.metrics());
  });

  it('a histogram reset drops its series until the next observation, kept children included', async () => {
    const labeled: MetricDef = { name: 'test_size_bytes', type: 'histogram', help: 'size', labelNames: ['topic'], buckets: [10] };
    const metrics = new PromMetrics({ processMetrics: false });
    const family = metrics.histogram(labeled);
    const kept = family.child(['a']);
    kept.observe(5);
    expect(await metrics.scrape()).toContain('test_size_bytes_count{topic="a"} 1');
    family.reset();
    expect(await metrics.scrape()).not.toContain('topic="a"');
    kept.observe(50);
    const text = await metrics.scrape();
    expect(text).toContain('test_size_bytes_bucket{le="10",topic="a"} 0');
    expect(text).toContain('test_size_bytes_count{topic="a"} 1');
  });
});
