/**
 * The metadata controller: the write side of cluster metadata. Runs on every controller voter next
 * to its RaftNode; only the active controller (the Raft leader) turns requests into records.
 *
 * - createTopics / deleteTopics: validated against the image, assigned replicas, proposed, and
 *   answered with Kafka error codes once the record is applied. On a node that is not the active
 *   controller they are forwarded to it over the controller transport (the Kafka broker calls
 *   these; a forwarded request that meets a leader change answers NOT_CONTROLLER, so retry).
 * - alterPartition: a partition leader's ISR change (Kafka's AlterPartition), checked and proposed.
 * - Fenced brokers leave every ISR and lose leadership to the first live ISR member; a leaderless
 *   partition gets a leader when an ISR member comes back (partition-policy.ts).
 * - allocateProducerIds: a block of clusterProducerIdBlockSize producer ids for a registered,
 *   unfenced broker of the current epoch (Kafka's AllocateProducerIds, KIP-730): a ProducerIds
 *   record (a compare-and-set on the image's nextProducerId), answered once applied. One such
 *   proposal at a time, so two brokers asking at once get disjoint blocks.
 * - registerBroker / brokerHeartbeat: a broker registers (its epoch is the record's log index)
 *   and heartbeats; heartbeats are not records. The active controller keeps the last heartbeat
 *   time in memory and proposes FenceBroker once a broker is silent for brokerSessionTimeoutMs
 *   (and UnfenceBroker when it heartbeats again). A newly elected controller gives every broker a
 *   full session before fencing it, as KRaft does. Faster, when a broker's process is gone: every
 *   node runs a voter beside its broker, so a refused dial to voter N (nothing listens on its port)
 *   with no heartbeat from broker N since fences N at once (a partition times out instead, and
 *   waits for the session).
 *
 *   forward request  := kind 10 payload: requestId:u32 json({op, args})
 *   forward response := kind 11 payload: requestId:u32 json(result)
 */
import { AsyncLock } from '../async-lock.ts';
import { reached, type Io, type Log, type Timer } from '../io/index.ts';
import { clusterProducerIdBlockSize, controllerForwardsInflightMax } from '../limits.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { RaftNode } from '../raft/raft-node.ts';
import { RaftNodeError } from '../raft/raft-node.ts';
import { noNode } from '../raft/types.ts';
import type { NodeId } from '../raft/types.ts';
import type { MetadataImage } from './image.ts';
import type { MetadataStateMachine } from './metadata-state-machine.ts';
import type { MetadataRecord } from './records.ts';
import { encodeRecord } from './records.ts';
import type { AlterPartitionRequest, ControllerBugs } from './partition-policy.ts';
import { checkAlterPartition, partitionChanges } from './partition-policy.ts';
import { newTopicId, partitionCountProblem, topicNameProblem } from './topic-rules.ts';

export interface ControllerConfig {
  readonly brokerSessionTimeoutMs: number;
  /** How long a forwarded request waits for the active controller's answer. */
  readonly forwardTimeoutMs: number;
}

export interface CreateTopicRequest {
  readonly name: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** Config overrides, validated by the broker that took the request. */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface AlterTopicConfigsRequest {
  readonly name: string;
  /** Every override the topic is to have (validated by the broker that took the request). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly topicId: string | null;
}

export interface CreatePartitionsRequest {
  readonly name: string;
  /** The partition count the topic should have. */
  readonly count: number;
}

export interface BrokerResult {
  readonly errorCode: number;
  readonly brokerEpoch: number;
  readonly fenced: boolean;
}

export interface AlterPartitionResult {
  readonly errorCode: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
}

/** A block of producer ids [firstProducerId, firstProducerId + size); -1 and 0 with an error. */
export interface ProducerIdsResult {
  readonly errorCode: number;
  readonly firstProducerId: number;
  readonly size: number;
}

export type { ControllerBugs };

type Op =
  | { readonly op: 'createTopics'; readonly args: readonly CreateTopicRequest[] }
  | { readonly op: 'deleteTopics'; readonly args: readonly string[] }
  | { readonly op: 'createPartitions'; readonly args: readonly CreatePartitionsRequest[] }
  | { readonly op: 'alterTopicConfigs'; readonly args: readonly AlterTopicConfigsRequest[] }
  | { readonly op: 'registerBroker'; readonly args: { brokerId: number; host: string; port: number } }
  | { readonly op: 'brokerHeartbeat'; readonly args: { brokerId: number; brokerEpoch: number } }
  | { readonly op: 'controlledShutdown'; readonly args: { brokerId: number; brokerEpoch: number } }
  | { readonly op: 'alterPartition'; readonly args: AlterPartitionRequest }
  | { readonly op: 'allocateProducerIds'; readonly args: { brokerId: number; brokerEpoch: number } };

export const frameKindForwardRequest = 10;
export const frameKindForwardResponse = 11;

interface Forward {
  resolve(result: unknown): void;
  readonly timer: Timer;
}

export class MetadataController {
  private readonly forwards = new Map<number, Forward>();
  private requestIdNext = 1;
  private readonly lastHeartbeatMs = new Map<number, number>();
  private wasActive = false;
  /** Partition changes proposed and not yet applied, by topic/partition/partitionEpoch. */
  private readonly changesInFlight = new Set<string>();
  private timer: Timer | null = null;
  private readonly log: Log;
  /** One ProducerIds proposal at a time: each is made from an image that holds the one before. */
  private readonly producerIdsLock = new AsyncLock();

