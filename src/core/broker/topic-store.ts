/**
 * The topics this broker holds and their partition logs.
 *
 * Layout under the broker's data dir:
 *   topics.meta.0, topics.meta.1           the topic table (see topic-metadata-file.ts)
 *   logs/<topic>~<topic id>/<partition>/   one PartitionLog per partition
 * The topic id in the directory name makes a topic re-created after a delete start from empty
 * directories even if removing the old files was interrupted.
 *
 * Ordering contract:
 * - create: the partition logs are created (and their directories made durable) before the table
 *   naming the topic is stored; the topic is visible to requests only after the table is durable.
 * - delete: the table without the topic is stored first; only then are the logs stopped and their
 *   files removed. A crash in between leaves orphan directories, which open() removes.
 * - config change: the table with the new overrides is stored first; then every running partition
 *   log gets the new config (PartitionLog.setConfig). The change is answered after both.
 * Table changes are serialized by one lock.
 */
import { assert } from '../assert.ts';
import { AsyncLock } from '../async-lock.ts';
import { DiskError, joinPath, type Io, type Log } from '../io/index.ts';
import { PartitionLog, isLogError, type LogError, type PartitionLogConfig } from '../log/index.ts';
import type { PartitionLogOptions } from '../log/partition-log.ts';
import {
  loadedTopicConfigs,
  resolveTopicConfig,
  topicLogConfig,
  type ConfigCheck,
  type TopicConfig,
  type TopicConfigDefaults,
  type TopicConfigOverrides,
} from '../metadata/topic-config.ts';
import { newTopicId } from '../metadata/topic-rules.ts';
import { PartitionProducers } from '../producer/index.ts';
import type { PartitionReplica } from '../cluster/partition-replica.ts';
import { loadTopicTable, storeTopicTable, type TopicRecord, type TopicTable } from './topic-metadata-file.ts';

export class Partition {
  /** Called with the appended bytes after every append that moved the durable end, and with 0 on delete (fetch long polls listen here). */
  readonly appendListeners = new Set<(bytes: number) => void>();
  /** Idempotent producers' sequence state (rebuilt from the log's batch headers on start). */
  readonly producers = new PartitionProducers();
  /** The offset whose fetch reads failed with CORRUPT_RECORD or IO_ERROR, and how often since one succeeded (fetch.ts). */
  unreadable: { offset: bigint; failures: number } | null = null;
  constructor(
    readonly topic: Topic,
    readonly index: number,
    readonly dir: string,
    /** null when the log could not be opened (then `openFailure` says why). */
    readonly log: PartitionLog | null,
    readonly openFailure: LogError | null,
  ) {
    assert((log === null) !== (openFailure === null), 'a partition has a log or an open failure');
  }

  /** The error that makes this partition unusable (failed to open, or failed since), or null. */
  get failure(): LogError | null {
    return this.openFailure ?? this.log?.failedWith ?? null;
  }

  notifyAppended(bytes: number): void {
    for (const listener of [...this.appendListeners]) listener(bytes);
  }

  /**
   * Replication state when the broker is part of a cluster (set by its ClusterMember); null on a
   * single-node broker, where the partition is its own leader and the high watermark is the log's
   * durable end.
   */
  replica: PartitionReplica | null = null;

  /** What consumers may read: offsets below this are on every ISR member, durably. */
  get highWatermark(): bigint {
    if (this.replica !== null) return this.replica.highWatermark;
    return this.log?.durableEndOffset ?? -1n;
  }

  /** Wakes fetches waiting on this partition because the high watermark moved (they read again). */
  notifyHighWatermark(): void {
    this.notifyAppended(highWatermarkWakeBytes);
  }
}

/** What a high-watermark move counts as for a waiting fetch: enough to end any wait, so it reads again. */
const highWatermarkWakeBytes = Number.MAX_SAFE_INTEGER;

export class Topic {
  partitions: Partition[] = [];
  deleted = false;
  private overrides: TopicConfigOverrides;
  private effective: TopicConfig;

  constructor(
    readonly name: string,
    readonly id: string,
    configs: TopicConfigOverrides,
    private readonly defaults: TopicConfigDefaults,
  ) {
    this.overrides = configs;
    this.effective = resolveTopicConfig(configs, defaults);
  }

  /** The topic's config overrides (topic-config.ts). */
  get configs(): TopicConfigOverrides {
    return this.overrides;
  }

  /** The effective values (overrides over the broker's defaults), resolved once per change. */
  get config(): TopicConfig {
    return this.effective;
  }

  setConfigs(configs: TopicConfigOverrides): void {
    this.overrides = configs;
    this.effective = resolveTopicConfig(configs, this.defaults);
  }
}

