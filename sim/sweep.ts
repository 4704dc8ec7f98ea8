import { simExitCode } from './exit-code.ts';
import { reproduceCommand, runOne, saveCase, type RunOutcome, type RunRequest } from './runner.ts';

/** A sweep reruns every `sweepRerunEvery`-th seed of its range, counted from the first, and compares the trace hashes. */
export const sweepRerunEvery = 20;

export interface SweepRequest {
  scenario: string;
  nodes?: number;
  range: { first: number; last: number };
  save: boolean;
}

/**
 * Runs every seed of the range; reruns every 20th (the first, the 21st, ...) at once and requires
 * the same trace hash (it covers every event, every log line and the unseed). A failing seed or a
 * differing hash fails the sweep. `runSeed` is runOne, or in tests a wrapper that plants something.
 */
export async function sweepSeeds(request: SweepRequest, runSeed: (r: RunRequest) => Promise<RunOutcome> = runOne): Promise<number> {
  const { scenario, range } = request;
  const total = range.last - range.first + 1;
  const failed: RunOutcome[] = [];
  const differing: string[] = [];
  let rerun = 0;
  const startedMs = performance.now();
  let lastReportMs = startedMs;
  let virtualMs = 0;
  for (let seed = range.first; seed <= range.last; seed++) {
    const outcome = await runSeed({ scenario, seed, nodes: request.nodes });
    virtualMs += outcome.virtualMs;
    if (!outcome.ok) {
      failed.push(outcome);
      console.log(`FAIL seed ${seed}: ${outcome.failures[0] ?? ''}\n  reproduce: ${reproduceCommand(outcome)}`);
      if (request.save) console.log(`  saved as ${saveCase(outcome, new Date().toISOString())}`);
    }
    if ((seed - range.first) % sweepRerunEvery === 0) {
      rerun++;
      const again = await runSeed({ scenario, seed, nodes: request.nodes });
      virtualMs += again.virtualMs;
      if (again.traceHash !== outcome.traceHash) {
        differing.push(`seed ${seed}`);
        console.log(
          `NONDETERMINISTIC seed ${seed}: trace hash ${outcome.traceHash} on the first run, ${again.traceHash} on the rerun` +
            ` (unseed ${outcome.unseed} then ${again.unseed}; events ${outcome.events} then ${again.events})` +
            `\n  reproduce: ${reproduceCommand(outcome)} (twice; add --trace FILE --trace-events to each and diff the files)`,
        );
      }
    }
    const nowMs = performance.now();
    if (nowMs - lastReportMs > 2000 || seed === range.last) {
      lastReportMs = nowMs;
      const done = seed - range.first + 1;
      process.stderr.write(`${scenario}: ${done}/${total} seeds, ${failed.length} failed, ${((nowMs - startedMs) / 1000).toFixed(1)} s\n`);
    }
  }
  const wallMs = performance.now() - startedMs;
  console.log(`swept ${scenario} seeds ${range.first}..${range.last}: ${(virtualMs / 1000).toFixed(0)} s virtual in ${(wallMs / 1000).toFixed(1)} s wall (${(virtualMs / wallMs).toFixed(0)}x)`);
  for (const o of failed) console.log(`failing seed ${o.seed}: ${reproduceCommand(o)}`);
  const rerunWhat = `reran ${rerun} of ${total} seeds (every ${sweepRerunEvery}th from ${range.first})`;
  console.log(differing.length === 0 ? `${rerunWhat}: every trace hash matched` : `${rerunWhat}: trace hash differed for ${differing.join(', ')}`);
  console.log(`${total - failed.length} passed, ${failed.length} failed${differing.length > 0 ? `, ${differing.length} nondeterministic` : ''}`);
  return failed.length === 0 && differing.length === 0 ? simExitCode.pass : simExitCode.fail;
}
