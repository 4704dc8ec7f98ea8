import { describe, expect, it } from 'vitest';
import { Simulation } from '../../io-sim/index.ts';
import type { Io } from '../io/index.ts';
import { GroupErrorCode as E } from './error-codes.ts';
import { GroupService, GroupServiceStoppedError } from './group-service.ts';
import { commitReq, joinReq, syncReq } from './test-helpers.ts';

/** Runs the simulation until `promise` settles (disk latency and timers are virtual). */
async function settle<T>(sim: Simulation, promise: Promise<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  promise.then((value) => (outcome = { ok: true, value }), (error: unknown) => (outcome = { ok: false, error }));
  await new Promise((resolve) => setImmediate(resolve));
  while (outcome === null && sim.scheduler.peekTimeMs() !== undefined) await sim.run({ until: () => outcome !== null });
  const settled = outcome as { ok: true; value: T } | { ok: false; error: unknown } | null;
  if (settled === null) throw new Error('never settled');
  if (!settled.ok) throw settled.error;
  return settled.value;
}

async function boot(seed: number) {
  const sim = new Simulation({ seed });
  const state: { io: Io | null } = { io: null };
  const node = sim.addNode('n1', (io) => void (state.io = io));
  await sim.run({ untilMs: 1 });
  const open = () => settle(sim, GroupService.open(state.io!, { dir: 'groups', config: { initialRebalanceDelayMs: 1000 } }));
  return { sim, node, state, open };
}

describe('GroupService on the simulator', () => {
  it('holds joins until the initial delay passes, answers syncs, expires sessions by its own timer', async () => {
    const { sim, open } = await boot(21);
    const service = await open();
    const a = service.join(joinReq({ clientId: 'a' }));
    const b = service.join(joinReq({ clientId: 'b' }));
    const ja = await settle(sim, a);
    const jb = await settle(sim, b); // one settle at a time: sim.run is not reentrant
    expect(sim.nowMs()).toBeGreaterThanOrEqual(1000);
    expect(ja).toMatchObject({ errorCode: E.NONE, generationId: 1 });
    expect(jb.generationId).toBe(1);
    const follower = service.sync(syncReq({ memberId: jb.memberId, generationId: 1 }));
    const assignments = [{ memberId: jb.memberId, assignment: Uint8Array.of(9) }];
    await settle(sim, service.sync(syncReq({ memberId: ja.memberId, generationId: 1, assignments })));
    expect((await settle(sim, follower)).assignment).toEqual(Uint8Array.of(9));
    // Only a heartbeats; b's 10 s session runs out and the timer makes the group rebalance.
    for (let i = 0; i < 4; i++) {
      await sim.run({ untilMs: sim.nowMs() + 3000 });
      service.heartbeat({ groupId: 'g', generationId: 1, memberId: ja.memberId, groupInstanceId: null });
    }
    expect(service.groupSnapshot('g')).toMatchObject({ state: 'PreparingRebalance', memberIds: [ja.memberId] });
    await settle(sim, service.stop());
  });

  it('a commit resolves after it is durable and survives a crash; held requests fail on stop', async () => {
    const { sim, node, open } = await boot(22);
    const service = await open();
    const committed = await settle(sim, service.commitOffsets(commitReq('', -1, { t: { 0: 42n, 1: 7n } })));
    expect(committed.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    node.crash();
    node.restart();
    await sim.run({ untilMs: sim.nowMs() + 1 });
    const again = await open();
    expect(again.loaded.offsets.map((o) => o.offset)).toEqual([42n, 7n]);
    const fetched = again.fetchOffsets({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    expect(fetched.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([42n, 7n]);
    const held = again.join(joinReq({ clientId: 'x' })).then(() => 'answered', (error: unknown) => error);
    await settle(sim, again.stop());
    expect(await held).toBeInstanceOf(GroupServiceStoppedError);
  });

  it('a failed fsync answers the commit COORDINATOR_NOT_AVAILABLE and keeps the old offset', async () => {
    const { sim, node, open } = await boot(23);
    const service = await open();
    await settle(sim, service.commitOffsets(commitReq('', -1, { t: { 0: 1n } })));
    node.disk.faults.failNextSync();
    const failed = await settle(sim, service.commitOffsets(commitReq('', -1, { t: { 0: 2n } })));
    expect(failed.topics[0]!.partitions[0]!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    const fetched = service.fetchOffsets({ groupId: 'g', topics: null });
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(1n);
    await settle(sim, service.stop());
  });
});
