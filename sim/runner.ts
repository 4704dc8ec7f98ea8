import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulation, type CoverageCounts, type SimObserver, type SimulationOptions } from '../src/io-sim/index.ts';
import { FaultScheduleError, type FaultSchedule } from './fault-schedule.ts';
import { nodesError, type ScenarioOptions, type ScenarioResult, type ScenarioTimeline } from './scenario.ts';
import { findScenario, scenarios } from './scenarios/index.ts';
import type { TimelineData, TimelineHeader } from './timeline/model.ts';
import { TimelineRecorder } from './timeline/recorder.ts';

const simDir = path.dirname(fileURLToPath(import.meta.url));
export const corpusDir = path.join(simDir, 'corpus');

export interface RunRequest {
  scenario: string;
  seed: number;
  nodes?: number;
  traceFile?: string;
  /** Also write every fired scheduler event to the trace file. */
  traceFileEvents?: boolean;
  plantedBugs?: SimulationOptions['plantedBugs'];
  /** Run these faults instead of the seed's (ScenarioOptions.faults). */
  faults?: FaultSchedule;
  /** The fault phase's length instead of the scenario's (ScenarioOptions.faultPhaseMs). */
  faultPhaseMs?: number;
  /** Test-only: called with the new simulation before the scenario runs (to plant an event, say). */
  beforeRun?: (sim: Simulation) => void;
}

export interface RunOutcome extends ScenarioResult {
  scenario: string;
  seed: number;
  nodes: number;
  /** Over every fired event, every log line and the unseed (see Simulation.traceHash). */
  traceHash: string;
  /** The next value of every random stream at the end of the run, hashed (FoundationDB's unseed). */
  unseed: string;
  /** What the trace hash covers: fired events, log lines, random streams. */
  hashCovers: { events: number; logLines: number; randomStreams: number };
  events: number;
  virtualMs: number;
  wallMs: number;
  recentTrace: string[];
  /**
   * On failure: the partition the first failure that names one (`topic/partition`) is about, and the
   * last trace lines that touched it (leaders, ISR changes, truncations) with the faults between.
   */
  focus?: { key: string; lines: string[] };
  /** How many times each named rare state was reached (coverage marks and BUGGIFY firings; sim/coverage.ts). */
  coverage: CoverageCounts;
}

/** Runs one seeded scenario to the end and reports what it found. */
export async function runOne(request: RunRequest): Promise<RunOutcome> {
  return (await runRecorded(request, null)).outcome;
}

/**
 * Runs one seeded scenario like runOne, recording its timeline (`sim --html`) on the way. The
 * recording only looks, so the outcome and its trace hash are the same as runOne's.
 */
export async function runWithTimeline(request: RunRequest): Promise<{ outcome: RunOutcome; timeline: TimelineData }> {
  const recorder = new TimelineRecorder();
  const { outcome, sim, scenarioTimeline } = await runRecorded(request, recorder);
  const header: TimelineHeader = {
    scenario: outcome.scenario,
    seed: outcome.seed,
    nodes: outcome.nodes,
    traceHash: outcome.traceHash,
    verdict: outcome.ok ? 'PASS' : 'FAIL',
    virtualMs: outcome.virtualMs,
    events: outcome.events,
    command: reproduceCommand(outcome),
  };
  const nodes = sim.nodes.map((n) => ({ name: n.name, isClient: n.isClient }));
  return { outcome, timeline: recorder.finish(header, nodes, outcome.failures, scenarioTimeline) };
}

