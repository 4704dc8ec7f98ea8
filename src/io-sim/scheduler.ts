import { assert } from '../core/assert.ts';

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

  constructor(
    /** Moved later only while its owner is paused. */
    public timeMs: number,
    readonly seq: number,
    readonly owner: EventOwner,
    readonly fn: () => void,
    readonly kind: string,
    readonly bytes: number,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

/**
 * A discrete-event queue ordered by (virtual time, insertion sequence). Two events due at the same
 * time fire in the order they were scheduled, so the order never depends on anything but the
 * program and the seed. A binary heap keeps insert and pop at O(log n).
 */
export class Scheduler {
  private readonly heap: SimEvent[] = [];
  private seqNext = 0;
  private nowMsValue = 0;

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
    assert(Number.isFinite(delayMs) && delayMs >= 0, `event delay ${delayMs}`);
    const event = new SimEvent(this.nowMsValue + delayMs, this.seqNext++, owner, fn, kind, bytes);
    this.push(event);
    return event;
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

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private push(event: SimEvent): void {
    const heap = this.heap;
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
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
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
    return top;
  }
}
