/**
 * One client connection: frames in, requests handed to the broker, responses out strictly in
 * request order.
 *
 * - Framing: a FrameDecoder bounded by requestBytesMax; an oversized size prefix closes the
 *   connection before any of the frame is buffered.
 * - Ordering: every request that gets an answer takes a slot in `slots` when it is read; handlers
 *   may finish in any order, and a finished slot is written only once every earlier slot has been.
 *   acks=0 Produce requests take no slot (Kafka sends them no response), so they never hold up
 *   later answers; they still count against the in-flight window until their append settles.
 * - Backpressure: at most connectionRequestsInFlightMax requests are handled at once, and none are
 *   started while the outgoing buffer is above its high-water mark. Frames read meanwhile are
 *   parked. Memory is bounded by reading less, never by closing a healthy client: the connection
 *   stops reading (Connection.pauseReading, so the client's writes back up in TCP) while its parked
 *   frames reach connectionRequestsParkedMax or parkedBytesMax, or while the broker-wide request
 *   budget (RequestMemory) is exhausted and this connection has a request in flight or parked; it
 *   reads again once they drain. Every byte read counts against that budget until its request is
 *   answered. See updateReading for the rule and why it cannot deadlock.
 * - Protocol violations (undecodable header, unknown API, unsupported version other than
 *   ApiVersions, malformed body) close the connection at once, as Kafka does.
 */
import { AssertionError } from '../assert.ts';
import type { Connection, Log, NetError } from '../io/index.ts';
import { connectionRequestsInFlightMax, connectionRequestsParkedMax } from '../limits.ts';
import {
  ApiKey,
  FrameDecoder,
  type FramingBugs,
  apiKeyName,
  decodeRequest,
  encodeUnsupportedApiVersionsResponse,
  type KafkaRequest,
  type RequestDecodeFailure,
} from '../protocol/index.ts';
import type { RequestMemory } from './request-memory.ts';

/** Who sent a request (for group membership, DescribeGroups and logs). */
export interface RequestContext {
  readonly connectionId: string;
  readonly clientId: string;
  /** The peer's host, as Kafka reports it ('/host'). */
  readonly clientHost: string;
}

/** What the connection needs from the broker. */
export interface RequestDispatcher {
  /** Handles a request; resolves to the response frame's chunks, or null when no response is sent (acks=0). */
  dispatch(request: KafkaRequest, context: RequestContext): Promise<Uint8Array[] | null>;
  /** True once the broker is stopping: no new requests are started. */
  readonly stopping: boolean;
  connectionClosed(connection: BrokerConnection): void;
}

/** The per-connection bounds (BrokerOptions). */
export interface ConnectionLimits {
  /** Largest frame; a larger size prefix closes the connection. */
  readonly requestBytesMax: number;
  /** Bytes of parked frames at which the connection stops reading. */
  readonly parkedBytesMax: number;
}

/** Test-only hooks that plant a known connection bug, to show the simulator's checkers catch it. Never set in production. */
export interface ConnectionBugs extends FramingBugs {
  /** Each response is written as soon as its request is handled, not in request order. */
  reorderResponses?: boolean;
}

interface Slot {
  readonly correlationId: number;
  chunks: Uint8Array[] | null;
}

