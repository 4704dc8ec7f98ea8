import { assert } from '../core/assert.ts';
import { connectionWriteBufferBytesHighWater } from '../core/limits.ts';
import {
  NetError,
  type Connection,
  type ConnectionHandlers,
  type Listener,
  type Network,
} from '../core/io/network.ts';
import type { Random } from '../core/io/random.ts';
import { worldOwner, type EventOwner, type Scheduler } from './scheduler.ts';
import { tracedKnobs } from './traced-knobs.ts';

type Chunk = { kind: 'data'; bytes: Uint8Array; readyAtMs: number } | { kind: 'fin' | 'rst'; readyAtMs: number };

export interface LinkLatency {
  minMs: number;
  maxMs: number;
}

/** Test-only hooks that make the network itself wrong, to show the checkers notice. */
export interface NetworkBugs {
  /** Chunks are delivered in ready-time order instead of FIFO (breaks per-connection order). */
  reorder: boolean;
  /** Partitions block nothing. */
  leakAcrossPartition: boolean;
}

/** The most one simulated read delivers when it merges chunks that have arrived (a typical socket read size). */
const readBytesMax = 64 * 1024;

/** The kind a chunk's delivery event is hashed under. */
const deliveryKinds = { data: 'net.data', fin: 'net.fin', rst: 'net.rst' } as const;

type TraceFn = (host: string | null, event: string, fields: Record<string, string | number>) => void;

/** One direction of a connection: a FIFO of chunks pumped by one scheduled event at a time. */
class Direction {
  queue: Chunk[] = [];
  bytesQueued = 0;
  pumping = false;
  stalled = false;
  /** A fin or rst is queued: nothing more may be sent this way. */
  shut = false;
  /** The receiver paused reading: the head waits (with everything behind it) until it resumes. */
  heldByReader = false;
  /** A stalled connection (stallRandomConnection): nothing is delivered this way before this time. */
  frozenUntilMs = 0;
  lastReadyAtMs = 0;
  constructor(
    readonly from: Endpoint,
    readonly to: Endpoint,
  ) {}
}

class Endpoint implements Connection {
  handlers: ConnectionHandlers | null = null;
  private early: Uint8Array[] = [];
  closed = false;
  wantsDrain = false;
  readingPaused = false;
  out!: Direction;

  constructor(
    readonly id: string,
    readonly host: string,
    readonly localAddress: string,
    readonly remoteAddress: string,
    readonly owner: EventOwner,
    private readonly world: SimNetworkWorld,
  ) {}

  setHandlers(handlers: ConnectionHandlers): void {
    assert(this.handlers === null, 'setHandlers is called once');
    this.handlers = handlers;
    for (const chunk of this.early) handlers.onData(chunk);
    this.early = [];
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    this.world.send(this.out, data);
    const below = this.out.bytesQueued < connectionWriteBufferBytesHighWater;
    if (!below) this.wantsDrain = true;
    return below;
  }

  bufferedBytes(): number {
    return this.out.bytesQueued;
  }

  end(): void {
    if (this.closed) return;
    this.world.sendControl(this.out, 'fin');
  }

  destroy(): void {
    if (this.closed) return;
    this.world.sendControl(this.out, 'fin');
    this.close(undefined);
  }

  pauseReading(): void {
    this.readingPaused = true;
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.world.resumeInbound(this.out.to.out);
  }

  /** True when bytes for this endpoint must wait: it paused reading, or its process is paused, and it is still there to resume. */
  holdsInbound(): boolean {
    return (this.readingPaused || this.world.isPaused(this.owner)) && !this.closed && this.owner.alive();
  }

  receive(bytes: Uint8Array): void {
    if (this.closed || !this.owner.alive()) return;
    if (this.handlers === null) this.early.push(bytes);
    else this.handlers.onData(bytes);
  }

  close(error: NetError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.world.forget(this);
    this.resumeReading();
    if (this.owner.alive()) this.handlers?.onClose(error);
  }
}

/** A listener registered by a node incarnation. */
interface ListenerEntry {
  owner: EventOwner;
  onConnection: (connection: Connection) => void;
}

/**
 * The simulated network: hosts (one per node or client), listeners, live connections, partitions and
 * per-link latency. Every delay and every split of a write into chunks comes from its seeded Random.
 */
