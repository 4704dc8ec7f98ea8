/**
 * The shape every API module in ./apis/ exports: encode and decode for both the request and the
 * response, side by side. The broker decodes requests and encodes responses; tests and the
 * simulator's workload client encode requests and decode responses.
 *
 * Bodies only: the request/response headers (and the header's tagged fields in flexible versions)
 * are handled in ./header.ts and ./codec.ts. Decoders throw DecodeError on bad input; callers outside
 * the protocol folder use ./codec.ts, which turns that into a result value.
 */
import type { Reader } from './reader.ts';
import type { Writer } from './writer.ts';

export interface ApiCodec<Request, Response> {
  readonly apiKey: number;
  readonly name: string;
  /** Lowest version Chronik implements (and advertises in ApiVersions). */
  readonly versionMin: number;
  /** Highest version Chronik implements (and advertises in ApiVersions). */
  readonly versionMax: number;
  /**
   * First flexible version of this API in Kafka's spec (may be above versionMax: then every version
   * Chronik speaks uses the non-flexible headers). Decides the header versions.
   */
  readonly flexibleVersionMin: number;
  decodeRequest(r: Reader, version: number): Request;
  encodeRequest(w: Writer, version: number, request: Request): void;
  decodeResponse(r: Reader, version: number): Response;
  encodeResponse(w: Writer, version: number, response: Response): void;
}
