import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { simExitCode } from './exit-code.ts';
import { FaultScheduleError, renderFaultSchedule, type FaultSchedule } from './fault-schedule.ts';
import { corpusDir, hashChangeNote, loadCase, reproduceCommand, runOne, runWithTimeline, saveCase, type CorpusCase, type RunOutcome, type RunRequest } from './runner.ts';
import { failureKind, shrinkRun } from './shrink.ts';
import { parseTestOnlyBugs, TestOnlyBugsError, testOnlyBugsVariable } from '../src/cli/test-only-bugs.ts';
import { nodesAccepted, nodesError } from './scenario.ts';
import { findScenario, scenarios } from './scenarios/index.ts';
import { sweepRerunEvery, sweepSeeds, type SweepRequest } from './sweep.ts';
import { SweepPool, sweepJobsMax } from './sweep-pool.ts';
import { renderSwarm } from './swarm.ts';
import { renderTimelinePage } from './timeline/page.ts';

export interface SimCommandOptions {
  scenario?: string;
  seed?: number;
  seeds?: { first: number; last: number };
  /** With --seeds: how many seeds run at once, each in its own worker thread (default: the cores). */
  jobs?: number;
  nodes?: number;
  trace?: string;
  traceEvents?: boolean;
  /** Write the run's timeline as one self-contained HTML page to this file. */
  html?: string;
  replay?: string;
  list?: boolean;
  json?: boolean;
  save: boolean;
  /** A JSON file with the faults to run instead of the seed's: an array, or an object with `faults` (a shrunk case). */
  faults?: string;
  /** When the run fails, shrink its fault schedule to the fewest faults that still fail. */
  shrink?: boolean;
  /** With --shrink: at most this many runs. */
  shrinkRuns?: number;
  /** With --seeds: force the coverage gate on (true) or off (false); default: on from the scenario's npm-test size. */
  coverageGate?: boolean;
}

function parseSeed(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new InvalidArgumentError(`a seed is a whole number from 0 to 10^15, got '${text}'`);
  return Number(text);
}

function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d{1,15})\.\.(\d{1,15})$/.exec(text);
  if (match === null) throw new InvalidArgumentError(`expected a range A..B (e.g. 1..500), got '${text}'`);
  const first = Number(match[1]);
  const last = Number(match[2]);
  if (last < first) throw new InvalidArgumentError(`range ${text} is empty: ${last} < ${first}`);
  return { first, last };
}

function parseJobs(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > sweepJobsMax) throw new InvalidArgumentError(`--jobs takes 1 to ${sweepJobsMax}, got '${text}'`);
  return n;
}

function parseShrinkRuns(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError(`--shrink-runs takes 1 to 100000, got '${text}'`);
  return n;
}

/** Runs a --shrink may spend by default (a 3-node cluster run takes about a second here). */
const shrinkRunsDefault = 400;

function parseNodes(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new InvalidArgumentError(`--nodes takes 1 to 9, got '${text}'`);
  return n;
}

export { simExitCode } from './exit-code.ts';

