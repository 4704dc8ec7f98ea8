import fc from 'fast-check';

/**
 * Vitest setup file: replays every fast-check property under one chosen seed.
 *
 *   FC_SEED=-1590709538 npx vitest run src/core/group/offset-store.test.ts
 *
 * `FC_SEED` (a 32-bit integer) becomes fast-check's global seed; `FC_NUM_RUNS` (a positive
 * integer) its global run count. A test's own `fc.assert(..., { numRuns })` wins over the global
 * run count, and a test that passes its own `seed` keeps it (fast-check lets local options win).
 * Unset, fast-check draws a random seed and prints seed and path on a failure, as usual.
 * A value that is set but not a number is an error, not silently ignored.
 */
export function fastCheckGlobalsFromEnv(env: NodeJS.ProcessEnv): fc.GlobalParameters {
  const parameters: fc.GlobalParameters = {};
  const seed = env['FC_SEED'];
  if (seed !== undefined && seed !== '') {
    if (!/^-?\d+$/.test(seed) || Number(seed) < -(2 ** 31) || Number(seed) >= 2 ** 32) {
      throw new Error(`FC_SEED=${seed}: expected an integer in [-2^31, 2^32)`);
    }
    parameters.seed = Number(seed);
  }
  const numRuns = env['FC_NUM_RUNS'];
  if (numRuns !== undefined && numRuns !== '') {
    if (!/^\d+$/.test(numRuns) || Number(numRuns) < 1) throw new Error(`FC_NUM_RUNS=${numRuns}: expected a positive integer`);
    parameters.numRuns = Number(numRuns);
  }
  return parameters;
}

fc.configureGlobal({ ...fc.readConfigureGlobal(), ...fastCheckGlobalsFromEnv(process.env) });