export class BrokerConnection {
  private readonly decoder: FrameDecoder;
  private readonly log: Log;
  private readonly slots: Slot[] = [];
  private readonly parked: Uint8Array[] = [];
  private parkedBytes = 0;
  private noResponseInFlight = 0;
  /** Bytes this connection holds in the broker-wide budget (read and not yet released)... */
  private heldBytes = 0;
  /** ...of which these belong to started requests (released when each is answered). */
  private inFlightBytes = 0;
  private readingPaused = false;
  private writeBlocked = false;
  /** end() was called (the broker is stopping): bytes read from now on are dropped. */
  private ending = false;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];
  readonly clientHost: string;

  constructor(
    private readonly connection: Connection,
    private readonly dispatcher: RequestDispatcher,
    private readonly limits: ConnectionLimits,
    private readonly memory: RequestMemory,
    log: Log,
    private readonly bugs: ConnectionBugs = {},
  ) {
    this.decoder = new FrameDecoder(limits.requestBytesMax, bugs);
    this.log = log.child({ connection: connection.id });
    this.clientHost = `/${connection.remoteAddress.replace(/:\d+$/, '')}`;
    connection.setHandlers({
      onData: (chunk) => this.onData(chunk),
      onClose: (error) => this.onClose(error),
      onDrain: () => this.onDrain(),
    });
  }

  get id(): string {
    return this.connection.id;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests started and not yet answered (or, for acks=0, not yet appended). */
  get inFlight(): number {
    return this.slots.length + this.noResponseInFlight;
  }

  /** Resolves once nothing is in flight (or the connection is gone). Parked frames are not started while stopping. */
  idle(): Promise<void> {
    if (this.closed || this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** True while the connection does not read (its parking is full, or it waits for the request budget). */
  get isReadingPaused(): boolean {
    return this.readingPaused;
  }

  /**
   * Half-closes after the queued bytes are sent. Reading resumes so that the client's own close is
   * seen; what it still sends is dropped (the broker is stopping and would start none of it).
   */
  end(): void {
    if (this.closed) return;
    this.ending = true;
    this.parked.length = 0;
    this.parkedBytes = 0;
    this.releaseNotInFlight();
    this.updateReading();
    this.connection.end();
  }

  destroy(reason: string, fields: Record<string, string | number> = {}): void {
    if (this.closed) return;
    this.log.warn('ConnectionClosedByBroker', { reason, ...fields, hint: 'the client sent something the broker cannot answer (the reason says what); check the version and settings of the client' });
    this.closed = true;
    this.connection.destroy();
    this.finishClose();
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed || this.ending) return;
    this.hold(chunk.byteLength);
    this.decoder.push(chunk, (event) => {
      if (this.closed) return;
      if (event.kind === 'oversized') {
        this.destroy('frame-too-large', { sizeBytes: event.sizeBytes, frameBytesMax: event.frameBytesMax });
        return;
      }
      this.onFrame(event.frame);
    });
    this.updateReading();
  }

  private onFrame(frame: Uint8Array): void {
    if (this.canStart() && this.parked.length === 0) {
      this.start(frame);
      return;
    }
    // Parked even beyond the limits: the frame is already in memory (and counted), and updateReading,
    // called once the chunk is done, stops further reads.
    this.parked.push(frame);
    this.parkedBytes += frame.length;
    this.memory.noteParked(this.parkedBytes);
  }

  /**
   * Reading stops while (a) the parked frames reach their count or byte limit, or (b) the broker-wide
   * budget is exhausted and this connection has a request in flight or parked. It resumes when
   * neither holds: (a) is re-checked whenever a request starts or finishes, (b) also when the
   * budget wakes its waiters. No deadlock: what is parked or in flight finishes without reading
   * more from this connection (or is never started while stopping, when nothing waits for it), so
   * the held bytes drain; and a connection with nothing in flight or parked is exempt from (b), so
   * it may always read and start one request, however large, even with the budget used up.
   */
  private updateReading(): void {
    if (this.closed) return;
    const parkingFull = this.parked.length >= connectionRequestsParkedMax || this.parkedBytes >= this.limits.parkedBytesMax;
    const waitsForBudget = !this.ending && this.memory.exhausted && (this.inFlight > 0 || this.parked.length > 0);
    if (waitsForBudget) this.memory.wait(this.connection.id, () => this.updateReading());
    else this.memory.leave(this.connection.id);
    const pause = !this.ending && (parkingFull || waitsForBudget);
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) {
      this.memory.notePause();
      this.log.debug('ConnectionReadingPaused', { parked: this.parked.length, parkedBytes: this.parkedBytes, inFlight: this.inFlight, budget: waitsForBudget ? 1 : 0 });
      this.connection.pauseReading();
    } else {
      this.connection.resumeReading();
    }
  }

  /** Counts bytes just read against the broker-wide budget. */
  private hold(bytes: number): void {
    this.heldBytes += bytes;
    this.memory.acquire(bytes);
  }

  /** Gives back the bytes of a started request once it is answered (or failed). */
  private releaseInFlight(frameBytes: number): void {
    this.inFlightBytes -= frameBytes;
    this.heldBytes -= frameBytes;
    this.memory.release(frameBytes);
  }

  /** Gives back everything not owned by a started request: parked frames and a partial frame. */
  private releaseNotInFlight(): void {
    const bytes = this.heldBytes - this.inFlightBytes;
    this.heldBytes = this.inFlightBytes;
    this.memory.release(bytes);
  }

  private canStart(): boolean {
    return !this.closed && !this.writeBlocked && !this.dispatcher.stopping && this.inFlight < connectionRequestsInFlightMax;
  }

  private pump(): void {
    while (this.parked.length > 0 && this.canStart()) {
      const frame = this.parked.shift()!;
      this.parkedBytes -= frame.length;
      this.start(frame);
    }
    this.updateReading();
  }

  private start(frame: Uint8Array): void {
    const frameBytes = 4 + frame.byteLength;
    const decoded = decodeRequest(frame);
    if (!decoded.ok) {
      this.refuse(decoded.failure, frameBytes);
      return;
    }
    const request = decoded.request;
    const context: RequestContext = { connectionId: this.connection.id, clientId: request.clientId ?? '', clientHost: this.clientHost };
    const answered = !(request.apiKey === ApiKey.Produce && request.body.acks === 0);
    const slot: Slot = { correlationId: request.correlationId, chunks: null };
    if (answered) this.slots.push(slot);
    else this.noResponseInFlight++;
    this.inFlightBytes += frameBytes;
    this.dispatcher.dispatch(request, context).then(
      (chunks) => {
        this.releaseInFlight(frameBytes);
        if (answered) {
          slot.chunks = chunks ?? [];
          this.flush();
        } else {
          this.noResponseInFlight--;
          this.afterProgress();
        }
      },
      (error: unknown) => {
        if (error instanceof AssertionError) throw error;
        this.releaseInFlight(frameBytes);
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.log.error('RequestFailed', { api: apiKeyName(request.apiKey), correlationId: request.correlationId, error: message, hint: 'a bug: report it with this line; the connection was closed and the client reconnects' });
        this.destroy('request-failed');
      },
    );
  }

  /** A request that cannot be served: answered (ApiVersions too new) or the connection is closed. */
  private refuse(failure: RequestDecodeFailure, frameBytes: number): void {
    const header = failure.header;
    if (failure.kind === 'unsupported-version' && failure.header.apiKey === ApiKey.ApiVersions) {
      this.heldBytes -= frameBytes;
      this.memory.release(frameBytes);
      this.slots.push({ correlationId: failure.header.correlationId, chunks: encodeUnsupportedApiVersionsResponse(failure.header.correlationId) });
      this.flush();
      return;
    }
    const fields: Record<string, string | number> = { kind: failure.kind };
    if (header !== null) {
      fields.api = apiKeyName(header.apiKey);
      fields.version = header.apiVersion;
      fields.correlationId = header.correlationId;
    }
    if (failure.kind === 'malformed-header' || failure.kind === 'malformed-body') fields.error = failure.error.message;
    this.destroy('bad-request', fields);
  }

  /** Writes every finished slot at the head of the queue. */
  private flush(): void {
    if (this.bugs.reorderResponses === true) this.moveFinishedToFront();
    while (this.slots.length > 0 && this.slots[0]!.chunks !== null) {
      const slot = this.slots.shift()!;
      if (this.closed) continue;
      for (const chunk of slot.chunks!) {
        if (!this.connection.write(chunk)) this.writeBlocked = true;
      }
    }
    this.afterProgress();
  }

  /** The planted reorderResponses bug: finished slots jump the queue. */
  private moveFinishedToFront(): void {
    const finished = this.slots.filter((slot) => slot.chunks !== null);
    const waiting = this.slots.filter((slot) => slot.chunks === null);
    this.slots.splice(0, this.slots.length, ...finished, ...waiting);
  }

  private afterProgress(): void {
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    this.pump();
  }

  private onDrain(): void {
    this.writeBlocked = false;
    this.pump();
  }

  private onClose(error: NetError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.log.debug('ConnectionClosed', { error: error?.code ?? null });
    this.finishClose();
  }

  private finishClose(): void {
    this.parked.length = 0;
    this.parkedBytes = 0;
    this.releaseNotInFlight();
    this.memory.leave(this.connection.id);
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.dispatcher.connectionClosed(this);
  }
}