export class TopicStoreError extends Error {
  override name = 'TopicStoreError';
}

const logsDir = 'logs';

export class TopicStore {
  private readonly topicsByName = new Map<string, Topic>();
  private readonly lock = new AsyncLock();
  private partitionTotal = 0;

  private constructor(
    private readonly io: Io,
    private readonly dir: string,
    private readonly logConfig: PartitionLogConfig,
    private readonly log: Log,
    private generation: bigint,
    private readonly logOptions: PartitionLogOptions,
  ) {}

  /** Loads the topic table, removes orphan log directories, opens every partition log. */
  static async open(io: Io, dir: string, logConfig: PartitionLogConfig, logOptions: PartitionLogOptions = {}): Promise<TopicStore> {
    await io.disk.mkdir(joinPath(dir, logsDir));
    const log = io.log.child({ component: 'topics' });
    const { table, problems } = await loadTopicTable(io.disk, dir);
    for (const problem of problems) log.error('TopicMetadataCopyInvalid', { problem, hint: 'the other copy of the topic table was used; nothing to do unless it repeats (then check the disk)' });
    const store = new TopicStore(io, dir, logConfig, log, table.generation, logOptions);
    await store.removeOrphans(table);
    for (const record of table.topics) {
      const { overrides, problems: configProblems } = loadedTopicConfigs(record.configs, logConfig);
      for (const problem of configProblems) log.error('TopicConfigDropped', { topic: record.name, problem, hint: 'the topic runs with the default for that config; set it again with chronik topics alter-config' });
      const topic = new Topic(record.name, record.id, overrides, logConfig);
      topic.partitions = await store.openPartitions(topic, record.partitions);
      store.topicsByName.set(topic.name, topic);
      store.partitionTotal += record.partitions;
    }
    log.info('TopicsLoaded', { topics: table.topics.length, partitions: store.partitionTotal, generation: table.generation });
    return store;
  }

  get(name: string): Topic | undefined {
    return this.topicsByName.get(name);
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topicsByName.get(topic)?.partitions[index];
  }

  /** Every topic, in creation order. */
  all(): Topic[] {
    return [...this.topicsByName.values()];
  }

  get topicCount(): number {
    return this.topicsByName.size;
  }

  get partitionCount(): number {
    return this.partitionTotal;
  }

  /** The broker's partition-log config: the defaults of every topic config. */
  get defaultLogConfig(): PartitionLogConfig {
    return this.logConfig;
  }

  /**
   * Creates a topic with `partitions` empty partitions and the given (validated) config overrides,
   * with the given id when the cluster's metadata chose it, a new one otherwise. Rejects with
   * TopicStoreError('exists') if it exists by the time the lock is held, or with a LogError/DiskError
   * when the disk refuses.
   */
  create(name: string, partitions: number, configs: TopicConfigOverrides = {}, id?: string): Promise<Topic> {
    return this.lock.run(async () => {
      if (this.topicsByName.has(name)) throw new TopicStoreError(`topic '${name}' already exists`);
      const topic = new Topic(name, id ?? newTopicId(this.io.random), configs, this.logConfig);
      const opened = await this.openPartitions(topic, partitions);
      const failed = opened.find((p) => p.openFailure !== null);
      if (failed !== undefined) {
        await this.stopPartitions(opened);
        throw failed.openFailure!;
      }
      await this.io.disk.syncDir(joinPath(this.dir, logsDir, this.topicDirName(topic)));
      await this.io.disk.syncDir(joinPath(this.dir, logsDir));
      topic.partitions = opened;
      try {
        await this.storeTable([...this.records(), { name, id: topic.id, partitions, configs }]);
      } catch (error) {
        await this.stopPartitions(opened);
        throw error;
      }
      this.topicsByName.set(name, topic);
      this.partitionTotal += partitions;
      this.log.info('TopicCreated', { topic: name, id: topic.id, partitions, configs: JSON.stringify(configs) });
      return topic;
    });
  }

