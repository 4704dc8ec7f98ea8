import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../io/seeded-random.ts';
import { raftInflightMessagesMax } from '../limits.ts';
import { Raft } from './raft.ts';
import { MemoryStorage, TestNetwork, termsToEntries } from '../../testing/raft-network.ts';
import type { Message, NodeId, Ready } from './types.ts';
import { message } from './types.ts';

const three = [1, 2, 3];
const five = [1, 2, 3, 4, 5];

/** Takes a Ready and advances it at once (as a driver that persisted and sent it would). */
function take(raft: Raft): Ready {
  const rd = raft.ready();
  raft.advance(rd);
  return rd;
}

function raftWithLog(id: NodeId, voters: NodeId[], terms: number[], term: number): Raft {
  return new Raft(
    { id, voters, electionTicks: 10, heartbeatTicks: 1, preVote: false, checkQuorum: false, random: new SeededRandom(`r${id}`) },
    { hardState: { term, vote: 0, commit: 0 }, snapshot: null, entries: termsToEntries(terms) },
  );
}

describe('leader election', () => {
  const table: { name: string; ids: NodeId[]; down: NodeId[]; leader: boolean }[] = [
    { name: '3 voters, all up', ids: three, down: [], leader: true },
    { name: '3 voters, one down', ids: three, down: [3], leader: true },
    { name: '3 voters, two down', ids: three, down: [2, 3], leader: false },
    { name: '5 voters, two down', ids: five, down: [4, 5], leader: true },
    { name: '5 voters, three down', ids: five, down: [3, 4, 5], leader: false },
    { name: '1 voter', ids: [1], down: [], leader: true },
  ];
  for (const preVote of [false, true]) {
    for (const row of table) {
      it(`${row.name} (preVote=${preVote})`, () => {
        const net = new TestNetwork(row.ids, { preVote });
        for (const id of row.down) net.crash(id);
        net.campaign(1);
        expect(net.node(1).role).toBe(row.leader ? 'leader' : preVote ? 'preCandidate' : 'candidate');
        // Pre-vote: a failed pre-election does not bump the term.
        expect(net.node(1).term).toBe(row.leader || !preVote ? 1 : 0);
      });
    }
  }

  it('elects exactly one leader when the election timers run out', () => {
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      const net = new TestNetwork(five, { seed, preVote: true, checkQuorum: true });
      net.tickAll(40);
      expect(net.leaders()).toHaveLength(1);
      const leader = net.leaders()[0] ?? 0;
      for (const id of five) expect(net.node(id).leader).toBe(leader);
    }
  });

  it('draws election timeouts from the injected random source (same seed, same winner)', () => {
    const winners = ['x', 'x', 'y'].map((seed) => {
      const net = new TestNetwork(five, { seed });
      net.tickAll(30);
      return `${net.leaders().join()}@${net.node(1).term}`;
    });
    expect(winners[0]).toBe(winners[1]);
  });

  it('refuses a vote to a candidate whose log is behind (election restriction)', () => {
    const voter = raftWithLog(2, three, [1, 1, 2], 2);
    const req: Message = message({ type: 'vote', from: 1, to: 2, term: 3, index: 5, logTerm: 1 });
    voter.step(req);
    const resp = take(voter).messages[0];
    expect(resp?.type).toBe('voteResp');
    expect(resp?.reject).toBe(true);
    // Same last term and a log at least as long: granted.
    voter.step(message({ type: 'vote', from: 3, to: 2, term: 3, index: 3, logTerm: 2 }));
    expect(take(voter).messages[0]?.reject).toBe(false);
    expect(voter.vote).toBe(3);
  });

  it('grants at most one vote per term', () => {
    const voter = raftWithLog(2, three, [], 0);
    voter.step(message({ type: 'vote', from: 1, to: 2, term: 1 }));
    voter.step(message({ type: 'vote', from: 3, to: 2, term: 1 }));
    const replies = take(voter).messages.map((m) => `${m.to}:${m.reject}`);
    expect(replies).toEqual(['1:false', '3:true']);
  });

  it('a restarted node with a long log elects as fast as a fresh one', () => {
    // An earlier broker of this kind, restarted with a 149K-entry log, held elections without end. Here the election path
    // touches only the last entry, so the ticks to a leader do not depend on the log length.
    const ticksToLeader = (entries: number): number => {
      const net = new TestNetwork(three, { seed: 's', preVote: true, checkQuorum: true });
      for (const id of three) {
        const store = net.storage.get(id) as MemoryStorage;
        store.entries = termsToEntries(new Array<number>(entries).fill(1));
        store.hardState = { term: 1, vote: 1, commit: entries };
        net.start(id);
      }
      for (let t = 1; t < 100; t++) {
        net.tickAll(1);
        if (net.leaders().length === 1) return t;
      }
      return Infinity;
    };
    const fresh = ticksToLeader(0);
    expect(fresh).toBeLessThan(20);
    expect(ticksToLeader(150_000)).toBe(fresh);
  });
});