export class SimNetworkWorld {
  private readonly listeners = new Map<string, ListenerEntry>();
  private readonly blocked = new Set<string>();
  private readonly slowFactors = new Map<string, number>();
  private readonly live = new Map<string, Endpoint>();
  /** Directions held by a partition, including those of endpoints already closed locally (their fin must still go out). */
  private readonly stalled = new Set<Direction>();
  private connectionSeq = 0;
  private ephemeralPortNext = 40000;
  /** Every link's delay bounds; a change is traced (`FaultNetLatency`). */
  readonly latency: LinkLatency;
  readonly bugs: NetworkBugs = { reorder: false, leakAcrossPartition: false };
  connectTimeoutMsDefault = 3000;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly trace: TraceFn,
  ) {
    this.latency = tracedKnobs<LinkLatency>({ minMs: 0.05, maxMs: 1 }, (l) => trace(null, 'FaultNetLatency', { minMs: l.minMs, maxMs: l.maxMs }));
  }

  facade(host: string, owner: EventOwner): Network {
    return {
      listen: (listenHost, port, onConnection) => this.listen(host, owner, listenHost, port, onConnection),
      connect: (toHost, port, options) => this.connect(host, owner, toHost, port, options?.timeoutMs),
    };
  }

  // ---- faults (each one traced as a `Fault...` line) ------------------------------------------------

  partition(a: string, b: string, options?: { oneWay?: boolean }): void {
    this.blocked.add(`${a}>${b}`);
    if (options?.oneWay !== true) this.blocked.add(`${b}>${a}`);
    this.trace(null, 'FaultPartition', { from: a, to: b, oneWay: options?.oneWay === true ? 1 : 0 });
  }

  heal(): void {
    this.trace(null, 'FaultHeal', { links: this.blocked.size });
    this.blocked.clear();
    const held = [...this.stalled];
    this.stalled.clear();
    for (const direction of held) {
      direction.stalled = false;
      this.pump(direction);
    }
  }

  isBlocked(from: string, to: string): boolean {
    return !this.bugs.leakAcrossPartition && this.blocked.has(`${from}>${to}`);
  }

  /** Makes the link between two hosts `factor` times slower (1 restores it). */
  setSlow(a: string, b: string, factor: number): void {
    this.slowFactors.set(a < b ? `${a}|${b}` : `${b}|${a}`, factor);
    this.trace(null, 'FaultSlowLink', { a, b, factor });
  }

  /** Breaks one live connection mid-stream, both ways: a random prefix of in-flight bytes arrives, then ECONNRESET. */
  resetRandomConnection(): string | null {
    const ids = [...this.live.entries()]
      .filter(([id, e]) => id.endsWith('/c') && !(e.out.shut && e.out.to.out.shut))
      .map(([id]) => id);
    if (ids.length === 0) return null;
    const endpoint = this.live.get(ids[this.random.int(ids.length)]!)!;
    if (this.reset(endpoint)) this.trace(null, 'FaultConnReset', { conn: endpoint.id.slice(0, -2), from: endpoint.host, to: endpoint.out.to.host });
    return endpoint.id;
  }

  /**
   * One live connection stops delivering, both ways, for `durationMs` (a TCP connection stuck in
   * retransmission backoff on a flaky path, while new connections between the same hosts work):
   * nothing is lost, and what was sent on it arrives afterwards, in order, possibly after messages
   * its endpoints sent later on newer connections. Returns the connection's id, or null.
   */
  stallRandomConnection(durationMs: number): string | null {
    const ids = [...this.live.entries()]
      .filter(([id, e]) => id.endsWith('/c') && !(e.out.shut && e.out.to.out.shut))
      .map(([id]) => id);
    if (ids.length === 0) return null;
    const endpoint = this.live.get(ids[this.random.int(ids.length)]!)!;
    const untilMs = this.scheduler.nowMs() + durationMs;
    for (const direction of [endpoint.out, endpoint.out.to.out]) direction.frozenUntilMs = Math.max(direction.frozenUntilMs, untilMs);
    this.trace(null, 'FaultConnStall', { conn: endpoint.id.slice(0, -2), from: endpoint.host, to: endpoint.out.to.host, durationMs: Math.round(durationMs) });
    return endpoint.id;
  }

  /** True while `owner`'s process is paused (SimNode.pause). */
  isPaused(owner: EventOwner): boolean {
    return (owner.pausedUntilMs?.() ?? 0) > this.scheduler.nowMs();
  }

  /** A paused host's process runs again: what its connections held for it is delivered, in order. */
  hostResumed(host: string): void {
    for (const endpoint of [...this.live.values()]) {
      if (endpoint.host === host && !endpoint.readingPaused) this.resumeInbound(endpoint.out.to.out);
    }
  }

  /** A host went down: its listeners vanish and its connections break (peers see a reset). */
  hostDown(host: string): void {
    for (const key of [...this.listeners.keys()]) {
      if (key.startsWith(`${host}:`)) this.listeners.delete(key);
    }
    for (const endpoint of [...this.live.values()]) {
      if (endpoint.host === host && this.reset(endpoint)) this.trace(endpoint.host, 'ConnReset', { conn: endpoint.id.slice(0, -2) });
    }
  }

  // ---- plumbing used by endpoints -----------------------------------------------------------------

  send(direction: Direction, data: Uint8Array): void {
    if (data.length === 0 || direction.shut) return;
    const copy = data.slice();
    const pieces = this.random.int(3) + 1;
    let start = 0;
    for (let i = 1; i <= pieces; i++) {
      const end = i === pieces ? copy.length : start + this.random.int(copy.length - start + 1);
      if (end > start) this.enqueue(direction, { kind: 'data', bytes: copy.subarray(start, end), readyAtMs: this.readyAt(direction) });
      start = end;
    }
    direction.bytesQueued += copy.length;
  }

  sendControl(direction: Direction, kind: 'fin' | 'rst'): void {
    if (direction.shut) return;
    direction.shut = true;
    this.enqueue(direction, { kind, readyAtMs: this.readyAt(direction) });
  }

  /** The receiver of `direction` resumed reading: deliver what was held, in order, from a scheduled event. */
  resumeInbound(direction: Direction): void {
    if (!direction.heldByReader) return;
    direction.heldByReader = false;
    this.pump(direction);
  }

  forget(endpoint: Endpoint): void {
    this.live.delete(endpoint.id);
  }

  // ---- internals ----------------------------------------------------------------------------------

  private readyAt(direction: Direction): number {
    const factor = this.slowFactors.size === 0 ? 1 : (this.slowFactors.get(direction.from.host < direction.to.host ? `${direction.from.host}|${direction.to.host}` : `${direction.to.host}|${direction.from.host}`) ?? 1);
    const delayMs = (this.latency.minMs + this.random.next() * (this.latency.maxMs - this.latency.minMs)) * factor;
    return this.scheduler.nowMs() + delayMs;
  }

  private enqueue(direction: Direction, chunk: Chunk): void {
    direction.queue.push(chunk);
    if (this.bugs.reorder) direction.queue.sort((a, b) => a.readyAtMs - b.readyAtMs);
    this.pump(direction);
  }

  private pump(direction: Direction): void {
    if (direction.pumping || direction.stalled || direction.heldByReader) return;
    const head = direction.queue[0];
    if (head === undefined) return;
    direction.pumping = true;
    const delayMs = Math.max(head.readyAtMs - this.scheduler.nowMs(), 0);
    const bytes = head.kind === 'data' ? head.bytes.length : 0;
    this.scheduler.schedule(
      delayMs,
      worldOwner,
      () => {
        direction.pumping = false;
        this.deliverHead(direction);
      },
      deliveryKinds[head.kind],
      bytes,
    );
  }

  private deliverHead(direction: Direction): void {
    const frozenMs = direction.frozenUntilMs - this.scheduler.nowMs();
    if (frozenMs > 0) {
      direction.pumping = true;
      this.scheduler.schedule(frozenMs, worldOwner, () => {
        direction.pumping = false;
        this.pump(direction);
      }, 'net.stall-end');
      return;
    }
    if (this.isBlocked(direction.from.host, direction.to.host)) {
      direction.stalled = true;
      this.stalled.add(direction);
      return;
    }
    if (direction.to.holdsInbound()) {
      direction.heldByReader = true;
      return;
    }
    const chunk = direction.queue.shift();
    if (chunk === undefined) return;
    if (chunk.kind === 'data') {
      const bytes = this.takeReadyData(direction, chunk.bytes);
      direction.bytesQueued -= bytes.length;
      direction.to.receive(bytes);
      const from = direction.from;
      if (from.wantsDrain && direction.bytesQueued < connectionWriteBufferBytesHighWater) {
        from.wantsDrain = false;
        if (!from.closed && from.owner.alive()) from.handlers?.onDrain?.();
      }
    } else {
      direction.queue = [];
      direction.bytesQueued = 0;
      const error = chunk.kind === 'rst' ? new NetError('ECONNRESET', `connection ${direction.to.id} reset by peer`) : undefined;
      direction.to.close(error);
      if (chunk.kind === 'fin') direction.from.close(undefined);
    }
    this.pump(direction);
  }

  /**
   * One read takes, with the chunk at the head, every data chunk behind it that has already arrived
   * (up to readBytesMax), as a socket read returns whatever the receive buffer holds: two writes
   * (two frames) often arrive in one read, and a frame decoder must hand out both.
   */
  private takeReadyData(direction: Direction, head: Uint8Array): Uint8Array {
    const parts = [head];
    let total = head.length;
    const nowMs = this.scheduler.nowMs();
    for (;;) {
      const next = direction.queue[0];
      if (next === undefined || next.kind !== 'data' || next.readyAtMs > nowMs || total + next.bytes.length > readBytesMax) break;
      direction.queue.shift();
      parts.push(next.bytes);
      total += next.bytes.length;
    }
    if (parts.length === 1) return head;
    const merged = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      merged.set(part, at);
      at += part.length;
    }
    return merged;
  }

  /** Cuts both directions at a random byte of what is in flight, then delivers a reset each way; false when both were shut already. */
  private reset(endpoint: Endpoint): boolean {
    const peer = endpoint.out.to;
    if (endpoint.out.shut && peer.out.shut) return false;
    for (const direction of [endpoint.out, peer.out]) {
      if (direction.shut) continue;
      const dataBytes = direction.queue.reduce((n, c) => n + (c.kind === 'data' ? c.bytes.length : 0), 0);
      let keep = this.random.int(dataBytes + 1);
      const kept: Chunk[] = [];
      for (const chunk of direction.queue) {
        if (chunk.kind !== 'data' || keep === 0) continue;
        const bytes = chunk.bytes.subarray(0, Math.min(keep, chunk.bytes.length));
        keep -= bytes.length;
        kept.push({ ...chunk, bytes });
      }
      direction.queue = kept;
      direction.bytesQueued = kept.reduce((n, c) => n + (c.kind === 'data' ? c.bytes.length : 0), 0);
      this.sendControl(direction, 'rst');
    }
    return true;
  }

  private listen(
    nodeHost: string,
    owner: EventOwner,
    host: string,
    port: number,
    onConnection: (connection: Connection) => void,
  ): Promise<Listener> {
    return new Promise((resolve, reject) => {
      this.scheduler.schedule(0, owner, () => {
        if (host !== nodeHost) return reject(new NetError('EOTHER', `host '${nodeHost}' cannot listen on '${host}'`));
        const chosenPort = port === 0 ? this.ephemeralPortNext++ : port;
        const key = `${host}:${chosenPort}`;
        const existing = this.listeners.get(key);
        if (existing !== undefined && existing.owner.alive()) {
          return reject(new NetError('EADDRINUSE', `address ${key} already in use`));
        }
        const entry: ListenerEntry = { owner, onConnection };
        this.listeners.set(key, entry);
        this.trace(nodeHost, 'NetListening', { port: chosenPort });
        resolve({
          host,
          port: chosenPort,
          close: async () => {
            if (this.listeners.get(key) === entry) this.listeners.delete(key);
          },
        });
      }, 'net.listen');
    });
  }

  private connect(fromHost: string, owner: EventOwner, toHost: string, port: number, timeoutMs?: number): Promise<Connection> {
    const latencyMs = this.latency.minMs + this.random.next() * (this.latency.maxMs - this.latency.minMs);
    return new Promise((resolve, reject) => {
      this.scheduler.schedule(latencyMs, owner, () => {
        if (this.isBlocked(fromHost, toHost) || this.isBlocked(toHost, fromHost)) {
          const waitMs = timeoutMs ?? this.connectTimeoutMsDefault;
          this.scheduler.schedule(waitMs, owner, () => reject(new NetError('ETIMEDOUT', `connect to ${toHost}:${port} timed out`)), 'net.connect-timeout');
          return;
        }
        const entry = this.listeners.get(`${toHost}:${port}`);
        if (entry === undefined || !entry.owner.alive()) {
          return reject(new NetError('ECONNREFUSED', `connect to ${toHost}:${port} refused`));
        }
        const id = `${fromHost}-${toHost}:${port}#${this.connectionSeq++}`;
        const client = new Endpoint(`${id}/c`, fromHost, `${fromHost}:${this.ephemeralPortNext++}`, `${toHost}:${port}`, owner, this);
        const server = new Endpoint(`${id}/s`, toHost, `${toHost}:${port}`, client.localAddress, entry.owner, this);
        client.out = new Direction(client, server);
        server.out = new Direction(server, client);
        this.live.set(client.id, client);
        this.live.set(server.id, server);
        this.trace(fromHost, 'ConnOpened', { conn: id });
        // A paused server accepts (the kernel does) but runs its handler only once it resumes.
        if (this.isPaused(entry.owner)) this.scheduler.schedule(0, entry.owner, () => entry.onConnection(server), 'net.accept');
        else entry.onConnection(server);
        resolve(client);
      }, 'net.connect');
    });
  }
}
