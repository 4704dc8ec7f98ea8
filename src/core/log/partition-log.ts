/**
 * PartitionLog: one Kafka partition as an append-only sequence of record batches in segments on
 * io.disk. Entry point: `PartitionLog.open(io, dir, config)`.
 *
 * Ordering contract (the whole durability argument):
 * 1. append() only queues. One writer, holding the log's lock, takes the queue, assigns offsets,
 *    writes the batches as one disk write, and only then (per the flush policy) fsyncs the active
 *    segment. An append's promise resolves after an fsync that began after its write finished, so
 *    a resolved append is durable. Appends that arrive during an fsync share the next one
 *    (group commit).
 * 2. A segment is fsynced, with its index files, before the next segment is created (and the new
 *    name is made durable with syncDir before anything is written to it), so only the last segment
 *    can ever hold unsynced bytes: recovery needs to scan only that one.
 * 3. A failed fsync or a failed write other than "disk full" fails the log: everything pending and
 *    everything later rejects with LOG_FAILED, and the active segment is cut back at once to the
 *    bytes the last good fsync made durable (after a failed fsync Linux may go on serving the
 *    unwritten bytes from the page cache, "fsyncgate"; left there, the next process to open the
 *    log would take them for batches and append after a hole). A full disk cuts the partial write
 *    back and rejects just the appends of that write with DISK_FULL.
 * 4. stop() refuses new appends, writes and fsyncs what was accepted, writes the index files and a
 *    clean-shutdown marker, and closes the files.
 */
import { AssertionError, assert, unreachable } from '../assert.ts';
import { AsyncLock } from '../async-lock.ts';
import { DiskError, buggify, crashWindow, joinPath, reached, type Io, type Log, type Timer } from '../io/index.ts';
import {
  logAppendBytesMax,
  logAppendQueueBytesMax,
  logIndexEntriesPerSegmentMax,
  logSegmentBytesMaxLimit,
  logWriteBytesMax,
  logWriterRoundsPerLock,
} from '../limits.ts';
import { noopChild, secondsBetween, type Histogram } from '../metrics/index.ts';
import { CorruptRecordError, LogError, OffsetOutOfRangeError } from './errors.ts';
import { writeResumePoints, type ResumePoint } from './resume-points.ts';
import { offsetForTimestampInSegment, readSegment } from './log-reader.ts';
import { writeLogStartOffset } from './log-start-offset.ts';
import { batchLogOverheadBytes, readBatchHeader, splitBatches, writeBaseOffset, type BatchSpan } from './record-batch.ts';
import { cleanShutdownMarker, recoverSegments } from './recovery.ts';
import { ChunkReader, Segment, scanInto, segmentFileKinds, segmentFileName } from './segment.ts';
import type { AppendResult, PartitionLogApi, PartitionLogConfig, RecoveryReport } from './types.ts';

/** Defaults (Kafka's, except the flush policy, which is fsync-before-ack). */
export const defaultPartitionLogConfig: PartitionLogConfig = {
  segmentBytesMax: 1024 * 1024 * 1024,
  segmentAgeMsMax: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  flush: { mode: 'per-append' },
  retentionBytesMax: null,
  retentionMsMax: 7 * 24 * 60 * 60 * 1000,
};

/**
 * Test-only hooks that plant known bugs, so tests can show the checkers catch them. Never set in
 * production code.
 */
export interface PartitionLogBugs {
  /** Resolve appends as soon as their bytes are written, before any fsync. */
  ackBeforeSync?: boolean;
  /**
   * stop() writes what is queued and resolves every pending append without an fsync (an earlier
   * broker of this kind had a shutdown flush that did nothing and lost 30 of 100 messages).
   */
  stopSkipsFlush?: boolean;
  /**
   * A failed fsync is retried, and when the retry succeeds the log carries on as if the data were
   * durable (PostgreSQL did this until 2018: on Linux the retry succeeds because the failed
   * writeback marked the pages clean, and the data is gone).
   */
  retryFailedSync?: boolean;
  /**
   * Recovery takes a batch whose checksum does not match for a good one (as long as its length and
   * header fields pass), so a torn tail whose length survived is served as records.
   */
  recoverySkipsCrc?: boolean;
  /**
   * A segment's age (segmentAgeMsMax) is measured on the wall clock instead of the monotonic one, as
   * this log did before the simulator stepped clocks: a wall clock stepped back by more than the
   * roll age holds the active segment open until the clock catches up.
   */
  segmentAgeByWallClock?: boolean;
  /**
   * Recovery takes a read error in the last segment (a latent sector error: EIO on every read of
   * one sector) for the end of the log and cuts the segment where its scan got to, silently
   * dropping the acknowledged batches there and after, instead of failing the open.
   */
  recoveryEndsAtReadError?: boolean;
  /**
   * Reads hand out batches without checking their CRC, so bytes a misdirected write left where a
   * batch should be are served as records when their header still fits.
   */
  readSkipsCrc?: boolean;
}

