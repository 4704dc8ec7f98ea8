/**
 * How the client commands (`topics`, `groups`, `produce`, `consume`) fail: one line on stderr,
 * never a stack trace, and an exit status that says whose fault it was.
 *
 * Exit status: 0 success; 1 the broker refused, could not be reached, or the operation failed;
 * 2 a wrong option or argument (commander's own usage errors too: see withBootstrap).
 */
import { errorCodeName } from '../core/protocol/index.ts';

export const ExitStatus = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** An error the user can act on; `message` is the whole line printed after `chronik <command>: `. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitStatus: number = ExitStatus.FAILED,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitStatus.USAGE);
}

/** A Kafka error code in a broker's answer, with the broker's own message when it sent one. */
export function brokerError(what: string, errorCode: number, errorMessage: string | null = null): CliError {
  const detail = errorMessage !== null && errorMessage.length > 0 ? `: ${errorMessage}` : '';
  return new CliError(`${what}: the broker answered ${errorCodeName(errorCode)} (${errorCode})${detail}`);
}

/**
 * Runs a command's body and turns any failure into one line on stderr and a non-zero exit status.
 * `explain` may turn a library's error (kafkajs) into a CliError first.
 */
export async function runClientCommand(command: string, body: () => Promise<void>, explain: (error: unknown) => CliError | null = () => null): Promise<void> {
  try {
    await body();
  } catch (error) {
    const known = error instanceof CliError ? error : explain(error);
    const line = known?.message ?? `unexpected failure: ${oneLine(error)}`;
    process.stderr.write(`chronik ${command}: ${line}\n`);
    process.exitCode = known?.exitStatus ?? ExitStatus.FAILED;
  }
}

/** The first line of an error's message (never its stack). */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}