/** Adds `sim` to a commander program (used by `chronik sim` and `npm run sim`). */
export function addSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run seeded, deterministic simulations (same seed, same trace hash, on any machine)')
    .option('--scenario <name>', `scenario to run (default: ${scenarios[0]!.name}; see --list)`)
    .option('--seed <n>', 'run one seed (default: a random one, printed)', parseSeed)
    .option('--seeds <a..b>', 'sweep every seed from a to b inclusive', parseSeedRange)
    .option(
      '--jobs <n>',
      `with --seeds: run n seeds at once, each in a worker thread, with one report in seed order; every seed's trace hash is the same as with --jobs 1, which runs them one by one in this process (default: the cores, ${availableParallelism()} here)`,
      parseJobs,
    )
    .option('--nodes <n>', 'number of nodes (default: the scenario\'s)', parseNodes)
    .option('--trace <file>', 'write every log line of the trace as a JSON line (virtual time and node on each)')
    .option('--trace-events', 'with --trace: also write every scheduler event that fires (what the trace hash covers)')
    .option('--html <file>', 'write the run\'s timeline as one self-contained HTML page: a lane per node with its role and term, partitions, faults, client operations and findings over virtual time')
    .option('--replay <file>', 'replay a saved case from sim/corpus/')
    .option('--faults <file>', 'run the fault schedule in this JSON file instead of the seed\'s (an array of faults, or a case with a "faults" field, as --shrink saves it); scenarios: cluster, raft, single-node')
    .option('--shrink', 'when the run fails, shrink its fault schedule: drop faults and shorten the fault phase while it still fails the same way, then print the smallest schedule and save it as a case (scenarios: cluster, raft, single-node)')
    .option('--shrink-runs <n>', `with --shrink: spend at most n runs (default ${shrinkRunsDefault})`, parseShrinkRuns)
    .option('--list', 'list the scenarios and exit')
    .option('--json', 'print the outcome as one JSON line')
    .option('--no-save', 'do not save failing seeds under sim/corpus/')
    .option('--coverage-gate', "with --seeds: fail the sweep when a coverage target of the scenario was never reached, whatever its size (default: only sweeps at least as large as npm test's)")
    .option('--no-coverage-gate', 'with --seeds: print the coverage table but never fail on it')
    .addHelpText(
      'after',
      `\nExit status: ${simExitCode.pass} every seed passed, ${simExitCode.fail} a seed failed, ${simExitCode.usage} a flag is wrong or does not apply, ` +
        `${simExitCode.interrupted} a sweep stopped by Ctrl-C (after its report of the seeds that finished; a second Ctrl-C kills at once).`,
    )
    // A flag commander rejects (bad value, unknown option) is a usage error too, not a failed seed.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : simExitCode.usage))
    .action(async (options: SimCommandOptions) => {
      process.exitCode = await runSimCommand(options);
      // A sweep stopped by Ctrl-C has reported what finished; with --jobs 1 the seed it cut short
      // still runs in this process, and would keep it alive until its end.
      if (process.exitCode === simExitCode.interrupted) process.exit(process.exitCode);
    });
}

/**
 * Why these flags make no sense together, or null when they do. A flag that would be ignored or
 * adjusted (a node count the scenario does not run, a --seed beside --seeds) is an error instead.
 */
export function simUsageError(options: SimCommandOptions): string | null {
  const given = (key: keyof SimCommandOptions): boolean => (key === 'save' ? options.save === false : options[key] !== undefined);
  const flag = (key: keyof SimCommandOptions): string => (key === 'save' ? '--no-save' : key === 'traceEvents' ? '--trace-events' : `--${key}`);
  if (options.list === true) {
    const extra = (['scenario', 'seed', 'seeds', 'jobs', 'nodes', 'trace', 'traceEvents', 'html', 'replay', 'json', 'save', 'faults', 'shrink'] as const).filter(given);
    if (extra.length > 0) return `--list takes no other flag, got ${extra.map(flag).join(' ')}`;
    return null;
  }
  if (options.traceEvents === true && options.trace === undefined) return '--trace-events adds events to the --trace file: give --trace <file> too';
  if (options.shrinkRuns !== undefined && options.shrink !== true) return `--shrink-runs ${options.shrinkRuns} limits --shrink: give --shrink too`;
  if (options.seeds !== undefined && (options.faults !== undefined || options.shrink === true)) {
    return `${options.faults !== undefined ? '--faults' : '--shrink'} is about one run: use it with --seed, not with --seeds`;
  }
  if (options.replay !== undefined && options.faults !== undefined) return `--replay runs the faults saved in the case (if any); drop --faults ${options.faults}`;
  if (options.faults !== undefined || options.shrink === true) {
    const name = options.scenario ?? scenarios[0]!.name;
    const scenario = findScenario(name);
    if (scenario !== undefined && scenario.faultKinds === undefined) {
      return `${options.faults !== undefined ? '--faults' : '--shrink'}: scenario ${name} does not record its faults as data (only ${scenarios.filter((s) => s.faultKinds !== undefined).map((s) => s.name).join(', ')} do)`;
    }
  }
  if (options.replay !== undefined) {
    const extra = (['scenario', 'seed', 'seeds', 'jobs', 'nodes'] as const).filter(given);
    if (extra.length > 0) return `--replay ${options.replay} runs the scenario, seed and nodes saved in the case; drop ${extra.map(flag).join(' ')}`;
    return null;
  }
  if (options.seed !== undefined && options.seeds !== undefined) {
    return `--seed ${options.seed} and --seeds ${options.seeds.first}..${options.seeds.last} together: run one seed or sweep a range, not both`;
  }
  if (options.jobs !== undefined && options.seeds === undefined) return `--jobs ${options.jobs} runs the seeds of a sweep at once: use it with --seeds`;
  if (options.seeds !== undefined) {
    const extra = (['trace', 'traceEvents', 'html', 'json'] as const).filter(given);
    if (extra.length > 0) return `${extra.map(flag).join(' ')} describes one run: use it with --seed, not with --seeds`;
  } else if (options.coverageGate !== undefined) {
    return `${options.coverageGate ? '--coverage-gate' : '--no-coverage-gate'} decides whether a sweep fails on coverage: use it with --seeds`;
  }
  return scenarioError(options.scenario ?? scenarios[0]!.name, options.nodes);
}

