import { describe, expect, it } from 'vitest';
import { GroupErrorCode as E } from './error-codes.ts';
import { Harness, bytes, commitReq } from '../../testing/group-harness.ts';

/** Joins one member (v2 style: member id handed out at once) and returns its id. */
function joinNew(h: Harness, clientId = 'c', extra = {}) {
  return h.join({ clientId, ...extra });
}

/**
 * Forms a Stable group of `n` members; returns their ids in join order (the first is the leader).
 * The first join completes generation 1 alone; later joiners are held until the first rejoins, which
 * makes generation 2 for n > 1.
 */
function stableGroup(h: Harness, n: number): string[] {
  const first = joinNew(h, 'c0').response!;
  const others = Array.from({ length: n - 1 }, (_, i) => joinNew(h, `c${i + 1}`));
  const leaderView = n > 1 ? h.join({ memberId: first.memberId, clientId: 'c0' }).response! : first;
  const responses = [leaderView, ...others.map((a) => a.response!)];
  expect(responses.every((r) => r.errorCode === E.NONE)).toBe(true);
  const generationId = leaderView.generationId;
  const memberIds = responses.map((r) => r.memberId);
  const assignments = memberIds.map((memberId, i) => ({ memberId, assignment: bytes(i) }));
  const syncs = memberIds.map((memberId, i) => h.sync({ memberId, generationId, assignments: i === 0 ? assignments : [] }));
  expect(syncs.every((s) => s.response?.errorCode === E.NONE)).toBe(true);
  expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Stable');
  return memberIds;
}

