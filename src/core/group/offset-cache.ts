/**
 * Committed offsets in memory: group -> topic -> partition -> latest commit. Filled from the offset
 * store on start and by every commit once it is durable. Iteration for "all offsets of a group" is
 * sorted (topic name, then partition) so answers never depend on commit order.
 */
import type { CommittedOffset } from './types.ts';

export class OffsetCache {
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private keyCount = 0;

  /** Distinct (group, topic, partition) keys held. */
  get size(): number {
    return this.keyCount;
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition);
  }

  put(record: CommittedOffset): void {
    let topics = this.groups.get(record.groupId);
    if (topics === undefined) {
      topics = new Map();
      this.groups.set(record.groupId, topics);
    }
    let partitions = topics.get(record.topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(record.topic, partitions);
    }
    if (!partitions.has(record.partition)) this.keyCount += 1;
    partitions.set(record.partition, record);
  }

  /** Forgets every committed offset of the group. */
  deleteGroup(groupId: string): void {
    const topics = this.groups.get(groupId);
    if (topics === undefined) return;
    for (const partitions of topics.values()) this.keyCount -= partitions.size;
    this.groups.delete(groupId);
  }

  /** Forgets one committed offset; the group goes when it was its last. */
  deletePartition(groupId: string, topic: string, partition: number): void {
    const topics = this.groups.get(groupId);
    const partitions = topics?.get(topic);
    if (topics === undefined || partitions === undefined || !partitions.delete(partition)) return;
    this.keyCount -= 1;
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.groups.delete(groupId);
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Every committed offset held, group by group in insertion order (unsorted: for metrics, read at each scrape). */
  *all(): IterableIterator<CommittedOffset> {
    for (const topics of this.groups.values()) {
      for (const partitions of topics.values()) yield* partitions.values();
    }
  }

  /** Every committed offset of the group, sorted by topic then partition. */
  allFor(groupId: string): CommittedOffset[] {
    const topics = this.groups.get(groupId);
    if (topics === undefined) return [];
    const out: CommittedOffset[] = [];
    for (const topic of [...topics.keys()].sort()) {
      const partitions = topics.get(topic)!;
      for (const partition of [...partitions.keys()].sort((a, b) => a - b)) out.push(partitions.get(partition)!);
    }
    return out;
  }
}
