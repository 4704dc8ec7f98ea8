import { describe, expect, it } from 'vitest';
import { topicPartitionsMax } from '../limits.ts';
import { ApiKey, ErrorCode, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, batchCount, brokerPort, createTopicsBody, fetchBody, makeBatch, produceBody, testOptions } from '../../testing/broker-harness.ts';

const metadataBody = (names: string[] | null, allowAutoTopicCreation = true): RequestBody<3> => ({
  topics: names === null ? null : names.map((name) => ({ name })),
  allowAutoTopicCreation,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

const apiVersionsBody: RequestBody<18> = { clientSoftwareName: 'test', clientSoftwareVersion: '1' };

describe('Broker: produce and fetch', () => {
  it('round-trips batches with acks=1 and acks=-1 and serves them from any offset', async () => {
    const h = new BrokerHarness(1);
    const c = await h.connect();
    const created = await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('orders', 2)));
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p1 = await h.run(c.request(ApiKey.Produce, 7, produceBody('orders', 0, makeBatch(3), 1)));
    const p2 = await h.run(c.request(ApiKey.Produce, 7, produceBody('orders', 0, makeBatch(2), -1)));
    expect(p1.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n });
    expect(p2.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('orders', 0, 0n)));
    const part = f.responses[0]!.partitions[0]!;
    expect(part).toMatchObject({ errorCode: 0, highWatermark: 5n, lastStableOffset: 5n, logStartOffset: 0n });
    expect(batchCount(part.records as Uint8Array)).toBe(5);
    const fromMiddle = await h.run(c.request(ApiKey.Fetch, 4, fetchBody('orders', 0, 3n)));
    expect(batchCount(fromMiddle.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(2);
    const other = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('orders', 1, 0n)));
    expect(other.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
    const beyond = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('orders', 0, 99n)));
    expect(beyond.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('refuses a corrupt batch, an unknown partition and bad acks without storing anything', async () => {
    const h = new BrokerHarness(2);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const corrupt = makeBatch(2);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const bad = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, corrupt)));
    expect(bad.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const unknown = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 5, makeBatch(1))));
    expect(unknown.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const acks = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1), 2)));
    expect(acks.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(f.responses[0]!.partitions[0]!.highWatermark).toBe(0n);
  });

  it('sends no response to acks=0, still appends, and keeps later responses in order', async () => {
    const h = new BrokerHarness(3);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const before = c.arrivals.length;
    const m = c.request(ApiKey.Metadata, 8, metadataBody(['t']));
    const silent = c.sendOneWay(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(4), 0));
    const v = c.request(ApiKey.ApiVersions, 3, apiVersionsBody);
    await h.run(Promise.all([m, v]));
    expect(c.arrivals.slice(before)).toEqual([silent - 1, silent + 1]);
    await h.advance(100);
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(batchCount(f.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(4);
    expect(c.arrivals).not.toContain(silent);
    expect(c.orderViolations).toEqual([]);
  });

  it('answers in request order even when an earlier request finishes last', async () => {
    const h = new BrokerHarness(4);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const before = c.arrivals.length;
    const slow = c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n, { maxWaitMs: 400 }));
    const fast = c.request(ApiKey.ApiVersions, 3, apiVersionsBody);
    await h.run(Promise.all([slow, fast]));
    const [first, second] = c.arrivals.slice(before);
    expect(first).toBeLessThan(second!);
    expect(c.orderViolations).toEqual([]);
    expect(h.sim.nowMs()).toBeGreaterThanOrEqual(400);
  });

  it('answers a long-poll fetch as soon as data arrives, and an idle one when the wait expires', async () => {
    const h = new BrokerHarness(5);
    const consumer = await h.connect();
    const producer = await h.connect();
    await h.run(producer.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const start = h.sim.nowMs();
    const waiting = consumer.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n, { maxWaitMs: 10_000, minBytes: 1 }));
    h.sim.schedule(200, () => void producer.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2))));
    const answered = await h.run(waiting);
    expect(batchCount(answered.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(2);
    expect(h.sim.nowMs() - start).toBeGreaterThanOrEqual(200);
    expect(h.sim.nowMs() - start).toBeLessThan(10_000);

    const idleStart = h.sim.nowMs();
    const idle = await h.run(consumer.request(ApiKey.Fetch, 11, fetchBody('t', 0, 2n, { maxWaitMs: 700, minBytes: 1 })));
    expect(batchCount(idle.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(0);
    expect(idle.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(h.sim.nowMs() - idleStart).toBeGreaterThanOrEqual(700);
  });

  it('respects max_bytes but always returns at least one whole batch', async () => {
    const h = new BrokerHarness(6);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    for (let i = 0; i < 5; i++) await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(10, `b${i}`))));
    const tiny = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n, { maxBytes: 1 })));
    expect(batchCount(tiny.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(10);
    const all = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(batchCount(all.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(50);
  });
});

