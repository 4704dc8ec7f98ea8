/**
 * Helpers for the group coordinator's tests (not used by production code): a deterministic Random,
 * request builders with sensible defaults, and a harness that drains effects into per-token answers.
 */
import { unreachable } from '../core/assert.ts';
import type { Random } from '../core/io/random.ts';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../core/group/coordinator.ts';
import type {
  CommittedOffset,
  DeleteGroupsResult,
  JoinGroupRequest,
  JoinGroupResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  Reply,
  ReplyToken,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../core/group/types.ts';

/** A tiny xorshift Random: deterministic, seedable, no dependencies. */
export class TestRandom implements Random {
  private state: number;
  constructor(seed = 1) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  fork(name: string): Random {
    let h = this.state;
    for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return new TestRandom(h);
  }
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

export function joinReq(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: bytes(1) }],
    requireKnownMemberId: false,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}

export function syncReq(overrides: Partial<SyncGroupRequest> = {}): SyncGroupRequest {
  return {
    groupId: 'g',
    generationId: 1,
    memberId: '',
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...overrides,
  };
}

export function commitReq(
  memberId: string,
  generationId: number,
  offsets: Record<string, Record<number, bigint>>,
  groupId = 'g',
): OffsetCommitRequest {
  return {
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name,
      partitions: Object.entries(partitions).map(([p, offset]) => ({
        partitionIndex: Number(p),
        committedOffset: offset,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      })),
    })),
  };
}

/** An answer that may still be held: `response` is filled once the reply effect arrives. */
export interface Answer<R> {
  readonly token: ReplyToken | null;
  response: R | null;
}

/**
 * Drives a GroupCoordinator the way a broker would: keeps virtual time, drains effects after every
 * call, files replies by token, and (unless told otherwise) makes offset persists succeed at once.
 */
export class Harness {
  readonly coordinator: GroupCoordinator;
  nowMs = 0;
  autoPersist = true;
  readonly persisted: CommittedOffset[] = [];
  readonly pendingPersists: ReplyToken[] = [];
  private readonly answers = new Map<ReplyToken, Answer<unknown>>();

  constructor(config: Partial<GroupCoordinatorConfig> = {}, committed: CommittedOffset[] = [], seed = 7) {
    this.coordinator = new GroupCoordinator({
      random: new TestRandom(seed),
      config: { initialRebalanceDelayMs: 0, ...config },
      committed,
    });
  }

  join(req: Partial<JoinGroupRequest>): Answer<JoinGroupResponse> {
    return this.track(this.coordinator.join(joinReq(req), this.nowMs));
  }

  sync(req: Partial<SyncGroupRequest>): Answer<SyncGroupResponse> {
    return this.track(this.coordinator.sync(syncReq(req), this.nowMs));
  }

  commit(req: OffsetCommitRequest): Answer<OffsetCommitResponse> {
    return this.track(this.coordinator.commitOffsets(req, this.nowMs, 1_700_000_000_000 + this.nowMs));
  }

  deleteGroups(groupIds: string[]): Answer<readonly DeleteGroupsResult[]> {
    return this.track(this.coordinator.deleteGroups(groupIds));
  }

  deleteOffsets(req: OffsetDeleteRequest): Answer<OffsetDeleteResponse> {
    return this.track(this.coordinator.deleteOffsets(req));
  }

  /** Moves time forward and ticks. */
  advance(ms: number): void {
    this.nowMs += ms;
    this.coordinator.tick(this.nowMs);
    this.drain();
  }

  /** Completes the oldest manual persist. */
  completePersist(ok: boolean): void {
    const token = this.pendingPersists.shift();
    if (token === undefined) throw new Error('no persist pending');
    this.coordinator.offsetsPersisted(token, ok);
    this.drain();
  }

  drain(): void {
    for (let effects = this.coordinator.takeEffects(); effects.length > 0; effects = this.coordinator.takeEffects()) {
      for (const effect of effects) {
        switch (effect.kind) {
          case 'reply-join':
          case 'reply-sync':
          case 'reply-commit':
          case 'reply-delete-groups':
          case 'reply-delete-offsets':
            this.deliver(effect.token, effect.response);
            break;
          case 'persist-offsets':
            if (this.autoPersist) {
              this.persisted.push(...effect.records);
              this.coordinator.offsetsPersisted(effect.token, true);
            } else {
              this.pendingPersists.push(effect.token);
            }
            break;
          case 'persist-group-deletions':
            if (this.autoPersist) {
              this.persisted.splice(0, this.persisted.length, ...this.persisted.filter((r) => !effect.groupIds.includes(r.groupId)));
              this.coordinator.offsetsPersisted(effect.token, true);
            } else {
              this.pendingPersists.push(effect.token);
            }
            break;
          case 'persist-offset-deletions':
            if (this.autoPersist) {
              const gone = (r: CommittedOffset): boolean =>
                r.groupId === effect.groupId && effect.partitions.some((p) => p.topic === r.topic && p.partition === r.partition);
              this.persisted.splice(0, this.persisted.length, ...this.persisted.filter((r) => !gone(r)));
              this.coordinator.offsetsPersisted(effect.token, true);
            } else {
              this.pendingPersists.push(effect.token);
            }
            break;
          default:
            unreachable(effect);
        }
      }
    }
  }

  private deliver(token: ReplyToken, response: unknown): void {
    const answer = this.answers.get(token);
    if (answer === undefined) {
      this.answers.set(token, { token, response });
      return;
    }
    if (answer.response !== null) throw new Error(`token ${token} answered twice`);
    answer.response = response;
  }

  private track<R>(reply: Reply<R>): Answer<R> {
    if (reply.kind === 'done') {
      this.drain();
      return { token: null, response: reply.response };
    }
    const early = this.answers.get(reply.token);
    const answer: Answer<R> = { token: reply.token, response: null };
    this.answers.set(reply.token, answer as Answer<unknown>);
    if (early !== undefined) answer.response = early.response as R;
    this.drain();
    return answer;
  }
}
