import { recordBatch } from '../../src/core/log/index.ts';

/**
 * Reads the records of uncompressed magic-2 batches, as a consumer would: offsets and values.
 * Used by workload checkers; throws on anything malformed (a checker failure, never ignored).
 */
export interface ConsumedRecord {
  offset: bigint;
  value: string | null;
}

const decoder = new TextDecoder();

/** Every record of the whole batches in `bytes` (a trailing partial batch is ignored, as clients do). */
export function readRecords(bytes: Uint8Array): ConsumedRecord[] {
  const out: ConsumedRecord[] = [];
  for (let at = 0; bytes.length - at >= recordBatch.batchHeaderBytes; ) {
    const header = recordBatch.readBatchHeader(bytes, at);
    const end = at + recordBatch.batchLogOverheadBytes + header.batchLength;
    if (end > bytes.length) break;
    if (header.magic !== recordBatch.batchMagic) throw new Error(`batch at ${header.baseOffset} has magic ${header.magic}`);
    for (const record of recordBatch.decodeRecords(bytes, at)) {
      out.push({ offset: record.offset, value: record.value === null ? null : decoder.decode(record.value) });
    }
    at = end;
  }
  return out;
}
