import { describe, expect, it } from 'vitest';
import { recordBatch } from '../log/index.ts';
import { ApiKey, ConfigSource, ErrorCode, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody, fetchBody, makeBatch, produceBody, testOptions } from '../../testing/broker-harness.ts';
import type { KafkaWireClient } from '../../testing/kafka-wire-client.ts';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;

function createWithConfigs(name: string, configs: Record<string, string | null>, validateOnly = false): RequestBody<19> {
  const body = createTopicsBody(name, 1, { validateOnly });
  return { ...body, topics: [{ ...body.topics[0]!, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }] };
}

function alterBody(name: string, configs: Record<string, string | null>, validateOnly = false, resourceType = TOPIC): RequestBody<33> {
  return { resources: [{ resourceType, resourceName: name, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }], validateOnly };
}

function incrementalBody(name: string, ops: Array<[string, number, string | null]>, validateOnly = false, resourceType = TOPIC): RequestBody<44> {
  return { resources: [{ resourceType, resourceName: name, configs: ops.map(([n, configOperation, value]) => ({ name: n, configOperation, value })) }], validateOnly };
}

/** The topic's configs as name -> [value, source] from DescribeConfigs v1. */
async function described(h: BrokerHarness, c: KafkaWireClient, topic: string): Promise<Record<string, [string | null, number]>> {
  const answer = await h.run(c.request(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
  expect(answer.results[0]!.errorCode).toBe(ErrorCode.NONE);
  return Object.fromEntries(answer.results[0]!.configs.map((x) => [x.name, [x.value, x.configSource]]));
}

async function overrides(h: BrokerHarness, c: KafkaWireClient, topic: string): Promise<Record<string, string | null>> {
  const all = await described(h, c, topic);
  return Object.fromEntries(Object.entries(all).filter(([, [, source]]) => source === ConfigSource.DYNAMIC_TOPIC_CONFIG).map(([name, [value]]) => [name, value]));
}

describe('Broker: topic configs through CreateTopics, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs', () => {
  it('CreateTopics stores valid configs, refuses unknown keys and bad values with INVALID_CONFIG, honours validate_only', async () => {
    const h = new BrokerHarness(201);
    const c = await h.connect();
    const created = await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'retention.ms': '60000', 'cleanup.policy': 'delete', 'message.timestamp.type': 'LogAppendTime' })));
    expect(created.topics[0]).toEqual({ name: 't', errorCode: ErrorCode.NONE, errorMessage: null });
    expect(await overrides(h, c, 't')).toEqual({ 'cleanup.policy': 'delete', 'message.timestamp.type': 'LogAppendTime', 'retention.ms': '60000' });

    const refusals: Array<[Record<string, string | null>, string]> = [
      [{ 'retention.hours': '1' }, "'retention.hours' is not a topic config Chronik knows; known: cleanup.policy,"],
      [{ 'retention.ms': 'soon' }, "retention.ms: 'soon' is not a whole number; accepted: -1 (no limit) or milliseconds -1..9223372036854775807"],
      [{ 'cleanup.policy': 'compact' }, 'cleanup.policy: compact is not supported yet (Chronik does not compact logs)'],
      [{ 'unclean.leader.election.enable': 'true' }, 'unclean.leader.election.enable: true is not supported'],
      [{ 'segment.bytes': '100' }, 'segment.bytes: 100 is out of range; accepted: bytes 1024..'],
      [{ 'retention.ms': null }, 'retention.ms: a value is required'],
    ];
    for (const [configs, message] of refusals) {
      const answer = await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('bad', configs)));
      expect(answer.topics[0]!.errorCode, JSON.stringify(configs)).toBe(ErrorCode.INVALID_CONFIG);
      expect(answer.topics[0]!.errorMessage!.startsWith(message), answer.topics[0]!.errorMessage!).toBe(true);
    }
    const validated = await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('dry', { 'retention.ms': '5' }, true)));
    expect(validated.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const dryBad = await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('dry', { 'retention.ms': 'x' }, true)));
    expect(dryBad.topics[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const listed = await h.run(c.request(ApiKey.Metadata, 8, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
    expect(listed.topics.map((t) => t.name)).toEqual(['t']);
  });

  it('DescribeConfigs: value and source per version (v0 isDefault, v1 source and synonyms, v3 types); broker configs read-only', async () => {
    const h = new BrokerHarness(202);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'retention.ms': '60000' })));
    const resources = [{ resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms', 'segment.bytes', 'cleanup.policy'] }];
    const v0 = await h.run(c.request(ApiKey.DescribeConfigs, 0, { resources, includeSynonyms: false, includeDocumentation: false }));
    expect(v0.results[0]!.configs.map((x) => [x.name, x.value, x.isDefault, x.readOnly])).toEqual([
      ['cleanup.policy', 'delete', true, false],
      ['retention.ms', '60000', false, false],
      ['segment.bytes', String(64 * 1024), true, false],
    ]);
    const v1 = await h.run(c.request(ApiKey.DescribeConfigs, 1, { resources, includeSynonyms: true, includeDocumentation: false }));
    const retention = v1.results[0]!.configs.find((x) => x.name === 'retention.ms')!;
    expect(retention.configSource).toBe(ConfigSource.DYNAMIC_TOPIC_CONFIG);
    expect(retention.synonyms).toEqual([
      { name: 'retention.ms', value: '60000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.ms', value: '-1', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    expect(v1.results[0]!.configs.find((x) => x.name === 'segment.bytes')!).toMatchObject({
      configSource: ConfigSource.DEFAULT_CONFIG,
      synonyms: [{ name: 'log.segment.bytes', value: String(64 * 1024), source: ConfigSource.DEFAULT_CONFIG }],
    });
    const v3 = await h.run(c.request(ApiKey.DescribeConfigs, 3, { resources, includeSynonyms: false, includeDocumentation: false }));
    expect(v3.results[0]!.configs.map((x) => [x.name, x.configType])).toEqual([['cleanup.policy', 7], ['retention.ms', 5], ['segment.bytes', 3]]);
    const all = await described(h, c, 't');
    expect(Object.keys(all)).toEqual([
      'cleanup.policy', 'compression.type', 'max.message.bytes', 'message.timestamp.type', 'min.insync.replicas',
      'retention.bytes', 'retention.ms', 'segment.bytes', 'segment.ms', 'unclean.leader.election.enable',
    ]);
    const broker = await h.run(c.request(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }));
    expect(broker.results[0]!.configs.every((x) => x.readOnly && x.configSource === ConfigSource.STATIC_BROKER_CONFIG)).toBe(true);
  });

  it('AlterConfigs replaces every override; IncrementalAlterConfigs sets, deletes and appends; both survive a crash', async () => {
    const h = new BrokerHarness(203);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'retention.ms': '60000', 'segment.ms': '1000' })));
    const replaced = await h.run(c.request(ApiKey.AlterConfigs, 1, alterBody('t', { 'retention.bytes': '1048576' })));
    expect(replaced.responses).toEqual([{ resourceType: TOPIC, resourceName: 't', errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(await overrides(h, c, 't')).toEqual({ 'retention.bytes': '1048576' });

    for (const version of [0, 1]) {
      const answer = await h.run(c.request(ApiKey.IncrementalAlterConfigs, version, incrementalBody('t', [['retention.ms', SET, String(1000 + version)], ['cleanup.policy', APPEND, 'delete']])));
      expect(answer.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    const removed = await h.run(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['retention.bytes', DELETE, null]])));
    expect(removed.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await overrides(h, c, 't')).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '1001' });

    await h.crashAndRestart();
    const c2 = await h.connect();
    expect(await overrides(h, c2, 't')).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '1001' });
    // The restarted partition log runs with the stored config.
    expect(h.broker!.topics.partition('t', 0)!.log!.currentConfig.retentionMsMax).toBe(1001);
  });

  it('refusals change nothing: bad values, APPEND on a non-list config, validate_only, unknown topic, broker resources, a resource twice', async () => {
    const h = new BrokerHarness(204);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'retention.ms': '60000' })));
    const code = async (p: Promise<{ responses: Array<{ errorCode: number; errorMessage: string | null }> }>) => (await h.run(p)).responses.map((r) => [r.errorCode, r.errorMessage]);

    expect(await code(c.request(ApiKey.AlterConfigs, 1, alterBody('t', { 'retention.ms': '1', 'max.message.bytes': '-5' })))).toEqual([
      [ErrorCode.INVALID_CONFIG, 'max.message.bytes: -5 is out of range; accepted: bytes 0..67108864'],
    ]);
    expect(await code(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['retention.ms', APPEND, '1']])))).toEqual([
      [ErrorCode.INVALID_CONFIG, 'retention.ms: APPEND and SUBTRACT apply only to list configs (cleanup.policy); use SET'],
    ]);
    expect(await code(c.request(ApiKey.IncrementalAlterConfigs, 0, incrementalBody('t', [['cleanup.policy', APPEND, 'compact']])))).toEqual([
      [ErrorCode.INVALID_CONFIG, "cleanup.policy: compact is not supported yet (Chronik does not compact logs); the accepted value is 'delete'"],
    ]);
    expect(await code(c.request(ApiKey.AlterConfigs, 0, alterBody('t', { 'retention.ms': '5' }, true)))).toEqual([[ErrorCode.NONE, null]]);
    expect(await code(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['retention.ms', SET, '5']], true)))).toEqual([[ErrorCode.NONE, null]]);
    expect(await code(c.request(ApiKey.AlterConfigs, 1, alterBody('missing', { 'retention.ms': '5' })))).toEqual([[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic 'missing' does not exist"]]);
    const brokerRefusal = await code(c.request(ApiKey.AlterConfigs, 1, alterBody('1', { 'log.retention.ms': '5' }, false, BROKER)));
    expect(brokerRefusal[0]![0]).toBe(ErrorCode.POLICY_VIOLATION);
    expect(brokerRefusal[0]![1]).toContain('`chronik start` options');
    const brokerIncremental = await code(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('1', [['log.retention.ms', SET, '5']], false, BROKER)));
    expect(brokerIncremental[0]![0]).toBe(ErrorCode.POLICY_VIOLATION);
    const twice: RequestBody<33> = { resources: [...alterBody('t', {}).resources, ...alterBody('t', {}).resources], validateOnly: false };
    expect((await code(c.request(ApiKey.AlterConfigs, 1, twice))).map(([e]) => e)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(await overrides(h, c, 't')).toEqual({ 'retention.ms': '60000' });
  });
});