  constructor(
    private readonly io: Io,
    private readonly node: RaftNode,
    private readonly sm: MetadataStateMachine,
    private readonly config: ControllerConfig,
    /** Test-only planted bugs (see ControllerBugs). */
    private readonly bugs: ControllerBugs = {},
  ) {
    this.log = io.log.child({ component: 'controller' });
    node.handleFrames(frameKindForwardRequest, (from, payload, reply) => this.onForwardRequest(payload, reply));
    node.handleFrames(frameKindForwardResponse, (from, payload) => this.onForwardResponse(payload));
    // A voter's process found gone (a dial refused) is its broker's process too (combined mode):
    // fence it now rather than a session later, so its leaderships move at once.
    node.peerRefusedListeners.add((id) => {
      if (this.isActive()) this.checkSessions();
    });
    // A new controller fences the brokers whose process its voter already found gone at once, not at
    // the next session check (up to a quarter session later): when the old controller's process died
    // with its broker, that broker's leaderships wait for this.
    node.becameLeaderListeners.add(() => {
      this.io.clock.setTimer(0, () => {
        if (this.isActive()) this.checkSessions();
      });
    });
    sm.onApplied = (index, record) => {
      // A broker fenced or back: move partition leadership at once, not at the next session check.
      if ((record.type === 'FenceBroker' || record.type === 'UnfenceBroker') && this.isActive()) {
        this.io.clock.setTimer(0, () => this.proposePartitionChanges());
      }
    };
    this.armSessionTimer();
  }

  /** The read-only metadata image of this node (as of its last applied record). */
  image(): MetadataImage {
    return this.sm;
  }

  isActive(): boolean {
    return this.node.role() === 'leader';
  }

  activeController(): NodeId {
    return this.node.leader();
  }

  createTopics(requests: readonly CreateTopicRequest[]): Promise<TopicResult[]> {
    return this.route({ op: 'createTopics', args: requests }, () => this.createTopicsLocally(requests));
  }

  deleteTopics(names: readonly string[]): Promise<TopicResult[]> {
    return this.route({ op: 'deleteTopics', args: names }, () => this.deleteTopicsLocally(names));
  }

  /** AlterConfigs / IncrementalAlterConfigs of topics: each topic's overrides become `configs`. */
  alterTopicConfigs(requests: readonly AlterTopicConfigsRequest[]): Promise<TopicResult[]> {
    return this.route({ op: 'alterTopicConfigs', args: requests }, () => Promise.all(requests.map((r) => this.alterTopicConfigsOf(r))));
  }

  /** Kafka's CreatePartitions: each topic grows to `count` partitions, placed like a new topic's. */
  createPartitions(requests: readonly CreatePartitionsRequest[]): Promise<TopicResult[]> {
    return this.route({ op: 'createPartitions', args: requests }, () => Promise.all(requests.map((r) => this.createPartitionsOf(r))));
  }

  registerBroker(brokerId: number, host: string, port: number): Promise<BrokerResult> {
    return this.route({ op: 'registerBroker', args: { brokerId, host, port } }, () => this.registerLocally(brokerId, host, port));
  }

