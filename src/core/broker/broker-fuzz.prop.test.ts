/**
 * Fuzz: random and mutated request frames thrown at a running broker in the simulator. Whatever
 * arrives, the broker must not crash (no assertion, no unhandled rejection: the simulation fails on
 * either), must not hang a connection it decided to close, and must answer valid requests on a new
 * connection afterwards. Replay a failure with the seed and path fast-check prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, concatChunks, encodeRequest, type RequestBody, type SupportedApiKey } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody, fetchBody, makeBatch, produceBody, testOptions } from '../../testing/broker-harness.ts';

function frame<K extends SupportedApiKey>(apiKey: K, apiVersion: number, body: RequestBody<K>): Uint8Array {
  return concatChunks(encodeRequest(apiKey, { apiVersion, correlationId: 7, clientId: 'fuzz' }, body));
}

/** Valid frames to mutate, covering the APIs with the most structure. */
const seeds: Uint8Array[] = [
  frame(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(3))),
  frame(ApiKey.Produce, 3, produceBody('t', 0, makeBatch(1), 0)),
  frame(ApiKey.Fetch, 11, fetchBody('t', 0, 0n, { maxWaitMs: 50 })),
  frame(ApiKey.Fetch, 4, fetchBody('t', 0, 0n)),
  frame(ApiKey.Metadata, 8, { topics: [{ name: 't' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
  frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }),
  frame(ApiKey.CreateTopics, 4, createTopicsBody('fz', 1, { validateOnly: true })),
  frame(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }),
  frame(ApiKey.JoinGroup, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'r', metadata: new Uint8Array(4) }] }),
  frame(ApiKey.OffsetCommit, 2, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }] }),
  frame(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: 't', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false }),
  frame(ApiKey.OffsetFetch, 8, { groupId: '', topics: null, requireStable: true, groups: [{ groupId: 'g', topics: null }, { groupId: 'h', topics: [{ name: 't', partitionIndexes: [0] }] }] }),
  frame(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] }),
  frame(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] }),
  frame(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
  frame(ApiKey.DescribeProducers, 0, { topics: [{ name: 't', partitionIndexes: [0, 7] }] }),
];

type Mutation = { kind: 'flip'; at: number; xor: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

/** Applies mutations to the body (after the size prefix) and fixes the size prefix, so framing passes. */
function mutate(original: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let body = original.subarray(4);
  for (const m of mutations) {
    const at = body.length === 0 ? 0 : m.at % body.length;
    if (m.kind === 'flip' && body.length > 0) {
      body = body.slice();
      body[at]! ^= m.xor;
    } else if (m.kind === 'truncate') body = body.subarray(0, at);
    else if (m.kind === 'insert') body = concatChunks([body.subarray(0, at), m.bytes, body.subarray(at)]);
  }
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
}

const attack: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((body) => mutate(concatChunks([new Uint8Array(4), body]), [])) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([f, ms]) => mutate(f, ms)) },
);

async function survives(seed: number, attacks: readonly Uint8Array[]): Promise<void> {
  const h = new BrokerHarness(seed, testOptions({ requestBytesMax: 64 * 1024 }));
  const setup = await h.connect();
  await h.run(setup.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
  for (const bytes of attacks) {
    const c = await h.connect();
    c.writeRaw([bytes]);
  }
  await h.advance(1_000);
  const c = await h.connect();
  const versions = await h.run(c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
  expect(versions.errorCode).toBe(ErrorCode.NONE);
  const produced = await h.run(c.request(ApiKey.Produce, 7, produceBody('t', 0, makeBatch(1))));
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(h.sim.failed).toEqual([]);
}

describe('Broker fuzz', () => {
  it('stays up and keeps answering after random and mutated frames', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(attack, { minLength: 1, maxLength: 12 }), survives),
      { numRuns: 120 },
    );
  });

  it('survives many mutated frames pipelined on one connection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(attack, { minLength: 5, maxLength: 40 }), async (seed, attacks) => {
        await survives(seed, [concatChunks(attacks)]);
      }),
      { numRuns: 60 },
    );
  });
});
