import { assert, assertionFailed } from '../core/assert.ts';

/** Who an event belongs to: a node incarnation (dropped when that incarnation dies) or the world. */
export interface EventOwner {
  /** Stable across runs of a seed (`n1/2`: node n1, incarnation 2; `world`); hashed with each event. */
  readonly name: string;
  /** True while the owner is alive; a dead owner's events are skipped when they come due. */
  alive(): boolean;
  /**
   * While virtual time is below this, the owner is paused (a process frozen, as by SIGSTOP or a long
   * GC): its events that come due wait until then, and then fire in their original order.
   */
  pausedUntilMs?(): number;
}

export const worldOwner: EventOwner = { name: 'world', alive: () => true };

/**
 * Told of every event as it fires (before it runs): its kind, virtual time, owner, bytes and
 * insertion sequence number. The simulation hashes these into the trace.
 */
export type FireListener = (kind: string, timeMs: number, owner: string, bytes: number, seq: number) => void;

export interface ScheduledEvent {
  cancel(): void;
}

/** A queued event; it is its own handle (a class, so that scheduling allocates no closure). */
class SimEvent implements ScheduledEvent {
  cancelled = false;
  /** In the queue's heap (false once popped): only a queued event's cancel is counted. */
  queued = false;

  constructor(
    private readonly queue: Scheduler,
    /** Moved later only while its owner is paused. */
    public timeMs: number,
    readonly seq: number,
    readonly owner: EventOwner,
    readonly fn: () => void,
    readonly kind: string,
    readonly bytes: number,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    if (this.queued) this.queue.cancelledQueued++;
  }
}

/** The heap is rebuilt without its cancelled events once they are at least this many and half of it. */
const compactCancelledMin = 64;

/**
 * A discrete-event queue ordered by (virtual time, insertion sequence). Two events due at the same
 * time fire in the order they were scheduled, so the order never depends on anything but the
 * program and the seed. A binary heap keeps insert and pop at O(log n).
 */
export class Scheduler {
  private heap: SimEvent[] = [];
  private seqNext = 0;
  private nowMsValue = 0;
  /**
   * Cancelled events still in the heap. Most timers are cancelled long before they come due (request
   * and session timeouts): a cluster seed's heap held about 1,000 events of which 90% were, and each
   * push and pop paid for them. They leave the heap in one pass when they are half of it; the order
   * events fire in is (time, seq) whatever the heap's layout, so the trace does not change.
   */
  cancelledQueued = 0;

  constructor(private readonly onFire: FireListener | null = null) {}

  nowMs(): number {
    return this.nowMsValue;
  }

  /**
   * Schedules `fn` after `delayMs` of virtual time. `kind` is a short stable label of what the event
   * is (`timer`, `disk.write`, `net.data`, ...) and `bytes` how many bytes it moves (0 when none):
   * both are hashed into the trace when the event fires.
   */
  schedule(delayMs: number, owner: EventOwner, fn: () => void, kind: string, bytes = 0): ScheduledEvent {
    if (!(Number.isFinite(delayMs) && delayMs >= 0)) assertionFailed(`event delay ${delayMs}`);
    const event = new SimEvent(this, this.nowMsValue + delayMs, this.seqNext++, owner, fn, kind, bytes);
    if (this.cancelledQueued >= compactCancelledMin && 2 * this.cancelledQueued >= this.heap.length) this.compact();
    this.push(event);
    return event;
  }

  /** Events in the heap, cancelled ones not yet dropped included (for tests). */
  queuedCount(): number {
    return this.heap.length;
  }

  /** Time of the next live event, or undefined when none is left. */
  peekTimeMs(): number | undefined {
    this.dropDead();
    return this.heap[0]?.timeMs;
  }

  /** Removes the next live event, advances time to it, tells the fire listener, and returns its callback. */
  popDue(): (() => void) | undefined {
    this.dropDead();
    const event = this.pop();
    if (event === undefined) return undefined;
    assert(event.timeMs >= this.nowMsValue, 'time never runs backwards');
    this.nowMsValue = event.timeMs;
    this.onFire?.(event.kind, event.timeMs, event.owner.name, event.bytes, event.seq);
    return event.fn;
  }

  /** Moves time forward to `timeMs` without firing anything (used when a run stops at a deadline). */
  advanceTo(timeMs: number): void {
    assert(timeMs >= this.nowMsValue, 'time never runs backwards');
    this.nowMsValue = timeMs;
  }

  /** Drops dead and cancelled events off the head, and moves a paused owner's events to its resume time. */
  private dropDead(): void {
    while (this.heap.length > 0) {
      const head = this.heap[0]!;
      if (head.cancelled || !head.owner.alive()) {
        this.pop();
        continue;
      }
      const resumeMs = head.owner.pausedUntilMs?.() ?? 0;
      if (resumeMs <= head.timeMs) return;
      this.pop();
      head.timeMs = resumeMs;
      this.push(head);
    }
  }

  /** Drops every cancelled event and restores the heap property bottom-up (Floyd). */
  private compact(): void {
    const kept: SimEvent[] = [];
    for (const event of this.heap) {
      if (event.cancelled) event.queued = false;
      else kept.push(event);
    }
    this.heap = kept;
    this.cancelledQueued = 0;
    for (let i = (kept.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
    event.queued = true;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (!this.less(event, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top !== undefined) {
      top.queued = false;
      if (top.cancelled) this.cancelledQueued--;
    }
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    this.siftDown(0);
    return top;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      const below = heap[smallest]!;
      heap[smallest] = heap[i]!;
      heap[i] = below;
      i = smallest;
    }
  }
}
