/**
 * Kafka framing: every request and response is an INT32 size followed by that many bytes. The
 * FrameDecoder turns a TCP byte stream (chunks of any size) into whole frames.
 *
 * Limits: a frame whose announced size is above `frameBytesMax` (or negative) is reported as
 * 'oversized' as soon as its 4-byte prefix is seen, before any of its body is buffered; the decoder
 * is then dead (the connection must be closed, as Kafka does). At most one partial frame is buffered.
 */
import { assert } from '../assert.ts';

export type FrameEvent =
  | { kind: 'frame'; frame: Uint8Array }
  | { kind: 'oversized'; sizeBytes: number; frameBytesMax: number };

/** Test-only hooks that plant a known framing bug, to show the simulator's checkers catch it. Never set in production. */
export interface FramingBugs {
  /** Of the complete frames a single chunk (one read) finishes, the second is dropped. */
  dropSecondFrameOfRead?: boolean;
}

export class FrameDecoder {
  /** Pending bytes of the current frame (size prefix included), or null when none are pending. */
  private pending: Uint8Array | null = null;
  private pendingBytes = 0;
  /** False while the 4-byte size prefix of the pending frame is itself incomplete. */
  private pendingSizeKnown = false;
  private failed = false;

  constructor(
    readonly frameBytesMax: number,
    private readonly bugs: FramingBugs = {},
  ) {
    assert(Number.isInteger(frameBytesMax) && frameBytesMax > 0, 'frameBytesMax positive');
  }

  /** Bytes held for a frame not yet complete. */
  bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds one chunk; calls `onEvent` for every complete frame in order, or once with 'oversized'
   * (after which further chunks are ignored). Frames that arrive whole inside one chunk are handed
   * out as subarrays of that chunk, without a copy.
   */
  push(chunk: Uint8Array, onEvent: (event: FrameEvent) => void): void {
    if (this.failed) return;
    let at = 0;
    let framesOfRead = 0;
    if (this.pending !== null) {
      at = this.fillPending(chunk, onEvent);
      if (this.pending !== null || this.failed) return;
      framesOfRead++;
    }
    while (at < chunk.byteLength) {
      const left = chunk.byteLength - at;
      if (left >= 4) {
        const size = readInt32(chunk, at);
        if (!this.checkSize(size, onEvent)) return;
        if (left >= 4 + size) {
          framesOfRead++;
          const dropped = this.bugs.dropSecondFrameOfRead === true && framesOfRead === 2;
          if (!dropped) onEvent({ kind: 'frame', frame: chunk.subarray(at + 4, at + 4 + size) });
          at += 4 + size;
          continue;
        }
        this.startPending(4 + size, true, chunk.subarray(at));
      } else {
        this.startPending(4, false, chunk.subarray(at));
      }
      return;
    }
  }

  private checkSize(size: number, onEvent: (event: FrameEvent) => void): boolean {
    if (size >= 0 && size <= this.frameBytesMax) return true;
    this.failed = true;
    this.pending = null;
    this.pendingBytes = 0;
    onEvent({ kind: 'oversized', sizeBytes: size, frameBytesMax: this.frameBytesMax });
    return false;
  }

  /** Starts buffering; `capacity` is 4 when the size prefix itself is incomplete. */
  private startPending(capacity: number, sizeKnown: boolean, bytes: Uint8Array): void {
    this.pendingSizeKnown = sizeKnown;
    this.pending = new Uint8Array(capacity);
    this.pending.set(bytes);
    this.pendingBytes = bytes.byteLength;
  }

  /** Continues the pending frame from `chunk`; returns how many bytes of the chunk it used. */
  private fillPending(chunk: Uint8Array, onEvent: (event: FrameEvent) => void): number {
    let pending = this.pending!;
    let at = 0;
    if (!this.pendingSizeKnown) {
      const take = Math.min(4 - this.pendingBytes, chunk.byteLength);
      pending.set(chunk.subarray(0, take), this.pendingBytes);
      this.pendingBytes += take;
      at = take;
      if (this.pendingBytes < 4) return at;
      const size = readInt32(pending, 0);
      if (!this.checkSize(size, onEvent)) return at;
      const grown = new Uint8Array(4 + size);
      grown.set(pending);
      pending = grown;
      this.pending = grown;
      this.pendingSizeKnown = true;
    }
    const take = Math.min(pending.byteLength - this.pendingBytes, chunk.byteLength - at);
    pending.set(chunk.subarray(at, at + take), this.pendingBytes);
    this.pendingBytes += take;
    at += take;
    if (this.pendingBytes === pending.byteLength) {
      this.pending = null;
      this.pendingBytes = 0;
      onEvent({ kind: 'frame', frame: pending.subarray(4) });
    }
    return at;
  }
}

function readInt32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) | 0;
}

/** Prepends the INT32 size to a message given as chunks (the size goes in its own 4-byte chunk). */
export function frameChunks(message: readonly Uint8Array[]): Uint8Array[] {
  let size = 0;
  for (const chunk of message) size += chunk.byteLength;
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setInt32(0, size);
  return [prefix, ...message];
}
