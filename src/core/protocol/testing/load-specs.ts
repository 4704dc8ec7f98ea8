/// <reference types="vite/client" />
/**
 * Loads Kafka's JSON message specs for tests, through Vite's import.meta.glob (core code may not use
 * node:fs). The specs live beside the repository in shared/kafka-message-specs.
 */
import { parseSpec, type MessageSpec } from './kafka-spec.ts';

const specTexts = import.meta.glob('../../../../../shared/kafka-message-specs/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export function loadSpec(name: string): MessageSpec {
  const entry = Object.entries(specTexts).find(([path]) => path.endsWith(`/${name}.json`));
  if (entry === undefined) throw new Error(`spec ${name}.json not found under shared/kafka-message-specs`);
  return parseSpec(entry[1]);
}
