import { assert } from '../src/core/assert.ts';
import { CoverageTally, coverageGateFailures } from './coverage.ts';
import { simExitCode } from './exit-code.ts';
import { corpusDir, reproduceCommand, runOne, saveCase, type RunOutcome, type RunRequest } from './runner.ts';
import { findScenario } from './scenarios/index.ts';
import { startSweepProgress, type SweepProgress } from './sweep-progress.ts';

/** Runs one seed to the end: runOne in this process, or one worker thread of a SweepPool. */
export type SeedRunner = (request: RunRequest) => Promise<RunOutcome>;

/** A sweep reruns every `sweepRerunEvery`-th seed of its range, counted from the first, and compares the trace hashes. */
export const sweepRerunEvery = 20;

export interface SweepRequest {
  scenario: string;
  nodes?: number;
  range: { first: number; last: number };
  save: boolean;
  /** Where failing seeds are saved (default sim/corpus/; tests pass a temporary folder). */
  corpusDir?: string;
  /** Test-only: planted bugs for every run. Plain data, so it reaches worker threads too. */
  plantedBugs?: RunRequest['plantedBugs'];
  /** Put before each failing seed's reproduce command (the CLI's CHRONIK_TEST_ONLY_BUGS='...'). */
  reproducePrefix?: string;
  /** Aborted on Ctrl-C: no run starts after it, and the sweep reports the seeds that finished. */
  signal?: AbortSignal;
  /**
   * The coverage gate: fail the sweep when a target state was never reached. Default: on when the
   * sweep has at least the scenario's `coverageGoal(nodes).seedsMin` seeds (the npm-test size).
   */
  coverageGate?: boolean;
  /** The targets instead of the scenario's own (tests: a target nobody marks). */
  coverageTargets?: readonly string[];
}

export interface SweepResult {
  exitCode: number;
  /** Coverage gate failures (one per target never reached; empty when it passed or was off). */
  coverageFailures: string[];
  /** The first run's trace hash of each seed, in seed order (empty strings for seeds an interrupt left unrun). */
  traceHashes: string[];
}

/** One run to make: a seed's first run, or the rerun that checks its trace hash. */
interface SweepTask {
  index: number;
  rerun: boolean;
}

/** What came back for one seed so far. */
interface SeedSlot {
  rerun: boolean;
  first?: RunOutcome;
  again?: RunOutcome;
  reported: boolean;
}

/**
 * Runs every seed of the range; reruns every 20th (the first, the 21st, ...) and requires the same
 * trace hash (it covers every event, every log line and the unseed). A failing seed or a differing
 * hash fails the sweep.
 *
 * `runners` are the lanes: each takes the next run from one queue as soon as its last one ends
 * (seeds vary a lot in duration), so with several lanes a seed's rerun usually runs in another one.
 * One lane runs the queue in today's order: a seed, its rerun if any, the next seed. Whatever the
 * order runs finish in, the report is printed in seed order, so its lines (all but the wall time)
 * do not depend on the number of lanes. A runner is runOne, a SweepPool's worker, or in tests a
 * wrapper that plants something.
 */
