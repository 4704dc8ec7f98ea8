import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkKafkaHistory, KafkaHistory, renderFindings, type Acks, type CheckOptions, type Outcome, type ProduceOp, type ReadOp } from './kafka-history.ts';

const topic = 't';
const ok = (baseOffset: bigint): Outcome<bigint> => ({ type: 'ok', value: baseOffset });
const fail = (errorCode: number): Outcome<never> => ({ type: 'fail', errorCode });
const info: Outcome<never> = { type: 'info', reason: 'timed out' };

/** Writes histories by hand: every call moves virtual time on by 1 ms. */
class Script {
  readonly history = new KafkaHistory();
  private nowMs = 0;

  /** Invokes a produce; complete it with done(). */
  send(process: string, partition: number, values: string[], options: { idempotent?: boolean; acks?: Acks } = {}): ProduceOp {
    return this.history.produce({ process, idempotent: options.idempotent ?? false, acks: options.acks ?? -1, topic, partition, values }, this.tick());
  }

  done(op: ProduceOp, outcome: Outcome<bigint>): ProduceOp {
    this.history.complete(op, outcome, this.tick());
    return op;
  }

  /** A produce invoked and completed before anything else happens. */
  produce(process: string, partition: number, values: string[], outcome: Outcome<bigint>, options: { idempotent?: boolean; acks?: Acks } = {}): ProduceOp {
    return this.done(this.send(process, partition, values, options), outcome);
  }

  /** A read of `values` from `fetchOffset` (null entries are skipped offsets), with its high watermark. */
  read(partition: number, fetchOffset: bigint, values: (string | null)[], highWatermark: bigint, final = false): void {
    const records = values.flatMap((value, i) => (value === null ? [] : [{ offset: fetchOffset + BigInt(i), value }]));
    const at = this.history.invocation();
    this.history.read({ process: final ? 'final' : 'c1', topic, partition, fetchOffset, records, highWatermark, final }, this.tick(), at, this.tick());
  }

  /** The final full read of a partition: `values` from offset 0. */
  final(partition: number, values: (string | null)[]): void {
    this.read(partition, 0n, values, BigInt(values.length), true);
  }

  commit(offset: bigint, outcome: Outcome<null> = { type: 'ok', value: null }, partition = 0): void {
    const op = this.history.commit({ process: 'g1', group: 'g', topic, partition, offset }, this.tick());
    this.history.complete(op, outcome, this.tick());
  }

  fetchCommitted(offset: bigint, partition = 0): void {
    const at = this.history.invocation();
    this.history.fetchCommitted({ process: 'g1', group: 'g', topic, partition, offset }, this.tick(), at, this.tick());
  }

  check(options: CheckOptions = {}) {
    return checkKafkaHistory(this.history, { denseFinalLog: true, ...options });
  }

  kinds(options: CheckOptions = {}): string[] {
    return this.check(options).findings.map((f) => f.kind);
  }

  private tick(): number {
    return this.nowMs++;
  }
}

/** A correct history: two producers, a consumer reading during the run, commits read back. */
function correct(): Script {
  const s = new Script();
  s.produce('p1', 0, ['p1:0', 'p1:1'], ok(0n));
  s.produce('p2', 0, ['p2:0'], ok(2n), { acks: 1 });
  s.read(0, 0n, ['p1:0', 'p1:1'], 3n);
  s.commit(2n);
  s.fetchCommitted(2n);
  s.produce('p1', 0, ['p1:2'], ok(3n));
  s.read(0, 2n, ['p2:0', 'p1:2'], 4n);
  s.commit(4n);
  s.fetchCommitted(4n);
  s.final(0, ['p1:0', 'p1:1', 'p2:0', 'p1:2']);
  return s;
}

