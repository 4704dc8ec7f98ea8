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
 *   parked (bounded by count and bytes); a client that overruns that bound is disconnected. The
 *   Connection interface cannot pause reading, so parking is the only buffer, and it is bounded.
 * - Protocol violations (undecodable header, unknown API, unsupported version other than
 *   ApiVersions, malformed body) close the connection at once, as Kafka does.
 */
import { AssertionError } from '../assert.ts';
import type { Connection, Log, NetError } from '../io/index.ts';
import { connectionParkedBytesMax, connectionRequestsInFlightMax, connectionRequestsParkedMax } from '../limits.ts';
import {
  ApiKey,
  FrameDecoder,
  apiKeyName,
  decodeRequest,
  encodeUnsupportedApiVersionsResponse,
  type KafkaRequest,
  type RequestDecodeFailure,
} from '../protocol/index.ts';

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
  private writeBlocked = false;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];
  readonly clientHost: string;

  constructor(
    private readonly connection: Connection,
    private readonly dispatcher: RequestDispatcher,
    requestBytesMax: number,
    log: Log,
  ) {
    this.decoder = new FrameDecoder(requestBytesMax);
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

  /** Half-closes after the queued bytes are sent. */
  end(): void {
    if (this.closed) return;
    this.connection.end();
  }

  destroy(reason: string, fields: Record<string, string | number> = {}): void {
    if (this.closed) return;
    this.log.warn('ConnectionClosedByBroker', { reason, ...fields });
    this.closed = true;
    this.connection.destroy();
    this.finishClose();
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.decoder.push(chunk, (event) => {
      if (this.closed) return;
      if (event.kind === 'oversized') {
        this.destroy('frame-too-large', { sizeBytes: event.sizeBytes, frameBytesMax: event.frameBytesMax });
        return;
      }
      this.onFrame(event.frame);
    });
  }

  private onFrame(frame: Uint8Array): void {
    if (this.canStart() && this.parked.length === 0) {
      this.start(frame);
      return;
    }
    if (this.parked.length >= connectionRequestsParkedMax || (this.parkedBytes + frame.length > connectionParkedBytesMax && this.parked.length > 0)) {
      this.destroy('too-many-queued-requests', { parked: this.parked.length, parkedBytes: this.parkedBytes });
      return;
    }
    this.parked.push(frame);
    this.parkedBytes += frame.length;
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
  }

  private start(frame: Uint8Array): void {
    const decoded = decodeRequest(frame);
    if (!decoded.ok) {
      this.refuse(decoded.failure);
      return;
    }
    const request = decoded.request;
    const context: RequestContext = { connectionId: this.connection.id, clientId: request.clientId ?? '', clientHost: this.clientHost };
    const answered = !(request.apiKey === ApiKey.Produce && request.body.acks === 0);
    const slot: Slot = { correlationId: request.correlationId, chunks: null };
    if (answered) this.slots.push(slot);
    else this.noResponseInFlight++;
    this.dispatcher.dispatch(request, context).then(
      (chunks) => {
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
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        this.log.error('RequestFailed', { api: apiKeyName(request.apiKey), correlationId: request.correlationId, error: message });
        this.destroy('request-failed');
      },
    );
  }

  /** A request that cannot be served: answered (ApiVersions too new) or the connection is closed. */
  private refuse(failure: RequestDecodeFailure): void {
    const header = failure.header;
    if (failure.kind === 'unsupported-version' && failure.header.apiKey === ApiKey.ApiVersions) {
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
    while (this.slots.length > 0 && this.slots[0]!.chunks !== null) {
      const slot = this.slots.shift()!;
      if (this.closed) continue;
      for (const chunk of slot.chunks!) {
        if (!this.connection.write(chunk)) this.writeBlocked = true;
      }
    }
    this.afterProgress();
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
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.dispatcher.connectionClosed(this);
  }
}