describe('Broker: list offsets', () => {
  it('answers earliest, latest and by timestamp', async () => {
    const h = new BrokerHarness(7);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2))));
    const ask = (timestamp: bigint): RequestBody<2> => ({
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    const earliest = await h.run(c.request(ApiKey.ListOffsets, 5, ask(-2n)));
    const latest = await h.run(c.request(ApiKey.ListOffsets, 5, ask(-1n)));
    const byTime = await h.run(c.request(ApiKey.ListOffsets, 5, ask(1_600_000_000_000n)));
    const future = await h.run(c.request(ApiKey.ListOffsets, 5, ask(1_900_000_000_000n)));
    const v0 = await h.run(c.request(ApiKey.ListOffsets, 0, ask(-1n)));
    expect(earliest.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 0n });
    expect(latest.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 5n });
    expect(byTime.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 0n, timestamp: 1_700_000_000_000n });
    expect(future.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: -1n });
    expect(v0.topics[0]!.partitions[0]!.oldStyleOffsets).toEqual([5n]);
  });
});

describe('Broker: DeleteRecords', () => {
  const deleteRecordsBody = (partitions: { partitionIndex: number; offset: bigint }[]): RequestBody<21> => ({ topics: [{ name: 't', partitions }], timeoutMs: 1000 });
  const earliestBody: RequestBody<2> = {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }],
  };

  it('moves the log start offset (NONE with the new low watermark), refuses beyond the high watermark, and keeps it across a crash', async () => {
    const h = new BrokerHarness(13);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    for (let i = 0; i < 4; i++) await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 1, makeBatch(2))));
    const deleted = await h.run(c.request(ApiKey.DeleteRecords, 1, deleteRecordsBody([
      { partitionIndex: 0, offset: 7n },
      { partitionIndex: 1, offset: 3n },
      { partitionIndex: 9, offset: 0n },
    ])));
    expect(deleted.topics[0]!.partitions).toEqual([
      { partitionIndex: 0, lowWatermark: 7n, errorCode: ErrorCode.NONE },
      { partitionIndex: 1, lowWatermark: 0n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
      { partitionIndex: 9, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    const below = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 6n)));
    expect(below.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 7n });
    const from = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 7n)));
    expect(from.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, logStartOffset: 7n, highWatermark: 12n });
    expect(batchCount(from.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(6); // records 6-11: the batch holding 7 goes whole, as in Kafka
    const earliest = await h.run(c.request(ApiKey.ListOffsets, 5, earliestBody));
    expect(earliest.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 7n });

    await h.crashAndRestart();
    const c2 = await h.connect();
    const after = await h.run(c2.request(ApiKey.ListOffsets, 5, earliestBody));
    expect(after.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, offset: 7n });
    const stillBelow = await h.run(c2.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(stillBelow.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    // -1: up to the high watermark; an earlier offset than the start changes nothing.
    const all = await h.run(c2.request(ApiKey.DeleteRecords, 1, deleteRecordsBody([{ partitionIndex: 0, offset: -1n }])));
    expect(all.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 12n, errorCode: ErrorCode.NONE });
    const earlier = await h.run(c2.request(ApiKey.DeleteRecords, 1, deleteRecordsBody([{ partitionIndex: 0, offset: 3n }])));
    expect(earlier.topics[0]!.partitions[0]).toEqual({ partitionIndex: 0, lowWatermark: 12n, errorCode: ErrorCode.NONE });
    const p = await h.run(c2.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(p.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 12n, logStartOffset: 12n });
  });
});

