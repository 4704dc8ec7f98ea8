import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runOne } from './runner.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs one seed in a fresh process through the real CLI and returns its JSON outcome. */
function runInChild(seed: number): { traceHash: string; ok: boolean; events: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', '--seed', String(seed), '--json', '--no-save'], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { traceHash: string; ok: boolean; events: number };
}

describe('determinism', () => {
  it('the same seed gives the same trace hash twice in one process', async () => {
    const a = await runOne({ scenario: 'kernel', seed: 11 });
    const b = await runOne({ scenario: 'kernel', seed: 11 });
    expect(a.ok).toBe(true);
    expect(a.events).toBeGreaterThan(1000);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
  });

  it('the same seed gives the same trace hash in two other processes', async () => {
    const here = await runOne({ scenario: 'kernel', seed: 12 });
    const first = runInChild(12);
    const second = runInChild(12);
    expect(first.traceHash).toBe(here.traceHash);
    expect(second.traceHash).toBe(here.traceHash);
    expect(first.events).toBe(here.events);
  });

  it('different seeds give different traces', async () => {
    const hashes = new Set<string>();
    for (let seed = 20; seed < 25; seed++) hashes.add((await runOne({ scenario: 'kernel', seed })).traceHash);
    expect(hashes.size).toBe(5);
  });
});
