/**
 * How a broker process is started, wherever it is started: `npm start`, the `chronik` executable's
 * first line, `chronik cluster up`, and the chaos tests and benches (chaos/broker-process.ts). The
 * first two cannot import this file; process-tuning.test.ts holds them to it.
 *
 * - `--initial-old-space-size=256`: a broker keeps each request's bytes until its fsync, which with
 *   V8's small default old generation meant a 7-26 ms mark-compact every few hundred ms under load.
 * - glibc malloc thresholds: every request, fetch response and log read of a MB or more is a fresh
 *   buffer. By default glibc maps each one anew and unmaps it when freed, so the kernel zeroes and
 *   faults in every page again: copying a produce request into its frame cost 2.5-3.2 ms per MB on
 *   this project's machine, against 0.3 ms into memory in use before. Serving such blocks from the
 *   heap (below 32 MiB, the most mallopt(3) takes on 64-bit) and keeping up to 256 MiB of freed heap
 *   makes them reuse warm pages; the threshold alone does not (the trim threshold must be set too). A
 *   3-node RF=3 cluster's followers use about a quarter less CPU with it (docs/benchmarks.md). The
 *   cost: a broker keeps up to 256 MiB of freed heap instead of returning it to the system.
 */
export const brokerNodeFlags: readonly string[] = ['--initial-old-space-size=256'];

export const brokerMallocEnv: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024),
};
