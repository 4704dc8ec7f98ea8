/**
 * Files that are read whole and replaced whole (a partition's log start offset and recovery's resume
 * points, the leader-epoch checkpoint, the topic table): read in one go, and replaced atomically by
 * writing `<path>.tmp` afresh, fsyncing it, renaming it over `<path>` and fsyncing the directory, so
 * a crash leaves the old contents or the new, never a torn mix.
 */
import { DiskError, dirName, type Disk } from './disk.ts';

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

/** Replaces the file at `path` with `bytes` (resolves once that survives a crash). */
export async function replaceFileAtomically(disk: Disk, path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp`;
  await disk.remove(temp);
  const file = await disk.open(temp, { create: true });
  try {
    await file.append(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await disk.rename(temp, path);
  await disk.syncDir(dirName(path));
}
