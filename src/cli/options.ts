/** Option parsers and shared options of the client commands (`topics`, `groups`, `produce`, `consume`). */
import { InvalidArgumentError, type Command } from 'commander';
import { bootstrapHelp } from './admin-client.ts';
import { ExitStatus } from './cli-error.ts';

/**
 * Adds `--bootstrap` to a client command, and makes what commander rejects (an unknown option, a
 * missing argument, a bad number) exit with the usage status 2, like the command's own checks.
 */
export function withBootstrap(command: Command): Command {
  return command
    .option('--bootstrap <host:port,...>', bootstrapHelp)
    .exitOverride((error) => process.exit(error.exitCode === 0 ? ExitStatus.OK : ExitStatus.USAGE));
}

/** A commander parser for an integer in [min, max]. */
export function integerOption(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** A commander parser for an INT64 offset (0 or more). */
export function offsetOption(text: string): bigint {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError('expected an offset, 0 or more');
  return BigInt(text.trim());
}

/** A commander collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