export interface PartitionLogOptions {
  bugs?: PartitionLogBugs;
  /** Where the group commit reports its fsyncs (shared by every partition of a broker). Default: nowhere. */
  metrics?: LogMetrics;
}

/** What a partition log measures: each group-commit fsync of the active segment that succeeded. */
export interface LogMetrics {
  /** Seconds one fsync took (io.clock time: virtual in the simulator). */
  readonly fsyncDurationSeconds: Histogram;
  /** Appends that fsync made durable and acknowledged. */
  readonly appendsPerFsync: Histogram;
}

const noopLogMetrics: LogMetrics = { fsyncDurationSeconds: noopChild, appendsPerFsync: noopChild };

interface PendingAppend {
  readonly bytes: Uint8Array;
  readonly spans: readonly BatchSpan[];
  /** Offsets the append needs: the sum of (lastOffsetDelta + 1) over its batches. */
  readonly offsetCount: bigint;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: LogError) => void;
  /** A follower's append: the batches keep the leader's offsets (checked dense and next in line). */
  readonly keepOffsets: boolean;
  baseOffset: bigint;
  lastOffset: bigint;
}

const int32Max = 2 ** 31 - 1;

function validateConfig(config: PartitionLogConfig): void {
  assert(config.segmentBytesMax >= 1024 && config.segmentBytesMax <= logSegmentBytesMaxLimit, 'log config: segmentBytesMax in range');
  assert(config.segmentAgeMsMax > 0, 'log config: segmentAgeMsMax positive');
  assert(config.indexIntervalBytes >= 1, 'log config: indexIntervalBytes positive');
  assert(config.segmentBytesMax / config.indexIntervalBytes <= logIndexEntriesPerSegmentMax, 'log config: index entries per segment bounded');
  if (config.flush.mode === 'interval') assert(config.flush.intervalMs > 0 && config.flush.bytesMax > 0, 'log config: flush interval positive');
  assert(config.retentionBytesMax === null || config.retentionBytesMax >= 0, 'log config: retentionBytesMax >= 0');
  assert(config.retentionMsMax === null || config.retentionMsMax >= 0, 'log config: retentionMsMax >= 0');
}

export class PartitionLog implements PartitionLogApi {
  /**
   * Called with the byte count after every write, before it is durable (the log end moved): a
   * partition leader's waiting follower fetches listen here, since a follower may copy what the
   * leader has not synced yet (it reports only what it holds durably itself).
   */
  readonly writtenListeners = new Set<(bytes: number) => void>();
  private readonly log: Log;
  /** Largest batch an append may carry (the config's segment size, at most logAppendBytesMax). */
  private appendBatchBytesMax: number;
  /**
   * Largest batch reads and scans accept: always logAppendBytesMax, never the config's segment size,
   * so a batch stored under a larger segment size (before setConfig or a restart lowered it) still
   * reads back and survives recovery.
   */
  private readonly batchBytesMax = logAppendBytesMax;
  private readonly bugs: PartitionLogBugs;
  private readonly metrics: LogMetrics;
  private readonly lock = new AsyncLock();
  private queue: PendingAppend[] = [];
  private queuedBytes = 0;
  private readonly queueSpaceWaiters: Array<() => void> = [];
  private unsynced: PendingAppend[] = [];
  private unsyncedBytes = 0;
  private durableEnd: bigint;
  /** What recovery recorded of where the last segment goes on after damage (resume-points.ts). */
  private resumePoints: ResumePoint[] = [];
  /** The active segment's size up to durableEnd: what a crash leaves of it. */
  private durableBytes: number;
  private failure: LogError | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private closed = false;
  private writerActive = false;
  private flushTimer: Timer | null = null;
  private flushTimerFired = false;

  private constructor(
    private readonly io: Io,
    private readonly dir: string,
    private config: PartitionLogConfig,
    private segments: Segment[],
    options: PartitionLogOptions,
    /** The start offset DeleteRecords set (log-start-offset.ts); the start is never below the first segment's base. */
    private startOffsetFloor: bigint,
  ) {
    this.log = io.log.child({ log: dir });
    this.appendBatchBytesMax = Math.min(config.segmentBytesMax, logAppendBytesMax);
    this.bugs = options.bugs ?? {};
    this.metrics = options.metrics ?? noopLogMetrics;
    this.durableEnd = this.active.nextOffset;
    this.durableBytes = this.active.sizeBytes;
    if (!this.active.isEmpty) this.active.rollReferenceMs = this.ageClockMs();
  }

