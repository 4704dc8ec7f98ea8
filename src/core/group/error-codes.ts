/**
 * The Kafka error codes the group coordinator answers with (numbers from Kafka's protocol; see
 * docs/groups.md for what a user should do about each). The wire codec has its own full table; this
 * one names only what this subsystem produces, so a reader sees the whole surface at once.
 */
export const GroupErrorCode = {
  NONE: 0,
  UNKNOWN_SERVER_ERROR: -1,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  MEMBER_ID_REQUIRED: 79,
  GROUP_MAX_SIZE_REACHED: 81,
} as const;

export type GroupErrorCode = (typeof GroupErrorCode)[keyof typeof GroupErrorCode];
