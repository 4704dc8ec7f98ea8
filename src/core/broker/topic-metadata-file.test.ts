import { describe, expect, it } from 'vitest';
import { crc32c } from '@node-rs/crc32';
import { Simulation } from '../../io-sim/index.ts';
import type { Disk } from '../io/index.ts';
import { TopicMetadataError, decodeTopicTable, encodeTopicTable, loadTopicTable, storeTopicTable, type TopicTable } from './topic-metadata-file.ts';

async function withDisk<T>(fn: (disk: Disk) => Promise<T>): Promise<T> {
  const sim = new Simulation({ seed: 3 });
  let disk!: Disk;
  sim.addNode('n1', (io) => void (disk = io.disk));
  await sim.run({ untilMs: 1 });
  const result = fn(disk);
  let done = false;
  result.then(() => (done = true), () => (done = true));
  while (!done) {
    sim.schedule(0, () => undefined);
    await sim.run({ until: () => done });
  }
  return result;
}

async function flipByte(disk: Disk, path: string, at: number): Promise<void> {
  const file = await disk.open(path);
  const [byte] = await file.read(at, 1);
  await file.write(at, new Uint8Array([byte! ^ 0x40]));
  await file.sync();
  await file.close();
}

const table: TopicTable = {
  generation: 4n,
  topics: [
    { name: 'orders', id: 'ab'.repeat(16), partitions: 3, configs: { 'retention.ms': '60000', 'segment.bytes': '1048576' } },
    { name: 'plain', id: 'cd'.repeat(16), partitions: 1, configs: {} },
  ],
};

/** A copy in format version 1 (before topic configs), written byte by byte as that version did. */
function formatVersion1Copy(generation: bigint, topics: Array<{ name: string; id: string; partitions: number }>): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify({ topics }));
  const out = new Uint8Array(24 + payload.length);
  const view = new DataView(out.buffer);
  out.set([0x43, 0x48, 0x54, 0x4d], 0);
  view.setUint32(4, 1);
  view.setBigUint64(8, generation);
  view.setUint32(16, payload.length);
  view.setUint32(20, crc32c(payload) >>> 0);
  out.set(payload, 24);
  return out;
}

describe('topic metadata file', () => {
  it('round-trips and rejects any flipped bit', () => {
    const bytes = encodeTopicTable(table);
    expect(decodeTopicTable(bytes)).toEqual(table);
    for (let at = 0; at < bytes.length; at++) {
      const bad = bytes.slice();
      bad[at]! ^= 1;
      const decoded = decodeTopicTable(bad);
      if (typeof decoded !== 'string') expect(decoded).not.toEqual(table); // a flip in the generation field is still a valid copy
      if (at < 8 || at >= 16) expect(typeof decoded).toBe('string');
    }
  });

  it('loads from the other copy when one rots, and refuses when both do', async () => {
    await withDisk(async (disk) => {
      expect((await loadTopicTable(disk, '')).table.topics).toEqual([]);
      await storeTopicTable(disk, '', table);
      await flipByte(disk, 'topics.meta.0', 30);
      const loaded = await loadTopicTable(disk, '');
      expect(loaded.table).toEqual(table);
      expect(loaded.problems).toEqual(['topics.meta.0: crc mismatch']);
      await flipByte(disk, 'topics.meta.1', 30);
      await expect(loadTopicTable(disk, '')).rejects.toBeInstanceOf(TopicMetadataError);
    });
  });

  it('loads a copy in the old format (version 1, no configs) as topics without overrides', async () => {
    const old = formatVersion1Copy(7n, [{ name: 'legacy', id: 'ef'.repeat(16), partitions: 2 }]);
    expect(decodeTopicTable(old)).toEqual({ generation: 7n, topics: [{ name: 'legacy', id: 'ef'.repeat(16), partitions: 2, configs: {} }] });
    await withDisk(async (disk) => {
      for (const name of ['topics.meta.0', 'topics.meta.1']) {
        const file = await disk.open(name, { create: true });
        await file.append(old);
        await file.sync();
        await file.close();
      }
      const loaded = await loadTopicTable(disk, '');
      expect(loaded.problems).toEqual([]);
      expect(loaded.table.topics).toEqual([{ name: 'legacy', id: 'ef'.repeat(16), partitions: 2, configs: {} }]);
      // The next store writes version 2, with the overrides.
      await storeTopicTable(disk, '', { generation: 8n, topics: [{ ...loaded.table.topics[0]!, configs: { 'retention.ms': '1' } }] });
      expect((await loadTopicTable(disk, '')).table.topics[0]!.configs).toEqual({ 'retention.ms': '1' });
    });
  });

  it('refuses configs that are not a map of strings, and configs in a version-1 copy', () => {
    const bad = encodeTopicTable({ generation: 1n, topics: [{ name: 't', id: 'ab'.repeat(16), partitions: 1, configs: { 'retention.ms': 5 as unknown as string } }] });
    expect(decodeTopicTable(bad)).toBe('bad payload shape');
    const v1WithConfigs = formatVersion1Copy(1n, [{ name: 't', id: 'ab'.repeat(16), partitions: 1, configs: {} } as never]);
    expect(decodeTopicTable(v1WithConfigs)).toBe('bad payload shape');
  });
});
