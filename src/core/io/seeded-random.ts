import seedrandom from 'seedrandom';
import { assertionFailed } from '../assert.ts';
import type { Random } from './random.ts';

/**
 * A Random over seedrandom's xor4096 generator. The seed is a string; `fork(name)` derives an
 * independent stream from `${seed}/${name}`, so a sub-stream's draws depend only on the root seed
 * and its name, never on how many draws other streams made. The simulator seeds it from the run's
 * seed; production seeds it from the operating system (src/io-real).
 */
export class SeededRandom implements Random {
  private readonly prng: seedrandom.StatefulPRNG<seedrandom.State.Xor4096>;

  constructor(readonly seed: string) {
    // `state: true` only adds prng.state() (a copy of the generator's state); draws are unchanged.
    this.prng = seedrandom.xor4096(seed, { state: true });
  }

  /**
   * The value next() would return, without drawing it: a copy of the generator draws instead. The
   * simulator folds it into the trace hash at the end of a run (FoundationDB's "unseed" check).
   */
  peekNext(): number {
    return seedrandom.xor4096('', { state: this.prng.state() }).double();
  }

  next(): number {
    return this.prng.double();
  }

  int(maxExclusive: number): number {
    if (!(Number.isInteger(maxExclusive) && maxExclusive > 0)) assertionFailed(`int() bound ${maxExclusive}`);
    return Math.floor(this.prng.double() * maxExclusive);
  }

  between(min: number, max: number): number {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min <= max)) assertionFailed(`between(${min}, ${max})`);
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.prng.double() < p;
  }

  fork(name: string): SeededRandom {
    return new SeededRandom(`${this.seed}/${name}`);
  }
}