describe('Broker: topic configs take effect on the running partitions', () => {
  it('max.message.bytes lowered: a larger batch is MESSAGE_TOO_LARGE, a smaller one is stored; min.insync.replicas 2 refuses acks=-1 only', async () => {
    const h = new BrokerHarness(205);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createTopicsBody('t', 1)));
    const large = makeBatch(50, 'large');
    const small = makeBatch(2, 'small');
    expect((await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, large.slice())))).responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    const limit = large.length - 1;
    await h.run(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['max.message.bytes', SET, String(limit)]])));
    const refused = (await h.run(c.request(ApiKey.Produce, 8, produceBody('t', 0, large.slice())))).responses[0]!.partitionResponses[0]!;
    expect(refused).toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE, errorMessage: `batch of ${large.length} bytes is above the topic's max.message.bytes ${limit}` });
    expect((await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, small)))).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 50n });

    await h.run(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['min.insync.replicas', SET, '2']])));
    const all = (await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1), -1)))).responses[0]!.partitionResponses[0]!;
    expect(all.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    const one = (await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1), 1)))).responses[0]!.partitionResponses[0]!;
    expect(one).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 52n });
  });

  it('retention.ms lowered: the next retention pass deletes the old segments; segment.bytes lowered: the next append rolls', async () => {
    const h = new BrokerHarness(206, testOptions({ retentionCheckIntervalMs: 1000 }));
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'segment.bytes': '2048' })));
    // The batches carry 2023 timestamps; the simulated wall clock is in 2026.
    for (let i = 0; i < 40; i++) await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(5, `retention-${i}`))));
    const log = h.broker!.topics.partition('t', 0)!.log!;
    const segments = log.segmentCount;
    expect(segments).toBeGreaterThan(3);
    await h.advance(1500);
    expect(log.logStartOffset).toBe(0n); // retention.ms is the broker default here: no age limit
    await h.run(c.request(ApiKey.AlterConfigs, 1, alterBody('t', { 'segment.bytes': '2048', 'retention.ms': '86400000' })));
    await h.advance(1500);
    expect(log.logStartOffset).toBeGreaterThan(0n);
    expect(log.segmentCount).toBe(1);
    const below = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    expect(below.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);

    // segment.bytes back to the broker default (64 KiB): appends fill the active segment instead of rolling every 2 KiB.
    await h.run(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['segment.bytes', DELETE, null]])));
    for (let i = 0; i < 20; i++) await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(5, `big-${i}`))));
    expect(log.segmentCount).toBeLessThanOrEqual(2);
    // (retention.ms off again: retention also runs at each roll, and would delete the segment just rolled)
    await h.run(c.request(ApiKey.IncrementalAlterConfigs, 1, incrementalBody('t', [['segment.bytes', SET, '1024'], ['retention.ms', DELETE, null]])));
    const before = log.segmentCount;
    await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
    expect(log.segmentCount).toBe(before + 1);
  });

  it('message.timestamp.type=LogAppendTime: the broker stamps each batch, answers log_append_time_ms, and fetch and ListOffsets see that time', async () => {
    const h = new BrokerHarness(207);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 4, createWithConfigs('t', { 'message.timestamp.type': 'LogAppendTime' })));
    await h.run(c.request(ApiKey.CreateTopics, 4, createTopicsBody('create-time', 1)));
    const now = BigInt(h.clientIo.clock.wallClockMs());
    const answer = (await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))))).responses[0]!.partitionResponses[0]!;
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    expect(answer.logAppendTimeMs).toBeGreaterThanOrEqual(now);
    const plain = (await h.run(c.request(ApiKey.Produce, 7, produceBody('create-time', 0, makeBatch(3))))).responses[0]!.partitionResponses[0]!;
    expect(plain.logAppendTimeMs).toBe(-1n);

    const fetched = await h.run(c.request(ApiKey.Fetch, 11, fetchBody('t', 0, 0n)));
    const records = fetched.responses[0]!.partitions[0]!.records as Uint8Array; // decoded responses hold one buffer
    const header = recordBatch.readBatchHeader(records);
    expect(header.attributes & 0x08).toBe(0x08);
    expect(header.maxTimestamp).toBe(answer.logAppendTimeMs);
    expect(recordBatch.checkBatch(records, 0, records.length).ok).toBe(true);
    const byTime = await h.run(
      c.request(ApiKey.ListOffsets, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: answer.logAppendTimeMs, maxNumOffsets: 1 }] }] }),
    );
    expect(byTime.topics[0]!.partitions[0]).toMatchObject({ offset: 0n, timestamp: answer.logAppendTimeMs });
  });
});
