/**
 * Property: whatever order a producer's batches arrive in, however often each is retried, and with
 * the table rebuilt from the log at any point, the partition appends each batch exactly once and in
 * sequence order: never a duplicate, never across a gap. The oracle is exact: with k batches
 * appended, batch i is appended iff i == k, answered as a duplicate with its original offsets iff
 * k-5 <= i < k, and refused OUT_OF_ORDER_SEQUENCE_NUMBER otherwise (UNKNOWN_PRODUCER_ID for a
 * producer the partition has never seen).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProducerErrorCode as E } from './error-codes.ts';
import { ProducerStateTable, lastSequenceOf, type AppendedProducerBatch } from './producer-state.ts';

const sequenceMax = 0x7fff_ffff;

interface Producer {
  readonly pid: bigint;
  /** Sequence ranges of its batches, in send order. */
  readonly batches: { baseSequence: number; lastSequence: number }[];
  /** Whether the partition knew the producer before the test (its sequences continue from startSequence). */
  readonly preexisting: boolean;
  readonly appendedOffsets: (bigint | undefined)[];
  appended: number;
}

type Delivery = { kind: 'send'; producer: number; pick: number } | { kind: 'restart' };

const scenario = fc.record({
  producers: fc.array(
    fc.record({
      counts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 25 }),
      startSequence: fc.oneof(fc.constant(0), fc.integer({ min: sequenceMax - 40, max: sequenceMax })),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  deliveries: fc.array(
    fc.oneof(
      { weight: 20, arbitrary: fc.record({ kind: fc.constant('send' as const), producer: fc.nat(2), pick: fc.nat(1000) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
    ),
    { minLength: 1, maxLength: 200, size: 'max' },
  ),
  /** How far behind the next batch a send usually reaches (models a client's retry window). */
  window: fc.integer({ min: 1, max: 8 }),
});

describe('producer state properties', () => {
  it('random retries and reorders never append a duplicate and never append across a gap', () => {
    fc.assert(
      fc.property(scenario, ({ producers: specs, deliveries, window }) => {
        const log: AppendedProducerBatch[] = [];
        let endOffset = 0n;
        let table = new ProducerStateTable();
        const producers: Producer[] = specs.map((spec, i) => {
          let sequence = spec.startSequence;
          const batches = spec.counts.map((count) => {
            const range = { baseSequence: sequence, lastSequence: lastSequenceOf(sequence, count) };
            sequence = (range.lastSequence + 1) % (sequenceMax + 1);
            return range;
          });
          const preexisting = spec.startSequence !== 0;
          if (preexisting) {
            // The partition already holds this producer's earlier batch, ending just before startSequence.
            const last = (spec.startSequence + sequenceMax) % (sequenceMax + 1);
            const earlier = { producerId: BigInt(i), producerEpoch: 0, baseSequence: last, lastSequence: last, baseOffset: endOffset, lastOffset: endOffset };
            table.rebuildFromBatch(earlier);
            log.push(earlier);
            endOffset += 1n;
          }
          return { pid: BigInt(i), batches, preexisting, appendedOffsets: [], appended: 0 };
        });
        for (const delivery of deliveries) {
          if (delivery.kind === 'restart') {
            table = new ProducerStateTable();
            for (const b of log) table.rebuildFromBatch(b);
            continue;
          }
          const producer = producers[delivery.producer % producers.length]!;
          // Mostly near the next expected batch (retries and reorders in a window), sometimes anywhere.
          const near = producer.appended - window + (delivery.pick % (2 * window + 1));
          const index = delivery.pick % 7 === 0 ? delivery.pick % producer.batches.length : near;
          if (index < 0 || index >= producer.batches.length) continue;
          const range = producer.batches[index]!;
          const header = { producerId: producer.pid, producerEpoch: 0, ...range };
          const verdict = table.check(header);
          const k = producer.appended;
          if (index === k) {
            expect(verdict).toEqual({ kind: 'append' });
            const count = BigInt((range.lastSequence - range.baseSequence + sequenceMax + 1) % (sequenceMax + 1));
            const appended = { ...header, baseOffset: endOffset, lastOffset: endOffset + count };
            table.recordAppend(appended);
            log.push(appended);
            producer.appendedOffsets[index] = endOffset;
            producer.appended += 1;
            endOffset = appended.lastOffset + 1n;
          } else if (index < k && index >= k - 5) {
            expect(verdict).toMatchObject({ kind: 'duplicate', baseOffset: producer.appendedOffsets[index] });
          } else {
            const unknown = k === 0 && !producer.preexisting;
            const code = unknown ? E.UNKNOWN_PRODUCER_ID : E.OUT_OF_ORDER_SEQUENCE_NUMBER;
            expect(verdict).toMatchObject({ kind: 'reject', errorCode: code });
          }
        }
        // The log holds each producer's batches exactly once, in sequence order.
        for (const producer of producers) {
          const ranges = log.filter((b) => b.producerId === producer.pid).map((b) => [b.baseSequence, b.lastSequence]);
          const expected = producer.batches.slice(0, producer.appended).map((b) => [b.baseSequence, b.lastSequence]);
          expect(ranges.slice(producer.preexisting ? 1 : 0)).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});
