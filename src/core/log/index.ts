/** The partition log: public entry point. */
export { PartitionLog, defaultPartitionLogConfig } from './partition-log.ts';
export type { LogMetrics } from './partition-log.ts';
export type { AppendResult, FlushPolicy, LogErrorCode, PartitionLogApi, PartitionLogConfig, RecoveryReport } from './types.ts';
export { CorruptRecordError, LogError, OffsetOutOfRangeError, LOG_ERROR_KAFKA_CODES, isLogError } from './errors.ts';
export * as recordBatch from './record-batch.ts';
export {
  batchHeaderBytes,
  encodeRecordBatch,
  readBatchHeader,
  splitBatches,
  writeBaseOffset,
  writePartitionLeaderEpoch,
  type RecordBatchHeader,
} from './record-batch.ts';