describe('Broker: metadata and topic admin', () => {
  it('auto-creates a topic on metadata when allowed, and not otherwise', async () => {
    const h = new BrokerHarness(8, testOptions({ defaultPartitions: 3 }));
    const c = await h.connect();
    const created = await h.run(c.request(ApiKey.Metadata, 8, metadataBody(['auto'])));
    expect(created.topics[0]).toMatchObject({ errorCode: 0, name: 'auto' });
    expect(created.topics[0]!.partitions.map((p) => p.leaderId)).toEqual([1, 1, 1]);
    expect(created).toMatchObject({ controllerId: 1, clusterId: 'chronik', brokers: [{ nodeId: 1, host: 'n1', port: brokerPort }] });
    const refused = await h.run(c.request(ApiKey.Metadata, 8, metadataBody(['manual'], false)));
    expect(refused.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const invalid = await h.run(c.request(ApiKey.Metadata, 8, metadataBody(['bad name!'])));
    expect(invalid.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const all = await h.run(c.request(ApiKey.Metadata, 1, metadataBody(null)));
    expect(all.topics.map((t) => t.name)).toEqual(['auto']);
    const v0all = await h.run(c.request(ApiKey.Metadata, 0, metadataBody([])));
    expect(v0all.topics.map((t) => t.name)).toEqual(['auto']);
  });

  it('does not auto-create when the broker forbids it', async () => {
    const h = new BrokerHarness(9, testOptions({ autoCreateTopics: false }));
    const c = await h.connect();
    const m = await h.run(c.request(ApiKey.Metadata, 8, metadataBody(['x'])));
    expect(m.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('validates CreateTopics and refuses duplicates, then deletes durably', async () => {
    const h = new BrokerHarness(10);
    const c = await h.connect();
    const codes = async (body: RequestBody<19>): Promise<number[]> => (await h.run(c.request(ApiKey.CreateTopics, 4, body))).topics.map((t) => t.errorCode);
    expect(await codes(createTopicsBody('a', 2, { validateOnly: true }))).toEqual([ErrorCode.NONE]);
    expect(await codes(createTopicsBody('a', 2, { replicationFactor: 3 }))).toEqual([ErrorCode.INVALID_REPLICATION_FACTOR]);
    expect(await codes(createTopicsBody('a', 0))).toEqual([ErrorCode.INVALID_PARTITIONS]);
    const huge = await h.run(c.request(ApiKey.CreateTopics, 4, createTopicsBody('huge', 2 ** 31 - 1)));
    expect(huge.topics[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `partitions must be from 1 to ${topicPartitionsMax}, got ${2 ** 31 - 1}` });
    expect(await codes(createTopicsBody('huge', topicPartitionsMax + 1))).toEqual([ErrorCode.INVALID_PARTITIONS]);
    expect(await codes(createTopicsBody('..', 1))).toEqual([ErrorCode.INVALID_TOPIC_EXCEPTION]);
    expect(await codes({ topics: [], timeoutMs: 1, validateOnly: false })).toEqual([]);
    expect(await codes(createTopicsBody('a', -1, { replicationFactor: -1 }))).toEqual([ErrorCode.NONE]);
    expect(await codes(createTopicsBody('a', 2))).toEqual([ErrorCode.TOPIC_ALREADY_EXISTS]);
    const twice = createTopicsBody('b', 1);
    twice.topics.push(twice.topics[0]!);
    expect(await codes(twice)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);

    await h.run(c.request(ApiKey.Produce, 7, produceBody('a', 0, makeBatch(3))));
    const deleted = await h.run(c.request(ApiKey.DeleteTopics, 1, { topicNames: ['a', 'nope'], timeoutMs: 1000 }));
    expect(deleted.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const gone = await h.run(c.request(ApiKey.Metadata, 8, metadataBody(['a'], false)));
    expect(gone.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    await h.crashAndRestart();
    const c2 = await h.connect();
    const still = await h.run(c2.request(ApiKey.Metadata, 8, metadataBody(['a'], false)));
    expect(still.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await h.run(c2.request(ApiKey.CreateTopics, 4, createTopicsBody('a', 1))).then((r) => r.topics[0]!.errorCode)).toBe(ErrorCode.NONE);
    const fresh = await h.run(c2.request(ApiKey.Fetch, 11, fetchBody('a', 0, 0n)));
    expect(fresh.responses[0]!.partitions[0]!.highWatermark).toBe(0n);
  });

  it('answers a CreateTopics request with a null topics array', async () => {
    const h = new BrokerHarness(11);
    const c = await h.connect();
    // topics: INT32 -1 (null array), timeout_ms, validate_only (v1+)
    const body = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 10, 0]);
    const header = new Uint8Array([0, 19, 0, 1, 0, 0, 0, 42, 0xff, 0xff]);
    const size = new Uint8Array([0, 0, 0, header.length + body.length]);
    c.writeRaw([size, header, body]);
    await h.advance(200);
    expect(c.closed).toBe(false);
    expect(c.arrivals).toEqual([42]);
  });

  it('grows a topic with CreatePartitions and describes its configs', async () => {
    const h = new BrokerHarness(12);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const grown = await h.run(c.request(ApiKey.CreatePartitions, 1, { topics: [{ name: 't', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false }));
    expect(grown.results[0]!.errorCode).toBe(ErrorCode.NONE);
    const shrink = await h.run(c.request(ApiKey.CreatePartitions, 1, { topics: [{ name: 't', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false }));
    expect(shrink.results[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
    const huge = await h.run(c.request(ApiKey.CreatePartitions, 1, { topics: [{ name: 't', count: 2 ** 31 - 1, assignments: null }], timeoutMs: 1000, validateOnly: false }));
    expect(huge.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `partitions must be from 1 to ${topicPartitionsMax}, got ${2 ** 31 - 1}` });
    await h.stopAndRestart();
    const c2 = await h.connect();
    const m = await h.run(c2.request(ApiKey.Metadata, 8, metadataBody(['t'], false)));
    expect(m.topics[0]!.partitions).toHaveLength(3);
    const configs = await h.run(
      c2.request(ApiKey.DescribeConfigs, 1, {
        resources: [
          { resourceType: 2, resourceName: 't', configurationKeys: ['cleanup.policy', 'retention.ms'] },
          { resourceType: 4, resourceName: '1', configurationKeys: null },
          { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    );
    expect(configs.results[0]!.configs.map((x) => [x.name, x.value])).toEqual([['cleanup.policy', 'delete'], ['retention.ms', '-1']]);
    expect(configs.results[1]!.configs.find((x) => x.name === 'num.partitions')?.value).toBe('1');
    expect(configs.results[2]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('Broker: DescribeCluster', () => {
  it('describes this node as the cluster and its controller; controllers (v1 endpoint type 2) are MISMATCHED_ENDPOINT_TYPE', async () => {
    const h = new BrokerHarness(63);
    const c = await h.connect();
    const brokers = { clusterId: 'chronik', controllerId: 1, brokers: [{ brokerId: 1, host: 'n1', port: 9092, rack: null }] };
    const v0 = await h.run(c.request(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false, endpointType: 1 }));
    expect(v0).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, ...brokers, clusterAuthorizedOperations: -2147483648 });
    const v1 = await h.run(c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 }));
    expect(v1).toMatchObject({ errorCode: ErrorCode.NONE, endpointType: 1, ...brokers });
    const controllers = await h.run(c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 }));
    expect(controllers).toMatchObject({ errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, brokers: [] });
    const unknown = await h.run(c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7 }));
    expect(unknown.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
  });
});

describe('Broker: DescribeProducers', () => {
  it("lists each partition's idempotent producers with epoch and last sequence, across a restart", async () => {
    const h = new BrokerHarness(64);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    const producer = await h.initProducer(c);
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3, 'a', { ...producer, baseSequence: 0 }))));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2, 'b', { ...producer, baseSequence: 3 }))));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 1, makeBatch(1))));
    const request = { topics: [{ name: 't', partitionIndexes: [0, 1, 5] }, { name: 'nope', partitionIndexes: [0] }] };
    const expected = {
      throttleTimeMs: 0,
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers: [{ ...producer, lastSequence: 4, lastTimestamp: -1n, coordinatorEpoch: -1, currentTxnStartOffset: -1n }],
            },
            { partitionIndex: 1, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] },
            { partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] },
          ],
        },
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] }] },
      ],
    };
    expect(await h.run(c.request(ApiKey.DescribeProducers, 0, request))).toEqual(expected);
    // The state is rebuilt from the log's batch headers after a crash.
    await h.crashAndRestart();
    const c2 = await h.connect();
    expect(await h.run(c2.request(ApiKey.DescribeProducers, 0, request))).toEqual(expected);
  });
});

