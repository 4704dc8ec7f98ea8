import type { Io } from '../../src/core/io/index.ts';
import type { Connection, NetError } from '../../src/core/io/network.ts';
import {
  FrameDecoder,
  decodeResponse,
  encodeRequest,
  peekResponseCorrelationId,
  type RequestBody,
  type ResponseBody,
  type SupportedApiKey,
} from '../../src/core/protocol/index.ts';

/** Largest response a workload client accepts. */
const responseBytesMax = 64 * 1024 * 1024;

interface Pending {
  apiKey: SupportedApiKey;
  version: number;
  correlationId: number;
  resolve(frame: Uint8Array): void;
  reject(error: Error): void;
  cancelTimer(): void;
}

export class ClientError extends Error {
  override name = 'ClientError';
}

/**
 * A small Kafka client for simulated workloads: one connection, requests encoded with Chronik's own
 * codec, responses matched to requests in order. It notes any response that arrives out of order
 * (a broker bug) in `orderViolations`. Every failure (reset, timeout, close) rejects every pending
 * request: the caller treats their outcome as unknown.
 */
export class WireClient {
  private readonly pending: Pending[] = [];
  private readonly decoder = new FrameDecoder(responseBytesMax);
  private correlationIdNext = 1;
  private closedWith: Error | null = null;
  orderViolations: string[] = [];

  private constructor(
    private readonly io: Io,
    private readonly conn: Connection,
    private readonly clientId: string,
  ) {
    conn.setHandlers({
      onData: (chunk) => this.onData(chunk),
      onClose: (error) => this.failAll(error ?? new ClientError('connection closed by the broker')),
    });
  }

  static async connect(io: Io, host: string, port: number, clientId: string): Promise<WireClient> {
    const conn = await io.net.connect(host, port, { timeoutMs: 500 });
    return new WireClient(io, conn, clientId);
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends a request; resolves with the decoded response body. */
  request<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>, timeoutMs = 2000): Promise<ResponseBody<K>> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const correlationId = this.correlationIdNext++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.io.clock.setTimer(timeoutMs, () => {
        this.failAll(new ClientError(`request ${apiKey} v${version} #${correlationId} timed out after ${timeoutMs} ms`));
        this.conn.destroy();
      });
      this.pending.push({ apiKey, version, correlationId, resolve, reject, cancelTimer: () => timer.cancel() });
      this.send(apiKey, version, correlationId, body);
    }).then((frame) => {
      const decoded = decodeResponse(apiKey, version, frame);
      if (!decoded.ok) throw new ClientError(`undecodable response to ${apiKey} v${version}: ${decoded.error.message}`);
      return decoded.body;
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendOnly<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>): void {
    if (this.closedWith !== null) return;
    this.send(apiKey, version, this.correlationIdNext++, body);
  }

  close(): void {
    this.failAll(new ClientError('closed by the client'));
    this.conn.destroy();
  }

  private send<K extends SupportedApiKey>(apiKey: K, version: number, correlationId: number, body: RequestBody<K>): void {
    for (const chunk of encodeRequest(apiKey, { apiVersion: version, correlationId, clientId: this.clientId }, body)) {
      this.conn.write(chunk);
    }
  }

  private onData(chunk: Uint8Array): void {
    this.decoder.push(chunk, (event) => {
      if (event.kind === 'oversized') {
        this.failAll(new ClientError(`response of ${event.sizeBytes} bytes is over ${event.frameBytesMax}`));
        this.conn.destroy();
        return;
      }
      const correlationId = peekResponseCorrelationId(event.frame);
      const head = this.pending.shift();
      if (head === undefined || head.correlationId !== correlationId) {
        this.orderViolations.push(`response #${correlationId} arrived while #${head?.correlationId ?? 'none'} was next`);
        head?.reject(new ClientError('response out of order'));
        return;
      }
      head.cancelTimer();
      head.resolve(event.frame.slice());
    });
  }

  private failAll(error: Error | NetError): void {
    if (this.closedWith === null) this.closedWith = error;
    for (const p of this.pending.splice(0)) {
      p.cancelTimer();
      p.reject(error);
    }
  }
}
