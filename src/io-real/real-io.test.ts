import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Disk } from '../core/io/disk.ts';
import type { Connection } from '../core/io/network.ts';
import { nullLog } from '../core/io/log.ts';
import { Simulation } from '../io-sim/index.ts';
import { realIo } from './index.ts';

const root = mkdtempSync(path.join(tmpdir(), 'chronik-real-io-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The same contract, run against the real disk and the simulated one: identical signatures, identical answers. */
async function diskContract(disk: Disk): Promise<unknown[]> {
  const seen: unknown[] = [];
  await disk.mkdir('a/b');
  const f = await disk.open('a/b/file', { create: true });
  await f.append(Uint8Array.of(1, 2, 3));
  await f.append(Uint8Array.of(4, 5));
  seen.push(f.size());
  await f.write(1, Uint8Array.of(9));
  seen.push([...(await f.read(0, 100))]);
  await f.sync();
  await f.truncate(3);
  seen.push(f.size(), [...(await f.read(1, 10))]);
  await f.appendChunks([Uint8Array.of(6), new Uint8Array(0), Uint8Array.of(7, 8)]);
  seen.push(f.size(), [...(await f.read(0, 100))]);
  await disk.syncDir('a/b');
  seen.push(await disk.list('a'), await disk.list('a/b'), await disk.exists('a/b/file'), await disk.exists('a/b/nope'));
  await disk.rename('a/b/file', 'a/b/renamed');
  seen.push(await disk.list('a/b'));
  await disk.remove('a/b/renamed');
  seen.push(await disk.list('a/b'), await disk.list('missing'));
  seen.push(await disk.open('a/b/nope').then(() => 'opened', (e: { code: string }) => e.code));
  await f.close();
  return seen;
}

const expected = [5, [1, 9, 3, 4, 5], 3, [9, 3], 6, [1, 9, 3, 6, 7, 8], ['b'], ['file'], true, false, ['renamed'], [], [], 'ENOENT'];

describe('real I/O', () => {
  it('the real disk keeps the disk contract', async () => {
    const io = realIo({ dataDir: root, log: nullLog });
    expect(await diskContract(io.disk)).toEqual(expected);
  });

  it('the simulated disk answers the same contract the same way', async () => {
    const sim = new Simulation({ seed: 1 });
    let seen: unknown[] = [];
    sim.addNode('n1', async (io) => void (seen = await diskContract(io.disk)));
    await sim.run({ untilMs: 1000 });
    expect(seen).toEqual(expected);
  });

  it('the real network echoes over loopback and reports a taken port as EADDRINUSE', async () => {
    const io = realIo({ dataDir: root, log: nullLog });
    const listener = await io.net.listen('127.0.0.1', 0, (conn) =>
      conn.setHandlers({ onData: (chunk) => conn.write(chunk), onClose() {} }),
    );
    const taken = await io.net.listen('127.0.0.1', listener.port, () => {}).then(() => 'listened', (e: { code: string }) => e.code);
    expect(taken).toBe('EADDRINUSE');
    const conn = await io.net.connect('127.0.0.1', listener.port);
    const echoed = await new Promise<string>((resolve) => {
      let text = '';
      conn.setHandlers({
        onData: (chunk) => {
          text += Buffer.from(chunk).toString();
          if (text.length === 5) resolve(text);
        },
        onClose() {},
      });
      conn.write(Buffer.from('hello'));
    });
    expect(echoed).toBe('hello');
    conn.destroy();
    await listener.close();
    const refused = await io.net.connect('127.0.0.1', listener.port).then(() => 'connected', (e: { code: string }) => e.code);
    expect(refused).toBe('ECONNREFUSED');
  });

  it('the real network holds a paused reader\'s bytes in TCP (the writer backs up), then delivers them all on resume', async () => {
    const io = realIo({ dataDir: root, log: nullLog });
    let received = 0;
    let server: Connection | null = null;
    const listener = await io.net.listen('127.0.0.1', 0, (conn) => {
      server = conn;
      conn.setHandlers({ onData: (chunk) => void (received += chunk.length), onClose() {} });
      conn.pauseReading();
    });
    const conn = await io.net.connect('127.0.0.1', listener.port);
    let drains = 0;
    conn.setHandlers({ onData() {}, onClose() {}, onDrain: () => void drains++ });
    const totalBytes = 64 * 1024 * 1024;
    const writes: boolean[] = [];
    for (let at = 0; at < totalBytes; at += 1024 * 1024) writes.push(conn.write(new Uint8Array(1024 * 1024)));
    expect(writes.at(-1)).toBe(false);
    // Steady state: what the kernels on both sides hold stops changing; the rest waits in the writer.
    let last = -1;
    for (let polls = 0; polls < 300 && conn.bufferedBytes() !== last; polls++) {
      last = conn.bufferedBytes();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(received).toBe(0);
    expect(conn.bufferedBytes()).toBeGreaterThan(totalBytes / 2);
    server!.resumeReading();
    for (let polls = 0; polls < 600 && received < totalBytes; polls++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toBe(totalBytes);
    expect(drains).toBeGreaterThanOrEqual(1);
    conn.destroy();
    await listener.close();
  });

  it('real timers fire in order of their delays', async () => {
    const io = realIo({ dataDir: root, log: nullLog });
    const order: number[] = [];
    await new Promise<void>((resolve) => {
      io.clock.setTimer(20, () => {
        order.push(2);
        resolve();
      });
      io.clock.setTimer(1, () => order.push(1));
      io.clock.setTimer(5, () => order.push(99)).cancel();
    });
    expect(order).toEqual([1, 2]);
  });
});
