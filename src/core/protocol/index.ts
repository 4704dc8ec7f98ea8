/**
 * Chronik's Kafka wire-protocol codec. Start with ./codec.ts (decodeRequest / encodeResponse and the
 * client-side pair), ./framing.ts (FrameDecoder) and ./apis/index.ts (what is implemented).
 * The request/response body types live beside their codec in ./apis/<api>.ts.
 */
export * from './codec.ts';
export * from './framing.ts';
export * from './error-codes.ts';
export * from './api-keys.ts';
export * from './decode-error.ts';
export type { RequestHeader } from './header.ts';
export { Reader } from './reader.ts';
export { Writer, recordsByteLength, type Records } from './writer.ts';
export type { ApiCodec } from './api-codec.ts';
export * from './apis/index.ts';
export * from './apis/api-versions.ts';
export * from './apis/metadata.ts';
export * from './apis/produce.ts';
export * from './apis/fetch.ts';