  brokerHeartbeat(brokerId: number, brokerEpoch: number): Promise<BrokerResult> {
    return this.route({ op: 'brokerHeartbeat', args: { brokerId, brokerEpoch } }, () => this.heartbeatLocally(brokerId, brokerEpoch));
  }

  /**
   * Controlled shutdown: the broker is fenced at once (not after its session times out), which moves
   * every partition it leads to another ISR member and takes it out of every ISR. It stops
   * heartbeating; when it starts again it registers anew and is unfenced by its first heartbeat.
   */
  controlledShutdown(brokerId: number, brokerEpoch: number): Promise<BrokerResult> {
    return this.route({ op: 'controlledShutdown', args: { brokerId, brokerEpoch } }, () => this.controlledShutdownLocally(brokerId, brokerEpoch));
  }

  /** Kafka's AlterPartition: a partition leader changes its ISR (expand or shrink). */
  alterPartition(request: AlterPartitionRequest): Promise<AlterPartitionResult> {
    return this.route({ op: 'alterPartition', args: request }, () => this.alterPartitionLocally(request));
  }

  /** Kafka's AllocateProducerIds: the next block of producer ids for this broker. */
  allocateProducerIds(brokerId: number, brokerEpoch: number): Promise<ProducerIdsResult> {
    return this.route({ op: 'allocateProducerIds', args: { brokerId, brokerEpoch } }, () => this.allocateProducerIdsLocally(brokerId, brokerEpoch));
  }

  stop(): void {
    this.timer?.cancel();
    for (const f of this.forwards.values()) f.timer.cancel();
    this.forwards.clear();
  }

  // ---- routing ----------------------------------------------------------------------------------

  private route<T>(op: Op, local: () => Promise<T>): Promise<T> {
    if (this.isActive()) return local();
    return this.forward(op) as Promise<T>;
  }

  private forward(op: Op): Promise<unknown> {
    const leader = this.node.leader();
    if (leader === noNode || this.forwards.size >= controllerForwardsInflightMax) return Promise.resolve(notController(op));
    const id = this.requestIdNext++;
    const payload = withId(id, new TextEncoder().encode(JSON.stringify(op)));
    return new Promise((resolve) => {
      const timer = this.io.clock.setTimer(this.config.forwardTimeoutMs, () => {
        this.forwards.delete(id);
        resolve(failAll(op, ErrorCode.REQUEST_TIMED_OUT, 'the active controller did not answer in time'));
      });
      this.forwards.set(id, { resolve, timer });
      if (!this.node.sendFrame(leader, frameKindForwardRequest, payload)) {
        timer.cancel();
        this.forwards.delete(id);
        resolve(notController(op));
      }
    });
  }

  private onForwardRequest(payload: Uint8Array, reply: (kind: number, payload: Uint8Array) => void): boolean {
    const parsed = readWithId(payload);
    if (parsed === null) return false;
    const op = parseJson(parsed.body) as Op | null;
    if (op === null || typeof op !== 'object' || typeof op.op !== 'string') return false;
    const answer = (result: unknown): void => reply(frameKindForwardResponse, withId(parsed.id, new TextEncoder().encode(JSON.stringify(result))));
    if (!this.isActive()) {
      answer(notController(op));
      return true;
    }
    void this.runLocally(op).then(answer, () => answer(notController(op)));
    return true;
  }

  private onForwardResponse(payload: Uint8Array): boolean {
    const parsed = readWithId(payload);
    if (parsed === null) return false;
    const f = this.forwards.get(parsed.id);
    if (f === undefined) return true; // timed out already
    this.forwards.delete(parsed.id);
    f.timer.cancel();
    const result = parseJson(parsed.body);
    if (result === null) return false;
    f.resolve(result);
    return true;
  }

