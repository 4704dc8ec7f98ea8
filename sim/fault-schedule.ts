/**
 * Fault schedules as data. A scenario that supports them draws its faults as a list of
 * PlannedFault (when, what, where, for how long) before it runs them, reports the list in its
 * result, and runs a given list instead of its own when asked: so a failing run's faults can be
 * saved in a corpus file, edited by hand, replayed, and shrunk to the fewest that still fail.
 *
 * Replaying a run's own schedule is that run again, event for event (same trace hash): the scenario
 * still draws its schedule from the seed, then runs the given one in its place.
 */

/** One fault of a schedule. */
export interface PlannedFault {
  /** What happens: one of the scenario's fault kinds (docs/simulator.md lists them). */
  readonly kind: string;
  /** When, in virtual ms from the start of the run (or from the moment the kind's doc names). */
  readonly atMs: number;
  /** Its parameters: node indexes (0-based), durations in ms, factors, flags. */
  readonly [param: string]: string | number | boolean;
}

export type FaultSchedule = readonly PlannedFault[];

/** The parameters a scenario's fault kinds take: kind -> parameter -> its type. */
export type FaultKinds = Readonly<Record<string, Readonly<Record<string, 'node' | 'host' | 'number' | 'boolean'>>>>;

/** How many nodes (brokers, servers) and hosts (nodes, then clients) a run has; null: not known yet. */
export interface FaultTargets {
  readonly nodes: number;
  readonly hosts: number | null;
}

/** A schedule that does not fit the scenario: a usage error, never a failed run. */
export class FaultScheduleError extends Error {
  override name = 'FaultScheduleError';
}

/**
 * Why `value` is not a schedule of `kinds` for `nodes` nodes, or null when it is. Every fault is
 * checked whole (a known kind, atMs a number, exactly its parameters with their types, node and host
 * indexes in range), so a hand-edited file fails before it runs rather than running something else.
 */
export function faultScheduleError(value: unknown, kinds: FaultKinds, targets: FaultTargets): string | null {
  if (!Array.isArray(value)) return 'a fault schedule is a JSON array of faults';
  for (const [i, fault] of (value as unknown[]).entries()) {
    const where = `fault ${i}`;
    if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) return `${where}: not an object`;
    const f = fault as Record<string, unknown>;
    const params = typeof f['kind'] === 'string' ? kinds[f['kind']] : undefined;
    if (params === undefined) return `${where}: kind ${JSON.stringify(f['kind'])} is not one of ${Object.keys(kinds).join(', ')}`;
    if (typeof f['atMs'] !== 'number' || !Number.isFinite(f['atMs']) || f['atMs'] < 0) return `${where} (${String(f['kind'])}): atMs must be a number of ms >= 0`;
    for (const [name, type] of Object.entries(params)) {
      const v = f[name];
      if (v === undefined) return `${where} (${String(f['kind'])}): missing ${name}`;
      if (type === 'boolean' ? typeof v !== 'boolean' : typeof v !== 'number' || !Number.isFinite(v)) return `${where} (${String(f['kind'])}): ${name} must be a ${type === 'boolean' ? 'boolean' : 'number'}`;
      if (type === 'node' || type === 'host') {
        const count = type === 'node' ? targets.nodes : targets.hosts;
        const index = v as number;
        if (!Number.isInteger(index) || index < 0 || (count !== null && index >= count)) {
          return `${where} (${String(f['kind'])}): ${name} ${String(v)} is not a ${type} index${count === null ? '' : ` 0..${count - 1}`}`;
        }
      }
    }
    const extra = Object.keys(f).filter((key) => key !== 'kind' && key !== 'atMs' && !(key in params));
    if (extra.length > 0) return `${where} (${String(f['kind'])}): unknown field ${extra.join(', ')}`;
  }
  return null;
}