describe('Broker: bad requests', () => {
  it('answers ApiVersions beyond its range with UNSUPPORTED_VERSION and closes on other unsupported versions', async () => {
    const h = new BrokerHarness(13);
    const c = await h.connect();
    const tooNew = await h.run(c.request(ApiKey.ApiVersions, 9, apiVersionsBody, { responseVersion: 0 }));
    expect(tooNew.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(tooNew.apiKeys.some((k) => k.apiKey === ApiKey.Produce)).toBe(true);
    const ok = await h.run(c.request(ApiKey.ApiVersions, 3, apiVersionsBody));
    expect(ok.errorCode).toBe(ErrorCode.NONE);
    await expect(h.run(c.request(ApiKey.Metadata, 30, metadataBody(null)))).rejects.toThrow('connection closed');
    expect(c.closed).toBe(true);
    const again = await h.connect();
    expect((await h.run(again.request(ApiKey.ApiVersions, 2, apiVersionsBody))).errorCode).toBe(ErrorCode.NONE);
  });

  it('closes the connection on an oversized frame, a short header and an unknown api key, and stays up', async () => {
    const h = new BrokerHarness(14, testOptions({ requestBytesMax: 4096 }));
    const frames = [
      new Uint8Array([0x00, 0x10, 0x00, 0x00, 1, 2, 3]), // announces 1 MiB
      new Uint8Array([0xff, 0xff, 0xff, 0xfe]), // negative size
      new Uint8Array([0, 0, 0, 3, 1, 2, 3]), // header shorter than 8 bytes
      new Uint8Array([0, 0, 0, 10, 0x27, 0x0f, 0, 0, 0, 0, 0, 1, 0xff, 0xff]), // api key 9999
    ];
    for (const frame of frames) {
      const c = await h.connect();
      c.writeRaw([frame]);
      await h.advance(100);
      expect(c.closed).toBe(true);
    }
    const c = await h.connect();
    expect((await h.run(c.request(ApiKey.ApiVersions, 3, apiVersionsBody))).errorCode).toBe(ErrorCode.NONE);
    expect(h.broker!.connectionCount).toBe(1);
  });
});

describe('Broker: retention', () => {
  it('deletes old segments on its retention timer; fetching below the new start is OFFSET_OUT_OF_RANGE', async () => {
    const h = new BrokerHarness(15, testOptions({ log: { segmentBytesMax: 2048, indexIntervalBytes: 512, retentionBytesMax: 4096, retentionMsMax: null }, retentionCheckIntervalMs: 1000 }));
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    for (let i = 0; i < 40; i++) await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(5, `retention-${i}`))));
    await h.advance(1500);
    const earliest = await h.run(
      c.request(ApiKey.ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] }] }),
    );
    const start = earliest.topics[0]!.partitions[0]!.offset;
    expect(start).toBeGreaterThan(0n);
    const below = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(below.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: start, highWatermark: 200n });
  });
});
