import { describe, expect, it } from 'vitest';
import { Simulation } from '../../io-sim/index.ts';
import type { Io } from '../io/index.ts';
import { RecordFile } from '../group/record-file.ts';
import { ProducerErrorCode as E } from './error-codes.ts';
import { ProducerIdAllocator, ProducerIdManager } from './producer-id-allocator.ts';
import { FileProducerIdStore, MemoryProducerIdStore, ProducerIdStoreFormatError, producerIdsFileName } from './producer-id-store.ts';

const idempotent = { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };

describe('ProducerIdAllocator', () => {
  it('hands out ids only inside a persisted block, in order', () => {
    const a = new ProducerIdAllocator(0n, 3n);
    expect(a.tryAllocate()).toBeNull();
    expect(a.nextBlockEnd()).toBe(3n);
    a.blockPersisted(3n);
    expect([a.tryAllocate(), a.tryAllocate(), a.tryAllocate(), a.tryAllocate()]).toEqual([0n, 1n, 2n, null]);
    expect(a.nextBlockEnd()).toBe(6n);
  });

  it('resumes at the loaded high-water mark', () => {
    const a = new ProducerIdAllocator(2000n, 1000n);
    a.blockPersisted(a.nextBlockEnd());
    expect(a.tryAllocate()).toBe(2000n);
  });
});

describe('ProducerIdManager', () => {
  it('gives every idempotent producer a new id with epoch 0, one store write per block', async () => {
    const store = new MemoryProducerIdStore();
    const manager = await ProducerIdManager.open(store, 4n);
    const answers = await Promise.all(Array.from({ length: 10 }, () => manager.initProducerId(idempotent)));
    expect(answers.map((a) => a.producerId)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    expect(answers.every((a) => a.errorCode === E.NONE && a.producerEpoch === 0)).toBe(true);
    expect(store.writes).toBe(3);
    expect(store.highWater).toBe(12n);
    // v3+ requests carrying an old id and epoch get a fresh id too (Kafka does the same without a transactional id).
    expect((await manager.initProducerId({ ...idempotent, producerId: 3n, producerEpoch: 0 })).producerId).toBe(10n);
  });

  it('after a restart ids continue above everything reserved before', async () => {
    const store = new MemoryProducerIdStore();
    const first = await ProducerIdManager.open(store, 100n);
    await first.initProducerId(idempotent);
    const second = await ProducerIdManager.open(store, 100n);
    expect((await second.initProducerId(idempotent)).producerId).toBe(100n);
  });

  it('transactional ids are refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED; a failed store write with COORDINATOR_NOT_AVAILABLE', async () => {
    const store = new MemoryProducerIdStore();
    store.persistHighWater = () => Promise.reject(new Error('EIO'));
    const manager = await ProducerIdManager.open(store, 4n);
    expect(await manager.initProducerId({ ...idempotent, transactionalId: 'tx' })).toEqual({
      errorCode: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect((await manager.initProducerId(idempotent)).errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('FileProducerIdStore on the simulated disk', () => {
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

  it('ids handed out before any crash are never handed out again', async () => {
    const sim = new Simulation({ seed: 11 });
    let io: Io | null = null;
    const node = sim.addNode('n1', (nodeIo) => void (io = nodeIo));
    await sim.run({ untilMs: 1 });
    const seen = new Set<bigint>();
    for (let life = 0; life < 6; life++) {
      const manager = await settle(sim, ProducerIdManager.open(new FileProducerIdStore(io!.disk, 'producers'), 5n));
      const count = 3 + life * 4; // some lives end mid-block, some after several blocks (file rewrite included)
      for (let i = 0; i < count; i++) {
        const { producerId, errorCode } = await settle(sim, manager.initProducerId(idempotent));
        expect(errorCode).toBe(E.NONE);
        expect(seen.has(producerId)).toBe(false);
        seen.add(producerId);
      }
      // A request in flight when the power goes: its answer is never sent, its id may be skipped.
      void manager.initProducerId(idempotent);
      io = null;
      node.crash();
      node.restart();
      await sim.run({ untilMs: sim.nowMs() + 1 });
    }
    expect(seen.size).toBe(3 + 7 + 11 + 15 + 19 + 23);
  });

  it('rewrites the file down to one record after many blocks', async () => {
    const sim = new Simulation({ seed: 12 });
    let io: Io | null = null;
    sim.addNode('n1', (nodeIo) => void (io = nodeIo));
    await sim.run({ untilMs: 1 });
    const store = new FileProducerIdStore(io!.disk, 'producers');
    expect(await settle(sim, store.load())).toBe(0n);
    for (let i = 1; i <= 100; i++) await settle(sim, store.persistHighWater(BigInt(i * 10)));
    await settle(sim, store.close());
    const opened = await settle(sim, RecordFile.open(io!.disk, `producers/${producerIdsFileName}`));
    expect(opened.records.length).toBeLessThan(64);
    expect(await settle(sim, new FileProducerIdStore(io!.disk, 'producers').load())).toBe(1000n);
    await settle(sim, opened.file.append([Uint8Array.of(1, 2)]));
    await expect(settle(sim, new FileProducerIdStore(io!.disk, 'producers').load())).rejects.toBeInstanceOf(
      ProducerIdStoreFormatError,
    );
  });
});
