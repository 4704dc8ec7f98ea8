import { describe, expect, it } from 'vitest';
import { recordBatch } from '../log/index.ts';
import { metricDefs as m } from '../metrics/index.ts';
import { ApiKey, ErrorCode } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody, fetchBody, produceBody, testOptions } from '../../testing/broker-harness.ts';
import type { KafkaWireClient } from '../../testing/kafka-wire-client.ts';
import { InMemoryMetrics } from '../../testing/memory-metrics.ts';
import type { Broker } from './broker.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** One batch of one record whose value is `valueBytes` long. */
function bigBatch(valueBytes: number, tag: number): Uint8Array {
  const value = new Uint8Array(valueBytes).fill(tag & 0xff);
  return recordBatch.encodeRecordBatch({ records: [{ key: null, value }], baseTimestamp: 1_700_000_000_000n });
}

/** A harness whose broker parks and holds at most the given bytes, with segments big enough for the batches. */
function harness(seed: number, limits: { connectionParkedBytesMax: number; requestBytesHeldMax: number }, metrics = new InMemoryMetrics()): BrokerHarness {
  const h = new BrokerHarness(seed, testOptions({ ...limits, metrics, log: { segmentBytesMax: 64 * MiB, indexIntervalBytes: 4096, retentionMsMax: null } }));
  // Slow fsyncs: the broker appends far slower than the client writes, so requests pile up.
  h.node.disk.faults.latency.syncMsMin = 5;
  h.node.disk.faults.latency.syncMsMax = 10;
  return h;
}

/** Sends `count` produce requests of `valueBytes` each without waiting; returns their responses' error codes. */
function pipeline(c: KafkaWireClient, topic: string, count: number, valueBytes: number): Promise<number[]> {
  const sent = [];
  for (let i = 0; i < count; i++) sent.push(c.request(ApiKey.Produce, 7, produceBody(topic, 0, bigBatch(valueBytes, i))));
  return Promise.all(sent).then((responses) => responses.map((r) => r.responses[0]!.partitionResponses[0]!.errorCode));
}

async function highWatermark(h: BrokerHarness, c: KafkaWireClient, topic: string): Promise<bigint> {
  const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody(topic, 0, 0n, { maxBytes: 1 })));
  return f.responses[0]!.partitions[0]!.highWatermark;
}

/**
 * Advances virtual time in 1 ms steps until `done` settles, calling `observe` after each step; fails
 * if it has not settled after `virtualMsMax` (a stall: nothing in these tests needs half of it).
 */
async function runObserving<T>(h: BrokerHarness, done: Promise<T>, observe: (broker: Broker) => void, virtualMsMax = 2000): Promise<T> {
  let settled = false;
  void done.finally(() => void (settled = true)).catch(() => undefined);
  const startMs = h.sim.nowMs();
  while (!settled) {
    if (h.sim.nowMs() - startMs > virtualMsMax) throw new Error(`not settled after ${virtualMsMax} ms of virtual time: stalled`);
    await h.advance(1);
    observe(h.broker!);
  }
  return h.run(done);
}

