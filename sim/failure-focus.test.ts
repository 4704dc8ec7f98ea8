import { describe, expect, it } from 'vitest';
import { failureFocus, runOne } from './runner.ts';

describe('a failure names its partition, and the dump shows what touched it', () => {
  it('finds the first partition a failure names that the trace knows', () => {
    const asked: string[] = [];
    const sim = {
      traceTouching(topic: string | null, partition: number): string[] {
        asked.push(`${topic ?? '*'}/${partition}`);
        return topic === 'events' && partition === 2 ? ['1.000|n1|info|ReplicaBecameLeader|topic=events|partition=2'] : [];
      },
    };
    expect(failureFocus(sim, ['durability: entry 28/1 lost', 'lost-write: i1-3 acknowledged at events/2@57, which holds nothing'])).toEqual({
      key: 'events/2',
      lines: ['1.000|n1|info|ReplicaBecameLeader|topic=events|partition=2'],
    });
    // `28/1` follows a word that is no topic name ("entry 28/1" has a space): only events/2 is asked.
    expect(asked).toEqual(['events/2']);
    expect(failureFocus(sim, ['liveness: no proposal applied'])).toBeNull();
  });

  it("a planted bug's failing run carries the lines of the partition it names: its leaders and ISR on every node, and the faults between", async () => {
    const outcome = await runOne({ scenario: 'cluster', seed: 1, plantedBugs: { replication: { hwIgnoresFollowers: true } } });
    expect(outcome.ok).toBe(false);
    const focus = outcome.focus;
    expect(focus).toBeDefined();
    const [topic, partition] = focus!.key.split('/');
    expect(outcome.failures.some((f) => f.includes(focus!.key))).toBe(true);
    expect(focus!.lines.length).toBeGreaterThan(5);
    for (const line of focus!.lines) {
      const fields = line.split('|');
      const event = fields[3]!;
      if (event.startsWith('Fault')) continue;
      expect(fields).toContain(`topic=${topic}`);
      expect(fields).toContain(`partition=${partition}`);
    }
    expect(focus!.lines.some((line) => /ReplicaBecameLeader|IsrChange/.test(line))).toBe(true);
  });
});