describe('kafka history checker', () => {
  it('finds nothing in a correct history and counts what it saw', () => {
    const result = correct().check();
    expect(result.findings).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.counts).toMatchObject({ acked: 4, lost: 0, duplicates: 0, recordsRead: 4 });
    expect(result.counts.ops).toEqual({ 'produce.ok': 3, 'read.ok': 3, 'commit.ok': 2, 'fetchCommitted.ok': 2 });
  });

  describe('(a) lost writes', () => {
    it('an acknowledged value missing from the final log is lost', () => {
      const s = new Script();
      s.produce('p1', 0, ['a', 'b'], ok(0n));
      s.produce('p1', 0, ['c'], ok(2n), { acks: 1 });
      s.final(0, ['a', 'b']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['lost-write']);
      expect(result.findings[0]!.message).toBe('c acknowledged at t/0@2, which holds nothing in the final log');
      expect(result.counts.lost).toBe(1);
    });

    it('an acknowledged value at another offset than acknowledged is lost', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], ok(0n));
      s.produce('p2', 0, ['b'], info);
      s.final(0, ['b', 'a']);
      expect(s.kinds()).toEqual(['lost-write']);
    });

    it('acks=0 and unknown outcomes may be lost; a write the scenario says may not survive is not checked', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], info, { acks: 0 });
      s.produce('p1', 0, ['b'], info);
      s.produce('p1', 0, ['c'], ok(0n));
      s.history.lostDisk('n1', 10);
      s.history.lostDisk('n2', 11);
      s.final(0, []);
      expect(s.kinds()).toEqual(['lost-write']);
      const twoOfThree = (op: ProduceOp, lost: readonly { node: string }[]) => op.acks === -1 && lost.length < 2;
      expect(s.kinds({ mustSurvive: twoOfThree })).toEqual([]);
    });
  });

  describe('(b) one value per offset', () => {
    it('the same offset read with two values is a finding', () => {
      const s = new Script();
      s.produce('p1', 0, ['a', 'b'], ok(0n));
      s.read(0, 0n, ['a', 'x'], 2n);
      s.read(0, 1n, ['b'], 2n);
      s.final(0, ['a', 'b']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['inconsistent-offset']);
      expect(result.findings[0]!.message).toBe('t/0@1 read as x and later as b');
      expect(result.findings[0]!.ops.map((o) => o.kind)).toEqual(['read', 'read']);
    });
  });

  describe('(c) duplicates', () => {
    it('a value of an idempotent producer twice in the log is a duplicate, even if it was sent twice', () => {
      const s = new Script();
      s.produce('i1', 0, ['i1:0'], info, { idempotent: true });
      s.produce('i1', 0, ['i1:0'], ok(0n), { idempotent: true });
      s.final(0, ['i1:0', 'i1:0']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['duplicate']);
      expect(result.counts.duplicates).toBe(1);
    });

    it('a plain producer that sent a value twice may find it twice, but not three times', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], info);
      s.produce('p1', 0, ['a'], ok(1n));
      s.final(0, ['a', 'a']);
      expect(s.kinds()).toEqual([]);
      const t = new Script();
      t.produce('p1', 0, ['a'], info);
      t.produce('p1', 0, ['a'], ok(1n));
      t.final(0, ['a', 'a', 'a']);
      expect(t.kinds()).toEqual(['duplicate']);
    });
  });

  describe('(d) per-producer order', () => {
    it('a write acknowledged before the next was sent must lie below it', () => {
      const s = new Script();
      s.produce('p2', 0, ['x', 'y', 'z'], info);
      s.produce('p1', 0, ['a'], ok(2n));
      s.produce('p1', 0, ['b'], ok(1n));
      s.final(0, ['x', 'b', 'a']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['producer-order']);
      expect(result.findings[0]!.ops.map((o) => o.id)).toEqual([1, 2]);
    });

    it('pipelined writes (the second sent before the first was acknowledged) are not ordered', () => {
      const s = new Script();
      const a = s.send('p1', 0, ['a']);
      const b = s.send('p1', 0, ['b']);
      s.done(b, ok(0n));
      s.done(a, ok(1n));
      s.final(0, ['b', 'a']);
      expect(s.kinds()).toEqual([]);
    });

    it('writes of one producer to different partitions are not ordered', () => {
      const s = new Script();
      s.produce('p2', 0, ['x'], ok(0n));
      s.produce('p1', 0, ['a'], ok(1n));
      s.produce('p1', 1, ['b'], ok(0n));
      s.final(0, ['x', 'a']);
      s.final(1, ['b']);
      expect(s.kinds()).toEqual([]);
    });
  });

  describe('(e) reads below the high watermark, of data that stays', () => {
    it('a read returning an offset at or above its own high watermark is a finding', () => {
      const s = new Script();
      s.produce('p1', 0, ['a', 'b'], ok(0n));
      s.read(0, 0n, ['a', 'b'], 1n);
      s.final(0, ['a', 'b']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['read-above-hw']);
      expect(result.findings[0]!.message).toBe('read of t/0 returned offset 1 with high watermark 1 in the same response');
    });

    it('a read of an offset the final log does not hold read data that was later truncated', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], ok(0n));
      s.produce('p1', 0, ['b'], info);
      s.read(0, 0n, ['a', 'b'], 2n);
      s.final(0, ['a']);
      expect(s.kinds()).toEqual(['read-truncated']);
    });
  });

  describe('(f) committed offsets', () => {
    it('an OffsetFetch after an acknowledged commit returning less is a finding', () => {
      const s = new Script();
      s.commit(5n);
      s.commit(10n);
      s.fetchCommitted(10n);
      s.fetchCommitted(5n);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['commit-regressed']);
      expect(result.findings[0]!.message).toBe('group g t/0: fetched committed offset 5 after a commit of 10 was acknowledged');
    });

    it('failed, unknown and concurrent commits do not bind; other partitions are separate', () => {
      const s = new Script();
      s.commit(5n);
      s.commit(9n, info);
      s.commit(8n, fail(25));
      s.commit(20n, { type: 'ok', value: null }, 1);
      s.fetchCommitted(5n);
      s.fetchCommitted(-1n, 2);
      const at = s.history.invocation();
      const late = s.history.commit({ process: 'g1', group: 'g', topic, partition: 0, offset: 30n }, 100);
      s.history.fetchCommitted({ process: 'g1', group: 'g', topic, partition: 0, offset: 9n }, 100, at, 101);
      s.history.complete(late, { type: 'ok', value: null }, 102);
      expect(s.kinds()).toEqual([]);
    });
  });

  describe('(g) failed writes', () => {
    it('a value whose every send failed must not be in the log', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], ok(0n));
      s.produce('p1', 0, ['f'], fail(19));
      s.final(0, ['a', 'f']);
      const result = s.check();
      expect(result.findings.map((f) => f.kind)).toEqual(['failed-write-present']);
      expect(result.findings[0]!.message).toBe('f is in the final log at t/0@1 although every send of it failed (error 19)');
    });

    it('a failed send of a value another send of which had an unknown outcome may be in the log', () => {
      const s = new Script();
      s.produce('i1', 0, ['v'], info, { idempotent: true });
      s.produce('i1', 0, ['v'], fail(45), { idempotent: true });
      s.final(0, ['v']);
      expect(s.kinds()).toEqual([]);
    });
  });

  describe('retention (CheckOptions.retention)', () => {
    /** Four acknowledged writes on partition 0; the final read starts at the log start 2 (retention took 0 and 1). */
    const afterRetention = (): Script => {
      const s = new Script();
      s.produce('p1', 0, ['a'], ok(0n));
      s.produce('p1', 0, ['b'], ok(1n));
      s.read(0, 0n, ['a', 'b'], 2n); // read before retention deleted them
      s.produce('p1', 0, ['c'], ok(2n));
      s.produce('p1', 0, ['d'], ok(3n));
      s.read(0, 2n, ['c', 'd'], 4n, true);
      return s;
    };
    const logStarts = new Map([[`${topic}/0`, 2n]]);

    it('records below the log start that retention may delete are neither lost nor truncated reads, and the final log is dense from the start', () => {
      expect(afterRetention().kinds({ retention: { logStarts, mayBeDeleted: () => true } })).toEqual([]);
    });

    it('a record retention could not have deleted yet is deleted-too-early; without the option it is a lost write', () => {
      const s = afterRetention();
      const early = s.check({ retention: { logStarts, mayBeDeleted: (op) => op.values[0] !== 'b' } });
      expect(early.findings.map((f) => f.kind)).toEqual(['deleted-too-early']);
      expect(early.findings[0]!.message).toMatch(/^b acknowledged at t\/0@1 is below the log start 2/);
      expect(s.kinds()).toEqual(['lost-write', 'lost-write', 'read-truncated', 'final-log-gap']);
    });

    it('a record at or above the log start missing from the final log is still lost', () => {
      const s = new Script();
      s.produce('p1', 0, ['a'], ok(0n));
      s.produce('p1', 0, ['b'], ok(1n));
      s.produce('p1', 0, ['c'], ok(2n));
      s.read(0, 1n, ['b'], 2n, true);
      expect(s.kinds({ retention: { logStarts: new Map([[`${topic}/0`, 1n]]), mayBeDeleted: () => true } })).toEqual(['lost-write']);
    });
  });

  it('a partition without a final read, and a gap in a final log, are findings', () => {
    const s = new Script();
    s.produce('p1', 1, ['a'], info);
    s.read(0, 0n, ['x', null, 'z'], 3n, true);
    expect(s.kinds()).toEqual(['no-final-read', 'final-log-gap']);
  });

  it('renders findings as short lines, cut at a maximum', () => {
    const s = new Script();
    s.produce('p1', 0, ['a', 'b', 'c'], ok(0n));
    s.final(0, []);
    const lines = renderFindings(s.check().findings, 2);
    expect(lines).toEqual([
      'lost-write: a acknowledged at t/0@0, which holds nothing in the final log [op 0 p1 produce 0..1 ms]',
      'lost-write: b acknowledged at t/0@1, which holds nothing in the final log [op 0 p1 produce 0..1 ms]',
      '... and 1 more findings',
    ]);
    expect(s.check({ findingsPerKindMax: 1 }).counts.findings).toEqual({ 'lost-write': 3 });
    expect(s.check({ findingsPerKindMax: 1 }).findings).toHaveLength(1);
  });

  it('refuses to complete an operation twice', () => {
    const s = new Script();
    const op = s.produce('p1', 0, ['a'], ok(0n));
    expect(() => s.done(op, ok(0n))).toThrow(/completed twice/);
  });
});

