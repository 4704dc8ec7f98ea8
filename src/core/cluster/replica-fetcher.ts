/**
 * A follower's copy loop for one partition, over the Kafka wire (so it can be observed and tested
 * like client traffic): connect to the leader, cut any divergent tail by leader epoch
 * (OffsetForLeaderEpoch, repeated until the epochs agree, KIP-279), then Fetch with this broker's id
 * as replica_id from the log's end, append what comes back with the leader's offsets and epochs, wait
 * until it is durable, and fetch again from the new end. The leader learns the follower's position
 * from each fetch offset, so a follower only ever reports what it holds durably.
 *
 * Any error (connection lost, the leader moved, a gap) drops the connection, waits
 * replicaFetchBackoffMs, and starts over with the truncation step. The loop ends when the replica
 * stops following this leader at this epoch.
 */
import { DiskError, buggify, reached, sleep } from '../io/index.ts';
import { isLogError } from '../log/index.ts';
import { ApiKey, ErrorCode } from '../protocol/index.ts';
import { KafkaWireClient } from '../protocol/wire-client.ts';
import { afterAnswer, firstQuestion, type FollowerLog } from '../replication/divergence.ts';
import { LeaderEpochEntries } from '../replication/leader-epoch-entries.ts';
import type { PartitionReplica, ReplicaHost } from './partition-replica.ts';

const fetchVersion = 11;
const offsetForLeaderEpochVersion = 3;
/** Rounds of OffsetForLeaderEpoch before giving up on this connection (each round asks about an older epoch). */
const truncationRoundsMax = 64;

class FetchStop extends Error {}

