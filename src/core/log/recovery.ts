/**
 * Opening a partition directory: find the segments, trust or rebuild their indexes, verify the tail
 * of the last segment batch by batch, cut a torn or corrupt tail, and say what was done.
 *
 * Rules (docs/log.md has the reasoning):
 * - Only the last segment can hold unsynced bytes: a segment is fsynced before the next one is created.
 *   So only the last segment's tail is scanned (all of it after a crash, the part after its last index
 *   entry after a graceful stop, which leaves a `clean-shutdown` marker).
 * - A problem at position p of the last segment is a torn tail (cut at p) unless valid batches follow
 *   it: then the stretch is bit rot in the middle, reported, overwritten with zeros (once two searches
 *   on fresh reads agree where the good batches resume), and reads of its offsets fail. A damaged
 *   last batch is always taken for torn, even when its length fits (a size journaled before data).
 * - Index files of older segments are validated (sizes, order, last entry points at its batch) and
 *   rebuilt by a full scan when they fail.
 */
import type { Io } from '../io/index.ts';
import { DiskError, joinPath } from '../io/disk.ts';
import { reached } from '../io/probes.ts';
import { recoveryRereadsMax } from '../limits.ts';
import { logStartOffsetFileName, readLogStartOffset } from './log-start-offset.ts';
import { batchHeaderBytes, checkBatch, describeBatchProblem, readBatchHeader } from './record-batch.ts';
import { BatchChecksums } from './batch-checksums.ts';
import { readFileIfExists } from '../io/whole-file.ts';
import { readResumePoints, resumePointsFileName, writeResumePoints, type ResumePoint } from './resume-points.ts';
import { decodeIndexFiles } from './segment-index.ts';
import { ChunkReader, Segment, parseSegmentFileName, scanInto, segmentFileName, type ScanStop } from './segment.ts';
import type { PartitionLogConfig, RecoveryReport } from './types.ts';

export const cleanShutdownMarker = 'clean-shutdown';

interface RecoveryNotes {
  /** The recorded resume points of the last segment (resume-points.ts), kept as recovery changes them. */
  resumes: ResumePoint[];
  batchesScanned: number;
  truncatedBytes: number;
  truncationReason: string | null;
  indexesRebuilt: string[];
  filesRemoved: string[];
  corruptRanges: string[];
}

export async function recoverSegments(
  io: Io,
  dir: string,
  config: PartitionLogConfig,
  batchBytesMax: number,
  /** Test only (PartitionLogBugs.recoverySkipsCrc): a bad checksum passes. */
  skipCrc = false,
  /** Test only (PartitionLogBugs.recoveryEndsAtReadError): a read error ends the last segment. */
  endsAtReadError = false,
): Promise<{ segments: Segment[]; report: RecoveryReport; startOffsetProblem: string | null; resumePoints: ResumePoint[] }> {
  await io.disk.mkdir(dir);
  const names = await io.disk.list(dir);
  const clean = names.includes(cleanShutdownMarker);
  const notes: RecoveryNotes = { resumes: [], batchesScanned: 0, truncatedBytes: 0, truncationReason: null, indexesRebuilt: [], filesRemoved: [], corruptRanges: [] };
  const bases = await sortOutFiles(io, dir, names, notes);
  const recorded = names.includes(resumePointsFileName) ? await readResumePoints(io.disk, dir) : [];
  const segments: Segment[] = [];
  for (const base of bases) {
    const file = await io.disk.open(joinPath(dir, segmentFileName(base, 'log')));
    segments.push(new Segment(dir, base, file, config.indexIntervalBytes));
  }
  if (segments.length === 0) {
    const file = await io.disk.open(joinPath(dir, segmentFileName(0n, 'log')), { create: true });
    await io.disk.syncDir(dir);
    segments.push(new Segment(dir, 0n, file, config.indexIntervalBytes));
  }
  for (let i = 0; i < segments.length - 1; i++) {
    await recoverOlderSegment(io, segments[i]!, segments[i + 1]!.baseOffset, batchBytesMax, notes, skipCrc);
  }
  // Only the last segment is ever cut, so only its resume points matter; the others are dropped.
  notes.resumes = recorded.filter((point) => point.segmentBase === segments[segments.length - 1]!.baseOffset);
  await recoverLastSegment(io, segments[segments.length - 1]!, clean, batchBytesMax, notes, skipCrc, endsAtReadError);
  if (notes.resumes.length !== recorded.length) await writeResumePoints(io.disk, dir, notes.resumes);
  if (clean) {
    await io.disk.remove(joinPath(dir, cleanShutdownMarker));
    await io.disk.syncDir(dir);
  }
  const last = segments[segments.length - 1]!;
  const start = await recoverStartOffset(io, dir, names, segments[0]!.baseOffset, last.nextOffset);
  const { resumes: _resumes, ...reported } = notes;
  const report: RecoveryReport = {
    segmentCount: segments.length,
    cleanShutdown: clean,
    ...reported,
    logStartOffset: start.offset,
    logEndOffset: last.nextOffset,
  };
  return { segments, report, startOffsetProblem: start.problem, resumePoints: notes.resumes };
}

