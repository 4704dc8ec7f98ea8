/**
 * The one Kafka client of Chronik: the tests, the simulated workloads and follower replication use it: a single connection, requests
 * encoded with Chronik's own codec, responses matched to requests by correlation id.
 *
 * It also checks what Kafka promises about a connection: responses come back in request order. A
 * response that overtakes an earlier request, or that answers no request, is noted in
 * `orderViolations` (a broker bug; the caller decides to fail) and still settles its own request.
 * `arrivals` keeps the correlation ids of the latest responses (at least the last 1,024) in arrival
 * order, including responses to bytes the test wrote itself with `writeRaw` (those are not
 * order-checked); older ones are dropped, since a follower's fetch connection lives for days.
 *
 * Every failure (the connection closing, a request timing out, an oversized response, `close()`)
 * rejects every pending request: the caller treats their outcome as unknown. A timeout runs on the
 * Io clock, so it is virtual time in the simulator.
 */
import type { Clock, Io } from '../io/index.ts';
import type { Connection, NetError } from '../io/network.ts';
import {
  FrameDecoder,
  decodeResponse,
  encodeRequest,
  peekResponseCorrelationId,
  type RequestBody,
  type ResponseBody,
  type SupportedApiKey,
} from './index.ts';

/** Correlation ids `arrivals` keeps at least; it is cut back to this many at twice as many. */
const arrivalsKept = 1024;

/** Largest response the client accepts; a larger one fails the connection. */
const responseBytesMax = 256 * 1024 * 1024;

export interface KafkaWireClientOptions {
  /** The client id in every request header. */
  readonly clientId?: string;
  /** Needed for request timeouts. */
  readonly clock?: Clock;
  /** Default timeout of each request, or null for none. A timeout fails the whole connection. */
  readonly requestTimeoutMs?: number | null;
}

export interface RequestOptions {
  /** Decode the response as this version (default: the request's version). */
  readonly responseVersion?: number;
  /** Overrides the client's requestTimeoutMs for this request. */
  readonly timeoutMs?: number | null;
}

export class ClientError extends Error {
  override name = 'ClientError';
}

interface Pending {
  readonly apiKey: SupportedApiKey;
  readonly responseVersion: number;
  readonly resolve: (frame: Uint8Array) => void;
  readonly reject: (error: Error) => void;
  readonly cancelTimer: () => void;
}

export class KafkaWireClient {
  /** Correlation ids of the latest responses (at least arrivalsKept), in arrival order. */
  readonly arrivals: number[] = [];
  /** Responses that overtook an earlier request or answered none. */
  readonly orderViolations: string[] = [];
  /** Pending requests by correlation id; insertion order is request order. */
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder(responseBytesMax);
  private readonly clientId: string;
  private readonly clock: Clock | null;
  private readonly requestTimeoutMs: number | null;
  private correlationIdNext = 1;
  private rawWritten = false;
  private closedWith: Error | null = null;

  constructor(
    readonly connection: Connection,
    options: KafkaWireClientOptions = {},
  ) {
    this.clientId = options.clientId ?? 'test';
    this.clock = options.clock ?? null;
    this.requestTimeoutMs = options.requestTimeoutMs ?? null;
    connection.setHandlers({
      onData: (chunk) => this.onData(chunk),
      onClose: (error) => this.failAll(error ?? new ClientError('connection closed by the broker')),
    });
  }

  static async connect(
    io: Io,
    host: string,
    port: number,
    options: KafkaWireClientOptions & { readonly connectTimeoutMs?: number } = {},
  ): Promise<KafkaWireClient> {
    const connection = await io.net.connect(host, port, options.connectTimeoutMs === undefined ? undefined : { timeoutMs: options.connectTimeoutMs });
    return new KafkaWireClient(connection, { clock: io.clock, ...options });
  }

  /** True once the connection failed or was closed; requests then reject at once. */
  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends a request; resolves with the decoded response body. */
  request<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>, options: RequestOptions = {}): Promise<ResponseBody<K>> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const correlationId = this.correlationIdNext++;
    const responseVersion = options.responseVersion ?? version;
    const timeoutMs = options.timeoutMs === undefined ? this.requestTimeoutMs : options.timeoutMs;
    const promise = new Promise<Uint8Array>((resolve, reject) => {
      const cancelTimer = this.startTimer(timeoutMs, `request ${apiKey} v${version} #${correlationId}`);
      this.pending.set(correlationId, { apiKey, responseVersion, resolve, reject, cancelTimer });
      this.send(apiKey, version, correlationId, body);
    }).then((frame) => {
      const decoded = decodeResponse(apiKey, responseVersion, frame);
      if (!decoded.ok) throw new ClientError(`undecodable response to ${apiKey} v${responseVersion}: ${decoded.error.message}`);
      return decoded.body;
    });
    promise.catch(() => undefined); // a test may never await a request the connection's failure rejected
    return promise;
  }

  /** Sends a request that gets no response (Produce with acks=0); returns its correlation id. */
  sendOneWay<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>): number {
    const correlationId = this.correlationIdNext++;
    if (this.closedWith === null) this.send(apiKey, version, correlationId, body);
    return correlationId;
  }

  /** Writes bytes as they are (fuzzing, malformed frames). Their responses are only recorded in `arrivals`. */
  writeRaw(chunks: readonly Uint8Array[]): void {
    this.rawWritten = true;
    for (const chunk of chunks) this.connection.write(chunk);
  }

  close(): void {
    this.failAll(new ClientError('closed by the client'));
    this.connection.destroy();
  }

  private startTimer(timeoutMs: number | null, what: string): () => void {
    if (timeoutMs === null) return () => undefined;
    if (this.clock === null) throw new Error('a request timeout needs the client to have a clock');
    const timer = this.clock.setTimer(timeoutMs, () => {
      this.failAll(new ClientError(`${what} timed out after ${timeoutMs} ms`));
      this.connection.destroy();
    });
    return () => timer.cancel();
  }

  private send<K extends SupportedApiKey>(apiKey: K, version: number, correlationId: number, body: RequestBody<K>): void {
    for (const chunk of encodeRequest(apiKey, { apiVersion: version, correlationId, clientId: this.clientId }, body)) {
      this.connection.write(chunk);
    }
  }

  private onData(chunk: Uint8Array): void {
    this.decoder.push(chunk, (event) => {
      if (event.kind === 'oversized') {
        this.failAll(new ClientError(`response of ${event.sizeBytes} bytes is over ${event.frameBytesMax}`));
        this.connection.destroy();
        return;
      }
      this.onFrame(event.frame);
    });
  }

  private onFrame(frame: Uint8Array): void {
    const correlationId = peekResponseCorrelationId(frame);
    if (correlationId !== null) {
      this.arrivals.push(correlationId);
      if (this.arrivals.length >= 2 * arrivalsKept) this.arrivals.splice(0, this.arrivals.length - arrivalsKept);
    }
    const next = this.pending.keys().next();
    const p = correlationId === null ? undefined : this.pending.get(correlationId);
    if (p === undefined) {
      if (!this.rawWritten) this.orderViolations.push(`response #${correlationId ?? '?'} answers no pending request`);
      return;
    }
    if (next.value !== correlationId) this.orderViolations.push(`response #${correlationId} arrived while #${next.value} was next`);
    this.pending.delete(correlationId!);
    p.cancelTimer();
    p.resolve(frame);
  }

  private failAll(error: Error | NetError): void {
    if (this.closedWith === null) this.closedWith = error;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.cancelTimer();
      p.reject(error);
    }
  }
}
