import type { Buggify, Coverage } from '../core/io/probes.ts';
import type { Random } from '../core/io/random.ts';

/** Per-run counts of coverage marks: how many times each named state was reached. */
export type CoverageCounts = Record<string, number>;

/**
 * The run's coverage marks (src/core/io/probes.ts), counted in memory. It adds no event, draws
 * nothing and writes no trace line, so the trace hash is the same whatever is marked.
 */
export class SimCoverage implements Pick<Coverage, 'reached'> {
  private readonly hits = new Map<string, number>();

  reached(name: string): void {
    this.hits.set(name, (this.hits.get(name) ?? 0) + 1);
  }

  /** The counts so far, by name in sorted order (plain data: it crosses worker threads). */
  counts(): CoverageCounts {
    const out: CoverageCounts = {};
    for (const name of [...this.hits.keys()].sort()) out[name] = this.hits.get(name)!;
    return out;
  }

  /** The Coverage a node incarnation's Io carries: its crash windows are its own. */
  forIncarnation(): IncarnationCoverage {
    return new IncarnationCoverage(this);
  }
}

/** One incarnation's view: marks go to the run's counts; open crash windows count when it crashes. */
export class IncarnationCoverage implements Coverage {
  /** Open windows by name (a count: several appends may each hold one). */
  private readonly open = new Map<string, number>();

  constructor(private readonly run: SimCoverage) {}

  reached(name: string): void {
    this.run.reached(name);
  }

  crashWindow(name: string): () => void {
    this.open.set(name, (this.open.get(name) ?? 0) + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const left = this.open.get(name)! - 1;
      if (left === 0) this.open.delete(name);
      else this.open.set(name, left);
    };
  }

  /** The node crashed: every window still open counts once. */
  crashed(): void {
    for (const name of this.open.keys()) this.run.reached(name);
    this.open.clear();
  }
}

/** How likely a BUGGIFY point is to be enabled in a run (FoundationDB's is 25%). */
export const buggifyEnabledProbability = 0.25;

/**
 * BUGGIFY for one run: each point, the first time core asks about it, is enabled or not from its
 * own stream (`buggify/<name>`, forked from the run's random source); an enabled point then fires
 * with the probability core passes, drawn from that same stream. A point's draws never touch any
 * other stream, so adding a point does not reshuffle the rest of a run (the run changes only where
 * the point fires).
 *
 * Off until `enable()`: scenarios enable it as they start, so every run of a scenario (npm run sim,
 * a sweep, a test, a corpus replay) takes the same paths, while unit tests that drive core through
 * a simulation keep exact timings. While off, nothing fires and nothing is drawn.
 */
export class SimBuggify implements Buggify {
  private readonly points = new Map<string, { enabled: boolean; random: Random }>();
  private random: Random | null = null;
  private enabled = false;

  /**
   * `fork` makes the run's `buggify` stream, called at the first question (a run that asks none has
   * no such stream). `allowed` false (SimulationOptions.buggify) keeps it off whatever enables it.
   */
  constructor(
    private readonly fork: () => Random,
    private readonly allowed: boolean,
  ) {}

  /** Lets the points fire from now on (a scenario calls it first thing). */
  enable(): void {
    this.enabled = this.allowed;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  fires(name: string, probability: number): boolean {
    if (!this.enabled) return false;
    let point = this.points.get(name);
    if (point === undefined) {
      this.random ??= this.fork();
      const random = this.random.fork(name);
      point = { enabled: random.chance(buggifyEnabledProbability), random };
      this.points.set(name, point);
    }
    return point.enabled && point.random.chance(probability);
  }

  /** The points enabled in this run so far, sorted (for the run's summary). */
  enabledPoints(): string[] {
    return [...this.points].filter(([, p]) => p.enabled).map(([name]) => name).sort();
  }
}
