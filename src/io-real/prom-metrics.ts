/**
 * PromMetrics: core's Metrics (src/core/metrics) on a prom-client Registry, with prom-client's
 * default process and Node.js metrics beside them. `scrape()` runs core's collectors, then renders the
 * Prometheus text format; `chronik start --metrics-listen` serves it (src/cli/metrics-server.ts).
 *
 * Cost on the request path: a counter child adds to a plain number that prom-client reads at scrape
 * (its own inc hashes the label values on every call); a histogram child is prom-client's observe on
 * an unlabeled histogram (a bucket search, no label hashing). Gauges are set only by collectors.
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
      const histogram = new client.Histogram({ name: def.name, help: def.help, labelNames: [...def.labelNames], buckets: [...(def.buckets ?? [])], registers: [this.registry] });
      return {
        child: (values) => (values.length === 0 ? { observe: (value: number) => histogram.observe(value) } : histogram.labels(...values)),
        reset: () => histogram.reset(),
      };
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

function labelsOf(def: MetricDef, values: readonly string[]): client.LabelValues<string> {
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
