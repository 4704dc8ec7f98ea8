/// <reference types="vite/client" />
/**
 * docs/protocol.md must list exactly the APIs and versions ApiVersions advertises, and every error
 * code it documents must exist in the error-code table under the same name.
 */
import { expect, test } from 'vitest';
import { SUPPORTED_APIS } from './apis/index.ts';
import { ErrorCode, errorCodeName, isRetriableErrorCode } from './error-codes.ts';

const docs = Object.values(
  import.meta.glob('../../../docs/protocol.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
);

function doc(): string {
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

test('the supported-API table in docs/protocol.md matches SUPPORTED_APIS', () => {
  const rows = [...doc().matchAll(/^\| (\d+) \| (\w+) \| (\d+)–(\d+) \| (.+) \|$/gm)].map((m) => [
    Number(m[1]),
    m[2],
    Number(m[3]),
    Number(m[4]),
  ]);
  const expected = Object.values(SUPPORTED_APIS)
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((c) => [c.apiKey, c.name, c.versionMin, c.versionMax]);
  expect(rows).toEqual(expected);
});

test('every documented error code has its Kafka name and retriability', () => {
  const rows = [...doc().matchAll(/^\| (-?\d+) \| ([A-Z_]+) \| (yes|no) \|/gm)];
  expect(rows.length).toBeGreaterThan(30);
  for (const [, code, name, retriable] of rows) {
    expect(errorCodeName(Number(code)), `code ${code}`).toBe(name);
    expect(isRetriableErrorCode(Number(code)), `retriable ${name}`).toBe(retriable === 'yes');
  }
  expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
});
