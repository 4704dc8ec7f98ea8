/**
 * Public types of the partition log: one Kafka partition as an append-only sequence of record batches
 * (magic 2) on the Disk interface.
 *
 * Durability rule: a batch whose append() promise resolved survives any crash; a graceful stop()
 * loses nothing that was accepted. Everything that can go wrong at run time is a LogError with a code.
 *
 * The class itself lives in partition-log.ts (`PartitionLog.open(io, dir, config)`); this file holds
 * the shapes other subsystems (the Kafka broker, replication) are written against.
 */

/** When appended bytes are made durable (fsync) and, with that, when append() resolves. */
export type FlushPolicy =
  /** Default. Every append resolves only after an fsync that covers it; concurrent appends share one fsync. */
  | { readonly mode: 'per-append' }
  /**
   * An fsync runs at most `intervalMs` after the first unsynced append, or as soon as `bytesMax`
   * unsynced bytes are waiting, whichever comes first. Appends still resolve only once durable.
   */
  | { readonly mode: 'interval'; readonly intervalMs: number; readonly bytesMax: number };

export interface PartitionLogConfig {
  /** A segment rolls when appending the next batch would make it larger than this. */
  readonly segmentBytesMax: number;
  /** A segment rolls when its first batch (since the log was opened) was appended longer ago than this (by the monotonic io.clock.nowMs). */
  readonly segmentAgeMsMax: number;
  /** One offset-index and time-index entry per this many bytes of batches (sparse index). */
  readonly indexIntervalBytes: number;
  readonly flush: FlushPolicy;
  /** Oldest whole segments are deleted while the log is larger than this. null: no size limit. */
  readonly retentionBytesMax: number | null;
  /** Whole segments whose newest timestamp is older than this are deleted. null: no age limit. */
  readonly retentionMsMax: number | null;
}

/** Offsets assigned to one append() call (all batches of the call, inclusive range). */
export interface AppendResult {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
}

/** What open() found and changed. Also logged as the 'LogRecovered' event. */
export interface RecoveryReport {
  /** Segments found on disk (after removing leftovers such as orphan index files). */
  readonly segmentCount: number;
  /** The previous run ended with a graceful stop (its marker was found): only the tail after the last index entry was scanned. */
  readonly cleanShutdown: boolean;
  /** Batches verified by the tail scan (only the last segment is scanned unless its index was stale). */
  readonly batchesScanned: number;
  /** Bytes cut from the end of the last segment (torn write, bad CRC, or garbage). 0 when clean. */
  readonly truncatedBytes: number;
  /** Why bytes were cut, e.g. 'torn batch header at 4096', 'crc mismatch at 8192'; null when clean. */
  readonly truncationReason: string | null;
  /** Names of index files rebuilt because they were missing, short, or did not match the segment. */
  readonly indexesRebuilt: readonly string[];
  /** Files removed as leftovers (index files without their segment). */
  readonly filesRemoved: readonly string[];
  /**
   * Damage found inside the data (bit rot) that recovery stepped over rather than cut, because valid
   * batches follow it: those offsets stay taken and reads of them fail with CORRUPT_RECORD.
   */
  readonly corruptRanges: readonly string[];
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
}

/**
 * Operating errors of the log. `code` is stable; `kafkaErrorCode` is what a broker should answer
 * with (see LOG_ERROR_KAFKA_CODES in errors.ts).
 *
 * - OFFSET_OUT_OF_RANGE: read() below logStartOffset or above logEndOffset.
 * - CORRUPT_RECORD: stored bytes failed their CRC on read (bit rot); the bytes are never returned.
 * - INVALID_RECORD: append() input is not a well-formed magic-2 batch sequence, or its CRC is wrong.
 * - RECORD_TOO_LARGE: one batch is larger than segmentBytesMax (or the log's hard batch limit).
 * - DISK_FULL: the disk had no space; nothing of this append was kept, earlier appends are intact.
 * - LOG_FAILED: an fsync or write failed earlier; the partition accepts nothing until reopened.
 * - LOG_STOPPED: stop() has begun; no new appends.
 * - IO_ERROR: a disk error while reading or opening (cause attached).
 */
export type LogErrorCode =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_RECORD'
  | 'INVALID_RECORD'
  | 'RECORD_TOO_LARGE'
  | 'DISK_FULL'
  | 'LOG_FAILED'
  | 'LOG_STOPPED'
  | 'IO_ERROR'
  /** A follower's replicated batch does not start at the log's end (a gap or an overlap). */
  | 'OFFSET_MISMATCH';

/**
 * The instance surface of PartitionLog (partition-log.ts implements it). Code that only needs a log,
 * e.g. the broker's produce and fetch paths, may depend on this interface.
 */
export interface PartitionLogApi {
  /** First offset that may be read (advances with retention and with deleteRecordsBefore). */
  readonly logStartOffset: bigint;
  /** Next offset to be assigned (one past the last appended record, durable or not). */
  readonly logEndOffset: bigint;
  /** One past the last offset known to be durable (covered by a completed fsync). */
  readonly durableEndOffset: bigint;
  /** Bytes stored across all segments. */
  readonly sizeBytes: number;
  /**
   * Appends one or more magic-2 batches as received from a producer: validates each CRC, assigns
   * offsets (rewrites baseOffset), resolves once durable under the flush policy. Rejects with LogError.
   * The log takes the buffer over: it stamps the offsets into it and writes it as it is (no copy), so
   * the caller must neither change nor reuse it afterwards.
   */
  append(batches: Uint8Array): Promise<AppendResult>;
  /**
   * Whole batches starting at the batch that contains `offset`, up to `maxBytes` (at least one batch
   * even if it is larger). Empty at logEndOffset. OFFSET_OUT_OF_RANGE below start or above end;
   * CORRUPT_RECORD if a batch fails its CRC. May return batches not yet durable: a broker that must
   * only expose durable data caps reads at durableEndOffset itself (see readUpTo in partition-log.ts).
   */
  read(offset: bigint, maxBytes: number): Promise<Uint8Array>;
  /** Offset of the first record whose timestamp is >= timestampMs, or null if there is none. */
  offsetForTimestamp(timestampMs: bigint): Promise<bigint | null>;
  /** Deletes whole segments past the retention limits; returns the new logStartOffset. */
  enforceRetention(): Promise<bigint>;
  /** Kafka's DeleteRecords: moves logStartOffset up to `offset` (at most durableEndOffset), durably; returns it. */
  deleteRecordsBefore(offset: bigint): Promise<bigint>;
  /** Cuts every record at or above `offset` (replication: a follower dropping a divergent tail). */
  truncateTo(offset: bigint): Promise<void>;
  /** Stops accepting appends, drains in-flight appends, fsyncs everything, closes files. */
  stop(): Promise<void>;
}