  /** Opens (recovering if needed) the log in `dir`, creating it when empty. */
  static async open(
    io: Io,
    dir: string,
    config: PartitionLogConfig,
    options: PartitionLogOptions = {},
  ): Promise<{ log: PartitionLog; recovery: RecoveryReport }> {
    validateConfig(config);
    let recovered: Awaited<ReturnType<typeof recoverSegments>>;
    try {
      recovered = await recoverSegments(io, dir, config, logAppendBytesMax, options.bugs?.recoverySkipsCrc === true, options.bugs?.recoveryEndsAtReadError === true);
    } catch (error) {
      if (error instanceof DiskError) throw new LogError('IO_ERROR', `opening ${dir}: ${error.message}`, { cause: error });
      throw error;
    }
    const r = recovered.report;
    const log = new PartitionLog(io, dir, config, recovered.segments, options, r.logStartOffset);
    log.resumePoints = recovered.resumePoints;
    if (recovered.startOffsetProblem !== null) log.log.error('LogStartOffsetFileInvalid', { problem: recovered.startOffsetProblem, hint: 'the log start offset was taken from the segments instead; nothing to do unless it repeats (then check the disk)' });
    const fields = { segments: r.segmentCount, clean: r.cleanShutdown, scanned: r.batchesScanned, truncatedBytes: r.truncatedBytes };
    log.log.info('LogRecovered', { ...fields, start: r.logStartOffset, end: r.logEndOffset, rebuilt: r.indexesRebuilt.length, corrupt: r.corruptRanges.length });
    return { log, recovery: r };
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  get logStartOffset(): bigint {
    const base = this.segments[0]!.baseOffset;
    return this.startOffsetFloor > base ? this.startOffsetFloor : base;
  }

  get logEndOffset(): bigint {
    return this.active.nextOffset;
  }

  get durableEndOffset(): bigint {
    return this.durableEnd;
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  /** The error that failed the log, or null while it is healthy. */
  get failedWith(): LogError | null {
    return this.failure;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** The config in force (the one given to open(), or the last setConfig()). */
  get currentConfig(): PartitionLogConfig {
    return this.config;
  }

  /**
   * Replaces the config of the running log (a topic's configs were altered). Takes effect on the next
   * use of each field: appends are checked against the new segment size at once, the active segment
   * rolls by the new size and age at the next append, retention uses the new limits at its next pass.
   * The index interval must not change (the segments' sparse indexes are built with it).
   */
  setConfig(config: PartitionLogConfig): void {
    validateConfig(config);
    assert(config.indexIntervalBytes === this.config.indexIntervalBytes, 'log config: indexIntervalBytes cannot change on a running log');
    this.config = config;
    this.appendBatchBytesMax = Math.min(config.segmentBytesMax, logAppendBytesMax);
    this.log.info('LogConfigChanged', { segmentBytesMax: config.segmentBytesMax, segmentAgeMsMax: config.segmentAgeMsMax, retentionBytesMax: config.retentionBytesMax, retentionMsMax: config.retentionMsMax });
  }

  // ---- append ----------------------------------------------------------------------------------

  /**
   * Appends one or more magic-2 batches. The buffer is not modified, but it must not be changed by
   * the caller until the promise settles (it is copied when written).
   */
  async append(batches: Uint8Array): Promise<AppendResult> {
    const spans = this.validateAppend(batches);
    while (this.queuedBytes + batches.length > logAppendQueueBytesMax && this.queuedBytes > 0) {
      await new Promise<void>((resolve) => this.queueSpaceWaiters.push(resolve));
    }
    this.checkAccepting();
    const offsetCount = spans.reduce((sum, s) => sum + BigInt(s.header.lastOffsetDelta) + 1n, 0n);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ bytes: batches, spans, offsetCount, resolve, reject, keepOffsets: false, baseOffset: -1n, lastOffset: -1n });
      this.queuedBytes += batches.length;
      this.kick();
    });
  }

  /**
   * A follower's append: batches copied from the leader keep their offsets and leader epochs. The
   * first batch must start at this log's end (after every append already queued) and the batches must
   * be dense; anything else (a gap or an overlap) is refused with OFFSET_MISMATCH and nothing is
   * written. Resolves, like append(), once the batches are durable.
   */
  async appendReplicated(batches: Uint8Array): Promise<AppendResult> {
    const spans = this.validateAppend(batches);
    let expected = this.logEndOffset + this.queue.reduce((sum, a) => sum + a.offsetCount, 0n);
    const baseOffset = spans[0]!.header.baseOffset;
    for (const span of spans) {
      if (span.header.baseOffset !== expected) {
        throw new LogError('OFFSET_MISMATCH', `replicated batch at offset ${span.header.baseOffset}, log ${this.dir} expects ${expected}`);
      }
      expected += BigInt(span.header.lastOffsetDelta) + 1n;
    }
    const offsetCount = expected - baseOffset;
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ bytes: batches, spans, offsetCount, resolve, reject, keepOffsets: true, baseOffset: -1n, lastOffset: -1n });
      this.queuedBytes += batches.length;
      this.kick();
    });
  }

  private checkAccepting(): void {
    if (this.failure !== null) throw this.failure;
    if (this.stopping) throw new LogError('LOG_STOPPED', `log ${this.dir} is stopping`);
  }

  private validateAppend(batches: Uint8Array): BatchSpan[] {
    this.checkAccepting();
    if (batches.length === 0) throw new LogError('INVALID_RECORD', 'no batches');
    if (batches.length > logAppendBytesMax) throw new LogError('RECORD_TOO_LARGE', `${batches.length} bytes in one append, limit ${logAppendBytesMax}`);
    const split = splitBatches(batches, this.appendBatchBytesMax);
    if (!split.ok) {
      const tooLarge = split.problem.kind === 'bad-length' && split.problem.batchLength + batchLogOverheadBytes > this.appendBatchBytesMax;
      const message = `batch at byte ${split.position}: ${JSON.stringify(split.problem)}`;
      throw new LogError(tooLarge ? 'RECORD_TOO_LARGE' : 'INVALID_RECORD', message);
    }
    for (const span of split.spans) {
      const { recordCount, lastOffsetDelta } = span.header;
      if (recordCount < 1 || lastOffsetDelta !== recordCount - 1) {
        throw new LogError('INVALID_RECORD', `batch at byte ${span.position}: recordCount ${recordCount}, lastOffsetDelta ${lastOffsetDelta}`);
      }
    }
    return split.spans;
  }

  /** Starts the writer unless it is already running (it loops until the queue is empty). */
  private kick(): void {
    if (this.writerActive || this.closed) return;
    this.writerActive = true;
    void this.lock
      .run(() => this.drainLocked(false))
      .catch((error: unknown) => this.markFailed(error))
      .finally(() => {
        this.writerActive = false;
        if (this.hasImmediateWork()) this.kick();
      });
  }

  private hasImmediateWork(): boolean {
    if (this.failure !== null || this.closed) return false;
    return this.queue.length > 0 || (this.unsynced.length > 0 && this.syncDue());
  }

  private syncDue(): boolean {
    const flush = this.config.flush;
    switch (flush.mode) {
      case 'per-append':
        return true;
      case 'interval':
        // BUGGIFY: an early flush (an fsync before the interval or the byte limit asks for one).
        return this.flushTimerFired || this.unsyncedBytes >= flush.bytesMax || buggify(this.io, 'log.early-flush', 0.1);
      default:
        return unreachable(flush);
    }
  }

  /** The group-commit loop. Runs with the lock held. `force`: fsync regardless of the policy, until empty. */
  private async drainLocked(force: boolean): Promise<void> {
    for (let round = 0; force || round < logWriterRoundsPerLock; round++) {
      if (this.failure !== null || this.closed) return;
      if (this.queue.length > 0) await this.writeQueued();
      if (this.failure !== null) return;
      const syncNow = this.unsynced.length > 0 && (force || this.syncDue());
      if (syncNow) await this.syncActive();
      else if (this.unsynced.length > 0) this.armFlushTimer();
      if (this.queue.length === 0 && (this.unsynced.length === 0 || !(force || this.syncDue()))) return;
    }
  }

  private armFlushTimer(): void {
    const flush = this.config.flush;
    if (flush.mode !== 'interval' || this.flushTimer !== null) return;
    this.flushTimer = this.io.clock.setTimer(flush.intervalMs, () => {
      this.flushTimer = null;
      this.flushTimerFired = true;
      this.kick();
    });
  }

  /** Takes queued appends (up to one write's worth, within one segment) and writes them. */
  private async writeQueued(): Promise<void> {
    const group: PendingAppend[] = [];
    let groupBytes = 0;
    let groupOffsets = 0n;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (group.length > 0 && groupBytes + next.bytes.length > logWriteBytesMax) break;
      // BUGGIFY: a smaller group commit (the rest waits for the next round, as if it came later).
      if (group.length > 0 && buggify(this.io, 'log.small-group-commit', 0.2)) break;
      if (this.needsRoll(next, groupBytes, groupOffsets)) {
        if (group.length > 0) break; // write what we have; roll on the next round
        if (!(await this.roll())) {
          // A roll that failed the log answered (and emptied) the queue already: log-crash seed
          // 843812 took `next` off the empty queue here, and stop() threw a TypeError.
          if (this.failure !== null) return;
          this.dequeue();
          next.reject(new LogError('DISK_FULL', `no space to start a new segment in ${this.dir}`));
          continue;
        }
      }
      group.push(this.dequeue());
      groupBytes += next.bytes.length;
      groupOffsets += next.offsetCount;
    }
    if (group.length > 0) await this.writeGroup(group);
  }

  private dequeue(): PendingAppend {
    const append = this.queue.shift()!;
    this.queuedBytes -= append.bytes.length;
    for (const wake of this.queueSpaceWaiters.splice(0)) wake();
    return append;
  }

  private needsRoll(next: PendingAppend, groupBytes: number, groupOffsets: bigint): boolean {
    const segment = this.active;
    const size = segment.sizeBytes + groupBytes;
    if (size === 0) return false;
    if (size + next.bytes.length > this.config.segmentBytesMax) return true;
    if (segment.nextOffset + groupOffsets + next.offsetCount - segment.baseOffset > BigInt(int32Max)) return true;
    const reference = segment.rollReferenceMs;
    if (reference === null || this.ageClockMs() - reference < this.config.segmentAgeMsMax) return false;
    reached(this.io, 'log.segment-rolled-by-age');
    return true;
  }

  /** The clock segment ages are measured on: monotonic (the planted bug segmentAgeByWallClock: the wall clock). */
  private ageClockMs(): number {
    return this.bugs.segmentAgeByWallClock === true ? this.io.clock.wallClockMs() : this.io.clock.nowMs();
  }

  /** Writes `group` as one disk write at the end of the active segment, assigning offsets. */
  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const segment = this.active;
    const startPosition = segment.sizeBytes;
    // The batches are written from the appenders' own buffers (offsets stamped in place), as one
    // writev: no copy of the data on the hot path.
    const chunks: Uint8Array[] = [];
    let total = 0;
    let next = segment.nextOffset;
    for (const append of group) {
      append.baseOffset = next;
      for (const span of append.spans) {
        if (append.keepOffsets) assert(span.header.baseOffset === next, 'a replicated batch lands at its own offset');
        else writeBaseOffset(append.bytes, span.position, next);
        chunks.push(append.bytes.subarray(span.position, span.position + span.size));
        next += BigInt(span.header.lastOffsetDelta) + 1n;
        total += span.size;
      }
      append.lastOffset = next - 1n;
    }
    try {
      await segment.file.appendChunks(chunks);
    } catch (error) {
      await this.writeFailed(error, segment, startPosition, group);
      return;
    }
    segment.rollReferenceMs ??= this.ageClockMs();
    let position = startPosition;
    for (const chunk of chunks) {
      const header = readBatchHeader(chunk, 0);
      segment.noteBatch(position, chunk.length, header);
      position += chunk.length;
    }
    for (const listener of [...this.writtenListeners]) listener(total);
    if (this.bugs.ackBeforeSync === true) {
      for (const append of group) append.resolve({ baseOffset: append.baseOffset, lastOffset: append.lastOffset });
      return;
    }
    this.unsynced.push(...group);
    this.unsyncedBytes += total;
  }

  private async writeFailed(error: unknown, segment: Segment, startPosition: number, group: PendingAppend[]): Promise<void> {
    if (!(error instanceof DiskError) || error.code !== 'ENOSPC') {
      this.markFailed(error, group);
      await this.cutBackToDurable(segment);
      return;
    }
    try {
      if (segment.file.size() > startPosition) await segment.file.truncate(startPosition);
    } catch (truncateError) {
      this.markFailed(truncateError, group);
      return;
    }
    reached(this.io, 'log.disk-full-rejected');
    this.log.warn('LogDiskFull', { appends: group.length, bytes: group.reduce((s, a) => s + a.bytes.length, 0), hint: 'free space on the filesystem of the data directory; producers get KAFKA_STORAGE_ERROR until then and nothing acknowledged is lost' });
    for (const append of group) append.reject(new LogError('DISK_FULL', `disk full writing to ${this.dir}`, { cause: error }));
  }

  /** fsyncs the active segment and acknowledges every append written before the fsync began. */
  private async syncActive(): Promise<void> {
    const segment = this.active;
    const appends = this.unsynced;
    const target = segment.nextOffset;
    const targetBytes = segment.sizeBytes;
    this.unsynced = [];
    this.unsyncedBytes = 0;
    this.flushTimerFired = false;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    const startMs = this.io.clock.nowMs();
    const leave = appends.length > 0 ? crashWindow(this.io, 'log.crash-with-acks-pending') : null;
    try {
      await segment.file.sync();
    } catch (error) {
      if (appends.length > 0) reached(this.io, 'log.fsync-failed-with-waiters');
      const retried = this.bugs.retryFailedSync === true && error instanceof DiskError && (await segment.file.sync().then(() => true, () => false));
      if (!retried) {
        this.markFailed(error, appends);
        await this.cutBackToDurable(segment);
        return;
      }
    } finally {
      leave?.();
    }
    this.metrics.fsyncDurationSeconds.observe(secondsBetween(startMs, this.io.clock.nowMs()));
    this.metrics.appendsPerFsync.observe(appends.length);
    this.durableEnd = target;
    this.durableBytes = targetBytes;
    for (const append of appends) append.resolve({ baseOffset: append.baseOffset, lastOffset: append.lastOffset });
  }

  /**
   * Closes the active segment and starts the next: fsync data and index files, create the new file,
   * syncDir. Returns false when the disk was full (the log stays on the old segment) or the log failed.
   */
  private async roll(): Promise<boolean> {
    if (this.unsynced.length > 0) await this.syncActive();
    if (this.failure !== null) return false;
    const old = this.active;
    const path = joinPath(this.dir, segmentFileName(old.nextOffset, 'log'));
    try {
      await this.writeIndexFiles(old);
      old.checksums.compact();
      const file = await this.io.disk.open(path, { create: true });
      await this.io.disk.syncDir(this.dir);
      this.segments.push(new Segment(this.dir, old.nextOffset, file, this.config.indexIntervalBytes));
    } catch (error) {
      if (!(error instanceof DiskError) || error.code !== 'ENOSPC') {
        this.markFailed(error);
        return false;
      }
      await this.io.disk.remove(path).catch(() => undefined);
      return false;
    }
    this.durableEnd = old.nextOffset;
    this.durableBytes = 0;
    this.log.info('LogRolled', { base: old.nextOffset, previousBytes: old.sizeBytes });
    await this.enforceRetentionLocked();
    return true;
  }

  /**
   * After the failed log's write or fsync: cuts the active segment's file back to durableBytes and
   * fsyncs, best effort. Even when that fsync fails the cut stays in the page cache, so whatever
   * reads the file next (this process's reopen, or the next process after a graceful stop) sees it
   * end where its durable bytes do; a crash leaves the same. (Simulator single-node seed 40596 lost
   * an acknowledged offset commit this way in the offsets file; the log had the same gap.)
   */
  private async cutBackToDurable(segment: Segment): Promise<void> {
    if (segment !== this.active) return;
    try {
      if (segment.file.size() > this.durableBytes) await segment.file.truncate(this.durableBytes);
      await segment.file.sync();
    } catch {
      // The log is failed already; its reopen recovers from the disk.
    }
  }

  /** Fails the log: every pending and later append rejects with LOG_FAILED. */
  private markFailed(cause: unknown, inFlight: readonly PendingAppend[] = []): void {
    if (cause instanceof AssertionError) throw cause;
    if (this.failure === null) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      this.failure = new LogError('LOG_FAILED', `log ${this.dir} failed and accepts nothing until reopened: ${detail}`, { cause });
      this.log.error('LogFailed', { cause: detail, durableEnd: this.durableEnd, hint: 'the partition answers KAFKA_STORAGE_ERROR and the broker reopens it within about a second; if this repeats, check the disk (dmesg, SMART) and free space' });
    }
    const failure = this.failure;
    const everyone = [...inFlight, ...this.unsynced, ...this.queue];
    this.unsynced = [];
    this.queue = [];
    this.queuedBytes = 0;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    for (const append of everyone) append.reject(failure);
    for (const wake of this.queueSpaceWaiters.splice(0)) wake();
  }

  // ---- read ------------------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset`, at most `maxBytes` (at least one batch). With
   * `offsetLimit`, only batches that end below it (a broker passes durableEndOffset or its high
   * watermark). Empty at the end.
   */
  async read(offset: bigint, maxBytes: number, offsetLimit?: bigint): Promise<Uint8Array> {
    assert(maxBytes >= 0, 'read: maxBytes >= 0');
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new LogError('LOG_STOPPED', `log ${this.dir} is stopped`);
      if (offset < this.logStartOffset || offset > this.logEndOffset) throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.logEndOffset);
      const limit = offsetLimit ?? this.logEndOffset;
      try {
        return await this.readOnce(offset, maxBytes, limit);
      } catch (error) {
        // Retention or truncation closed the segment under us: look again (once).
        if (error instanceof DiskError && error.code === 'ECLOSED' && attempt === 0) continue;
        if (error instanceof DiskError) throw new LogError('IO_ERROR', `reading ${this.dir} at ${offset}: ${error.message}`, { cause: error });
        if (error instanceof CorruptRecordError && error.staleCopy) reached(this.io, 'log.stale-copy-refused');
        throw error;
      }
    }
  }

  private async readOnce(offset: bigint, maxBytes: number, offsetLimit: bigint): Promise<Uint8Array> {
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (offset >= segment.nextOffset) continue;
      return readSegment(segment, offset, maxBytes, offsetLimit, this.batchBytesMax, this.bugs.readSkipsCrc === true);
    }
    return new Uint8Array(0);
  }

  /** Index of the last segment whose base offset is <= `offset` (0 if none). */
  private segmentIndexFor(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async offsetForTimestamp(timestampMs: bigint): Promise<bigint | null> {
    if (this.closed) throw new LogError('LOG_STOPPED', `log ${this.dir} is stopped`);
    for (const segment of [...this.segments]) {
      const found = await offsetForTimestampInSegment(segment, timestampMs, this.batchBytesMax);
      if (found !== null) return found < this.logStartOffset ? this.logStartOffset : found;
    }
    return null;
  }

  // ---- retention, truncation, stop ---------------------------------------------------------------

  async enforceRetention(): Promise<bigint> {
    return this.lock.run(async () => {
      await this.enforceRetentionLocked();
      return this.logStartOffset;
    });
  }

  /** Deletes the oldest whole segments past the size or age limit (never the active segment). */
  private async enforceRetentionLocked(): Promise<void> {
    if (this.closed) return;
    const { retentionBytesMax, retentionMsMax } = this.config;
    const nowMs = this.io.clock.wallClockMs();
    let total = this.sizeBytes;
    let count = 0;
    while (count < this.segments.length - 1) {
      const segment = this.segments[count]!;
      const bySize = retentionBytesMax !== null && total - segment.sizeBytes >= retentionBytesMax;
      const byAge = retentionMsMax !== null && segment.maxTimestampMs < nowMs - retentionMsMax;
      if (!bySize && !byAge) break;
      if (!bySize) reached(this.io, 'log.retention-deleted-by-age');
      total -= segment.sizeBytes;
      count++;
    }
    if (count === 0) return;
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    await this.removeSegments(doomed);
    this.log.info('LogRetentionDeleted', { segments: count, start: this.logStartOffset });
  }

  private async removeSegments(doomed: readonly Segment[]): Promise<void> {
    for (const segment of doomed) {
      await segment.file.close().catch(() => undefined);
      // The .log goes first: a crash in between leaves index files without a segment, which open() removes.
      for (const kind of segmentFileKinds) await this.io.disk.remove(segment.path(kind));
    }
    await this.io.disk.syncDir(this.dir);
  }

  /**
   * Kafka's DeleteRecords: makes `offset` the log start offset, durably (log-start-offset.ts), then
   * removes the whole segments below it (never the active one). Reads below the new start answer
   * OFFSET_OUT_OF_RANGE. `offset` must not be above durableEndOffset (OFFSET_OUT_OF_RANGE); one at or
   * below the start changes nothing. Returns the log start offset.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.lock.run(async () => {
      if (this.failure !== null) throw this.failure;
      if (this.closed || this.stopping) throw new LogError('LOG_STOPPED', `log ${this.dir} is stopped`);
      if (offset < 0n || offset > this.durableEnd) throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.durableEnd);
      if (offset <= this.logStartOffset) return this.logStartOffset;
      let whole = 0;
      while (whole < this.segments.length - 1 && this.segments[whole + 1]!.baseOffset <= offset) whole++;
      try {
        await writeLogStartOffset(this.io.disk, this.dir, offset);
        this.startOffsetFloor = offset;
        const doomed = this.segments.slice(0, whole);
        this.segments = this.segments.slice(whole);
        if (doomed.length > 0) await this.removeSegments(doomed);
      } catch (error) {
        if (error instanceof DiskError) throw new LogError('IO_ERROR', `moving the start of ${this.dir} to ${offset}: ${error.message}`, { cause: error });
        throw error;
      }
      this.log.info('LogStartMoved', { start: offset, segmentsRemoved: whole });
      return this.logStartOffset;
    });
  }

  /**
   * Cuts every batch that holds an offset >= `offset` (a follower dropping a divergent tail). Cuts at
   * batch boundaries, as Kafka does: logEndOffset becomes the base of the batch holding `offset`.
   */
  async truncateTo(offset: bigint): Promise<void> {
    await this.lock.run(async () => {
      await this.drainLocked(true);
      if (this.failure !== null) throw this.failure;
      if (this.closed) throw new LogError('LOG_STOPPED', `log ${this.dir} is stopped`);
      if (offset >= this.logEndOffset) return;
      if (offset < this.logStartOffset) throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.logEndOffset);
      const keep = this.segmentIndexFor(offset);
      const doomed = this.segments.slice(keep + 1);
      this.segments = this.segments.slice(0, keep + 1);
      try {
        if (doomed.length > 0) await this.removeSegments(doomed);
        await this.cutSegment(this.active, offset);
        await this.dropResumePointsPast(this.active);
      } catch (error) {
        // The cut may have stopped halfway (a read or write error, damage met while scanning), with
        // the segment's in-memory state already reset: the log cannot say where it ends any more.
        // It is failed (its end stays where it was), and a reopen recovers it from the disk.
        if (!(error instanceof DiskError) && !(error instanceof LogError)) throw error;
        this.markFailed(error);
        throw this.failure ?? error;
      }
      this.durableEnd = this.active.nextOffset;
      this.durableBytes = this.active.sizeBytes;
      this.log.info('LogTruncated', { requested: offset, end: this.active.nextOffset });
    });
  }

  /**
   * Forgets the resume points recovery recorded (resume-points.ts) past the end of `segment`, which
   * was just cut, and those of every other segment: they name bytes that are gone.
   */
  private async dropResumePointsPast(segment: Segment): Promise<void> {
    const kept = this.resumePoints.filter((point) => point.segmentBase === segment.baseOffset && point.end <= segment.sizeBytes);
    if (kept.length === this.resumePoints.length) return;
    this.resumePoints = kept;
    await writeResumePoints(this.io.disk, this.dir, kept);
  }

  /**
   * Cuts `segment` at the batch holding `offset` and rebuilds its in-memory index from the last index
   * entry at or below `offset` (the entries before it stay): the scan reads only the stretch it cuts
   * in, so damage earlier in the segment (stepped over by recovery, with an entry of its own after
   * it) does not stop a follower from cutting its divergent tail.
   */
  private async cutSegment(segment: Segment, offset: bigint): Promise<void> {
    // The file can be shorter than the segment believes: bytes a failed fsync never wrote (read
    // back until the next good fsync) vanish then, and the cut ends where the file does.
    const reader = new ChunkReader(segment.file, Math.min(segment.sizeBytes, segment.file.size()));
    const endBefore = segment.nextOffset;
    const entry = segment.index.floor(Number(offset - segment.baseOffset));
    const from = entry < 0 ? 0 : segment.index.entry(entry).position;
    if (entry < 0 || from > reader.end) segment.resetInMemory();
    else segment.rewindToEntry(entry);
    try {
      const { stop } = await scanInto(segment, reader, segment.sizeBytes, this.batchBytesMax, offset);
      if (stop !== null) throw new LogError('CORRUPT_RECORD', `cannot truncate ${this.dir} to ${offset}: damage at byte ${stop.position}`);
    } catch (error) {
      // The in-memory state is half rebuilt: its end is put back where it was (the caller fails the
      // log), so nothing reads a log end below the leader epochs the log recorded.
      segment.nextOffset = endBefore;
      throw error;
    }
    await segment.file.truncate(segment.sizeBytes);
    await segment.file.sync();
  }

  async stop(): Promise<void> {
    if (this.stopped === null) {
      this.stopping = true;
      for (const wake of this.queueSpaceWaiters.splice(0)) wake();
      this.stopped = this.lock.run(() => this.stopLocked());
    }
    return this.stopped;
  }

  private async stopLocked(): Promise<void> {
    if (this.bugs.stopSkipsFlush === true) await this.writeWithoutFlush();
    else await this.drainLocked(true);
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (this.failure !== null) {
      await this.closeFiles();
      throw this.failure;
    }
    try {
      await this.writeCleanShutdown();
    } catch (error) {
      this.markFailed(error);
      await this.closeFiles();
      throw this.failure ?? error;
    }
    await this.closeFiles();
    this.log.info('LogStopped', { end: this.logEndOffset, durableEnd: this.durableEnd });
  }

  /** The planted stopSkipsFlush bug: what is queued is written, and every pending append is answered as done, with no fsync. */
  private async writeWithoutFlush(): Promise<void> {
    while (this.queue.length > 0 && this.failure === null) await this.writeQueued();
    for (const append of this.unsynced) append.resolve({ baseOffset: append.baseOffset, lastOffset: append.lastOffset });
    this.unsynced = [];
  }

  /** Final fsync, index files, then the clean-shutdown marker (durable only after all the rest). */
  private async writeCleanShutdown(): Promise<void> {
    const active = this.active;
    if (this.bugs.stopSkipsFlush !== true) await active.file.sync();
    if (active.indexDirty) await this.writeIndexFiles(active);
    await this.io.disk.syncDir(this.dir);
    const marker = await this.io.disk.open(joinPath(this.dir, cleanShutdownMarker), { create: true });
    await marker.close();
    await this.io.disk.syncDir(this.dir);
  }

  /**
   * Writes a segment's index files. Coverage: a crash in the middle leaves them torn or missing;
   * recovery never trusts them then (the segment is the last one, and not cleanly shut down).
   */
  private async writeIndexFiles(segment: Segment): Promise<void> {
    const leave = crashWindow(this.io, 'log.crash-while-writing-index');
    try {
      await segment.writeIndexFiles(this.io.disk);
    } finally {
      leave();
    }
  }

  private async closeFiles(): Promise<void> {
    this.closed = true;
    for (const segment of this.segments) await segment.file.close().catch(() => undefined);
  }
}
