/**
 * A small durable append-only file of checksummed records, for state that is tiny next to the
 * partition logs: committed offsets, the producer-id high-water mark.
 *
 * On disk, each record is
 *
 *   length u32 BE | crc u32 BE | payload (length bytes, length >= 1)
 *
 * where crc is CRC-32C over the 4 length bytes followed by the payload (so a zeroed region never
 * reads as a valid record). open() scans the file, keeps every record up to the first torn or
 * corrupt one, and cuts the file there (a crash may leave a torn tail; see the durability contract
 * in io/disk.ts). append() resolves only after the bytes are fsynced; concurrent appends share one
 * write and one fsync. replaceAll() rewrites the whole file atomically (temp file, fsync, rename,
 * syncDir), used for compaction.
 *
 * A failed fsync rejects the appends it carried. Their bytes may still read back from the page cache
 * though no fsync will ever write them (Linux marks the failed pages clean: "fsyncgate"), and a
 * later open, even by the next process, would take them for records and append after a hole that
 * a crash then exposes, cutting acknowledged records behind it. So the file is cut back at once to
 * what the last good fsync made durable, and fsynced; when that works the RecordFile carries on.
 * When it fails too, the RecordFile refuses further work (every call rejects with the first error)
 * until it is opened again.
 */
import { crc32c } from '@node-rs/crc32';
import { assert } from '../assert.ts';
import { DiskError, dirName, type Disk, type DiskFile } from '../io/disk.ts';
import { recordFileReadChunkBytes, recordFileRecordBytesMax } from '../limits.ts';

const headerBytes = 8;

export interface RecordFileOpened {
  readonly file: RecordFile;
  /** Payloads of every intact record, in file order. */
  readonly records: Uint8Array[];
  /** Bytes cut from the end (a torn or corrupt tail); 0 when the file was clean. */
  readonly truncatedBytes: number;
  /** Why bytes were cut, e.g. 'torn header at 120'; null when clean. */
  readonly truncationReason: string | null;
}

export interface RecordFileOptions {
  /** Test-only planted bug (OffsetStoreBugs.ackBeforeSync): resolve appends once written, with no fsync. */
  readonly ackBeforeSync?: boolean;
}

type Op =
  | { readonly kind: 'append'; readonly data: Uint8Array; resolve(): void; reject(error: unknown): void }
  | { readonly kind: 'replace'; readonly payloads: readonly Uint8Array[]; resolve(): void; reject(error: unknown): void };

export class RecordFile {
  private readonly queue: Op[] = [];
  private running = false;
  private failure: unknown = null;
  private closed = false;
  /** The file's size after the last good fsync (or as opened): what a crash leaves. */
  private syncedBytes: number;

  private constructor(
    private readonly disk: Disk,
    readonly path: string,
    private file: DiskFile,
    private readonly options: RecordFileOptions,
  ) {
    this.syncedBytes = file.size();
  }

  /** Opens (creating if missing) and verifies the file; see RecordFileOpened. */
  static async open(disk: Disk, path: string, options: RecordFileOptions = {}): Promise<RecordFileOpened> {
    const dir = dirName(path);
    if (dir.length > 0) await disk.mkdir(dir);
    const tempPath = compactTempPath(path);
    if (await disk.exists(tempPath)) {
      await disk.remove(tempPath);
      await disk.syncDir(dir);
    }
    const existed = await disk.exists(path);
    const file = await disk.open(path, { create: true });
    if (!existed) await disk.syncDir(dir);
    const scanned = await scan(file);
    if (scanned.goodEndBytes < file.size()) {
      await file.truncate(scanned.goodEndBytes);
      await file.sync();
    }
    return {
      file: new RecordFile(disk, path, file, options),
      records: scanned.records,
      truncatedBytes: scanned.sizeBytes - scanned.goodEndBytes,
      truncationReason: scanned.reason,
    };
  }

  /** Bytes in the file now (appends still queued are not counted). */
  get sizeBytes(): number {
    return this.file.size();
  }

  /** Appends records; resolves once they are durable. Rejects if the file failed or is closed. */
  append(payloads: readonly Uint8Array[]): Promise<void> {
    if (payloads.length === 0) return Promise.resolve();
    return this.enqueue((resolve, reject) => ({ kind: 'append', data: encodeRecords(payloads), resolve, reject }));
  }

  /** Atomically replaces the file's records with `payloads`, after every append queued before it. */
  replaceAll(payloads: readonly Uint8Array[]): Promise<void> {
    return this.enqueue((resolve, reject) => ({ kind: 'replace', payloads, resolve, reject }));
  }