export class ReplicaFetcher {
  private stopped = false;
  private client: KafkaWireClient | null = null;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: ReplicaHost,
    private readonly replica: PartitionReplica,
    private readonly leaderId: number,
    private readonly leaderEpoch: number,
  ) {}

  /** Starts the loop once `after` (the previous fetcher of this partition stopping) has settled. */
  start(after: Promise<void> = Promise.resolve()): void {
    this.done = after.catch(() => undefined).then(() => this.run());
  }

  /** Stops the loop; resolves once it has exited (an append it had started is then finished). */
  stop(): Promise<void> {
    this.stopped = true;
    this.client?.close();
    this.client = null;
    return this.done;
  }

  private get log() {
    return this.replica.partition.log;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const client = await this.connect();
        await this.truncate(client);
        while (!this.stopped) await this.fetchOnce(client);
      } catch (error) {
        if (!(error instanceof FetchStop) && !isExpected(error)) throw error;
        if (!(error instanceof FetchStop) || error.message !== '') {
          this.host.log.debug('ReplicaFetchRestart', { topic: this.replica.topic, partition: this.replica.partition.index, reason: (error as Error).message });
        }
      }
      this.client?.close();
      this.client = null;
      if (this.stopped) return;
      await sleep(this.host.io.clock, this.host.config.replicaFetchBackoffMs);
    }
  }

  private async connect(): Promise<KafkaWireClient> {
    const address = this.host.brokerAddress(this.leaderId);
    if (address === null) throw new FetchStop(`leader ${this.leaderId} has no address`);
    const timeoutMs = this.host.config.replicaFetchWaitMsMax + this.host.config.replicaLagTimeMaxMs / 2;
    const client = await KafkaWireClient.connect(this.host.io, address.host, address.port, {
      clientId: `chronik-replica-${this.host.brokerId}`,
      connectTimeoutMs: Math.max(1000, this.host.config.replicaFetchBackoffMs * 10),
      requestTimeoutMs: timeoutMs,
    });
    if (this.stopped) {
      client.close();
      throw new FetchStop('');
    }
    this.client = client;
    return client;
  }

  /** Cuts the local tail where it diverges from the leader's log (KIP-101/279, src/core/replication/divergence.ts). */
  private async truncate(client: KafkaWireClient): Promise<void> {
    if (this.host.bugs.truncateToHighWatermark === true) {
      await this.truncateTo(this.replica.followerHighWatermarkKnown, 'planted bug: truncate to the high watermark');
      return;
    }
    let step = firstQuestion(this.followerLog());
    for (let round = 0; round < truncationRoundsMax; round++) {
      if (step.kind === 'truncate') {
        const endBefore = this.log?.logEndOffset ?? -1n;
        await this.truncateTo(step.truncateTo, 'where the logs agree by leader epoch');
        if ((this.log?.logEndOffset ?? -1n) < endBefore) reached(this.host.io, 'replication.follower-truncated-by-epoch');
        return;
      }
      const asked = step.epoch;
      const response = await client.request(ApiKey.OffsetForLeaderEpoch, offsetForLeaderEpochVersion, {
        replicaId: this.host.brokerId,
        topics: [{ topic: this.replica.topic, partitions: [{ partition: this.replica.partition.index, currentLeaderEpoch: this.leaderEpoch, leaderEpoch: asked }] }],
      });
      const answer = response.topics[0]?.partitions[0];
      if (this.stopped) throw new FetchStop('');
      if (answer === undefined || answer.errorCode !== ErrorCode.NONE) throw new FetchStop(`OffsetForLeaderEpoch answered ${answer?.errorCode ?? 'nothing'}`);
      step = afterAnswer(this.followerLog(), asked, { epoch: answer.leaderEpoch, endOffset: answer.endOffset });
    }
    throw new FetchStop('truncation did not converge');
  }

  private followerLog(): FollowerLog {
    const log = this.log;
    if (log === null) throw new FetchStop('no log');
    // A failed log (a disk error) is reopened by the broker, under a new Partition; until then its
    // numbers are not to be trusted.
    if (log.failedWith !== null) throw new FetchStop(`the log failed: ${log.failedWith.message}`);
    const hw = this.replica.followerHighWatermarkKnown;
    return { epochs: new LeaderEpochEntries(this.replica.epochs.entries()), logEndOffset: log.logEndOffset, highWatermark: hw < log.logEndOffset ? hw : log.logEndOffset };
  }

  /** Truncates the log (when `offset` is below its end) and, always, the epoch history to `offset`. */
  private async truncateTo(offset: bigint, why: string): Promise<void> {
    const log = this.log;
    if (log === null) throw new FetchStop('no log');
    const target = offset < log.logStartOffset ? log.logStartOffset : offset;
    if (target < log.logEndOffset) {
      this.host.log.info('ReplicaTruncating', { topic: this.replica.topic, partition: this.replica.partition.index, from: log.logEndOffset, to: target, why });
      await log.truncateTo(target);
      // Even when stopped meanwhile: the cut must reach the epoch history and the producer state.
      // The replica may be about to lead (its takeover waits for this loop to end), and a producer
      // state still holding a cut batch answers that producer's retry as a duplicate, at offsets
      // that now hold other records (simulator cluster seed 19849: an acknowledged acks=all batch lost).
      await this.replica.followerTruncated(log.logEndOffset, true);
      if (this.stopped) throw new FetchStop('');
    } else {
      await this.replica.followerTruncated(log.logEndOffset, false);
    }
  }

  private async fetchOnce(client: KafkaWireClient): Promise<void> {
    const log = this.log;
    if (log === null || log.failedWith !== null) throw new FetchStop('log failed');
    const fetchOffset = log.logEndOffset;
    const config = this.host.config;
    // BUGGIFY: a fetch that asks for less than allowed (the leader still returns at least one whole batch).
    const partitionMaxBytes = buggify(this.host.io, 'replication.short-follower-fetch', 0.1) ? 1 : config.replicaFetchBytesMax;
    const response = await client.request(ApiKey.Fetch, fetchVersion, {
      replicaId: this.host.brokerId,
      maxWaitMs: config.replicaFetchWaitMsMax,
      minBytes: 1,
      maxBytes: config.replicaFetchBytesMax,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: this.replica.topic,
          partitions: [{ partition: this.replica.partition.index, currentLeaderEpoch: this.leaderEpoch, fetchOffset, logStartOffset: -1n, partitionMaxBytes }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    });
    if (this.stopped) throw new FetchStop('');
    const data = response.responses[0]?.partitions[0];
    if (data === undefined) throw new FetchStop('empty fetch response');
    if (data.errorCode !== ErrorCode.NONE) throw new FetchStop(`fetch answered ${data.errorCode}`);
    const records = data.records as Uint8Array;
    if (records.length > 0) {
      if (log.logEndOffset !== fetchOffset) throw new FetchStop('the log moved under the fetch');
      await log.appendReplicated(records);
      // Even when stopped meanwhile: what was appended must reach the producer state and the epoch
      // history (the replica may be about to lead, and dedupe its producers' retries from them).
      await this.replica.followerAppended(records, data.highWatermark);
      if (this.stopped) throw new FetchStop('');
    } else {
      this.replica.followerHighWatermark(data.highWatermark);
    }
  }
}

/**
 * Errors the loop survives: network and client failures, the log's own operating errors, and a
 * failed write of the leader-epoch checkpoint (the history in memory stays right, and the next
 * change rewrites the whole file; a restart rebuilds a stale one from the log).
 */
function isExpected(error: unknown): boolean {
  if (isLogError(error) || error instanceof DiskError) return true;
  if (error instanceof Error && (error.name === 'NetError' || error.name === 'ClientError')) return true;
  return false;
}