async function runRecorded(request: RunRequest, observer: SimObserver | null): Promise<{ outcome: RunOutcome; sim: Simulation; scenarioTimeline: ScenarioTimeline | undefined }> {
  const scenario = findScenario(request.scenario);
  if (scenario === undefined) {
    throw new Error(`unknown scenario '${request.scenario}' (known: ${scenarios.map((s) => s.name).join(', ')})`);
  }
  const nodes = request.nodes ?? scenario.defaultNodes;
  const wrongNodes = nodesError(scenario, nodes);
  if (wrongNodes !== null) throw new Error(wrongNodes);
  if ((request.faults !== undefined || request.faultPhaseMs !== undefined) && scenario.faultKinds === undefined) {
    throw new FaultScheduleError(`scenario ${scenario.name} does not take a fault schedule (only ${scenarios.filter((s) => s.faultKinds !== undefined).map((s) => s.name).join(', ')} do)`);
  }
  const options: ScenarioOptions = { nodes };
  if (request.faults !== undefined) options.faults = request.faults;
  if (request.faultPhaseMs !== undefined) options.faultPhaseMs = request.faultPhaseMs;
  const sim = new Simulation({
    seed: request.seed,
    traceFile: request.traceFile,
    traceFileEvents: request.traceFileEvents,
    plantedBugs: request.plantedBugs,
    observer: observer ?? undefined,
  });
  const startedMs = performance.now();
  let result: ScenarioResult;
  try {
    request.beforeRun?.(sim);
    result = await scenario.run(sim, options);
    // A rejection nobody handled, left by the last events, is one of sim.failed after a macrotask.
    await sim.settled();
  } catch (error) {
    // A schedule that does not fit is the caller's mistake, not a finding of the run.
    if (error instanceof FaultScheduleError) throw error;
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    result = { ok: false, failures: [`scenario threw: ${text}`], summary: {} };
  } finally {
    sim.close();
  }
  const failures = [...new Set([...result.failures, ...sim.failed])];
  // The scenario's timeline data (its history) stays out of the outcome: --json prints the outcome.
  const { timeline: scenarioTimeline, ...scenarioResult } = result;
  const outcome: RunOutcome = {
    ...scenarioResult,
    ok: result.ok && failures.length === 0,
    failures,
    scenario: scenario.name,
    seed: request.seed,
    nodes,
    traceHash: sim.traceHash(),
    unseed: sim.unseed(),
    hashCovers: sim.hashCoverage(),
    events: sim.eventsProcessed,
    virtualMs: sim.nowMs(),
    wallMs: performance.now() - startedMs,
    recentTrace: sim.recentTrace(),
    coverage: sim.coverage.counts(),
  };
  const focus = failureFocus(sim, failures);
  if (focus !== null) outcome.focus = focus;
  return { outcome, sim, scenarioTimeline };
}

/**
 * The first partition a failure names (`events/1@57`, `events/2:`, or `partition 0` of any topic),
 * with the trace lines that touched it; null when no failure names one the trace knows.
 */
export function failureFocus(sim: Pick<Simulation, 'traceTouching'>, failures: readonly string[]): { key: string; lines: string[] } | null {
  for (const failure of failures) {
    for (const match of failure.matchAll(/([A-Za-z_][\w.-]*)\/(\d+)(?=[@:\s,)\]]|$)|\bpartition (\d+)\b/g)) {
      const topic = match[1] ?? null;
      const partition = Number(match[2] ?? match[3]);
      const lines = sim.traceTouching(topic, partition, 40);
      if (lines.length > 0) return { key: topic === null ? `partition ${partition}` : `${topic}/${partition}`, lines };
    }
  }
  return null;
}

/**
 * The first seed in 1..seedsMax whose run fails, with its first failure, or null when all pass.
 * Tests use it to show a checker catches a planted bug within a stated number of seeds.
 */
export async function firstFailingSeed(
  runSeed: (sim: Simulation) => Promise<Pick<ScenarioResult, 'failures'>>,
  seedsMax: number,
  simOptions: Omit<SimulationOptions, 'seed'> = {},
  firstSeed = 1,
): Promise<{ seed: number; failure: string } | null> {
  for (let seed = firstSeed; seed < firstSeed + seedsMax; seed++) {
    const sim = new Simulation({ ...simOptions, seed });
    const result = await runSeed(sim);
    await sim.settled();
    const failures = [...result.failures, ...sim.failed];
    if (failures.length > 0) return { seed, failure: failures[0]! };
  }
  return null;
}

