/**
 * Property: for any interleaving of joins, syncs, heartbeats, leaves, silences (session expiries) and
 * restarts of up to five consumers on a three-partition topic, some of them static (a
 * group.instance.id, KIP-345: a restart rejoins with an empty member id and takes the old place),
 * with the leader running a range assignor,
 *  - every Stable generation assigns each partition to exactly one live member,
 *  - generation ids never decrease (and every join answer carries the group's current generation),
 *  - and once the clients behave (join, sync, heartbeat in time) the group settles to Stable with
 *    every client holding its part of the current generation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupErrorCode as E } from './error-codes.ts';
import { GroupCoordinator } from './coordinator.ts';
import { TestRandom, joinReq } from '../../testing/group-harness.ts';
import type { JoinGroupResponse, JoinGroupResponseMember, ReplyToken, SyncGroupResponse } from './types.ts';

const partitionCount = 3;
const clientsMax = 5;

type Action =
  | { kind: 'join' | 'sync' | 'heartbeat' | 'leave'; client: number }
  /** The client's process restarts: it forgets its member id without leaving (a static member's restart). */
  | { kind: 'restart'; client: number }
  /** A SyncGroup built from an older JoinGroup answer, as a delayed or duplicated request would be. */
  | { kind: 'stale-sync'; client: number; pick: number }
  | { kind: 'advance'; ms: number };

interface Client {
  readonly name: string;
  readonly v4: boolean;
  /** Static members' group.instance.id; one per client, so no client may ever be fenced. */
  readonly instanceId: string | null;
  memberId: string;
  joinToken: ReplyToken | null;
  syncToken: ReplyToken | null;
  joined: JoinGroupResponse | null;
  /** Every successful JoinGroup answer this client got. */
  history: JoinGroupResponse[];
  assignment: { generationId: number; partitions: number[] } | null;
}

/** Range assignor: members sorted by id, partitions split into contiguous runs. */
function rangeAssign(members: readonly JoinGroupResponseMember[]) {
  const ids = members.map((m) => m.memberId).sort();
  return ids.map((memberId, i) => {
    const from = Math.floor((i * partitionCount) / ids.length);
    const to = Math.floor(((i + 1) * partitionCount) / ids.length);
    return { memberId, assignment: Uint8Array.from({ length: to - from }, (_, k) => from + k) };
  });
}

class World {
  readonly coordinator: GroupCoordinator;
  readonly clients: Client[];
  nowMs = 0;
  lastGenerationId = 0;
  takeovers = 0;

  constructor(seed: number, initialRebalanceDelayMs: number, v4: boolean[], isStatic: boolean[]) {
    this.coordinator = new GroupCoordinator({ random: new TestRandom(seed), config: { initialRebalanceDelayMs } });
    this.clients = v4.map((isV4, i) => ({
      name: `c${i}`,
      v4: isV4,
      instanceId: isStatic[i] === true ? `instance-${i}` : null,
      memberId: '',
      joinToken: null,
      syncToken: null,
      joined: null,
      history: [],
      assignment: null,
    }));
  }

  act(action: Action): void {
    if (action.kind === 'advance') {
      this.nowMs += action.ms;
      this.coordinator.tick(this.nowMs);
    } else {
      const client = this.clients[action.client]!;
      if (action.kind === 'join') this.join(client);
      if (action.kind === 'sync') this.sync(client, client.joined);
      if (action.kind === 'stale-sync') this.sync(client, client.history[action.pick % Math.max(client.history.length, 1)] ?? null);
      if (action.kind === 'heartbeat') this.heartbeat(client);
      if (action.kind === 'leave') this.leave(client);
      if (action.kind === 'restart') this.restart(client);
    }
    this.drain();
    this.check();
  }

