import { describe, expect, test } from 'vitest';
import { ApiKey } from './api-keys.ts';
import { advertisedApiVersions, SUPPORTED_APIS } from './apis/index.ts';
import {
  concatChunks,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeUnsupportedApiVersionsResponse,
  peekResponseCorrelationId,
} from './codec.ts';
import { ErrorCode } from './error-codes.ts';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

/** The frame body (without the 4-byte size), checking that the size prefix is right. */
function unframe(chunks: Uint8Array[]): Uint8Array {
  const bytes = concatChunks(chunks);
  expect(new Reader(bytes).int32()).toBe(bytes.byteLength - 4);
  return bytes.subarray(4);
}

function rawRequest(apiKey: number, apiVersion: number, correlationId: number, rest: (w: Writer) => void): Uint8Array {
  const w = new Writer(32).int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('client');
  rest(w);
  return w.finish();
}

describe('requests', () => {
  test('a Produce request round-trips with the header, and the records are not copied', () => {
    const records = new Uint8Array(2000).fill(3);
    const frame = unframe(
      encodeRequest(ApiKey.Produce, { apiVersion: 7, correlationId: 12, clientId: 'c1' }, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30000,
        topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
      }),
    );
    const result = decodeRequest(frame);
    expect(result.ok).toBe(true);
    if (!result.ok || result.request.apiKey !== ApiKey.Produce) throw new Error('not a produce request');
    const { request } = result;
    expect([request.apiVersion, request.correlationId, request.clientId, request.body.acks]).toEqual([7, 12, 'c1', -1]);
    const decoded = request.body.topicData[0]!.partitionData[0]!.records!;
    expect(decoded.byteLength).toBe(2000);
    expect(decoded.buffer).toBe(frame.buffer);
  });

  test('ApiVersions v3 uses the flexible request header (v2) and a v0 response header (KIP-511)', () => {
    const frame = unframe(
      encodeRequest(ApiKey.ApiVersions, { apiVersion: 3, correlationId: 1, clientId: 'rdkafka' }, {
        clientSoftwareName: 'librdkafka',
        clientSoftwareVersion: '2.0.2',
      }),
    );
    // api_key, api_version, correlation_id, client_id (INT16 length, not compact), then an empty tag buffer.
    expect([...frame.subarray(0, 10)]).toEqual([0, 18, 0, 3, 0, 0, 0, 1, 0, 7]);
    expect(frame[17]).toBe(0);
    const result = decodeRequest(frame);
    expect(result.ok && result.request.body).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });

    const response = unframe(
      encodeResponse(ApiKey.ApiVersions, 3, 1, { errorCode: 0, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 }),
    );
    const r = new Reader(response);
    expect(r.int32()).toBe(1); // correlation id, then directly the body: no tag buffer in the header
    expect(r.int16()).toBe(0); // error code
    expect(r.uvarint()).toBe(advertisedApiVersions().length + 1);
    const decoded = decodeResponse(ApiKey.ApiVersions, 3, response);
    expect(decoded.ok && decoded.body.apiKeys).toEqual(advertisedApiVersions());
  });

  test('ApiVersions above v3 is unsupported-version and is answered in v0 layout with error 35', () => {
    const frame = rawRequest(ApiKey.ApiVersions, 4, 99, (w) => w.emptyTaggedFields().compactString('x').compactString('y').emptyTaggedFields());
    const result = decodeRequest(frame);
    expect(result.ok === false && result.failure.kind).toBe('unsupported-version');
    if (result.ok) return;
    expect(result.failure.kind !== 'malformed-header' && result.failure.header.correlationId).toBe(99);
    const answer = decodeResponse(ApiKey.ApiVersions, 0, unframe(encodeUnsupportedApiVersionsResponse(99)));
    expect(answer).toEqual({
      ok: true,
      correlationId: 99,
      body: { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 },
    });
  });

  test('an unknown api key is unsupported-api, with the header readable', () => {
    const result = decodeRequest(rawRequest(ApiKey.SaslHandshake, 1, 5, (w) => w.string('PLAIN')));
    expect(result).toMatchObject({ ok: false, failure: { kind: 'unsupported-api', header: { apiKey: 17, correlationId: 5 } } });
    expect(decodeRequest(rawRequest(4242, 0, 6, () => {}))).toMatchObject({ ok: false, failure: { kind: 'unsupported-api' } });
  });

  test('a version below or above the range of a known api is unsupported-version', () => {
    const above = decodeRequest(rawRequest(ApiKey.Fetch, 12, 7, () => {}));
    expect(above).toMatchObject({ ok: false, failure: { kind: 'unsupported-version', header: { apiVersion: 12 } } });
    expect(decodeRequest(rawRequest(ApiKey.Fetch, -1, 7, () => {}))).toMatchObject({ ok: false, failure: { kind: 'unsupported-version' } });
  });

  test('a truncated header or body is a typed failure with as much of the header as could be read', () => {
    expect(decodeRequest(Uint8Array.of(0, 3, 0))).toMatchObject({ ok: false, failure: { kind: 'malformed-header', header: null } });
    const badClientId = Uint8Array.of(0, 3, 0, 1, 0, 0, 0, 9, 0, 50, 65);
    expect(decodeRequest(badClientId)).toMatchObject({
      ok: false,
      failure: { kind: 'malformed-header', header: { apiKey: 3, apiVersion: 1, correlationId: 9 }, error: { code: 'LENGTH_EXCEEDS_FRAME' } },
    });
    const overlong = rawRequest(ApiKey.Metadata, 1, 10, (w) => w.int32(1));
    expect(decodeRequest(overlong)).toMatchObject({
      ok: false,
      failure: { kind: 'malformed-body', header: { correlationId: 10 }, error: { code: 'LENGTH_EXCEEDS_FRAME' } },
    });
    const truncated = rawRequest(ApiKey.Metadata, 4, 12, (w) => w.int32(-1));
    expect(decodeRequest(truncated)).toMatchObject({
      ok: false,
      failure: { kind: 'malformed-body', header: { correlationId: 12 }, error: { code: 'TRUNCATED' } },
    });
    const trailing = rawRequest(ApiKey.Metadata, 1, 11, (w) => w.int32(-1).int8(0));
    expect(decodeRequest(trailing)).toMatchObject({ ok: false, failure: { kind: 'malformed-body', error: { code: 'TRAILING_BYTES' } } });
  });

  test('CreateTopics and DeleteTopics read a null (-1) array as empty instead of failing', () => {
    const nullTopics = rawRequest(ApiKey.CreateTopics, 0, 20, (w) => w.int32(-1).int32(5000));
    expect(decodeRequest(nullTopics)).toMatchObject({ ok: true, request: { body: { topics: [], timeoutMs: 5000 } } });
    const nullInner = rawRequest(ApiKey.CreateTopics, 4, 21, (w) =>
      w.int32(1).string('t').int32(-1).int16(-1).int32(-1).int32(-1).int32(5000).bool(false),
    );
    expect(decodeRequest(nullInner)).toMatchObject({
      ok: true,
      request: { body: { topics: [{ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }] } },
    });
    const nullNames = rawRequest(ApiKey.DeleteTopics, 1, 22, (w) => w.int32(-1).int32(100));
    expect(decodeRequest(nullNames)).toMatchObject({ ok: true, request: { body: { topicNames: [], timeoutMs: 100 } } });
  });

  test('a client id may be null', () => {
    const frame = new Writer(16).int16(ApiKey.ApiVersions).int16(0).int32(3).nullableString(null).finish();
    expect(decodeRequest(frame)).toMatchObject({ ok: true, request: { clientId: null, correlationId: 3 } });
  });
});

