/**
 * Test-only: one Broker on a simulated node ('n1') and a Kafka client on a simulated client host,
 * driven by the deterministic simulator. Never imported by production code.
 */
import { Simulation, type SimNode } from '../io-sim/index.ts';
import type { Io } from '../core/io/index.ts';
import { recordBatch } from '../core/log/index.ts';
import { ApiKey, type RequestBody } from '../core/protocol/index.ts';
import { Broker } from '../core/broker/broker.ts';
import type { BrokerOptions } from '../core/broker/options.ts';
import { KafkaWireClient } from './kafka-wire-client.ts';

export const brokerPort = 9092;

export function testOptions(overrides: Partial<BrokerOptions> = {}): BrokerOptions {
  return {
    nodeId: 1,
    listen: { host: 'n1', port: brokerPort },
    dataDir: 'broker',
    log: { segmentBytesMax: 64 * 1024, indexIntervalBytes: 1024, retentionMsMax: null },
    groups: { initialRebalanceDelayMs: 0 },
    ...overrides,
  };
}

export class BrokerHarness {
  readonly sim: Simulation;
  readonly node: SimNode;
  readonly clientIo: Io;
  broker: Broker | null = null;
  bootError: unknown = null;
  private boots = 0;

  constructor(seed = 1, options: BrokerOptions = testOptions()) {
    this.sim = new Simulation({ seed });
    this.node = this.sim.addNode('n1', async (io) => {
      this.broker = null;
      try {
        const broker = await Broker.start(io, options);
        this.broker = broker;
        return { stop: () => broker.stop() };
      } catch (error) {
        this.bootError = error;
        throw error;
      } finally {
        this.boots++;
      }
    });
    this.clientIo = this.sim.addClient('c1');
  }

  /** Runs the simulation until `promise` settles, then returns its outcome. */
  async run<T>(promise: Promise<T>): Promise<T> {
    return this.sim.runUntilSettled(promise);
  }

  /** Advances virtual time by `ms`, running everything due. */
  async advance(ms: number): Promise<void> {
    await this.sim.run({ untilMs: this.sim.nowMs() + ms });
    if (this.sim.failed.length > 0) throw new Error(`simulation failed: ${this.sim.failed.join('; ')}`);
  }

  /** Waits until the current incarnation has booted; returns its broker. */
  async booted(): Promise<Broker> {
    const want = this.node.incarnationCount;
    while (this.boots < want) {
      this.sim.schedule(0, () => undefined);
      await this.sim.run({ until: () => this.boots >= want });
      if (this.sim.failed.length > 0) throw new Error(`simulation failed: ${this.sim.failed.join('; ')}`);
    }
    if (this.broker === null) throw new Error(`broker failed to boot: ${String(this.bootError)}`);
    return this.broker;
  }

  /** A client connection to the broker (no request timeouts: tests advance time themselves). */
  async connect(): Promise<KafkaWireClient> {
    await this.booted();
    const connection = await this.run(this.clientIo.net.connect('n1', brokerPort));
    return new KafkaWireClient(connection, { clientId: 'test', clock: this.clientIo.clock });
  }

  /** Power loss, then boot again from what the disk kept. */
  async crashAndRestart(): Promise<Broker> {
    this.node.crash();
    this.node.restart();
    return this.booted();
  }

  /** An idempotent producer id and epoch from InitProducerId on `client`; throws if the broker refuses. */
  async initProducer(client: KafkaWireClient): Promise<{ producerId: bigint; producerEpoch: number }> {
    const init = await this.run(client.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }));
    if (init.errorCode !== 0) throw new Error(`InitProducerId answered error ${init.errorCode}`);
    return { producerId: init.producerId, producerEpoch: init.producerEpoch };
  }

  async stopAndRestart(): Promise<Broker> {
    await this.run(this.node.stop());
    this.node.restart();
    return this.booted();
  }
}

/** An uncompressed batch of `count` records with values `${prefix}-${i}`. */
export function makeBatch(count: number, prefix = 'v', producer?: { producerId: bigint; producerEpoch: number; baseSequence: number }): Uint8Array {
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: new TextEncoder().encode(`${prefix}-${i}`) }));
  return recordBatch.encodeRecordBatch({ records, baseTimestamp: 1_700_000_000_000n, ...producer });
}

export function produceBody(topic: string, partition: number, records: Uint8Array, acks = -1): RequestBody<0> {
  return { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

export function fetchBody(topic: string, partition: number, fetchOffset: bigint, options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {}): RequestBody<1> {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

export function createTopicsBody(name: string, numPartitions: number, extra: { replicationFactor?: number; validateOnly?: boolean } = {}): RequestBody<19> {
  return {
    topics: [{ name, numPartitions, replicationFactor: extra.replicationFactor ?? 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: extra.validateOnly ?? false,
  };
}

/** Record values of every batch in `records` (uncompressed test batches only). */
export function batchCount(records: Uint8Array | null): number {
  if (records === null || records.length === 0) return 0;
  const split = recordBatch.splitBatches(records, records.length);
  if (!split.ok) throw new Error('fetch returned bad batches');
  return split.spans.reduce((n, s) => n + s.header.recordCount, 0);
}