function scenarioError(name: string, nodes: number | undefined): string | null {
  const scenario = findScenario(name);
  if (scenario === undefined) return `--scenario ${name}: no such scenario (known: ${scenarios.map((s) => s.name).join(', ')})`;
  return nodes === undefined ? null : nodesError(scenario, nodes);
}

function usageError(message: string): number {
  console.error(`chronik sim: ${message}`);
  return simExitCode.usage;
}

export async function runSimCommand(options: SimCommandOptions): Promise<number> {
  const wrong = simUsageError(options);
  if (wrong !== null) return usageError(wrong);
  if (options.list === true) {
    for (const s of scenarios) {
      console.log(`${s.name.padEnd(16)} ${String(s.defaultNodes).padStart(2)} nodes (--nodes ${nodesAccepted(s).padEnd(4)})  ${s.description}`);
    }
    return simExitCode.pass;
  }
  if (options.replay !== undefined) {
    let entry: CorpusCase;
    try {
      entry = loadCase(options.replay);
    } catch (error) {
      return usageError(`--replay ${options.replay}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const wrongCase = scenarioError(entry.scenario, entry.nodes);
    if (wrongCase !== null) return usageError(`--replay ${options.replay}: the saved case does not fit: ${wrongCase}`);
    const commit = entry.commitWhenFound === undefined ? '' : ` at commit ${entry.commitWhenFound}`;
    console.log(`replaying ${options.replay}: found ${entry.foundAt}${commit}, trace then ${entry.traceHashWhenFound}`);
    if (entry.faults !== undefined) console.log(`with its ${entry.faults.length} saved faults${entry.faultPhaseMs === undefined ? '' : ` and a fault phase of ${entry.faultPhaseMs} ms`}`);
    let outcome: RunOutcome;
    try {
      outcome = await runSingle({ ...options, scenario: entry.scenario, seed: entry.seed, nodes: entry.nodes, save: false }, entry);
    } catch (error) {
      if (error instanceof FaultScheduleError) return usageError(`--replay ${options.replay}: ${error.message}`);
      throw error;
    }
    const note = hashChangeNote(entry, outcome.traceHash);
    // A changed hash is not a failure (code changes change traces), but it must be seen; with --json
    // it goes to stderr so that the outcome stays the last line of stdout.
    if (note !== null) (options.json === true ? console.error : console.log)(`note: ${note}`);
    return outcome.ok ? simExitCode.pass : simExitCode.fail;
  }
  if (options.seeds !== undefined) {
    let planted: ReturnType<typeof parseTestOnlyBugs>;
    try {
      planted = parseTestOnlyBugs(process.env);
    } catch (error) {
      if (error instanceof TestOnlyBugsError) return usageError(error.message);
      throw error;
    }
    const request: SweepRequest = { scenario: options.scenario ?? scenarios[0]!.name, nodes: options.nodes, range: options.seeds, save: options.save, coverageGate: options.coverageGate };
    if (Object.keys(planted).length > 0) {
      // Test only, as for one seed: every run of the sweep has the bugs, and none is saved.
      const prefix = `${testOnlyBugsVariable}='${process.env[testOnlyBugsVariable]}' `;
      console.log(`planted (test only): ${prefix.trim()}`);
      Object.assign(request, { plantedBugs: planted, save: false, reproducePrefix: prefix });
    }
    return runSweep(request, options.jobs ?? availableParallelism());
  }
  try {
    const outcome = await runSingle(options);
    return outcome.ok ? simExitCode.pass : simExitCode.fail;
  } catch (error) {
    if (error instanceof FaultScheduleError || error instanceof TestOnlyBugsError) return usageError(error.message);
    throw error;
  }
}

/**
 * A sweep on `jobs` lanes: in this process for 1, else one worker thread each (no more than the
 * sweep has runs). The first Ctrl-C stops the workers and prints the report of what finished; a
 * second one kills the process as usual.
 */
export async function runSweep(request: SweepRequest, jobs: number): Promise<number> {
  const seeds = request.range.last - request.range.first + 1;
  const runs = seeds + Math.ceil(seeds / sweepRerunEvery);
  const pool = jobs > 1 ? new SweepPool(Math.min(jobs, runs)) : null;
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    return (await sweepSeeds({ ...request, signal: interrupt.signal }, pool?.runners)).exitCode;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await pool?.close();
  }
}

/** The schedule in a --faults file: an array of faults, or an object with `faults` (and maybe `faultPhaseMs`). */
export function readFaultsFile(file: string): { faults: FaultSchedule; faultPhaseMs?: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FaultScheduleError(`--faults ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const holder = Array.isArray(parsed) ? { faults: parsed } : (parsed as { faults?: unknown; faultPhaseMs?: unknown } | null);
  if (holder === null || typeof holder !== 'object' || holder.faults === undefined) throw new FaultScheduleError(`--faults ${file}: expected a JSON array of faults, or an object with a "faults" array`);
  const phase = holder.faultPhaseMs;
  if (phase !== undefined && (typeof phase !== 'number' || !Number.isInteger(phase) || phase <= 0)) throw new FaultScheduleError(`--faults ${file}: faultPhaseMs must be a whole number of ms > 0`);
  // The kinds and indexes are checked by the scenario, which knows its nodes and hosts.
  return { faults: holder.faults as FaultSchedule, ...(phase === undefined ? {} : { faultPhaseMs: phase }) };
}

async function runSingle(options: SimCommandOptions, saved?: { faults?: FaultSchedule; faultPhaseMs?: number }): Promise<RunOutcome> {
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  const given = options.faults !== undefined ? readFaultsFile(options.faults) : saved;
  const request: RunRequest = {
    scenario: options.scenario ?? scenarios[0]!.name,
    seed,
    nodes: options.nodes,
    traceFile: options.trace,
    traceFileEvents: options.traceEvents,
    ...(given?.faults === undefined ? {} : { faults: given.faults }),
    ...(given?.faultPhaseMs === undefined ? {} : { faultPhaseMs: given.faultPhaseMs }),
  };
  // Test only: the planted bugs of `chronik start` (src/cli/test-only-bugs.ts), so a shrink or a
  // timeline of a planted bug can be shown from the command line. Such a run is never saved.
  const planted = parseTestOnlyBugs(process.env);
  if (Object.keys(planted).length > 0) request.plantedBugs = planted;
  let outcome: RunOutcome;
  let page: string | null = null;
  if (options.html === undefined) {
    outcome = await runOne(request);
  } else {
    const recorded = await runWithTimeline(request);
    outcome = recorded.outcome;
    page = renderTimelinePage(recorded.timeline);
    writeFileSync(options.html, page);
  }
  if (options.json === true) {
    const { recentTrace: _recent, ...rest } = outcome;
    console.log(JSON.stringify(rest));
  } else {
    printOutcome(outcome);
  }
  // A run of a given schedule is saved only as --shrink's result (its seed alone would not replay it).
  const save = options.save && request.plantedBugs === undefined;
  if (!outcome.ok && save && request.faults === undefined) console.log(`saved as ${saveCase(outcome, new Date().toISOString())}`);
  if (!outcome.ok && options.shrink === true) await shrinkAndReport(request, outcome, { ...options, save });
  // With --json the outcome stays the last line of stdout.
  if (page !== null) (options.json === true ? console.error : console.log)(`timeline: ${options.html} (${Math.round(Buffer.byteLength(page) / 1024)} KiB)`);
  return outcome;
}

async function shrinkAndReport(request: RunRequest, outcome: RunOutcome, options: SimCommandOptions): Promise<void> {
  const runsMax = options.shrinkRuns ?? shrinkRunsDefault;
  const out = options.json === true ? console.error : console.log;
  out(`\nshrinking ${outcome.faultSchedule?.length ?? 0} faults while the run still fails with "${failureKind(outcome.failures[0]!)}" (at most ${runsMax} runs)`);
  const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'shrink {bar} {value}/{total} runs  faults {faults}  ({phase})', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(runsMax, 0, { faults: outcome.faultSchedule?.length ?? 0, phase: 'faults' });
  let lastLine = 0;
  const shrunk = await shrinkRun(request, outcome, runsMax, (p) => {
    bar?.update(p.runs, { faults: p.faults, phase: p.phase });
    if (bar === null && p.runs - lastLine >= 25) {
      lastLine = p.runs;
      out(`  ${p.runs} runs: ${p.faults} faults (${p.phase})`);
    }
  });
  bar?.stop();
  const phase = shrunk.faultPhaseMs === undefined ? '' : `, fault phase ${shrunk.faultPhaseMs} ms`;
  out(`shrunk ${shrunk.faultsBefore} faults to ${shrunk.schedule.length}${phase} in ${shrunk.runs} runs${shrunk.exhausted ? ` (stopped by --shrink-runs ${runsMax}; it may shrink further)` : ' (no single fault can be dropped)'}:`);
  for (const line of renderFaultSchedule(shrunk.schedule)) out(`  ${line}`);
  out(`it fails with: ${shrunk.outcome.failures.find((f) => failureKind(f) === shrunk.kind) ?? shrunk.failure}`);
  out(`virtual ${outcome.virtualMs.toFixed(0)} ms -> ${shrunk.outcome.virtualMs.toFixed(0)} ms, events ${outcome.events} -> ${shrunk.outcome.events}, trace ${shrunk.outcome.traceHash}`);
  if (options.save) {
    const file = saveCase(shrunk.outcome, new Date().toISOString(), corpusDir, { faults: shrunk.schedule, ...(shrunk.faultPhaseMs === undefined ? {} : { faultPhaseMs: shrunk.faultPhaseMs }) });
    out(`saved as ${file}`);
    out(`reproduce: npm run sim -- --replay ${path.relative(process.cwd(), file)}`);
  } else {
    const file = path.join(os.tmpdir(), `${outcome.scenario}-seed${outcome.seed}-n${outcome.nodes}-shrunk-faults.json`);
    writeFileSync(file, JSON.stringify({ faults: shrunk.schedule, ...(shrunk.faultPhaseMs === undefined ? {} : { faultPhaseMs: shrunk.faultPhaseMs }) }, null, 2) + '\n');
    const planted = request.plantedBugs === undefined ? '' : `${testOnlyBugsVariable}='${process.env[testOnlyBugsVariable]}' `;
    out(`reproduce: ${planted}${reproduceCommand(outcome)} --faults ${file}`);
  }
}

function printOutcome(o: RunOutcome): void {
  const speed = o.wallMs > 0 ? o.virtualMs / o.wallMs : 0;
  console.log(`scenario  ${o.scenario}`);
  console.log(`nodes     ${o.nodes}`);
  if (o.swarm !== undefined) console.log(`swarm     ${renderSwarm(o.swarm)}`);
  for (const [key, value] of Object.entries(o.summary)) console.log(`${key.padEnd(9)} ${value}`);
  console.log(`events    ${o.events}  virtual ${o.virtualMs.toFixed(0)} ms  wall ${o.wallMs.toFixed(0)} ms  speed ${speed.toFixed(1)}x real time`);
  const covers = o.hashCovers;
  console.log(`hashed    ${covers.events} events, ${covers.logLines} log lines, unseed ${o.unseed} of ${covers.randomStreams} random streams`);
  const reachedStates = Object.entries(o.coverage).map(([name, hits]) => `${name} ${hits}`);
  console.log(`coverage  ${reachedStates.length === 0 ? 'no rare state reached' : reachedStates.join(', ')}`);
  if (!o.ok) {
    console.log('\nfailures:');
    for (const f of o.failures) console.log(`  ${f}`);
    if (o.focus !== undefined) {
      console.log(`\nlast events that touched ${o.focus.key} (its leaders, ISR changes and truncations on every node; faults between):`);
      for (const line of o.focus.lines) console.log(`  ${line}`);
    }
    console.log('\nlast trace events:');
    for (const line of o.recentTrace.slice(-40)) console.log(`  ${line}`);
    console.log(`\nreproduce: ${reproduceCommand(o)}`);
    if (o.faultSchedule !== undefined && o.faultSchedule.length > 0) console.log(`shrink:    add --shrink for the fewest of its ${o.faultSchedule.length} faults that still fail`);
  }
  console.log(`seed ${o.seed}  trace ${o.traceHash}  ${o.ok ? 'PASS' : 'FAIL'}`);
}
