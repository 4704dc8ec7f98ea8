/**
 * Binary encodings of the controller quorum: Raft messages on the wire, log records and the
 * snapshot on disk. Integers that may exceed 32 bits (terms, indexes) are float64, exact below 2^53.
 * Every frame and record carries a CRC-32C of its body.
 *
 *   frame  := length:u32 crc32c(body):u32 body            (length = body bytes)
 *   record := length:u32 crc32c(body):u32 body            (same framing on disk)
 */
import { crc32c } from '@node-rs/crc32';
import { assert } from '../assert.ts';
import type { Entry, EntryType, Message, NodeId, Snapshot } from './types.ts';
import { messageTypes } from './types.ts';

export const frameHeaderBytes = 8;

export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
    return this;
  }
  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }
  bytes(v: Uint8Array): this {
    this.u32(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.length);
    this.length += v.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Thrown by Reader on malformed input; callers turn it into a typed error or a dropped frame. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export class Reader {
  private readonly view: DataView;
  offset = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DecodeError(`need ${n} bytes at ${this.offset} of ${this.buf.length}`);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    if (!Number.isSafeInteger(v) || v < 0) throw new DecodeError(`bad integer ${v}`);
    return v;
  }
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const v = this.buf.slice(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  done(): boolean {
    return this.offset === this.buf.length;
  }
}

/** Wraps a body as length + CRC-32C + body. */
export function frame(body: Uint8Array): Uint8Array {
  assert(body.length > 0, 'a frame has a body');
  const out = new Uint8Array(frameHeaderBytes + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  view.setUint32(4, crc32c(body));
  out.set(body, frameHeaderBytes);
  return out;
}

export type Unframed =
  | { readonly kind: 'ok'; readonly body: Uint8Array; readonly next: number }
  | { readonly kind: 'short' } // not all bytes here yet (or a torn tail on disk)
  | { readonly kind: 'corrupt'; readonly reason: string };

/** Reads one frame at `offset`. */
export function unframe(buf: Uint8Array, offset: number, bodyBytesMax: number): Unframed {
  if (buf.length - offset < frameHeaderBytes) return { kind: 'short' };
  const view = new DataView(buf.buffer, buf.byteOffset + offset, frameHeaderBytes);
  const length = view.getUint32(0);
  if (length > bodyBytesMax) return { kind: 'corrupt', reason: `frame of ${length} bytes exceeds ${bodyBytesMax}` };
  // Nothing writes an empty frame; eight zero bytes (a length of 0 and the CRC-32C of nothing, 0) are
  // what a torn write reads as when the file's size survived a crash and its data did not.
  if (length === 0) return { kind: 'corrupt', reason: 'empty frame (zeros)' };
  if (buf.length - offset - frameHeaderBytes < length) return { kind: 'short' };
  const body = buf.subarray(offset + frameHeaderBytes, offset + frameHeaderBytes + length);
  if (crc32c(body) !== view.getUint32(4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  return { kind: 'ok', body, next: offset + frameHeaderBytes + length };
}

// ---- entries and snapshots ----------------------------------------------------------------------

const entryTypes: readonly EntryType[] = ['noop', 'data'];

export function writeEntry(w: Writer, e: Entry): void {
  w.f64(e.term).f64(e.index).u8(entryTypes.indexOf(e.type)).bytes(e.data);
}

export function readEntry(r: Reader): Entry {
  const term = r.f64();
  const index = r.f64();
  const type = entryTypes[r.u8()];
  if (type === undefined) throw new DecodeError('bad entry type');
  return { term, index, type, data: r.bytes() };
}

export function writeSnapshot(w: Writer, s: Snapshot): void {
  w.f64(s.meta.index).f64(s.meta.term).u8(s.meta.voters.length);
  for (const v of s.meta.voters) w.u32(v);
  w.bytes(s.data);
}

export function readSnapshot(r: Reader): Snapshot {
  const index = r.f64();
  const term = r.f64();
  const voters: NodeId[] = [];
  for (let n = r.u8(); n > 0; n--) voters.push(r.u32());
  return { meta: { index, term, voters }, data: r.bytes() };
}

export function encodeEntryRecord(e: Entry): Uint8Array {
  const w = new Writer();
  writeEntry(w, e);
  return frame(w.finish());
}

// ---- messages -----------------------------------------------------------------------------------

export function encodeMessage(m: Message): Uint8Array {
  const w = new Writer();
  w.u8(messageTypes.indexOf(m.type)).u32(m.from).u32(m.to);
  w.f64(m.term).f64(m.logTerm).f64(m.index).f64(m.commit).u8(m.reject ? 1 : 0).f64(m.rejectHint);
  w.u32(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  w.u8(m.snapshot === null ? 0 : 1);
  if (m.snapshot !== null) writeSnapshot(w, m.snapshot);
  return w.finish();
}

export function decodeMessage(body: Uint8Array): Message {
  const r = new Reader(body);
  const type = messageTypes[r.u8()];
  if (type === undefined) throw new DecodeError('bad message type');
  const from = r.u32();
  const to = r.u32();
  const term = r.f64();
  const logTerm = r.f64();
  const index = r.f64();
  const commit = r.f64();
  const reject = r.u8() === 1;
  const rejectHint = r.f64();
  const entries: Entry[] = [];
  for (let n = r.u32(); n > 0; n--) entries.push(readEntry(r));
  const snapshot = r.u8() === 1 ? readSnapshot(r) : null;
  if (!r.done()) throw new DecodeError('trailing bytes after message');
  assert(from >= 0 && to >= 0, 'node ids');
  return { type, from, to, term, logTerm, index, commit, reject, rejectHint, entries, snapshot };
}
