/**
 * The metadata state machine: applies committed metadata records to the image. Deterministic (no
 * clock, no randomness), so every node that applies the same records in the same order holds the
 * same image. A record that no longer fits the image when it is applied (a topic created twice by
 * two racing proposals, a change for a deleted topic) is skipped, the same way everywhere.
 */
import { assertionFailed, unreachable } from '../assert.ts';
import type { Entry } from '../raft/types.ts';
import type { StateMachine } from '../raft/raft-node.ts';
import type { BrokerInfo, MetadataImage, PartitionInfo, ProducerIdBlock, TopicInfo } from './image.ts';
import type { MetadataRecord } from './records.ts';
import { decodeRecord } from './records.ts';
import { cleanElection, type ControllerBugs } from './partition-policy.ts';

/**
 * The snapshot: JSON of the whole image. `producerIds` was added later: a snapshot without it was
 * taken before any ProducerIds record existed, so it restores as "no id handed out yet".
 */
interface Snapshot {
  readonly appliedIndex: number;
  readonly brokers: BrokerInfo[];
  readonly topics: TopicInfo[];
  readonly producerIds?: { readonly nextProducerId: number; readonly lastBlock: ProducerIdBlock | null };
}

export class MetadataStateMachine implements StateMachine, MetadataImage {
  private brokerMap = new Map<number, BrokerInfo>();
  private topicMap = new Map<string, TopicInfo>();
  appliedIndex = 0;
  nextProducerId = 0;
  lastProducerIdBlock: ProducerIdBlock | null = null;
  recordsApplied = 0;
  recordsSkipped = 0;
  /** Called after each record is applied (or skipped), e.g. to wake waiting controllers. */
  onApplied: ((index: number, record: MetadataRecord, applied: boolean) => void) | null = null;
  /** Called after every change of the image (a record applied, a snapshot restored): the brokers follow it. */
  readonly changeListeners = new Set<() => void>();

  /** `bugs`: test-only planted controller bugs (restartKeepsLeadership is applied here). */
  constructor(private readonly bugs: ControllerBugs = {}) {}

  // ---- MetadataImage ----------------------------------------------------------------------------

  broker(brokerId: number): BrokerInfo | undefined {
    return this.brokerMap.get(brokerId);
  }
  brokers(): readonly BrokerInfo[] {
    return [...this.brokerMap.values()];
  }
  topic(name: string): TopicInfo | undefined {
    return this.topicMap.get(name);
  }
  topics(): readonly TopicInfo[] {
    return [...this.topicMap.values()];
  }

  // ---- StateMachine -----------------------------------------------------------------------------

  apply(entry: Entry): void {
    if (entry.index <= this.appliedIndex) assertionFailed(`apply ${entry.index} after ${this.appliedIndex}`);
    const record = decodeRecord(entry.data);
    const applied = this.applyRecord(record, entry.index);
    this.appliedIndex = entry.index;
    if (applied) this.recordsApplied++;
    else this.recordsSkipped++;
    this.onApplied?.(entry.index, record, applied);
    // Skipped records notify too: a broker waiting for the image to reach an index needs every step.
    for (const listener of [...this.changeListeners]) listener();
  }

  snapshot(): Uint8Array {
    const snap: Snapshot = {
      appliedIndex: this.appliedIndex,
      brokers: this.brokers().slice(),
      topics: this.topics().slice(),
      producerIds: { nextProducerId: this.nextProducerId, lastBlock: this.lastProducerIdBlock },
    };
    return new TextEncoder().encode(JSON.stringify(snap));
  }

  restore(data: Uint8Array): void {
    const snap = JSON.parse(new TextDecoder().decode(data)) as Snapshot;
    this.appliedIndex = snap.appliedIndex;
    this.brokerMap = new Map(snap.brokers.map((b) => [b.brokerId, b]));
    this.topicMap = new Map(snap.topics.map((t) => [t.name, t]));
    this.nextProducerId = snap.producerIds?.nextProducerId ?? 0;
    this.lastProducerIdBlock = snap.producerIds?.lastBlock ?? null;
    for (const listener of [...this.changeListeners]) listener();
  }

  /** A digest of the whole image (for checkers: equal images, equal digests). */
  digest(): string {
    const text = new TextDecoder().decode(this.snapshot());
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    return `${this.appliedIndex}:${h.toString(16)}`;
  }

  // ---- records ----------------------------------------------------------------------------------

