import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, type RequestBody } from '../protocol/index.ts';
import { BrokerHarness, createTopicsBody } from '../../testing/broker-harness.ts';

const join = (memberId: string): RequestBody<11> => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: new Uint8Array([1, 2, 3]) }],
});

/** OffsetCommit of `committedOffset` for t-0 by a member of group g. */
const commitOne = (generationId: number, memberId: string, committedOffset: bigint, committedMetadata: string | null): RequestBody<8> => ({
  groupId: 'g',
  generationIdOrMemberEpoch: generationId,
  memberId,
  groupInstanceId: null,
  retentionTimeMs: -1n,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata }] }],
});

describe('Broker: consumer groups', () => {
  it('runs find-coordinator, join, sync, heartbeat, commit, fetch-offsets, describe, list and leave; offsets survive a crash', async () => {
    const h = new BrokerHarness(50);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const coordinator = await h.run(c.request(ApiKey.FindCoordinator, 2, { key: 'g', keyType: 0 }));
    expect(coordinator).toMatchObject({ errorCode: 0, nodeId: 1, host: 'n1', port: 9092 });

    const first = await h.run(c.request(ApiKey.JoinGroup, 5, join('')));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const memberId = first.memberId;
    const joined = await h.run(c.request(ApiKey.JoinGroup, 5, join(memberId)));
    expect(joined).toMatchObject({ errorCode: 0, leader: memberId, memberId, protocolName: 'range' });
    expect(joined.members.map((m) => m.memberId)).toEqual([memberId]);
    const generationId = joined.generationId;

    const assignment = new Uint8Array([9, 8, 7]);
    const synced = await h.run(c.request(ApiKey.SyncGroup, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null, assignments: [{ memberId, assignment }] }));
    expect(synced.errorCode).toBe(0);
    expect([...synced.assignment]).toEqual([9, 8, 7]);

    const beat = await h.run(c.request(ApiKey.Heartbeat, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null }));
    expect(beat.errorCode).toBe(0);
    const wrongGeneration = await h.run(c.request(ApiKey.Heartbeat, 3, { groupId: 'g', generationId: generationId + 5, memberId, groupInstanceId: null }));
    expect(wrongGeneration.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const commit = await h.run(c.request(ApiKey.OffsetCommit, 7, commitOne(generationId, memberId, 42n, 'm')));
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);
    const fetchOffsets = { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] };
    const fetched = await h.run(c.request(ApiKey.OffsetFetch, 5, fetchOffsets));
    expect(fetched.topics[0]!.partitions[0]).toMatchObject({ committedOffset: 42n, metadata: 'm', errorCode: 0 });

    const described = await h.run(c.request(ApiKey.DescribeGroups, 4, { groups: ['g'], includeAuthorizedOperations: false }));
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolData: 'range' });
    expect(described.groups[0]!.members[0]).toMatchObject({ memberId, clientId: 'test', clientHost: '/c1' });
    const listed = await h.run(c.request(ApiKey.ListGroups, 2, {}));
    expect(listed.groups).toEqual([{ groupId: 'g', protocolType: 'consumer' }]);
    const left = await h.run(c.request(ApiKey.LeaveGroup, 3, { groupId: 'g', memberId: '', members: [{ memberId, groupInstanceId: null }] }));
    expect(left.errorCode).toBe(0);
    expect(left.members[0]!.errorCode).toBe(0);

    await h.crashAndRestart();
    const c2 = await h.connect();
    const afterCrash = await h.run(c2.request(ApiKey.OffsetFetch, 5, fetchOffsets));
    expect(afterCrash.topics[0]!.partitions[0]!.committedOffset).toBe(42n);
  });

  it('DeleteGroups: NON_EMPTY_GROUP with members, NONE once empty (its offsets go, durably), GROUP_ID_NOT_FOUND after', async () => {
    const h = new BrokerHarness(52);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 1)));
    const joined = await h.run(c.request(ApiKey.JoinGroup, 2, join('')));
    const { memberId, generationId } = joined;
    await h.run(c.request(ApiKey.SyncGroup, 3, { groupId: 'g', generationId, memberId, groupInstanceId: null, assignments: [{ memberId, assignment: new Uint8Array(0) }] }));
    const commit = await h.run(c.request(ApiKey.OffsetCommit, 2, commitOne(generationId, memberId, 42n, null)));
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    const busy = await h.run(c.request(ApiKey.DeleteGroups, 1, { groupsNames: ['g', 'unknown'] }));
    expect(busy.results).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'unknown', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    await h.run(c.request(ApiKey.LeaveGroup, 3, { groupId: 'g', memberId: '', members: [{ memberId, groupInstanceId: null }] }));
    const deleted = await h.run(c.request(ApiKey.DeleteGroups, 1, { groupsNames: ['g'] }));
    expect(deleted.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);

    await h.crashAndRestart();
    const c2 = await h.connect();
    const fetched = await h.run(c2.request(ApiKey.OffsetFetch, 5, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] }));
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
    const listed = await h.run(c2.request(ApiKey.ListGroups, 2, {}));
    expect(listed.groups).toEqual([]);
    const again = await h.run(c2.request(ApiKey.DeleteGroups, 1, { groupsNames: ['g'] }));
    expect(again.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  });

  it('OffsetCommit: UNKNOWN_TOPIC_OR_PARTITION for a missing topic or partition, nothing stored for it; the others commit', async () => {
    const h = new BrokerHarness(53);
    const c = await h.connect();
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('t', 2)));
    const at = (partitionIndex: number, committedOffset: bigint) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null });
    const commit = (topics: { name: string; partitions: ReturnType<typeof at>[] }[]) =>
      h.run(c.request(ApiKey.OffsetCommit, 7, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics }));

    const mixed = await commit([
      { name: 't', partitions: [at(0, 5n), at(2, 6n), at(1, 7n)] },
      { name: 'missing', partitions: [at(0, 8n)] },
    ]);
    expect(mixed.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, errorCode: ErrorCode.NONE },
          { partitionIndex: 2, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          { partitionIndex: 1, errorCode: ErrorCode.NONE },
        ],
      },
      { name: 'missing', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    const onlyMissing = await commit([{ name: 'missing', partitions: [at(0, 9n), at(-1, 9n)] }]);
    expect(onlyMissing.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);

    // Only the existing partitions were stored: creating the topics later shows no offsets for them.
    await h.run(c.request(ApiKey.CreateTopics, 3, createTopicsBody('missing', 1)));
    const fetched = await h.run(c.request(ApiKey.OffsetFetch, 5, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }, { name: 'missing', partitionIndexes: [0] }] }));
    expect(fetched.topics.map((t) => t.partitions.map((p) => [p.partitionIndex, p.committedOffset]))).toEqual([
      [
        [0, 5n],
        [1, 7n],
        [2, -1n],
      ],
      [[0, -1n]],
    ]);
  });

  it('delivers a held JoinGroup answer after later requests on other connections, and expires a silent member', async () => {
    const h = new BrokerHarness(51);
    const a = await h.connect();
    const b = await h.connect();
    const joinedA = await h.run(a.request(ApiKey.JoinGroup, 2, join('')));
    expect(joinedA.errorCode).toBe(0);
    // b joins: the group rebalances; a must rejoin, b's answer is held until it does.
    const heldB = b.request(ApiKey.JoinGroup, 2, join(''));
    await h.advance(100);
    const beat = await h.run(a.request(ApiKey.Heartbeat, 2, { groupId: 'g', generationId: joinedA.generationId, memberId: joinedA.memberId, groupInstanceId: null }));
    expect(beat.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [rejoinedA, joinedB] = await h.run(Promise.all([a.request(ApiKey.JoinGroup, 2, join(joinedA.memberId)), heldB]));
    expect(rejoinedA.generationId).toBe(joinedB.generationId);
    expect(rejoinedA.members).toHaveLength(2);
    // Nobody syncs or heartbeats: the members expire after their session timeout (driven by the tick timer).
    await h.advance(15_000);
    const described = await h.run(a.request(ApiKey.DescribeGroups, 4, { groups: ['g'], includeAuthorizedOperations: false }));
    expect(described.groups[0]!.members).toHaveLength(0);
  });

  it('answers a held JoinGroup NOT_COORDINATOR when the broker stops', async () => {
    const h = new BrokerHarness(52);
    const a = await h.connect();
    const b = await h.connect();
    const joinedA = await h.run(a.request(ApiKey.JoinGroup, 2, join('')));
    expect(joinedA.errorCode).toBe(0);
    const heldB = b.request(ApiKey.JoinGroup, 2, join(''));
    await h.advance(100);
    await h.run(h.node.stop());
    expect((await h.run(heldB)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });
});
