/**
 * Where a follower's log parts from its leader's, found by asking the leader OffsetForLeaderEpoch
 * (KIP-101, with KIP-279's repeated question). Pure.
 *
 * The follower asks for its latest epoch (`firstQuestion`). The leader answers with the largest epoch
 * it holds that is <= the one asked, and where that epoch ends in its log. `afterAnswer` then says
 * either where to truncate, or which epoch to ask about next:
 *
 * - The leader holds the asked epoch itself, or the follower holds the epoch the leader answered
 *   with: the two logs agree up to the end of that epoch in both, so the follower truncates to the
 *   smaller of the two ends (and never past its own log end).
 * - The leader answered with an older epoch L the follower does not hold (leadership changed fast
 *   and each side saw different epochs): the follower's records of the epochs between are not the
 *   leader's, and the follower asks again for its own largest epoch below L. Each question asks
 *   for an older epoch than the last, so this ends.
 * - The leader holds no epoch that old (UNDEFINED), or the follower holds none <= L: nothing tells
 *   where the logs agree, so the follower truncates to its high watermark, below which they agree
 *   by definition.
 *
 * The follower then truncates its log, and its epoch history with it, to the offset found, even when
 * that offset is its log end: a history entry there is an epoch this replica led without writing,
 * and left in place it would make assign() ignore the leader's records of older epochs as stale.
 *
 * The high watermark rule: a follower never truncates below the HW it knows, and an answer that
 * would take it there is an assertion, not clamped. Records below the HW are on every member of the
 * ISR the HW was computed over; the leader was elected from that ISR, and positions count only
 * durable records, so its log holds them, with the same epochs, and no correct answer falls below.
 * One that does means the leader lost acknowledged records (a bug, or a disk that broke its promise):
 * Kafka, which allows unclean elections, truncates anyway and the loss goes unnoticed; clamping
 * would keep records the leader lacks and then append the leader's later records after them, so the
 * replicas would disagree for good. Stopping loudly is the only choice that hides nothing.
 */
import { assert } from '../assert.ts';
import type { EpochEndOffset, LeaderEpochEntries } from './leader-epoch-entries.ts';
import { undefinedEpochOffset } from './leader-epoch-entries.ts';

/** What the follower knows of its own log. */
export interface FollowerLog {
  readonly epochs: LeaderEpochEntries;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
}

export type TruncationStep =
  | { readonly kind: 'truncate'; readonly truncateTo: bigint }
  | { readonly kind: 'askAgain'; readonly epoch: number };

/** The follower's first question: its latest epoch, or, with no epochs at all, truncate to the HW. */
export function firstQuestion(follower: FollowerLog): TruncationStep {
  checkFollower(follower);
  const latest = follower.epochs.latest();
  return latest === null ? truncateTo(follower, follower.highWatermark) : { kind: 'askAgain', epoch: latest.epoch };
}

/** The next step after the leader answered `answer` to a question about `askedEpoch`. */
export function afterAnswer(follower: FollowerLog, askedEpoch: number, answer: EpochEndOffset): TruncationStep {
  checkFollower(follower);
  assert(
    follower.epochs.entries().some((e) => e.epoch === askedEpoch),
    `the follower asks only about epochs it holds (asked ${askedEpoch})`,
  );
  if (answer.endOffset === undefinedEpochOffset) return truncateTo(follower, follower.highWatermark);
  assert(answer.epoch >= 0 && answer.epoch <= askedEpoch, `the leader answers with an epoch <= the one asked (${answer.epoch} for ${askedEpoch})`);
  assert(answer.endOffset >= 0n, `the leader's end offset ${answer.endOffset} is not negative`);
  const own = follower.epochs.endOffsetFor(answer.epoch, follower.logEndOffset);
  if (own.endOffset === undefinedEpochOffset) return truncateTo(follower, follower.highWatermark);
  if (own.epoch !== answer.epoch) return { kind: 'askAgain', epoch: own.epoch };
  const agreedEnd = min(answer.endOffset, own.endOffset);
  return truncateTo(follower, min(agreedEnd, follower.logEndOffset));
}

function truncateTo(follower: FollowerLog, offset: bigint): TruncationStep {
  assert(
    offset >= follower.highWatermark,
    `truncation to ${offset} would go below the follower's high watermark ${follower.highWatermark}: the leader lacks records the ISR had acknowledged`,
  );
  return { kind: 'truncate', truncateTo: offset };
}

function checkFollower(follower: FollowerLog): void {
  assert(follower.highWatermark >= 0n && follower.highWatermark <= follower.logEndOffset, `the follower's HW ${follower.highWatermark} is within its log (end ${follower.logEndOffset})`);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
