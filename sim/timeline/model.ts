/**
 * The data of a run's timeline page (`sim --html`): plain JSON, embedded in the page, which draws it.
 * Times are virtual milliseconds from the start of the run.
 */

export interface TimelineHeader {
  readonly scenario: string;
  readonly seed: number;
  readonly nodes: number;
  readonly traceHash: string;
  readonly verdict: 'PASS' | 'FAIL';
  readonly virtualMs: number;
  readonly events: number;
  /** The command that reproduces the run (and this page). */
  readonly command: string;
}

/** A stretch of one role in one epoch (and detail) of a node's track. */
export interface Segment {
  readonly startMs: number;
  endMs: number;
  readonly role: string;
  readonly epoch: number | null;
  readonly detail: string;
}

export interface Track {
  /** `raft`, or a partition (`events-0`). */
  readonly name: string;
  readonly segments: readonly Segment[];
  /** Numbers over time (`leo`, `hw`), as [timeMs, value] from where they changed; a null value starts a gap (the replica was gone). */
  readonly series: readonly { readonly name: string; readonly points: readonly (readonly [number, number | null])[] }[];
}

export interface Lane {
  readonly name: string;
  /** A workload client (no faults, no state), drawn after the nodes. */
  readonly client: boolean;
  readonly tracks: readonly Track[];
}

/** A fault that lasts: a node down, stopping, partitioned, slowed, full. */
export interface Band {
  /** The number of the `Fault...` trace line that opened it (counting from 0). */
  readonly id: number;
  readonly lane: string;
  readonly kind: 'down' | 'stopping' | 'partition' | 'slow-link' | 'disk-slow' | 'disk-full';
  readonly startMs: number;
  endMs: number;
  /** Still going when the run ended. */
  open: boolean;
  readonly label: string;
}

/** A moment: a one-off fault (id of its `Fault...` line), a delivered fsync failure, a warning or error line (id -1). */
export interface Mark {
  readonly id: number;
  /** null: not one node's (the whole network). */
  readonly lane: string | null;
  readonly kind: string;
  readonly atMs: number;
  readonly label: string;
}

/** [slice index, sent, completed ok, completed unknown, completed failed] */
export type OpBin = [number, number, number, number, number];

/** One client's operations of one kind, counted per time slice of `binMs`. */
export interface OpStrip {
  readonly process: string;
  readonly kind: string;
  readonly binMs: number;
  readonly bins: OpBin[];
  sent: number;
  ok: number;
  info: number;
  fail: number;
}

export interface Finding {
  readonly atMs: number;
  /** False when the checker gave no time: it is then marked at the end of the run. */
  readonly timeKnown: boolean;
  readonly text: string;
}

export interface TimelineData {
  readonly header: TimelineHeader;
  readonly endMs: number;
  readonly lanes: readonly Lane[];
  readonly bands: readonly Band[];
  readonly marks: readonly Mark[];
  /** Trace lines per `Fault...` event name: every fault injected. */
  readonly faultCounts: Readonly<Record<string, number>>;
  readonly ops: readonly OpStrip[];
  readonly findings: readonly Finding[];
  /** What was left out or thinned to keep the page small. */
  readonly notes: readonly string[];
}
