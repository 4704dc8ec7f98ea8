/**
 * Interoperability with a real client: kafkajs 2.2.4 (a dev dependency) encodes requests with its
 * own protocol modules at the versions it really sends, our codec decodes them; our codec encodes
 * responses, kafkajs's own response parsers read them. The Produce -> Fetch case carries a record
 * batch built by kafkajs through our codec untouched and back to kafkajs's message decoder.
 */
import { describe, expect, test } from 'vitest';
import { ApiKey } from './api-keys.ts';
import { advertisedApiVersions, type RequestBody, type ResponseBody, type SupportedApiKey } from './apis/index.ts';
import { concatChunks, decodeRequest, encodeResponse, type KafkaRequest } from './codec.ts';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const kafkajs = 'kafkajs/src/protocol/';

async function load(path: string): Promise<Any> {
  const mod = await import(`${kafkajs}${path}.js` as string);
  return mod.default ?? mod;
}

/** Encodes a kafkajs request object (header included) and decodes it with our codec. */
async function viaKafkajs(request: Any, correlationId = 7): Promise<KafkaRequest> {
  const encodeFrame = await load('request');
  const encoder = await encodeFrame({ correlationId, clientId: 'kafkajs-test', request });
  const bytes = new Uint8Array(encoder.buffer);
  const result = decodeRequest(bytes.subarray(4));
  if (!result.ok) throw new Error(`decode failed: ${JSON.stringify(result.failure)}`);
  expect(result.request.apiVersion).toBe(request.apiVersion);
  expect(result.request.clientId).toBe('kafkajs-test');
  expect(result.request.correlationId).toBe(correlationId);
  return result.request;
}

/** Encodes our response and runs it through kafkajs's decode and parse for that api/version. */
async function toKafkajs<K extends SupportedApiKey>(apiKey: K, version: number, dir: string, body: ResponseBody<K>): Promise<Any> {
  const frame = concatChunks(encodeResponse(apiKey, version, 7, body));
  const response = await load(`requests/${dir}/v${version}/response`);
  const payload = Buffer.from(frame.subarray(8)); // size and correlation id are read by kafkajs's connection
  return response.parse(await response.decode(payload));
}

function body<K extends SupportedApiKey>(request: KafkaRequest, apiKey: K): RequestBody<K> {
  expect(request.apiKey).toBe(apiKey);
  return request.body as unknown as RequestBody<K>;
}

