import { describe, expect, it } from 'vitest';
import { Simulation } from '../../io-sim/index.ts';
import { clusterProducerIdBlockSize, clusterProducerIdPrefetchUsed, clusterProducerIdWaitMsMax } from '../limits.ts';
import type { ProducerIdsResult } from '../metadata/controller.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { ClusterProducerIds } from './cluster-producer-ids.ts';

/** A controller stand-in: hands out consecutive blocks after `latencyMs`, or refuses while `refusing`. */
function setup(latencyMs = 10) {
  const sim = new Simulation({ seed: 1 });
  const io = sim.addClient('broker');
  const state = { asked: 0, next: 0, refusing: false };
  const request = (): Promise<ProducerIdsResult> => {
    state.asked++;
    return new Promise((resolve) =>
      io.clock.setTimer(latencyMs, () => {
        if (state.refusing) return resolve({ errorCode: ErrorCode.NOT_CONTROLLER, firstProducerId: -1, size: 0 });
        resolve({ errorCode: ErrorCode.NONE, firstProducerId: state.next, size: clusterProducerIdBlockSize });
        state.next += clusterProducerIdBlockSize;
      }),
    );
  };
  const ids = new ClusterProducerIds(io.clock, io.log, request);
  const take = async (): Promise<bigint | null> => {
    let out: { v: bigint | null } | null = null;
    void ids.take().then((v) => (out = { v }));
    await sim.run({ untilMs: sim.nowMs() + clusterProducerIdWaitMsMax + 100, until: () => out !== null });
    return (out as { v: bigint | null } | null)?.v ?? null;
  };
  return { sim, ids, state, take };
}

describe('cluster producer ids (blocks from the controller)', () => {
  it('hands out the ids of each block in order and asks for the next block once 90 % are used', async () => {
    const { ids, state, take, sim } = setup();
    ids.prefetch();
    await sim.run({ untilMs: sim.nowMs() + 50 });
    expect(state.asked).toBe(1);
    for (let k = 0; k < clusterProducerIdPrefetchUsed - 1; k++) expect(await take()).toBe(BigInt(k));
    expect(state.asked).toBe(1);
    expect(await take()).toBe(BigInt(clusterProducerIdPrefetchUsed - 1));
    expect(state.asked).toBe(2); // the next block, asked for before this one runs out
    await sim.run({ untilMs: sim.nowMs() + 50 });
    const seen = new Set<bigint>();
    for (let k = 0; k < 2 * clusterProducerIdBlockSize; k++) {
      const id = await take();
      expect(id).not.toBeNull();
      expect(seen.has(id!)).toBe(false);
      seen.add(id!);
    }
    expect(Math.min(...[...seen].map(Number))).toBe(clusterProducerIdPrefetchUsed);
    expect(state.asked).toBe(4);
  });

  it('waits for a block when none is at hand, and gives up after the bounded wait while the controller refuses', async () => {
    const { state, take, sim } = setup(200);
    const startMs = sim.nowMs();
    expect(await take()).toBe(0n); // no prefetch: waited one round trip
    expect(sim.nowMs() - startMs).toBeLessThan(clusterProducerIdWaitMsMax);
    const { state: refusing, take: takeRefused, sim: sim2 } = setup(20);
    refusing.refusing = true;
    const before = sim2.nowMs();
    expect(await takeRefused()).toBeNull();
    expect(sim2.nowMs() - before).toBeGreaterThanOrEqual(clusterProducerIdWaitMsMax);
    expect(refusing.asked).toBeGreaterThan(1); // retried within the wait
    refusing.refusing = false;
    expect(await takeRefused()).toBe(0n);
    expect(state.asked).toBe(1);
  });
});
