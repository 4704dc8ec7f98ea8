/**
 * Coverage gates over sweeps (Antithesis' "sometimes" assertions; the marks themselves are
 * src/core/io/probes.ts, counted per run by src/io-sim/sim-probes.ts). Every scenario names the rare
 * states its fault plan exists to reach (`Scenario.coverageTargets`); a sweep adds up the marks of
 * its runs, prints `state | runs reaching it | total hits`, and fails when a target was never
 * reached by a sweep at least as large as the one `npm test` runs (`Scenario.coverageSeedsMin`).
 * A gate that cannot fail proves nothing: every target is reached by the npm-test range of its
 * scenario (measured; docs/simulator.md lists them), and a target nobody marks fails.
 */
import type { CoverageCounts } from '../src/io-sim/index.ts';

/** Adds up the coverage marks of a sweep's runs. */
export class CoverageTally {
  /** Runs added. */
  runs = 0;
  private readonly reaching = new Map<string, number>();
  private readonly hits = new Map<string, number>();

  /** Adds one run's counts (a seed's first run; reruns are not counted twice). */
  add(counts: CoverageCounts): void {
    this.runs++;
    for (const [name, count] of Object.entries(counts)) {
      if (count <= 0) continue;
      this.reaching.set(name, (this.reaching.get(name) ?? 0) + 1);
      this.hits.set(name, (this.hits.get(name) ?? 0) + count);
    }
  }

  /** Runs that reached `name`. */
  runsReaching(name: string): number {
    return this.reaching.get(name) ?? 0;
  }

  totalHits(name: string): number {
    return this.hits.get(name) ?? 0;
  }

  /** Every state some run reached, sorted. */
  states(): string[] {
    return [...this.reaching.keys()].sort();
  }

  /** The targets no run reached, in the order given. */
  unreached(targets: readonly string[]): string[] {
    return targets.filter((name) => this.runsReaching(name) === 0);
  }

  /**
   * The table: every target (marked `target`, or `NEVER REACHED`), then every other state reached
   * (BUGGIFY points among them), one per line.
   */
  table(targets: readonly string[]): string[] {
    const names = [...targets, ...this.states().filter((name) => !targets.includes(name))];
    const width = Math.max(5, ...names.map((n) => n.length));
    const lines = [`${'state'.padEnd(width)} | runs reaching it | total hits`, `${'-'.repeat(width)}-+------------------+-----------`];
    for (const name of names) {
      const runs = this.runsReaching(name);
      const mark = targets.includes(name) ? (runs === 0 ? '  <- target NEVER REACHED' : '  (target)') : '';
      lines.push(`${name.padEnd(width)} | ${String(runs).padStart(16)} | ${String(this.totalHits(name)).padStart(10)}${mark}`);
    }
    return lines;
  }
}

/** One failure line per target the tally never reached (empty when the gate passes). */
export function coverageGateFailures(tally: CoverageTally, targets: readonly string[], what: string): string[] {
  return tally.unreached(targets).map((name) => `coverage gate: ${what}: target state '${name}' was never reached in ${tally.runs} runs`);
}
