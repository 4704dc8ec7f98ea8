import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type ResponseBody } from '../protocol/index.ts';
import { BrokerHarness, batchCount, createTopicsBody, fetchBody, makeBatch, produceBody } from '../../testing/broker-harness.ts';
import { transactionsUnsupported } from './broker.ts';

async function fetchAll(h: BrokerHarness, topic: string, partition: number): Promise<{ records: number; highWatermark: bigint }> {
  const c = await h.connect();
  const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody(topic, partition, 0n, { maxBytes: 64 * 1024 * 1024 })));
  const p = f.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  c.close();
  return { records: batchCount(p.records as Uint8Array), highWatermark: p.highWatermark };
}

describe('Broker: durability', () => {
  for (const seed of [21, 22, 23, 24, 25]) {
    it(`keeps every acknowledged batch across a crash (seed ${seed})`, async () => {
      const h = new BrokerHarness(seed);
      const c = await h.connect();
      await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
      const acked = [0, 0];
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < 40; i++) {
        const partition = i % 2;
        const sent = c.request(ApiKey.Produce, 7, produceBody('t', partition, makeBatch(1 + (i % 3), `r${i}`), i % 3 === 0 ? 1 : -1));
        const count = 1 + (i % 3);
        inFlight.push(
          sent.then(
            (r) => {
              if (r.responses[0]!.partitionResponses[0]!.errorCode === ErrorCode.NONE) acked[partition]! += count;
            },
            () => undefined,
          ),
        );
      }
      // Let some of them be acknowledged, then pull the plug mid-stream.
      const crashAtAcked = 15 + (seed % 5) * 10;
      await h.sim.run({ until: () => acked[0]! + acked[1]! >= crashAtAcked });
      const ackedAtCrash = [...acked];
      expect(ackedAtCrash[0]! + ackedAtCrash[1]!).toBeLessThan(80); // the crash cut some appends short
      const restarted = await h.crashAndRestart();
      expect(restarted).not.toBeNull();
      for (const partition of [0, 1]) {
        const { records, highWatermark } = await fetchAll(h, 't', partition);
        expect(records).toBeGreaterThanOrEqual(ackedAtCrash[partition]!);
        expect(BigInt(records)).toBe(highWatermark);
      }
    });
  }

  it('keeps every accepted batch, acks=0 included, across a graceful stop', async () => {
    const h = new BrokerHarness(30);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    for (let i = 0; i < 10; i++) c.sendOneWay(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2, `z${i}`), 0));
    const answered = c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(5, 'last')));
    await h.advance(20); // the frames reach the broker; their appends may still be in flight
    const stopping = h.node.stop();
    const last = await h.run(answered);
    await h.run(stopping);
    expect(last.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    h.node.restart();
    await h.booted();
    expect(await fetchAll(h, 't', 0)).toEqual({ records: 25, highWatermark: 25n });
  });

  it('answers a long-poll fetch when the broker stops', async () => {
    const h = new BrokerHarness(31);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const waiting = c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n, { maxWaitMs: 30_000 }));
    await h.advance(50);
    const stopAt = h.sim.nowMs();
    await h.run(h.node.stop());
    const answer = await h.run(waiting);
    expect(answer.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(h.sim.nowMs() - stopAt).toBeLessThan(30_000);
  });
});

describe('Broker: idempotent producer', () => {
  it('answers a retried batch with its first offsets and stores it once, before and after a restart', async () => {
    const h = new BrokerHarness(40);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const producer = await h.initProducer(c);
    const batch = (seq: number, n: number): Uint8Array => makeBatch(n, `s${seq}`, { ...producer, baseSequence: seq });
    const offsetOf = (r: ResponseBody<0>): [number, bigint] => [r.responses[0]!.partitionResponses[0]!.errorCode, r.responses[0]!.partitionResponses[0]!.baseOffset];

    expect(offsetOf(await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(0, 3)))))).toEqual([0, 0n]);
    expect(offsetOf(await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(3, 2)))))).toEqual([0, 3n]);
    expect(offsetOf(await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(3, 2)))))).toEqual([0, 3n]);
    expect(offsetOf(await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(9, 1)))))[0]).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Two in flight at once: the second checks against the first before either is durable.
    const [a, b] = await h.run(Promise.all([c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(5, 1))), c.request(ApiKey.Produce, 7, produceBody('t', 0, batch(6, 1)))]));
    expect([offsetOf(a), offsetOf(b)]).toEqual([[0, 5n], [0, 6n]]);

    await h.crashAndRestart();
    const c2 = await h.connect();
    expect(offsetOf(await h.run(c2.request(ApiKey.Produce, 7, produceBody('t', 0, batch(6, 1)))))).toEqual([0, 6n]);
    expect(offsetOf(await h.run(c2.request(ApiKey.Produce, 7, produceBody('t', 0, batch(7, 1)))))).toEqual([0, 7n]);
    const stale = makeBatch(1, 'old', { producerId: producer.producerId, producerEpoch: producer.producerEpoch - 1, baseSequence: 8 });
    expect(offsetOf(await h.run(c2.request(ApiKey.Produce, 7, produceBody('t', 0, stale))))[0]).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await fetchAll(h, 't', 0)).toEqual({ records: 8, highWatermark: 8n });
    const next = await h.run(c2.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }));
    expect(next.producerId).toBeGreaterThan(producer.producerId);
  });

  it('refuses transactional producers with an error clients treat as fatal', async () => {
    const h = new BrokerHarness(41);
    const c = await h.connect();
    const init = await h.run(c.request(ApiKey.InitProducerId, 1, { transactionalId: 'tx', transactionTimeoutMs: 60_000 }));
    expect(init.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // Not the retriable COORDINATOR_NOT_AVAILABLE: that kept clients retrying until their timeout.
    const coordinator = await h.run(c.request(ApiKey.FindCoordinator, 2, { key: 'tx', keyType: 1 }));
    expect(coordinator).toMatchObject({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, errorMessage: transactionsUnsupported, nodeId: -1 });
    const group = await h.run(c.request(ApiKey.FindCoordinator, 2, { key: 'tx', keyType: 0 }));
    expect(group.errorCode).toBe(ErrorCode.NONE);
  });
});