export async function sweepSeeds(request: SweepRequest, runners: SeedRunner | readonly SeedRunner[] = runOne): Promise<SweepResult> {
  const lanes = typeof runners === 'function' ? [runners] : runners;
  assert(lanes.length >= 1, 'a sweep needs at least one lane');
  const { scenario, range } = request;
  const total = range.last - range.first + 1;
  const slots: SeedSlot[] = Array.from({ length: total }, (_, index) => ({ rerun: index % sweepRerunEvery === 0, reported: false }));
  const tasks = slots.flatMap((slot, index): SweepTask[] => (slot.rerun ? [{ index, rerun: false }, { index, rerun: true }] : [{ index, rerun: false }]));
  const progress = startSweepProgress(scenario, total);
  const report = new SweepReport(request, slots, (text) => progress.aside(text));
  const interrupted = abortedPromise(request.signal);
  let next = 0;
  let stopping = false;
  let done = 0;
  let failed = 0;
  const lane = async (run: SeedRunner): Promise<void> => {
    while (next < tasks.length && !stopping && request.signal?.aborted !== true) {
      const task = tasks[next++]!;
      const seed = range.first + task.index;
      const outcome = await Promise.race([run({ scenario, seed, nodes: request.nodes, plantedBugs: request.plantedBugs }), interrupted]);
      if (outcome === 'interrupted') return;
      const slot = slots[task.index]!;
      // Outcomes wait here until every seed before them is printed (behind a slow seed, that is
      // every run that finished since it started): keep them small, the report prints no trace tail.
      const kept = { ...outcome, recentTrace: [] };
      if (task.rerun) slot.again = kept;
      else slot.first = kept;
      if (slotComplete(slot)) {
        done++;
        if (!slot.first!.ok) failed++;
        progress.update(done, failed);
      }
      report.printReady();
    }
  };
  try {
    await Promise.all(lanes.map((run) => lane(run).catch((error: unknown) => ((stopping = true), Promise.reject(error)))));
  } finally {
    progress.stop();
  }
  return report.finish(lanes.length, request.signal?.aborted === true);
}

function slotComplete(slot: SeedSlot): boolean {
  return slot.first !== undefined && (!slot.rerun || slot.again !== undefined);
}

