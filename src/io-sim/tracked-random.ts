import { SeededRandom } from '../core/io/seeded-random.ts';
import { RunHash } from './run-hash.ts';

/**
 * The simulation's random source: a SeededRandom that remembers every stream forked from it (at any
 * depth, in creation order), so that the run's "unseed" can cover all of them.
 */
export class TrackedRandom extends SeededRandom {
  private constructor(
    seed: string,
    private readonly streams: TrackedRandom[],
  ) {
    super(seed);
    streams.push(this);
  }

  static root(seed: string): TrackedRandom {
    return new TrackedRandom(seed, []);
  }

  override fork(name: string): TrackedRandom {
    return new TrackedRandom(`${this.seed}/${name}`, this.streams);
  }

  /** How many streams exist: the root and every fork made so far. */
  streamCount(): number {
    return this.streams.length;
  }

  /**
   * FoundationDB's "unseed": the next value of every stream (the root and each fork, in creation
   * order), hashed to 16 hex digits. Two runs of one seed that made the same draws agree on it; a
   * run that drew once more or once less anywhere does not. Nothing is drawn: each stream's
   * generator is copied, so calling this changes no later choice.
   */
  unseed(): string {
    const hash = new RunHash();
    for (const stream of this.streams) {
      hash.string(stream.seed);
      hash.number(stream.peekNext());
    }
    return hash.digest();
  }
}
