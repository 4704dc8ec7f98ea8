/**
 * Runs the `chronik` command as a real child process (`node src/cli/chronik.js ...`, the executable
 * npm installs), the way a user does, for the tests of the client commands. Every run has a bounded wait and is
 * killed by its own PID when it overruns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's standard input, which is then closed. */
  readonly input?: string;
  /** Added to (and overriding) this process's environment; undefined removes a variable. */
  readonly env?: Record<string, string | undefined>;
  /** Killed with SIGKILL after this long (default 120 s, far above what any command takes). */
  readonly timeoutMs?: number;
}

/** A running `chronik` process, its output so far, and its exit. */
export class ChronikProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CommandResult>;

  constructor(
    readonly child: ChildProcess,
    timeoutMs: number,
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid!, signal);
  }
}

export function startChronik(args: readonly string[], options: RunOptions = {}): ChronikProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [name, value] of Object.entries(options.env ?? {})) if (value === undefined) delete env[name];
  const child = spawn(process.execPath, ['src/cli/chronik.js', ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(options.input ?? '');
  return new ChronikProcess(child, options.timeoutMs ?? 120_000);
}

export function runChronik(args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return startChronik(args, options).exited;
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

let hereQueue: Promise<unknown> = Promise.resolve();

/**
 * Runs a `topics` or `groups` command inside this process: the same commander program and command
 * code as the `chronik` executable, without the second of CPU a new node process with tsx costs.
 * For commands whose process boundary (exit status, output streams) other runChronik runs in the
 * same file cover already. Standard output is what the command logs, standard error what it writes
 * there; runs are serialized, since the capture is process-wide. Not for arguments that commander
 * itself refuses: its usage errors exit the process.
 */
export function runChronikHere(args: readonly string[]): Promise<CommandResult> {
  const run = hereQueue.then(() => runHere(args));
  hereQueue = run.catch(() => undefined);
  return run;
}

async function runHere(args: readonly string[]): Promise<CommandResult> {
  if (args[0] !== 'topics' && args[0] !== 'groups') throw new Error(`runChronikHere runs topics and groups commands, not '${args[0]}'`);
  const { buildClientProgram } = await import('../cli/client-commands.ts');
  let stdout = '';
  let stderr = '';
  const saved = { log: console.log, error: console.error, write: process.stderr.write, exitCode: process.exitCode };
  console.log = (...parts: unknown[]) => void (stdout += `${format(...parts)}\n`);
  console.error = (...parts: unknown[]) => void (stderr += `${format(...parts)}\n`);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await buildClientProgram().parseAsync(['node', 'chronik', ...args]);
    return { status: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.stderr.write = saved.write;
    process.exitCode = saved.exitCode;
  }
}
