import { parentPort } from 'node:worker_threads';
import { assert } from '../src/core/assert.ts';
import { runOne, type RunOutcome, type RunRequest } from './runner.ts';

/** What a sweep worker answers for each request: the outcome, or why runOne threw. */
export type SweepWorkerReply = { outcome: RunOutcome } | { error: string };

/**
 * A sweep's worker thread: runs one seed per request with runOne, exactly as the main thread would,
 * and posts the outcome back. The pool sends the next request only after the answer, so nothing
 * real (no message) arrives on this thread while a simulation runs.
 */
const port = parentPort;
assert(port !== null, 'sweep-worker.ts runs only as a worker thread (sim/sweep-pool.ts)');
port.on('message', (request: RunRequest) => {
  void answer(request);
});

async function answer(request: RunRequest): Promise<void> {
  let reply: SweepWorkerReply;
  try {
    reply = { outcome: await runOne(request) };
  } catch (error) {
    reply = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port!.postMessage(reply);
}
