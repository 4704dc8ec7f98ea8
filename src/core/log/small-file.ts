/**
 * The small files of a partition directory that are replaced whole (the log start offset, recovery's
 * resume points): read in one go, and replaced atomically by writing `<name>.tmp`, fsyncing it,
 * renaming it over `<name>` and fsyncing the directory, so a crash leaves the old contents or the
 * new, never a torn mix.
 */
import { DiskError, joinPath, type Disk } from '../io/disk.ts';

/** The whole file's bytes, or null when it does not exist. */
export async function readFileIfExists(disk: Disk, path: string): Promise<Uint8Array | null> {
  try {
    const file = await disk.open(path);
    try {
      return await file.read(0, file.size());
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof DiskError && error.code === 'ENOENT') return null;
    throw error;
  }
}

/** Replaces the file with `bytes` (resolves once that survives a crash). */
export async function replaceSmallFile(disk: Disk, dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = joinPath(dir, `${name}.tmp`);
  const file = await disk.open(tmp, { create: true });
  try {
    await file.truncate(0);
    await file.write(0, bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await disk.rename(tmp, joinPath(dir, name));
  await disk.syncDir(dir);
}
