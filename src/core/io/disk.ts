/**
 * The disk, shaped by what a write-ahead log, a Raft log and an offset store need.
 *
 * Durability contract (the simulator enforces it to the letter, production inherits it from POSIX):
 * - Bytes written to a file are durable only after `sync()` of that file has resolved.
 *   On a crash, unsynced writes are lost, except that a random prefix of them may survive and the
 *   last surviving write may be torn (only its first bytes reach the platter).
 * - A file's existence and name (create, rename, remove) are durable only after `syncDir()` of its
 *   parent directory has resolved. A file created and synced, but whose directory was never synced,
 *   may be gone after a crash.
 * - A failed `sync()` means the data written since the last good sync is in an unknown state: the
 *   caller must stop trusting it (the partition log marks itself failed).
 *
 * Paths are relative to the node's data root and use '/' separators. Errors are `DiskError`s.
 */
export interface Disk {
  /** Opens a file; with `create`, creates it if missing (the name is durable only after syncDir). */
  open(path: string, options?: { create?: boolean }): Promise<DiskFile>;
  /** Names (not paths) of the entries directly under `dir`, sorted. Missing dir: []. */
  list(dir: string): Promise<string[]>;
  /** Creates `dir` and its missing parents. */
  mkdir(dir: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Atomically replaces `to` with `from` (durable after syncDir of the parent). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file (durable after syncDir of the parent). Missing file: no error. */
  remove(path: string): Promise<void>;
  /** Makes the directory's entries (creates, renames, removes) durable. */
  syncDir(dir: string): Promise<void>;
}

export interface DiskFile {
  readonly path: string;
  /** Current size in bytes, including unsynced writes. */
  size(): number;
  /** Writes at the current end of the file. Resolves when the bytes are in the page cache (not durable). */
  append(data: Uint8Array): Promise<void>;
  /** Writes `chunks` back to back at the end of the file as one write (writev), without joining them first. */
  appendChunks(chunks: readonly Uint8Array[]): Promise<void>;
  /** Writes at `position` (may extend the file). */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Reads up to `length` bytes at `position` into a new buffer the caller owns; shorter only at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Makes every write so far durable (fdatasync). */
  sync(): Promise<void>;
  /** Cuts the file to `size` bytes (durable after the next sync). */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export type DiskErrorCode =
  | 'ENOENT' // no such file
  | 'EEXIST'
  | 'ENOSPC' // disk full: nothing of the failed write was stored
  | 'EIO' // fsync or read failure: the data's state is unknown
  | 'ECLOSED' // file used after close
  | 'EOTHER';

export class DiskError extends Error {
  constructor(
    readonly code: DiskErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'DiskError';
  }
}

/** Joins path segments with '/', dropping empty ones. */
export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('/').replace(/\/+/g, '/');
}

/** The directory part of a path ('' for a top-level name). */
export function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
