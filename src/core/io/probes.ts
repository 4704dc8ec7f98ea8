/**
 * Probes: what lets a simulator see and steer rare paths in core, and does nothing in production.
 *
 * - Coverage marks (Antithesis' "sometimes" assertions): core names a rare state where only it can
 *   see it (`reached(probes, 'log.fsync-failed-with-waiters')`). The simulator counts the marks of
 *   each run; its sweeps fail when a state a scenario targets was never reached, so a fault plan
 *   that quietly stops reaching a state shows up as a failure instead of as a green run that tested
 *   less. A crash window (`crashWindow(probes, name)`) names a state that lasts ("a group commit with
 *   acks pending"): if the node crashes before the window is closed, the crash counts as `name`.
 * - BUGGIFY points (FoundationDB): `buggify(probes, name, probability)` is true when core should take
 *   a rare but legal path (a smaller group commit, an early timer, a dropped heartbeat). Only the
 *   simulator ever answers true: it enables each point or not per run, from the seed, and an enabled
 *   point fires with the given probability, drawn from the point's own named stream. Every path taken
 *   this way must be one the real world can produce: a point never breaks a guarantee.
 *
 * Marks must not change what a run does: no events, no random draws, no trace lines (the simulator's
 * trace hash is the same with or without them). Production leaves both fields of `Io` undefined.
 */

/** Counts named rare states. */
export interface Coverage {
  /** The named state was reached now. */
  reached(name: string): void;
  /**
   * Opens a window: if this node crashes before the returned function is called, the crash counts as
   * reaching `name`. Calling the returned function twice is harmless.
   */
  crashWindow(name: string): () => void;
}

/** Decides whether a BUGGIFY point fires. */
export interface Buggify {
  /** True when the point `name` takes its rare path now (it fires with `probability` when enabled for the run). */
  fires(name: string, probability: number): boolean;
}

/** The optional probes of an Io, or of a pure state machine handed them by its driver. */
export interface Probes {
  readonly coverage?: Coverage;
  readonly buggify?: Buggify;
}

const closed = (): void => undefined;

/** Marks the named rare state as reached (nothing in production). */
export function reached(probes: Probes | undefined, name: string): void {
  probes?.coverage?.reached(name);
}

/** Opens a crash window (see Coverage.crashWindow); the returned function closes it. */
export function crashWindow(probes: Probes | undefined, name: string): () => void {
  return probes?.coverage?.crashWindow(name) ?? closed;
}

/**
 * True when the BUGGIFY point `name` fires now: only in the simulator, only in runs that enabled the
 * point, then with `probability`. Each firing is counted as the coverage state `buggify.<name>`.
 */
export function buggify(probes: Probes | undefined, name: string, probability: number): boolean {
  const buggify = probes?.buggify;
  if (buggify === undefined || !buggify.fires(name, probability)) return false;
  reached(probes, `buggify.${name}`);
  return true;
}
