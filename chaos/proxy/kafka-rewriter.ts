/**
 * The Kafka-aware part of the fault proxy: it keeps clients going through the proxy by rewriting
 * the broker addresses that responses advertise.
 *
 *   request path  (client -> broker): frames are read only to learn, per correlation id, the api key
 *                 and version of each Metadata, FindCoordinator and DescribeCluster request (and the
 *                 client id of the connection's first request); the bytes go on unchanged.
 *   response path (broker -> client): a response to one of those requests is decoded with the
 *                 project's codecs (src/core/protocol), every advertised host:port that `rewrite`
 *                 maps is replaced, and the frame is re-encoded; every other frame is passed on byte
 *                 for byte (the same size prefix and body).
 *
 * A frame that does not decode is passed on unchanged: the proxy never decides what is valid Kafka.
 * Requests waiting for an answer are bounded (`inFlightRequestsMax`); beyond that the oldest is
 * forgotten and its answer, should it come, is passed on without rewriting.
 */
import {
  ApiKey,
  decodeResponse,
  encodeResponse,
  FrameDecoder,
  peekResponseCorrelationId,
  type FindCoordinatorResponse,
  type MetadataResponse,
  type DescribeClusterResponse,
} from '../../src/core/protocol/index.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Maps an advertised address to the one clients should dial instead, or null to keep it. */
export type AddressRewrite = (address: HostPort) => HostPort | null;

/** Frames are at most this large (Kafka's own default socket.request.max.bytes is 100 MiB). */
const frameBytesMax = 1024 * 1024 * 1024;
/** Requests remembered per connection while their answers are outstanding. */
const inFlightRequestsMax = 1024;

const rewrittenApis = new Set<number>([ApiKey.Metadata, ApiKey.FindCoordinator, ApiKey.DescribeCluster]);

type Rewritten = typeof ApiKey.Metadata | typeof ApiKey.FindCoordinator | typeof ApiKey.DescribeCluster;

/** One connection's two byte streams, parsed. */
export class KafkaRewriter {
  /** The client id of the connection's first request (null until it arrived or when it had none). */
  clientId: string | null = null;
  private clientIdKnown = false;
  private readonly requests = new FrameDecoder(frameBytesMax);
  private readonly responses = new FrameDecoder(frameBytesMax);
  private readonly inFlight = new Map<number, { apiKey: Rewritten; apiVersion: number }>();
  /** Frames rewritten so far (for tests and the proxy's counters). */
  rewrittenFrames = 0;
  /** False once a stream stopped parsing (an oversized frame): everything is then passed through. */
  private parsing = true;

  constructor(private readonly rewrite: AddressRewrite) {}

  /** Reads a chunk of the request stream; the caller forwards the chunk itself unchanged. */
  onRequestBytes(chunk: Uint8Array): void {
    if (!this.parsing) return;
    this.requests.push(chunk, (event) => {
      if (event.kind === 'oversized') return void (this.parsing = false);
      this.noteRequest(event.frame);
    });
  }

  /** Turns a chunk of the response stream into the chunks to forward (whole frames only). */
  onResponseBytes(chunk: Uint8Array): Uint8Array[] {
    if (!this.parsing) return [chunk];
    const out: Uint8Array[] = [];
    this.responses.push(chunk, (event) => {
      if (event.kind === 'oversized') {
        this.parsing = false;
        out.push(chunk); // cannot happen below 1 GiB; pass the rest through unparsed
        return;
      }
      out.push(...this.responseFrame(event.frame));
    });
    return out;
  }

  private noteRequest(frame: Uint8Array): void {
    if (frame.byteLength < 8) return;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const apiKey = view.getInt16(0);
    const apiVersion = view.getInt16(2);
    const correlationId = view.getInt32(4);
    if (!this.clientIdKnown) {
      this.clientIdKnown = true;
      this.clientId = readClientId(frame);
    }
    if (!rewrittenApis.has(apiKey)) return;
    if (this.inFlight.size >= inFlightRequestsMax) this.inFlight.delete(this.inFlight.keys().next().value!);
    this.inFlight.set(correlationId, { apiKey: apiKey as Rewritten, apiVersion });
  }

  private responseFrame(frame: Uint8Array): Uint8Array[] {
    const correlationId = peekResponseCorrelationId(frame);
    const request = correlationId === null ? undefined : this.inFlight.get(correlationId);
    if (request === undefined) return [sizePrefix(frame.byteLength), frame];
    this.inFlight.delete(correlationId!);
    const rewritten = this.rewriteResponse(request.apiKey, request.apiVersion, frame);
    if (rewritten === null) return [sizePrefix(frame.byteLength), frame];
    this.rewrittenFrames++;
    return rewritten;
  }

  /** The re-encoded frame (with its size prefix), or null to pass the original on. */
  private rewriteResponse(apiKey: Rewritten, apiVersion: number, frame: Uint8Array): Uint8Array[] | null {
    switch (apiKey) {
      case ApiKey.Metadata: {
        const decoded = decodeResponse(ApiKey.Metadata, apiVersion, frame);
        if (!decoded.ok) return null;
        const body: MetadataResponse = { ...decoded.body, brokers: decoded.body.brokers.map((b) => ({ ...b, ...this.mapped(b) })) };
        return encodeResponse(ApiKey.Metadata, apiVersion, decoded.correlationId, body);
      }
      case ApiKey.FindCoordinator: {
        const decoded = decodeResponse(ApiKey.FindCoordinator, apiVersion, frame);
        if (!decoded.ok) return null;
        const body: FindCoordinatorResponse = { ...decoded.body, ...this.mapped(decoded.body) };
        return encodeResponse(ApiKey.FindCoordinator, apiVersion, decoded.correlationId, body);
      }
      case ApiKey.DescribeCluster: {
        const decoded = decodeResponse(ApiKey.DescribeCluster, apiVersion, frame);
        if (!decoded.ok) return null;
        const body: DescribeClusterResponse = { ...decoded.body, brokers: decoded.body.brokers.map((b) => ({ ...b, ...this.mapped(b) })) };
        return encodeResponse(ApiKey.DescribeCluster, apiVersion, decoded.correlationId, body);
      }
      default: {
        const unreachable: never = apiKey;
        throw new Error(`unexpected api key ${String(unreachable)}`);
      }
    }
  }

  private mapped(address: HostPort): HostPort {
    const to = this.rewrite({ host: address.host, port: address.port });
    return to === null ? { host: address.host, port: address.port } : { host: to.host, port: to.port };
  }
}

/** The request header's client id (NULLABLE_STRING after api key, version and correlation id). */
function readClientId(frame: Uint8Array): string | null {
  if (frame.byteLength < 10) return null;
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt16(8);
  if (length < 0 || 10 + length > frame.byteLength) return null;
  return Buffer.from(frame.buffer, frame.byteOffset + 10, length).toString('utf8');
}

function sizePrefix(sizeBytes: number): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setInt32(0, sizeBytes);
  return prefix;
}
