import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest, longest first, as measured by `npm test` on the 2-core machine
 * (2026-12-01: 77 s down to 14 s). Vitest runs the files it has timings for longest first; a fresh
 * clone (CI) has none and ran these last, which made the suite 20-30 s longer there. Files not
 * listed keep Vitest's order, after these.
 */
const slowFirst = [
  'sim/cluster-scenario.test.ts',
  'sim/cluster-planted.test.ts',
  'chaos/cluster/cluster.test.ts',
  'chaos/clients/kafkajs.test.ts',
  'sim/single-node.test.ts',
  'sim/corpus.test.ts',
  'chaos/clients/librdkafka-and-kafka-python.test.ts',
  'chaos/crash/kill-and-term.test.ts',
  'src/cli/groups.test.ts',
  'src/cli/cluster-up.test.ts',
  'sim/raft.test.ts',
  'src/cli/topics.test.ts',
  'chaos/start-command.test.ts',
  'sim/parallel-sweep.test.ts',
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const index = slowFirst.findIndex((suffix) => file.moduleId.endsWith(suffix));
      return index === -1 ? slowFirst.length : index;
    };
    // Stable: files of equal rank (every unlisted one) keep the order Vitest chose.
    return sorted.map((file, i) => ({ file, i })).sort((a, b) => rank(a.file) - rank(b.file) || a.i - b.i).map(({ file }) => file);
  }
}
