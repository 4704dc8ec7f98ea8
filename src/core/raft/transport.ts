/**
 * The controller transport over the Network interface: one outgoing connection per peer, dialled
 * and re-dialled with capped exponential backoff (a node starts while its peers are down and keeps
 * trying: an earlier broker of this kind crashed at startup when its peers were down), framed and
 * checksummed messages (codec.ts), and replies on the connection a request came in on (for
 * forwarded controller requests).
 *
 * Delivery is best effort: while a peer is unreachable or its connection is backed up, messages are
 * dropped beyond a bounded queue. Raft retransmits whatever matters.
 *
 *   frame body := kind:u8 payload
 *   kind 0 hello   payload = sender id:u32 (first frame on every connection)
 *   kind 2 ping    sent on outgoing connections; answered with kind 3 pong on the same connection
 */
import { assertionFailed } from '../assert.ts';
import type { Connection, Io, Listener, Log } from '../io/index.ts';
import { NetError, reached, sleep } from '../io/index.ts';
import {
  connectionWriteBufferBytesHighWater,
  raftFrameBytesMax,
  raftInboundConnectionsMax,
  raftPeerQueueBytesMax,
  raftPeerQueueMessagesMax,
  raftPeerSilenceMsMax,
  raftReconnectBackoffMsMax,
  raftReconnectBackoffMsMin,
} from '../limits.ts';
import { frame, unframe } from './codec.ts';
import type { NodeId } from './types.ts';

export interface PeerAddress {
  readonly id: NodeId;
  readonly host: string;
  readonly port: number;
}

export const frameKindHello = 0;
export const frameKindPing = 2;
export const frameKindPong = 3;
/** Frame kinds the transport keeps for itself; others belong to its users. */
export const transportFrameKinds: readonly number[] = [frameKindHello, frameKindPing, frameKindPong];

export interface TransportHandlers {
  /** A frame from `from`; `reply` writes back on the same connection. False: malformed, drop the connection. */
  onFrame(from: NodeId, kind: number, payload: Uint8Array, reply: (kind: number, payload: Uint8Array) => void): boolean;
  /** The connection to a peer broke (so Raft stops pipelining to it). */
  onPeerDown?(id: NodeId): void;
  /**
   * A dial to a peer was refused (its host answered, nothing listens on the port: the peer's
   * process is gone), the first refusal since the last connection to it.
   */
  onPeerRefused?(id: NodeId): void;
}

interface Outbound {
  readonly peer: PeerAddress;
  connection: Connection | null;
  connectedAtMs: number;
  /** Last time a frame (a pong, a reply) came back on the current connection. */
  heardAtMs: number;
  readonly queue: Uint8Array[];
  queueBytes: number;
  dropped: number;
}

export class RaftTransport {
  private readonly outbound = new Map<NodeId, Outbound>();
  /** Incoming connections and when a frame last arrived on each (they are closed when silent). */
  private readonly inbound = new Map<Connection, { heardAtMs: number }>();
  /** Each peer's newest inbound connection (the last to say hello), to notice frames on older ones. */
  private readonly newestInbound = new Map<NodeId, Connection>();
  /** Peers whose dials are refused, with the time of the first refusal since the last connection. */
  private readonly refusedSinceMs = new Map<NodeId, number>();
  private listener: Listener | null = null;
  private stopped = false;
  private readonly log: Log;

  constructor(
    private readonly io: Io,
    private readonly selfId: NodeId,
    private readonly peers: readonly PeerAddress[],
    private readonly handlers: TransportHandlers,
  ) {
    this.log = io.log.child({ component: 'raft-transport' });
    for (const peer of peers) this.outbound.set(peer.id, { peer, connection: null, connectedAtMs: 0, heardAtMs: 0, queue: [], queueBytes: 0, dropped: 0 });
  }

  /** Starts listening (if `listenOn` is given) and dialling every peer in the background. */
  async start(listenOn: { host: string; port: number } | null): Promise<void> {
    if (listenOn !== null) {
      this.listener = await this.io.net.listen(listenOn.host, listenOn.port, (c) => this.accept(c));
    }
    for (const out of this.outbound.values()) void this.dialLoop(out);
    this.armSilenceCheck();
  }