  private runLocally(op: Op): Promise<unknown> {
    switch (op.op) {
      case 'createTopics':
        return this.createTopicsLocally(op.args);
      case 'deleteTopics':
        return this.deleteTopicsLocally(op.args);
      case 'createPartitions':
        return Promise.all(op.args.map((r) => this.createPartitionsOf(r)));
      case 'alterTopicConfigs':
        return Promise.all(op.args.map((r) => this.alterTopicConfigsOf(r)));
      case 'registerBroker':
        return this.registerLocally(op.args.brokerId, op.args.host, op.args.port);
      case 'brokerHeartbeat':
        return this.heartbeatLocally(op.args.brokerId, op.args.brokerEpoch);
      case 'alterPartition':
        return this.alterPartitionLocally(op.args);
      case 'controlledShutdown':
        return this.controlledShutdownLocally(op.args.brokerId, op.args.brokerEpoch);
      case 'allocateProducerIds':
        return this.allocateProducerIdsLocally(op.args.brokerId, op.args.brokerEpoch);
      default:
        return Promise.reject(new Error(`unknown forwarded op ${JSON.stringify(op)}`));
    }
  }

  // ---- the active controller's work -------------------------------------------------------------

  private createTopicsLocally(requests: readonly CreateTopicRequest[]): Promise<TopicResult[]> {
    return Promise.all(requests.map((r) => this.createTopic(r)));
  }