  /**
   * Grows a topic to `count` partitions: the new logs are created before the table naming them is
   * stored, like create(). Rejects with TopicStoreError when the topic is gone or already that large.
   */
  addPartitions(name: string, count: number): Promise<Topic> {
    return this.lock.run(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicStoreError(`topic '${name}' does not exist`);
      const from = topic.partitions.length;
      if (count <= from) throw new TopicStoreError(`topic '${name}' already has ${from} partitions`);
      const added = await this.openPartitions(topic, count, from);
      const failed = added.find((p) => p.openFailure !== null);
      if (failed !== undefined) {
        await this.stopPartitions(added);
        throw failed.openFailure!;
      }
      await this.io.disk.syncDir(joinPath(this.dir, logsDir, this.topicDirName(topic)));
      try {
        await this.storeTable(this.records().map((r) => (r.name === name ? { ...r, partitions: count } : r)));
      } catch (error) {
        await this.stopPartitions(added);
        throw error;
      }
      topic.partitions = [...topic.partitions, ...added];
      this.partitionTotal += count - from;
      this.log.info('PartitionsAdded', { topic: name, from, to: count });
      return topic;
    });
  }

  /**
   * Changes a topic's config overrides: `change` computes the new set from the current one under the
   * table lock (so concurrent changes never lose one another), and when it is valid the table is
   * stored, then every running partition log gets its new config. Resolves to what `change` said.
   * Rejects with TopicStoreError when the topic is gone, or with a DiskError when the table cannot be
   * stored (the topic keeps its old configs).
   */
  alterConfigs(name: string, change: (current: TopicConfigOverrides) => ConfigCheck): Promise<ConfigCheck> {
    return this.lock.run(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicStoreError(`topic '${name}' does not exist`);
      const check = change(topic.configs);
      if (!check.ok) return check;
      const configs = check.overrides;
      await this.storeTable(this.records().map((r) => (r.name === name ? { ...r, configs } : r)));
      topic.setConfigs(configs);
      const logConfig = topicLogConfig(this.logConfig, configs);
      for (const partition of topic.partitions) partition.log?.setConfig(logConfig);
      this.log.info('TopicConfigsChanged', { topic: name, configs: JSON.stringify(configs) });
      return check;
    });
  }

  /** Deletes a topic: durably forgets it, then stops its logs and removes their files. */
  delete(name: string): Promise<void> {
    return this.lock.run(async () => {
      const topic = this.topicsByName.get(name);
      if (topic === undefined) throw new TopicStoreError(`topic '${name}' does not exist`);
      await this.storeTable(this.records().filter((r) => r.name !== name));
      this.topicsByName.delete(name);
      this.partitionTotal -= topic.partitions.length;
      topic.deleted = true;
      for (const partition of topic.partitions) partition.notifyAppended(0);
      await this.stopPartitions(topic.partitions);
      await this.removeTopicFiles(this.topicDirName(topic));
      this.log.info('TopicDeleted', { topic: name, id: topic.id });
    });
  }

  /**
   * Reopens every partition that failed (to open, or since), recovering its log from what is durable,
   * as a restart of the broker would: a failed log acknowledged nothing it had not fsynced, and its
   * recovery cuts what a failed write or fsync left. A partition that comes back is a new Partition
   * (new log, new producer state), handed to `prepare` (which rebuilds the producer state) before any
   * request can see it; waiters on the old one are woken. `tailAtRisk` tells `prepare` that the failed
   * log held records past its durable end (followers may have copied them); `prepare` answering
   * false keeps the partition failed. One that fails again stays failed until the next call.
   */
  reopenFailed(prepare: (partition: Partition, tailAtRisk: boolean) => Promise<unknown>): Promise<Partition[]> {
    // The common case, every second: nothing failed, and topic changes need not wait for the lock.
    if (this.all().every((topic) => topic.partitions.every((p) => p.failure === null))) return Promise.resolve([]);
    return this.lock.run(async () => {
      const reopened: Partition[] = [];
      for (const topic of this.all()) {
        for (const [index, old] of topic.partitions.entries()) {
          if (old.failure === null) continue;
          const durableEnd = old.log?.durableEndOffset ?? null;
          // The failed log held records past its durable end: they may be lost, and copied elsewhere.
          const tailAtRisk = old.log !== null && old.log.logEndOffset > old.log.durableEndOffset;
          if (old.log !== null) await old.log.stop().catch(() => undefined); // closes its files; its failure is known
          const [fresh] = await this.openPartitions(topic, index + 1, index);
          if (fresh === undefined || fresh.failure !== null) continue;
          if (durableEnd !== null && !(await this.dropUntrustedTail(fresh, durableEnd))) continue;
          if ((await prepare(fresh, tailAtRisk)) === false) {
            await fresh.log?.stop().catch(() => undefined);
            continue;
          }
          topic.partitions[index] = fresh;
          old.notifyAppended(0);
          this.log.info('PartitionReopened', { topic: topic.name, partition: index, was: old.failure.message, end: fresh.log?.logEndOffset ?? -1n });
          reopened.push(fresh);
        }
      }
      return reopened;
    });
  }

  /**
   * After a failed fsync nothing past the failed log's durable end can be trusted: on Linux the
   * failed writeback marks the pages clean, so reads (the reopen's recovery among them) may still
   * see bytes that no later fsync will ever write ("fsyncgate"). None of them was acknowledged, so
   * the reopened log is cut back to that end, which writes the truth to disk. False when the cut
   * failed (the partition stays failed and is retried).
   */
  private async dropUntrustedTail(fresh: Partition, durableEnd: bigint): Promise<boolean> {
    const log = fresh.log!;
    const end = log.logEndOffset;
    if (end <= durableEnd) return true;
    try {
      await log.truncateTo(durableEnd);
    } catch (error) {
      if (!isLogError(error)) throw error;
      await log.stop().catch(() => undefined);
      return false;
    }
    this.log.warn('PartitionTailDropped', { topic: fresh.topic.name, partition: fresh.index, from: end, to: log.logEndOffset, hint: 'records written after a failed fsync were never acknowledged and may not be on disk; dropped. If fsyncs keep failing, check the disk' });
    return true;
  }

  /** Stops every partition log (each drains and fsyncs what it accepted). Returns the failures. */
  stop(): Promise<string[]> {
    return this.lock.run(async () => {
      const partitions = this.all().flatMap((t) => t.partitions);
      return this.stopPartitions(partitions);
    });
  }

  private records(): TopicRecord[] {
    return this.all().map((t) => ({ name: t.name, id: t.id, partitions: t.partitions.length, configs: t.configs }));
  }

  private async storeTable(topics: TopicRecord[]): Promise<void> {
    const table: TopicTable = { generation: this.generation + 1n, topics };
    await storeTopicTable(this.io.disk, this.dir, table);
    this.generation = table.generation;
  }

  private topicDirName(topic: { name: string; id: string }): string {
    return `${topic.name}~${topic.id}`;
  }

  /** Opens partitions [from, count) of `topic`. */
  private async openPartitions(topic: Topic, count: number, from = 0): Promise<Partition[]> {
    const partitions: Partition[] = [];
    const logConfig = topicLogConfig(this.logConfig, topic.configs);
    for (let index = from; index < count; index++) {
      const dir = joinPath(this.dir, logsDir, this.topicDirName(topic), String(index));
      try {
        const { log } = await PartitionLog.open(this.io, dir, logConfig, this.logOptions);
        partitions.push(new Partition(topic, index, dir, log, null));
      } catch (error) {
        if (!isLogError(error)) throw error;
        this.log.error('PartitionOpenFailed', { topic: topic.name, partition: index, error: error.message, hint: 'the partition answers KAFKA_STORAGE_ERROR and the broker retries opening it every second; check the disk and the partition directory' });
        partitions.push(new Partition(topic, index, dir, null, error));
      }
    }
    return partitions;
  }

  private async stopPartitions(partitions: readonly Partition[]): Promise<string[]> {
    const failures: string[] = [];
    await Promise.all(
      partitions.map(async (p) => {
        if (p.log === null) return;
        try {
          await p.log.stop();
        } catch (error) {
          if (!isLogError(error)) throw error;
          failures.push(`${p.topic.name}-${p.index}: ${error.message}`);
          this.log.error('PartitionStopFailed', { topic: p.topic.name, partition: p.index, error: error.message, hint: 'its last writes may not be durable; the next start recovers the log from what is on disk' });
        }
      }),
    );
    return failures;
  }

  /** Removes log directories the table does not name (left by an interrupted create or delete). */
  private async removeOrphans(table: TopicTable): Promise<void> {
    const live = new Set(table.topics.map((t) => this.topicDirName(t)));
    for (const name of await this.io.disk.list(joinPath(this.dir, logsDir))) {
      if (live.has(name)) continue;
      this.log.warn('OrphanTopicDirRemoved', { dir: name, hint: 'a directory of a topic that no longer exists (a deletion interrupted by a crash) was removed; nothing to do' });
      await this.removeTopicFiles(name);
    }
  }

  /** Removes every file under logs/<topicDir>/<partition>/ (the Disk interface cannot remove directories; empty ones stay). */
  private async removeTopicFiles(topicDir: string): Promise<void> {
    const root = joinPath(this.dir, logsDir, topicDir);
    try {
      for (const partition of await this.io.disk.list(root)) {
        const dir = joinPath(root, partition);
        const files = await this.io.disk.list(dir);
        for (const file of files) await this.io.disk.remove(joinPath(dir, file));
        if (files.length > 0) await this.io.disk.syncDir(dir);
      }
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      this.log.error('TopicFilesRemoveFailed', { dir: topicDir, error: error.message, hint: 'remove the directory by hand once the broker has stopped; the topic itself is gone' });
    }
  }
}
