/**
 * The log start offset when DeleteRecords moved it inside the first segment (Kafka keeps the same
 * number in its log-start-offset-checkpoint file): one small file in the partition directory.
 *
 *   log-start-offset := magic u8 = 1 | offset i64 | crc32c u32 of the 9 bytes before it   (big-endian)
 *
 * Written as `log-start-offset.tmp`, fsynced, renamed over `log-start-offset`, directory fsynced: a
 * crash leaves the old value or the new one, never a torn one. Without the file (or with one that
 * fails its check) the start is the first segment's base offset.
 */
import { crc32c } from '@node-rs/crc32';
import { joinPath, type Disk } from '../io/disk.ts';
import { readFileIfExists, replaceFileAtomically } from '../io/whole-file.ts';

export const logStartOffsetFileName = 'log-start-offset';
const magic = 1;
const fileBytes = 13;

/** The stored start offset, null when there is none; a damaged file is reported through `problem`. */
export async function readLogStartOffset(disk: Disk, dir: string): Promise<{ offset: bigint | null; problem: string | null }> {
  const bytes = await readFileIfExists(disk, joinPath(dir, logStartOffsetFileName));
  if (bytes === null) return { offset: null, problem: null };
  if (bytes.length !== fileBytes) return { offset: null, problem: `${bytes.length} bytes, expected ${fileBytes}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== magic) return { offset: null, problem: `magic ${view.getUint8(0)}` };
  if ((crc32c(bytes.subarray(0, 9)) >>> 0) !== view.getUint32(9)) return { offset: null, problem: 'crc mismatch' };
  return { offset: view.getBigInt64(1), problem: null };
}

/** Makes `offset` the durable start offset (resolves once it survives a crash). */
export async function writeLogStartOffset(disk: Disk, dir: string, offset: bigint): Promise<void> {
  const bytes = new Uint8Array(fileBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, magic);
  view.setBigInt64(1, offset);
  view.setUint32(9, crc32c(bytes.subarray(0, 9)) >>> 0);
  await replaceFileAtomically(disk, joinPath(dir, logStartOffsetFileName), bytes);
}