  /** Waits for queued work, then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue((resolve, reject) => ({ kind: 'append', data: new Uint8Array(0), resolve, reject })).catch(
      () => undefined,
    );
    this.closed = true;
    await this.file.close().catch(() => undefined);
  }

  private enqueue(make: (resolve: () => void, reject: (error: unknown) => void) => Op): Promise<void> {
    if (this.closed) return Promise.reject(new DiskError('ECLOSED', `${this.path} is closed`));
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push(make(resolve, reject));
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const op = this.queue[0]!;
      if (op.kind === 'replace') {
        this.queue.shift();
        await this.settle([op], () => this.rewrite(op.payloads));
        continue;
      }
      let count = 0;
      while (count < this.queue.length && this.queue[count]!.kind === 'append') count++;
      const batch = this.queue.splice(0, count);
      const chunks = batch.flatMap((o) => (o.kind === 'append' && o.data.length > 0 ? [o.data] : []));
      if (this.options.ackBeforeSync === true) {
        await this.settle(batch, async () => {
          if (chunks.length > 0) await this.file.appendChunks(chunks);
        });
        continue;
      }
      await this.settle(batch, () => this.writeAndSync(chunks));
    }
    this.running = false;
  }

  private async settle(ops: readonly Op[], work: () => Promise<void>): Promise<void> {
    if (this.failure !== null) {
      for (const op of ops) op.reject(this.failure);
      return;
    }
    try {
      await work();
      for (const op of ops) op.resolve();
    } catch (error) {
      if (!(await this.cutBack(error))) this.failure = error;
      for (const op of ops) op.reject(error);
    }
  }

  /**
   * After a failed write or fsync: cuts the file back to its last durable size and fsyncs that.
   * True when the file is known good again.
   */
  private async cutBack(error: unknown): Promise<boolean> {
    // ENOSPC stores nothing of the failed write (disk contract): the file is still good.
    if (error instanceof DiskError && error.code === 'ENOSPC') return true;
    if (!(error instanceof DiskError) || this.options.ackBeforeSync === true) return false;
    try {
      if (this.file.size() !== this.syncedBytes) await this.file.truncate(this.syncedBytes);
      await this.file.sync();
      return true;
    } catch {
      // The cut stays queued in the page cache even when its fsync failed, so reads (and the next
      // open) see the file end where the durable bytes do.
      return false;
    }
  }

  private async writeAndSync(chunks: readonly Uint8Array[]): Promise<void> {
    if (chunks.length > 0) await this.file.appendChunks(chunks);
    await this.file.sync();
    this.syncedBytes = this.file.size();
  }

  private async rewrite(payloads: readonly Uint8Array[]): Promise<void> {
    const dir = dirName(this.path);
    const tempPath = compactTempPath(this.path);
    await this.disk.remove(tempPath);
    const temp = await this.disk.open(tempPath, { create: true });
    for (const chunk of chunked(payloads)) await temp.append(encodeRecords(chunk));
    await temp.sync();
    await temp.close();
    await this.file.close();
    await this.disk.rename(tempPath, this.path);
    await this.disk.syncDir(dir);
    this.file = await this.disk.open(this.path);
    this.syncedBytes = this.file.size();
  }
}

export function compactTempPath(path: string): string {
  return `${path}.compact`;
}

/** Encodes records in the on-disk framing (exported for tests that craft files). */
export function encodeRecords(payloads: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of payloads) total += headerBytes + p.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const payload of payloads) {
    assert(payload.length > 0 && payload.length <= recordFileRecordBytesMax, 'record payload size');
    view.setUint32(at, payload.length);
    view.setUint32(at + 4, recordCrc(out.subarray(at, at + 4), payload));
    out.set(payload, at + headerBytes);
    at += headerBytes + payload.length;
  }
  return out;
}

function recordCrc(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32c(payload, crc32c(lengthBytes)) >>> 0;
}

function* chunked(payloads: readonly Uint8Array[]): Generator<Uint8Array[]> {
  let chunk: Uint8Array[] = [];
  let bytes = 0;
  for (const payload of payloads) {
    chunk.push(payload);
    bytes += headerBytes + payload.length;
    if (bytes >= recordFileReadChunkBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

interface Scanned {
  readonly records: Uint8Array[];
  readonly goodEndBytes: number;
  readonly sizeBytes: number;
  readonly reason: string | null;
}

/** Reads records from the start until the end of the file or the first torn or corrupt one. */
async function scan(file: DiskFile): Promise<Scanned> {
  const sizeBytes = file.size();
  const reader = new ChunkReader(file, sizeBytes);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < sizeBytes) {
    const header = await reader.read(at, headerBytes);
    if (header === null) return { records, goodEndBytes: at, sizeBytes, reason: `torn header at ${at}` };
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const length = view.getUint32(0);
    if (length === 0 || length > recordFileRecordBytesMax) {
      return { records, goodEndBytes: at, sizeBytes, reason: `bad length ${length} at ${at}` };
    }
    const payload = await reader.read(at + headerBytes, length);
    if (payload === null) return { records, goodEndBytes: at, sizeBytes, reason: `torn record at ${at}` };
    if (recordCrc(header.subarray(0, 4), payload) !== view.getUint32(4)) {
      return { records, goodEndBytes: at, sizeBytes, reason: `crc mismatch at ${at}` };
    }
    records.push(payload.slice());
    at += headerBytes + length;
  }
  return { records, goodEndBytes: at, sizeBytes, reason: null };
}

/** Serves small reads from large sequential chunks of the file. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkAt = 0;

  constructor(
    private readonly file: DiskFile,
    private readonly sizeBytes: number,
  ) {}

  /** `length` bytes at `position`, or null when the file ends first. */
  async read(position: number, length: number): Promise<Uint8Array | null> {
    if (position + length > this.sizeBytes) return null;
    const inChunk = position >= this.chunkAt && position + length <= this.chunkAt + this.chunk.length;
    if (!inChunk) {
      this.chunk = await this.file.read(position, Math.max(length, recordFileReadChunkBytes));
      this.chunkAt = position;
      if (this.chunk.length < length) return null;
    }
    const from = position - this.chunkAt;
    return this.chunk.subarray(from, from + length);
  }
}
