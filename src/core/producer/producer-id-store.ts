/**
 * Where the producer-id high-water mark lives. FileProducerIdStore appends one CRC-checked record per
 * reserved block to `<dir>/producer-ids.log` (framing in group/record-file.ts) and rewrites the file
 * down to one record when it has grown past a few; the mark is the largest value found.
 *
 * Payload: type u8 = 2, then the high-water mark as i64 big-endian.
 */
import { joinPath, type Disk } from '../io/disk.ts';
import { RecordFile } from '../group/record-file.ts';

export interface ProducerIdStore {
  /** The persisted high-water mark (0 when none). Called once, first. */
  load(): Promise<bigint>;
  /** Resolves once `end` is durable. */
  persistHighWater(end: bigint): Promise<void>;
  close(): Promise<void>;
}

/** A record in the file that passed its CRC but is not a high-water record. */
export class ProducerIdStoreFormatError extends Error {
  override name = 'ProducerIdStoreFormatError';
}

export const producerIdsFileName = 'producer-ids.log';
const recordType = 2;
/** Records kept before the file is rewritten with just the latest. */
const recordsBeforeRewrite = 64;

export class FileProducerIdStore implements ProducerIdStore {
  private file: RecordFile | null = null;
  private records = 0;

  constructor(
    private readonly disk: Disk,
    private readonly dir: string,
  ) {}

  async load(): Promise<bigint> {
    const opened = await RecordFile.open(this.disk, joinPath(this.dir, producerIdsFileName));
    this.file = opened.file;
    let highWater = 0n;
    for (const payload of opened.records) {
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      if (payload.length !== 9 || view.getUint8(0) !== recordType) {
        throw new ProducerIdStoreFormatError(`${opened.file.path}: not a producer-id record`);
      }
      const end = view.getBigInt64(1);
      if (end > highWater) highWater = end;
    }
    this.records = opened.records.length;
    return highWater;
  }

  async persistHighWater(end: bigint): Promise<void> {
    const file = this.file;
    if (file === null) throw new Error('load() before persistHighWater()');
    const payload = encode(end);
    if (this.records >= recordsBeforeRewrite) {
      await file.replaceAll([payload]);
      this.records = 1;
      return;
    }
    await file.append([payload]);
    this.records += 1;
  }

  async close(): Promise<void> {
    await this.file?.close();
  }
}

export class MemoryProducerIdStore implements ProducerIdStore {
  highWater = 0n;
  writes = 0;

  load(): Promise<bigint> {
    return Promise.resolve(this.highWater);
  }

  persistHighWater(end: bigint): Promise<void> {
    this.highWater = end;
    this.writes += 1;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function encode(end: bigint): Uint8Array {
  const out = new Uint8Array(9);
  const view = new DataView(out.buffer);
  view.setUint8(0, recordType);
  view.setBigInt64(1, end);
  return out;
}
