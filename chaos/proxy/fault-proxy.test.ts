/**
 * The fault proxy against a local echo server and a fake Kafka broker (no broker process): bytes
 * pass through unchanged, a block drops them and taints the connection, heal resets it, latency
 * holds bytes in order, an armed reset delivers half a chunk then RST, and Metadata / FindCoordinator
 * answers get their advertised addresses rewritten while other frames pass byte for byte.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, concatChunks, decodeResponse, encodeRequest, encodeResponse, FrameDecoder } from '../../src/core/protocol/index.ts';
import { FaultProxy } from './fault-proxy.ts';

const servers: net.Server[] = [];
const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function server(onConnection: (s: net.Socket) => void): Promise<number> {
  const s = net.createServer(onConnection);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

function echo(): Promise<number> {
  return server((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
}

async function dial(port: number): Promise<{ socket: net.Socket; received: Buffer[]; closed: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (d) => received.push(d));
  const closed = new Promise<string>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.on('close', () => resolve('close'));
  });
  await new Promise((r) => socket.once('connect', r));
  return { socket, received, closed };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('FaultProxy', () => {
  it('passes bytes, drops them under a block (tainting the connection) and resets it on heal', async () => {
    const proxy = new FaultProxy();
    proxies.push(proxy);
    const link = await proxy.addLink({ name: 'raft 1->2', from: '1', to: '2', target: { host: '127.0.0.1', port: await echo() } });
    const c = await dial(link.port);
    c.socket.write('hello');
    await until(() => Buffer.concat(c.received).toString() === 'hello');
    proxy.block('1', '2');
    c.socket.write('lost');
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.concat(c.received).toString()).toBe('hello');
    expect(proxy.counters.droppedBytes).toBe(4);
    proxy.heal();
    expect(await c.closed).toBe('ECONNRESET');
  });

  it('holds bytes for the latency, in order, and resets an armed connection after half a chunk', async () => {
    const proxy = new FaultProxy();
    proxies.push(proxy);
    let got = Buffer.alloc(0);
    const port = await server((s) => {
      s.on('data', (d) => (got = Buffer.concat([got, d])));
      s.on('error', () => undefined);
    });
    const link = await proxy.addLink({ name: 'l', from: 'client', to: '1', target: { host: '127.0.0.1', port } });
    const c = await dial(link.port);
    proxy.latency('client', '1', 100);
    const sentAt = Date.now();
    c.socket.write('ab');
    c.socket.write('cd');
    await until(() => got.length === 4);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(90);
    expect(got.toString()).toBe('abcd');
    proxy.latency('client', '1', 0);
    expect(proxy.resetConnections()).toBe(1);
    c.socket.write('0123456789');
    expect(await c.closed).toBe('ECONNRESET');
    await until(() => got.length === 9);
    expect(got.toString()).toBe('abcd01234');
    expect(proxy.counters.resetsMidFrame).toBe(1);
  });

  it('rewrites the addresses Metadata and FindCoordinator answers advertise; other frames pass byte for byte', async () => {
    const proxy = new FaultProxy();
    proxies.push(proxy);
    const produceAnswer = Buffer.from([0, 0, 0, 8, 0, 0, 0, 3, 1, 2, 3, 4]); // a size, correlation id 3, 4 opaque bytes
    const port = await server((s) => {
      const frames = new FrameDecoder(1 << 20);
      s.on('data', (d) =>
        frames.push(d, (e) => {
          if (e.kind !== 'frame') return;
          const view = new DataView(e.frame.buffer, e.frame.byteOffset);
          const apiKey = view.getInt16(0);
          const correlationId = view.getInt32(4);
          if (apiKey === ApiKey.Metadata) {
            const brokers = [{ nodeId: 1, host: '127.0.0.1', port: 9001, rack: null }, { nodeId: 2, host: '127.0.0.1', port: 9002, rack: null }];
            for (const chunk of encodeResponse(ApiKey.Metadata, 8, correlationId, { throttleTimeMs: 0, brokers, clusterId: 'c', controllerId: 1, topics: [], clusterAuthorizedOperations: -2147483648 })) s.write(chunk);
          } else if (apiKey === ApiKey.FindCoordinator) {
            for (const chunk of encodeResponse(ApiKey.FindCoordinator, 2, correlationId, { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 2, host: '127.0.0.1', port: 9002 })) s.write(chunk);
          } else {
            s.write(produceAnswer);
          }
        }),
      );
      s.on('error', () => undefined);
    });
    const rewrite = (a: { host: string; port: number }): { host: string; port: number } | null => (a.port === 9002 ? { host: '127.0.0.1', port: 7002 } : null);
    const link = await proxy.addLink({ name: 'kafka clients->1', to: '1', kafka: true, rewrite, target: { host: '127.0.0.1', port } });
    const c = await dial(link.port);
    const requests = [
      encodeRequest(ApiKey.Metadata, { apiVersion: 8, correlationId: 1, clientId: 'test' }, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }),
      encodeRequest(ApiKey.FindCoordinator, { apiVersion: 2, correlationId: 2, clientId: 'test' }, { key: 'g', keyType: 0 }),
    ];
    for (const r of requests) c.socket.write(concatChunks(r));
    c.socket.write(Buffer.from([0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 0])); // produce v7, correlation 3, client id ""
    const frames: Uint8Array[] = [];
    const decoder = new FrameDecoder(1 << 20);
    await until(() => {
      for (const d of c.received.splice(0)) decoder.push(d, (e) => e.kind === 'frame' && frames.push(e.frame.slice()));
      return frames.length === 3;
    });
    const metadata = decodeResponse(ApiKey.Metadata, 8, frames[0]!);
    const coordinator = decodeResponse(ApiKey.FindCoordinator, 2, frames[1]!);
    expect(metadata.ok && metadata.body.brokers.map((b) => b.port)).toEqual([9001, 7002]);
    expect(coordinator.ok && coordinator.body.port).toBe(7002);
    expect(Buffer.from(frames[2]!)).toEqual(produceAnswer.subarray(4));
    expect(proxy.counters.rewrittenFrames).toBe(2);
    c.socket.destroy();
  });
});
