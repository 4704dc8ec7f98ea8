/**
 * A TCP fault proxy on loopback (node:net) for real-process chaos: every link between clients and
 * brokers and between brokers goes through one of its listeners, and the test decides per link what
 * happens to the bytes. The vocabulary is etcd's in-memory network (drop, cut, isolate, recover),
 * played on real sockets:
 *
 *   block(a, b)        bytes a sends to b are dropped (a one-way partition); a connection that lost
 *                      bytes is tainted and reset when the link heals (TCP would give up on it too)
 *   isolate(n)         block both ways between n and every other broker (a two-way partition);
 *                      clients still reach every broker unless `clients: true`
 *   blackHole(n)       everything to and from n is dropped, clients included: connections hang,
 *                      no reset and no FIN reach either side, new connections are accepted and hang
 *   latency(a, b, ms)  bytes a sends to b are held for ms before they go on (order is kept)
 *   resetConnections   every matching connection forwards part of its next chunk (so the peer gets
 *                      half a frame) and is then reset (RST) on both sides
 *   heal()             removes every block and latency, and resets the tainted connections
 *
 * Who is who: a link has a fixed target node; its dialing side is fixed for Raft links (one link per
 * ordered pair of voters, `--voters` per node points at them) and for Kafka links is read from the
 * first request's client id (`chronik-replica-N` is broker N's follower fetcher, anything else is
 * 'client'). Kafka links also rewrite advertised addresses (kafka-rewriter.ts).
 *
 * Bounded: bytes held per connection and direction (latency, or waiting for the upstream dial) are
 * at most `heldBytesMax`; beyond that the connection is reset. Listeners bind 127.0.0.1 only.
 */
import net from 'node:net';
import { KafkaRewriter, type AddressRewrite, type HostPort } from './kafka-rewriter.ts';

export type { AddressRewrite, HostPort } from './kafka-rewriter.ts';

/** 'client' for Kafka clients; a broker's node id as a string otherwise. */
export type Party = string;

export interface LinkSpec {
  /** Unique, e.g. `raft 1->2`, `kafka clients->2`. */
  readonly name: string;
  readonly target: HostPort;
  /** The node the link leads to. */
  readonly to: Party;
  /** The dialing side; omit for a Kafka link (learnt per connection from the client id). */
  readonly from?: Party;
  /** Parse Kafka frames (classify the dialer; rewrite addresses when `rewrite` is given). */
  readonly kafka?: boolean;
  readonly rewrite?: AddressRewrite;
  /** Port to listen on (default: one the OS picks). */
  readonly port?: number;
}

const heldBytesMax = 64 * 1024 * 1024;
/** A connection armed for a mid-frame reset that sends nothing for this long is reset anyway. */
const resetIdleAfterMs = 300;

type Direction = 'up' | 'down';

export interface ProxyCounters {
  connections: number;
  resetsMidFrame: number;
  resetsIdle: number;
  droppedBytes: number;
  rewrittenFrames: number;
}

export class FaultProxy {
  readonly links = new Map<string, Link>();
  readonly counters: ProxyCounters = { connections: 0, resetsMidFrame: 0, resetsIdle: 0, droppedBytes: 0, rewrittenFrames: 0 };
  private readonly blocked = new Set<string>();
  private readonly latencyMs = new Map<string, number>();

  /** Opens a listener for the link; resolves with its port. */
  async addLink(spec: LinkSpec): Promise<Link> {
    if (this.links.has(spec.name)) throw new Error(`link ${spec.name} exists`);
    const link = new Link(this, spec);
    await link.listen(spec.port ?? 0);
    this.links.set(spec.name, link);
    return link;
  }

  block(sender: Party, receiver: Party): void {
    this.blocked.add(pairKey(sender, receiver));
    for (const c of this.connections()) c.applyBlocks();
  }

  /** Both directions between `node` and every other broker (and clients too when asked). */
  isolate(node: Party, options: { clients?: boolean } = {}): void {
    for (const other of this.parties()) {
      if (other === node || (other === 'client' && options.clients !== true)) continue;
      this.block(node, other);
      this.block(other, node);
    }
  }

  /** Nothing reaches `node` and nothing leaves it, clients included; connections hang. */
  blackHole(node: Party): void {
    this.isolate(node, { clients: true });
  }

