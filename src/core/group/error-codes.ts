/**
 * The Kafka error codes the group coordinator answers with (see docs/groups.md for what a user should
 * do about each): a subset of the full table in protocol/error-codes.ts, taken from it, naming only
 * what this subsystem produces so a reader sees the whole surface at once.
 */
import { ErrorCode } from '../protocol/error-codes.ts';

export const GroupErrorCode = {
  NONE: ErrorCode.NONE,
  UNKNOWN_SERVER_ERROR: ErrorCode.UNKNOWN_SERVER_ERROR,
  OFFSET_METADATA_TOO_LARGE: ErrorCode.OFFSET_METADATA_TOO_LARGE,
  COORDINATOR_NOT_AVAILABLE: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ILLEGAL_GENERATION: ErrorCode.ILLEGAL_GENERATION,
  INCONSISTENT_GROUP_PROTOCOL: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
  INVALID_GROUP_ID: ErrorCode.INVALID_GROUP_ID,
  UNKNOWN_MEMBER_ID: ErrorCode.UNKNOWN_MEMBER_ID,
  INVALID_SESSION_TIMEOUT: ErrorCode.INVALID_SESSION_TIMEOUT,
  REBALANCE_IN_PROGRESS: ErrorCode.REBALANCE_IN_PROGRESS,
  NON_EMPTY_GROUP: ErrorCode.NON_EMPTY_GROUP,
  GROUP_ID_NOT_FOUND: ErrorCode.GROUP_ID_NOT_FOUND,
  MEMBER_ID_REQUIRED: ErrorCode.MEMBER_ID_REQUIRED,
  GROUP_MAX_SIZE_REACHED: ErrorCode.GROUP_MAX_SIZE_REACHED,
  FENCED_INSTANCE_ID: ErrorCode.FENCED_INSTANCE_ID,
  GROUP_SUBSCRIBED_TO_TOPIC: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC,
} as const;

export type GroupErrorCode = (typeof GroupErrorCode)[keyof typeof GroupErrorCode];