/**
 * Throws FaultScheduleError unless `faults` (when given) is a schedule of `kinds` for `targets`
 * (faultScheduleError) and, with `phase`, every fault it does not exempt comes before `phase.ms`.
 * `run` names the run at the head of a schedule error (`cluster with 3 nodes ...`).
 */
export function checkFaultSchedule(
  faults: FaultSchedule | undefined,
  run: string,
  kinds: FaultKinds,
  targets: FaultTargets,
  phase?: { readonly ms: number; readonly exempt?: (fault: PlannedFault) => boolean },
): void {
  if (faults === undefined) return;
  const wrong = faultScheduleError(faults, kinds, targets);
  if (wrong !== null) throw new FaultScheduleError(`${run}: ${wrong}`);
  if (phase === undefined) return;
  const late = faults.find((f) => phase.exempt?.(f) !== true && f.atMs >= phase.ms);
  if (late !== undefined) throw new FaultScheduleError(`a ${late.kind} at ${late.atMs} ms is not within the fault phase of ${phase.ms} ms`);
}

/** One line per fault, for people: `  3  1840 ms  crash node=1 durationMs=420`. */
export function renderFaultSchedule(schedule: FaultSchedule): string[] {
  return schedule.map((f, i) => {
    const params = Object.entries(f)
      .filter(([key]) => key !== 'kind' && key !== 'atMs')
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    return `${String(i).padStart(3)} ${String(f.atMs).padStart(6)} ms  ${f.kind}${params === '' ? '' : ` ${params}`}`;
  });
}

export interface ShrinkProgress {
  /** Runs so far (each one run of the scenario with a candidate schedule). */
  readonly runs: number;
  /** Faults in the smallest failing schedule so far. */
  readonly faults: number;
}

export interface ShrinkResult {
  /** The smallest failing schedule found: removing any one of its faults makes the run pass (unless `exhausted`). */
  readonly schedule: FaultSchedule;
  readonly runs: number;
  /** True when the run budget ended the search before the schedule was 1-minimal. */
  readonly exhausted: boolean;
}

/**
 * Delta debugging (Zeller's ddmin) over a failing schedule: tries subsets and complements of ever
 * smaller chunks, keeping any candidate that `stillFails`, until no single fault can be dropped (or
 * `runsMax` runs were spent). Order is kept: a candidate is the original's faults minus some.
 */
export async function shrinkSchedule(
  failing: FaultSchedule,
  stillFails: (candidate: FaultSchedule) => Promise<boolean>,
  runsMax: number,
  onProgress: (progress: ShrinkProgress) => void = () => undefined,
): Promise<ShrinkResult> {
  let current = [...failing];
  let runs = 0;
  const test = async (candidate: PlannedFault[]): Promise<boolean> => {
    runs++;
    const fails = await stillFails(candidate);
    if (fails) current = candidate;
    onProgress({ runs, faults: current.length });
    return fails;
  };
  // A failure that needs no fault at all is the smallest there is.
  if (current.length > 0 && (await test([]))) return { schedule: [], runs, exhausted: false };
  let granularity = 2;
  while (current.length >= 2) {
    if (runs >= runsMax) return { schedule: current, runs, exhausted: true };
    const chunks = split(current, granularity);
    let reduced = false;
    for (const chunk of chunks) {
      if (runs >= runsMax) break;
      if (chunk.length < current.length && (await test(chunk))) {
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && granularity > 2) {
      for (const chunk of chunks) {
        if (runs >= runsMax) break;
        const complement = current.filter((f) => !chunk.includes(f));
        if (await test(complement)) {
          granularity = Math.max(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (runs >= runsMax) return { schedule: current, runs, exhausted: true };
      if (granularity >= current.length) break;
      granularity = Math.min(granularity * 2, current.length);
    }
  }
  return { schedule: current, runs, exhausted: false };
}

/** `items` cut into `n` runs of near-equal length, in order. */
function split<T>(items: readonly T[], n: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    chunks.push(items.slice(start, end));
    start = end;
  }
  return chunks.filter((c) => c.length > 0);
}
