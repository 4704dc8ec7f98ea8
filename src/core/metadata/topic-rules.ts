/**
 * The rules every path that creates a topic shares (the single-node broker's CreateTopics and
 * auto-creation, CreatePartitions, and the metadata controller): what a legal topic name is, how many
 * partitions a topic may have, and how a topic id is made.
 */
import type { Random } from '../io/index.ts';
import { topicNameLengthMax, topicPartitionsMax } from '../limits.ts';

/** Why `name` is not a legal Kafka topic name, or null when it is (Kafka's Topic.validate rules). */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name '${name}' has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}

/**
 * Why a topic may not have `count` partitions, or null when it may. Checked before anything is
 * allocated for the partitions: a request may ask for up to 2^31-1.
 */
export function partitionCountProblem(count: number): string | null {
  if (!Number.isInteger(count) || count < 1 || count > topicPartitionsMax) return `partitions must be from 1 to ${topicPartitionsMax}, got ${count}`;
  return null;
}

/** A new topic id: 128 random bits (the size of Kafka's topic UUID) as 32 lowercase hex digits. */
export function newTopicId(random: Random): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += random.int(2 ** 32).toString(16).padStart(8, '0');
  return hex;
}
