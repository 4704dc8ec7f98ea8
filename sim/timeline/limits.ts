import { assert } from '../../src/core/assert.ts';

/**
 * What keeps a timeline page small (a 3-node cluster seed, about 9 s of virtual time, is the case
 * it is sized for): the clients' operations are counted in time slices, number series are thinned,
 * warnings and errors past a count are only counted.
 */
export const timelineLimits = {
  /** Time slices of each client's operation strip. */
  opBins: 600,
  /** Points kept per number series (log end offset, high watermark of one replica). */
  seriesPointsMax: 400,
  /** Warning and error lines (and fault marks) shown as marks; the rest are counted in a note. */
  logMarksMax: 3000,
  /** Characters of a mark's label. */
  labelCharsMax: 240,
} as const;

assert(timelineLimits.opBins >= 100 && timelineLimits.seriesPointsMax >= timelineLimits.opBins / 2, 'a strip and a series resolve time about alike');