/**
 * A history generated from a correct model of Kafka (one log per partition, the high watermark at
 * its end, idempotent retries deduplicated, committed offsets kept) never yields a finding.
 */
type Step =
  | { kind: 'produce'; producer: number; partition: number; count: number; outcome: 'ok' | 'fail' | 'info-written' | 'info-lost'; pipelined: boolean; retry: boolean }
  | { kind: 'read'; partition: number; from: number; count: number }
  | { kind: 'commit'; partition: number; advance: number; outcome: 'ok' | 'fail' | 'info-applied' | 'info-lost' }
  | { kind: 'fetchCommitted'; partition: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('produce' as const),
    producer: fc.integer({ min: 0, max: 2 }),
    partition: fc.integer({ min: 0, max: 1 }),
    count: fc.integer({ min: 1, max: 3 }),
    outcome: fc.constantFrom('ok' as const, 'fail' as const, 'info-written' as const, 'info-lost' as const),
    pipelined: fc.boolean(),
    retry: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('read' as const), partition: fc.integer({ min: 0, max: 1 }), from: fc.double({ min: 0, max: 1, noNaN: true }), count: fc.integer({ min: 0, max: 5 }) }),
  fc.record({
    kind: fc.constant('commit' as const),
    partition: fc.integer({ min: 0, max: 1 }),
    advance: fc.integer({ min: 0, max: 3 }),
    outcome: fc.constantFrom('ok' as const, 'fail' as const, 'info-applied' as const, 'info-lost' as const),
  }),
  fc.record({ kind: fc.constant('fetchCommitted' as const), partition: fc.integer({ min: 0, max: 1 }) }),
);

