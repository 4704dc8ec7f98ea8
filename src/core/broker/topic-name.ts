import { topicNameLengthMax } from '../limits.ts';

/** Why `name` is not a legal Kafka topic name, or null when it is (Kafka's Topic.validate rules). */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`;
  if (name.length > topicNameLengthMax) return `topic name is longer than ${topicNameLengthMax} characters`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `topic name '${name}' has characters other than ASCII letters, digits, '.', '_' and '-'`;
  return null;
}
