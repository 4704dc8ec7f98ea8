/**
 * One controller voter: the Raft node (log on io.disk, transport on io.net, ticks on io.clock), the
 * metadata state machine and the controller, wired together. This is the entry point other code
 * uses:
 *
 *   const quorum = await ControllerNode.start(io, { nodeId: 1, voters: parseVoters('1@c1:9093,2@c2:9093,3@c3:9093') });
 *   await quorum.propose({ type: 'RegisterBroker', brokerId: 1, host: 'b1', port: 9092 }); // -> committed index
 *   quorum.image().topic('orders');                                                        // read-only image
 *   await quorum.controller.createTopics([{ name: 'orders', numPartitions: 3, replicationFactor: 3 }]);
 *   await quorum.stop();
 */
import type { Io } from '../io/index.ts';
import { raftVotersMax } from '../limits.ts';
import type { RaftNodeObserver, RaftNodeTestHooks } from '../raft/raft-node.ts';
import { RaftNode } from '../raft/raft-node.ts';
import type { PeerAddress } from '../raft/transport.ts';
import type { ControllerConfig } from './controller.ts';
import { MetadataController } from './controller.ts';
import type { ControllerBugs } from './partition-policy.ts';
import type { MetadataImage } from './image.ts';
import { MetadataStateMachine } from './metadata-state-machine.ts';
import type { MetadataRecord } from './records.ts';
import { encodeRecord } from './records.ts';

export interface ControllerNodeConfig {
  readonly nodeId: number;
  /** Static voters (1, 3 or 5), this node among them; see parseVoters. */
  readonly voters: readonly PeerAddress[];
  /** Directory on io.disk. Default 'metadata'. */
  readonly dataDir?: string;
  /** Default 50 ms ticks, elections after 10-19 ticks (0.5-1 s), heartbeats every 2 ticks. */
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Default 9000 ms (Kafka's broker.session.timeout.ms). */
  readonly brokerSessionTimeoutMs?: number;
  readonly forwardTimeoutMs?: number;
  readonly snapshotEntriesInterval?: number;
  readonly testHooks?: RaftNodeTestHooks;
  /** Bugs planted in the controller (test-only; none by default). */
  readonly testOnlyControllerBugs?: ControllerBugs;
  readonly observer?: RaftNodeObserver;
}

export class VoterConfigError extends Error {
  override name = 'VoterConfigError';
}

/**
 * Parses Kafka's controller.quorum.voters format: 'id@host:port,id@host:port,...'. Throws a
 * VoterConfigError naming the problem (bad entry, duplicate id, a count other than 1, 3 or 5).
 */
export function parseVoters(text: string): PeerAddress[] {
  const voters = text.split(',').map((part) => {
    const m = /^\s*(\d+)@([^:\s]+):(\d+)\s*$/.exec(part);
    if (m === null) throw new VoterConfigError(`voter '${part}' is not of the form id@host:port`);
    const id = Number(m[1]);
    const port = Number(m[3]);
    if (id < 1 || id > 2 ** 31 - 1 || port < 1 || port > 65535) throw new VoterConfigError(`voter '${part}' has an id or port out of range`);
    return { id, host: m[2] as string, port };
  });
  checkVoters(voters);
  return voters;
}

export function checkVoters(voters: readonly PeerAddress[]): void {
  if (![1, 3, 5].includes(voters.length) || voters.length > raftVotersMax) {
    throw new VoterConfigError(`controller quorum needs 1, 3 or 5 voters, got ${voters.length}`);
  }
  if (new Set(voters.map((v) => v.id)).size !== voters.length) throw new VoterConfigError('voter ids must be distinct');
}

export class ControllerNode {
  private constructor(
    readonly raft: RaftNode,
    readonly controller: MetadataController,
    private readonly sm: MetadataStateMachine,
  ) {}

  static async start(io: Io, config: ControllerNodeConfig): Promise<ControllerNode> {
    checkVoters(config.voters);
    if (!config.voters.some((v) => v.id === config.nodeId)) throw new VoterConfigError(`node ${config.nodeId} is not one of the voters`);
    const sm = new MetadataStateMachine(config.testOnlyControllerBugs);
    const raft = await RaftNode.start(
      io,
      {
        id: config.nodeId,
        voters: config.voters,
        dataDir: config.dataDir ?? 'metadata',
        tickMs: config.tickMs ?? 50,
        electionTicks: config.electionTicks ?? 10,
        heartbeatTicks: config.heartbeatTicks ?? 2,
        snapshotEntriesInterval: config.snapshotEntriesInterval,
        testHooks: config.testHooks,
        observer: config.observer,
      },
      sm,
    );
    const controllerConfig: ControllerConfig = {
      brokerSessionTimeoutMs: config.brokerSessionTimeoutMs ?? 9000,
      forwardTimeoutMs: config.forwardTimeoutMs ?? 5000,
    };
    return new ControllerNode(raft, new MetadataController(io, raft, sm, controllerConfig, config.testOnlyControllerBugs), sm);
  }

  /** Proposes a record on this node (it must lead). Resolves with its index once committed and applied here. */
  propose(record: MetadataRecord): Promise<number> {
    return this.raft.propose(encodeRecord(record));
  }

  /** The applied metadata image (read-only). */
  image(): MetadataImage {
    return this.sm;
  }

  /** Calls `listener` after every change of the image; returns a function that removes it. */
  onImageChanged(listener: () => void): () => void {
    this.sm.changeListeners.add(listener);
    return () => this.sm.changeListeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.controller.stop();
    await this.raft.stop();
  }
}
