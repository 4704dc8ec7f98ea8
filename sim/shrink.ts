import { shrinkSchedule, type FaultSchedule, type PlannedFault, type ShrinkProgress } from './fault-schedule.ts';
import { runOne, type RunOutcome, type RunRequest } from './runner.ts';
import { findScenario } from './scenarios/index.ts';

/**
 * What a failure is, for telling whether a smaller run still fails the same way: the checker's
 * name before the first colon (`lost`, `duplicate`, `liveness`, `commit-regressed`), or else the
 * text with its numbers blanked (`N clients still busy N s after being told to stop`).
 */
export function failureKind(text: string): string {
  const named = /^([A-Za-z][\w-]{0,39}):/.exec(text);
  return named !== null ? named[1]! : text.replace(/\d+(\.\d+)?/g, 'N').slice(0, 80);
}

export interface ShrunkRun {
  /** The first failure of the original run, whose kind every smaller run had to fail with. */
  readonly failure: string;
  readonly kind: string;
  readonly faultsBefore: number;
  readonly schedule: FaultSchedule;
  /** The shortened fault phase, when a shorter one still failed. */
  readonly faultPhaseMs?: number;
  /** The run of the smallest schedule (its failures, trace hash, virtual time). */
  readonly outcome: RunOutcome;
  readonly runs: number;
  /** True when the run budget ran out before the schedule was 1-minimal. */
  readonly exhausted: boolean;
}

/** The phases tried when shortening: every 100 ms from the last fault's end up to the scenario's own phase. */
const phaseStepMs = 100;

/**
 * Shrinks a failing run's fault schedule: drops faults (delta debugging) while the run still fails
 * with the kind of its first failure, then shortens the workload by ending the fault phase as soon
 * after the last remaining fault as still fails (a binary search in 100 ms steps; only when no rolling
 * restart is left, since those count from the topic's creation). Runs at most `runsMax` runs.
 */
export async function shrinkRun(
  request: RunRequest,
  failed: RunOutcome,
  runsMax: number,
  onProgress: (progress: ShrinkProgress & { phase: 'faults' | 'workload' }) => void = () => undefined,
): Promise<ShrunkRun> {
  if (failed.ok) throw new Error('shrinkRun: the run passed; there is nothing to shrink');
  const scenario = findScenario(failed.scenario);
  if (failed.faultSchedule === undefined || scenario?.faultPhaseMs === undefined) throw new Error(`shrinkRun: scenario ${failed.scenario} does not record its faults as data`);
  const phaseMsMax = scenario.faultPhaseMs;
  const failure = failed.failures[0]!;
  const kind = failureKind(failure);
  let smallest: RunOutcome = failed;
  const fails = async (faults: FaultSchedule, faultPhaseMs?: number): Promise<boolean> => {
    const outcome = await runOne({ ...request, traceFile: undefined, faults, ...(faultPhaseMs === undefined ? {} : { faultPhaseMs }) });
    const same = !outcome.ok && outcome.failures.some((f) => failureKind(f) === kind);
    if (same) smallest = outcome;
    return same;
  };
  const dropped = await shrinkSchedule(failed.faultSchedule, (candidate) => fails(candidate), runsMax, (p) => onProgress({ ...p, phase: 'faults' }));
  let runs = dropped.runs;
  // Faults are kept only when a run with them fails, so `smallest` is the run of `dropped.schedule`
  // unless the last candidate tried passed; run it once more to report its own outcome.
  let faultPhaseMs: number | undefined;
  if (!sameSchedule(smallest, dropped.schedule)) {
    runs++;
    await fails(dropped.schedule);
  }
  const schedule = dropped.schedule;
  if (!schedule.some((f) => f.kind === 'rolling-restart')) {
    // A fault's end: its time plus its duration (`durationMs`, or the time it waits for its end, `downMs`).
    const ends = schedule.map((f) => f.atMs + Math.max(...(['durationMs', 'downMs'] as const).map((key) => (typeof f[key] === 'number' ? f[key] : 0))));
    let low = Math.ceil(Math.max(0, ...ends) / phaseStepMs) * phaseStepMs + phaseStepMs;
    let high = phaseMsMax;
    const best = smallest;
    // Binary search for the shortest phase that still fails (failing is not monotonic in the phase's
    // length, so this finds a short one, not always the shortest).
    while (low < high && runs < runsMax) {
      const middle = Math.floor((low + high) / 2 / phaseStepMs) * phaseStepMs;
      runs++;
      const shorter = await fails(schedule, middle);
      onProgress({ runs, faults: schedule.length, phase: 'workload' });
      if (shorter) {
        faultPhaseMs = middle;
        high = middle;
      } else {
        low = middle + phaseStepMs;
      }
    }
    if (faultPhaseMs === undefined) smallest = best;
    else if (smallest.virtualMs > best.virtualMs) {
      faultPhaseMs = undefined;
      smallest = best;
    }
  }
  return {
    failure,
    kind,
    faultsBefore: failed.faultSchedule.length,
    schedule,
    ...(faultPhaseMs === undefined ? {} : { faultPhaseMs }),
    outcome: smallest,
    runs,
    exhausted: dropped.exhausted,
  };
}

function sameSchedule(outcome: RunOutcome, schedule: FaultSchedule): boolean {
  const ran: readonly PlannedFault[] = outcome.faultSchedule ?? [];
  return JSON.stringify(ran) === JSON.stringify(schedule);
}
