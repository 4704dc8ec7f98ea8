import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { simExitCode } from './exit-code.ts';
import type { RunOutcome, RunRequest } from './runner.ts';
import { sweepSeeds, type SeedRunner, type SweepRequest, type SweepResult } from './sweep.ts';
import { SweepPool } from './sweep-pool.ts';

/** The sweep's stdout lines, and its result. The wall-time line is the one line that may differ between runs. */
async function sweep(request: SweepRequest, runners?: SeedRunner | SeedRunner[]): Promise<{ result: SweepResult; lines: string[]; swept: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const result = await sweepSeeds(request, runners);
    const swept = lines.find((line) => line.startsWith('swept '))!;
    return { result, lines: lines.filter((line) => line !== swept), swept };
  } finally {
    log.mockRestore();
    stderr.mockRestore();
  }
}


/** A made-up outcome, after a delay that varies by seed and lane, so that lanes finish out of order. */
function fakeRunner(lane: number, failing: (seed: number) => boolean, reruns: Map<number, number>): SeedRunner {
  return async (request: RunRequest): Promise<RunOutcome> => {
    // Counted when the run starts: a seed's first run always starts before its rerun.
    const runs = (reruns.get(request.seed) ?? 0) + 1;
    reruns.set(request.seed, runs);
    await new Promise((resolve) => setTimeout(resolve, ((request.seed * 7 + lane * 3 + runs) % 5) * 2));
    // Seed 41's rerun differs: planted nondeterminism.
    const traceHash = request.seed === 41 && runs === 2 ? 'ffffffffffffffff' : request.seed.toString(16).padStart(16, '0');
    const ok = !failing(request.seed);
    return {
      ok, failures: ok ? [] : [`planted failure of seed ${request.seed}`], summary: {},
      scenario: request.scenario, seed: request.seed, nodes: 3, traceHash, unseed: '0', hashCovers: { events: 1, logLines: 0, randomStreams: 1 },
      events: 1, virtualMs: 1000 + request.seed, wallMs: 1, recentTrace: [], coverage: {},
    };
  };
}