describe('JoinGroup', () => {
  it('v4+: a first join gets MEMBER_ID_REQUIRED with a generated id, the rejoin with it is admitted', () => {
    const h = new Harness();
    const first = h.join({ clientId: 'kafkajs', requireKnownMemberId: true });
    expect(first.response?.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    const memberId = first.response!.memberId;
    expect(memberId).toMatch(/^kafkajs-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Empty');
    const second = h.join({ clientId: 'kafkajs', memberId, requireKnownMemberId: true });
    expect(second.response).toMatchObject({ errorCode: E.NONE, generationId: 1, memberId, leader: memberId });
    expect(second.response!.members).toEqual([{ memberId, groupInstanceId: null, metadata: bytes(1) }]);
    expect(second.response!.protocolName).toBe('range');
    expect(second.response!.protocolType).toBe('consumer');
  });

  it('v0-3: the member id is handed out with the first answer', () => {
    const h = new Harness();
    const a = joinNew(h);
    expect(a.response).toMatchObject({ errorCode: E.NONE, generationId: 1 });
    expect(a.response!.leader).toBe(a.response!.memberId);
  });

  it('member ids come from the injected Random: the same seed gives the same ids', () => {
    const ids = [new Harness({}, [], 3), new Harness({}, [], 3), new Harness({}, [], 4)].map(
      (h) => h.join({ requireKnownMemberId: true }).response!.memberId,
    );
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(ids[2]);
  });

  it('a second member makes the group rebalance; the join is held until the first rejoins', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    const b = joinNew(h, 'b');
    expect(b.response).toBeNull();
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('PreparingRebalance');
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!, groupInstanceId: null }, h.nowMs))
      .toEqual({ errorCode: E.REBALANCE_IN_PROGRESS });
    const aj = h.join({ memberId: a!, clientId: 'c0' });
    expect(aj.response).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: a });
    expect(aj.response!.members.map((m) => m.memberId)).toEqual([a, b.response!.memberId]);
    expect(b.response).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: a, members: [] });
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('CompletingRebalance');
  });

  it('a member that keeps heartbeating but does not rejoin is dropped at the rebalance timeout', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const rejoin = h.join({ memberId: a!, clientId: 'c0' }); // the leader asks for a rebalance
    const hb = () => h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b!, groupInstanceId: null }, h.nowMs);
    for (let i = 0; i < 5; i++) {
      h.advance(5000);
      expect(hb().errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    }
    h.advance(4999);
    expect(rejoin.response).toBeNull();
    h.advance(1);
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: a });
    expect(rejoin.response!.members.map((m) => m.memberId)).toEqual([a]);
    expect(hb().errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('a member that stops heartbeating during a rebalance expires with its session, before the rebalance timeout', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 2);
    const rejoin = h.join({ memberId: a!, clientId: 'c0' });
    h.advance(9999);
    expect(rejoin.response).toBeNull();
    h.advance(1);
    expect(rejoin.response?.generationId).toBe(3);
  });

  it('rebalance timeout -1 (JoinGroup v0 has none) means the session timeout', () => {
    for (const [rebalanceTimeoutMs, dropped] of [[-1, true], [30_000, false]] as const) {
      const h = new Harness();
      const a = h.join({ rebalanceTimeoutMs }).response!; // generation 1, CompletingRebalance
      h.advance(5000);
      h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId, groupInstanceId: null }, h.nowMs);
      h.advance(5000); // the member never syncs: the sync phase ends after the rebalance timeout
      expect(h.coordinator.describe(['g'])[0]!.members.length === 0).toBe(dropped);
    }
  });

  it('a follower rejoining a Stable group unchanged gets the current generation, no rebalance', () => {
    const h = new Harness();
    const [, b] = stableGroup(h, 2);
    const again = h.join({ memberId: b!, clientId: 'c1' });
    expect(again.response).toMatchObject({ errorCode: E.NONE, generationId: 2, members: [] });
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Stable');
  });

  it('a follower whose subscription changed makes a Stable group rebalance', () => {
    const h = new Harness();
    const [, b] = stableGroup(h, 2);
    const again = h.join({ memberId: b!, clientId: 'c1', protocols: [{ name: 'range', metadata: bytes(9) }] });
    expect(again.response).toBeNull();
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('PreparingRebalance');
  });

  it('CompletingRebalance: an unchanged rejoin repeats the answer; a changed one restarts the rebalance', () => {
    const h = new Harness();
    const a = joinNew(h, 'a').response!;
    const b = joinNew(h, 'b');
    const a2 = h.join({ memberId: a.memberId, clientId: 'a' });
    expect(b.response?.generationId).toBe(2);
    const follower = h.sync({ memberId: b.response!.memberId, generationId: 2 });
    expect(follower.response).toBeNull();
    const repeat = h.join({ memberId: a.memberId, clientId: 'a' });
    expect(repeat.response).toEqual(a2.response);
    const changed = h.join({ memberId: a.memberId, clientId: 'a', protocols: [{ name: 'range', metadata: bytes(5) }] });
    expect(changed.response).toBeNull();
    expect(follower.response?.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  });

  it('a retried join replaces the held one, which is answered REBALANCE_IN_PROGRESS', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const first = h.join({ memberId: a!, clientId: 'c0' });
    const retry = h.join({ memberId: a!, clientId: 'c0' });
    expect(first.response?.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect(retry.response).toBeNull();
    h.join({ memberId: b!, clientId: 'c1' });
    expect(retry.response?.generationId).toBe(3);
  });

  it('protocol selection: candidates every member supports, most first choices wins', () => {
    const h = new Harness();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: bytes(name.length) }));
    const a = h.join({ clientId: 'a', protocols: p('roundrobin', 'range', 'sticky') }).response!;
    const b = h.join({ clientId: 'b', protocols: p('range', 'sticky') });
    const c = h.join({ clientId: 'c', protocols: p('sticky', 'range') });
    const d = h.join({ clientId: 'd', protocols: p('range', 'roundrobin', 'sticky') });
    h.join({ memberId: a.memberId, clientId: 'a', protocols: p('roundrobin', 'range', 'sticky') });
    expect([b, c, d].map((x) => x.response?.protocolName)).toEqual(['range', 'range', 'range']);
    const leaderView = h.join({ memberId: a.memberId, clientId: 'a', protocols: p('roundrobin', 'range', 'sticky') });
    expect(leaderView.response!.members.map((m) => m.metadata)).toEqual([bytes(5), bytes(5), bytes(5), bytes(5)]);
  });

  it('the initial rebalance delay lets an empty group gather members before the first generation', () => {
    const h = new Harness({ initialRebalanceDelayMs: 3000 });
    const a = joinNew(h, 'a');
    expect(h.coordinator.nextTickAtMs()).toBe(3000);
    h.advance(1000);
    const b = joinNew(h, 'b');
    expect(h.coordinator.nextTickAtMs()).toBe(4000);
    h.advance(2999);
    expect(a.response).toBeNull();
    h.advance(1);
    expect(a.response).toMatchObject({ errorCode: E.NONE, generationId: 1 });
    expect(a.response!.members).toHaveLength(2);
    expect(b.response?.generationId).toBe(1);
  });

  it('a pending member id holds the join phase until it rejoins or its session runs out', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    const pending = h.join({ clientId: 'p', requireKnownMemberId: true }).response!;
    expect(pending.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Stable'); // no rebalance for a pending id
    const other = joinNew(h, 'x'); // a v2 joiner starts a rebalance
    const rejoin = h.join({ memberId: a!, clientId: 'c0' });
    expect(rejoin.response).toBeNull(); // waiting for the pending member
    h.advance(10_000);
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId: 2 });
    expect(rejoin.response!.members).toHaveLength(2);
    expect(other.response?.generationId).toBe(2);
    const late = h.join({ memberId: pending.memberId, clientId: 'p', requireKnownMemberId: true });
    expect(late.response).toMatchObject({ errorCode: E.UNKNOWN_MEMBER_ID });
  });

  it('errors: INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL, UNKNOWN_MEMBER_ID', () => {
    const h = new Harness();
    expect(h.join({ groupId: '' }).response?.errorCode).toBe(E.INVALID_GROUP_ID);
    expect(h.join({ sessionTimeoutMs: 5999 }).response?.errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect(h.join({ sessionTimeoutMs: 1_800_001 }).response?.errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
    expect(h.join({ protocolType: '' }).response?.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.join({ protocols: [] }).response?.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.join({ memberId: 'nobody' }).response?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    stableGroup(h, 1);
    expect(h.join({ protocolType: 'connect' }).response?.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(h.join({ protocols: [{ name: 'sticky', metadata: bytes() }] }).response?.errorCode).toBe(
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(h.join({ memberId: 'nobody' }).response?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('GROUP_MAX_SIZE_REACHED counts pending member ids too', () => {
    const h = new Harness({ groupMembersMax: 2 });
    joinNew(h, 'a');
    h.join({ clientId: 'p', requireKnownMemberId: true });
    expect(h.join({ clientId: 'b' }).response?.errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
  });

  it('COORDINATOR_NOT_AVAILABLE when every group slot holds a group with members; an Empty group is evicted', () => {
    const h = new Harness({ groupsMax: 2 });
    h.join({ groupId: 'g1' });
    const g2 = h.join({ groupId: 'g2' }).response!;
    expect(h.join({ groupId: 'g3' }).response?.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    h.coordinator.leave({ groupId: 'g2', members: [{ memberId: g2.memberId, groupInstanceId: null }] }, h.nowMs);
    expect(h.join({ groupId: 'g3' }).response?.errorCode).toBe(E.NONE);
    expect(h.coordinator.list().map((g) => g.groupId)).toEqual(['g1', 'g3']);
  });
});

describe('SyncGroup', () => {
  it('followers wait for the leader; the leader completes the generation', () => {
    const h = new Harness();
    const a = joinNew(h, 'a').response!;
    const b = joinNew(h, 'b');
    h.join({ memberId: a.memberId, clientId: 'a' });
    const bId = b.response!.memberId;
    const follower = h.sync({ memberId: bId, generationId: 2 });
    expect(follower.response).toBeNull();
    const leader = h.sync({
      memberId: a.memberId,
      generationId: 2,
      assignments: [
        { memberId: a.memberId, assignment: bytes(0, 1) },
        { memberId: bId, assignment: bytes(2) },
        { memberId: 'stranger', assignment: bytes(7) },
      ],
    });
    expect(leader.response).toEqual({ errorCode: E.NONE, protocolType: 'consumer', protocolName: 'range', assignment: bytes(0, 1) });
    expect(follower.response?.assignment).toEqual(bytes(2));
    // A late sync in Stable gets the stored assignment at once.
    expect(h.sync({ memberId: bId, generationId: 2 }).response?.assignment).toEqual(bytes(2));
  });

  it('a member the leader left out gets an empty assignment', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    h.join({ memberId: a!, clientId: 'c0' });
    h.join({ memberId: b!, clientId: 'c1' });
    h.sync({ memberId: a!, generationId: 3, assignments: [{ memberId: a!, assignment: bytes(1) }] });
    expect(h.sync({ memberId: b!, generationId: 3 }).response?.assignment).toEqual(bytes());
  });

  it('errors: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID', () => {
    const h = new Harness();
    expect(h.sync({ memberId: 'x' }).response?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.sync({ groupId: '' }).response?.errorCode).toBe(E.INVALID_GROUP_ID);
    const [a] = stableGroup(h, 2);
    expect(h.sync({ memberId: 'x', generationId: 2 }).response?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.sync({ memberId: a!, generationId: 1 }).response?.errorCode).toBe(E.ILLEGAL_GENERATION);
    expect(h.sync({ memberId: a!, generationId: 2, protocolName: 'sticky' }).response?.errorCode).toBe(
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(h.sync({ memberId: a!, generationId: 2, protocolType: 'connect' }).response?.errorCode).toBe(
      E.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(h.sync({ memberId: a!, generationId: 2, protocolType: 'consumer', protocolName: 'range' }).response?.errorCode)
      .toBe(E.NONE);
    h.join({ memberId: a!, clientId: 'c0' });
    expect(h.sync({ memberId: a!, generationId: 2 }).response?.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  });

  it('a leader that never syncs is dropped after the rebalance timeout; held syncs get REBALANCE_IN_PROGRESS', () => {
    const h = new Harness();
    const a = joinNew(h, 'a').response!;
    const b = joinNew(h, 'b');
    h.join({ memberId: a.memberId, clientId: 'a' });
    const bId = b.response!.memberId;
    const held = h.sync({ memberId: bId, generationId: 2 });
    const hb = () =>
      h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null }, h.nowMs);
    for (let i = 0; i < 5; i++) {
      h.advance(5000);
      expect(hb().errorCode).toBe(E.NONE); // the leader is alive, it just never syncs
    }
    expect(held.response).toBeNull(); // a member holding a sync does not expire by session
    h.advance(5000);
    expect(held.response?.errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    const again = h.join({ memberId: bId, clientId: 'b' });
    expect(again.response).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: bId });
  });

  it('a follower that never syncs is dropped after the rebalance timeout, even once Stable', () => {
    const h = new Harness();
    const a = joinNew(h, 'a').response!;
    const bId = joinNew(h, 'b').response?.memberId;
    const aView = h.join({ memberId: a.memberId, clientId: 'a' }).response!;
    const b = aView.members[1]!.memberId;
    expect(bId === undefined || bId === b).toBe(true);
    h.sync({ memberId: a.memberId, generationId: 2, assignments: [] });
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Stable');
    for (let i = 0; i < 5; i++) {
      h.advance(5000);
      for (const memberId of [a.memberId, b]) {
        expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId, groupInstanceId: null }, h.nowMs).errorCode)
          .toBe(E.NONE);
      }
    }
    h.advance(5000);
    const d = h.coordinator.describe(['g'])[0]!;
    expect(d.groupState).toBe('PreparingRebalance');
    expect(d.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });
});

describe('Heartbeat, session expiry and LeaveGroup', () => {
  it('heartbeat answers by state; a silent member expires and the group rebalances', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const hb = (memberId: string, generationId = 2) =>
      h.coordinator.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId: null }, h.nowMs).errorCode;
    expect(hb(a!)).toBe(E.NONE);
    expect(hb(a!, 1)).toBe(E.ILLEGAL_GENERATION);
    expect(hb('x')).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.coordinator.heartbeat({ groupId: '', generationId: 2, memberId: a!, groupInstanceId: null }, 0).errorCode)
      .toBe(E.INVALID_GROUP_ID);
    for (let i = 0; i < 2; i++) {
      h.advance(4000);
      expect(hb(a!)).toBe(E.NONE);
    }
    h.advance(4000);
    // b has been silent for 12 s > its 10 s session: it expired at t=10 s.
    expect(hb(b!)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('PreparingRebalance');
    expect(hb(a!)).toBe(E.REBALANCE_IN_PROGRESS);
    const rejoin = h.join({ memberId: a!, clientId: 'c0' });
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId: 3 });
    expect(hb(a!, 3)).toBe(E.NONE); // CompletingRebalance
  });

  it('leave: the leader leaves, the other member leads the next generation', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const left = h.coordinator.leave({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, h.nowMs);
    expect(left).toEqual({ errorCode: E.NONE, members: [{ memberId: a, groupInstanceId: null, errorCode: E.NONE }] });
    const rejoin = h.join({ memberId: b!, clientId: 'c1' });
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: b });
  });

  it('leave: unknown members and groups answer UNKNOWN_MEMBER_ID per member; an empty group id is invalid', () => {
    const h = new Harness();
    const unknown = [{ memberId: 'x', groupInstanceId: null }];
    expect(h.coordinator.leave({ groupId: 'nope', members: unknown }, 0)).toEqual({
      errorCode: E.NONE,
      members: [{ memberId: 'x', groupInstanceId: null, errorCode: E.UNKNOWN_MEMBER_ID }],
    });
    expect(h.coordinator.leave({ groupId: '', members: unknown }, 0).errorCode).toBe(E.INVALID_GROUP_ID);
    stableGroup(h, 1);
    const static_ = [{ memberId: '', groupInstanceId: 'i1' }];
    expect(h.coordinator.leave({ groupId: 'g', members: static_ }, 0).members[0]!.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it('leave of a pending member id lets a waiting join phase complete', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    const pending = h.join({ clientId: 'p', requireKnownMemberId: true }).response!.memberId;
    joinNew(h, 'x');
    const rejoin = h.join({ memberId: a!, clientId: 'c0' });
    expect(rejoin.response).toBeNull();
    h.coordinator.leave({ groupId: 'g', members: [{ memberId: pending, groupInstanceId: null }] }, h.nowMs);
    h.drain();
    expect(rejoin.response?.generationId).toBe(2);
  });

  it('the last member leaving empties the group and bumps the generation', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    h.coordinator.leave({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, h.nowMs);
    const d = h.coordinator.describe(['g'])[0]!;
    expect(d.groupState).toBe('Empty');
    expect(h.coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a!, groupInstanceId: null }, 0).errorCode)
      .toBe(E.UNKNOWN_MEMBER_ID);
    expect(joinNew(h, 'again').response?.generationId).toBe(3);
  });

  it('a member leaving while its join is held gets UNKNOWN_MEMBER_ID for it', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const held = h.join({ memberId: a!, clientId: 'c0' });
    h.coordinator.leave({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, h.nowMs);
    h.drain();
    expect(held.response?.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(h.join({ memberId: b!, clientId: 'c1' }).response).toMatchObject({ generationId: 3, leader: b });
  });
});

