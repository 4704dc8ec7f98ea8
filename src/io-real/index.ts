import { randomBytes } from 'node:crypto';
import type { Io } from '../core/io/index.ts';
import type { Log } from '../core/io/log.ts';
import { SeededRandom } from '../core/io/seeded-random.ts';
import { RealClock } from './real-clock.ts';
import { RealDisk } from './real-disk.ts';
import { RealNetwork } from './real-network.ts';

export { RealClock } from './real-clock.ts';
export { RealDisk } from './real-disk.ts';
export { RealNetwork } from './real-network.ts';
export { PinoLog } from './real-log.ts';

/** The production Io: real monotonic time and timers, files under `dataDir`, TCP, OS-seeded randomness. */
export function realIo(options: { dataDir: string; log: Log; seed?: string }): Io {
  return {
    clock: new RealClock(),
    disk: new RealDisk(options.dataDir),
    net: new RealNetwork(),
    random: new SeededRandom(options.seed ?? randomBytes(16).toString('hex')),
    log: options.log,
  };
}
