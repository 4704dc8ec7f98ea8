import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { Simulation } from '../src/io-sim/index.ts';
import { worldOwner } from '../src/io-sim/scheduler.ts';
import { simExitCode } from './cli.ts';
import { sweepSeeds } from './sweep.ts';
import { runOne, type RunOutcome, type RunRequest } from './runner.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type ChildOutcome = Pick<RunOutcome, 'traceHash' | 'unseed' | 'hashCovers' | 'ok' | 'events'>;

/** Runs one seed in a fresh process through the real CLI and returns its JSON outcome. */
function runInChild(seed: number): ChildOutcome {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--scenario', 'kernel', '--seed', String(seed), '--json', '--no-save'], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as ChildOutcome;
}

describe('determinism', () => {
  it('the same seed gives the same trace hash and unseed twice in one process', async () => {
    const a = await runOne({ scenario: 'kernel', seed: 11 });
    const b = await runOne({ scenario: 'kernel', seed: 11 });
    expect(a.ok).toBe(true);
    expect(a.events).toBeGreaterThan(1000);
    // The hash covers every fired event, not only the log lines.
    expect(a.hashCovers.events).toBe(a.events);
    expect(a.hashCovers.logLines).toBeLessThan(a.events);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.unseed).toBe(a.unseed);
    expect(b.hashCovers).toEqual(a.hashCovers);
  });

  it('the same seed gives the same trace hash in two other processes', async () => {
    const here = await runOne({ scenario: 'kernel', seed: 12 });
    const first = runInChild(12);
    const second = runInChild(12);
    for (const child of [first, second]) {
      expect(child.traceHash).toBe(here.traceHash);
      expect(child.unseed).toBe(here.unseed);
      expect(child.hashCovers).toEqual(here.hashCovers);
    }
    expect(first.events).toBe(here.events);
  });

  it('different seeds give different traces', async () => {
    const hashes = new Set<string>();
    const unseeds = new Set<string>();
    for (let seed = 20; seed < 25; seed++) {
      const outcome = await runOne({ scenario: 'kernel', seed });
      hashes.add(outcome.traceHash);
      unseeds.add(outcome.unseed);
    }
    expect(hashes.size).toBe(5);
    expect(unseeds.size).toBe(5);
  });
});

/**
 * The hash is sharper than the log: runs of one seed whose log lines are identical (byte for byte
 * in the --trace file) but which differ in one event that logs nothing, or only in that event's
 * size, or only in one random draw that decides nothing, hash differently.
 */
describe('trace hash sharpness', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sim-hash-'));
  let runs = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function runPlanted(beforeRun?: (sim: Simulation) => void): Promise<{ outcome: RunOutcome; logLines: string }> {
    const traceFile = path.join(dir, `run-${runs++}.jsonl`);
    const outcome = await runOne({ scenario: 'kernel', seed: 11, traceFile, beforeRun });
    expect(outcome.ok).toBe(true);
    return { outcome, logLines: readFileSync(traceFile, 'utf8') };
  }

  it('one extra silent event, a different size of it, or one extra draw change the hash and nothing logged', async () => {
    const noop = (): void => undefined;
    const plain = await runPlanted();
    const again = await runPlanted();
    const extraEvent = await runPlanted((sim) => sim.scheduler.schedule(1, worldOwner, noop, 'planted', 100));
    const otherSize = await runPlanted((sim) => sim.scheduler.schedule(1, worldOwner, noop, 'planted', 101));
    const draw = (extra: boolean) => (sim: Simulation) => {
      const random = sim.random.fork('planted');
      sim.scheduler.schedule(1, worldOwner, () => void (extra && random.next()), 'planted', 100);
    };
    const noDraw = await runPlanted(draw(false));
    const oneDraw = await runPlanted(draw(true));

    expect(again.outcome.traceHash).toBe(plain.outcome.traceHash);
    for (const run of [again, extraEvent, otherSize, noDraw, oneDraw]) expect(run.logLines).toBe(plain.logLines);
    expect(extraEvent.outcome.events).toBe(plain.outcome.events + 1);
    expect(otherSize.outcome.events).toBe(extraEvent.outcome.events);
    expect(oneDraw.outcome.hashCovers).toEqual(noDraw.outcome.hashCovers);
    expect(oneDraw.outcome.unseed).not.toBe(noDraw.outcome.unseed);
    const hashes = [plain, extraEvent, otherSize, noDraw, oneDraw].map((r) => r.outcome.traceHash);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('sweep rerun check', () => {
  afterEach(() => vi.restoreAllMocks());

  function captureLog(): string[] {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return lines;
  }

  it('reruns every 20th seed from the first and passes when the hashes match', async () => {
    const lines = captureLog();
    const seen: number[] = [];
    const counting = (request: RunRequest): Promise<RunOutcome> => (seen.push(request.seed), runOne(request));
    expect((await sweepSeeds({ scenario: 'kernel', range: { first: 30, last: 51 }, save: false }, counting)).exitCode).toBe(simExitCode.pass);
    expect(seen.filter((seed) => seed === 30 || seed === 50)).toEqual([30, 30, 50, 50]);
    expect(seen).toHaveLength(22 + 2);
    expect(lines).toContain('reran 2 of 22 seeds (every 20th from 30): every trace hash matched');
    expect(lines.at(-1)).toBe('22 passed, 0 failed');
  }, 120_000);

  it('fails, naming the seed, both hashes and the command, when a run is nondeterministic', async () => {
    const lines = captureLog();
    // Test-only nondeterminism: an event at a time drawn from Math.random, which the simulation never uses.
    const planted = (request: RunRequest): Promise<RunOutcome> =>
      runOne({ ...request, beforeRun: (sim) => sim.schedule(Math.random() * 10, () => undefined, 'planted') });
    expect((await sweepSeeds({ scenario: 'kernel', range: { first: 5, last: 6 }, save: false }, planted)).exitCode).toBe(simExitCode.fail);
    const line = lines.find((l) => l.startsWith('NONDETERMINISTIC seed 5: '));
    expect(line).toMatch(/^NONDETERMINISTIC seed 5: trace hash [0-9a-f]{16} on the first run, [0-9a-f]{16} on the rerun/);
    expect(line).toContain('reproduce: npm run sim -- --scenario kernel --seed 5 --nodes 3');
    expect(lines).toContain('reran 1 of 2 seeds (every 20th from 5): trace hash differed for seed 5');
    expect(lines.at(-1)).toBe('2 passed, 0 failed, 1 nondeterministic');
  }, 120_000);
});
