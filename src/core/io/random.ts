/**
 * Randomness, injected. In the simulator every draw derives from the run's seed; production seeds
 * from the operating system. Sub-streams (`fork`) are derived by name, so that adding a draw in one
 * component does not reshuffle the choices of every other one.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** An independent stream derived from this one's seed and `name`. */
  fork(name: string): Random;
}
