/**
 * Partition log append throughput on the real disk, with fsync before acknowledgement (the default
 * flush policy), next to the raw limit measured in the same run: plain sequential writes of the same
 * batches with node:fs, each followed by fdatasync, one batch at a time.
 *
 *   npx tsx bench/log-append.ts [--seconds 3] [--dir /path/on/the/disk/to/measure]
 *
 * Batches are what a client sends: 100 records of 256-byte values (about 27 KB), encoded up front so
 * the producer's cost is not counted. Three log runs: one append in flight (the same shape as the raw
 * loop), then 8 and 32 in flight, where group commit lets appends share an fsync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nullLog } from '../src/core/io/log.ts';
import { PartitionLog, defaultPartitionLogConfig } from '../src/core/log/partition-log.ts';
import { encodeRecordBatch } from '../src/core/log/record-batch.ts';
import { realIo } from '../src/io-real/index.ts';

const recordsPerBatch = 100;
const valueBytes = 256;

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const seconds = Number(argument('seconds', '3'));
const baseDir = argument('dir', tmpdir());

function makeBatches(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, b) => {
    const records = Array.from({ length: recordsPerBatch }, (_, i) => {
      const value = new Uint8Array(valueBytes);
      for (let j = 0; j < valueBytes; j++) value[j] = (b * 31 + i * 7 + j) & 0xff;
      return { key: null, value, timestampDelta: i };
    });
    return encodeRecordBatch({ records, baseTimestamp: BigInt(Date.now()) });
  });
}

interface Result {
  name: string;
  batches: number;
  bytes: number;
  elapsedMs: number;
}

function report(result: Result, raw?: Result): string {
  const mbPerSecond = result.bytes / 1e6 / (result.elapsedMs / 1000);
  const batchesPerSecond = result.batches / (result.elapsedMs / 1000);
  const vsRaw = raw === undefined ? '' : `  ${((mbPerSecond / (raw.bytes / 1e6 / (raw.elapsedMs / 1000))) * 100).toFixed(0)}% of raw`;
  return `${result.name.padEnd(34)} ${mbPerSecond.toFixed(1).padStart(7)} MB/s ${batchesPerSecond.toFixed(0).padStart(7)} appends/s ${(batchesPerSecond * recordsPerBatch).toFixed(0).padStart(9)} records/s${vsRaw}`;
}

async function rawWriteSync(dir: string, batches: Uint8Array[]): Promise<Result> {
  const file = await open(path.join(dir, 'raw.bin'), 'w');
  let position = 0;
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const batch = batches[count % batches.length]!;
    let done = 0;
    while (done < batch.length) done += (await file.write(batch, done, batch.length - done, position + done)).bytesWritten;
    await file.datasync();
    position += batch.length;
    count++;
  }
  const elapsedMs = performance.now() - start;
  await file.close();
  return { name: 'raw: write + fdatasync per batch', batches: count, bytes: position, elapsedMs };
}

async function logAppend(dir: string, batches: Uint8Array[], inFlight: number): Promise<Result> {
  const io = realIo({ dataDir: dir, log: nullLog });
  const { log } = await PartitionLog.open(io, `bench-${inFlight}`, defaultPartitionLogConfig);
  let count = 0;
  let bytes = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - start < seconds * 1000) {
      const batch = batches[count % batches.length]!;
      count++;
      bytes += batch.length;
      await log.append(batch);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsedMs = performance.now() - start;
  await log.stop();
  return { name: `log: fsync-before-ack, ${inFlight} in flight`, batches: count, bytes, elapsedMs };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(baseDir, 'chronik-bench-'));
  try {
    const batches = makeBatches(64);
    console.log(`batch: ${recordsPerBatch} records x ${valueBytes} B values = ${batches[0]!.length} bytes; ${seconds} s per run; dir ${dir}`);
    const raw = await rawWriteSync(dir, batches);
    console.log(report(raw));
    for (const inFlight of [1, 8, 32]) console.log(report(await logAppend(dir, batches, inFlight), raw));
    const rawAgain = await rawWriteSync(dir, batches);
    console.log(report({ ...rawAgain, name: 'raw again (drift check)' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
