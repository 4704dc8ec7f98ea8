import { Command } from 'commander';
import { addSimCommand } from '../../sim/cli.ts';
import { addClientCommands } from './client-commands.ts';
import { addClusterCommand } from './cluster-up.ts';
import { ConfigError, configOptionSpecs, optionHelp } from './config.ts';

/**
 * The `chronik` command line: `chronik start` runs a broker, `chronik cluster up` a local cluster,
 * `chronik sim` runs simulations, and the client commands (`topics`, `groups`, `produce`, `consume`) talk Kafka to a running broker.
 */
export function buildProgram(): Command {
  const program = new Command('chronik')
    .description('Chronik: a Kafka-compatible broker whose every failure is played out, by seed, in a simulator')
    .showHelpAfterError();
  const start = program
    .command('start')
    .description('run a broker (defaults: data in ./data, Kafka port 127.0.0.1:9092); stop it with SIGTERM or SIGINT')
    .option('--config <file>', 'JSON object of options keyed by their camelCase names, e.g. {"listen": "0.0.0.0:9092", "nodeId": 2}; CHRONIK_* variables and flags override it (default none; env CHRONIK_CONFIG)');
  for (const spec of configOptionSpecs) {
    start.option(`${spec.flag} ${spec.arg}`, optionHelp(spec));
  }
  start.addHelpText('after', '\nPrecedence: flags, then CHRONIK_* variables, then the --config file, then the defaults.\nExit status: 0 after a clean stop, 1 when the stop fails, 2 when an option is wrong or the port or data directory is taken.');
  start.action(async (flags: Record<string, string>) => {
    // Loaded here: the broker and its I/O are not needed by the other commands, which start faster without them.
    const { startCommand } = await import('./start.ts');
    process.exitCode = await startCommand(flags, process.env);
  });
  addSimCommand(program);
  addClusterCommand(program);
  addClientCommands(program);
  return program;
}

const isMain = process.argv[1] !== undefined && /src[\\/]cli[\\/]main\.ts$/.test(process.argv[1]);
if (isMain) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`chronik: ${message}`);
      process.exitCode = 2;
    });
}
