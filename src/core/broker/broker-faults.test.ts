import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, batchCount, createTopicsBody, fetchBody, makeBatch, produceBody } from '../../testing/broker-harness.ts';

const metadataBody: RequestBody<3> = { topics: [{ name: 't' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

describe('Broker: disk faults become error codes', () => {
  it('answers KAFKA_STORAGE_ERROR on a full disk, stores nothing, and recovers when space returns', async () => {
    const h = new BrokerHarness(60);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2))));
    h.node.disk.faults.setFull(true);
    const refused = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))));
    expect(refused.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const notCreated = await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('u', 1)));
    expect(notCreated.topics[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    h.node.disk.faults.setFull(false);
    const ok = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(ok.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2n });
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(batchCount(f.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(3);
  });

  it('fails a partition whose fsync failed (KAFKA_STORAGE_ERROR, in Metadata too) and serves it again after a restart', async () => {
    const h = new BrokerHarness(61);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2))));
    h.node.disk.faults.failNextSync();
    const failed = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))));
    expect(failed.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const after = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(after.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const m = await h.run(c.request(ApiKey.Metadata, 8, metadataBody));
    expect(m.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    const versions = await h.run(c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    expect(versions.errorCode).toBe(ErrorCode.NONE);

    await h.crashAndRestart();
    const c2 = await h.connect();
    const again = await h.run(c2.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(again.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    const f = await h.run(c2.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(batchCount(f.responses[0]!.partitions[0]!.records as Uint8Array)).toBeGreaterThanOrEqual(3);
  });
});

describe('Broker: a failed partition comes back by itself', () => {
  it('reopens a partition whose fsync failed within partitionReopenIntervalMs, with its idempotent producers deduplicated', async () => {
    const h = new BrokerHarness(62);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const producer = await h.initProducer(c);
    const produce = async (seq: number, n: number): Promise<[number, bigint]> => {
      const r = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(n, `s${seq}`, { ...producer, baseSequence: seq }))));
      return [r.responses[0]!.partitionResponses[0]!.errorCode, r.responses[0]!.partitionResponses[0]!.baseOffset];
    };
    expect(await produce(0, 2)).toEqual([0, 0n]);
    h.node.disk.faults.failNextSync();
    expect((await produce(2, 3))[0]).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((await produce(2, 3))[0]).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    // No restart: the broker reopens the partition from what is durable (default interval 1 s).
    await h.advance(1500);
    const retried = await produce(2, 3);
    expect(retried[0]).toBe(ErrorCode.NONE);
    // The producer state was rebuilt from the log: the same retry again is a duplicate, answered with
    // the first offsets and stored once; the next sequence follows it.
    expect(await produce(2, 3)).toEqual(retried);
    expect(await produce(5, 1)).toEqual([0, retried[1] + 3n]);
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    const records = f.responses[0]!.partitions[0]!.records as Uint8Array;
    expect(f.responses[0]!.partitions[0]!.highWatermark).toBe(retried[1] + 4n);
    expect(batchCount(records)).toBeGreaterThanOrEqual(3);
  });
});

describe('Broker: backpressure', () => {
  it('answers 300 pipelined requests on one connection, in order', async () => {
    const h = new BrokerHarness(63);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const before = c.arrivals.length;
    const sent = [];
    for (let i = 0; i < 300; i++) {
      sent.push(i % 2 === 0 ? c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1, `p${i}`))) : c.request(ApiKey.Metadata, 8, metadataBody));
    }
    await h.run(Promise.all(sent));
    const order = c.arrivals.slice(before);
    expect(order).toHaveLength(300);
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(c.orderViolations).toEqual([]);
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(batchCount(f.responses[0]!.partitions[0]!.records as Uint8Array)).toBe(150);
  });
});