describe('parallel sweep', () => {
  afterEach(() => vi.restoreAllMocks());
  // Two worker threads shared by the tests that compare with --jobs 1 (each thread takes a second
  // or two of CPU to load tsx and the scenarios).
  let pool: SweepPool | undefined;
  const twoWorkers = (): SeedRunner[] => (pool ??= new SweepPool(2)).runners;
  afterAll(() => pool?.close());

  it('prints in seed order whatever order the lanes finish in, the same lines as one lane', async () => {
    // Made-up outcomes carry no coverage marks: no gate here (coverage.test.ts shows it).
    const request: SweepRequest = { scenario: 'kernel', range: { first: 1, last: 60 }, save: false, coverageGate: false };
    const failing = (seed: number): boolean => seed % 13 === 0;
    const one = await sweep(request, fakeRunner(0, failing, new Map()));
    // Three lanes that share the count of runs per seed.
    const reruns = new Map<number, number>();
    const three = await sweep(request, [0, 1, 2].map((lane) => fakeRunner(lane, failing, reruns)));
    expect(three.lines).toEqual(one.lines);
    expect(three.result).toEqual(one.result);
    expect(one.result.exitCode).toBe(simExitCode.fail);
    expect(one.lines.filter((l) => l.startsWith('FAIL seed'))).toEqual([13, 26, 39, 52].map((s) => `FAIL seed ${s}: planted failure of seed ${s}\n  reproduce: npm run sim -- --scenario kernel --seed ${s} --nodes 3`));
    expect(one.lines.find((l) => l.startsWith('NONDETERMINISTIC'))).toMatch(/^NONDETERMINISTIC seed 41: trace hash 0000000000000029 on the first run, ffffffffffffffff on the rerun/);
    expect(one.lines.slice(-2)).toEqual(['reran 3 of 60 seeds (every 20th from 1): trace hash differed for seed 41', '56 passed, 4 failed, 1 nondeterministic']);
    expect(one.swept).toMatch(/^swept kernel seeds 1\.\.60: 65 s virtual in /);
    expect(three.swept).toMatch(/^swept kernel seeds 1\.\.60 with 3 jobs: 65 s virtual in /);
  });

  it('--jobs 2 gives every seed the trace hash of --jobs 1, and the same report', async () => {
    const request: SweepRequest = { scenario: 'kernel', range: { first: 1, last: 20 }, save: false };
    const inProcess = await sweep(request);
    const workers = await sweep(request, twoWorkers());
    expect(inProcess.result.exitCode).toBe(simExitCode.pass);
    expect(inProcess.result.traceHashes).toHaveLength(20);
    expect(new Set(inProcess.result.traceHashes).size).toBe(20);
    expect(workers.result).toEqual(inProcess.result);
    // The coverage table too: the workers send each run's counts back and the main thread adds them up.
    expect(workers.lines).toEqual(inProcess.lines);
    expect(workers.lines[0]).toBe('coverage over 20 runs (seeds 1..20):');
    expect(workers.lines.find((l) => l.startsWith('kernel.journal-disk-full '))).toMatch(/\|\s+1\d \|\s+\d+\s+\(target\)$/);
    expect(workers.lines.slice(-3)).toEqual([
      'coverage gate off: 20 seeds, fewer than the 50 it needs (or --no-coverage-gate)',
      'reran 1 of 20 seeds (every 20th from 1): every trace hash matched',
      '20 passed, 0 failed',
    ]);
  }, 120_000);

  it('reports and saves a failing seed the same way with --jobs 2 as with --jobs 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-parallel-'));
    const casesOf = (name: string): unknown[] => readdirSync(path.join(dir, name)).sort().map((file) => {
      const { foundAt: _foundAt, ...entry } = JSON.parse(readFileSync(path.join(dir, name, file), 'utf8')) as { foundAt: string };
      return { file, ...entry };
    });
    try {
      // A disk whose fsync does nothing: the kernel scenario's durability check fails seeds 1..3.
      const request = (name: string): SweepRequest => ({ scenario: 'kernel', range: { first: 1, last: 4 }, save: true, corpusDir: path.join(dir, name), plantedBugs: { disk: { syncIsNoop: true } } });
      const inProcess = await sweep(request('one'));
      const workers = await sweep(request('two'), twoWorkers());
      expect(inProcess.result.exitCode).toBe(simExitCode.fail);
      expect(workers.result).toEqual(inProcess.result);
      expect(workers.lines).toEqual(inProcess.lines.map((line) => line.replace(path.join(dir, 'one'), path.join(dir, 'two'))));
      expect(inProcess.lines.filter((l) => l.startsWith('FAIL seed')).length).toBeGreaterThan(0);
      expect(casesOf('two')).toEqual(casesOf('one'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('an interrupt stops the workers at once and reports the seeds that finished', async () => {
    const interrupt = new AbortController();
    const own = new SweepPool(2);
    let finished = 0;
    const runners = own.runners.map((run): SeedRunner => async (request) => {
      const outcome = await run(request);
      if (++finished === 3) interrupt.abort();
      return outcome;
    });
    const startedMs = performance.now();
    try {
      const { result, lines } = await sweep({ scenario: 'kernel', range: { first: 1, last: 400 }, save: false, signal: interrupt.signal }, runners);
      expect(result.exitCode).toBe(simExitCode.interrupted);
      const done = result.traceHashes.filter((hash) => hash !== '').length;
      expect(done).toBeGreaterThanOrEqual(1);
      expect(done).toBeLessThan(10);
      expect(lines[0]).toBe(`interrupted (Ctrl-C): ${done} of 400 seeds finished, ${400 - done} not run or cut short`);
      expect(lines.at(-1)).toBe(`${done} passed, 0 failed, ${400 - done} not run`);
    } finally {
      await own.close();
    }
    // 400 kernel seeds take minutes; the sweep ended after a handful.
    expect(performance.now() - startedMs).toBeLessThan(60_000);
  }, 120_000);
});
