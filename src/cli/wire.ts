/**
 * One Kafka connection of the client commands, over a real TCP socket, with Chronik's own codec
 * (src/core/protocol). Requests may be pipelined; responses are matched by correlation id. Any
 * failure (the socket erroring or closing, a request timing out) rejects every pending request with
 * a CliError that names the broker's address.
 *
 * On connect it asks ApiVersions, so `version()` can pick the highest version both sides speak and
 * `supports()` can tell whether the broker advertises an API at all.
 */
import net from 'node:net';
import {
  ApiKey,
  FrameDecoder,
  Reader,
  Writer,
  decodeResponse,
  encodeRequest,
  errorCodeName,
  peekResponseCorrelationId,
  type ApiVersionsResponseKey,
  type RequestBody,
  type ResponseBody,
  type SupportedApiKey,
} from '../core/protocol/index.ts';
import { CliError } from './cli-error.ts';

/** Largest response accepted; a larger one fails the connection. */
const responseBytesMax = 256 * 1024 * 1024;
const clientId = 'chronik-cli';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export function formatAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export interface WireTimeouts {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

interface Pending {
  readonly resolve: (frame: Uint8Array) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class WireConnection {
  private readonly decoder = new FrameDecoder(responseBytesMax);
  private readonly pending = new Map<number, Pending>();
  private correlationIdNext = 1;
  private failure: CliError | null = null;
  private apiVersions: readonly ApiVersionsResponseKey[] = [];

  private constructor(
    private readonly socket: net.Socket,
    readonly address: BrokerAddress,
    private readonly requestTimeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new CliError(`connection to the broker at ${formatAddress(address)} failed: ${error.message}`)));
    socket.on('close', () => this.fail(new CliError(`the broker at ${formatAddress(address)} closed the connection`)));
  }

  /** Connects and asks ApiVersions; rejects with a CliError that names the address. */
  static async connect(address: BrokerAddress, timeouts: WireTimeouts): Promise<WireConnection> {
    const socket = await openSocket(address, timeouts.connectTimeoutMs);
    const connection = new WireConnection(socket, address, timeouts.requestTimeoutMs);
    try {
      const answer = await connection.request(ApiKey.ApiVersions, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
      if (answer.errorCode !== 0) throw new CliError(`the broker at ${formatAddress(address)} refused ApiVersions: ${errorCodeName(answer.errorCode)}`);
      connection.apiVersions = answer.apiKeys;
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** True when the broker advertises `apiKey` in ApiVersions. */
  supports(apiKey: number): boolean {
    return this.apiVersions.some((k) => k.apiKey === apiKey);
  }

  /** The highest version of `apiKey` both this client (`wantedMax`) and the broker speak. */
  version(apiKey: number, name: string, wantedMax: number): number {
    const advertised = this.apiVersions.find((k) => k.apiKey === apiKey);
    const version = advertised === undefined ? -1 : Math.min(wantedMax, advertised.maxVersion);
    if (advertised === undefined || version < advertised.minVersion) {
      throw new CliError(`the broker at ${formatAddress(this.address)} does not speak ${name} (API key ${apiKey}) at a version this tool knows`);
    }
    return version;
  }

  /** Sends a request the codec knows and decodes its answer. */
  async request<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>): Promise<ResponseBody<K>> {
    const correlationId = this.correlationIdNext++;
    const frame = await this.exchange(correlationId, encodeRequest(apiKey, { apiVersion: version, correlationId, clientId }, body));
    const decoded = decodeResponse(apiKey, version, frame);
    if (!decoded.ok) throw new CliError(`undecodable answer from the broker at ${formatAddress(this.address)} to API ${apiKey} v${version}: ${decoded.error.message}`);
    return decoded.body;
  }

  /**
   * Sends a request the codec does not know (non-flexible versions only: request header v1,
   * response header v0), written and read by the caller.
   */
  async requestCustom<T>(apiKey: number, version: number, writeBody: (w: Writer) => void, readBody: (r: Reader) => T): Promise<T> {
    const correlationId = this.correlationIdNext++;
    const w = new Writer(128).int32(0).int16(apiKey).int16(version).int32(correlationId).nullableString(clientId);
    writeBody(w);
    w.patchInt32(0, w.length - 4);
    const frame = await this.exchange(correlationId, w.finishChunks());
    const r = new Reader(frame);
    try {
      r.int32();
      const body = readBody(r);
      r.expectEnd('response');
      return body;
    } catch (error) {
      throw new CliError(`undecodable answer from the broker at ${formatAddress(this.address)} to API ${apiKey} v${version}: ${(error as Error).message}`);
    }
  }

  close(): void {
    this.fail(new CliError('connection closed by the client'));
    this.socket.destroy();
  }

  private exchange(correlationId: number, chunks: readonly Uint8Array[]): Promise<Uint8Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new CliError(`the broker at ${formatAddress(this.address)} did not answer within ${this.requestTimeoutMs} ms`));
        this.socket.destroy();
      }, this.requestTimeoutMs);
      this.pending.set(correlationId, { resolve, reject, timer });
      for (const chunk of chunks) this.socket.write(chunk);
    });
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk, (event) => {
      if (event.kind === 'oversized') {
        this.fail(new CliError(`the broker at ${formatAddress(this.address)} sent a ${event.sizeBytes}-byte response, above ${event.frameBytesMax}`));
        this.socket.destroy();
        return;
      }
      const correlationId = peekResponseCorrelationId(event.frame);
      const pending = correlationId === null ? undefined : this.pending.get(correlationId);
      if (pending === undefined) return;
      this.pending.delete(correlationId!);
      clearTimeout(pending.timer);
      pending.resolve(event.frame.slice());
    });
  }

  private fail(error: CliError): void {
    if (this.failure === null) this.failure = error;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(this.failure);
    }
    this.pending.clear();
  }
}

function openSocket(address: BrokerAddress, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UnreachableError(address, `no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UnreachableError(address, error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? error.message)));
    });
  });
}

/** No broker answered at an address (refused, unresolvable, timed out). */
export class UnreachableError extends CliError {
  constructor(
    readonly address: BrokerAddress,
    readonly reason: string,
  ) {
    super(`cannot reach a broker at ${formatAddress(address)} (${reason})`);
  }
}
