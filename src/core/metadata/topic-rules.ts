/**
 * The rules every path that creates a topic shares (the single-node broker's CreateTopics and
 * auto-creation, and the metadata controller): what a legal topic name is, and how a topic id is made.
 */
import type { Random } from '../io/index.ts';
import { topicNameLengthMax } from '../limits.ts';

/** Why `name` is not a legal Kafka topic name, or null when it is (Kafka's Topic.validate rules). */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name '${name}' has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/** A new topic id: 128 random bits (the size of Kafka's topic UUID) as 32 lowercase hex digits. */
export function newTopicId(random: Random): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += random.int(2 ** 32).toString(16).padStart(8, '0');
  return hex;
}
