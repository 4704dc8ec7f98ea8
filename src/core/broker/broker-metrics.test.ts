import { describe, expect, it } from 'vitest';
import { metricDefs as m } from '../metrics/index.ts';
import { ApiKey, ErrorCode, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody, fetchBody, makeBatch, produceBody, testOptions } from '../../testing/broker-harness.ts';
import { InMemoryMetrics } from '../../testing/memory-metrics.ts';

const commitBody = (groupId: string, generationId: number, memberId: string, committedOffset: bigint): RequestBody<8> => ({
  groupId,
  generationIdOrMemberEpoch: generationId,
  memberId,
  groupInstanceId: null,
  retentionTimeMs: -1n,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
});

function harness(seed: number): { h: BrokerHarness; metrics: InMemoryMetrics } {
  const metrics = new InMemoryMetrics();
  return { h: new BrokerHarness(seed, testOptions({ metrics })), metrics };
}

describe('BrokerMetrics: events recorded on the request path', () => {
  it('counts requests, produce and fetch latency, bytes in and out, connections and group-commit fsyncs', async () => {
    const { h, metrics } = harness(1);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    const batches = [makeBatch(3), makeBatch(2)];
    const startMs = h.sim.nowMs();
    for (const batch of batches) {
      const r = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, batch)));
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    const producedMs = h.sim.nowMs() - startMs;
    const f = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    const fetched = f.responses[0]!.partitions[0]!.records as Uint8Array;

    expect(metrics.value(m.requests.name, ['CreateTopics'])).toBe(1);
    expect(metrics.value(m.requests.name, ['Produce'])).toBe(2);
    expect(metrics.value(m.requests.name, ['Fetch'])).toBe(1);
    const produce = metrics.histogramValue(m.produceDuration.name)!;
    expect(produce.count).toBe(2);
    // Virtual time: the two produce latencies fit in the virtual time the two requests took.
    expect(produce.sum).toBeGreaterThan(0);
    expect(produce.sum).toBeLessThanOrEqual(producedMs / 1000);
    // Per stage: each partition's append waited at most as long as its request; no replication on one node.
    const appendStage = metrics.histogramValue(m.produceStage.name, ['append'])!;
    expect(appendStage.count).toBe(2);
    expect(appendStage.sum).toBeGreaterThan(0);
    expect(appendStage.sum).toBeLessThanOrEqual(produce.sum);
    expect(metrics.histogramValue(m.produceStage.name, ['replication'])?.count ?? 0).toBe(0);
    expect(metrics.histogramValue(m.fetchDuration.name)!.count).toBe(1);
    expect(metrics.value(m.bytesIn.name)).toBe(batches[0]!.length + batches[1]!.length);
    expect(fetched.length).toBeGreaterThan(0);
    expect(metrics.value(m.bytesOut.name)).toBe(fetched.length);
    expect(metrics.value(m.connectionsAccepted.name)).toBe(1);
    const fsyncs = metrics.histogramValue(m.fsyncDuration.name)!;
    const appends = metrics.histogramValue(m.appendsPerFsync.name)!;
    expect(fsyncs.count).toBeGreaterThanOrEqual(2);
    expect(appends.count).toBe(fsyncs.count);
    expect(appends.sum).toBe(2);
  });

  it('shares one fsync among concurrent appends and records the batch size', async () => {
    const { h, metrics } = harness(2);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const sent = Array.from({ length: 8 }, () => c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    await h.run(Promise.all(sent));
    const appends = metrics.histogramValue(m.appendsPerFsync.name)!;
    expect(appends.sum).toBe(8);
    expect(Math.max(...appends.observations)).toBeGreaterThan(1);
  });
});

