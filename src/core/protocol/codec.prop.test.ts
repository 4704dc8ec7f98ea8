/**
 * Fuzzing the decoders: random frames, and valid frames (built from Kafka's specs) that are then
 * truncated, bit-flipped, spliced or given absurd lengths. Whatever the bytes, decodeRequest and
 * decodeResponse must return a value (ok, or a typed failure carrying a DecodeError) and never throw.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ApiCodec } from './api-codec.ts';
import { SUPPORTED_APIS, type SupportedApiKey } from './apis/index.ts';
import { decodeRequest, decodeResponse } from './codec.ts';
import { DecodeError } from './decode-error.ts';
import { requestHeaderVersion, responseHeaderVersion } from './header.ts';
import { specArbitrary, specEncode } from '../../testing/kafka-spec.ts';
import { loadSpec } from '../../testing/load-specs.ts';
import { Writer } from './writer.ts';

const codecs = Object.values(SUPPORTED_APIS) as ApiCodec<unknown, unknown>[];

interface Target {
  codec: ApiCodec<unknown, unknown>;
  version: number;
}

const targets: Target[] = codecs.flatMap((codec) => {
  const out: Target[] = [];
  for (let version = codec.versionMin; version <= codec.versionMax; version++) out.push({ codec, version });
  return out;
});

const specs = new Map(codecs.map((c) => [c.apiKey, { request: loadSpec(`${c.name}Request`), response: loadSpec(`${c.name}Response`) }]));

function validRequestFrame(target: Target): fc.Arbitrary<Uint8Array> {
  const spec = specs.get(target.codec.apiKey)!.request;
  return fc.tuple(specArbitrary(spec, target.version), fc.integer(), fc.option(fc.string({ maxLength: 8 }), { nil: null })).map(
    ([body, correlationId, clientId]) => {
      const w = new Writer(64).int16(target.codec.apiKey).int16(target.version).int32(correlationId).nullableString(clientId);
      if (requestHeaderVersion(target.version, target.codec.flexibleVersionMin) === 2) w.emptyTaggedFields();
      return concat(w.finish(), specEncode(spec, target.version, body));
    },
  );
}

function validResponseFrame(target: Target): fc.Arbitrary<Uint8Array> {
  const spec = specs.get(target.codec.apiKey)!.response;
  return fc.tuple(specArbitrary(spec, target.version), fc.integer()).map(([body, correlationId]) => {
    const w = new Writer(64).int32(correlationId);
    if (responseHeaderVersion(target.codec.apiKey, target.version, target.codec.flexibleVersionMin) === 1) w.emptyTaggedFields();
    return concat(w.finish(), specEncode(spec, target.version, body));
  });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'huge-length'; at: number; width: 2 | 4 }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('huge-length' as const), at: fc.nat(), width: fc.constantFrom(2 as const, 4 as const) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
);

function mutate(frame: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes: Uint8Array = frame.slice();
  for (const m of mutations) {
    if (bytes.byteLength === 0) break;
    const at = m.at % bytes.byteLength;
    switch (m.kind) {
      case 'truncate': bytes = bytes.slice(0, at); break;
      case 'flip': bytes[at]! ^= 1 << m.bit; break;
      case 'set': bytes[at] = m.value; break;
      case 'huge-length':
        bytes[at] = 0x7f;
        for (let i = 1; i < m.width && at + i < bytes.byteLength; i++) bytes[at + i] = 0xff;
        break;
      case 'insert': bytes = concat(concat(bytes.slice(0, at), m.bytes), bytes.slice(at)); break;
      default: m satisfies never;
    }
  }
  return bytes;
}

function expectRequestDecodedSafely(frame: Uint8Array): void {
  const result = decodeRequest(frame);
  if (!result.ok && (result.failure.kind === 'malformed-header' || result.failure.kind === 'malformed-body')) {
    expect(result.failure.error).toBeInstanceOf(DecodeError);
  }
}

describe('decoder fuzzing', () => {
  test('random bytes never make decodeRequest throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (frame) => expectRequestDecodedSafely(frame)), { numRuns: 3000 });
  });

  test('random bodies behind a valid header of every supported api/version never throw', () => {
    const header = fc.constantFrom(...targets).chain((t) =>
      fc.tuple(fc.constant(t), fc.uint8Array({ maxLength: 120 })),
    );
    fc.assert(
      fc.property(header, ([t, body]) => {
        const w = new Writer(32).int16(t.codec.apiKey).int16(t.version).int32(1).nullableString('fuzz');
        expectRequestDecodedSafely(concat(w.finish(), body));
        const response = decodeResponse(t.codec.apiKey as SupportedApiKey, t.version, concat(Uint8Array.of(0, 0, 0, 1), body));
        if (!response.ok) expect(response.error).toBeInstanceOf(DecodeError);
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated valid request frames never throw, and unmutated ones decode', () => {
    const arb = fc.constantFrom(...targets).chain((t) => fc.tuple(validRequestFrame(t), fc.array(mutation, { maxLength: 3 })));
    fc.assert(
      fc.property(arb, ([frame, mutations]) => {
        if (mutations.length === 0) expect(decodeRequest(frame).ok).toBe(true);
        expectRequestDecodedSafely(mutate(frame, mutations));
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated valid response frames never throw, and unmutated ones decode', () => {
    const arb = fc
      .constantFrom(...targets)
      .chain((t) => fc.tuple(fc.constant(t), validResponseFrame(t), fc.array(mutation, { maxLength: 3 })));
    fc.assert(
      fc.property(arb, ([t, frame, mutations]) => {
        const key = t.codec.apiKey as SupportedApiKey;
        if (mutations.length === 0) expect(decodeResponse(key, t.version, frame).ok).toBe(true);
        const result = decodeResponse(key, t.version, mutate(frame, mutations));
        if (!result.ok) expect(result.error).toBeInstanceOf(DecodeError);
      }),
      { numRuns: 3000 },
    );
  });
});