  private async createTopic(r: CreateTopicRequest): Promise<TopicResult> {
    const invalid = this.validateCreate(r);
    if (invalid !== null) return invalid;
    const brokers = this.sm.brokers().filter((b) => !b.fenced).map((b) => b.brokerId).sort((a, b) => a - b);
    const start = this.io.random.int(brokers.length);
    const replicas = Array.from({ length: r.numPartitions }, (_, p) =>
      Array.from({ length: r.replicationFactor }, (_, k) => brokers[(start + p + k) % brokers.length] as number),
    );
    const topicId = newTopicId(this.io.random);
    const configs = r.configs !== undefined && Object.keys(r.configs).length > 0 ? { configs: r.configs } : {};
    const code = await this.proposeRecord({ type: 'CreateTopic', name: r.name, topicId, replicas, ...configs });
    if (code !== ErrorCode.NONE) return topicResult(r.name, code, 'not committed', null);
    const created = this.sm.topic(r.name)?.topicId === topicId;
    return created
      ? topicResult(r.name, ErrorCode.NONE, null, topicId)
      : topicResult(r.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${r.name}' already exists`, null);
  }

  private validateCreate(r: CreateTopicRequest): TopicResult | null {
    const nameProblem = topicNameProblem(r.name);
    if (nameProblem !== null) return topicResult(r.name, ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem, null);
    if (this.sm.topic(r.name) !== undefined) return topicResult(r.name, ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${r.name}' already exists`, null);
    const countProblem = partitionCountProblem(r.numPartitions);
    if (countProblem !== null) return topicResult(r.name, ErrorCode.INVALID_PARTITIONS, countProblem, null);
    const unfenced = this.sm.brokers().filter((b) => !b.fenced).length;
    if (!Number.isInteger(r.replicationFactor) || r.replicationFactor < 1 || r.replicationFactor > unfenced) {
      return topicResult(r.name, ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be 1..${unfenced} (unfenced brokers)`, null);
    }
    return null;
  }

  /**
   * Adds partitions up to `count`, each with as many replicas as the topic's first partition, over the
   * unfenced brokers from a random start (as createTopic places them).
   */
  private async createPartitionsOf(r: CreatePartitionsRequest): Promise<TopicResult> {
    const topic = this.sm.topic(r.name);
    if (topic === undefined) return topicResult(r.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic '${r.name}'`, null);
    const current = topic.partitions.length;
    if (r.count <= current) return topicResult(r.name, ErrorCode.INVALID_PARTITIONS, `topic '${r.name}' has ${current} partitions; the new count must be larger`, null);
    const countProblem = partitionCountProblem(r.count);
    if (countProblem !== null) return topicResult(r.name, ErrorCode.INVALID_PARTITIONS, countProblem, null);
    const replicationFactor = topic.partitions[0]!.replicas.length;
    const brokers = this.sm.brokers().filter((b) => !b.fenced).map((b) => b.brokerId).sort((a, b) => a - b);
    if (brokers.length < replicationFactor) {
      return topicResult(r.name, ErrorCode.INVALID_REPLICATION_FACTOR, `the topic's replication factor is ${replicationFactor}, and ${brokers.length} brokers are unfenced`, null);
    }
    const start = this.io.random.int(brokers.length);
    const replicas = Array.from({ length: r.count - current }, (_, i) =>
      Array.from({ length: replicationFactor }, (_, k) => brokers[(start + current + i + k) % brokers.length] as number),
    );
    const code = await this.proposeRecord({ type: 'CreatePartitions', name: r.name, topicId: topic.topicId, replicas });
    if (code !== ErrorCode.NONE) return topicResult(r.name, code, 'not committed', null);
    const now = this.sm.topic(r.name);
    return now?.topicId === topic.topicId && now.partitions.length >= r.count
      ? topicResult(r.name, ErrorCode.NONE, null, topic.topicId)
      : topicResult(r.name, ErrorCode.INVALID_PARTITIONS, `topic '${r.name}' changed meanwhile; retry`, null);
  }

  private async alterTopicConfigsOf(r: AlterTopicConfigsRequest): Promise<TopicResult> {
    const topic = this.sm.topic(r.name);
    if (topic === undefined) return topicResult(r.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${r.name}' does not exist`, null);
    const code = await this.proposeRecord({ type: 'AlterTopicConfigs', name: r.name, topicId: topic.topicId, configs: r.configs });
    if (code !== ErrorCode.NONE) return topicResult(r.name, code, 'not committed', null);
    return this.sm.topic(r.name)?.topicId === topic.topicId
      ? topicResult(r.name, ErrorCode.NONE, null, topic.topicId)
      : topicResult(r.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${r.name}' was deleted meanwhile`, null);
  }

  private deleteTopicsLocally(names: readonly string[]): Promise<TopicResult[]> {
    return Promise.all(
      names.map(async (name) => {
        const topic = this.sm.topic(name);
        if (topic === undefined) return topicResult(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic '${name}'`, null);
        const code = await this.proposeRecord({ type: 'DeleteTopic', name, topicId: topic.topicId });
        if (code !== ErrorCode.NONE) return topicResult(name, code, 'not committed', null);
        const gone = this.sm.topic(name)?.topicId !== topic.topicId;
        return gone ? topicResult(name, ErrorCode.NONE, null, topic.topicId) : topicResult(name, ErrorCode.UNKNOWN_SERVER_ERROR, 'delete not applied', null);
      }),
    );
  }

  private async registerLocally(brokerId: number, host: string, port: number): Promise<BrokerResult> {
    const code = await this.proposeRecord({ type: 'RegisterBroker', brokerId, host, port });
    const b = this.sm.broker(brokerId);
    if (code !== ErrorCode.NONE || b === undefined) return { errorCode: code === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : code, brokerEpoch: -1, fenced: true };
    this.lastHeartbeatMs.set(brokerId, this.io.clock.nowMs());
    return { errorCode: ErrorCode.NONE, brokerEpoch: b.epoch, fenced: b.fenced };
  }

  private async heartbeatLocally(brokerId: number, brokerEpoch: number): Promise<BrokerResult> {
    const b = this.sm.broker(brokerId);
    if (b === undefined) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, brokerEpoch: -1, fenced: true };
    if (b.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, brokerEpoch: b.epoch, fenced: b.fenced };
    this.lastHeartbeatMs.set(brokerId, this.io.clock.nowMs());
    if (!b.fenced) return { errorCode: ErrorCode.NONE, brokerEpoch, fenced: false };
    const code = await this.proposeRecord({ type: 'UnfenceBroker', brokerId, epoch: brokerEpoch });
    return { errorCode: code, brokerEpoch, fenced: this.sm.broker(brokerId)?.fenced ?? true };
  }

  private async controlledShutdownLocally(brokerId: number, brokerEpoch: number): Promise<BrokerResult> {
    const b = this.sm.broker(brokerId);
    if (b === undefined) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, brokerEpoch: -1, fenced: true };
    if (b.epoch !== brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, brokerEpoch: b.epoch, fenced: b.fenced };
    this.log.info('BrokerControlledShutdown', { brokerId, brokerEpoch });
    const code = b.fenced ? ErrorCode.NONE : await this.proposeRecord({ type: 'FenceBroker', brokerId, epoch: brokerEpoch });
    return { errorCode: code, brokerEpoch, fenced: this.sm.broker(brokerId)?.fenced ?? true };
  }

  private async alterPartitionLocally(r: AlterPartitionRequest): Promise<AlterPartitionResult> {
    const result = (errorCode: number): AlterPartitionResult => {
      const p = this.sm.topic(r.topic)?.partitions[r.partition];
      return { errorCode, leaderEpoch: p?.leaderEpoch ?? -1, partitionEpoch: p?.partitionEpoch ?? -1, isr: p?.isr ?? [] };
    };
    const check = checkAlterPartition(this.sm, r);
    if (check !== ErrorCode.NONE) return result(check);
    const { topic, partition, isr, leaderEpoch, partitionEpoch } = r;
    const code = await this.proposeRecord({ type: 'ChangeIsr', topic, partition, isr, leaderEpoch, partitionEpoch });
    if (code !== ErrorCode.NONE) return result(code);
    const p = this.sm.topic(topic)?.partitions[partition];
    const applied = p !== undefined && p.partitionEpoch === partitionEpoch + 1 && p.isr.join() === isr.join();
    return result(applied ? ErrorCode.NONE : ErrorCode.INVALID_UPDATE_VERSION);
  }

  private allocateProducerIdsLocally(brokerId: number, brokerEpoch: number): Promise<ProducerIdsResult> {
    return this.producerIdsLock.run(async () => {
      const refused = this.producerIdsRefusal(brokerId, brokerEpoch);
      if (refused !== ErrorCode.NONE) return { errorCode: refused, firstProducerId: -1, size: 0 };
      const last = this.sm.lastProducerIdBlock;
      if (this.bugs.producerIdBlockRepeated === true && last !== null && last.brokerId !== brokerId) {
        return { errorCode: ErrorCode.NONE, firstProducerId: last.firstProducerId, size: last.nextProducerId - last.firstProducerId };
      }
      const firstProducerId = this.sm.nextProducerId;
      const block = { brokerId, brokerEpoch, firstProducerId, nextProducerId: firstProducerId + clusterProducerIdBlockSize };
      const code = await this.proposeRecord({ type: 'ProducerIds', ...block });
      if (code !== ErrorCode.NONE) return { errorCode: code, firstProducerId: -1, size: 0 };
      // Applied only if no other block took firstProducerId first (a record of an earlier
      // controller this image had not applied yet); then the broker asks again.
      // The lock keeps any later ProducerIds of this controller out, so the last block applied is ours if ours applied.
      const applied = this.sm.lastProducerIdBlock;
      const ours =
        applied !== null && applied.brokerId === brokerId && applied.brokerEpoch === brokerEpoch && applied.firstProducerId === firstProducerId && applied.nextProducerId === block.nextProducerId;
      if (!ours) {
        const refusedNow = this.producerIdsRefusal(brokerId, brokerEpoch);
        return { errorCode: refusedNow !== ErrorCode.NONE ? refusedNow : ErrorCode.NOT_CONTROLLER, firstProducerId: -1, size: 0 };
      }
      this.log.info('ProducerIdsAllocated', { brokerId, brokerEpoch, firstProducerId, size: clusterProducerIdBlockSize });
      return { errorCode: ErrorCode.NONE, firstProducerId, size: clusterProducerIdBlockSize };
    });
  }

  /** Why `brokerId` at `brokerEpoch` may not have producer ids now, or NONE. */
  private producerIdsRefusal(brokerId: number, brokerEpoch: number): number {
    const b = this.sm.broker(brokerId);
    if (b === undefined) return ErrorCode.BROKER_ID_NOT_REGISTERED;
    if (b.epoch !== brokerEpoch || b.fenced) return ErrorCode.STALE_BROKER_EPOCH;
    return ErrorCode.NONE;
  }

  /** Proposes the leader and ISR changes that fenced and unfenced brokers call for (partition-policy.ts). */
  private proposePartitionChanges(): void {
    if (!this.isActive()) return;
    for (const record of partitionChanges(this.sm, this.bugs)) {
      if (record.type !== 'ChangeIsr' && record.type !== 'ChangePartitionLeader') continue;
      const p = this.sm.topic(record.topic)?.partitions[record.partition];
      const key = `${record.topic}/${record.partition}/${p?.partitionEpoch}`;
      if (this.changesInFlight.has(key)) continue;
      this.changesInFlight.add(key);
      // The leader was fenced (crashed, partitioned or stopped) while the ISR was down to itself: the partition is left leaderless.
      if (record.type === 'ChangePartitionLeader' && record.leader === -1 && p?.isr.length === 1) reached(this.io, 'controller.leader-lost-with-isr-one');
      void this.proposeRecord(record).finally(() => this.changesInFlight.delete(key));
    }
  }

  /** Proposes and waits for the record to be applied here. Returns a Kafka error code. */
  private async proposeRecord(record: MetadataRecord): Promise<number> {
    try {
      await this.node.propose(encodeRecord(record));
      return ErrorCode.NONE;
    } catch (error) {
      if (!(error instanceof RaftNodeError)) throw error;
      return error.code === 'NotLeader' || error.code === 'ProposalLost' || error.code === 'Stopped'
        ? ErrorCode.NOT_CONTROLLER
        : ErrorCode.REQUEST_TIMED_OUT;
    }
  }

  // ---- broker sessions --------------------------------------------------------------------------

  private armSessionTimer(): void {
    this.timer = this.io.clock.setTimer(this.config.brokerSessionTimeoutMs / 4, () => {
      this.checkSessions();
      this.armSessionTimer();
    });
  }

  private checkSessions(): void {
    const active = this.isActive();
    const nowMs = this.io.clock.nowMs();
    if (active && !this.wasActive) {
      // A new controller knows no heartbeats yet: every broker gets a full session, except one whose
      // process it already found gone.
      for (const b of this.sm.brokers()) this.lastHeartbeatMs.set(b.brokerId, this.node.peerRefusedSince(b.brokerId) === null ? nowMs : -Infinity);
    }
    this.wasActive = active;
    if (!active) return;
    for (const b of this.sm.brokers()) {
      const seenMs = this.lastHeartbeatMs.get(b.brokerId) ?? nowMs;
      if (!this.lastHeartbeatMs.has(b.brokerId)) this.lastHeartbeatMs.set(b.brokerId, nowMs);
      if (b.fenced || this.bugs.sessionsNeverExpire === true) continue;
      const goneSinceMs = this.node.peerRefusedSince(b.brokerId);
      const gone = goneSinceMs !== null && seenMs < goneSinceMs;
      if (!gone && nowMs - seenMs <= this.config.brokerSessionTimeoutMs) continue;
      if (gone) this.log.info('BrokerProcessGone', { brokerId: b.brokerId, silentMs: Math.round(nowMs - seenMs), hint: 'its controller port refuses connections; fenced without waiting for the session' });
      else this.log.info('BrokerSessionExpired', { brokerId: b.brokerId, silentMs: Math.round(nowMs - seenMs) });
      void this.proposeRecord({ type: 'FenceBroker', brokerId: b.brokerId, epoch: b.epoch });
    }
    this.proposePartitionChanges();
  }
}

function topicResult(name: string, errorCode: number, errorMessage: string | null, topicId: string | null): TopicResult {
  return { name, errorCode, errorMessage, topicId };
}

function failAll(op: Op, code: number, message: string): unknown {
  switch (op.op) {
    case 'createTopics':
      return op.args.map((r) => topicResult(r.name, code, message, null));
    case 'deleteTopics':
      return op.args.map((n) => topicResult(n, code, message, null));
    case 'createPartitions':
    case 'alterTopicConfigs':
      return op.args.map((r) => topicResult(r.name, code, message, null));
    case 'registerBroker':
    case 'brokerHeartbeat':
    case 'controlledShutdown':
      return { errorCode: code, brokerEpoch: -1, fenced: true } satisfies BrokerResult;
    case 'alterPartition':
      return { errorCode: code, leaderEpoch: -1, partitionEpoch: -1, isr: [] } satisfies AlterPartitionResult;
    case 'allocateProducerIds':
      return { errorCode: code, firstProducerId: -1, size: 0 } satisfies ProducerIdsResult;
  }
}

function notController(op: Op): unknown {
  return failAll(op, ErrorCode.NOT_CONTROLLER, 'no active controller reachable from this node; retry');
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as unknown;
  } catch {
    return null;
  }
}

function withId(id: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, id);
  out.set(body, 4);
  return out;
}

function readWithId(payload: Uint8Array): { id: number; body: Uint8Array } | null {
  if (payload.length < 4) return null;
  return { id: new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0), body: payload.subarray(4) };
}
