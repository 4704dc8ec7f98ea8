/**
 * An earlier broker of this kind crashed at startup while its peers were down. Here one voter starts
 * alone and keeps dialling its peers with capped backoff (no crash, a bounded number of attempts),
 * and the quorum forms as soon as the peers appear; a corrupt frame closes only its connection.
 */
import { describe, expect, it } from 'vitest';
import type { Connection, Io, Network } from '../src/core/io/index.ts';
import { raftReconnectBackoffMsMax } from '../src/core/limits.ts';
import { MetadataStateMachine } from '../src/core/metadata/metadata-state-machine.ts';
import { encodeRecord } from '../src/core/metadata/records.ts';
import { RaftNode } from '../src/core/raft/raft-node.ts';
import { Simulation } from '../src/io-sim/index.ts';

const names = ['n1', 'n2', 'n3'];

function countingNet(net: Network, counter: { dials: number }): Network {
  return {
    listen: (host, port, onConnection) => net.listen(host, port, onConnection),
    connect: (host, port, options) => {
      counter.dials++;
      return net.connect(host, port, options);
    },
  };
}

describe('raft transport', () => {
  it('a voter started while its peers are down keeps dialling with capped backoff, and the quorum forms when they come', async () => {
    const sim = new Simulation({ seed: 3 });
    const live = new Map<string, RaftNode>();
    const counter = { dials: 0 };
    const boot = (name: string, k: number) => async (io: Io) => {
      const withCount = name === 'n1' ? { ...io, net: countingNet(io.net, counter) } : io;
      const node = await RaftNode.start(
        withCount,
        { id: k + 1, voters: names.map((n, j) => ({ id: j + 1, host: n, port: 9093 })), dataDir: 'raft', tickMs: 50, electionTicks: 10, heartbeatTicks: 2 },
        new MetadataStateMachine(),
      );
      live.set(name, node);
      return { stop: () => node.stop() };
    };
    sim.addNode('n1', boot('n1', 0));
    await sim.run({ untilMs: 20_000 });
    const n1 = live.get('n1');
    expect(n1?.isRunning()).toBe(true);
    expect(n1?.role()).not.toBe('leader');
    // Two peers, 20 s, backoff capped at 1 s (plus up to 1 s jitter): at least 10 and at most ~50 dials.
    expect(counter.dials).toBeGreaterThanOrEqual(2 * (20_000 / (2 * raftReconnectBackoffMsMax)));
    expect(counter.dials).toBeLessThanOrEqual(2 * (20_000 / raftReconnectBackoffMsMax) + 20);

    sim.addNode('n2', boot('n2', 1));
    sim.addNode('n3', boot('n3', 2));
    const startMs = sim.nowMs();
    await sim.run({ until: () => [...live.values()].some((n) => n.role() === 'leader') });
    expect(sim.nowMs() - startMs).toBeLessThan(5000);
    const leader = [...live.values()].find((n) => n.role() === 'leader') as RaftNode;
    let index = 0;
    void leader.propose(encodeRecord({ type: 'RegisterBroker', brokerId: 1, host: 'b', port: 1 })).then((i) => (index = i));
    await sim.run({ until: () => index > 0 });
    expect(index).toBeGreaterThan(0);
  });

  it('a corrupt frame closes its connection; the node stays up and reconnects', async () => {
    const sim = new Simulation({ seed: 4 });
    const live = new Map<string, RaftNode>();
    names.forEach((name, k) =>
      sim.addNode(name, async (io) => {
        const node = await RaftNode.start(
          io,
          { id: k + 1, voters: names.map((n, j) => ({ id: j + 1, host: n, port: 9093 })), dataDir: 'raft', tickMs: 50, electionTicks: 10, heartbeatTicks: 2 },
          new MetadataStateMachine(),
        );
        live.set(name, node);
        return { stop: () => node.stop() };
      }),
    );
    await sim.run({ until: () => [...live.values()].some((n) => n.role() === 'leader') });
    const client = sim.addClient('mallory');
    let conn: Connection | null = null;
    void client.net.connect('n1', 9093).then((c) => (conn = c));
    await sim.run({ until: () => conn !== null });
    if (conn === null) throw new Error('no connection');
    let closed = false;
    (conn as Connection).setHandlers({ onData: () => undefined, onClose: () => (closed = true) });
    (conn as Connection).write(new Uint8Array([0, 0, 0, 5, 1, 2, 3, 4, 9, 9, 9, 9, 9])); // length 5, wrong CRC
    await sim.run({ until: () => closed, untilMs: sim.nowMs() + 1000 });
    expect(closed).toBe(true);
    expect(live.get('n1')?.isRunning()).toBe(true);
    const leader = [...live.values()].find((n) => n.role() === 'leader') as RaftNode;
    let index = 0;
    void leader.propose(encodeRecord({ type: 'RegisterBroker', brokerId: 2, host: 'b', port: 1 })).then((i) => (index = i));
    await sim.run({ until: () => index > 0 });
    expect(index).toBeGreaterThan(0);
  });
});