  latency(sender: Party, receiver: Party, ms: number): void {
    if (ms <= 0) this.latencyMs.delete(pairKey(sender, receiver));
    else this.latencyMs.set(pairKey(sender, receiver), ms);
  }

  /** Cuts every matching connection after part of its next chunk; returns how many were armed. */
  resetConnections(filter: (c: { link: string; from: Party; to: Party }) => boolean = () => true): number {
    let armed = 0;
    for (const c of this.connections()) {
      if (filter({ link: c.link.spec.name, from: c.from, to: c.link.spec.to })) {
        c.armReset();
        armed++;
      }
    }
    return armed;
  }

  /** Removes every block and latency; tainted connections (bytes were dropped) are reset. */
  heal(): void {
    this.blocked.clear();
    this.latencyMs.clear();
    for (const c of this.connections()) if (c.tainted) c.reset('healed');
  }

  isBlocked(sender: Party, receiver: Party): boolean {
    return this.blocked.has(pairKey(sender, receiver)) || this.blocked.has(pairKey(sender, '*')) || this.blocked.has(pairKey('*', receiver));
  }

  latencyOf(sender: Party, receiver: Party): number {
    return this.latencyMs.get(pairKey(sender, receiver)) ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.links.clear();
  }

  private *connections(): Iterable<ProxiedConnection> {
    for (const link of this.links.values()) yield* link.open;
  }

  private parties(): Party[] {
    const all = new Set<Party>(['client']);
    for (const link of this.links.values()) {
      all.add(link.spec.to);
      if (link.spec.from !== undefined) all.add(link.spec.from);
    }
    return [...all];
  }
}

function pairKey(sender: Party, receiver: Party): string {
  return `${sender}>${receiver}`;
}

export class Link {
  readonly open = new Set<ProxiedConnection>();
  private server: net.Server | null = null;
  port = 0;

  constructor(
    readonly proxy: FaultProxy,
    readonly spec: LinkSpec,
  ) {}

  get address(): HostPort {
    return { host: '127.0.0.1', port: this.port };
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: false }, (socket) => {
        this.proxy.counters.connections++;
        this.open.add(new ProxiedConnection(this, socket));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.open) c.reset('proxy closed');
    return new Promise((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
  }
}

/** One accepted connection and its dial to the target. */
class ProxiedConnection {
  from: Party;
  tainted = false;
  private readonly upstream: net.Socket;
  private upstreamConnected = false;
  private readonly rewriter: KafkaRewriter | null;
  private readonly queues: Record<Direction, { items: { atMs: number; bytes: Uint8Array }[]; bytes: number; timer: NodeJS.Timeout | null }> = {
    up: { items: [], bytes: 0, timer: null },
    down: { items: [], bytes: 0, timer: null },
  };
  private resetArmed: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly link: Link,
    private readonly downstream: net.Socket,
  ) {
    this.from = link.spec.from ?? 'client';
    this.rewriter = link.spec.kafka === true ? new KafkaRewriter(link.spec.rewrite ?? (() => null)) : null;
    this.upstream = net.connect({ host: link.spec.target.host, port: link.spec.target.port });
    this.upstream.on('connect', () => {
      this.upstreamConnected = true;
      this.pump('up');
    });
    downstream.on('data', (chunk: Buffer) => this.onData('up', chunk));
    this.upstream.on('data', (chunk: Buffer) => this.onData('down', chunk));
    downstream.on('error', () => this.peerGone('up'));
    this.upstream.on('error', () => this.peerGone('down'));
    downstream.on('close', () => this.peerGone('up'));
    this.upstream.on('close', () => this.peerGone('down'));
  }

  /** Who sends in a direction: the dialer up, the target down. */
  private sender(direction: Direction): Party {
    return direction === 'up' ? this.from : this.link.spec.to;
  }

  private receiver(direction: Direction): Party {
    return direction === 'up' ? this.link.spec.to : this.from;
  }

