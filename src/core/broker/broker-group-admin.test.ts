/** The group admin APIs through the broker: OffsetDelete, ListGroups v3-4, OffsetFetch v6-8. */
import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, Writer, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody } from '../../testing/broker-harness.ts';
import type { KafkaWireClient } from '../../testing/kafka-wire-client.ts';

/** ConsumerProtocolSubscription v0: version, topics, user_data. */
function subscription(topics: string[]): Uint8Array {
  return new Writer(32).int16(0).array(topics, (w, t) => void w.string(t)).nullableBytes(null).finish();
}

const join = (groupId: string, memberId: string, topics: string[]): RequestBody<11> => ({
  groupId,
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription(topics) }],
});

/** Joins `groupId` as its only member (subscribed to `topics`) and syncs; the group is Stable. */
async function joinStable(h: BrokerHarness, c: KafkaWireClient, groupId: string, topics: string[]): Promise<{ memberId: string; generationId: number }> {
  const { memberId, generationId } = await h.run(c.request(ApiKey.JoinGroup, 2, join(groupId, '', topics)));
  await h.run(c.request(ApiKey.SyncGroup, 3, { groupId, generationId, memberId, groupInstanceId: null, assignments: [{ memberId, assignment: new Uint8Array(0) }] }));
  return { memberId, generationId };
}

async function commit(h: BrokerHarness, c: KafkaWireClient, groupId: string, member: { memberId: string; generationId: number }, offsets: [string, number, bigint][]): Promise<void> {
  const topics = [...new Set(offsets.map(([t]) => t))].map((name) => ({
    name,
    partitions: offsets
      .filter(([t]) => t === name)
      .map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })),
  }));
  const answer = await h.run(
    c.request(ApiKey.OffsetCommit, 2, { groupId, generationIdOrMemberEpoch: member.generationId, memberId: member.memberId, groupInstanceId: null, retentionTimeMs: -1n, topics }),
  );
  for (const t of answer.topics) for (const p of t.partitions) expect(p.errorCode).toBe(ErrorCode.NONE);
}

async function fetchOffset(h: BrokerHarness, c: KafkaWireClient, groupId: string, topic: string, partition: number): Promise<bigint> {
  const fetched = await h.run(c.request(ApiKey.OffsetFetch, 5, { groupId, topics: [{ name: topic, partitionIndexes: [partition] }] }));
  return fetched.topics[0]!.partitions[0]!.committedOffset;
}

describe('Broker: OffsetDelete', () => {
  it('deletes unsubscribed partitions of an active group durably, refuses subscribed ones, and all once the group is empty', async () => {
    const h = new BrokerHarness(60);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('u', 2)));
    const member = await joinStable(h, c, 'g', ['t']);
    await commit(h, c, 'g', member, [['t', 0, 42n], ['u', 0, 7n], ['u', 1, 8n]]);

    const unknown = await h.run(c.request(ApiKey.OffsetDelete, 0, { groupId: 'nope', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] }));
    expect(unknown).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] });
    const active = await h.run(
      c.request(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'u', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }] }),
    );
    expect(active).toEqual({
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'u', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 5, errorCode: ErrorCode.NONE }] },
      ],
    });

    await h.crashAndRestart();
    const c2 = await h.connect();
    expect(await fetchOffset(h, c2, 'g', 't', 0)).toBe(42n);
    expect(await fetchOffset(h, c2, 'g', 'u', 0)).toBe(-1n);
    expect(await fetchOffset(h, c2, 'g', 'u', 1)).toBe(8n);

    // After the crash the group has no members: every partition may go, and the group with its last offset.
    const empty = await h.run(c2.request(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'u', partitions: [{ partitionIndex: 1 }] }] }));
    expect(empty.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    await h.crashAndRestart();
    const c3 = await h.connect();
    expect(await fetchOffset(h, c3, 'g', 't', 0)).toBe(-1n);
    expect((await h.run(c3.request(ApiKey.ListGroups, 2, {}))).groups).toEqual([]);
    const gone = await h.run(c3.request(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [] }));
    expect(gone.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('Broker: ListGroups v3-4 and OffsetFetch v6-8', () => {
  it('ListGroups v4 reports each group\'s state and filters by state (case-insensitive); v3 has no state', async () => {
    const h = new BrokerHarness(61);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const member = await joinStable(h, c, 'active', ['t']);
    await commit(h, c, 'active', member, [['t', 0, 1n]]);
    const idle = await joinStable(h, c, 'idle', ['t']);
    await commit(h, c, 'idle', idle, [['t', 0, 2n]]);
    await h.run(c.request(ApiKey.LeaveGroup, 3, { groupId: 'idle', memberId: '', members: [{ memberId: idle.memberId, groupInstanceId: null }] }));

    const all = await h.run(c.request(ApiKey.ListGroups, 4, { statesFilter: [] }));
    expect(all.groups).toEqual([
      { groupId: 'active', protocolType: 'consumer', groupState: 'Stable' },
      { groupId: 'idle', protocolType: 'consumer', groupState: 'Empty' },
    ]);
    const empty = await h.run(c.request(ApiKey.ListGroups, 4, { statesFilter: ['EMPTY'] }));
    expect(empty.groups.map((g) => g.groupId)).toEqual(['idle']);
    const v3 = await h.run(c.request(ApiKey.ListGroups, 3, {}));
    expect(v3.groups).toEqual([
      { groupId: 'active', protocolType: 'consumer' },
      { groupId: 'idle', protocolType: 'consumer' },
    ]);
  });

  it('OffsetFetch: null topics answer every committed partition (v2, v6, v7); v8 answers several groups at once', async () => {
    const h = new BrokerHarness(62);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('u', 1)));
    const a = await joinStable(h, c, 'a', ['t', 'u']);
    await commit(h, c, 'a', a, [['u', 0, 5n], ['t', 1, 4n], ['t', 0, 3n]]);
    const b = await joinStable(h, c, 'b', ['t']);
    await commit(h, c, 'b', b, [['t', 0, 9n]]);

    const everyPartitionOfA = [
      { name: 't', partitions: [0, 1].map((i) => ({ partitionIndex: i, committedOffset: BigInt(3 + i), metadata: null, errorCode: 0 })) },
      { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 5n, metadata: null, errorCode: 0 }] },
    ];
    for (const version of [2, 6, 7]) {
      const body = { groupId: 'a', topics: null, requireStable: true };
      const answer = await h.run(c.request(ApiKey.OffsetFetch, version, body));
      expect(answer, `v${version}`).toMatchObject({ errorCode: 0, topics: everyPartitionOfA });
    }
    const v6 = await h.run(c.request(ApiKey.OffsetFetch, 6, { groupId: 'a', topics: [{ name: 't', partitionIndexes: [1, 7] }] }));
    expect(v6.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 1, committedOffset: 4n, committedLeaderEpoch: -1, metadata: null, errorCode: 0 },
          { partitionIndex: 7, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);

    const batched = await h.run(
      c.request(ApiKey.OffsetFetch, 8, {
        groupId: '',
        topics: null,
        requireStable: false,
        groups: [
          { groupId: 'a', topics: null },
          { groupId: 'b', topics: [{ name: 't', partitionIndexes: [0] }] },
          { groupId: 'unknown', topics: null },
        ],
      }),
    );
    expect(batched.groups).toMatchObject([
      { groupId: 'a', errorCode: 0, topics: everyPartitionOfA },
      { groupId: 'b', errorCode: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n }] }] },
      { groupId: 'unknown', errorCode: 0, topics: [] },
    ]);
  });
});