describe('log replication', () => {
  it('replicates and applies proposals in the same order on every node', () => {
    const net = new TestNetwork(five);
    net.campaign(1);
    for (let i = 0; i < 20; i++) net.propose(1, `r${i}`);
    const expected = Array.from({ length: 20 }, (_, i) => `r${i}`);
    for (const id of five) expect(net.applied.get(id)).toEqual(expected);
    expect(net.node(1).log.committed).toBe(21); // the leader's no-op plus 20 records
  });

  it('commits with a majority and not with a minority', () => {
    const net = new TestNetwork(five);
    net.campaign(1);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'with-majority');
    expect(net.node(1).log.committed).toBe(2);
    net.isolate(3);
    net.propose(1, 'minority');
    expect(net.node(1).log.committed).toBe(2);
    net.recover();
    net.tick(1);
    expect(net.node(1).log.committed).toBe(3);
    for (const id of five) expect(net.applied.get(id)).toEqual(['with-majority', 'minority']);
  });

  it('does not commit entries of an earlier term by counting replicas (figure 8)', () => {
    const leader = raftWithLog(1, five, [1, 2], 3);
    const net = new TestNetwork(five);
    net.nodes.set(1, leader);
    leader.campaign();
    net.flush();
    expect(leader.role).toBe('leader');
    // Committed through the new term's no-op, and that covers the term-2 entry as well.
    expect(leader.log.committed).toBe(3);
    expect(leader.log.term(3)).toBe(leader.term);
  });

  it('proposals to a follower are refused with a leader hint', () => {
    const net = new TestNetwork(three);
    net.campaign(2);
    const result = net.node(1).propose(new Uint8Array([1]));
    expect(result).toEqual({ ok: false, error: 'NotLeader', leader: 2 });
  });

  it('keeps at most the in-flight window of appends outstanding to a follower', () => {
    const net = new TestNetwork(three, { inflightMax: 4 });
    net.campaign(1);
    net.ignore('appResp');
    for (let i = 0; i < 20; i++) net.propose(1, `x${i}`);
    expect(net.node(1).progressOf(2)?.inflight).toBe(4);
    expect(net.node(1).progressOf(2)?.state).toBe('replicate');
    net.recover();
    net.tick(1);
    for (const id of three) expect(net.applied.get(id)).toHaveLength(20);
    expect(raftInflightMessagesMax).toBeGreaterThan(1);
  });
});

