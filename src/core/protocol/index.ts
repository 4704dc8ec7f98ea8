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
export * from './apis/list-offsets.ts';
export * from './apis/create-topics.ts';
export * from './apis/delete-topics.ts';
export * from './apis/find-coordinator.ts';
export * from './apis/join-group.ts';
export * from './apis/sync-group.ts';
export * from './apis/heartbeat.ts';
export * from './apis/leave-group.ts';
export * from './apis/offset-commit.ts';
export * from './apis/offset-fetch.ts';
export * from './apis/describe-groups.ts';
export * from './apis/list-groups.ts';
export * from './apis/init-producer-id.ts';
export * from './apis/describe-configs.ts';
export * from './apis/create-partitions.ts';
export * from './apis/delete-groups.ts';
export * from './apis/alter-configs.ts';
export * from './apis/incremental-alter-configs.ts';
export * from './apis/delete-records.ts';
export * from './apis/offset-delete.ts';
export * from './apis/describe-cluster.ts';
export * from './apis/describe-producers.ts';
export * from './apis/offset-for-leader-epoch.ts';
