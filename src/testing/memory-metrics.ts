/**
 * Test-only: a Metrics (src/core/metrics) that keeps every value in memory, for tests that check what
 * core records. `scrape()` runs the collectors, as a Prometheus scrape would, and `value()` and
 * `histogram()` read a series by name and label values.
 */
import { assert } from '../core/assert.ts';
import type { Counter, Gauge, Histogram, MetricDef, MetricFamily, Metrics, MetricsCollector } from '../core/metrics/index.ts';

export interface HistogramValue {
  readonly count: number;
  readonly sum: number;
  readonly observations: readonly number[];
}

type Series = { value: number; observations: number[] };

export class InMemoryMetrics implements Metrics {
  private readonly families = new Map<string, { def: MetricDef; series: Map<string, Series> }>();
  private readonly collectors = new Set<MetricsCollector>();

  counter(def: MetricDef): MetricFamily<Counter> {
    return this.family(def, 'counter', (series) => ({
      inc: (amount = 1) => {
        assert(amount >= 0, 'a counter only goes up');
        series().value += amount;
      },
    }));
  }

  gauge(def: MetricDef): MetricFamily<Gauge> {
    return this.family(def, 'gauge', (series) => ({ set: (value) => void (series().value = value) }));
  }

  histogram(def: MetricDef): MetricFamily<Histogram> {
    return this.family(def, 'histogram', (series) => ({
      observe: (value) => {
        const s = series();
        s.observations.push(value);
        s.value += value;
      },
    }));
  }

  addCollector(collect: MetricsCollector): () => void {
    const own = (): void => collect();
    this.collectors.add(own);
    return () => this.collectors.delete(own);
  }

  get collectorCount(): number {
    return this.collectors.size;
  }

  /** Runs every collector, as a scrape does. */
  scrape(): void {
    for (const collect of this.collectors) collect();
  }

  /** A counter's or gauge's value; undefined when the series does not exist (never set, or reset since). */
  value(name: string, labelValues: readonly string[] = []): number | undefined {
    return this.families.get(name)?.series.get(key(labelValues))?.value;
  }

  histogramValue(name: string, labelValues: readonly string[] = []): HistogramValue | undefined {
    const s = this.families.get(name)?.series.get(key(labelValues));
    return s === undefined ? undefined : { count: s.observations.length, sum: s.value, observations: [...s.observations] };
  }

  /** The label values of every series of a metric. */
  labelSets(name: string): string[][] {
    return [...(this.families.get(name)?.series.keys() ?? [])].map((k) => JSON.parse(k) as string[]);
  }

  /** `make` builds a child from the getter of its series (created on first use, and again after a reset). */
  private family<C>(def: MetricDef, type: MetricDef['type'], make: (series: () => Series) => C): MetricFamily<C> {
    assert(def.type === type, `${def.name} is a ${def.type}`);
    assert(!this.families.has(def.name) || this.families.get(def.name)!.def === def, `${def.name} registered once`);
    let entry = this.families.get(def.name);
    if (entry === undefined) {
      entry = { def, series: new Map() };
      this.families.set(def.name, entry);
    }
    const series = entry.series;
    return {
      child: (labelValues) => {
        assert(labelValues.length === def.labelNames.length, `${def.name}: ${def.labelNames.length} label values`);
        const k = key(labelValues);
        // Bound to the label values, not to one Series: a child kept across reset() records into a new series.
        return make(() => {
          let s = series.get(k);
          if (s === undefined) {
            s = { value: 0, observations: [] };
            series.set(k, s);
          }
          return s;
        });
      },
      reset: () => series.clear(),
    };
  }
}

function key(labelValues: readonly string[]): string {
  return JSON.stringify(labelValues);
}