  join(client: Client): void {
    const req = joinReq({
      memberId: client.memberId,
      groupInstanceId: client.instanceId,
      clientId: client.name,
      requireKnownMemberId: client.v4,
      rebalanceTimeoutMs: 15_000,
    });
    const takeover = this.isStableTakeover(client);
    const generationBefore = this.coordinator.groupSnapshot('g')?.generationId;
    const reply = this.coordinator.join(req, this.nowMs);
    if (takeover) {
      this.takeovers += 1;
      // KIP-345: a restarted static member of a Stable group is answered at once, and nobody rebalances.
      expect(reply.kind).toBe('done');
      expect(this.coordinator.groupSnapshot('g')).toMatchObject({ state: 'Stable', generationId: generationBefore });
    }
    client.joined = null;
    client.assignment = null;
    client.syncToken = null;
    if (reply.kind === 'done') {
      client.joinToken = null;
      this.onJoin(client, reply.response);
    } else {
      client.joinToken = reply.token;
    }
  }

  /** Whether this join is a static member's restart into a Stable group (same protocols in this model). */
  isStableTakeover(client: Client): boolean {
    if (client.memberId !== '' || client.instanceId === null) return false;
    const group = this.coordinator.describe(['g'])[0]!;
    return group.groupState === 'Stable' && group.members.some((m) => m.groupInstanceId === client.instanceId);
  }

  sync(client: Client, joined: JoinGroupResponse | null): void {
    // A client without a member id has nothing to sync (and with an instance id would be fenced).
    if (joined === null || client.memberId === '') return;
    const assignments = joined.leader === client.memberId ? rangeAssign(joined.members) : [];
    const req = { groupId: 'g', generationId: joined.generationId, memberId: client.memberId, groupInstanceId: client.instanceId, protocolType: 'consumer', protocolName: 'range', assignments };
    const reply = this.coordinator.sync(req, this.nowMs);
    if (reply.kind === 'done') this.onSync(client, joined.generationId, reply.response);
    else if (joined === client.joined) client.syncToken = reply.token;
  }

  heartbeat(client: Client): void {
    if (client.memberId === '') return;
    const generationId = client.joined?.generationId ?? -1;
    const { errorCode } = this.coordinator.heartbeat({ groupId: 'g', generationId, memberId: client.memberId, groupInstanceId: client.instanceId }, this.nowMs);
    expect(errorCode).not.toBe(E.FENCED_INSTANCE_ID);
    if (errorCode === E.UNKNOWN_MEMBER_ID) this.reset(client);
    if (errorCode === E.REBALANCE_IN_PROGRESS || errorCode === E.ILLEGAL_GENERATION) client.joined = null;
  }

  leave(client: Client): void {
    if (client.memberId === '') return;
    this.coordinator.leave({ groupId: 'g', members: [{ memberId: client.memberId, groupInstanceId: client.instanceId }] }, this.nowMs);
    this.reset(client);
  }

  /** A new process: nothing of the old one's requests or answers survives. */
  restart(client: Client): void {
    this.reset(client);
    client.history = [];
  }

  reset(client: Client): void {
    client.memberId = '';
    client.joined = null;
    client.assignment = null;
    client.joinToken = null;
    client.syncToken = null;
  }

  onJoin(client: Client, response: JoinGroupResponse): void {
    expect(response.errorCode).not.toBe(E.FENCED_INSTANCE_ID);
    if (response.errorCode === E.MEMBER_ID_REQUIRED) client.memberId = response.memberId;
    if (response.errorCode === E.UNKNOWN_MEMBER_ID) this.reset(client);
    if (response.errorCode !== E.NONE) return;
    const snapshot = this.coordinator.groupSnapshot('g');
    expect(response.generationId).toBeGreaterThanOrEqual(this.lastGenerationId);
    expect(response.generationId).toBe(snapshot?.generationId);
    client.memberId = response.memberId;
    client.joined = response;
    client.history.push(response);
  }

  onSync(client: Client, generationId: number, response: SyncGroupResponse): void {
    expect(response.errorCode).not.toBe(E.FENCED_INSTANCE_ID);
    if (response.errorCode === E.UNKNOWN_MEMBER_ID) this.reset(client);
    if (response.errorCode === E.REBALANCE_IN_PROGRESS && client.joined?.generationId === generationId) client.joined = null;
    if (response.errorCode !== E.NONE) return;
    if (generationId !== client.joined?.generationId) return; // an answer to a stale request
    client.assignment = { generationId, partitions: [...response.assignment] };
  }

