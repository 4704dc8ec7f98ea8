/**
 * Three consumers share a three-partition topic through the coordinator, processing messages and
 * committing offsets; midway one of them leaves. With commits made before partitions are given up
 * (on REBALANCE_IN_PROGRESS and before LeaveGroup), every message is processed exactly once; the
 * control case shows the same run without those commits processes some messages twice.
 */
import { describe, expect, it } from 'vitest';
import { GroupErrorCode as E } from './error-codes.ts';
import { Harness, commitReq, type Answer } from '../../testing/group-harness.ts';
import type { JoinGroupResponse, SyncGroupResponse } from './types.ts';

const partitionCount = 3;
const messagesPerPartition = 40;

interface Options {
  readonly commitBeforeRevoke: boolean;
}

class Consumer {
  memberId = '';
  join: Answer<JoinGroupResponse> | null = null;
  joined: JoinGroupResponse | null = null;
  sync: Answer<SyncGroupResponse> | null = null;
  /** Next offset to process, per owned partition (from the committed offset when assigned). */
  positions: Map<number, number> | null = null;
  steps = 0;
  left = false;

  constructor(
    readonly name: string,
    private readonly h: Harness,
    private readonly processed: Map<string, number>,
    private readonly processedBy: Map<string, string>,
    private readonly options: Options,
  ) {}

  step(): void {
    if (this.left) return;
    this.steps += 1;
    if (this.join !== null) return this.awaitJoin();
    if (this.joined === null) return this.startJoin();
    if (this.sync !== null) return this.awaitSync();
    if (this.positions === null) return this.startSync();
    this.heartbeat();
    if (this.positions === null) return;
    this.consume();
    if (this.steps % 3 === 0) this.commit();
  }

  /** Leaves the group, committing first when the run says so. */
  leave(): void {
    if (this.options.commitBeforeRevoke && this.positions !== null) this.commit();
    this.h.coordinator.leave({ groupId: 'g', members: [{ memberId: this.memberId, groupInstanceId: null }] }, this.h.nowMs);
    this.h.drain();
    this.left = true;
  }

  private startJoin(): void {
    this.join = this.h.join({ memberId: this.memberId, clientId: this.name, requireKnownMemberId: true });
    this.awaitJoin();
  }

  private awaitJoin(): void {
    const response = this.join?.response;
    if (response === null || response === undefined) return;
    this.join = null;
    if (response.errorCode === E.MEMBER_ID_REQUIRED) {
      this.memberId = response.memberId;
      return this.startJoin();
    }
    expect(response.errorCode).toBe(E.NONE);
    this.memberId = response.memberId;
    this.joined = response;
  }

  private startSync(): void {
    const joined = this.joined!;
    const assignments = joined.leader === this.memberId ? rangeAssign(joined.members.map((m) => m.memberId)) : [];
    this.sync = this.h.sync({ memberId: this.memberId, generationId: joined.generationId, assignments });
    this.awaitSync();
  }

  private awaitSync(): void {
    const response = this.sync?.response;
    if (response === null || response === undefined) return;
    this.sync = null;
    if (response.errorCode !== E.NONE) {
      this.joined = null; // rebalance in progress: join again
      return;
    }
    const owned = [...response.assignment];
    const fetched = this.h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: owned }] });
    this.positions = new Map(
      (fetched.topics[0]?.partitions ?? []).map((p) => [p.partitionIndex, Math.max(Number(p.committedOffset), 0)]),
    );
  }

  private heartbeat(): void {
    const { errorCode } = this.h.coordinator.heartbeat(
      { groupId: 'g', generationId: this.joined!.generationId, memberId: this.memberId, groupInstanceId: null },
      this.h.nowMs,
    );
    if (errorCode === E.NONE) return;
    expect(errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    if (this.options.commitBeforeRevoke) this.commit(); // kafkajs commits before it rejoins
    this.positions = null; // partitions revoked
    this.joined = null;
  }

  private consume(): void {
    for (const [partition, position] of this.positions!) {
      const end = Math.min(position + 2, messagesPerPartition);
      for (let offset = position; offset < end; offset++) {
        const id = `${partition}-${offset}`;
        this.processed.set(id, (this.processed.get(id) ?? 0) + 1);
        this.processedBy.set(id, this.name);
      }
      this.positions!.set(partition, end);
    }
  }

  private commit(): void {
    const offsets = Object.fromEntries([...this.positions!].map(([p, o]) => [p, BigInt(o)]));
    const answer = this.h.commit(commitReq(this.memberId, this.joined!.generationId, { t: offsets }));
    const codes = answer.response?.topics[0]?.partitions.map((p) => p.errorCode) ?? [];
    expect(codes.every((c) => c === E.NONE)).toBe(true);
  }
}

function rangeAssign(memberIds: readonly string[]) {
  const ids = [...memberIds].sort();
  return ids.map((memberId, i) => {
    const from = Math.floor((i * partitionCount) / ids.length);
    const to = Math.floor(((i + 1) * partitionCount) / ids.length);
    return { memberId, assignment: Uint8Array.from({ length: to - from }, (_, k) => from + k) };
  });
}

interface RunResult {
  readonly processed: Map<string, number>;
  /** Partitions whose messages were processed by more than one consumer (handed over). */
  readonly handedOver: number;
  readonly generations: number;
}

function run(options: Options): RunResult {
  const h = new Harness({ initialRebalanceDelayMs: 3000 });
  const processed = new Map<string, number>();
  const processedBy = new Map<string, string>();
  const consumers = ['a', 'b', 'c'].map((name) => new Consumer(name, h, processed, processedBy, options));
  for (let step = 0; step < 400 && processed.size < partitionCount * messagesPerPartition; step++) {
    if (step === 20) consumers[1]!.leave();
    for (const consumer of consumers) consumer.step();
    h.advance(500);
  }
  const owners = new Map<string, Set<string>>();
  for (const [id, name] of processedBy) {
    const partition = id.split('-')[0]!;
    owners.set(partition, (owners.get(partition) ?? new Set()).add(name));
  }
  const handedOver = [...owners.values()].filter((names) => names.size > 1).length;
  return { processed, handedOver, generations: h.coordinator.groupSnapshot('g')!.generationId };
}

describe('three consumers, three partitions, a member leaves midway', () => {
  it('with commits before revocation, every message is processed exactly once', () => {
    const { processed, generations, handedOver } = run({ commitBeforeRevoke: true });
    expect(generations).toBeGreaterThanOrEqual(2); // at least the first generation and the one after the leave
    expect(handedOver).toBeGreaterThanOrEqual(1); // the leaver's partition moved to another consumer
    expect(processed.size).toBe(partitionCount * messagesPerPartition);
    const counts = [...processed.values()];
    expect(counts.every((n) => n === 1)).toBe(true);
  });

  it('control: without them, the partitions handed over are partly processed twice', () => {
    const { processed } = run({ commitBeforeRevoke: false });
    expect(processed.size).toBe(partitionCount * messagesPerPartition);
    expect([...processed.values()].some((n) => n > 1)).toBe(true);
  });
});
