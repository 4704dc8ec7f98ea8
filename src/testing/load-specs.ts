/// <reference types="vite/client" />
/**
 * Loads Kafka's JSON message specs for tests, through Vite's import.meta.glob, from the copies vendored
 * in ./kafka-message-specs (Apache Kafka's clients/src/main/resources/common/message; see its README).
 */
import { parseSpec, type MessageSpec } from './kafka-spec.ts';

const specTexts = import.meta.glob('./kafka-message-specs/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** Names of the vendored specs (e.g. 'FetchRequest'), sorted. */
export function vendoredSpecNames(): string[] {
  return Object.keys(specTexts)
    .map((path) => path.slice(path.lastIndexOf('/') + 1, -'.json'.length))
    .sort();
}

export function loadSpec(name: string): MessageSpec {
  const entry = Object.entries(specTexts).find(([path]) => path.endsWith(`/${name}.json`));
  if (entry === undefined) throw new Error(`spec ${name}.json not found under src/testing/kafka-message-specs`);
  return parseSpec(entry[1]);
}
