/**
 * Where recovery stepped over damage in the last segment and found the log going on: one small file
 * in the partition directory, so that a later recovery remembers it.
 *
 *   recovery-resumes := magic u8 = 1 | count u32 | count x (segmentBase i64, start i32, end i32,
 *                       nextOffset i64) | crc32c u32 of everything before it   (big-endian)
 *
 * A recovery that steps over a stretch [start, end) decides, by what follows it, that the batches
 * from `end` on (offsets from `nextOffset`) are the log's: it makes them durable and overwrites the
 * stretch with zeros. A later recovery, after a crash that tore the write after those batches, can
 * meet the same hole with nothing left to link the batch after it to: zeros, a valid batch, then a
 * torn one whose header did not survive look just like a torn tail with a batch inside a record's
 * value, and the hole was cut with the acknowledged batch after it (log-crash seeds 580983 and
 * 628620). So the decision is written down, and a recovery that would cut inside a recorded stretch
 * resumes at its end instead, when a whole, valid batch with the recorded offset is there.
 *
 * Replaced atomically (io/whole-file.ts). A missing or damaged file
 * is an empty one: the records are only ever a reason to keep a batch that is whole and in place.
 */
import { crc32c } from '@node-rs/crc32';
import { joinPath, type Disk } from '../io/disk.ts';
import { readFileIfExists, replaceFileAtomically } from '../io/whole-file.ts';

export const resumePointsFileName = 'recovery-resumes';
const magic = 1;
const entryBytes = 24;

export interface ResumePoint {
  readonly segmentBase: bigint;
  readonly start: number;
  readonly end: number;
  readonly nextOffset: bigint;
}

/** The recorded resume points; none when the file is missing or fails its check. */
export async function readResumePoints(disk: Disk, dir: string): Promise<ResumePoint[]> {
  const bytes = await readFileIfExists(disk, joinPath(dir, resumePointsFileName));
  if (bytes === null) return [];
  if (bytes.length < 9) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(1);
  if (view.getUint8(0) !== magic || bytes.length !== 5 + count * entryBytes + 4) return [];
  if ((crc32c(bytes.subarray(0, bytes.length - 4)) >>> 0) !== view.getUint32(bytes.length - 4)) return [];
  const points: ResumePoint[] = [];
  for (let i = 0; i < count; i++) {
    const at = 5 + i * entryBytes;
    points.push({ segmentBase: view.getBigInt64(at), start: view.getInt32(at + 8), end: view.getInt32(at + 12), nextOffset: view.getBigInt64(at + 16) });
  }
  return points;
}

/** Makes `points` the durable record (resolves once it survives a crash). */
export async function writeResumePoints(disk: Disk, dir: string, points: readonly ResumePoint[]): Promise<void> {
  const bytes = new Uint8Array(5 + points.length * entryBytes + 4);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, magic);
  view.setUint32(1, points.length);
  points.forEach((point, i) => {
    const at = 5 + i * entryBytes;
    view.setBigInt64(at, point.segmentBase);
    view.setInt32(at + 8, point.start);
    view.setInt32(at + 12, point.end);
    view.setBigInt64(at + 16, point.nextOffset);
  });
  view.setUint32(bytes.length - 4, crc32c(bytes.subarray(0, bytes.length - 4)) >>> 0);
  await replaceFileAtomically(disk, joinPath(dir, resumePointsFileName), bytes);
}
