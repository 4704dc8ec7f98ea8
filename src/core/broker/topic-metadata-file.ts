/**
 * The broker's topic table on disk: names, topic ids, partition counts and config overrides, as one
 * small checksummed file kept in two copies (`topics.meta.0`, `topics.meta.1`), both rewritten on
 * every change.
 *
 * Format of each copy: "CHTM" | u32 format version | u64 generation | u32 payload length |
 * u32 CRC-32C of the payload | payload (UTF-8 JSON).
 * - version 1: { topics: [{ name, id, partitions }] } (read: every topic has no overrides)
 * - version 2 (written): { topics: [{ name, id, partitions, configs: { "retention.ms": "60000", ... } }] }
 * A broker that knows only version 1 refuses a version-2 copy rather than forget the overrides.
 *
 * Each copy is replaced atomically: write `<name>.tmp`, fsync it, rename over the copy, fsync the
 * directory. A crash leaves each copy either old or new; a flipped bit in one copy leaves the other.
 * load() takes the valid copy with the highest generation; it fails only when copies exist and none
 * is valid (the broker then refuses to start rather than forget topics).
 */
import { crc32c } from '@node-rs/crc32';
import { joinPath, replaceFileAtomically, type Disk } from '../io/index.ts';
import { topicMetadataFileBytesMax } from '../limits.ts';
import type { TopicConfigOverrides } from '../metadata/topic-config.ts';

export interface TopicRecord {
  readonly name: string;
  /** 32 hex digits (a Kafka topic id is 16 random bytes). */
  readonly id: string;
  readonly partitions: number;
  /** The topic's config overrides (topic-config.ts); {} when it has none. */
  readonly configs: TopicConfigOverrides;
}

export interface TopicTable {
  readonly generation: bigint;
  readonly topics: readonly TopicRecord[];
}

const magic = [0x43, 0x48, 0x54, 0x4d]; // "CHTM"
const formatVersion = 2;
const formatVersionsRead = [1, 2];
const headerBytes = 4 + 4 + 8 + 4 + 4;
export const topicMetadataCopies = ['topics.meta.0', 'topics.meta.1'] as const;

export class TopicMetadataError extends Error {
  override name = 'TopicMetadataError';
}

export function encodeTopicTable(table: TopicTable): Uint8Array {
  const payload = new TextEncoder().encode(JSON.stringify({ topics: table.topics }));
  const out = new Uint8Array(headerBytes + payload.length);
  const view = new DataView(out.buffer);
  out.set(magic, 0);
  view.setUint32(4, formatVersion);
  view.setBigUint64(8, table.generation);
  view.setUint32(16, payload.length);
  view.setUint32(20, crc32c(payload) >>> 0);
  out.set(payload, headerBytes);
  return out;
}

/** The table in `bytes`, or a reason it is not a valid copy. */
export function decodeTopicTable(bytes: Uint8Array): TopicTable | string {
  if (bytes.length < headerBytes) return `short file (${bytes.length} bytes)`;
  if (!magic.every((b, i) => bytes[i] === b)) return 'bad magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4);
  if (!formatVersionsRead.includes(version)) return `format version ${version}`;
  const length = view.getUint32(16);
  if (length !== bytes.length - headerBytes) return `payload length ${length}, file holds ${bytes.length - headerBytes}`;
  const payload = bytes.subarray(headerBytes);
  if ((crc32c(payload) >>> 0) !== view.getUint32(20)) return 'crc mismatch';
  try {
    const parsed = JSON.parse(new TextDecoder().decode(payload)) as { topics?: unknown };
    if (!Array.isArray(parsed.topics) || !parsed.topics.every((t) => isTopicRecord(t, version))) return 'bad payload shape';
    const topics = parsed.topics.map((t: StoredTopicRecord) => ({ name: t.name, id: t.id, partitions: t.partitions, configs: t.configs ?? {} }));
    return { generation: view.getBigUint64(8), topics };
  } catch {
    return 'payload is not JSON';
  }
}

/** A topic as a copy holds it: version 1 has no configs. */
type StoredTopicRecord = Omit<TopicRecord, 'configs'> & { readonly configs?: TopicConfigOverrides };

function isTopicRecord(value: unknown, version: number): value is StoredTopicRecord {
  const v = value as StoredTopicRecord;
  if (typeof v !== 'object' || v === null || typeof v.name !== 'string' || typeof v.id !== 'string' || !Number.isInteger(v.partitions) || v.partitions <= 0) return false;
  if (version === 1) return v.configs === undefined;
  return isConfigMap(v.configs);
}

function isConfigMap(value: unknown): value is TopicConfigOverrides {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

async function readCopy(disk: Disk, path: string): Promise<TopicTable | string | null> {
  if (!(await disk.exists(path))) return null;
  const file = await disk.open(path);
  try {
    const size = file.size();
    if (size > topicMetadataFileBytesMax + headerBytes) return `file of ${size} bytes is above the limit`;
    return decodeTopicTable(await file.read(0, size));
  } finally {
    await file.close();
  }
}

/** Loads the newest valid copy; an empty table when no copy exists. Throws TopicMetadataError when copies exist but none is valid. */
export async function loadTopicTable(disk: Disk, dir: string): Promise<{ table: TopicTable; problems: string[] }> {
  const problems: string[] = [];
  let best: TopicTable | null = null;
  let found = 0;
  for (const name of topicMetadataCopies) {
    const copy = await readCopy(disk, joinPath(dir, name));
    if (copy === null) continue;
    found++;
    if (typeof copy === 'string') problems.push(`${name}: ${copy}`);
    else if (best === null || copy.generation > best.generation) best = copy;
  }
  if (best !== null) return { table: best, problems };
  if (found > 0) throw new TopicMetadataError(`no valid topic metadata copy in '${dir}': ${problems.join('; ')}`);
  return { table: { generation: 0n, topics: [] }, problems };
}

/** Replaces both copies with `table`, one after the other, each atomically and durably. */
export async function storeTopicTable(disk: Disk, dir: string, table: TopicTable): Promise<void> {
  const bytes = encodeTopicTable(table);
  for (const name of topicMetadataCopies) await replaceFileAtomically(disk, joinPath(dir, name), bytes);
}
