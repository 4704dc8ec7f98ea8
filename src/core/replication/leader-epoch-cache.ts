/**
 * The leader-epoch history of a partition log, kept beside the log in one file named
 * `leader-epoch-checkpoint` (the pure history and its rules are in leader-epoch-entries.ts).
 *
 * Format: "CHLE" | u32 format version (1) | u32 CRC-32C of the rest | u32 entry count |
 * entries, 12 bytes each: i32 epoch, i64 start offset. Big-endian.
 *
 * Every change rewrites the whole file atomically: write `leader-epoch-checkpoint.tmp`, fsync it,
 * rename it over the checkpoint, fsync the directory. A crash at any step leaves the old file or the
 * new one; a torn or rotten file fails its checksum and reads as corrupt, never as entries.
 *
 * Ordering with the log, so that what a crash leaves can be repaired by `reconcile`:
 * - a new leader assigns its epoch at its log end when it takes over, before anything else (so it
 *   can answer OffsetForLeaderEpoch for epochs between its last written one and its current one);
 * - assign an epoch (and await the write) before appending the first batch of that epoch;
 * - truncate the log first, then the history (truncateFromEnd / truncateFromStart); a follower does
 *   so to the offset divergence.ts found even when that is its log end (see there).
 * Either way a crash in between leaves entries past the log's end or before its start, and
 * `reconcile` trims them. A history that lacks the epoch of the log's last batch (a caller broke the
 * order, or the file is older than the log for another reason) is reported stale, and so is a
 * missing or corrupt file: the caller then rebuilds it from the log's batch headers
 * (`rebuildFromBatches`) and stores it with `replace`.
 */
import { crc32c } from '@node-rs/crc32';
import { AsyncLock } from '../async-lock.ts';
import { joinPath, replaceFileAtomically, type Disk } from '../io/index.ts';
import { leaderEpochCheckpointBytesMax, leaderEpochEntriesMax } from '../limits.ts';
import { LeaderEpochEntries, type AssignResult, type EpochEndOffset, type EpochEntry } from './leader-epoch-entries.ts';

export {
  LeaderEpochEntries,
  rebuildFromBatches,
  undefinedEpoch,
  undefinedEpochEnd,
  undefinedEpochOffset,
  type AssignResult,
  type BatchEpoch,
  type EpochEndOffset,
  type EpochEntry,
} from './leader-epoch-entries.ts';

export const leaderEpochCheckpointName = 'leader-epoch-checkpoint';

const magic = [0x43, 0x48, 0x4c, 0x45]; // "CHLE"
const formatVersion = 1;
const headerBytes = 16;
const entryBytes = 12;

export function encodeLeaderEpochCheckpoint(entries: readonly EpochEntry[]): Uint8Array {
  const out = new Uint8Array(headerBytes + entryBytes * entries.length);
  const view = new DataView(out.buffer);
  out.set(magic, 0);
  view.setUint32(4, formatVersion);
  view.setUint32(12, entries.length);
  entries.forEach((e, k) => {
    view.setInt32(headerBytes + k * entryBytes, e.epoch);
    view.setBigInt64(headerBytes + k * entryBytes + 4, e.startOffset);
  });
  view.setUint32(8, crc32c(out.subarray(12)) >>> 0);
  return out;
}

/** The entries in `bytes`, or the reason they are not a valid checkpoint. */
export function decodeLeaderEpochCheckpoint(bytes: Uint8Array): EpochEntry[] | string {
  if (bytes.length < headerBytes) return `short file (${bytes.length} bytes)`;
  if (!magic.every((b, i) => bytes[i] === b)) return 'bad magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(4) !== formatVersion) return `format version ${view.getUint32(4)}`;
  if ((crc32c(bytes.subarray(12)) >>> 0) !== view.getUint32(8)) return 'crc mismatch';
  const count = view.getUint32(12);
  if (count > leaderEpochEntriesMax) return `${count} entries, above the limit`;
  if (bytes.length !== headerBytes + count * entryBytes) return `${count} entries in a file of ${bytes.length} bytes`;
  const entries: EpochEntry[] = [];
  for (let k = 0; k < count; k++) {
    const epoch = view.getInt32(headerBytes + k * entryBytes);
    const startOffset = view.getBigInt64(headerBytes + k * entryBytes + 4);
    const last = entries[entries.length - 1];
    if (epoch < 0 || startOffset < 0n) return `entry ${k} is negative`;
    if (last !== undefined && (epoch <= last.epoch || startOffset <= last.startOffset)) return `entry ${k} does not increase`;
    entries.push({ epoch, startOffset });
  }
  return entries;
}

