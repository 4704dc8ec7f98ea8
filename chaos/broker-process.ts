import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokerMallocEnv, brokerNodeFlags } from '../src/cli/process-tuning.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tempDataDir(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `chronik-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Broker processes this process started and that have not exited. If this process ends without
 * stopping them (a test or bench that threw past its cleanup), they are killed as it exits rather
 * than left running with nobody to stop them (one such broker ran for half an hour once).
 */
const running = new Set<ChildProcess>();
let killOnExitInstalled = false;

function killRunningOnExit(): void {
  if (killOnExitInstalled) return;
  killOnExitInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * A real broker process (`chronik start`) on 127.0.0.1, for tests with real clients and real
 * signals. It is always started with a bounded wait and stopped by PID (never by name).
 */
export class BrokerProcess {
  readonly output: string[] = [];
  /** Set once it was sent a signal that ends it (SIGKILL, SIGTERM, SIGINT): an exit after that is ours. */
  private endSignalled = false;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
  ) {
    running.add(child);
    killRunningOnExit();
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
      if (this.output.length > 5000) this.output.splice(0, this.output.length - 5000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** `ready` says which line of output means the broker serves (default: the JSON `BrokerStarted` line). */
  static async start(options: {
    dataDir: string;
    port?: number;
    args?: string[];
    startTimeoutMs?: number;
    ready?: (line: string) => boolean;
    /** Added to this process's environment (e.g. a test-only switch). */
    env?: Record<string, string>;
  }): Promise<BrokerProcess> {
    // A port freePort() found free can be taken before the broker binds it (another test's client
    // gets it as its ephemeral port). When the port is ours to choose, such a start is tried again
    // on another port; a port the caller chose fails at once.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        return await BrokerProcess.startOn(port, options);
      } catch (error) {
        const taken = String(error).includes(`127.0.0.1:${port}`) && String(error).includes('address already in use');
        if (options.port !== undefined || !taken || attempt === 3) throw error;
      }
    }
  }

  private static async startOn(port: number, options: Parameters<typeof BrokerProcess.start>[0]): Promise<BrokerProcess> {
    const child = spawn(
      process.execPath,
      [...brokerNodeFlags, '--import', 'tsx', 'src/cli/main.ts', 'start', '--data-dir', options.dataDir, '--listen', `127.0.0.1:${port}`, ...(options.args ?? [])],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...brokerMallocEnv, ...options.env } },
    );
    const broker = new BrokerProcess(child, port, options.dataDir);
    try {
      await broker.waitFor(options.ready ?? ((line) => line.includes('"BrokerStarted"')), options.startTimeoutMs ?? 30_000);
    } catch (error) {
      broker.kill('SIGKILL');
      throw error;
    }
    return broker;
  }

  /** Resolves when a line of output matches; rejects (with the output so far) on exit or timeout. */
  waitFor(match: (line: string) => boolean, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const line = this.output.find(match);
        if (line !== undefined) {
          clearInterval(poll);
          resolve(line);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`broker (pid ${this.pid}) did not log the expected line within ${timeoutMs} ms; output:\n${this.output.slice(-40).join('\n')}`));
        }
      }, 20);
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') this.endSignalled = true;
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal);
  }

  /** How the process ended when it ended without being told to (a crash, an exit of its own), or null. */
  exitedOnItsOwn(): { code: number | null; signal: NodeJS.Signals | null } | null {
    if (this.endSignalled || (this.child.exitCode === null && this.child.signalCode === null)) return null;
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Waits for the process to exit; kills it with SIGKILL if it takes longer than `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Graceful stop (SIGTERM), bounded; SIGKILL after the bound. */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill('SIGTERM');
    return this.waitExit(timeoutMs);
  }
}