/** Resolves to 'interrupted' when the signal aborts; never settles without one. */
function abortedPromise(signal: AbortSignal | undefined): Promise<'interrupted'> {
  return new Promise((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve('interrupted');
    else signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
}

/** The sweep's report: each seed's lines printed once, in seed order, then the summary. */
class SweepReport {
  private readonly startedMs = performance.now();
  /** Seeds before this index are reported. */
  private cursor = 0;
  private virtualMs = 0;
  private reportedCount = 0;
  private rerunCount = 0;
  private readonly failed: RunOutcome[] = [];
  private readonly differing: string[] = [];
  private readonly traceHashes: string[];
  /** Coverage marks of every seed's first run (a rerun adds nothing new: it must be identical). */
  private readonly coverage = new CoverageTally();

  constructor(
    private readonly request: SweepRequest,
    private readonly slots: SeedSlot[],
    /** Prints a seed's lines (around the progress bar, if one is drawn). */
    private readonly print: (text: string) => void,
  ) {
    this.traceHashes = slots.map(() => '');
  }

  /** Prints every seed whose runs are done and whose predecessors are all printed. */
  printReady(): void {
    while (this.cursor < this.slots.length && slotComplete(this.slots[this.cursor]!)) this.printSeed(this.cursor++);
  }

  /** Prints the summary. An interrupted sweep first prints the seeds that finished out of order. */
  finish(lanes: number, interrupted: boolean): SweepResult {
    const { scenario, range } = this.request;
    const total = this.slots.length;
    if (interrupted) {
      this.slots.forEach((slot, index) => slotComplete(slot) && !slot.reported && this.printSeed(index));
      console.log(`interrupted (Ctrl-C): ${this.reportedCount} of ${total} seeds finished, ${total - this.reportedCount} not run or cut short`);
    }
    const wallMs = performance.now() - this.startedMs;
    const jobs = lanes > 1 ? ` with ${lanes} jobs` : '';
    console.log(`swept ${scenario} seeds ${range.first}..${range.last}${jobs}: ${(this.virtualMs / 1000).toFixed(0)} s virtual in ${(wallMs / 1000).toFixed(1)} s wall (${(this.virtualMs / wallMs).toFixed(0)}x)`);
    for (const o of this.failed) console.log(`failing seed ${o.seed}: ${reproduceCommand(o)}`);
    const seeds = interrupted ? this.reportedCount : total;
    const coverageFailures = interrupted ? [] : this.printCoverage(seeds);
    const rerunWhat = `reran ${this.rerunCount} of ${seeds} seeds (every ${sweepRerunEvery}th from ${range.first})`;
    console.log(this.differing.length === 0 ? `${rerunWhat}: every trace hash matched` : `${rerunWhat}: trace hash differed for ${this.differing.join(', ')}`);
    const nondeterministic = this.differing.length > 0 ? `, ${this.differing.length} nondeterministic` : '';
    const notRun = interrupted ? `, ${total - this.reportedCount} not run` : '';
    const gate = coverageFailures.length > 0 ? `, coverage gate failed (${coverageFailures.length} target${coverageFailures.length === 1 ? '' : 's'} never reached)` : '';
    console.log(`${seeds - this.failed.length} passed, ${this.failed.length} failed${nondeterministic}${notRun}${gate}`);
    const clean = this.failed.length === 0 && this.differing.length === 0 && coverageFailures.length === 0;
    const exitCode = interrupted ? simExitCode.interrupted : clean ? simExitCode.pass : simExitCode.fail;
    return { exitCode, traceHashes: this.traceHashes, coverageFailures };
  }

  /** Prints the coverage table and, when the gate is on, its failures (returned). */
  private printCoverage(seeds: number): string[] {
    const { scenario: name, nodes, range } = this.request;
    const scenario = findScenario(name);
    const goal = scenario?.coverageGoal(nodes ?? scenario.defaultNodes) ?? { targets: [], seedsMin: Infinity };
    const targets = this.request.coverageTargets ?? goal.targets;
    const gateOn = this.request.coverageGate ?? seeds >= goal.seedsMin;
    console.log(`coverage over ${this.coverage.runs} runs (seeds ${range.first}..${range.last}):`);
    for (const line of this.coverage.table(targets)) console.log(line);
    if (!gateOn) {
      console.log(`coverage gate off: ${seeds} seeds, fewer than the ${goal.seedsMin} it needs (or --no-coverage-gate)`);
      return [];
    }
    const failures = coverageGateFailures(this.coverage, targets, `${name} seeds ${range.first}..${range.last}`);
    for (const failure of failures) console.log(failure);
    if (failures.length === 0) console.log(`coverage gate passed: all ${targets.length} targets reached`);
    return failures;
  }

  private printSeed(index: number): void {
    const slot = this.slots[index]!;
    const outcome = slot.first!;
    slot.reported = true;
    this.reportedCount++;
    this.traceHashes[index] = outcome.traceHash;
    this.virtualMs += outcome.virtualMs;
    this.coverage.add(outcome.coverage);
    if (!outcome.ok) {
      this.failed.push(outcome);
      this.print(`FAIL seed ${outcome.seed}: ${outcome.failures[0] ?? ''}\n  reproduce: ${this.request.reproducePrefix ?? ''}${reproduceCommand(outcome)}`);
      if (this.request.save) this.print(`  saved as ${saveCase(outcome, new Date().toISOString(), this.request.corpusDir ?? corpusDir)}`);
    }
    if (slot.rerun) this.printRerun(outcome, slot.again!);
    // Only failing outcomes are kept (for the summary); a long sweep does not hold every trace tail.
    slot.first = slot.again = undefined;
  }

  private printRerun(outcome: RunOutcome, again: RunOutcome): void {
    this.rerunCount++;
    this.virtualMs += again.virtualMs;
    if (again.traceHash === outcome.traceHash) return;
    this.differing.push(`seed ${outcome.seed}`);
    this.print(
      `NONDETERMINISTIC seed ${outcome.seed}: trace hash ${outcome.traceHash} on the first run, ${again.traceHash} on the rerun` +
        ` (unseed ${outcome.unseed} then ${again.unseed}; events ${outcome.events} then ${again.events})` +
        `\n  reproduce: ${reproduceCommand(outcome)} (twice; add --trace FILE --trace-events to each and diff the files)`,
    );
  }
}
