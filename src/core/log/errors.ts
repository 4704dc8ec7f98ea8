import type { LogErrorCode } from './types.ts';

/** Kafka protocol error codes a broker should answer with for each LogErrorCode. */
export const LOG_ERROR_KAFKA_CODES: Readonly<Record<LogErrorCode, number>> = {
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_RECORD: 2, // CORRUPT_MESSAGE
  INVALID_RECORD: 87,
  RECORD_TOO_LARGE: 10, // MESSAGE_TOO_LARGE
  DISK_FULL: 56, // KAFKA_STORAGE_ERROR
  LOG_FAILED: 56, // KAFKA_STORAGE_ERROR
  LOG_STOPPED: 6, // NOT_LEADER_OR_FOLLOWER: the client refreshes metadata and retries elsewhere
  IO_ERROR: 56, // KAFKA_STORAGE_ERROR
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
