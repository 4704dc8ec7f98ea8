/**
 * An earlier broker of this kind, restarted with a 149K-entry log, held elections without end. Here a 3-voter cluster
 * commits a long history (snapshots every raftSnapshotEntriesInterval entries), every node is
 * crashed and restarted, and the cluster must elect a leader and commit within the same virtual
 * time as a fresh cluster of the same seed, replaying only a snapshot plus a short tail.
 * (Measured when written, seeds 1-3: fresh 631/531/581 ms, after 12,032 entries 625/525/522 ms
 * virtual; 771 entries replayed after the snapshot.)
 */
import { describe, expect, it } from 'vitest';
import { raftSnapshotEntriesInterval } from '../src/core/limits.ts';
import { MetadataStateMachine } from '../src/core/metadata/metadata-state-machine.ts';
import { encodeRecord } from '../src/core/metadata/records.ts';
import { RaftNode } from '../src/core/raft/raft-node.ts';
import { Simulation } from '../src/io-sim/index.ts';
import { electionTicks, tickMs } from './scenarios/raft.ts';

const names = ['n1', 'n2', 'n3'];

function cluster(sim: Simulation, live: Map<string, { node: RaftNode; sm: MetadataStateMachine }>): void {
  names.forEach((name, k) => {
    sim.addNode(name, async (io) => {
      const sm = new MetadataStateMachine();
      const node = await RaftNode.start(
        io,
        { id: k + 1, voters: names.map((n, j) => ({ id: j + 1, host: n, port: 9093 })), dataDir: 'raft', tickMs, electionTicks, heartbeatTicks: 2 },
        sm,
      );
      live.set(name, { node, sm });
      return { stop: () => node.stop() };
    });
  });
}

/** Virtual ms from now until a leader committed a proposal that every node applied. */
async function msToCommit(sim: Simulation, live: Map<string, { node: RaftNode; sm: MetadataStateMachine }>): Promise<number> {
  const startMs = sim.nowMs();
  let index = 0;
  const probe = (): void => {
    if (index > 0) return;
    const leader = [...live.values()].find((m) => m.node.role() === 'leader');
    leader?.node.propose(encodeRecord({ type: 'RegisterBroker', brokerId: 7, host: 'h', port: 1 })).then((i) => (index = i), () => undefined);
    sim.schedule(10, probe);
  };
  probe();
  let reachedMs = -1;
  const done = (): boolean => {
    const ok = index > 0 && live.size === 3 && [...live.values()].every((m) => m.sm.appliedIndex >= index);
    if (ok && reachedMs < 0) reachedMs = sim.nowMs();
    return ok;
  };
  // run() moves virtual time to untilMs even when `until` stops it early, so note the time here.
  await sim.run({ until: done, untilMs: startMs + 20_000 });
  expect(index).toBeGreaterThan(0);
  return reachedMs - startMs;
}

async function writeHistory(sim: Simulation, live: Map<string, { node: RaftNode; sm: MetadataStateMachine }>, entries: number): Promise<void> {
  let done = 0;
  while (done < entries) {
    await sim.run({ until: () => [...live.values()].some((m) => m.node.role() === 'leader') });
    const leader = [...live.values()].find((m) => m.node.role() === 'leader');
    if (leader === undefined) continue;
    const batch = Array.from({ length: 256 }, (_, i) =>
      leader.node.propose(encodeRecord({ type: 'CreateTopic', name: `t${done + i}`, topicId: `id${done + i}`, replicas: [[1, 2, 3]] })).then(() => 1, () => 0),
    );
    let settled = false;
    const all = Promise.all(batch).then((oks) => {
      done += oks.reduce<number>((a, b) => a + b, 0);
      settled = true;
    });
    await sim.run({ until: () => settled });
    await all;
  }
}

describe('restart with a long history', () => {
  it('elects and commits as fast as a fresh cluster, replaying a snapshot plus a short tail', async () => {
    const results: { seed: number; freshMs: number; restartMs: number; tail: number; topics: number }[] = [];
    for (const seed of [1, 2, 3]) {
      const fresh = new Simulation({ seed });
      const freshLive = new Map();
      cluster(fresh, freshLive);
      const freshMs = await msToCommit(fresh, freshLive);

      const sim = new Simulation({ seed });
      const live = new Map<string, { node: RaftNode; sm: MetadataStateMachine }>();
      cluster(sim, live);
      await writeHistory(sim, live, 12_000);
      live.clear();
      for (const name of names) sim.node(name).crash();
      for (const name of names) sim.node(name).start();
      const restartMs = await msToCommit(sim, live);
      const tail = Math.max(...[...live.values()].map((m) => m.node.raft.log.entryCount()));
      const topics = live.get('n1')?.sm.topics().length ?? 0;
      results.push({ seed, freshMs, restartMs, tail, topics });
    }
    for (const r of results) {
      expect(r.topics).toBeGreaterThanOrEqual(12_000);
      expect(r.tail).toBeLessThanOrEqual(raftSnapshotEntriesInterval + 2);
      // Both are one election: at most two election timeouts plus a round trip.
      expect(r.restartMs).toBeLessThanOrEqual(2 * 2 * electionTicks * tickMs + 100);
      expect(r.freshMs).toBeLessThanOrEqual(2 * 2 * electionTicks * tickMs + 100);
    }
  });
});
