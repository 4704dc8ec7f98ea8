/**
 * Guards the hand-written codecs against drift from Kafka's JSON specs (vendored in src/testing/kafka-message-specs):
 * the advertised version ranges must lie inside each spec's validVersions, the flexible boundary must be
 * the spec's, and for every implemented version a random valid message encoded by the spec interpreter
 * must decode with our codec to the same field values and re-encode to the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ApiCodec } from './api-codec.ts';
import { SUPPORTED_APIS } from './apis/index.ts';
import { Reader } from './reader.ts';
import { bytesEqual, specArbitrary, specDecode, specEncode, versionRange } from '../../testing/kafka-spec.ts';
import { loadSpec, vendoredSpecNames } from '../../testing/load-specs.ts';
import { Writer } from './writer.ts';

const codecs = Object.values(SUPPORTED_APIS) as ApiCodec<unknown, unknown>[];

/** Every field of `expected` (spec-decoded) must equal the same-named field of `actual` (ours). */
function expectFieldsMatch(actual: unknown, expected: unknown, path: string): void {
  if (expected instanceof Uint8Array) {
    expect(actual instanceof Uint8Array, path).toBe(true);
    expect(bytesEqual(actual as Uint8Array, expected), path).toBe(true);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    expected.forEach((item, i) => expectFieldsMatch((actual as unknown[])[i], item, `${path}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) {
      expect(actual, path).toHaveProperty(key);
      expectFieldsMatch((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

test('the vendored specs are exactly those of the implemented APIs', () => {
  const wanted = codecs.flatMap((codec) => [`${codec.name}Request`, `${codec.name}Response`]).sort();
  expect(vendoredSpecNames()).toEqual(wanted);
});

describe.each(codecs.map((codec) => [codec.name, codec] as const))('%s', (name, codec) => {
  const requestSpec = loadSpec(`${name}Request`);
  const responseSpec = loadSpec(`${name}Response`);

  test('api key, version range and flexible boundary match the spec', () => {
    for (const spec of [requestSpec, responseSpec]) {
      expect(spec.apiKey).toBe(codec.apiKey);
      const valid = versionRange(spec.validVersions);
      expect(codec.versionMin).toBeGreaterThanOrEqual(valid.min);
      expect(codec.versionMax).toBeLessThanOrEqual(valid.max);
      expect(codec.flexibleVersionMin).toBe(versionRange(spec.flexibleVersions).min);
    }
  });

  const versions: number[] = [];
  for (let v = codec.versionMin; v <= codec.versionMax; v++) versions.push(v);

  test.each(versions)('v%i request and response match the spec byte for byte', (version) => {
    const sides = [
      { spec: requestSpec, decode: codec.decodeRequest, encode: codec.encodeRequest },
      { spec: responseSpec, decode: codec.decodeResponse, encode: codec.encodeResponse },
    ];
    for (const side of sides) {
      fc.assert(
        fc.property(specArbitrary(side.spec, version), (message) => {
          const bytes = specEncode(side.spec, version, message);
          const r = new Reader(bytes);
          const ours = side.decode(r, version);
          r.expectEnd();
          expectFieldsMatch(ours, specDecode(side.spec, version, bytes), side.spec.name);
          const w = new Writer(16);
          side.encode(w, version, ours);
          expect(bytesEqual(w.finish(), bytes)).toBe(true);
        }),
        { numRuns: 40 },
      );
    }
  });
});
