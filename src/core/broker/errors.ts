/**
 * Operating errors to Kafka error codes. Every code a handler can answer with is in docs/broker.md.
 */
import { DiskError } from '../io/index.ts';
import { isLogError } from '../log/index.ts';
import { ErrorCode } from '../protocol/index.ts';
import { TopicStoreError } from './topic-store.ts';

/** The Kafka code for an error thrown by a partition log, the topic store or the disk. Unknown errors are rethrown. */
export function kafkaCodeFor(error: unknown): number {
  if (isLogError(error)) return error.kafkaErrorCode;
  if (error instanceof DiskError) return ErrorCode.KAFKA_STORAGE_ERROR;
  if (error instanceof TopicStoreError) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  throw error;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
