import { ErrorCode } from '../protocol/error-codes.ts';
import type { LogErrorCode } from './types.ts';

/** Kafka protocol error codes a broker should answer with for each LogErrorCode. */
export const LOG_ERROR_KAFKA_CODES: Readonly<Record<LogErrorCode, number>> = {
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  CORRUPT_RECORD: ErrorCode.CORRUPT_MESSAGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  RECORD_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  DISK_FULL: ErrorCode.KAFKA_STORAGE_ERROR,
  LOG_FAILED: ErrorCode.KAFKA_STORAGE_ERROR,
  LOG_STOPPED: ErrorCode.NOT_LEADER_OR_FOLLOWER, // the client refreshes metadata and retries elsewhere
  IO_ERROR: ErrorCode.KAFKA_STORAGE_ERROR,
  OFFSET_MISMATCH: ErrorCode.OFFSET_OUT_OF_RANGE, // seen only by the follower's fetcher, which truncates and refetches
};

/** An operating error of the partition log. Never thrown for programmer errors (those are assertions). */
export class LogError extends Error {
  override name = 'LogError';
  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
  get kafkaErrorCode(): number {
    return LOG_ERROR_KAFKA_CODES[this.code];
  }
}

/** A stored batch failed its CRC check on read or recovery: the bytes are never served. */
export class CorruptRecordError extends LogError {
  override name = 'CorruptRecordError';
  constructor(
    readonly segment: string,
    readonly position: number,
    message: string,
    /** A whole, valid batch that is not the one the log wrote at its offset (batch-checksums.ts). */
    readonly staleCopy = false,
  ) {
    super('CORRUPT_RECORD', `${segment} at byte ${position}: ${message}`);
  }
}

/** read() outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends LogError {
  override name = 'OffsetOutOfRangeError';
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
  ) {
    super('OFFSET_OUT_OF_RANGE', `offset ${offset} outside [${logStartOffset}, ${logEndOffset}]`);
  }
}

export function isLogError(error: unknown, code?: LogErrorCode): error is LogError {
  return error instanceof LogError && (code === undefined || error.code === code);
}
