/**
 * Test-only: drives a PartitionLog on one simulated node (src/io-sim), whose disk keeps only synced
 * bytes across a crash (plus a torn prefix of the rest). Never imported by production code.
 */
import type { Disk, DiskFile, Io } from '../core/io/index.ts';
import { Simulation, type SimNode } from '../io-sim/index.ts';
import { encodeRecordBatch } from '../core/log/record-batch.ts';
import { PartitionLog, defaultPartitionLogConfig, type PartitionLogOptions } from '../core/log/partition-log.ts';
import type { PartitionLogConfig, RecoveryReport } from '../core/log/types.ts';

export const testLogDir = 'data/topic-0';

export const smallConfig: PartitionLogConfig = {
  ...defaultPartitionLogConfig,
  segmentBytesMax: 4096,
  indexIntervalBytes: 512,
  retentionMsMax: null,
};

export class LogHarness {
  readonly sim: Simulation;
  readonly node: SimNode;
  io!: Io;
  syncCount = 0;
  private boots = 0;

  constructor(seed = 1) {
    this.sim = new Simulation({ seed });
    this.node = this.sim.addNode('n1', (io) => {
      this.io = { ...io, disk: countingDisk(io.disk, () => this.syncCount++) };
      this.boots++;
    });
  }

  /** Runs the simulation until `promise` settles, then returns its outcome. */
  async run<T>(promise: Promise<T>): Promise<T> {
    return this.sim.runUntilSettled(promise);
  }

  async booted(): Promise<void> {
    const want = this.node.incarnationCount;
    while (this.boots < want) await this.sim.run({ until: () => this.boots >= want });
  }

  async open(config: PartitionLogConfig = smallConfig, options: PartitionLogOptions = {}): Promise<{ log: PartitionLog; recovery: RecoveryReport }> {
    await this.booted();
    return this.run(PartitionLog.open(this.io, testLogDir, config, options));
  }

  /** Power loss and a fresh boot. */
  async crashAndRestart(): Promise<void> {
    this.node.crash();
    this.node.start();
    await this.booted();
  }

  /** Advances virtual time by `ms` (timers fire). */
  async advance(ms: number): Promise<void> {
    this.sim.schedule(0, () => undefined); // let work started in microtasks schedule its events first
    await this.sim.run({ untilMs: this.sim.nowMs() + ms });
  }
}

/** A Disk that counts file syncs. */
function countingDisk(disk: Disk, onSync: () => void): Disk {
  return {
    ...disk,
    open: async (path, options) => countingFile(await disk.open(path, options), onSync),
    list: (dir) => disk.list(dir),
    mkdir: (dir) => disk.mkdir(dir),
    exists: (path) => disk.exists(path),
    rename: (from, to) => disk.rename(from, to),
    remove: (path) => disk.remove(path),
    syncDir: (dir) => disk.syncDir(dir),
  };
}

function countingFile(file: DiskFile, onSync: () => void): DiskFile {
  return {
    path: file.path,
    size: () => file.size(),
    append: (data) => file.append(data),
    appendChunks: (chunks) => file.appendChunks(chunks),
    write: (position, data) => file.write(position, data),
    read: (position, length) => file.read(position, length),
    sync: () => {
      onSync();
      return file.sync();
    },
    truncate: (size) => file.truncate(size),
    close: () => file.close(),
  };
}

/** A batch of `count` records whose values say who wrote them (`tag-i`), `valueBytes` each at least. */
export function testBatch(tag: string, count = 1, valueBytes = 0, timestampMs = 1_000n): Uint8Array {
  const records = Array.from({ length: count }, (_, i) => {
    const text = `${tag}-${i}`;
    const value = new Uint8Array(Math.max(valueBytes, text.length));
    value.set(new TextEncoder().encode(text));
    return { key: null, value, timestampDelta: i };
  });
  return encodeRecordBatch({ records, baseTimestamp: timestampMs });
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

/** Bytes of a batch with baseOffset zeroed (what a producer sent), for comparing with what was read. */
export function withoutBaseOffset(batch: Uint8Array): Uint8Array {
  const copy = batch.slice();
  new DataView(copy.buffer).setBigInt64(0, 0n);
  return copy;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