/** Runs the steps against the model, recording what clients would see. Producer 2 is idempotent. */
function modelHistory(steps: readonly Step[]): KafkaHistory {
  const history = new KafkaHistory();
  const logs: string[][] = [[], []];
  const committed = [-1n, -1n];
  const commitNext = [0n, 0n];
  let nowMs = 0;
  let valueNext = 0;
  const append = (partition: number, values: readonly string[]): bigint => {
    const base = BigInt(logs[partition]!.length);
    logs[partition]!.push(...values);
    return base;
  };
  for (const step of steps) {
    nowMs++;
    switch (step.kind) {
      case 'produce': {
        const idempotent = step.producer === 2;
        const process = `p${step.producer}`;
        const values = Array.from({ length: step.count }, () => `${process}:${valueNext++}`);
        const send = () => history.produce({ process, idempotent, acks: -1, topic, partition: step.partition, values }, nowMs);
        const first = send();
        // A pipelined second batch, sent before the first is answered, appended after it.
        const second = step.pipelined ? history.produce({ process, idempotent, acks: 1, topic, partition: step.partition, values: [`${process}:${valueNext++}`] }, nowMs) : null;
        let written: bigint | null = null;
        if (step.outcome === 'ok' || step.outcome === 'info-written') written = append(step.partition, values);
        history.complete(first, step.outcome === 'ok' ? ok(written!) : step.outcome === 'fail' ? fail(19) : info, ++nowMs);
        if (second !== null) history.complete(second, ok(append(step.partition, second.values)), ++nowMs);
        if (step.retry && step.outcome !== 'ok') {
          // The same values again: an idempotent producer's retry of a written batch answers its offset.
          const again = send();
          const base = idempotent && written !== null ? written : append(step.partition, values);
          history.complete(again, ok(base), ++nowMs);
        }
        break;
      }
      case 'read': {
        const log = logs[step.partition]!;
        const fetchOffset = BigInt(Math.floor(step.from * log.length));
        const records = log.slice(Number(fetchOffset), Number(fetchOffset) + step.count).map((value, i) => ({ offset: fetchOffset + BigInt(i), value }));
        const at = history.invocation();
        history.read({ process: 'c1', topic, partition: step.partition, fetchOffset, records, highWatermark: BigInt(log.length), final: false }, nowMs, at, ++nowMs);
        break;
      }
      case 'commit': {
        const offset = (commitNext[step.partition]! += BigInt(step.advance));
        const op = history.commit({ process: 'g1', group: 'g', topic, partition: step.partition, offset }, nowMs);
        if (step.outcome === 'ok' || step.outcome === 'info-applied') committed[step.partition] = offset;
        history.complete(op, step.outcome === 'ok' ? { type: 'ok', value: null } : step.outcome === 'fail' ? fail(25) : info, ++nowMs);
        break;
      }
      case 'fetchCommitted': {
        const at = history.invocation();
        history.fetchCommitted({ process: 'g1', group: 'g', topic, partition: step.partition, offset: committed[step.partition]! }, nowMs, at, ++nowMs);
        break;
      }
    }
  }
  logs.forEach((log, partition) => {
    const at = history.invocation();
    const records = log.map((value, i) => ({ offset: BigInt(i), value }));
    history.read({ process: 'final', topic, partition, fetchOffset: 0n, records, highWatermark: BigInt(log.length), final: true }, nowMs, at, ++nowMs);
  });
  return history;
}

describe('kafka history checker: property', () => {
  it('a history from a correct model log never yields a finding', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        const result = checkKafkaHistory(modelHistory(steps), { denseFinalLog: true });
        expect(renderFindings(result.findings)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('the same model with one acknowledged value dropped from the final log is caught', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const history = modelHistory([{ kind: 'produce', producer: 0, partition: 0, count: 1, outcome: 'ok', pipelined: false, retry: false }, ...steps]);
        const final = history.ops.find((op): op is ReadOp => op.kind === 'read' && op.final && op.partition === 0)!;
        (final as { records: ReadOp['records'] }).records = final.records.slice(1);
        const result = checkKafkaHistory(history, { denseFinalLog: true });
        expect(result.findings.map((f) => f.kind)).toContain('lost-write');
      }),
      { numRuns: 100 },
    );
  });
});