  /**
   * A connection can look alive while its peer is gone (a reset lost in a partition, a peer that
   * restarted): every outgoing connection is pinged, and when no pong (or reply) came back on it for
   * raftPeerSilenceMsMax, it is dropped and dialled again.
   */
  private armSilenceCheck(): void {
    this.io.clock.setTimer(raftPeerSilenceMsMax / 4, () => {
      if (this.stopped) return;
      const nowMs = this.io.clock.nowMs();
      for (const out of this.outbound.values()) {
        const conn = out.connection;
        if (conn === null) continue;
        const since = Math.max(out.heardAtMs, out.connectedAtMs);
        if (nowMs - since > raftPeerSilenceMsMax) {
          this.log.info('RaftPeerSilent', { peer: out.peer.id, silentMs: Math.round(nowMs - since) });
          conn.destroy();
        } else if (conn.bufferedBytes() <= connectionWriteBufferBytesHighWater) {
          conn.write(encodeFrame(frameKindPing, new Uint8Array(0)));
        }
      }
      // A peer pings its outgoing connection; an incoming one that stays silent is a leftover.
      for (const [conn, state] of this.inbound) {
        if (nowMs - state.heardAtMs > 2 * raftPeerSilenceMsMax) conn.destroy();
      }
      this.armSilenceCheck();
    });
  }

  /** Queues a frame for a peer. Returns false when it was dropped. */
  send(to: NodeId, kind: number, payload: Uint8Array): boolean {
    const out = this.outbound.get(to);
    if (out === undefined) assertionFailed(`peer ${to} is configured`);
    const bytes = encodeFrame(kind, payload);
    const conn = out.connection;
    if (conn !== null && out.queue.length === 0) {
      if (conn.bufferedBytes() > connectionWriteBufferBytesHighWater) {
        out.dropped++;
        return false;
      }
      conn.write(bytes);
      return true;
    }
    out.queue.push(bytes);
    out.queueBytes += bytes.length;
    while (out.queue.length > raftPeerQueueMessagesMax || out.queueBytes > raftPeerQueueBytesMax) {
      out.queueBytes -= out.queue.shift()?.length ?? 0;
      out.dropped++;
    }
    return true;
  }

  /**
   * Since when every dial to `peer` has been refused (its process is gone), or null: cleared by a
   * connection either way (a live peer dials every other voter).
   */
  refusedSince(peer: NodeId): number | null {
    return this.refusedSinceMs.get(peer) ?? null;
  }

  isConnected(to: NodeId): boolean {
    return this.outbound.get(to)?.connection !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.listener?.close();
    for (const out of this.outbound.values()) out.connection?.destroy();
    for (const c of this.inbound.keys()) c.destroy();
    this.inbound.clear();
  }

  private async dialLoop(out: Outbound): Promise<void> {
    let backoffMs = raftReconnectBackoffMsMin;
    while (!this.stopped) {
      let conn: Connection;
      try {
        conn = await this.io.net.connect(out.peer.host, out.peer.port, { timeoutMs: raftReconnectBackoffMsMax });
      } catch (error) {
        if (this.stopped) return;
        this.log.debug('RaftPeerDialFailed', { peer: out.peer.id, backoffMs, error: String(error) });
        if (error instanceof NetError && error.code === 'ECONNREFUSED' && !this.refusedSinceMs.has(out.peer.id)) {
          this.refusedSinceMs.set(out.peer.id, this.io.clock.nowMs());
          this.handlers.onPeerRefused?.(out.peer.id);
        }
        await sleep(this.io.clock, backoffMs + this.io.random.int(backoffMs));
        backoffMs = Math.min(backoffMs * 2, raftReconnectBackoffMsMax);
        continue;
      }
      if (this.stopped) {
        conn.destroy();
        return;
      }
      backoffMs = raftReconnectBackoffMsMin;
      this.refusedSinceMs.delete(out.peer.id);
      await this.useConnection(out, conn);
      if (!this.stopped) this.handlers.onPeerDown?.(out.peer.id);
      await sleep(this.io.clock, raftReconnectBackoffMsMin);
    }
  }

