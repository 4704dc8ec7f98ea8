/**
 * The Kafka error codes the idempotent-producer logic answers with (see docs/groups.md, "Idempotent
 * producers", for what a user should do about each): a subset of protocol/error-codes.ts, taken from it.
 */
import { ErrorCode } from '../protocol/error-codes.ts';

export const ProducerErrorCode = {
  NONE: ErrorCode.NONE,
  COORDINATOR_NOT_AVAILABLE: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  /** InitProducerId with a transactional id: there are no transactions (fatal for clients). */
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  /** Never produced: a duplicate is answered NONE with the original offsets (see producer-state.ts). */
  DUPLICATE_SEQUENCE_NUMBER: ErrorCode.DUPLICATE_SEQUENCE_NUMBER,
  INVALID_PRODUCER_EPOCH: ErrorCode.INVALID_PRODUCER_EPOCH,
  UNKNOWN_PRODUCER_ID: ErrorCode.UNKNOWN_PRODUCER_ID,
} as const;

export type ProducerErrorCode = (typeof ProducerErrorCode)[keyof typeof ProducerErrorCode];
