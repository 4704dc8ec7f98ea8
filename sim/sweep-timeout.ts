/**
 * The wall-clock limit of a seed sweep in `npm test`: none. A sweep is sized by its number of seeds,
 * and every seed ends by itself (its scenario bounds virtual time and events), so a slower machine
 * takes longer and still passes; a limit in seconds would make the result depend on the machine.
 */
export const sweepTimeout = 0;