  /** Runs one outgoing connection until it closes. Frames coming back on it are replies. */
  private useConnection(out: Outbound, conn: Connection): Promise<void> {
    return new Promise((resolve) => {
      const reader = new FrameReader((kind, payload) => {
        out.heardAtMs = this.io.clock.nowMs();
        if (kind === frameKindPong) return true;
        return this.handlers.onFrame(out.peer.id, kind, payload, (k, p) => void conn.write(encodeFrame(k, p)));
      });
      conn.setHandlers({
        onData: (chunk) => {
          if (!reader.push(chunk)) conn.destroy();
        },
        onClose: () => {
          if (out.connection === conn) out.connection = null;
          resolve();
        },
      });
      out.connection = conn;
      out.connectedAtMs = this.io.clock.nowMs();
      this.log.debug('RaftPeerConnected', { peer: out.peer.id });
      conn.write(encodeFrame(frameKindHello, helloPayload(this.selfId)));
      for (const bytes of out.queue.splice(0)) conn.write(bytes);
      out.queueBytes = 0;
    });
  }

  private accept(conn: Connection): void {
    if (this.stopped || this.inbound.size >= raftInboundConnectionsMax) {
      if (!this.stopped) this.log.warn('RaftInboundConnectionRefused', { open: this.inbound.size, hint: 'too many controller connections are open; check that only voters connect to the controller port' });
      conn.setHandlers({ onData: () => undefined, onClose: () => undefined });
      conn.destroy();
      return;
    }
    const state = { heardAtMs: this.io.clock.nowMs() };
    this.inbound.set(conn, state);
    let from: NodeId | null = null;
    const reply = (kind: number, payload: Uint8Array): void => void conn.write(encodeFrame(kind, payload));
    const reader = new FrameReader((kind, payload) => {
      state.heardAtMs = this.io.clock.nowMs();
      if (from === null) {
        if (kind !== frameKindHello || payload.length !== 4) return false;
        from = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
        // The peer dialled us: its process is up, whatever our last dial to it met.
        this.refusedSinceMs.delete(from);
        this.newestInbound.set(from, conn);
        return true;
      }
      // Coverage: a frame from an older connection of this peer after a newer one said hello (its
      // bytes were held by a partition or a slow link): Raft must take such stale messages in stride.
      if (this.newestInbound.get(from) !== conn) reached(this.io, 'raft.stale-connection-frame');
      if (kind === frameKindPing) {
        reply(frameKindPong, new Uint8Array(0));
        return true;
      }
      return this.handlers.onFrame(from, kind, payload, reply);
    });
    conn.setHandlers({
      onData: (chunk) => {
        if (!reader.push(chunk)) conn.destroy();
      },
      onClose: () => {
        this.inbound.delete(conn);
        if (from !== null && this.newestInbound.get(from) === conn) this.newestInbound.delete(from);
      },
    });
  }
}

function helloPayload(id: NodeId): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, id);
  return b;
}

export function encodeFrame(kind: number, payload: Uint8Array): Uint8Array {
  const body = new Uint8Array(1 + payload.length);
  body[0] = kind;
  body.set(payload, 1);
  return frame(body);
}

/**
 * Reassembles frames from a byte stream. push() returns false on a corrupt or oversized frame, or
 * when the handler rejects one. Errors thrown by the handler (assertions) propagate.
 */
export class FrameReader {
  private buf = new Uint8Array(0);

  constructor(private readonly onFrame: (kind: number, payload: Uint8Array) => boolean) {}

  push(chunk: Uint8Array): boolean {
    let merged = chunk;
    if (this.buf.length > 0) {
      merged = new Uint8Array(this.buf.length + chunk.length);
      merged.set(this.buf);
      merged.set(chunk, this.buf.length);
    }
    let offset = 0;
    for (;;) {
      const f = unframe(merged, offset, raftFrameBytesMax);
      if (f.kind === 'short') break;
      if (f.kind === 'corrupt' || f.body.length === 0) return false;
      offset = f.next;
      if (!this.onFrame(f.body[0] as number, f.body.slice(1))) return false;
    }
    this.buf = merged.slice(offset);
    return true;
  }
}
