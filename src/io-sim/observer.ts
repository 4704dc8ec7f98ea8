import type { TraceEvent } from './trace.ts';

/**
 * One look at one piece of a node's state, for a run's timeline: on node `node`'s lane, row
 * `track` (`raft`, `events-0`), the role it plays (`leader`, `follower`, ...) with its epoch (Raft
 * term, partition leader epoch), a short detail, and numbers worth plotting (log end offset, high
 * watermark). A timeline starts a new segment of the row when the role, epoch or detail changes.
 */
export interface StateSample {
  readonly node: string;
  readonly track: string;
  readonly role: string;
  readonly epoch?: number;
  readonly detail?: string;
  readonly values?: Readonly<Record<string, number>>;
}

/** What a scenario hands the simulation to be looked at between events: every piece of state it wants on the timeline, now. */
export type StateSampler = () => readonly StateSample[];

/**
 * Watches a run without changing it (the timeline of `sim --html`): it sees every trace line as it
 * is hashed and, after every event, what the scenario's sampler reports. It must add no event, draw
 * no randomness and write no trace, so a run's trace hash is the same with or without it.
 */
export interface SimObserver {
  traced(event: TraceEvent): void;
  sampled(atMs: number, samples: readonly StateSample[]): void;
}
