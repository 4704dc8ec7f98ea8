import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'sim/**/*.test.ts', 'chaos/**/*.test.ts'],
    setupFiles: ['./src/tools/fast-check-seed.ts'],
    reporters: ['default', './src/tools/summary-reporter.ts'],
    // No test may depend on the machine's speed. Seed sweeps are sized by seeds and carry no
    // wall-clock limit at all ({ timeout: 0 }, sim/sweep-timeout.ts); every other test gets 300 s,
    // at least 5x the slowest of them takes on a 2-core machine with the other core busy.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Three files at once on 2 cores: the real-process tests spend much of their time waiting on
    // their brokers and clients, so a third fork uses what they leave (measured: 345 s with 2, 295 s with 3).
    pool: 'forks',
    // One GC thread per fork: the suite keeps both cores busy, and V8's parallel scavenger spent
    // CPU on helper threads that the other forks needed (a cluster sweep: 5-10% less CPU).
    poolOptions: { forks: { maxForks: 3, minForks: 1, execArgv: ['--single-threaded-gc'] } },
  },
});