  drain(): void {
    for (const effect of this.coordinator.takeEffects()) {
      if (effect.kind === 'reply-join') {
        const client = this.clients.find((c) => c.joinToken === effect.token);
        if (client === undefined) continue; // answer to a request the client gave up on
        client.joinToken = null;
        this.onJoin(client, effect.response);
      } else if (effect.kind === 'reply-sync') {
        const client = this.clients.find((c) => c.syncToken === effect.token);
        if (client === undefined || client.joined === null) continue;
        client.syncToken = null;
        this.onSync(client, client.joined.generationId, effect.response);
      }
    }
  }

  /** The safety invariants, checked after every step. */
  check(): void {
    const snapshot = this.coordinator.groupSnapshot('g');
    if (snapshot === null) return;
    expect(snapshot.generationId).toBeGreaterThanOrEqual(this.lastGenerationId);
    this.lastGenerationId = snapshot.generationId;
    if (snapshot.state !== 'Stable') return;
    const described = this.coordinator.describe(['g'])[0]!;
    const owners = new Map<number, string[]>();
    for (const member of described.members) {
      for (const p of member.memberAssignment) owners.set(p, [...(owners.get(p) ?? []), member.memberId]);
    }
    for (let p = 0; p < partitionCount; p++) expect(owners.get(p)?.length, `partition ${p} owners`).toBe(1);
    expect(owners.size).toBe(partitionCount);
    // Clients that hold this generation's assignment hold disjoint parts of it.
    const held = this.clients.filter((c) => c.assignment?.generationId === snapshot.generationId);
    const partitions = held.flatMap((c) => c.assignment!.partitions);
    expect(new Set(partitions).size).toBe(partitions.length);
  }

  /** Every client behaves for a while: the group must end Stable with every client's part current. */
  settle(): void {
    for (let round = 0; round < 40; round++) {
      for (const client of this.clients) {
        if (client.joinToken !== null || client.syncToken !== null) continue;
        if (client.joined === null) this.act({ kind: 'join', client: this.clients.indexOf(client) });
        else if (client.assignment?.generationId !== client.joined.generationId) this.act({ kind: 'sync', client: this.clients.indexOf(client) });
        else this.act({ kind: 'heartbeat', client: this.clients.indexOf(client) });
      }
      this.act({ kind: 'advance', ms: 1000 });
    }
    const snapshot = this.coordinator.groupSnapshot('g')!;
    expect(snapshot.state).toBe('Stable');
    expect(snapshot.memberIds.length).toBe(this.clients.length);
    for (const client of this.clients) expect(client.assignment?.generationId).toBe(snapshot.generationId);
    const all = this.clients.flatMap((c) => c.assignment!.partitions).sort();
    expect(all).toEqual([0, 1, 2]);
  }
}

const actionArb = (clients: number): fc.Arbitrary<Action> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), client: fc.nat(clients - 1) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const), client: fc.nat(clients - 1) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('heartbeat' as const), client: fc.nat(clients - 1) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('stale-sync' as const), client: fc.nat(clients - 1), pick: fc.nat(20) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('leave' as const), client: fc.nat(clients - 1) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), client: fc.nat(clients - 1) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(200, 1000, 3000, 10_000, 16_000) }) },
  );

const scenarioArb = fc
  .integer({ min: 1, max: clientsMax })
  .chain((clients) =>
    fc.record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      initialRebalanceDelayMs: fc.constantFrom(0, 3000),
      v4: fc.array(fc.boolean(), { minLength: clients, maxLength: clients }),
      isStatic: fc.array(fc.boolean(), { minLength: clients, maxLength: clients }),
      actions: fc.array(actionArb(clients), { minLength: 10, maxLength: 100, size: 'max' }),
    }),
  );

describe('group coordinator properties', () => {
  it('Stable generations assign every partition to exactly one live member; generations only grow; the group settles', () => {
    let takeovers = 0;
    fc.assert(
      fc.property(scenarioArb, ({ seed, initialRebalanceDelayMs, v4, isStatic, actions }) => {
        const world = new World(seed, initialRebalanceDelayMs, v4, isStatic);
        for (const action of actions) world.act(action);
        world.settle();
        takeovers += world.takeovers;
      }),
      { numRuns: 300 },
    );
    expect(takeovers, 'static restarts into a Stable group were exercised').toBeGreaterThan(0);
  });
});
