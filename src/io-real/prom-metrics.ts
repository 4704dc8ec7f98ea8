/**
 * PromMetrics: core's Metrics (src/core/metrics) on a prom-client Registry, with prom-client's
 * default process and Node.js metrics beside them. `scrape()` runs core's collectors, then renders the
 * Prometheus text format; `chronik start --metrics-listen` serves it (src/cli/metrics-server.ts).
 *
 * Cost on the request path: a counter child adds to a plain number that prom-client reads at scrape
 * (its own inc hashes the label values on every call); a histogram child counts into its own bucket
 * array, rendered at scrape by AccumulatingHistogram (prom-client's own observe builds and hashes a
 * labels object on every call; bench/metrics-recording.ts measures both). Gauges are set only by
 * collectors.
 */
import client from 'prom-client';
import type { Counter, Gauge, Histogram, MetricDef, MetricFamily, Metrics, MetricsCollector } from '../core/metrics/index.ts';

/** A counter child: increments accumulate here and move into prom-client when it collects. */
interface PendingCount {
  readonly labels: client.LabelValues<string>;
  amount: number;
}

export class PromMetrics implements Metrics {
  readonly registry = new client.Registry();
  private readonly collectors = new Set<MetricsCollector>();
  private readonly families = new Map<string, { def: MetricDef; family: MetricFamily<unknown> }>();

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: this.registry });
  }

  /** The Content-Type of scrape()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  counter(def: MetricDef): MetricFamily<Counter> {
    return this.cached(def, () => counterFamily(def, this.registry));
  }

  gauge(def: MetricDef): MetricFamily<Gauge> {
    return this.cached(def, () => {
      const gauge = new client.Gauge({ name: def.name, help: def.help, labelNames: [...def.labelNames], registers: [this.registry] });
      return {
        child: (values) => {
          if (values.length === 0) return { set: (value: number) => gauge.set(value) };
          const labels = labelsOf(def, values);
          return { set: (value: number) => gauge.set(labels, value) };
        },
        reset: () => gauge.reset(),
      };
    });
  }

  histogram(def: MetricDef): MetricFamily<Histogram> {
    return this.cached(def, () => {
      const histogram = new AccumulatingHistogram(def);
      this.registry.registerMetric(histogram as unknown as client.Metric);
      return histogram;
    });
  }

  addCollector(collect: MetricsCollector): () => void {
    const own = (): void => collect();
    this.collectors.add(own);
    return () => this.collectors.delete(own);
  }

  /** Runs core's collectors, then renders every metric in the Prometheus text format. */
  async scrape(): Promise<string> {
    for (const collect of this.collectors) collect();
    return this.registry.metrics();
  }

  private cached<C>(def: MetricDef, make: () => MetricFamily<C>): MetricFamily<C> {
    const known = this.families.get(def.name);
    if (known !== undefined) {
      if (known.def !== def) throw new Error(`metric ${def.name} registered twice with different definitions`);
      return known.family as MetricFamily<C>;
    }
    const family = make();
    this.families.set(def.name, { def, family });
    return family;
  }
}

function labelsOf(def: MetricDef, values: readonly string[]): Record<string, string> {
  if (values.length !== def.labelNames.length) throw new Error(`${def.name}: expected ${def.labelNames.length} label values, got ${values.length}`);
  return Object.fromEntries(def.labelNames.map((name, i) => [name, values[i]!]));
}

function counterFamily(def: MetricDef, registry: client.Registry): MetricFamily<Counter> {
  const pending = new Map<string, PendingCount>();
  const counter: client.Counter<string> = new client.Counter({
    name: def.name,
    help: def.help,
    labelNames: [...def.labelNames],
    registers: [registry],
    collect() {
      for (const p of pending.values()) {
        if (p.amount === 0) continue;
        counter.inc(p.labels, p.amount);
        p.amount = 0;
      }
    },
  });
  return {
    child: (values) => {
      const key = JSON.stringify(values);
      let p = pending.get(key);
      if (p === undefined) {
        p = { labels: values.length === 0 ? {} : labelsOf(def, values), amount: 0 };
        pending.set(key, p);
      }
      const own = p;
      return {
        inc: (amount = 1) => {
          if (!(amount >= 0)) throw new Error(`${def.name}: a counter only goes up (got ${amount})`);
          own.amount += amount;
        },
      };
    },
    reset: () => {
      for (const p of pending.values()) p.amount = 0;
      counter.reset();
    },
  };
}

/** One histogram child's buckets (not cumulative: counts[i] holds values in (bounds[i-1], bounds[i]]). */
interface HistogramState {
  readonly labels: Record<string, string>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** False from a reset (or, when labeled, its creation) until the next observation: the series is not exported meanwhile. */
  live: boolean;
}

/**
 * A histogram that counts into plain arrays and gives prom-client's registry the same values its own
 * Histogram would (`_bucket` per upper bound and `+Inf`, cumulative; `_sum`; `_count`) through the
 * `get()` the registry calls at scrape. An unlabeled one is exported with zeros before any observation.
 */
class AccumulatingHistogram implements MetricFamily<Histogram> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly states = new Map<string, HistogramState>();

  constructor(private readonly def: MetricDef) {
    this.name = def.name;
    this.help = def.help;
    this.bounds = def.buckets ?? [];
    if (this.bounds.some((b, i) => i > 0 && b <= this.bounds[i - 1]!)) throw new Error(`${def.name}: buckets must ascend`);
    if (def.labelNames.length === 0) this.state([]).live = true;
  }

  child(labelValues: readonly string[]): Histogram {
    const state = this.state(labelValues);
    const bounds = this.bounds;
    return {
      observe: (value: number) => {
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        if (i < bounds.length) state.counts[i]! += 1;
        state.sum += value;
        state.count += 1;
        state.live = true;
      },
    };
  }

  reset(): void {
    for (const state of this.states.values()) {
      state.counts.fill(0);
      state.sum = 0;
      state.count = 0;
      state.live = false;
    }
  }

  /** What prom-client's registry renders (the shape of its own Histogram's get()). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const state of this.states.values()) {
      if (!state.live) continue;
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += state.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...state.labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...state.labels }, value: state.count });
      values.push({ metricName: `${this.name}_sum`, labels: state.labels, value: state.sum });
      values.push({ metricName: `${this.name}_count`, labels: state.labels, value: state.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private state(labelValues: readonly string[]): HistogramState {
    const key = JSON.stringify(labelValues);
    const known = this.states.get(key);
    if (known !== undefined) return known;
    const state: HistogramState = { labels: labelValues.length === 0 ? {} : labelsOf(this.def, labelValues), counts: new Float64Array(this.bounds.length), sum: 0, count: 0, live: false };
    this.states.set(key, state);
    return state;
  }
}