/**
 * The log start offset: the one DeleteRecords stored (log-start-offset.ts), if the directory holds
 * one, within [first segment's base, log end]; else the first segment's base. Only offsets up to the
 * durable end are ever stored, but a cut tail (bit rot) can still leave the stored one above the end.
 */
async function recoverStartOffset(io: Io, dir: string, names: readonly string[], base: bigint, end: bigint): Promise<{ offset: bigint; problem: string | null }> {
  if (!names.includes(logStartOffsetFileName)) return { offset: base, problem: null };
  const stored = await readLogStartOffset(io.disk, dir);
  if (stored.offset === null || stored.offset <= base) return { offset: base, problem: stored.problem };
  return { offset: stored.offset < end ? stored.offset : end, problem: null };
}

/** Removes leftovers (index files without a segment) and returns the segments' base offsets, sorted. */
async function sortOutFiles(io: Io, dir: string, names: readonly string[], notes: RecoveryNotes): Promise<bigint[]> {
  const logs = new Set<bigint>();
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed?.kind === 'log') logs.add(parsed.baseOffset);
  }
  let removed = false;
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed === null || parsed.kind === 'log' || logs.has(parsed.baseOffset)) continue;
    await io.disk.remove(joinPath(dir, name));
    notes.filesRemoved.push(name);
    removed = true;
  }
  if (removed) await io.disk.syncDir(dir);
  return [...logs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Loads a segment's index and checksum files and checks them against the segment. Returns a reason
 * when they cannot be trusted. On success the segment ends at `sizeBytes` with offsets up to
 * `nextOffset` (for the last segment, the caller scans on from the last entry to find the real end,
 * and the checksums of the batches from there on are noted again by that scan).
 */
async function loadIndex(io: Io, segment: Segment, nextOffset: bigint | null): Promise<string | null> {
  const offsetBytes = await readFileIfExists(io.disk, segment.path('index'));
  const timeBytes = await readFileIfExists(io.disk, segment.path('timeindex'));
  const checksumBytes = await readFileIfExists(io.disk, segment.path('checksums'));
  if (offsetBytes === null || timeBytes === null || checksumBytes === null) return 'missing';
  const sizeBytes = segment.file.size();
  const decoded = decodeIndexFiles(offsetBytes, timeBytes, sizeBytes);
  if (typeof decoded === 'string') return decoded;
  const { index } = decoded;
  const indexRelOffsets: number[] = [];
  for (let i = 0; i < index.entryCount; i++) indexRelOffsets.push(index.entry(i).relOffset);
  const checksums = BatchChecksums.decode(checksumBytes, indexRelOffsets, decoded.lastBatchRelOffset);
  if (typeof checksums === 'string') return checksums;
  if (index.entryCount === 0) {
    segment.adoptIndex(index, checksums, 0, segment.baseOffset, -1, -1);
    return nextOffset === null || nextOffset === segment.baseOffset ? null : 'empty index for a segment with offsets';
  }
  const last = index.entry(index.entryCount - 1);
  const head = await segment.file.read(last.position, batchHeaderBytes);
  if (head.length < batchHeaderBytes) return 'last entry points past the end';
  const header = readBatchHeader(head, 0);
  if (header.magic !== 2 || header.baseOffset !== segment.baseOffset + BigInt(last.relOffset)) return 'last entry does not point at its batch';
  if (nextOffset === null) {
    // The last segment: take the index up to its last entry; the caller scans the rest.
    checksums.truncateFrom(last.relOffset);
    segment.adoptIndex(index, checksums, last.position, header.baseOffset, decoded.maxTimestampMs, last.relOffset);
    return null;
  }
  segment.adoptIndex(index, checksums, sizeBytes, nextOffset, decoded.maxTimestampMs, decoded.lastBatchRelOffset);
  return null;
}

async function recoverOlderSegment(io: Io, segment: Segment, nextBase: bigint, batchBytesMax: number, notes: RecoveryNotes, skipCrc: boolean): Promise<void> {
  const problem = await loadIndex(io, segment, nextBase);
  if (problem === null) return;
  indexUntrusted(io, problem);
  segment.resetInMemory();
  await scanAll(io, segment, 0, batchBytesMax, notes, false, skipCrc, false, nextBase);
  notes.indexesRebuilt.push(`${segmentFileName(segment.baseOffset, 'index')} (${problem})`);
  await segment.writeIndexFiles(io.disk);
  await io.disk.syncDir(segment.dir);
}

async function recoverLastSegment(io: Io, segment: Segment, clean: boolean, batchBytesMax: number, notes: RecoveryNotes, skipCrc: boolean, endsAtReadError = false): Promise<void> {
  // Synced before it is read: after a failed fsync (of an earlier process that stopped without a
  // crash) reads may still show bytes no fsync will ever write, and a log built on them would leave
  // a hole once they vanish. After this sync, what is read is what the disk holds.
  await segment.file.sync();
  let from = 0;
  const problem = clean ? await loadIndex(io, segment, null) : 'unclean shutdown';
  if (problem === null) {
    from = segment.sizeBytes;
  } else {
    if (clean) indexUntrusted(io, problem);
    segment.resetInMemory();
    if (segment.file.size() > 0) notes.indexesRebuilt.push(`${segmentFileName(segment.baseOffset, 'index')} (${problem})`);
  }
  await scanAll(io, segment, from, batchBytesMax, notes, true, skipCrc, endsAtReadError);
  // Bytes that survived a crash may still sit only in the page cache: make them durable before
  // anyone is told they are.
  await segment.file.sync();
}

/** Coverage: index files that could not be trusted; a torn one (present but inconsistent) is the rarer case. */
function indexUntrusted(io: Io, problem: string): void {
  reached(io, 'log.index-rebuilt');
  if (problem !== 'missing') reached(io, 'log.index-torn');
}

/**
 * Scans `segment` from `from` to its file's end, classifying every problem: bit rot with valid
 * batches after it is stepped over (and reported); anything else ends the segment. In the last
 * segment the end is cut off the file; in an older one (which cannot have a torn tail) it is only
 * reported.
 */
async function scanAll(
  io: Io,
  segment: Segment,
  from: number,
  batchBytesMax: number,
  notes: RecoveryNotes,
  isLast: boolean,
  skipCrc: boolean,
  endsAtReadError = false,
  /** For an older segment: the next segment's base, where its offsets end. */
  nextBase: bigint | null = null,
): Promise<void> {
  const fileBytes = segment.file.size();
  let reader = new ChunkReader(segment.file, fileBytes);
  let position = from;
  let rereadAt = -1;
  let rereads = 0;
  let misreadRestarts = 0;
  for (;;) {
    let scanned: Awaited<ReturnType<typeof scanInto>>;
    try {
      scanned = await scanInto(segment, reader, position, batchBytesMax, null, skipCrc);
    } catch (error) {
      if (!(endsAtReadError && isLast && error instanceof DiskError)) throw error;
      // The planted bug: an unreadable stretch taken for the end of the log, and cut.
      notes.truncatedBytes += fileBytes - segment.sizeBytes;
      notes.truncationReason = `read error taken for the end: ${String(error)}`;
      await segment.file.truncate(segment.sizeBytes);
      await segment.file.sync();
      return;
    }
    const { stop, batches } = scanned;
    notes.batchesScanned += batches;
    if (stop === null) return;
    // A read can be wrong: a misdirected read serves the bytes of another place. Read the stretch
    // from the disk again (up to recoveryRereadsMax times) before taking it for damage, which would
    // cut or skip durable batches that are whole on the platter. Once was not enough: log-crash seed
    // 32018 met two misdirected reads in a row at one place and cut 808 synced bytes.
    if (stop.position !== rereadAt) {
      rereadAt = stop.position;
      rereads = 0;
    }
    if (rereads < recoveryRereadsMax) {
      rereads++;
      reader = new ChunkReader(segment.file, fileBytes);
      position = stop.position;
      continue;
    }
    // The search for where good batches resume reads too, and a misdirected read there shows
    // batches where they are not, or hides them: it would end the segment at damage that valid
    // batches follow, or resume at the wrong place (log-crash seed 63640 resumed 4 KiB too far on
    // a misread chunk). Search on fresh reads until two searches agree; without agreement, the
    // first place found is used for this open only, and nothing is overwritten.
    let { skip, agreed, misread } = await agreedResume(segment, fileBytes, stop, batchBytesMax);
    if (misread && misreadRestarts < recoveryRereadsMax) {
      // A search's fresh read found the batch the scan expected, whole, right at the stop: the
      // scan's reads were all misdirected (log-crash seed 1106059 met four in a row at one place
      // and cut the acknowledged tail of a cleanly stopped log). Scan on from there.
      misreadRestarts++;
      rereadAt = -1;
      reader = new ChunkReader(segment.file, fileBytes);
      position = stop.position;
      continue;
    }
    const where = `${segmentFileName(segment.baseOffset, 'log')} at ${stop.position}`;
    if (skip === null && isLast) {
      // Nowhere to resume by what follows: an earlier recovery may have found the log going on past
      // this very stretch, and a crash since tore what linked it (resume-points.ts).
      skip = await recordedResume(segment, fileBytes, stop, batchBytesMax, notes.resumes);
      agreed = skip !== null;
      if (skip !== null) reached(io, 'log.resumed-at-recorded-point');
    } else if (skip !== null && agreed && isLast && !notes.resumes.some((p) => p.start === stop.position && p.end === skip!.end)) {
      notes.resumes.push({ segmentBase: segment.baseOffset, start: stop.position, end: skip.end, nextOffset: skip.nextOffset });
      await writeResumePoints(io.disk, segment.dir, notes.resumes);
    }
    if (skip !== null) {
      notes.corruptRanges.push(`${where}: ${describeStop(stop)}; ${skip.end - stop.position} bytes, offsets ${segment.nextOffset}..${skip.nextOffset - 1n} unreadable`);
      io.log.error('LogCorruptionFound', { segment: segment.path('log'), position: stop.position, bytes: skip.end - stop.position, hint: 'the damaged stretch was stepped over and its offsets answer CORRUPT_RECORD; if this happens without a crash or power loss, check the disk' });
      segment.noteCorruptRegion(skip.end, skip.nextOffset);
      if (agreed) await forgetStretch(segment, stop.position, skip.end);
      position = skip.end;
      continue;
    }
    if (!isLast) {
      notes.corruptRanges.push(`${where}: ${describeStop(stop)}; rest of an older segment unreadable`);
      io.log.error('LogCorruptionFound', { segment: segment.path('log'), position: stop.position, bytes: fileBytes - stop.position, hint: 'the damaged rest of an older segment (fsynced before the next began) is unreadable and its offsets answer CORRUPT_RECORD: check the disk' });
      // The damaged rest holds every offset up to the next segment's base: they stay taken (reads
      // of them fail), or a read of one would be served from the next segment.
      segment.noteCorruptRegion(fileBytes, nextBase !== null && nextBase > segment.nextOffset ? nextBase : segment.nextOffset);
      return;
    }
    reached(io, 'log.torn-tail-cut');
    const kept = notes.resumes.filter((point) => point.end <= stop.position);
    if (kept.length !== notes.resumes.length) {
      notes.resumes = kept;
      await writeResumePoints(io.disk, segment.dir, kept);
    }
    notes.truncatedBytes += fileBytes - stop.position;
    notes.truncationReason = `${where}: ${describeStop(stop)}`;
    io.log.warn('LogTailTruncated', { segment: segment.path('log'), position: stop.position, bytes: fileBytes - stop.position, reason: describeStop(stop), hint: 'expected after a crash or power loss: an unsynced tail was cut, nothing acknowledged was in it' });
    await segment.file.truncate(stop.position);
    await segment.file.sync();
    return;
  }
}

/**
 * Overwrites a stretch recovery stepped over with zeros, durably. What damage leaves there can hold
 * whole, valid batches that are not the log's: a misdirected write's copy of batches whose offsets a
 * later recovery cut and the log wrote anew elsewhere. Left in place, a later recovery (after more
 * damage moved where it resumes) could resume at that stale copy and then skip, as below its offsets,
 * the real batches after it (log-crash seed 214900 lost acknowledged offsets 65..73 so). Zeros read as
 * a hole, which is what this recovery decided the stretch is; its offsets stay unreadable either way.
 */
async function forgetStretch(segment: Segment, start: number, end: number): Promise<void> {
  await segment.file.write(start, new Uint8Array(end - start));
  await segment.file.sync();
}

function describeStop(stop: ScanStop): string {
  const problem = stop.problem;
  if (problem.kind === 'offset-gap') return `baseOffset ${problem.found}, expected ${problem.expected}`;
  return describeBatchProblem(problem);
}

type Resume = { end: number; nextOffset: bigint };

/**
 * `findResume` on fresh reads, up to `recoveryRereadsMax` + 2 times, until two answers name the same
 * place (a misdirected read changes one search's answer, rarely two alike). Nowhere to resume (a cut)
 * only when every search says so. Otherwise, without agreement, the first place found. `misread`
 * when a search's read shows the expected batch, whole, at the stop itself: there was no damage.
 */
async function agreedResume(segment: Segment, fileBytes: number, stop: ScanStop, batchBytesMax: number): Promise<{ skip: Resume | null; agreed: boolean; misread: boolean }> {
  const found: Resume[] = [];
  for (let attempt = 0; attempt < recoveryRereadsMax + 2; attempt++) {
    const reader = new ChunkReader(segment.file, fileBytes);
    if ((await validBatchAt(reader, stop.position, batchBytesMax))?.baseOffset === segment.nextOffset) return { skip: null, agreed: false, misread: true };
    const resume = await findResume(reader, segment, stop, batchBytesMax);
    if (resume === null) continue;
    if (found.some((f) => f.end === resume.end && f.nextOffset === resume.nextOffset)) return { skip: resume, agreed: true, misread: false };
    found.push(resume);
  }
  return { skip: found[0] ?? null, agreed: false, misread: false };
}

/**
 * A recorded resume point whose stretch holds `stop.position`, when a whole, valid batch with the
 * recorded offset is at its end (read afresh, up to `recoveryRereadsMax` + 1 times: a misdirected
 * read must not hide it); null otherwise.
 */
async function recordedResume(segment: Segment, fileBytes: number, stop: ScanStop, batchBytesMax: number, points: readonly ResumePoint[]): Promise<Resume | null> {
  for (const point of points) {
    if (point.segmentBase !== segment.baseOffset || stop.position < point.start || stop.position >= point.end || point.nextOffset < segment.nextOffset) continue;
    for (let attempt = 0; attempt <= recoveryRereadsMax; attempt++) {
      const found = await validBatchAt(new ChunkReader(segment.file, fileBytes), point.end, batchBytesMax);
      if (found?.baseOffset === point.nextOffset) return { end: point.end, nextOffset: point.nextOffset };
    }
  }
  return null;
}

/**
 * Decides whether a bad stretch starting at `stop.position` is bit rot inside the segment (returns
 * where good batches resume and the offset they resume at) or the end of the good data (null).
 */
async function findResume(
  reader: ChunkReader,
  segment: Segment,
  stop: ScanStop,
  batchBytesMax: number,
): Promise<Resume | null> {
  const p = stop.position;
  const head = await reader.bytes(p, batchHeaderBytes);
  if (head.length === batchHeaderBytes && (stop.problem.kind === 'bad-crc' || stop.problem.kind === 'bad-header')) {
    // A whole batch whose header still fits its place, followed by a valid batch: a flipped bit in
    // its body or header fields. Not when it is the last batch of the file: a crash on a filesystem
    // that journals a file's size before its data leaves a torn tail of exactly that shape (the
    // header written, zeros after it), and nothing tells the two apart, so it is cut as torn.
    const header = readBatchHeader(head, 0);
    const size = 12 + header.batchLength;
    const plausible = header.baseOffset === segment.nextOffset && header.lastOffsetDelta >= 0 && header.lastOffsetDelta === header.recordCount - 1;
    if (plausible && p + size < reader.end) {
      const next = await validBatchAt(reader, p + size, batchBytesMax);
      const nextOffset = segment.nextOffset + BigInt(header.lastOffsetDelta) + 1n;
      if (next?.baseOffset === nextOffset) return { end: p + size, nextOffset };
    }
  }
  // Otherwise look for a valid batch with a later offset within one batch's reach: the one with the
  // lowest offset, not the first in the file. A misdirected write leaves whole, valid batches with
  // later offsets in the middle of older ones; resuming there would skip (and, at the next problem,
  // cut) the intact batches between.
  const limit = Math.min(reader.end, p + batchBytesMax + 1);
  let best: Resume | null = null;
  for (let q = p + 1; q + batchHeaderBytes <= limit; q++) {
    if ((reader.peek(q + 16) ?? (await reader.bytes(q + 16, 1))[0]) !== 2) continue;
    const found = await validBatchAt(reader, q, batchBytesMax);
    // A batch with the segment's base offset starts the segment, at position 0, never here: one that
    // says so has had its baseOffset (outside the CRC) overwritten, here with zeros by the end of a
    // misdirected write's copy (log-crash seed 1406057 resumed at such a batch 9554 bytes in).
    if (found === null || found.baseOffset < segment.nextOffset || found.baseOffset === segment.baseOffset) continue;
    if (best !== null && found.baseOffset > best.nextOffset) continue;
    // Demand a second link (or the end: the exact end, or nothing but zeros up to it, which a
    // misdirected write leaves where it was aimed at the end of the file) so that a batch embedded
    // in a record value of a torn tail is not mistaken for a place to resume. The link may be the
    // header of a torn batch: an acknowledged batch is often followed by an unsynced one a crash
    // tore, and its header (the next offset, magic 2, a length that fits) links as well as a whole
    // batch would (log-crash seed 46816 cut an acknowledged batch after a hole for want of it).
    const after = q + found.size;
    const atEnd = after === reader.end || (await zerosToEnd(reader, after, batchBytesMax));
    if (!atEnd && !(await linksAt(reader, after, found.nextOffset, batchBytesMax)) && !(await linksAfterHole(reader, after, found.nextOffset, batchBytesMax))) continue;
    best = { end: q, nextOffset: found.baseOffset };
  }
  return best;
}

/**
 * Whether a batch starts at `position` with the offset `nextOffset`: a whole, valid one, or the
 * header of one a crash tore (magic 2, the offset, a length that fits the limit), which is as good a
 * link, since a torn tail rarely repeats the next offset by chance. The torn header may be cut short
 * itself when it ends the file, to any length when it carries the very next offset: what is left must
 * match the header it would be (the offset's bytes as far as they go, then the length, then the magic
 * byte); a later offset (`later`) links only through the magic byte. Log-crash seed 850834 cut
 * an acknowledged batch that a hole preceded and 17 bytes of the next batch's header followed; seed
 * 1358887 the same with 8 bytes, the next batch's baseOffset alone.
 */
async function linksAt(reader: ChunkReader, position: number, nextOffset: bigint, batchBytesMax: number, later = false): Promise<boolean> {
  const follows = (offset: bigint): boolean => (later ? offset > nextOffset : offset === nextOffset);
  const whole = await validBatchAt(reader, position, batchBytesMax);
  if (whole !== null) return follows(whole.baseOffset);
  const head = await reader.bytes(position, batchHeaderBytes);
  if (head.length < batchHeaderBytes && position + head.length !== reader.end) return false;
  // A later offset (after a hole, whose end is only guessed to within 7 bytes) links only through the
  // magic byte: a shorter remnant read from a shifted start would take a header's length and epoch
  // bytes for an offset (the resume-points test tears a header to 20 bytes and shows it).
  if (later && head.length < tornHeaderBytesMin) return false;
  if (head.length < 8) {
    // Part of the baseOffset only: it must be the next offset's first bytes.
    if (head.length === 0) return false;
    const expected = new Uint8Array(8);
    new DataView(expected.buffer).setBigInt64(0, nextOffset);
    return head.every((b, i) => b === expected[i]);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (!follows(view.getBigInt64(0))) return false;
  if (head.length >= 12) {
    const size = 12 + view.getInt32(8);
    if (size < batchHeaderBytes || size > batchBytesMax) return false;
  }
  return head.length < tornHeaderBytesMin || head[16] === 2;
}

/** The shortest torn header that links a later offset: through the magic byte. */
const tornHeaderBytesMin = 17;

/**
 * Whether a run of zeros starts at `position` (at most `batchBytesMax` of them) and a batch, whole or
 * torn, with an offset past `nextOffset` follows it: the intended place of a misdirected write (its
 * offsets lost to storage) between an intact batch and the rest. Log-crash seed 1214980: damage, an
 * acknowledged batch, such a hole, then a torn batch; with no link after the intact batch, recovery
 * cut it with the damage before it.
 */
async function linksAfterHole(reader: ChunkReader, position: number, nextOffset: bigint, batchBytesMax: number): Promise<boolean> {
  const span = await reader.bytes(position, Math.min(batchBytesMax, reader.end - position));
  let zeros = 0;
  while (zeros < span.length && span[zeros] === 0) zeros++;
  if (zeros === 0 || zeros === span.length) return false;
  // The first byte that is not zero can lie inside the next header's baseOffset, whose high bytes are
  // zeros themselves: the header starts at most 7 bytes before it.
  for (let start = Math.max(position + 1, position + zeros - 7); start <= position + zeros; start++) {
    if (await linksAt(reader, start, nextOffset, batchBytesMax, true)) return true;
  }
  return false;
}

/** Whether every byte from `position` to the end is zero, and there are at most `bytesMax` of them. */
async function zerosToEnd(reader: ChunkReader, position: number, bytesMax: number): Promise<boolean> {
  if (reader.end - position > bytesMax) return false;
  const rest = await reader.bytes(position, reader.end - position);
  return rest.length === reader.end - position && rest.every((b) => b === 0);
}

/** The offsets and size of a whole, valid batch at `position`, or null. */
async function validBatchAt(
  reader: ChunkReader,
  position: number,
  batchBytesMax: number,
): Promise<{ baseOffset: bigint; nextOffset: bigint; size: number } | null> {
  const head = await reader.bytes(position, batchHeaderBytes);
  if (head.length < batchHeaderBytes || head[16] !== 2) return null;
  const size = 12 + new DataView(head.buffer, head.byteOffset, head.byteLength).getInt32(8);
  if (size < batchHeaderBytes || size > batchBytesMax || position + size > reader.end) return null;
  const whole = await reader.bytes(position, size);
  if (!checkBatch(whole, 0, batchBytesMax).ok) return null;
  const header = readBatchHeader(whole, 0);
  return { baseOffset: header.baseOffset, nextOffset: header.baseOffset + BigInt(header.lastOffsetDelta) + 1n, size };
}