/** The exact command that reproduces a run. */
export function reproduceCommand(outcome: Pick<RunOutcome, 'scenario' | 'seed' | 'nodes'>): string {
  return `npm run sim -- --scenario ${outcome.scenario} --seed ${outcome.seed} --nodes ${outcome.nodes}`;
}

/** A saved failing case: replayed by `npm test` until it passes, and forever after. */
export interface CorpusCase {
  scenario: string;
  seed: number;
  nodes: number;
  /** The trace hash of the run that found it ('unrecorded' in the oldest cases). */
  traceHashWhenFound: string;
  /** `git rev-parse HEAD` when it was saved ('unknown' without git; absent in cases saved before it was recorded). */
  commitWhenFound?: string;
  foundAt: string;
  failures: string[];
  /** What the bug was, once understood. */
  note?: string;
  /** The faults to run instead of the seed's (a shrunk schedule, sim/fault-schedule.ts); absent: the seed's own. */
  faults?: FaultSchedule;
  /** With `faults`: the fault phase's length it was shrunk to. */
  faultPhaseMs?: number;
  /**
   * Set while the bug is not fixed: what is known of it. The replay then expects the case to still
   * fail (and says so), so a fix shows up as a test asking for this field to be removed.
   */
  open?: string;
}

/**
 * Saves a failing run under `dir` (sim/corpus/), with its trace hash and the commit it was found at;
 * a shrunk run (`shrunk`: the schedule it ran) as `...-shrunk.json`, beside its seed's own case.
 */
export function saveCase(outcome: RunOutcome, foundAt: string, dir = corpusDir, shrunk?: { faults: FaultSchedule; faultPhaseMs?: number }): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${outcome.scenario}-seed${outcome.seed}-n${outcome.nodes}${shrunk === undefined ? '' : '-shrunk'}.json`);
  const entry: CorpusCase = {
    scenario: outcome.scenario,
    seed: outcome.seed,
    nodes: outcome.nodes,
    traceHashWhenFound: outcome.traceHash,
    commitWhenFound: currentCommit(),
    foundAt,
    failures: outcome.failures.slice(0, 5),
    ...shrunk,
  };
  writeFileSync(file, JSON.stringify(entry, null, 2) + '\n');
  return file;
}

/** The commit checked out here (`git rev-parse HEAD`), or 'unknown' without git. */
export function currentCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: simDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * What to tell the reader when a replay's trace hash is not the one the case recorded, or null when
 * it is. Not a failure: code changes legitimately change traces (and cases saved before the hash
 * covered every event hashed log lines only), but the reader should know the replay is not the run
 * that was found.
 */
export function hashChangeNote(entry: CorpusCase, traceHash: string): string | null {
  if (entry.traceHashWhenFound === traceHash) return null;
  if (entry.traceHashWhenFound === 'unrecorded') return `the case recorded no trace hash; this replay's is ${traceHash}`;
  const commit = entry.commitWhenFound ?? 'unknown (cases saved then did not record it)';
  return `trace hash changed since the case was recorded at commit ${commit}: was ${entry.traceHashWhenFound}, now ${traceHash}`;
}

export function loadCase(file: string): CorpusCase {
  const entry = JSON.parse(readFileSync(file, 'utf8')) as CorpusCase;
  if (typeof entry.scenario !== 'string' || !Number.isInteger(entry.seed) || !Number.isInteger(entry.nodes)) {
    throw new Error(`${file}: not a corpus case (needs scenario, seed, nodes)`);
  }
  if (entry.faults !== undefined && !Array.isArray(entry.faults)) throw new Error(`${file}: faults is not an array of faults`);
  if (entry.faultPhaseMs !== undefined && (!Number.isInteger(entry.faultPhaseMs) || entry.faultPhaseMs <= 0)) throw new Error(`${file}: faultPhaseMs is not a whole number of ms > 0`);
  if (entry.commitWhenFound !== undefined && typeof entry.commitWhenFound !== 'string') {
    throw new Error(`${file}: commitWhenFound is not a string`);
  }
  return entry;
}

export function corpusFiles(): string[] {
  try {
    return readdirSync(corpusDir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => path.join(corpusDir, name));
  } catch {
    return [];
  }
}
