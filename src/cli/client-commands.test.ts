import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseBootstrap } from './admin-client.ts';
import { CliError } from './cli-error.ts';
import { buildClientProgram, clientCommandNames } from './client-commands.ts';
import { buildProgram } from './main.ts';
import { formatTable } from './table.ts';

/** The client commands' wiring (help text, --bootstrap) and their pure helpers, in process. */
const clientCommands = [...clientCommandNames];

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

describe('client command wiring', () => {
  const program = buildProgram();
  const commands = program.commands.filter((c) => clientCommands.includes(c.name()));

  it('the client-only program (the executable uses it for these commands) has the same commands', () => {
    const names = (p: Command): string[] => leaves(p).map((c) => c.parent!.name() + ' ' + c.name());
    expect(names(buildClientProgram())).toEqual(commands.flatMap(leaves).map((c) => c.parent!.name() + ' ' + c.name()));
  });

  it('registers every client command, and no `cluster` command', () => {
    expect(commands.map((c) => c.name())).toEqual(clientCommands);
    expect(leaves(program).map((c) => c.name())).toEqual(
      expect.arrayContaining(['create', 'list', 'describe', 'delete', 'alter-config', 'reset-offsets', 'produce', 'consume']),
    );
  });

  it('every client command and subcommand, argument and option has help text, and every command takes --bootstrap', () => {
    for (const command of commands.flatMap((c) => [c, ...c.commands])) {
      expect(command.description().length, command.name()).toBeGreaterThan(10);
    }
    for (const leaf of commands.flatMap(leaves)) {
      expect(leaf.options.map((o) => o.long)).toContain('--bootstrap');
      for (const option of leaf.options) expect(option.description.length, `${leaf.name()} ${option.long}`).toBeGreaterThan(10);
      for (const argument of leaf.registeredArguments) expect(argument.description.length, `${leaf.name()} ${argument.name()}`).toBeGreaterThan(5);
    }
  });
});

describe('parseBootstrap', () => {
  it('reads --bootstrap, then CHRONIK_BOOTSTRAP, then the default', () => {
    expect(parseBootstrap('a:1,[::1]:2, b.example:3', {})).toEqual([
      { host: 'a', port: 1 },
      { host: '::1', port: 2 },
      { host: 'b.example', port: 3 },
    ]);
    expect(parseBootstrap(undefined, { CHRONIK_BOOTSTRAP: 'h:9' })).toEqual([{ host: 'h', port: 9 }]);
    expect(parseBootstrap(undefined, {})).toEqual([{ host: '127.0.0.1', port: 9092 }]);
  });

  it('refuses what is not host:port, naming where it came from, as a usage error (exit 2)', () => {
    for (const [flag, env, named] of [
      ['h', {}, '--bootstrap'],
      ['h:0', {}, '--bootstrap'],
      ['h:70000', {}, '--bootstrap'],
      [undefined, { CHRONIK_BOOTSTRAP: 'h:x' }, 'CHRONIK_BOOTSTRAP'],
      [',', {}, '--bootstrap'],
    ] as const) {
      let error: unknown;
      try {
        parseBootstrap(flag, env);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitStatus).toBe(2);
      expect((error as CliError).message).toContain(named);
    }
  });
});

describe('formatTable', () => {
  it('pads columns to the widest cell and leaves no trailing blanks', () => {
    expect(formatTable(['A', 'LONG'], [['xyz', ''], ['1', '2']], '  ')).toBe('  A    LONG\n  xyz\n  1    2');
  });
});
