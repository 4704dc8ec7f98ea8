import { Worker } from 'node:worker_threads';
import { assert } from '../src/core/assert.ts';
import type { RunOutcome, RunRequest } from './runner.ts';
import type { SeedRunner } from './sweep.ts';
import type { SweepWorkerReply } from './sweep-worker.ts';

/** The most worker threads a sweep may start (`--jobs`): beyond the cores they only share them. */
export const sweepJobsMax = 64;

const workerEntry = new URL('./sweep-worker-boot.mjs', import.meta.url);

/**
 * Worker threads for a parallel sweep (`--jobs N`), one lane each. A thread has its own event loop,
 * microtask queue and module instances, so a seed runs in it exactly as on the main thread: runOne
 * with nothing else pending (sim/sweep-worker.ts). Threads rather than child processes: they start
 * faster, and a terminal's Ctrl-C reaches only the main thread, which stops them (close()).
 */
export class SweepPool {
  private readonly workers: SweepWorker[];

  constructor(jobs: number) {
    assert(Number.isInteger(jobs) && jobs >= 1 && jobs <= sweepJobsMax, `a sweep pool has 1 to ${sweepJobsMax} workers, got ${jobs}`);
    this.workers = Array.from({ length: jobs }, (_, index) => new SweepWorker(index + 1));
  }

  /** One runner per worker: a sweep runs one seed at a time on each. */
  get runners(): SeedRunner[] {
    return this.workers.map((worker) => (request: RunRequest) => worker.run(request));
  }

  /** Stops every worker, mid-run or idle; a run in flight is rejected. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

class SweepWorker {
  private readonly worker: Worker;
  private pending: { seed: number; resolve: (outcome: RunOutcome) => void; reject: (error: Error) => void } | null = null;
  private exited = false;

  constructor(private readonly id: number) {
    // No inherited flags: the entry registers tsx itself, whatever loaded it in this process.
    this.worker = new Worker(workerEntry, { execArgv: [] });
    this.worker.on('message', (reply: SweepWorkerReply) => this.answer(reply));
    this.worker.on('error', (error: Error) => this.fail(`failed: ${error.stack ?? error.message}`));
    this.worker.on('exit', (code: number) => {
      this.exited = true;
      this.fail(`exited (code ${code})`);
    });
  }

  run(request: RunRequest): Promise<RunOutcome> {
    assert(this.pending === null, 'a sweep worker runs one seed at a time');
    assert(request.beforeRun === undefined && request.traceFile === undefined, 'a worker takes a request of plain data: no beforeRun hook, no trace file');
    if (this.exited) return Promise.reject(new Error(`sweep worker ${this.id} has exited; seed ${request.seed} not run`));
    return new Promise((resolve, reject) => {
      this.pending = { seed: request.seed, resolve, reject };
      this.worker.postMessage(request);
    });
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private answer(reply: SweepWorkerReply): void {
    const pending = this.pending;
    assert(pending !== null, `sweep worker ${this.id} answered a request it was not given`);
    this.pending = null;
    if ('outcome' in reply) pending.resolve(reply.outcome);
    else pending.reject(new Error(`seed ${pending.seed} threw in sweep worker ${this.id}: ${reply.error}`));
  }

  private fail(what: string): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    pending.reject(new Error(`sweep worker ${this.id} ${what} while running seed ${pending.seed}`));
  }
}
