import type { Clock } from './clock.ts';
import type { Disk } from './disk.ts';
import type { Log } from './log.ts';
import type { Network } from './network.ts';
import type { Buggify, Coverage } from './probes.ts';
import type { Random } from './random.ts';

export * from './clock.ts';
export * from './disk.ts';
export * from './log.ts';
export * from './network.ts';
export * from './probes.ts';
export * from './random.ts';
export * from './seeded-random.ts';
export * from './whole-file.ts';

/**
 * Everything a node's logic may use to touch the world. Production builds one from src/io-real;
 * the simulator builds one per simulated node from src/io-sim. The signatures are identical, so the
 * same core code runs in both.
 */
export interface Io {
  readonly clock: Clock;
  readonly disk: Disk;
  readonly net: Network;
  readonly random: Random;
  readonly log: Log;
  /** Coverage marks (probes.ts): counted by the simulator, absent in production. */
  readonly coverage?: Coverage;
  /** BUGGIFY points (probes.ts): decided by the simulator, absent in production (never fire). */
  readonly buggify?: Buggify;
}
