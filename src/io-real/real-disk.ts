import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { DiskError, type Disk, type DiskErrorCode, type DiskFile } from '../core/io/disk.ts';

function toDiskError(error: unknown, what: string): DiskError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const known: DiskErrorCode[] = ['ENOENT', 'EEXIST', 'ENOSPC', 'EIO'];
  const mapped = known.find((k) => k === code) ?? (code === 'EDQUOT' ? 'ENOSPC' : 'EOTHER');
  return new DiskError(mapped, `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * The disk interface over node:fs under one root directory. Every file serialises its operations
 * (the next starts when the previous settled), which gives the same in-order semantics as the
 * simulated disk; sync() is fdatasync, syncDir() fsyncs the directory.
 */
export class RealDisk implements Disk {
  constructor(readonly root: string) {}

  private abs(relative: string): string {
    return path.join(this.root, relative);
  }

  async open(relative: string, options?: { create?: boolean }): Promise<DiskFile> {
    const flags = options?.create === true ? constants.O_RDWR | constants.O_CREAT : constants.O_RDWR;
    try {
      const handle = await fs.open(this.abs(relative), flags, 0o644);
      const { size } = await handle.stat();
      return new RealFile(relative, handle, size);
    } catch (error) {
      throw toDiskError(error, `open ${relative}`);
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return (await fs.readdir(this.abs(dir))).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw toDiskError(error, `list ${dir}`);
    }
  }

  async mkdir(dir: string): Promise<void> {
    await fs.mkdir(this.abs(dir), { recursive: true }).catch((error: unknown) => {
      throw toDiskError(error, `mkdir ${dir}`);
    });
  }

  async exists(relative: string): Promise<boolean> {
    return fs.access(this.abs(relative)).then(
      () => true,
      () => false,
    );
  }

  async rename(from: string, to: string): Promise<void> {
    await fs.rename(this.abs(from), this.abs(to)).catch((error: unknown) => {
      throw toDiskError(error, `rename ${from} -> ${to}`);
    });
  }

  async remove(relative: string): Promise<void> {
    await fs.rm(this.abs(relative), { force: true }).catch((error: unknown) => {
      throw toDiskError(error, `remove ${relative}`);
    });
  }

  async syncDir(dir: string): Promise<void> {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(this.abs(dir), constants.O_RDONLY);
      await handle.sync();
    } catch (error) {
      throw toDiskError(error, `syncDir ${dir}`);
    } finally {
      await handle?.close();
    }
  }
}

class RealFile implements DiskFile {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    private sizeBytes: number,
  ) {}

  size(): number {
    return this.sizeBytes;
  }

  /** Runs `op` after every earlier operation on this file has settled. */
  private serial<T>(what: string, op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op).catch((error: unknown) => {
      throw error instanceof DiskError ? error : toDiskError(error, `${what} ${this.path}`);
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  append(data: Uint8Array): Promise<void> {
    const position = this.sizeBytes;
    this.sizeBytes += data.length;
    return this.serial('append', () => this.writeAll(position, data)).catch((error: unknown) => {
      this.sizeBytes = Math.min(this.sizeBytes, position);
      throw error;
    });
  }

  appendChunks(chunks: readonly Uint8Array[]): Promise<void> {
    const position = this.sizeBytes;
    const total = chunks.reduce((n, c) => n + c.length, 0);
    this.sizeBytes += total;
    return this.serial('append', () => this.writevAll(position, chunks)).catch((error: unknown) => {
      this.sizeBytes = Math.min(this.sizeBytes, position);
      throw error;
    });
  }

  /** writev until every byte is written (a short write resumes mid-chunk). */
  private async writevAll(position: number, chunks: readonly Uint8Array[]): Promise<void> {
    let pending = chunks.filter((c) => c.length > 0);
    let at = position;
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, at);
      at += bytesWritten;
      let skip = bytesWritten;
      while (pending.length > 0 && skip >= pending[0]!.length) skip -= pending.shift()!.length;
      if (skip > 0) pending = [pending[0]!.subarray(skip), ...pending.slice(1)];
    }
  }

  write(position: number, data: Uint8Array): Promise<void> {
    this.sizeBytes = Math.max(this.sizeBytes, position + data.length);
    return this.serial('write', () => this.writeAll(position, data));
  }

  private async writeAll(position: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }

  read(position: number, length: number): Promise<Uint8Array> {
    return this.serial('read', async () => {
      const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.sizeBytes - position)));
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
    });
  }

  sync(): Promise<void> {
    return this.serial('sync', () => this.handle.datasync());
  }

  truncate(size: number): Promise<void> {
    this.sizeBytes = size;
    return this.serial('truncate', () => this.handle.truncate(size));
  }

  close(): Promise<void> {
    return this.serial('close', () => this.handle.close());
  }
}