describe('kafkajs 2.2.4 requests decode', () => {
  test('ApiVersions v2, and our answer parses', async () => {
    const request = await viaKafkajs((await load('requests/apiVersions/v2/request'))());
    expect(request.apiKey).toBe(ApiKey.ApiVersions);
    const parsed = await toKafkajs(ApiKey.ApiVersions, 2, 'apiVersions', { errorCode: 0, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 });
    expect(parsed.apiVersions).toContainEqual({ apiKey: 0, minVersion: 0, maxVersion: 8 });
  });

  test('Metadata v6, and our answer parses', async () => {
    const request = await viaKafkajs((await load('requests/metadata/v6/request'))({ topics: ['a', 'b'], allowAutoTopicCreation: false }));
    expect(body(request, ApiKey.Metadata)).toMatchObject({ topics: [{ name: 'a' }, { name: 'b' }], allowAutoTopicCreation: false });
    const parsed = await toKafkajs(ApiKey.Metadata, 6, 'metadata', {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'n1', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 1,
      topics: [{ errorCode: 0, name: 'a', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }], topicAuthorizedOperations: 0 }],
      clusterAuthorizedOperations: 0,
    });
    expect(parsed.brokers).toEqual([{ nodeId: 1, host: 'n1', port: 9092, rack: null }]);
    expect(parsed.topicMetadata[0].partitionMetadata[0]).toMatchObject({ partitionId: 0, leader: 1, replicas: [1], isr: [1] });
  });

  test('Produce v7 records travel untouched through our codec into a Fetch v11 response kafkajs reads', async () => {
    const produce = (await load('requests/produce/v7/request'))({
      acks: -1,
      timeout: 1000,
      topicData: [{ topic: 't', partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }] }] }],
    });
    const request = body(await viaKafkajs(produce), ApiKey.Produce);
    expect(request).toMatchObject({ acks: -1, timeoutMs: 1000, transactionalId: null });
    const records = request.topicData[0]!.partitionData[0]!.records!;
    expect(records[16]).toBe(2); // RecordBatch magic

    const produced = await toKafkajs(ApiKey.Produce, 7, 'produce', {
      responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }],
      throttleTimeMs: 0,
    });
    expect(produced.topics[0].partitions[0]).toMatchObject({ partition: 0, errorCode: 0, baseOffset: '5' });

    const fetched = await toKafkajs(ApiKey.Fetch, 11, 'fetch', {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 2n, lastStableOffset: 2n, logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records }] }],
    });
    const messages = fetched.responses[0].partitions[0].messages;
    expect(messages.map((m: Any) => [m.key.toString(), m.value.toString(), m.offset])).toEqual([['k1', 'v1', '0'], ['k2', 'v2', '1']]);
  });

  test('Fetch v11 request', async () => {
    const request = await viaKafkajs((await load('requests/fetch/v11/request'))({
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 1048576, rackId: 'r1',
      topics: [{ topic: 't', partitions: [{ partition: 2, fetchOffset: '42', maxBytes: 65536 }] }],
    }));
    expect(body(request, ApiKey.Fetch)).toMatchObject({
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 1048576, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'r1',
      topics: [{ topic: 't', partitions: [{ partition: 2, currentLeaderEpoch: -1, fetchOffset: 42n, partitionMaxBytes: 65536 }] }],
    });
  });

  test('ListOffsets v3', async () => {
    const request = await viaKafkajs((await load('requests/listOffsets/v3/request'))({
      replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2 }] }],
    }));
    expect(body(request, ApiKey.ListOffsets).topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, timestamp: -2n });
  });

  test('consumer group: FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3, OffsetCommit v5, OffsetFetch v4, LeaveGroup v3', async () => {
    const find = await viaKafkajs((await load('requests/findCoordinator/v2/request'))({ coordinatorKey: 'g', coordinatorType: 0 }));
    expect(body(find, ApiKey.FindCoordinator)).toEqual({ key: 'g', keyType: 0 });
    const join = await viaKafkajs((await load('requests/joinGroup/v5/request'))({
      groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([1, 2, 3]) }],
    }));
    expect(body(join, ApiKey.JoinGroup)).toMatchObject({ groupId: 'g', sessionTimeoutMs: 30000, rebalanceTimeoutMs: 60000, memberId: '', protocolType: 'consumer' });
    const sync = await viaKafkajs((await load('requests/syncGroup/v3/request'))({
      groupId: 'g', generationId: 1, memberId: 'm', groupAssignment: [{ memberId: 'm', memberAssignment: Buffer.from([9]) }],
    }));
    expect([...body(sync, ApiKey.SyncGroup).assignments[0]!.assignment]).toEqual([9]);
    const beat = await viaKafkajs((await load('requests/heartbeat/v3/request'))({ groupId: 'g', groupGenerationId: 1, memberId: 'm' }));
    expect(body(beat, ApiKey.Heartbeat)).toEqual({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
    const commit = await viaKafkajs((await load('requests/offsetCommit/v5/request'))({
      groupId: 'g', groupGenerationId: 1, memberId: 'm', topics: [{ topic: 't', partitions: [{ partition: 0, offset: '10' }] }],
    }));
    expect(body(commit, ApiKey.OffsetCommit).topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 10n, committedMetadata: null });
    const fetch = await viaKafkajs((await load('requests/offsetFetch/v4/request'))({ groupId: 'g', topics: [{ topic: 't', partitions: [{ partition: 0 }] }] }));
    expect(body(fetch, ApiKey.OffsetFetch)).toEqual({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] });
    const leave = await viaKafkajs((await load('requests/leaveGroup/v3/request'))({ groupId: 'g', members: [{ memberId: 'm' }] }));
    expect(body(leave, ApiKey.LeaveGroup).members).toEqual([{ memberId: 'm', groupInstanceId: null }]);

    const joined = await toKafkajs(ApiKey.JoinGroup, 5, 'joinGroup', {
      throttleTimeMs: 0, errorCode: 0, generationId: 3, protocolName: 'RoundRobinAssigner', leader: 'm', memberId: 'm',
      members: [{ memberId: 'm', groupInstanceId: null, metadata: Uint8Array.of(1) }],
    });
    expect(joined).toMatchObject({ generationId: 3, groupProtocol: 'RoundRobinAssigner', leaderId: 'm', memberId: 'm' });
    const offsets = await toKafkajs(ApiKey.OffsetFetch, 4, 'offsetFetch', {
      throttleTimeMs: 0, errorCode: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, metadata: null, errorCode: 0 }] }],
    });
    expect(offsets.responses[0].partitions[0]).toMatchObject({ partition: 0, offset: '10' });
  });

  test('admin: CreateTopics v3, DeleteTopics v1, InitProducerId v1', async () => {
    const create = await viaKafkajs((await load('requests/createTopics/v3/request'))({
      topics: [{ topic: 't', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], timeout: 5000,
    }));
    expect(body(create, ApiKey.CreateTopics)).toMatchObject({
      topics: [{ name: 't', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
      timeoutMs: 5000, validateOnly: false,
    });
    const del = await viaKafkajs((await load('requests/deleteTopics/v1/request'))({ topics: ['t'], timeout: 5000 }));
    expect(body(del, ApiKey.DeleteTopics)).toEqual({ topicNames: ['t'], timeoutMs: 5000 });
    const init = await viaKafkajs((await load('requests/initProducerId/v1/request'))({ transactionalId: null, transactionTimeout: 30000 }));
    expect(body(init, ApiKey.InitProducerId)).toEqual({ transactionalId: null, transactionTimeoutMs: 30000 });
    const initialized = await toKafkajs(ApiKey.InitProducerId, 1, 'initProducerId', { throttleTimeMs: 0, errorCode: 0, producerId: 1000n, producerEpoch: 0 });
    expect(initialized).toMatchObject({ producerId: '1000', producerEpoch: 0 });
  });
});
