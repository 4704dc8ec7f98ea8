/**
 * The admin side of the client commands: a bootstrap connection, the cluster's metadata, and one
 * connection per broker it routes to (the controller for topic changes, a group's coordinator,
 * each partition's leader for offsets). Built on WireConnection, so the broker's own error
 * messages reach the user unchanged.
 */
import {
  ApiKey,
  CoordinatorKeyType,
  ErrorCode,
  type MetadataResponse,
} from '../core/protocol/index.ts';
import { CliError, brokerError, usageError } from './cli-error.ts';
import { UnreachableError, WireConnection, formatAddress, type BrokerAddress, type WireTimeouts } from './wire.ts';

export const bootstrapDefault = '127.0.0.1:9092';
export const bootstrapHelp = `brokers to contact first, host:port[,host:port...] (default ${bootstrapDefault}; env CHRONIK_BOOTSTRAP)`;
const timeouts: WireTimeouts = { connectTimeoutMs: 5000, requestTimeoutMs: 30_000 };

/** `--bootstrap` (or CHRONIK_BOOTSTRAP, or the default) as addresses; a usage error when malformed. */
export function parseBootstrap(flag: string | undefined, env: Record<string, string | undefined> = process.env): BrokerAddress[] {
  const text = flag ?? env['CHRONIK_BOOTSTRAP'] ?? bootstrapDefault;
  const source = flag !== undefined ? '--bootstrap' : env['CHRONIK_BOOTSTRAP'] !== undefined ? 'CHRONIK_BOOTSTRAP' : 'the default bootstrap';
  const addresses = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (addresses.length === 0) throw usageError(`${source} is empty: expected host:port[,host:port...]`);
  return addresses.map((part) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(part);
    const port = match === null ? NaN : Number(match[3]);
    if (match === null || port < 1 || port > 65535) throw usageError(`${source}: '${part}' is not host:port (e.g. 127.0.0.1:9092)`);
    return { host: match[1] ?? match[2]!, port };
  });
}

/** How long a command waits for a group's coordinator to become available (the offsets topic being created). */
const coordinatorWaitMsMax = 15_000;

export class AdminClient {
  private readonly byNode = new Map<number, Promise<WireConnection>>();
  private metadataLast: MetadataResponse | null = null;

  private constructor(readonly bootstrap: WireConnection) {}

  /** Connects to the first bootstrap address that answers; fails with one line naming them all. */
  static async connect(addresses: readonly BrokerAddress[]): Promise<AdminClient> {
    const reasons: string[] = [];
    for (const address of addresses) {
      try {
        return new AdminClient(await WireConnection.connect(address, timeouts));
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        reasons.push(`${formatAddress(address)} (${error.reason})`);
      }
    }
    throw new CliError(`cannot reach a broker at ${reasons.join(', ')}: start one with \`chronik start\`, or point --bootstrap (CHRONIK_BOOTSTRAP) at a running broker`);
  }

  /** Metadata for these topics (null: every topic). Never creates a topic unless `allowAutoTopicCreation`. */
  async metadata(topics: readonly string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    const c = this.bootstrap;
    const answer = await c.request(ApiKey.Metadata, c.version(ApiKey.Metadata, 'Metadata', 8), {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    this.metadataLast = answer;
    return answer;
  }

  /** The names of the topics that exist, sorted. */
  async topicNames(): Promise<string[]> {
    const answer = await this.metadata(null);
    return answer.topics.filter((t) => t.errorCode === ErrorCode.NONE).map((t) => t.name).sort();
  }

  /** Fails with "unknown topic" naming every listed topic that does not exist. */
  async requireTopics(topics: readonly string[]): Promise<MetadataResponse> {
    const answer = await this.metadata(topics);
    const missing = answer.topics.filter((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).map((t) => `'${t.name}'`);
    if (missing.length > 0) throw new CliError(`unknown topic ${missing.join(', ')}: \`chronik topics list\` shows the topics that exist`);
    for (const topic of answer.topics) {
      if (topic.errorCode !== ErrorCode.NONE) throw brokerError(`topic '${topic.name}'`, topic.errorCode);
    }
    return answer;
  }

  /** The controller (topic creation, deletion, configs), or the bootstrap broker when none is named. */
  async controller(): Promise<WireConnection> {
    const metadata = this.metadataLast ?? (await this.metadata([]));
    return metadata.controllerId >= 0 ? this.node(metadata.controllerId) : this.bootstrap;
  }

  /** The coordinator of a consumer group. */
  async coordinator(groupId: string): Promise<WireConnection> {
    const c = this.bootstrap;
    // On a cluster the first look-up creates the offsets topic, and a coordinator moves with its
    // partition's leader: retry what clients retry, for a while.
    const deadline = Date.now() + coordinatorWaitMsMax;
    for (;;) {
      const answer = await c.request(ApiKey.FindCoordinator, c.version(ApiKey.FindCoordinator, 'FindCoordinator', 2), { key: groupId, keyType: CoordinatorKeyType.GROUP });
      if (answer.errorCode === ErrorCode.NONE) return this.connectNode(answer.nodeId, { host: answer.host, port: answer.port });
      if (answer.errorCode !== ErrorCode.COORDINATOR_NOT_AVAILABLE || Date.now() > deadline) {
        throw brokerError(`finding the coordinator of group '${groupId}'`, answer.errorCode, answer.errorMessage);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** A connection to a broker by node id, as the last metadata lists it. */
  async node(nodeId: number): Promise<WireConnection> {
    const metadata = this.metadataLast ?? (await this.metadata([]));
    const broker = metadata.brokers.find((b) => b.nodeId === nodeId);
    if (broker === undefined) throw new CliError(`broker ${nodeId} is not in the cluster's metadata`);
    return this.connectNode(nodeId, { host: broker.host, port: broker.port });
  }

  /** Every broker of the last metadata. */
  async allNodes(): Promise<WireConnection[]> {
    const metadata = this.metadataLast ?? (await this.metadata([]));
    return Promise.all(metadata.brokers.map((b) => this.node(b.nodeId)));
  }

  close(): void {
    this.bootstrap.close();
    for (const pending of this.byNode.values()) pending.then((c) => c.close(), () => undefined);
  }

  private connectNode(nodeId: number, address: BrokerAddress): Promise<WireConnection> {
    const same = address.host === this.bootstrap.address.host && address.port === this.bootstrap.address.port;
    if (same) return Promise.resolve(this.bootstrap);
    let pending = this.byNode.get(nodeId);
    if (pending === undefined) {
      pending = WireConnection.connect(address, timeouts);
      pending.catch(() => undefined);
      this.byNode.set(nodeId, pending);
    }
    return pending;
  }
}

/** Runs `body` with a connected AdminClient, and closes it whatever happens. */
export async function withAdmin<T>(bootstrapFlag: string | undefined, body: (admin: AdminClient) => Promise<T>): Promise<T> {
  const admin = await AdminClient.connect(parseBootstrap(bootstrapFlag));
  try {
    return await body(admin);
  } finally {
    admin.close();
  }
}
