import { describe, expect, it } from 'vitest';
import type { Clock, Timer } from '../core/io/index.ts';
import type { Connection, ConnectionHandlers } from '../core/io/network.ts';
import { ApiKey, encodeResponse } from '../core/protocol/index.ts';
import { KafkaWireClient } from './kafka-wire-client.ts';

/** A connection whose peer is the test: it sees what the client wrote and hands it responses. */
class FakeConnection implements Connection {
  readonly id = 'fake';
  readonly localAddress = 'c1';
  readonly remoteAddress = 'n1';
  handlers: ConnectionHandlers | null = null;
  writtenChunks = 0;
  destroyed = false;
  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }
  write(): boolean {
    this.writtenChunks++;
    return true;
  }
  bufferedBytes(): number {
    return 0;
  }
  end(): void {}
  pauseReading(): void {}
  resumeReading(): void {}
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.handlers!.onClose(undefined);
  }
  respond(correlationId: number): void {
    const body = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
    for (const chunk of encodeResponse(ApiKey.ApiVersions, 0, correlationId, body)) this.handlers!.onData(chunk);
  }
}

/** Timers that fire only when the test says so. */
class ManualClock implements Clock {
  private readonly timers: { atMs: number; callback: () => void; live: boolean }[] = [];
  private nowMsValue = 0;
  nowMs(): number {
    return this.nowMsValue;
  }
  wallClockMs(): number {
    return 1_767_225_600_000 + this.nowMsValue;
  }
  setTimer(delayMs: number, callback: () => void): Timer {
    const timer = { atMs: this.nowMsValue + delayMs, callback, live: true };
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  advance(ms: number): void {
    this.nowMsValue += ms;
    for (const t of this.timers.filter((t) => t.live && t.atMs <= this.nowMsValue)) {
      t.live = false;
      t.callback();
    }
  }
}

const body = { clientSoftwareName: '', clientSoftwareVersion: '' };

describe('KafkaWireClient', () => {
  it('matches responses by correlation id and notes one that overtakes an earlier request', async () => {
    const conn = new FakeConnection();
    const client = new KafkaWireClient(conn);
    const first = client.request(ApiKey.ApiVersions, 0, body);
    const second = client.request(ApiKey.ApiVersions, 0, body);
    conn.respond(2);
    conn.respond(1);
    await expect(first).resolves.toMatchObject({ errorCode: 0 });
    await expect(second).resolves.toMatchObject({ errorCode: 0 });
    expect(client.arrivals).toEqual([2, 1]);
    expect(client.orderViolations).toEqual(['response #2 arrived while #1 was next']);
  });

  it('notes a response that answers no request, unless the test wrote raw bytes', () => {
    const conn = new FakeConnection();
    const client = new KafkaWireClient(conn);
    const silent = client.sendOneWay(ApiKey.ApiVersions, 0, body);
    conn.respond(silent);
    expect(client.orderViolations).toEqual([`response #${silent} answers no pending request`]);
    client.writeRaw([new Uint8Array([0, 0, 0, 0])]);
    conn.respond(42);
    expect(client.arrivals).toEqual([silent, 42]);
    expect(client.orderViolations).toHaveLength(1);
  });

  it('keeps the latest arrivals only: a follower connection lives for days', async () => {
    const conn = new FakeConnection();
    const client = new KafkaWireClient(conn);
    for (let i = 0; i < 5000; i++) {
      const answered = client.request(ApiKey.ApiVersions, 0, body);
      conn.respond(i + 1);
      await answered;
    }
    expect(client.arrivals.length).toBeGreaterThanOrEqual(1024);
    expect(client.arrivals.length).toBeLessThan(2048);
    expect(client.arrivals.at(-1)).toBe(5000);
    expect(client.arrivals).toEqual(Array.from({ length: client.arrivals.length }, (_, k) => 5001 - client.arrivals.length + k));
    expect(client.orderViolations).toEqual([]);
  });

  it('a timeout on the clock rejects every pending request and closes the connection', async () => {
    const conn = new FakeConnection();
    const clock = new ManualClock();
    const client = new KafkaWireClient(conn, { clock, requestTimeoutMs: 100 });
    const a = client.request(ApiKey.ApiVersions, 0, body);
    const b = client.request(ApiKey.ApiVersions, 0, body, { timeoutMs: null });
    clock.advance(100);
    await expect(a).rejects.toThrow('timed out after 100 ms');
    await expect(b).rejects.toThrow('timed out after 100 ms');
    expect(conn.destroyed).toBe(true);
    expect(client.closed).toBe(true);
    await expect(client.request(ApiKey.ApiVersions, 0, body)).rejects.toThrow('timed out');
  });

  it('close() and a closed connection reject what is pending', async () => {
    const conn = new FakeConnection();
    const client = new KafkaWireClient(conn);
    const pending = client.request(ApiKey.ApiVersions, 0, body);
    client.close();
    await expect(pending).rejects.toThrow('closed by the client');
    const other = new FakeConnection();
    const second = new KafkaWireClient(other);
    const lost = second.request(ApiKey.ApiVersions, 0, body);
    other.destroy();
    await expect(lost).rejects.toThrow('connection closed');
  });
});