export type CheckpointRead =
  | { readonly kind: 'ok'; readonly entries: EpochEntry[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Reads the checkpoint in `dir` (the partition's log directory). */
export async function readLeaderEpochCheckpoint(disk: Disk, dir: string): Promise<CheckpointRead> {
  const path = joinPath(dir, leaderEpochCheckpointName);
  if (!(await disk.exists(path))) return { kind: 'missing' };
  const file = await disk.open(path);
  try {
    const size = file.size();
    if (size > leaderEpochCheckpointBytesMax) return { kind: 'corrupt', reason: `file of ${size} bytes is above the limit` };
    const decoded = decodeLeaderEpochCheckpoint(await file.read(0, size));
    return typeof decoded === 'string' ? { kind: 'corrupt', reason: decoded } : { kind: 'ok', entries: decoded };
  } finally {
    await file.close();
  }
}

/** Replaces the checkpoint in `dir` with `entries`, atomically and durably. */
export async function writeLeaderEpochCheckpoint(disk: Disk, dir: string, entries: readonly EpochEntry[]): Promise<void> {
  await replaceFileAtomically(disk, joinPath(dir, leaderEpochCheckpointName), encodeLeaderEpochCheckpoint(entries));
}

/** What the partition log says about itself at open, for `reconcile`. */
export interface LogBounds {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  /** partitionLeaderEpoch of the log's last batch (null for an empty log or one without epochs). */
  readonly lastBatchEpoch: number | null;
}

/**
 * The epoch history of one partition log and its checkpoint file: every change is written before the
 * returned promise resolves. Changes are applied in call order; reads see them at once. A write that
 * fails rejects, and the history in memory is then ahead of the file: the caller stops using the
 * partition, as the partition log does after a failed fsync.
 */
export class LeaderEpochCache {
  private readonly lock = new AsyncLock();

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private history: LeaderEpochEntries,
  ) {}

  /**
   * Opens the checkpoint in `dir`. `status` is 'ok' when it was read; 'missing' or 'corrupt' (with
   * the reason) when the history is empty and the caller must rebuild it from the log.
   */
  static async open(disk: Disk, dir: string): Promise<{ cache: LeaderEpochCache; status: 'ok' | 'missing' | 'corrupt'; problem?: string }> {
    const read = await readLeaderEpochCheckpoint(disk, dir);
    const entries = read.kind === 'ok' ? read.entries : [];
    const cache = new LeaderEpochCache(disk, dir, new LeaderEpochEntries(entries));
    if (read.kind === 'corrupt') return { cache, status: 'corrupt', problem: read.reason };
    return { cache, status: read.kind };
  }

  entries(): readonly EpochEntry[] {
    return this.history.entries();
  }

  latestEpoch(): number | null {
    return this.history.latest()?.epoch ?? null;
  }

  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    return this.history.endOffsetFor(requestedEpoch, logEndOffset);
  }

  assign(epoch: number, startOffset: bigint): Promise<AssignResult> {
    const result = this.history.assign(epoch, startOffset);
    if (result === 'appended' || result === 'replaced') return this.persist().then(() => result);
    return Promise.resolve(result);
  }

  truncateFromEnd(endOffset: bigint): Promise<boolean> {
    return this.persistIf(this.history.truncateFromEnd(endOffset));
  }

  truncateFromStart(startOffset: bigint): Promise<boolean> {
    return this.persistIf(this.history.truncateFromStart(startOffset));
  }

  /** Stores a rebuilt history in place of the current one. */
  replace(entries: LeaderEpochEntries): Promise<void> {
    this.history = new LeaderEpochEntries(entries.entries());
    return this.persist();
  }

  /**
   * Brings the history in line with the log after a restart (see the ordering above): trims epochs
   * that start at or past the log end and moves the first one up to the log start. 'stale' when the
   * latest epoch left is not the epoch of the log's last batch: the caller rebuilds it.
   */
  async reconcile(log: LogBounds): Promise<'ok' | 'stale'> {
    const trimmedEnd = this.history.truncateFromEnd(log.logEndOffset);
    const trimmedStart = this.history.truncateFromStart(log.logStartOffset);
    if (trimmedEnd || trimmedStart) await this.persist();
    if (log.lastBatchEpoch !== null && log.lastBatchEpoch >= 0 && this.latestEpoch() !== log.lastBatchEpoch) return 'stale';
    return 'ok';
  }

  private persistIf(changed: boolean): Promise<boolean> {
    return changed ? this.persist().then(() => true) : Promise.resolve(false);
  }

  /** Writes the history as it is now; writes queue in call order, so the file ends as the last call left it. */
  private persist(): Promise<void> {
    const snapshot = [...this.history.entries()];
    return this.lock.run(() => writeLeaderEpochCheckpoint(this.disk, this.dir, snapshot));
  }
}
