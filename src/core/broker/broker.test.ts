import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '../protocol/index.ts';
import { BrokerHarness, batchCount, createTopicsBody, fetchBody, makeBatch, produceBody } from './test-harness.ts';

describe('Broker: produce and fetch', () => {
  it('round-trips batches with acks=1 and acks=-1 and serves them from offset 0', async () => {
    const h = new BrokerHarness(1);
    const c = await h.connect();
    const created = await h.run(c.send(ApiKey.CreateTopics, 3, createTopicsBody('orders', 2)));
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const p1 = await h.run(c.send(ApiKey.Produce, 7, produceBody('orders', 0, makeBatch(3), 1)));
    const p2 = await h.run(c.send(ApiKey.Produce, 7, produceBody('orders', 0, makeBatch(2), -1)));
    expect(p1.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(p2.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n });
    const f = await h.run(c.send(ApiKey.Fetch, 11, fetchBody('orders', 0, 0n)));
    const part = f.responses[0]!.partitions[0]!;
    expect(part.errorCode).toBe(0);
    expect(part.highWatermark).toBe(5n);
    expect(batchCount(part.records as Uint8Array)).toBe(5);
  });
});