  private applyRecord(r: MetadataRecord, index: number): boolean {
    switch (r.type) {
      case 'RegisterBroker': {
        const again = this.brokerMap.has(r.brokerId);
        this.brokerMap.set(r.brokerId, { brokerId: r.brokerId, host: r.host, port: r.port, epoch: index, fenced: false });
        if (again && this.bugs.restartKeepsLeadership !== true) this.electAwayFrom(r.brokerId);
        return true;
      }
      case 'FenceBroker':
      case 'UnfenceBroker':
        return this.setFenced(r.brokerId, r.epoch, r.type === 'FenceBroker');
      case 'CreateTopic':
        return this.createTopic(r.name, r.topicId, r.replicas, r.configs);
      case 'AlterTopicConfigs': {
        const t = this.topicMap.get(r.name);
        if (t === undefined || t.topicId !== r.topicId) return false;
        const { configs: _old, ...rest } = t;
        this.topicMap.set(r.name, Object.keys(r.configs).length === 0 ? rest : { ...rest, configs: { ...r.configs } });
        return true;
      }
      case 'CreatePartitions':
        return this.addPartitions(r.name, r.topicId, r.replicas);
      case 'DeleteTopic': {
        const topic = this.topicMap.get(r.name);
        if (topic === undefined || topic.topicId !== r.topicId) return false;
        this.topicMap.delete(r.name);
        return true;
      }
      case 'ChangePartitionLeader':
        return this.updatePartition(r.topic, r.partition, (p) => {
          const isr = r.isr ?? p.isr;
          const ok =
            r.leaderEpoch > p.leaderEpoch &&
            (r.partitionEpoch === undefined || r.partitionEpoch === p.partitionEpoch) &&
            (r.leader === -1 || (p.replicas.includes(r.leader) && isr.includes(r.leader))) &&
            isr.every((b) => p.replicas.includes(b));
          return ok ? { ...p, leader: r.leader, leaderEpoch: r.leaderEpoch, isr: [...isr], partitionEpoch: p.partitionEpoch + 1 } : null;
        });
      case 'ChangeIsr':
        return this.updatePartition(r.topic, r.partition, (p) =>
          r.leaderEpoch !== p.leaderEpoch || r.partitionEpoch !== p.partitionEpoch || !r.isr.every((b) => p.replicas.includes(b))
            ? null
            : { ...p, isr: [...r.isr], partitionEpoch: p.partitionEpoch + 1 },
        );
      case 'ProducerIds':
        return this.giveProducerIds(r);
      default:
        return unreachable(r);
    }
  }

  /**
   * A broker registered anew (it restarted): every partition it led gets a new leader from the rest
   * of its ISR and a higher leader epoch, in the same record, so the restarted broker never leads
   * again under an epoch it led before. Its followers may hold batches it had written but not synced
   * when it stopped (they copy up to the leader's log end); under the old epoch it would write other
   * batches at those offsets and no follower could tell by epoch that their logs differ. With no
   * other live ISR member the partition is leaderless until the controller elects again (it may
   * elect this broker, under a new epoch). Partitions it follows keep it in their ISR: it reported
   * only what it held durably, so its log still holds everything below their high watermark.
   */
  private electAwayFrom(brokerId: number): void {
    const live = (b: number): boolean => b !== brokerId && this.brokerMap.get(b)?.fenced === false;
    for (const t of [...this.topicMap.values()]) {
      for (const p of t.partitions) {
        if (p.leader !== brokerId) continue;
        const next = cleanElection(p, live);
        this.updatePartition(t.name, p.partition, (q) => ({ ...q, leader: next.leader, leaderEpoch: q.leaderEpoch + 1, isr: [...next.isr], partitionEpoch: q.partitionEpoch + 1 }));
      }
    }
  }

  private setFenced(brokerId: number, epoch: number, fenced: boolean): boolean {
    const b = this.brokerMap.get(brokerId);
    if (b === undefined || b.epoch !== epoch || b.fenced === fenced) return false;
    this.brokerMap.set(brokerId, { ...b, fenced });
    return true;
  }

  /** A compare-and-set on nextProducerId, for a registered, unfenced broker of that epoch only. */
  private giveProducerIds(r: Extract<MetadataRecord, { type: 'ProducerIds' }>): boolean {
    const b = this.brokerMap.get(r.brokerId);
    if (b === undefined || b.epoch !== r.brokerEpoch || b.fenced) return false;
    if (r.firstProducerId !== this.nextProducerId || r.nextProducerId <= r.firstProducerId) return false;
    const { brokerId, brokerEpoch, firstProducerId, nextProducerId } = r;
    this.nextProducerId = nextProducerId;
    this.lastProducerIdBlock = { brokerId, brokerEpoch, firstProducerId, nextProducerId };
    return true;
  }

  private createTopic(name: string, topicId: string, replicas: readonly (readonly number[])[], configs: Readonly<Record<string, string>> | undefined): boolean {
    if (this.topicMap.has(name) || replicas.length === 0) return false;
    const partitions: PartitionInfo[] = replicas.map((r, partition) => ({
      partition,
      replicas: [...r],
      leader: r[0] ?? -1,
      leaderEpoch: 0,
      isr: [...r],
      partitionEpoch: 0,
    }));
    const hasConfigs = configs !== undefined && Object.keys(configs).length > 0;
    this.topicMap.set(name, hasConfigs ? { name, topicId, partitions, configs: { ...configs } } : { name, topicId, partitions });
    return true;
  }

  private addPartitions(name: string, topicId: string, replicas: readonly (readonly number[])[]): boolean {
    const t = this.topicMap.get(name);
    if (t === undefined || t.topicId !== topicId || replicas.length === 0) return false;
    const added: PartitionInfo[] = replicas.map((r, i) => ({
      partition: t.partitions.length + i,
      replicas: [...r],
      leader: r[0] ?? -1,
      leaderEpoch: 0,
      isr: [...r],
      partitionEpoch: 0,
    }));
    this.topicMap.set(name, { ...t, partitions: [...t.partitions, ...added] });
    return true;
  }

  private updatePartition(topic: string, partition: number, change: (p: PartitionInfo) => PartitionInfo | null): boolean {
    const t = this.topicMap.get(topic);
    const p = t?.partitions[partition];
    if (t === undefined || p === undefined) return false;
    const next = change(p);
    if (next === null) return false;
    const partitions = t.partitions.slice();
    partitions[partition] = next;
    this.topicMap.set(topic, { ...t, partitions });
    return true;
  }
}
