/**
 * Group coordination on a cluster broker: for each partition of the offsets topic
 * (offsets-topic.ts) this broker leads, a GroupDriver over a PartitionOffsetStore, loaded when the
 * leadership starts and dropped when it ends (its held JoinGroup/SyncGroup answers then become
 * NOT_COORDINATOR and clients find the new coordinator). FindCoordinator names the leader of the
 * group's offsets partition, and asks the controller to create the offsets topic the first time a
 * group is looked up (once enough brokers are live for its replication factor).
 */
import type { Io, Log } from '../io/index.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { GroupDriver, type GroupCoordinatorConfig } from '../broker/group-driver.ts';
import type { GroupRouter } from '../broker/group-router.ts';
import type { TopicStore } from '../broker/topic-store.ts';
import type { ClusterMember } from './cluster-member.ts';
import type { PartitionReplica } from './partition-replica.ts';
import { offsetsPartitionFor, offsetsTopicName, PartitionOffsetStore } from './offsets-topic.ts';

interface Coordinated {
  readonly replica: PartitionReplica;
  readonly leaderEpoch: number;
  /** Null while the partition is being loaded. */
  driver: GroupDriver | null;
  /** The load failed: the next look-up (or leadership change) starts over. */
  failed: boolean;
}

export interface CoordinatorAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export class ClusterGroups implements GroupRouter {
  private readonly held = new Map<number, Coordinated>();
  private creating = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly io: Io,
    private readonly topics: TopicStore,
    private readonly member: ClusterMember,
    private readonly config: GroupCoordinatorConfig,
    private readonly log: Log,
  ) {
    this.unsubscribe = member.onLeadershipChanged(() => this.refresh());
  }

  route(groupId: string): GroupDriver | number {
    const topic = this.topics.get(offsetsTopicName);
    if (topic === undefined || this.stopped) return ErrorCode.NOT_COORDINATOR;
    // Out of its session lease, this broker may have been fenced and replaced as coordinator: its
    // committed offsets may be stale (clients look the coordinator up again).
    if (!this.member.sessionLeaseHeld()) return ErrorCode.NOT_COORDINATOR;
    const index = offsetsPartitionFor(groupId, topic.partitions.length);
    this.follow(index, topic.partitions[index]?.replica ?? null);
    const held = this.held.get(index);
    if (held !== undefined) return held.driver ?? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    // Named leader but not accepting writes yet (its epoch is being recorded): the load comes next.
    return topic.partitions[index]?.replica?.role === 'leader' ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  all(): readonly GroupDriver[] {
    return [...this.held.values()].flatMap((h) => (h.driver === null ? [] : [h.driver]));
  }

  /** FindCoordinator for a group: the leader of its offsets partition, as the image names it. */
  findCoordinator(groupId: string): CoordinatorAnswer {
    const image = this.member.image();
    const topic = image.topic(offsetsTopicName);
    if (topic === undefined) return notAvailable(this.createTopic());
    const p = topic.partitions[offsetsPartitionFor(groupId, topic.partitions.length)]!;
    const broker = p.leader < 0 ? undefined : image.broker(p.leader);
    if (broker === undefined || broker.fenced) return notAvailable(`offsets partition ${p.partition} has no live leader yet`);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.brokerId, host: broker.host, port: broker.port };
  }

  /** Drops every coordinator (held answers become NOT_COORDINATOR) and waits for their pending writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    const drivers = this.all();
    this.held.clear();
    await Promise.all(drivers.map((d) => d.stop()));
  }

  /** After a leadership change of any replica: load what this broker now leads, drop what it no longer does. */
  private refresh(): void {
    if (this.stopped) return;
    const topic = this.topics.get(offsetsTopicName);
    for (const [index, held] of [...this.held]) {
      if (topic?.partitions[index]?.replica !== held.replica) this.drop(index, held);
    }
    topic?.partitions.forEach((p, index) => this.follow(index, p.replica));
  }

  private follow(index: number, replica: PartitionReplica | null): void {
    const held = this.held.get(index);
    const leading = replica !== null && replica.leading;
    if (held !== undefined && (!leading || held.replica !== replica || held.leaderEpoch !== replica.leaderEpoch || held.failed)) this.drop(index, held);
    if (leading && !this.held.has(index) && !this.stopped) this.load(index, replica);
  }

  private load(index: number, replica: PartitionReplica): void {
    const held: Coordinated = { replica, leaderEpoch: replica.leaderEpoch, driver: null, failed: false };
    this.held.set(index, held);
    const log = this.log.child({ component: 'groups', offsetsPartition: index });
    const store = new PartitionOffsetStore(this.io, replica.partition, replica, held.leaderEpoch, this.member.config.offsetsCommitTimeoutMs, this.member.bugs.offsetsAckBeforeReplication === true);
    GroupDriver.withStore(this.io, store, this.config, log, `groups-${index}-${held.leaderEpoch}`).then(
      (driver) => {
        if (this.held.get(index) === held && !this.stopped) {
          held.driver = driver;
          log.info('GroupCoordinatorLoaded', { leaderEpoch: held.leaderEpoch });
        } else void driver.stop();
      },
      (error: unknown) => {
        held.failed = true;
        log.warn('GroupCoordinatorLoadFailed', { leaderEpoch: held.leaderEpoch, error: String(error), hint: 'clients get COORDINATOR_LOAD_IN_PROGRESS; the load starts over on their next request' });
      },
    );
  }

  private drop(index: number, held: Coordinated): void {
    this.held.delete(index);
    if (held.driver !== null) {
      this.log.info('GroupCoordinatorUnloaded', { offsetsPartition: index, leaderEpoch: held.leaderEpoch });
      void held.driver.stop();
    }
  }

  /** Asks the controller (once at a time) to create the offsets topic; says why clients wait. */
  private createTopic(): string {
    const { offsetsTopicPartitions: numPartitions, offsetsTopicReplicationFactor: replicationFactor } = this.member.config;
    const live = this.member.image().brokers().filter((b) => !b.fenced).length;
    if (live < replicationFactor) return `the offsets topic needs ${replicationFactor} live brokers (its replication factor), ${live} are live`;
    if (!this.creating && !this.stopped) {
      this.creating = true;
      void this.member.link.controller
        .createTopics([{ name: offsetsTopicName, numPartitions, replicationFactor }])
        .catch(() => undefined)
        .finally(() => (this.creating = false));
    }
    return 'the offsets topic is being created';
  }
}

function notAvailable(errorMessage: string): CoordinatorAnswer {
  return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage, nodeId: -1, host: '', port: -1 };
}