describe('log conflicts (Raft paper figure 7)', () => {
  // Leader log: terms of entries 1..10; the follower logs (a)-(f) from the paper.
  const leaderTerms = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
    b: [1, 1, 1, 4],
    c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
    d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [1, 1, 1, 4, 4, 4, 4],
    f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, terms] of Object.entries(followers)) {
    it(`the leader brings follower (${name}) to its own log`, () => {
      const net = new TestNetwork(three);
      const leader = raftWithLog(1, three, leaderTerms, 8);
      net.nodes.set(1, leader);
      net.nodes.set(2, raftWithLog(2, three, terms, 7));
      net.crash(3);
      leader.campaign();
      // Node 3 (down) cannot vote; forge its grant as etcd's nopStepper test does.
      net.send(message({ type: 'voteResp', from: 3, to: 1, term: 9 }));
      expect(leader.role).toBe('leader');
      net.propose(1, 'after');
      const termsOf = (r: Raft): number[] => r.log.allEntries().map((e) => e.term);
      expect(termsOf(net.node(2))).toEqual(termsOf(leader));
      expect(net.node(2).log.committed).toBe(leader.log.lastIndex());
    });
  }

  it('backtracks a whole conflicting term per round trip', () => {
    const net = new TestNetwork(three);
    const leader = raftWithLog(1, three, [1, ...new Array<number>(50).fill(5)], 8);
    net.nodes.set(1, leader);
    net.nodes.set(2, raftWithLog(2, three, [1, ...new Array<number>(60).fill(3)], 7));
    net.crash(3);
    leader.campaign();
    net.send(message({ type: 'voteResp', from: 3, to: 1, term: 9 }));
    const rejects = net.sent.filter((m) => m.type === 'appResp' && m.reject && m.from === 2);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(net.node(2).log.lastIndex()).toBe(leader.log.lastIndex());
  });
});

describe('pre-vote and check-quorum', () => {
  it('a partitioned node does not bump its term with pre-vote and cannot disrupt the leader on rejoin', () => {
    const net = new TestNetwork(three, { preVote: true, checkQuorum: true });
    net.campaign(1);
    net.isolate(3);
    net.tick(3, 100);
    expect(net.node(3).term).toBe(1);
    net.recover();
    net.tickAll(5);
    expect(net.node(1).role).toBe('leader');
    expect(net.node(1).term).toBe(1);
    net.propose(1, 'after-rejoin');
    expect(net.applied.get(3)).toEqual(['after-rejoin']);
  });

  it('without pre-vote a rejoining node disrupts the leader (the control case)', () => {
    const net = new TestNetwork(three, { preVote: false, checkQuorum: false });
    net.campaign(1);
    net.isolate(3);
    net.tick(3, 100);
    expect(net.node(3).term).toBeGreaterThan(1);
    net.recover();
    net.tickAll(20);
    expect(net.node(1).term).toBeGreaterThan(1);
  });

  it('check-quorum: a leader that cannot reach a majority steps down', () => {
    const net = new TestNetwork(three, { checkQuorum: true });
    net.campaign(1);
    net.isolate(1);
    net.tick(1, 9);
    // Followers answered since the last check; the next full round without answers deposes it.
    net.tick(1, 11);
    expect(net.node(1).role).toBe('follower');
  });

  it('check-quorum lease: followers ignore a vote request while they hear from a leader', () => {
    const net = new TestNetwork(three, { checkQuorum: true });
    net.campaign(1);
    // Node 3 campaigns directly (as if its timer fired) while nodes 1 and 2 are in lease.
    net.node(3).campaign();
    net.flush();
    expect(net.node(1).role).toBe('leader');
    expect(net.node(2).vote).toBe(1);
    expect(net.node(2).term).toBe(1);
  });

  it('a stale leader learns the new term and steps down', () => {
    const net = new TestNetwork(three, { preVote: true, checkQuorum: true });
    net.campaign(1);
    net.isolate(1);
    for (let round = 0; round < 100 && net.leaders().filter((id) => id !== 1).length === 0; round++) {
      net.node(2).tick();
      net.node(3).tick();
      net.flush();
    }
    const newLeader = net.leaders().find((id) => id !== 1) ?? 0;
    expect(newLeader).not.toBe(0);
    expect(net.node(1).role).toBe('leader');
    net.recover();
    net.tick(1, 1); // heartbeat from the old leader is answered with the new term
    expect(net.node(1).role).toBe('follower');
    expect(net.node(1).term).toBe(net.node(newLeader).term);
  });
});

