import type { Disk, DiskFile } from '../core/io/index.ts';

/**
 * A Disk that lets a fixed number of mutating calls through and then stops: the next mutating call
 * never settles, as if the power went just before it. Reads, lists and existence checks pass. With a
 * crash of the simulated node right after, a test walks a multi-step disk operation and crashes it
 * at each step in turn (stop after 0 steps, after 1, ...). `steps` names the calls that went through.
 */
export class StoppingDisk {
  readonly steps: string[] = [];
  stopped = false;

  constructor(
    private readonly inner: Disk,
    private stepsLeft: number,
  ) {}

  /** The Disk to hand to the code under test. */
  disk(): Disk {
    const inner = this.inner;
    return {
      open: (path, options) => this.step(`open ${path}`, async () => this.file(await inner.open(path, options)), options?.create !== true),
      list: (dir) => inner.list(dir),
      mkdir: (dir) => this.step(`mkdir ${dir}`, () => inner.mkdir(dir)),
      exists: (path) => inner.exists(path),
      rename: (from, to) => this.step(`rename ${from} ${to}`, () => inner.rename(from, to)),
      remove: (path) => this.step(`remove ${path}`, () => inner.remove(path)),
      syncDir: (dir) => this.step(`syncDir ${dir}`, () => inner.syncDir(dir)),
    };
  }

  private file(inner: DiskFile): DiskFile {
    const path = inner.path;
    return {
      path,
      size: () => inner.size(),
      read: (position, length) => inner.read(position, length),
      close: () => inner.close(),
      append: (data) => this.step(`append ${path}`, () => inner.append(data)),
      appendChunks: (chunks) => this.step(`appendChunks ${path}`, () => inner.appendChunks(chunks)),
      write: (position, data) => this.step(`write ${path}`, () => inner.write(position, data)),
      sync: () => this.step(`sync ${path}`, () => inner.sync()),
      truncate: (size) => this.step(`truncate ${path}`, () => inner.truncate(size)),
    };
  }

  /** Runs `op` if steps are left (a read-only open costs none), else never settles. */
  private step<T>(name: string, op: () => Promise<T>, free = false): Promise<T> {
    if (free) return op();
    if (this.stepsLeft <= 0) {
      this.stopped = true;
      return new Promise<T>(() => {});
    }
    this.stepsLeft--;
    this.steps.push(name);
    return op();
  }
}