describe('OffsetCommit and OffsetFetch', () => {
  it('a commit is answered only after it is durable, then fetch returns it', () => {
    const h = new Harness();
    h.autoPersist = false;
    const [a] = stableGroup(h, 1);
    const commit = h.commit(commitReq(a!, 1, { t: { 0: 5n, 1: 7n } }));
    expect(commit.response).toBeNull();
    const fetch = () => h.coordinator.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] });
    expect(fetch().topics[0]!.partitions[0]!.committedOffset).toBe(-1n); // not durable yet: not visible
    h.completePersist(true);
    expect(commit.response).toEqual({
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }] }],
    });
    expect(fetch()).toEqual({
      errorCode: 0,
      topics: [
        {
          name: 't',
          partitions: [
            { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, metadata: null, errorCode: 0 },
            { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, metadata: null, errorCode: 0 },
            { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          ],
        },
      ],
    });
  });

  it('a failed persist answers COORDINATOR_NOT_AVAILABLE and changes nothing', () => {
    const h = new Harness();
    h.autoPersist = false;
    const commit = h.commit(commitReq('', -1, { t: { 0: 5n } }));
    h.completePersist(false);
    expect(commit.response?.topics[0]!.partitions[0]!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    expect(h.coordinator.fetchOffsets({ groupId: 'g', topics: null }).topics).toEqual([]);
  });

  it('persists must complete in the order they were emitted (an assertion, not an error)', () => {
    const h = new Harness();
    h.autoPersist = false;
    h.commit(commitReq('', -1, { t: { 0: 1n } }));
    h.commit(commitReq('', -1, { t: { 0: 2n } }));
    const second = h.pendingPersists[1]!;
    expect(() => h.coordinator.offsetsPersisted(second, true)).toThrow(/order/);
  });

  it('simple commits (generation -1) work for unknown and Empty groups, not for active ones', () => {
    const h = new Harness();
    expect(h.commit(commitReq('', -1, { t: { 0: 1n } }, 'solo')).response?.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(h.commit(commitReq('', 3, { t: { 0: 1n } }, 'other')).response?.topics[0]!.partitions[0]!.errorCode).toBe(
      E.ILLEGAL_GENERATION,
    );
    stableGroup(h, 1);
    expect(h.commit(commitReq('', -1, { t: { 0: 1n } })).response?.topics[0]!.partitions[0]!.errorCode).toBe(
      E.UNKNOWN_MEMBER_ID,
    );
  });

  it('generation and state checks: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, and commits during PreparingRebalance', () => {
    const h = new Harness();
    const [a, b] = stableGroup(h, 2);
    const code = (memberId: string, generationId: number) =>
      h.commit(commitReq(memberId, generationId, { t: { 0: 1n } })).response?.topics[0]!.partitions[0]!.errorCode;
    expect(code(a!, 1)).toBe(E.ILLEGAL_GENERATION);
    expect(code('x', 2)).toBe(E.UNKNOWN_MEMBER_ID);
    h.join({ memberId: a!, clientId: 'c0' }); // PreparingRebalance
    expect(code(b!, 2)).toBe(E.NONE); // commit before revocation
    h.join({ memberId: b!, clientId: 'c1' }); // CompletingRebalance, generation 3
    expect(code(b!, 3)).toBe(E.REBALANCE_IN_PROGRESS);
    expect(code(b!, 2)).toBe(E.ILLEGAL_GENERATION);
  });

  it('metadata over the limit fails only that partition; metadata is stored and returned', () => {
    const h = new Harness({ offsetMetadataBytesMax: 4 });
    const req = commitReq('', -1, { t: { 0: 1n, 1: 2n } });
    const partitions = req.topics[0]!.partitions;
    const big = { ...req, topics: [{ name: 't', partitions: [{ ...partitions[0]!, committedMetadata: 'ééé' }, { ...partitions[1]!, committedMetadata: 'ok' }] }] };
    expect(h.commit(big).response?.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([E.OFFSET_METADATA_TOO_LARGE, 0]);
    const fetched = h.coordinator.fetchOffsets({ groupId: 'g', topics: null });
    expect(fetched.topics[0]!.partitions.map((p) => [p.partitionIndex, p.metadata])).toEqual([[1, 'ok']]);
  });

  it('limits: commits in flight and distinct keys', () => {
    const h = new Harness({ offsetCommitsInFlightMax: 1, committedOffsetKeysMax: 2 });
    h.autoPersist = false;
    h.commit(commitReq('', -1, { t: { 0: 1n } }));
    const busy = h.commit(commitReq('', -1, { t: { 0: 2n } }));
    expect(busy.response?.topics[0]!.partitions[0]!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    h.completePersist(true);
    h.autoPersist = true;
    const codes = h.commit(commitReq('', -1, { t: { 0: 3n, 1: 1n, 2: 1n } })).response?.topics[0]!.partitions;
    expect(codes?.map((p) => p.errorCode)).toEqual([0, 0, E.UNKNOWN_SERVER_ERROR]);
    expect(h.commit(commitReq('', -1, { t: { 1: 9n } })).response?.topics[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('fetch with null topics lists every offset sorted; loaded offsets are served, the latest per key wins', () => {
    const rec = (topic: string, partition: number, offset: bigint, groupId = 'g') =>
      ({ groupId, topic, partition, offset, leaderEpoch: 3, metadata: 'm', commitTimestampMs: 1 });
    const h = new Harness({}, [rec('b', 1, 10n), rec('a', 2, 1n), rec('b', 0, 4n), rec('b', 1, 11n), rec('x', 0, 1n, 'g2')]);
    const all = h.coordinator.fetchOffsets({ groupId: 'g', topics: null });
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([
      ['a', [[2, 1n]]],
      ['b', [[0, 4n], [1, 11n]]],
    ]);
    expect(h.coordinator.fetchOffsets({ groupId: 'none', topics: null }).topics).toEqual([]);
    expect(h.coordinator.list()).toEqual([
      { groupId: 'g', protocolType: '', groupState: 'Empty' },
      { groupId: 'g2', protocolType: '', groupState: 'Empty' },
    ]);
  });

  it('a commit refreshes the member session', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    for (let i = 0; i < 5; i++) {
      h.advance(5000);
      h.commit(commitReq(a!, 1, { t: { 0: BigInt(i) } }));
    }
    expect(h.coordinator.describe(['g'])[0]!.members).toHaveLength(1);
  });
});

describe('DeleteGroups', () => {
  it('deletes an empty group with its offsets once that is durable; refuses a group with members; unknown is GROUP_ID_NOT_FOUND', () => {
    const h = new Harness();
    h.autoPersist = false;
    const [a] = stableGroup(h, 1);
    h.commit(commitReq(a!, 1, { t: { 0: 5n } }));
    h.completePersist(true);
    expect(h.deleteGroups(['g', 'nope', '']).response).toEqual([
      { groupId: 'g', errorCode: E.NON_EMPTY_GROUP },
      { groupId: 'nope', errorCode: E.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: E.INVALID_GROUP_ID },
    ]);
    h.coordinator.leave({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, h.nowMs);
    const deleted = h.deleteGroups(['g', 'g']);
    expect(deleted.response).toBeNull(); // held until the removal of its offsets is durable
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Empty'); // offsets still visible meanwhile
    h.completePersist(true);
    expect(deleted.response).toEqual([{ groupId: 'g', errorCode: E.NONE }]);
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Dead');
    expect(h.coordinator.list()).toEqual([]);
    expect(h.coordinator.fetchOffsets({ groupId: 'g', topics: null })).toEqual({ errorCode: E.NONE, topics: [] });
    expect(h.deleteGroups(['g']).response).toEqual([{ groupId: 'g', errorCode: E.GROUP_ID_NOT_FOUND }]);
  });

  it('an empty group without offsets goes at once; a failed removal keeps the offsets and answers COORDINATOR_NOT_AVAILABLE', () => {
    const h = new Harness();
    const [a] = stableGroup(h, 1);
    h.coordinator.leave({ groupId: 'g', members: [{ memberId: a!, groupInstanceId: null }] }, h.nowMs);
    expect(h.deleteGroups(['g']).response).toEqual([{ groupId: 'g', errorCode: E.NONE }]);
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Dead');

    h.commit(commitReq('', -1, { t: { 0: 9n } }, 'simple'));
    h.autoPersist = false;
    const failed = h.deleteGroups(['simple']);
    h.completePersist(false);
    expect(failed.response).toEqual([{ groupId: 'simple', errorCode: E.COORDINATOR_NOT_AVAILABLE }]);
    expect(h.coordinator.fetchOffsets({ groupId: 'simple', topics: null }).topics).toHaveLength(1);
  });
});

describe('DescribeGroups and ListGroups', () => {
  it('describes states, protocol data, metadata and assignments (only when Stable)', () => {
    const h = new Harness();
    expect(h.coordinator.describe(['none'])).toEqual([
      { errorCode: 0, groupId: 'none', groupState: 'Dead', protocolType: '', protocolData: '', members: [] },
    ]);
    const [a, b] = stableGroup(h, 2);
    const stable = h.coordinator.describe(['g'])[0]!;
    expect(stable).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(stable.members).toEqual([
      { memberId: a, groupInstanceId: null, clientId: 'c0', clientHost: '/127.0.0.1', memberMetadata: bytes(1), memberAssignment: bytes(0) },
      { memberId: b, groupInstanceId: null, clientId: 'c1', clientHost: '/127.0.0.1', memberMetadata: bytes(1), memberAssignment: bytes(1) },
    ]);
    h.join({ memberId: a!, clientId: 'c0' });
    const preparing = h.coordinator.describe(['g'])[0]!;
    expect(preparing).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(preparing.members[0]!.memberAssignment).toEqual(bytes());
  });

  it('lists groups sorted, with a case-insensitive state filter', () => {
    const h = new Harness();
    h.join({ groupId: 'zeta' });
    h.join({ groupId: 'alpha', protocolType: 'connect' });
    h.commit(commitReq('', -1, { t: { 0: 1n } }, 'offsets-only'));
    expect(h.coordinator.list()).toEqual([
      { groupId: 'alpha', protocolType: 'connect', groupState: 'CompletingRebalance' },
      { groupId: 'offsets-only', protocolType: '', groupState: 'Empty' },
      { groupId: 'zeta', protocolType: 'consumer', groupState: 'CompletingRebalance' },
    ]);
    expect(h.coordinator.list(['empty']).map((g) => g.groupId)).toEqual(['offsets-only']);
  });
});

describe('static membership (KIP-345)', () => {
  /** A Stable group of static members, one per instance id (in join order; the first leads). */
  function stableStaticGroup(h: Harness, instanceIds: string[]): string[] {
    const first = h.join({ clientId: 'c0', groupInstanceId: instanceIds[0]! }).response!;
    const others = instanceIds.slice(1).map((id, i) => h.join({ clientId: `c${i + 1}`, groupInstanceId: id }));
    const leaderView = instanceIds.length > 1
      ? h.join({ memberId: first.memberId, clientId: 'c0', groupInstanceId: instanceIds[0]! }).response!
      : first;
    const memberIds = [leaderView, ...others.map((a) => a.response!)].map((r) => r.memberId);
    const generationId = leaderView.generationId;
    const assignments = memberIds.map((memberId, i) => ({ memberId, assignment: bytes(10 + i) }));
    memberIds.forEach((memberId, i) => {
      const s = h.sync({ memberId, generationId, groupInstanceId: instanceIds[i]!, assignments: i === 0 ? assignments : [] });
      expect(s.response?.errorCode).toBe(E.NONE);
    });
    expect(h.coordinator.describe(['g'])[0]!.groupState).toBe('Stable');
    return memberIds;
  }

  const hb = (h: Harness, memberId: string, generationId: number, groupInstanceId: string | null) =>
    h.coordinator.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId }, h.nowMs).errorCode;

  it('a static member restarted (empty member id, same instance id) gets a new id, its assignment and the generation back, with no rebalance', () => {
    const h = new Harness();
    const [a, b] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const generationId = h.coordinator.groupSnapshot('g')!.generationId;
    expect(a).toMatch(/^inst-a-/); // Kafka forms a static member's id from its instance id
    h.advance(3_000); // within the 10 s session
    const rejoin = h.join({ clientId: 'c0-restarted', groupInstanceId: 'inst-b', requireKnownMemberId: true });
    const newB = rejoin.response!.memberId;
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId, leader: a, members: [] });
    expect(newB).not.toBe(b);
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'Stable', generationId, leaderId: a, memberIds: [a, newB] });
    expect(hb(h, a!, generationId, 'inst-a')).toBe(E.NONE); // the other member sees nothing
    const s = h.sync({ memberId: newB, generationId, groupInstanceId: 'inst-b' });
    expect(s.response).toMatchObject({ errorCode: E.NONE, assignment: bytes(11) });
    const described = h.coordinator.describe(['g'])[0]!.members.find((m) => m.memberId === newB)!;
    expect(described).toMatchObject({ groupInstanceId: 'inst-b', clientId: 'c0-restarted', memberAssignment: bytes(11) });
  });

  it('a restarted static leader is told the old leader id (so it syncs as a follower) and keeps its assignment and the leadership', () => {
    const h = new Harness();
    const [a, b] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const generationId = h.coordinator.groupSnapshot('g')!.generationId;
    const rejoin = h.join({ clientId: 'c0', groupInstanceId: 'inst-a' });
    const newA = rejoin.response!.memberId;
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId, leader: a, members: [] });
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'Stable', generationId, leaderId: newA, memberIds: [newA, b] });
    expect(h.sync({ memberId: newA, generationId, groupInstanceId: 'inst-a' }).response).toMatchObject({ errorCode: E.NONE, assignment: bytes(10) });
    expect(hb(h, b!, generationId, 'inst-b')).toBe(E.NONE);
  });

  it('a restarted static member whose protocols change the chosen protocol makes the group rebalance', () => {
    const h = new Harness();
    const both = [{ name: 'range', metadata: bytes(1) }, { name: 'roundrobin', metadata: bytes(1) }];
    const [a] = (() => {
      const first = h.join({ groupInstanceId: 'inst-a', protocols: both }).response!;
      h.sync({ memberId: first.memberId, generationId: first.generationId, groupInstanceId: 'inst-a', assignments: [] });
      return [first.memberId];
    })();
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'Stable', protocolName: 'range' });
    const rejoin = h.join({ groupInstanceId: 'inst-a', protocols: [{ name: 'roundrobin', metadata: bytes(1) }] });
    expect(rejoin.response).toMatchObject({ errorCode: E.NONE, generationId: 2, protocolName: 'roundrobin' });
    expect(rejoin.response!.memberId).not.toBe(a);
  });

  it('the member id a new process took the instance over from is fenced: FENCED_INSTANCE_ID on every API', () => {
    const h = new Harness();
    const [a, b] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const generationId = h.coordinator.groupSnapshot('g')!.generationId;
    const newB = h.join({ groupInstanceId: 'inst-b' }).response!.memberId;
    expect(hb(h, b!, generationId, 'inst-b')).toBe(E.FENCED_INSTANCE_ID);
    expect(h.sync({ memberId: b!, generationId, groupInstanceId: 'inst-b' }).response!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    const commit = h.commit({ ...commitReq(b!, generationId, { t: { 0: 5n } }), groupInstanceId: 'inst-b' });
    expect(commit.response!.topics[0]!.partitions[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(h.join({ memberId: b!, groupInstanceId: 'inst-b' }).response!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    const leave = h.coordinator.leave({ groupId: 'g', members: [{ memberId: b!, groupInstanceId: 'inst-b' }] }, h.nowMs);
    expect(leave.members[0]!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    // Without the instance id the old id is simply gone; the new holder and the others are untouched.
    expect(hb(h, b!, generationId, null)).toBe(E.UNKNOWN_MEMBER_ID);
    expect(hb(h, newB, generationId, 'inst-b')).toBe(E.NONE);
    expect(hb(h, a!, generationId, 'inst-a')).toBe(E.NONE);
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'Stable', generationId, memberIds: [a, newB] });
  });

  it('a takeover during a rebalance fences the old id\'s held join and restarts the join phase for the new id', () => {
    const h = new Harness();
    const [a, b] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const heldB = h.join({ memberId: b!, groupInstanceId: 'inst-b', protocols: [{ name: 'range', metadata: bytes(2) }] });
    expect(heldB.response).toBeNull(); // b's changed subscription started a rebalance; a has not rejoined
    const newB = h.join({ groupInstanceId: 'inst-b' });
    expect(heldB.response!.errorCode).toBe(E.FENCED_INSTANCE_ID);
    expect(newB.response).toBeNull();
    const aj = h.join({ memberId: a!, groupInstanceId: 'inst-a' });
    expect(aj.response).toMatchObject({ errorCode: E.NONE, generationId: 3, leader: a });
    expect(aj.response!.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[a, 'inst-a'], [newB.response!.memberId, 'inst-b']]);
  });

  it('a static member that goes silent is removed at its session timeout like any other, and the group rebalances', () => {
    const h = new Harness();
    const [a, b] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const generationId = h.coordinator.groupSnapshot('g')!.generationId;
    for (let t = 0; t < 4; t++) {
      h.advance(3_000);
      hb(h, a!, generationId, 'inst-a');
    }
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'PreparingRebalance', memberIds: [a] });
    // Its instance id is free again: a later join with it is a new member, not a takeover.
    const late = h.join({ groupInstanceId: 'inst-b' });
    expect(late.response).toBeNull();
    expect(h.join({ memberId: a!, groupInstanceId: 'inst-a' }).response).toMatchObject({ errorCode: E.NONE, generationId: generationId + 1 });
    expect(late.response!.memberId).not.toBe(b);
  });

  it('LeaveGroup v3 by instance id (empty member id) removes that static member; an unknown instance id is UNKNOWN_MEMBER_ID', () => {
    const h = new Harness();
    const [a] = stableStaticGroup(h, ['inst-a', 'inst-b']);
    const leave = h.coordinator.leave({
      groupId: 'g',
      members: [{ memberId: '', groupInstanceId: 'inst-b' }, { memberId: '', groupInstanceId: 'inst-x' }],
    }, h.nowMs);
    expect(leave.members.map((m) => m.errorCode)).toEqual([E.NONE, E.UNKNOWN_MEMBER_ID]);
    expect(h.coordinator.groupSnapshot('g')).toMatchObject({ state: 'PreparingRebalance', memberIds: [a] });
    const rejoinB = h.join({ groupInstanceId: 'inst-b' }); // a new member now: it waits for the join phase
    expect(rejoinB.response).toBeNull();
  });

  it('static members skip MEMBER_ID_REQUIRED and still count against the group size; a takeover does not', () => {
    const h = new Harness({ groupMembersMax: 2 });
    stableStaticGroup(h, ['inst-a', 'inst-b']);
    expect(h.join({ groupInstanceId: 'inst-c', requireKnownMemberId: true }).response!.errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
    expect(h.join({ groupInstanceId: 'inst-b', requireKnownMemberId: true }).response!.errorCode).toBe(E.NONE);
  });
});