describe('responses', () => {
  test('a Fetch response references the record blobs and decodes them back as one buffer', () => {
    const a = new Uint8Array(1000).fill(1);
    const b = new Uint8Array(600).fill(2);
    const chunks = encodeResponse(ApiKey.Fetch, 11, 77, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            {
              partitionIndex: 3,
              errorCode: 0,
              highWatermark: 10n,
              lastStableOffset: 10n,
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: [a, b],
            },
          ],
        },
      ],
    });
    expect(chunks).toContain(a);
    expect(chunks).toContain(b);
    const frame = unframe(chunks);
    expect(peekResponseCorrelationId(frame)).toBe(77);
    const decoded = decodeResponse(ApiKey.Fetch, 11, frame);
    if (!decoded.ok) throw decoded.error;
    const records = decoded.body.responses[0]!.partitions[0]!.records as Uint8Array;
    expect(records.byteLength).toBe(1600);
    expect([records[0], records[999], records[1000], records[1599]]).toEqual([1, 1, 2, 2]);
  });

  test('decodeResponse reports a truncated body as an error value', () => {
    const frame = unframe(encodeResponse(ApiKey.Metadata, 1, 5, {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: 'n1', port: 9092, rack: null }],
      clusterId: null,
      controllerId: 1,
      topics: [],
      clusterAuthorizedOperations: 0,
    }));
    const cut = decodeResponse(ApiKey.Metadata, 1, frame.subarray(0, frame.byteLength - 2));
    expect(cut).toMatchObject({ ok: false, error: { code: 'TRUNCATED' } });
  });
});

test('every advertised range is the codec range, sorted by key', () => {
  const keys = advertisedApiVersions();
  expect(keys.map((k) => k.apiKey)).toEqual([...keys.map((k) => k.apiKey)].sort((x, y) => x - y));
  for (const key of keys) {
    const codec = Object.values(SUPPORTED_APIS).find((c) => c.apiKey === key.apiKey)!;
    expect([key.minVersion, key.maxVersion]).toEqual([codec.versionMin, codec.versionMax]);
  }
});

test('zero padding after a flexible ListGroups or OffsetFetch request is ignored (librdkafka 2.0.2 sends it); other trailing bytes are not', () => {
  // The exact frames librdkafka 2.0.2 sent for ListConsumerGroups and ListConsumerGroupOffsets(null).
  const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
  const listGroups = decodeRequest(hex('0010000400000003000772646b61666b6100010000'));
  expect(listGroups).toMatchObject({ ok: true, request: { apiKey: ApiKey.ListGroups, apiVersion: 4, body: { statesFilter: [] } } });
  const offsetFetch = decodeRequest(hex('0009000700000004000772646b61666b61000d72642d676f66662d69646c65000000000000'));
  expect(offsetFetch).toMatchObject({ ok: true, request: { apiKey: ApiKey.OffsetFetch, body: { groupId: 'rd-goff-idle', topics: null, requireStable: false } } });
  const nonZero = decodeRequest(hex('0010000400000003000772646b61666b6100010001'));
  expect(nonZero).toMatchObject({ ok: false, failure: { kind: 'malformed-body', error: { code: 'TRAILING_BYTES' } } });
});
