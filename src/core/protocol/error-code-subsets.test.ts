/**
 * Each subsystem names the error codes it answers with in a table of its own, taken from the full
 * table (error-codes.ts). This pins that every name in a subset is Kafka's name for its number, so a
 * subset can never drift from the wire (a renamed key or a hand-typed number fails here).
 */
import { describe, expect, it } from 'vitest';
import { GroupErrorCode } from '../group/error-codes.ts';
import { LOG_ERROR_KAFKA_CODES } from '../log/errors.ts';
import { ProducerErrorCode } from '../producer/error-codes.ts';
import { ErrorCode } from './error-codes.ts';

const fullByName: Readonly<Record<string, number>> = ErrorCode;
const fullCodes = new Set<number>(Object.values(ErrorCode));

describe('error-code subsets agree with the full table', () => {
  it.each([
    ['GroupErrorCode', GroupErrorCode],
    ['ProducerErrorCode', ProducerErrorCode],
  ] as const)('%s: every name is the full table name of its code', (_, subset) => {
    for (const [name, code] of Object.entries(subset)) expect([name, fullByName[name]]).toEqual([name, code]);
  });

  it('LOG_ERROR_KAFKA_CODES: every log error maps to a code of the full table', () => {
    for (const [logCode, kafkaCode] of Object.entries(LOG_ERROR_KAFKA_CODES)) {
      expect([logCode, fullCodes.has(kafkaCode)]).toEqual([logCode, true]);
    }
    expect(LOG_ERROR_KAFKA_CODES.OFFSET_OUT_OF_RANGE).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});
