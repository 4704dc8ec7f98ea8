/**
 * Where committed offsets live between restarts. The coordinator never touches it: the driver turns
 * persist-offsets, persist-group-deletions and persist-offset-deletions effects into append(),
 * deleteGroups() and deleteOffsets() calls and
 * answers offsetsPersisted() when they settle, and
 * feeds load()'s offsets to a new coordinator on start.
 *
 * FileOffsetStore keeps one append-only file, `<dir>/offsets.log`, of CRC-checked records (framing in
 * record-file.ts, payloads in offset-record-codec.ts: committed offsets, group and partition
 * deletions); append(), deleteGroups() and deleteOffsets() resolve after fsync. When the file grows past compactBytesMin and past
 * compactRatio times the bytes of its live records (the latest per group, topic and partition of
 * groups not deleted since), it is rewritten with only those, atomically; this happens on load and,
 * in the background, after an append.
 */
import { assert } from '../assert.ts';
import { joinPath, type Disk } from '../io/disk.ts';
import { offsetsFileCompactBytesMin, offsetsFileCompactRatio } from '../limits.ts';
import { decodeOffsetsFileRecord, encodeGroupDeletion, encodeOffsetRecord, encodePartitionDeletion } from './offset-record-codec.ts';
import { RecordFile } from './record-file.ts';
import type { CommittedOffset, OffsetPartitionKey } from './types.ts';

export interface OffsetStoreLoad {
  /** The latest commit per (group, topic, partition), without those of groups deleted after it. */
  readonly offsets: CommittedOffset[];
  /** Bytes cut from a torn or corrupt tail of the file (0 when clean), and why. */
  readonly truncatedBytes: number;
  readonly truncationReason: string | null;
  /** Whether load() rewrote the file without superseded records. */
  readonly compacted: boolean;
}

export interface OffsetStore {
  /** Called once, before any append. */
  load(): Promise<OffsetStoreLoad>;
  /** Resolves once the records are durable; rejects when they may not be. */
  append(records: readonly CommittedOffset[]): Promise<void>;
  /** Removes every offset of these groups (DeleteGroups); resolves once that is durable. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /** Removes the offsets of these partitions of one group (OffsetDelete); resolves once that is durable. */
  deleteOffsets(groupId: string, partitions: readonly OffsetPartitionKey[]): Promise<void>;
  close(): Promise<void>;
}

/** A record in the file that passed its CRC but is not a valid offset record (written by other code). */
export class OffsetStoreFormatError extends Error {
  override name = 'OffsetStoreFormatError';
}

/**
 * Test-only hooks that plant known bugs, so the simulator can show its checkers catch them (as
 * PartitionLogBugs does for the partition logs). Never set in production code.
 */
export interface OffsetStoreBugs {
  /**
   * Resolve appends (and so answer commits) as soon as their bytes are written, without an fsync
   * (as PartitionLogBugs.ackBeforeSync does for the partition logs).
   */
  ackBeforeSync?: boolean;
}

export interface FileOffsetStoreOptions {
  readonly compactBytesMin?: number;
  readonly compactRatio?: number;
  readonly bugs?: OffsetStoreBugs;
}

export const offsetsFileName = 'offsets.log';

export class FileOffsetStore implements OffsetStore {
  private file: RecordFile | null = null;
  private readonly live = new Map<string, Uint8Array>();
  private liveBytes = 0;
  /** The file's size once every queued append is written (what compaction decisions use). */
  private fileBytes = 0;
  private readonly compactBytesMin: number;
  private readonly compactRatio: number;
  private readonly bugs: OffsetStoreBugs;

  constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    options: FileOffsetStoreOptions = {},
  ) {
    this.compactBytesMin = options.compactBytesMin ?? offsetsFileCompactBytesMin;
    this.compactRatio = options.compactRatio ?? offsetsFileCompactRatio;
    this.bugs = options.bugs ?? {};
    assert(this.compactRatio > 1, 'compaction ratio above 1');
  }

  async load(): Promise<OffsetStoreLoad> {
    assert(this.file === null, 'load() once');
    const opened = await RecordFile.open(this.disk, joinPath(this.dir, offsetsFileName), { ackBeforeSync: this.bugs.ackBeforeSync === true });
    this.file = opened.file;
    const latest = new Map<string, CommittedOffset>();
    for (const payload of opened.records) {
      const decoded = decodeOffsetsFileRecord(payload);
      if (typeof decoded === 'string') throw new OffsetStoreFormatError(`${opened.file.path}: ${decoded}`);
      if (decoded.kind === 'group-deleted') {
        for (const key of [...latest.keys()]) if (key.startsWith(groupPrefix(decoded.groupId))) latest.delete(key);
        this.forgetGroup(decoded.groupId);
        continue;
      }
      if (decoded.kind === 'partition-deleted') {
        const key = partitionKeyOf(decoded.groupId, decoded.topic, decoded.partition);
        latest.delete(key);
        this.forget(key);
        continue;
      }
      const record = decoded.record;
      const key = keyOf(record);
      latest.delete(key); // re-insert so iteration order is "latest commit last"
      latest.set(key, record);
      this.remember(key, payload);
    }
    this.fileBytes = opened.file.sizeBytes;
    const compacted = this.shouldCompact();
    if (compacted) {
      this.fileBytes = this.liveBytes;
      await opened.file.replaceAll([...this.live.values()]);
    }
    return {
      offsets: [...latest.values()],
      truncatedBytes: opened.truncatedBytes,
      truncationReason: opened.truncationReason,
      compacted,
    };
  }

  append(records: readonly CommittedOffset[]): Promise<void> {
    const file = this.file;
    assert(file !== null, 'load() before append()');
    const payloads = records.map((record) => {
      const payload = encodeOffsetRecord(record);
      this.remember(keyOf(record), payload);
      this.fileBytes += framedBytes(payload);
      return payload;
    });
    const appended = file.append(payloads);
    if (this.shouldCompact()) {
      // Queued behind the append; the snapshot holds every record queued so far. A failure is kept
      // by the RecordFile and rejects every later append, so it needs no handler of its own here.
      this.fileBytes = this.liveBytes;
      file.replaceAll([...this.live.values()]).catch(() => undefined);
    }
    return appended;
  }

  /**
   * Appends one group-deletion record per group. The deleted groups' records leave the live set, so
   * the next compaction drops them, and the deletion records with them (nothing is left to delete).
   */
  deleteGroups(groupIds: readonly string[]): Promise<void> {
    const file = this.file;
    assert(file !== null, 'load() before deleteGroups()');
    const payloads = groupIds.map((groupId) => {
      this.forgetGroup(groupId);
      const payload = encodeGroupDeletion(groupId);
      this.fileBytes += framedBytes(payload);
      return payload;
    });
    return file.append(payloads);
  }

  /** Appends one partition-deletion record per partition; like deleteGroups(), compaction drops both. */
  deleteOffsets(groupId: string, partitions: readonly OffsetPartitionKey[]): Promise<void> {
    const file = this.file;
    assert(file !== null, 'load() before deleteOffsets()');
    const payloads = partitions.map((p) => {
      this.forget(partitionKeyOf(groupId, p.topic, p.partition));
      const payload = encodePartitionDeletion(groupId, p.topic, p.partition);
      this.fileBytes += framedBytes(payload);
      return payload;
    });
    return file.append(payloads);
  }

  async close(): Promise<void> {
    await this.file?.close();
  }

  private forget(key: string): void {
    const payload = this.live.get(key);
    if (payload === undefined) return;
    this.live.delete(key);
    this.liveBytes -= framedBytes(payload);
  }

  private forgetGroup(groupId: string): void {
    for (const [key, payload] of [...this.live]) {
      if (!key.startsWith(groupPrefix(groupId))) continue;
      this.live.delete(key);
      this.liveBytes -= framedBytes(payload);
    }
  }

  private remember(key: string, payload: Uint8Array): void {
    const previous = this.live.get(key);
    if (previous !== undefined) this.liveBytes -= framedBytes(previous);
    this.live.set(key, payload);
    this.liveBytes += framedBytes(payload);
  }

  private shouldCompact(): boolean {
    return this.fileBytes > this.compactBytesMin && this.fileBytes > this.compactRatio * this.liveBytes;
  }
}

/** An OffsetStore in memory, for tests and simulations that do not exercise the disk. */
export class MemoryOffsetStore implements OffsetStore {
  readonly records: CommittedOffset[] = [];

  load(): Promise<OffsetStoreLoad> {
    const latest = new Map<string, CommittedOffset>();
    for (const record of this.records) {
      latest.delete(keyOf(record));
      latest.set(keyOf(record), record);
    }
    return Promise.resolve({ offsets: [...latest.values()], truncatedBytes: 0, truncationReason: null, compacted: false });
  }

  append(records: readonly CommittedOffset[]): Promise<void> {
    this.records.push(...records);
    return Promise.resolve();
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    const kept = this.records.filter((r) => !groupIds.includes(r.groupId));
    this.records.splice(0, this.records.length, ...kept);
    return Promise.resolve();
  }

  deleteOffsets(groupId: string, partitions: readonly OffsetPartitionKey[]): Promise<void> {
    const gone = (r: CommittedOffset): boolean => r.groupId === groupId && partitions.some((p) => p.topic === r.topic && p.partition === r.partition);
    const kept = this.records.filter((r) => !gone(r));
    this.records.splice(0, this.records.length, ...kept);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function keyOf(record: CommittedOffset): string {
  return partitionKeyOf(record.groupId, record.topic, record.partition);
}

function partitionKeyOf(groupId: string, topic: string, partition: number): string {
  return `${groupPrefix(groupId)}${topic}\u0000${partition}`;
}

function groupPrefix(groupId: string): string {
  return `${groupId}\u0000`;
}

function framedBytes(payload: Uint8Array): number {
  return 8 + payload.length;
}
