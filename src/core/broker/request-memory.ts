/**
 * The broker-wide budget for request bytes held in memory, shared by every connection: bytes read
 * from a connection (a partial frame in its decoder, whole frames parked or in flight) count from the
 * moment they are read until their request is answered (acks=0: appended) or their connection is
 * gone. The budget only decides who may read; it never refuses or drops a request.
 *
 * When the total reaches `heldBytesMax`, a connection that has a request in flight or parked stops
 * reading and waits here (BrokerConnection decides); once the total drops below the budget every
 * waiting connection is woken, in the order they started waiting, and reads again until the total
 * reaches the budget once more. A connection with nothing in flight or parked never waits, so a
 * frame larger than what is left of the budget still gets in: the total can pass the budget by at
 * most one partial frame (requestBytesMax) per such connection, plus one chunk per woken connection.
 */
import { assert } from '../assert.ts';

/** What tests, benchmarks and operators can read about request memory (Broker.requestMemory()). */
export interface RequestMemoryStats {
  /** Request bytes held now, across connections. */
  readonly heldBytes: number;
  /** The most ever held at once. */
  readonly heldBytesPeak: number;
  /** The budget. */
  readonly heldBytesMax: number;
  /** The most bytes ever parked on one connection at once. */
  readonly parkedBytesPeak: number;
  /** Connections waiting for the budget now. */
  readonly connectionsWaiting: number;
  /** Times a connection stopped reading (for the budget or for its own parking limit). */
  readonly readingPausesTotal: number;
}

export class RequestMemory {
  private held = 0;
  private heldPeak = 0;
  private parkedPeak = 0;
  private pauses = 0;
  /** Connection id to its wake-up; insertion order is the order they started waiting. */
  private readonly waiting = new Map<string, () => void>();

  constructor(readonly heldBytesMax: number) {
    assert(Number.isInteger(heldBytesMax) && heldBytesMax > 0, 'request memory: heldBytesMax positive');
  }

  /** True while the total is at or above the budget. */
  get exhausted(): boolean {
    return this.held >= this.heldBytesMax;
  }

  stats(): RequestMemoryStats {
    return {
      heldBytes: this.held,
      heldBytesPeak: this.heldPeak,
      heldBytesMax: this.heldBytesMax,
      parkedBytesPeak: this.parkedPeak,
      connectionsWaiting: this.waiting.size,
      readingPausesTotal: this.pauses,
    };
  }

  acquire(bytes: number): void {
    assert(bytes >= 0, 'request memory: acquire a non-negative amount');
    this.held += bytes;
    if (this.held > this.heldPeak) this.heldPeak = this.held;
  }

  /** Gives bytes back; below the budget, wakes every waiting connection in the order they waited. */
  release(bytes: number): void {
    assert(bytes >= 0 && bytes <= this.held, 'request memory: release no more than is held');
    this.held -= bytes;
    if (this.exhausted || this.waiting.size === 0) return;
    const woken = [...this.waiting.values()];
    this.waiting.clear();
    for (const wake of woken) wake();
  }

  /** Registers a connection that stopped reading for the budget; a second call keeps its place. */
  wait(connectionId: string, wake: () => void): void {
    if (!this.waiting.has(connectionId)) this.waiting.set(connectionId, wake);
  }

  /** The connection no longer waits (it drained, or closed). */
  leave(connectionId: string): void {
    this.waiting.delete(connectionId);
  }

  noteParked(bytes: number): void {
    if (bytes > this.parkedPeak) this.parkedPeak = bytes;
  }

  notePause(): void {
    this.pauses++;
  }
}
