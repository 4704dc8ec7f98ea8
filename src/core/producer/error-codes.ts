/**
 * The Kafka error codes the idempotent-producer logic answers with (see docs/groups.md, "Idempotent
 * producers", for what a user should do about each).
 */
export const ProducerErrorCode = {
  NONE: 0,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  /** Never produced: a duplicate is answered NONE with the original offsets (see producer-state.ts). */
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
} as const;

export type ProducerErrorCode = (typeof ProducerErrorCode)[keyof typeof ProducerErrorCode];