  private onData(direction: Direction, chunk: Buffer): void {
    if (this.closed) return;
    let chunks: Uint8Array[] = [chunk];
    if (this.rewriter !== null) {
      if (direction === 'up') {
        this.rewriter.onRequestBytes(chunk);
        this.classify();
      } else {
        const before = this.rewriter.rewrittenFrames;
        chunks = this.rewriter.onResponseBytes(chunk);
        this.link.proxy.counters.rewrittenFrames += this.rewriter.rewrittenFrames - before;
      }
    }
    const bytes = concat(chunks);
    if (bytes.byteLength === 0) return;
    if (this.link.proxy.isBlocked(this.sender(direction), this.receiver(direction))) {
      this.tainted = true;
      this.link.proxy.counters.droppedBytes += bytes.byteLength;
      return;
    }
    if (this.resetArmed !== null) return this.cutMidChunk(direction, bytes);
    const queue = this.queues[direction];
    queue.items.push({ atMs: Date.now() + this.link.proxy.latencyOf(this.sender(direction), this.receiver(direction)), bytes });
    queue.bytes += bytes.byteLength;
    if (queue.bytes > heldBytesMax) return this.reset(`more than ${heldBytesMax} bytes held`);
    this.pump(direction);
  }

  /** A Kafka link learns its dialer from the first request's client id. */
  private classify(): void {
    const id = this.rewriter?.clientId;
    const m = id === null || id === undefined ? null : /^chronik-replica-(\d+)$/.exec(id);
    const from = m === null ? 'client' : m[1]!;
    if (from !== this.from) {
      this.from = from;
      this.applyBlocks();
    }
  }

  /** Sends what is due in a direction, in order; re-arms a timer for the rest. */
  private pump(direction: Direction): void {
    const queue = this.queues[direction];
    if (queue.timer !== null || this.closed) return;
    if (direction === 'up' && !this.upstreamConnected) return;
    const socket = direction === 'up' ? this.upstream : this.downstream;
    const nowMs = Date.now();
    while (queue.items.length > 0 && queue.items[0]!.atMs <= nowMs) {
      const item = queue.items.shift()!;
      queue.bytes -= item.bytes.byteLength;
      socket.write(item.bytes);
    }
    if (queue.items.length === 0) return;
    queue.timer = setTimeout(() => {
      queue.timer = null;
      this.pump(direction);
    }, queue.items[0]!.atMs - nowMs);
  }

  /** A block set on a live connection: bytes already held for a blocked direction are dropped. */
  applyBlocks(): void {
    for (const direction of ['up', 'down'] as const) {
      if (!this.link.proxy.isBlocked(this.sender(direction), this.receiver(direction))) continue;
      const queue = this.queues[direction];
      if (queue.items.length > 0) this.tainted = true;
      queue.items = [];
      queue.bytes = 0;
    }
  }

  armReset(): void {
    if (this.resetArmed !== null || this.closed) return;
    this.resetArmed = setTimeout(() => {
      this.link.proxy.counters.resetsIdle++;
      this.reset('armed reset, idle');
    }, resetIdleAfterMs);
  }

  /** Forwards the first part of a chunk (at least one byte, never all of it) and resets. */
  private cutMidChunk(direction: Direction, bytes: Uint8Array): void {
    const socket = direction === 'up' ? this.upstream : this.downstream;
    const part = bytes.byteLength >= 2 ? bytes.subarray(0, Math.floor(bytes.byteLength / 2)) : bytes.subarray(0, 0);
    this.link.proxy.counters.resetsMidFrame++;
    if (part.byteLength > 0 && (direction === 'down' || this.upstreamConnected)) socket.write(part, () => this.reset('mid-frame'));
    else this.reset('mid-frame');
  }

  /**
   * One side closed or failed. Under a block from that side, the other side hears nothing (a black
   * hole delivers no FIN); otherwise it is closed too, with a reset if the close was an error.
   */
  private peerGone(direction: Direction): void {
    if (this.closed) return;
    if (this.link.proxy.isBlocked(this.sender(direction), this.receiver(direction))) {
      this.tainted = true;
      return;
    }
    this.reset('peer closed');
  }

  reset(_why: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.resetArmed !== null) clearTimeout(this.resetArmed);
    for (const q of Object.values(this.queues)) if (q.timer !== null) clearTimeout(q.timer);
    for (const s of [this.downstream, this.upstream]) {
      if (s.destroyed) continue;
      if (s.readyState === 'open' || s.readyState === 'readOnly' || s.readyState === 'writeOnly') s.resetAndDestroy();
      else s.destroy();
    }
    this.link.open.delete(this);
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}