describe('Broker: back-pressure on reading, never a disconnect', () => {
  it('pauses a connection that pipelines large produces without reading responses, keeps parked bytes bounded, then answers every one', async () => {
    const parkedBytesMax = 512 * KiB;
    const metrics = new InMemoryMetrics();
    const h = harness(71, { connectionParkedBytesMax: parkedBytesMax, requestBytesHeldMax: 256 * MiB }, metrics);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('big', 1)));
    const count = 120;
    const valueBytes = 64 * KiB;
    // The client does not read responses at first: all 120 requests (7.5 MiB) are written at once.
    c.connection.pauseReading();
    const codes = pipeline(c, 'big', count, valueBytes);
    let sawPaused = false;
    let sawPausedMetric = false;
    let sawClientBackedUp = false;
    for (let step = 0; step < 200; step++) {
      await h.advance(1);
      const memory = h.broker!.requestMemory();
      expect(h.broker!.connectionCount).toBe(1);
      metrics.scrape();
      if (metrics.value(m.connectionsReadingPaused.name) === 1 && metrics.value(m.requestBytesHeld.name)! > parkedBytesMax) sawPausedMetric = true;
      if (memory.connectionsReadingPaused === 1) sawPaused = true;
      if (memory.connectionsReadingPaused === 1 && c.connection.bufferedBytes() > parkedBytesMax) sawClientBackedUp = true;
    }
    expect(sawPaused).toBe(true);
    expect(sawPausedMetric).toBe(true);
    expect(sawClientBackedUp).toBe(true);
    expect(c.closed).toBe(false);
    // Now the client reads: every request is answered, in order, and stored.
    c.connection.resumeReading();
    const answered = await runObserving(h, codes, (broker) => expect(broker.connectionCount).toBe(1));
    expect(answered).toEqual(new Array(count).fill(ErrorCode.NONE));
    expect(c.orderViolations).toEqual([]);
    const memory = h.broker!.requestMemory();
    // Parking stops reading at the limit; the chunk being read when it is reached can add one frame.
    expect(memory.parkedBytesPeak).toBeGreaterThanOrEqual(parkedBytesMax);
    expect(memory.parkedBytesPeak).toBeLessThanOrEqual(parkedBytesMax + valueBytes + 4 * KiB);
    expect(memory.readingPausesTotal).toBeGreaterThan(0);
    expect(await highWatermark(h, c, 'big')).toBe(BigInt(count));
    expect(h.broker!.requestMemory().heldBytes).toBe(0);
    metrics.scrape();
    expect(metrics.value(m.requestBytesHeld.name)).toBe(0);
    expect(metrics.value(m.connectionsReadingPaused.name)).toBe(0);
    expect(metrics.value(m.readingPauses.name)).toBe(memory.readingPausesTotal);
  });

  it('holds request bytes across several connections within the broker-wide budget, resumes every connection, and loses nothing', async () => {
    const budgetBytes = 1 * MiB;
    const h = harness(72, { connectionParkedBytesMax: 64 * MiB, requestBytesHeldMax: budgetBytes });
    const admin = await h.connect();
    await h.run(admin.request(ApiKey.CreateTopics, 3, createTopicsBody('shared', 1)));
    const connections = 4;
    const perConnection = 24;
    const valueBytes = 100 * KiB;
    const clients = [];
    for (let i = 0; i < connections; i++) clients.push(await h.connect());
    const all = Promise.all(clients.map((c) => pipeline(c, 'shared', perConnection, valueBytes)));
    let waitingMax = 0;
    const answered = await runObserving(h, all, (broker) => {
      expect(broker.connectionCount).toBe(connections + 1);
      waitingMax = Math.max(waitingMax, broker.requestMemory().connectionsWaiting);
    });
    for (const codes of answered) expect(codes).toEqual(new Array(perConnection).fill(ErrorCode.NONE));
    for (const c of clients) expect(c.orderViolations).toEqual([]);
    const memory = h.broker!.requestMemory();
    expect(waitingMax).toBeGreaterThan(1);
    // Over the budget by at most, per connection, one frame being read and one chunk after a wake-up.
    const frameBytesMax = valueBytes + 4 * KiB;
    expect(memory.heldBytesPeak).toBeGreaterThanOrEqual(budgetBytes);
    expect(memory.heldBytesPeak).toBeLessThanOrEqual(budgetBytes + connections * 2 * frameBytesMax);
    expect(memory.heldBytes).toBe(0);
    expect(await highWatermark(h, admin, 'shared')).toBe(BigInt(connections * perConnection));
  });

  it('lets frames larger than the whole budget through, one at a time per connection (no deadlock)', async () => {
    const h = harness(73, { connectionParkedBytesMax: 64 * MiB, requestBytesHeldMax: 512 * KiB });
    const admin = await h.connect();
    await h.run(admin.request(ApiKey.CreateTopics, 3, createTopicsBody('huge', 1)));
    const clients = [await h.connect(), await h.connect(), await h.connect()];
    const all = Promise.all(clients.map((c) => pipeline(c, 'huge', 4, 2 * MiB)));
    const answered = await runObserving(h, all, () => undefined);
    for (const codes of answered) expect(codes).toEqual([0, 0, 0, 0]);
    expect(h.broker!.requestMemory().readingPausesTotal).toBeGreaterThan(0);
    expect(h.broker!.requestMemory().heldBytes).toBe(0);
    expect(await highWatermark(h, admin, 'huge')).toBe(12n);
  });

  it('gives back the bytes of a paused connection that the client closes, and keeps serving others', async () => {
    const h = harness(74, { connectionParkedBytesMax: 256 * KiB, requestBytesHeldMax: 4 * MiB });
    const admin = await h.connect();
    await h.run(admin.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const quitter = await h.connect();
    void pipeline(quitter, 't', 100, 64 * KiB).catch(() => undefined);
    let paused = false;
    for (let step = 0; step < 200 && !paused; step++) {
      await h.advance(1);
      paused = h.broker!.requestMemory().connectionsReadingPaused > 0;
    }
    expect(paused).toBe(true);
    quitter.close();
    await h.advance(500);
    expect(h.broker!.connectionCount).toBe(1);
    expect(h.broker!.requestMemory()).toMatchObject({ heldBytes: 0, connectionsWaiting: 0, connectionsReadingPaused: 0 });
    const after = await h.run(pipeline(admin, 't', 3, 128 * KiB));
    expect(after).toEqual([0, 0, 0]);
  });
});
