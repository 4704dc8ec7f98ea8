/**
 * Metadata records: the entries of the controller quorum's replicated log (like KRaft's
 * __cluster_metadata records). Encoded as a version byte plus JSON with a fixed key order, which is
 * deterministic and small enough for metadata; every field is an integer, a string or a list of those.
 */
import { assert, assertionFailed } from '../assert.ts';

export type MetadataRecord =
  /** The broker's epoch becomes the log index of this record (a re-registration fences the old one). */
  | { readonly type: 'RegisterBroker'; readonly brokerId: number; readonly host: string; readonly port: number }
  | { readonly type: 'FenceBroker'; readonly brokerId: number; readonly epoch: number }
  | { readonly type: 'UnfenceBroker'; readonly brokerId: number; readonly epoch: number }
  /** `configs`: the topic's config overrides (validated by the broker that took the request), absent when none. */
  | { readonly type: 'CreateTopic'; readonly name: string; readonly topicId: string; readonly replicas: readonly (readonly number[])[]; readonly configs?: Readonly<Record<string, string>> }
  /** The topic's config overrides, all of them (AlterConfigs / IncrementalAlterConfigs, computed by the broker). */
  | { readonly type: 'AlterTopicConfigs'; readonly name: string; readonly topicId: string; readonly configs: Readonly<Record<string, string>> }
  | { readonly type: 'DeleteTopic'; readonly name: string; readonly topicId: string }
  /** New partitions of an existing topic (Kafka's CreatePartitions): `replicas` of each, numbered after the topic's last. */
  | { readonly type: 'CreatePartitions'; readonly name: string; readonly topicId: string; readonly replicas: readonly (readonly number[])[] }
  /**
   * A new leader (-1: none) with a higher leader epoch, and with `isr` the new ISR in the same step.
   * With `partitionEpoch` (every record the controller writes now) a compare-and-set: applied only
   * to the partition state it was computed from. Without it a record computed from an image that had
   * not applied an ISR shrink yet could put the removed member back (cluster seed 24736: a replica
   * that lacked records below the high watermark was then elected).
   */
  | { readonly type: 'ChangePartitionLeader'; readonly topic: string; readonly partition: number; readonly leader: number; readonly leaderEpoch: number; readonly isr?: readonly number[]; readonly partitionEpoch?: number }
  | { readonly type: 'ChangeIsr'; readonly topic: string; readonly partition: number; readonly isr: readonly number[]; readonly leaderEpoch: number; readonly partitionEpoch: number }
  /**
   * A block of producer ids [firstProducerId, nextProducerId) for one broker (Kafka's
   * ProducerIdsRecord, KIP-730). A compare-and-set: applied only when firstProducerId is the image's
   * nextProducerId and the broker is registered with that epoch and unfenced, so two proposals made
   * from the same image never both apply. Ids are JSON numbers (safe integers, asserted on encode).
   */
  | { readonly type: 'ProducerIds'; readonly brokerId: number; readonly brokerEpoch: number; readonly firstProducerId: number; readonly nextProducerId: number };

export type MetadataRecordType = MetadataRecord['type'];

const recordFormatVersion = 1;

export function encodeRecord(record: MetadataRecord): Uint8Array {
  if (record.type === 'ProducerIds') {
    assert(Number.isSafeInteger(record.firstProducerId) && record.firstProducerId >= 0, 'ProducerIds: first id a safe integer');
    assert(Number.isSafeInteger(record.nextProducerId) && record.nextProducerId > record.firstProducerId, 'ProducerIds: a non-empty block');
  }
  const json = new TextEncoder().encode(JSON.stringify(record));
  const out = new Uint8Array(1 + json.length);
  out[0] = recordFormatVersion;
  out.set(json, 1);
  return out;
}

/** Decodes a record written by encodeRecord. Committed entries are trusted: a bad one is a bug. */
export function decodeRecord(bytes: Uint8Array): MetadataRecord {
  if (bytes[0] !== recordFormatVersion) assertionFailed(`metadata record version ${bytes[0]}`);
  const value = JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as MetadataRecord;
  assert(typeof value === 'object' && value !== null && typeof value.type === 'string', 'metadata record shape');
  return value;
}
