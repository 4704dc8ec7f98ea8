import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusFiles, currentCommit, hashChangeNote, loadCase, runOne, saveCase } from './runner.ts';

/**
 * Every failing case ever saved under sim/corpus/ is replayed on every `npm test`: once a bug is
 * fixed, its seed keeps it fixed. A replay whose trace hash is not the recorded one is logged, not
 * failed: fixing the bug, or any later change to the code a case runs, changes its trace.
 */
const files = corpusFiles();

describe('seed corpus', () => {
  it('holds valid cases', () => {
    for (const file of files) expect(() => loadCase(file)).not.toThrow();
  });

  it('a saved case records the trace hash and the commit it was found at', async () => {
    const outcome = await runOne({ scenario: 'kernel', seed: 11 });
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-corpus-'));
    try {
      const entry = loadCase(saveCase(outcome, 'now', dir));
      expect(entry).toMatchObject({ scenario: 'kernel', seed: 11, nodes: 3, traceHashWhenFound: outcome.traceHash });
      expect(entry.commitWhenFound).toBe(currentCommit());
      expect(entry.commitWhenFound).toMatch(/^([0-9a-f]{40}|unknown)$/);
      expect(hashChangeNote(entry, outcome.traceHash)).toBeNull();
      // A shrunk run is saved beside its seed's case, with the faults it ran, which a replay runs.
      const faults = [{ kind: 'crash', atMs: 900, node: 1, durationMs: 200 }];
      const shrunkFile = saveCase(outcome, 'now', dir, { faults, faultPhaseMs: 1500 });
      expect(path.basename(shrunkFile)).toBe('kernel-seed11-n3-shrunk.json');
      expect(loadCase(shrunkFile)).toMatchObject({ seed: 11, faults, faultPhaseMs: 1500 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const file of files) {
    it(`replays ${path.basename(file)}`, async () => {
      const entry = loadCase(file);
      const outcome = await runOne({ scenario: entry.scenario, seed: entry.seed, nodes: entry.nodes, ...(entry.faults === undefined ? {} : { faults: entry.faults }), ...(entry.faultPhaseMs === undefined ? {} : { faultPhaseMs: entry.faultPhaseMs }) });
      const note = hashChangeNote(entry, outcome.traceHash);
      if (note !== null) console.log(`${path.basename(file)}: ${note}`);
      if (entry.open !== undefined) {
        console.log(`${path.basename(file)}: still open (${entry.open}); fails with: ${outcome.failures[0] ?? 'nothing'}`);
        expect(outcome.failures, 'this open case passes now: remove its "open" field').not.toEqual([]);
        return;
      }
      expect(outcome.failures).toEqual([]);
    });
  }
});
