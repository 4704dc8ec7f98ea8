/**
 * The payloads of the offsets file (framing: record-file.ts): a committed offset, a group deletion
 * that removes every earlier offset of its group (DeleteGroups), or a partition deletion that removes
 * the earlier offset of one group, topic and partition (OffsetDelete).
 *
 * A committed offset:
 *   type u8 = 1
 *   groupId    u16 length + UTF-8
 *   topic      u16 length + UTF-8
 *   partition  i32
 *   offset     i64
 *   leaderEpoch i32
 *   commitTimestampMs i64
 *   metadata   i32 length (-1: null) + UTF-8
 *
 * A group deletion:
 *   type u8 = 3
 *   groupId    u16 length + UTF-8
 *
 * A partition deletion:
 *   type u8 = 4
 *   groupId    u16 length + UTF-8
 *   topic      u16 length + UTF-8
 *   partition  i32
 *
 * All integers big-endian. A payload of another type, or one that does not parse exactly, is a
 * format error (the CRC passed, so the writer was not this version of the code).
 */
import { assert } from '../assert.ts';
import type { CommittedOffset } from './types.ts';

export const offsetRecordType = 1;
/** (2 is the producer-id file's record; the numbers stay distinct across files.) */
export const groupDeletionRecordType = 3;
export const partitionDeletionRecordType = 4;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeOffsetRecord(record: CommittedOffset): Uint8Array {
  const groupId = utf8Encoder.encode(record.groupId);
  const topic = utf8Encoder.encode(record.topic);
  const metadata = record.metadata === null ? null : utf8Encoder.encode(record.metadata);
  assert(groupId.length <= 0xffff && topic.length <= 0xffff, 'group id and topic fit a u16 length');
  const out = new Uint8Array(1 + 2 + groupId.length + 2 + topic.length + 4 + 8 + 4 + 8 + 4 + (metadata?.length ?? 0));
  const view = new DataView(out.buffer);
  let at = 0;
  view.setUint8(at, offsetRecordType);
  at += 1;
  at = putShortBytes(out, view, at, groupId);
  at = putShortBytes(out, view, at, topic);
  view.setInt32(at, record.partition);
  view.setBigInt64(at + 4, record.offset);
  view.setInt32(at + 12, record.leaderEpoch);
  view.setBigInt64(at + 16, BigInt(Math.trunc(record.commitTimestampMs)));
  view.setInt32(at + 24, metadata === null ? -1 : metadata.length);
  at += 28;
  if (metadata !== null) out.set(metadata, at);
  return out;
}

/** Decodes a payload; returns an error string instead when it is not a well-formed offset record. */
export function decodeOffsetRecord(payload: Uint8Array): CommittedOffset | string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  try {
    if (view.getUint8(0) !== offsetRecordType) return `unknown record type ${view.getUint8(0)}`;
    let at = 1;
    const groupId = getShortString(payload, view, at);
    at = groupId.next;
    const topic = getShortString(payload, view, at);
    at = topic.next;
    const partition = view.getInt32(at);
    const offset = view.getBigInt64(at + 4);
    const leaderEpoch = view.getInt32(at + 12);
    const commitTimestampMs = Number(view.getBigInt64(at + 16));
    const metadataLength = view.getInt32(at + 24);
    at += 28;
    const end = at + Math.max(metadataLength, 0);
    if (metadataLength < -1 || end !== payload.length) return 'offset record length mismatch';
    const metadata = metadataLength < 0 ? null : utf8Decoder.decode(payload.subarray(at, end));
    return { groupId: groupId.value, topic: topic.value, partition, offset, leaderEpoch, metadata, commitTimestampMs };
  } catch (error) {
    return `malformed offset record: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function encodeGroupDeletion(groupId: string): Uint8Array {
  const bytes = utf8Encoder.encode(groupId);
  assert(bytes.length <= 0xffff, 'group id fits a u16 length');
  const out = new Uint8Array(1 + 2 + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, groupDeletionRecordType);
  putShortBytes(out, view, 1, bytes);
  return out;
}

export function encodePartitionDeletion(groupId: string, topic: string, partition: number): Uint8Array {
  const group = utf8Encoder.encode(groupId);
  const name = utf8Encoder.encode(topic);
  assert(group.length <= 0xffff && name.length <= 0xffff, 'group id and topic fit a u16 length');
  const out = new Uint8Array(1 + 2 + group.length + 2 + name.length + 4);
  const view = new DataView(out.buffer);
  view.setUint8(0, partitionDeletionRecordType);
  const at = putShortBytes(out, view, putShortBytes(out, view, 1, group), name);
  view.setInt32(at, partition);
  return out;
}

export type OffsetsFileRecord =
  | { kind: 'offset'; record: CommittedOffset }
  | { kind: 'group-deleted'; groupId: string }
  | { kind: 'partition-deleted'; groupId: string; topic: string; partition: number };

/** Decodes any payload of the offsets file; an error string when it is none of the records. */
export function decodeOffsetsFileRecord(payload: Uint8Array): OffsetsFileRecord | string {
  if (payload.length === 0) return 'empty record';
  if (payload[0] === partitionDeletionRecordType) return decodePartitionDeletion(payload);
  if (payload[0] !== groupDeletionRecordType) {
    const record = decodeOffsetRecord(payload);
    return typeof record === 'string' ? record : { kind: 'offset', record };
  }
  try {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const groupId = getShortString(payload, view, 1);
    if (groupId.next !== payload.length) return 'group deletion record length mismatch';
    return { kind: 'group-deleted', groupId: groupId.value };
  } catch (error) {
    return `malformed group deletion record: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function decodePartitionDeletion(payload: Uint8Array): OffsetsFileRecord | string {
  try {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const groupId = getShortString(payload, view, 1);
    const topic = getShortString(payload, view, groupId.next);
    if (topic.next + 4 !== payload.length) return 'partition deletion record length mismatch';
    return { kind: 'partition-deleted', groupId: groupId.value, topic: topic.value, partition: view.getInt32(topic.next) };
  } catch (error) {
    return `malformed partition deletion record: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function putShortBytes(out: Uint8Array, view: DataView, at: number, bytes: Uint8Array): number {
  view.setUint16(at, bytes.length);
  out.set(bytes, at + 2);
  return at + 2 + bytes.length;
}

function getShortString(payload: Uint8Array, view: DataView, at: number): { value: string; next: number } {
  const length = view.getUint16(at);
  const end = at + 2 + length;
  if (end > payload.length) throw new RangeError('string runs past the record');
  return { value: utf8Decoder.decode(payload.subarray(at + 2, end)), next: end };
}
