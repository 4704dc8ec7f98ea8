import { describe, expect, it } from 'vitest';
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

const table: TopicTable = { generation: 4n, topics: [{ name: 'orders', id: 'ab'.repeat(16), partitions: 3 }] };

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
});