describe('snapshots', () => {
  function compactAll(net: TestNetwork, id: NodeId): void {
    const raft = net.node(id);
    const index = raft.log.applied;
    const term = raft.log.term(index) ?? 0;
    const snap = { meta: { index, term, voters: net.ids }, data: new TextEncoder().encode(`state@${index}`) };
    net.storage.get(id)?.compact(snap);
    raft.compact(snap, index);
  }

  it('a follower whose next entry was compacted away is caught up by a snapshot', () => {
    const net = new TestNetwork(three);
    net.campaign(1);
    net.crash(3);
    for (let i = 0; i < 10; i++) net.propose(1, `e${i}`);
    compactAll(net, 1);
    expect(net.node(1).log.firstIndex()).toBe(12);
    net.start(3);
    net.tick(1, 1);
    expect(net.applied.get(3)).toEqual(['snapshot@11']);
    net.propose(1, 'after');
    expect(net.applied.get(3)).toEqual(['snapshot@11', 'after']);
    expect(net.node(3).log.committed).toBe(12);
    expect(net.storage.get(3)?.snapshot?.meta.index).toBe(11);
  });

  it('a restart replays the snapshot and the short tail only', () => {
    const net = new TestNetwork(three);
    net.campaign(1);
    for (let i = 0; i < 10; i++) net.propose(1, `e${i}`);
    compactAll(net, 2);
    net.propose(1, 'tail');
    net.crash(2);
    const restarted = net.start(2);
    expect(restarted.log.firstIndex()).toBe(12);
    expect(restarted.log.lastIndex()).toBe(12);
    net.tick(1, 1);
    expect(net.applied.get(2)).toEqual(['tail']);
  });

  it('a lost snapshot is resent after heartbeats', () => {
    const net = new TestNetwork(three);
    net.campaign(1);
    net.crash(3);
    for (let i = 0; i < 5; i++) net.propose(1, `e${i}`);
    compactAll(net, 1);
    net.start(3);
    net.ignore('snap');
    net.tick(1, 2);
    expect(net.node(1).progressOf(3)?.state).toBe('snapshot');
    net.recover();
    net.tick(1, 8);
    expect(net.applied.get(3)?.[0]).toBe('snapshot@6');
  });
});

describe('persistence contract', () => {
  it('hands the vote out for persistence in the same Ready as the grant', () => {
    const voter = raftWithLog(2, three, [], 0);
    voter.step(message({ type: 'vote', from: 1, to: 2, term: 1 }));
    const rd = voter.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(rd.messages[0]?.type).toBe('voteResp');
  });

  it('the leader counts its own entries toward commit only after advance (fsync)', () => {
    const leader = new Raft({ id: 1, voters: [1], electionTicks: 10, heartbeatTicks: 1, preVote: false, checkQuorum: false, random: new SeededRandom('x') });
    leader.campaign();
    const rd = leader.ready();
    expect(rd.entries).toHaveLength(1);
    expect(leader.log.committed).toBe(0);
    leader.advance(rd);
    expect(leader.log.committed).toBe(1);
  });

  it('a conflicting append stepped between ready and advance is persisted again', () => {
    const f = raftWithLog(2, three, [1, 1], 1);
    f.step(message({ type: 'app', from: 1, to: 2, term: 2, index: 2, logTerm: 1, entries: [{ term: 2, index: 3, type: 'data', data: new Uint8Array() }] }));
    const rd1 = f.ready();
    expect(rd1.entries.map((e) => e.index)).toEqual([3]);
    // Before advance, a newer leader overwrites index 3.
    f.step(message({ type: 'app', from: 3, to: 2, term: 3, index: 2, logTerm: 1, entries: [{ term: 3, index: 3, type: 'data', data: new Uint8Array() }] }));
    f.advance(rd1);
    expect(f.log.stable).toBe(2);
    const rd2 = f.ready();
    expect(rd2.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['3/3']);
    f.advance(rd2);
    expect(f.log.stable).toBe(3);
  });

  it('hands out one Ready at a time', () => {
    const f = raftWithLog(2, three, [1], 1);
    f.ready();
    expect(() => f.ready()).toThrow(/advance\(\) the previous Ready/);
  });
});
