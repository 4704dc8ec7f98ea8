import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusFiles, loadCase, runOne } from './runner.ts';

/**
 * Every failing case ever saved under sim/corpus/ is replayed on every `npm test`: once a bug is
 * fixed, its seed keeps it fixed.
 */
const files = corpusFiles();

describe('seed corpus', () => {
  it('holds valid cases', () => {
    for (const file of files) expect(() => loadCase(file)).not.toThrow();
  });

  for (const file of files) {
    it(`replays ${path.basename(file)}`, async () => {
      const entry = loadCase(file);
      const outcome = await runOne({ scenario: entry.scenario, seed: entry.seed, nodes: entry.nodes });
      expect(outcome.failures).toEqual([]);
    });
  }
});
