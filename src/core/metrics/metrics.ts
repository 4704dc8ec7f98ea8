/**
 * Metrics, as core sees them: a small neutral interface with counters, gauges and histograms, each a
 * family of children bound to label values. Core records events on children it looked up once and
 * kept (so a request costs a field read and an add, never a label lookup), and sets state gauges
 * (offsets, lag, connections) from collectors that run at the start of every scrape.
 *
 * Production implements it with prom-client (src/io-real/prom-metrics.ts, served by `chronik start
 * --metrics-listen`); the simulator and most tests use `noopMetrics`, and tests that read values use
 * the in-memory one in src/testing/. Durations are measured with io.clock, so they are virtual time in
 * the simulator. Core never reads a metric back: nothing it decides depends on one.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric: its Prometheus name (units last, `_total` on counters), meaning and label names. */
export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histograms only: the bucket upper bounds, ascending. */
  readonly buckets?: readonly number[];
}

export interface Counter {
  /** Adds `amount` (default 1, never negative). */
  inc(amount?: number): void;
}

export interface Gauge {
  set(value: number): void;
}

export interface Histogram {
  observe(value: number): void;
}

/** A metric and its children, one per combination of label values. */
export interface MetricFamily<C> {
  /**
   * The child for these label values, given in `labelNames` order (`[]` when there are none). A
   * lookup may allocate: look a child up once and keep it, or do it only while collecting.
   */
  child(labelValues: readonly string[]): C;
  /** Forgets every child, so that a collector that sets them all again drops the series of things that are gone. */
  reset(): void;
}

/** Something that collects, before each scrape, the values it holds as state. */
export type MetricsCollector = () => void;

export interface Metrics {
  counter(def: MetricDef): MetricFamily<Counter>;
  gauge(def: MetricDef): MetricFamily<Gauge>;
  histogram(def: MetricDef): MetricFamily<Histogram>;
  /** Runs `collect` at the start of every scrape, in registration order. Returns the function that removes it. */
  addCollector(collect: MetricsCollector): () => void;
}

/** A counter, gauge and histogram that records nothing. */
export const noopChild: Counter & Gauge & Histogram = { inc: () => undefined, set: () => undefined, observe: () => undefined };
const noopFamily: MetricFamily<Counter & Gauge & Histogram> = { child: () => noopChild, reset: () => undefined };

/** Metrics that go nowhere: the default of every component that takes a Metrics. */
export const noopMetrics: Metrics = {
  counter: () => noopFamily,
  gauge: () => noopFamily,
  histogram: () => noopFamily,
  addCollector: () => () => undefined,
};

/** Seconds from a pair of io.clock readings in milliseconds (histograms of durations are in seconds). */
export function secondsBetween(startMs: number, endMs: number): number {
  return Math.max(0, endMs - startMs) / 1000;
}