describe('BrokerMetrics: state read at each scrape', () => {
  it('sets log offsets, replicas and the in-sync count per partition, and open connections', async () => {
    const { h, metrics } = harness(3);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 1, makeBatch(4))));
    expect(metrics.value(m.logEndOffset.name, ['t', '1'])).toBeUndefined();
    metrics.scrape();
    expect(metrics.value(m.logEndOffset.name, ['t', '1'])).toBe(4);
    expect(metrics.value(m.highWatermark.name, ['t', '1'])).toBe(4);
    expect(metrics.value(m.logStartOffset.name, ['t', '1'])).toBe(0);
    expect(metrics.value(m.logSize.name, ['t', '1'])).toBeGreaterThan(0);
    expect(metrics.value(m.logEndOffset.name, ['t', '0'])).toBe(0);
    expect(metrics.value(m.replicas.name, ['t', '0'])).toBe(1);
    expect(metrics.value(m.isrSize.name, ['t', '1'])).toBe(1);
    expect(metrics.value(m.underReplicated.name)).toBe(0);
    expect(metrics.value(m.connections.name)).toBe(1);
    const c2 = await h.connect();
    await h.run(c2.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    metrics.scrape();
    expect(metrics.value(m.connections.name)).toBe(2);
  });

  it('counts a partition whose fsync failed as under-replicated (in-sync 0) until it is reopened', async () => {
    const { h, metrics } = harness(4);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    h.node.disk.faults.failNextSync();
    const failed = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(failed.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    metrics.scrape();
    expect(metrics.value(m.isrSize.name, ['t', '0'])).toBe(0);
    expect(metrics.value(m.isrSize.name, ['t', '1'])).toBe(1);
    expect(metrics.value(m.underReplicated.name)).toBe(1);
    await h.advance(5000); // partitionReopenIntervalMs is 1000 by default
    metrics.scrape();
    expect(metrics.value(m.isrSize.name, ['t', '0'])).toBe(1);
    expect(metrics.value(m.underReplicated.name)).toBe(0);
  });

  it('reports consumer lag per committed partition and counts rebalances', async () => {
    const { h, metrics } = harness(5);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(5))));
    const join = (memberId: string): RequestBody<11> => ({
      groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null,
      protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array([1]) }],
    });
    const first = await h.run(c.request(ApiKey.JoinGroup, 5, join('')));
    const joined = await h.run(c.request(ApiKey.JoinGroup, 5, join(first.memberId)));
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    const { generationId, memberId } = joined;
    const synced = await h.run(c.request(ApiKey.SyncGroup, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null, assignments: [{ memberId, assignment: new Uint8Array(0) }] }));
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    const commit = await h.run(c.request(ApiKey.OffsetCommit, 7, commitBody('g', joined.generationId, joined.memberId, 2n)));
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    await h.run(c.request(ApiKey.OffsetCommit, 7, commitBody('standalone', -1, '', 9n)));
    metrics.scrape();
    expect(metrics.value(m.groupLag.name, ['g', 't', '0'])).toBe(3);
    expect(metrics.value(m.groupLag.name, ['standalone', 't', '0'])).toBe(0);
    expect(metrics.value(m.groupRebalances.name)).toBe(1);
    // A counter collected at scrape counts each rebalance once, however often it is scraped.
    metrics.scrape();
    expect(metrics.value(m.groupRebalances.name)).toBe(1);
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(2))));
    metrics.scrape();
    expect(metrics.value(m.groupLag.name, ['g', 't', '0'])).toBe(5);
  });

  it("drops a deleted topic's series at the next scrape, and stops collecting when the broker stops", async () => {
    const { h, metrics } = harness(6);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('a', 1)));
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('b', 1)));
    metrics.scrape();
    expect(metrics.labelSets(m.logEndOffset.name)).toEqual([['a', '0'], ['b', '0']]);
    const deleted = await h.run(c.request(ApiKey.DeleteTopics, 1, { topicNames: ['a'], timeoutMs: 1000 }));
    expect(deleted.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    metrics.scrape();
    expect(metrics.labelSets(m.logEndOffset.name)).toEqual([['b', '0']]);
    expect(metrics.collectorCount).toBe(1);
    await h.run(h.node.stop());
    expect(metrics.collectorCount).toBe(0);
  });
});
