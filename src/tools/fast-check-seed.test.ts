import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastCheckGlobalsFromEnv } from './fast-check-seed.ts';

describe('FC_SEED / FC_NUM_RUNS', () => {
  it('become fast-check global parameters; unset or empty leaves fast-check alone', () => {
    expect(fastCheckGlobalsFromEnv({})).toEqual({});
    expect(fastCheckGlobalsFromEnv({ FC_SEED: '', FC_NUM_RUNS: '' })).toEqual({});
    expect(fastCheckGlobalsFromEnv({ FC_SEED: '-1590709538', FC_NUM_RUNS: '7' })).toEqual({ seed: -1590709538, numRuns: 7 });
  });

  it('a value that is not a number is an error, not ignored', () => {
    expect(() => fastCheckGlobalsFromEnv({ FC_SEED: 'abc' })).toThrow('FC_SEED=abc: expected an integer');
    expect(() => fastCheckGlobalsFromEnv({ FC_SEED: '1e3' })).toThrow('FC_SEED=1e3');
    expect(() => fastCheckGlobalsFromEnv({ FC_SEED: String(2 ** 32) })).toThrow('FC_SEED=');
    expect(() => fastCheckGlobalsFromEnv({ FC_NUM_RUNS: '0' })).toThrow('FC_NUM_RUNS=0: expected a positive integer');
  });

  it('the setup file hands FC_SEED to every property (the seed a failure reports)', () => {
    const seed = fc.readConfigureGlobal().seed;
    if (process.env['FC_SEED'] === undefined || process.env['FC_SEED'] === '') {
      expect(seed).toBeUndefined();
    } else {
      expect(seed).toBe(Number(process.env['FC_SEED']));
      const details = fc.check(fc.property(fc.nat(), () => false));
      expect(details.seed).toBe(seed);
    }
  });
});
