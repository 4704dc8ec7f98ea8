import { Command } from 'commander';
import { addSimCommand } from '../../sim/cli.ts';
import { ConfigError, configOptionSpecs } from './config.ts';
import { startCommand } from './start.ts';

/** The `chronik` command line: `chronik start` runs a broker, `chronik sim` runs simulations. */
export function buildProgram(): Command {
  const program = new Command('chronik')
    .description('Chronik: a Kafka-compatible broker whose every failure is played out, by seed, in a simulator')
    .showHelpAfterError();
  const start = program
    .command('start')
    .description('run a broker (defaults: data in ./data, Kafka port 127.0.0.1:9092)')
    .option('--config <file>', 'JSON config file (env CHRONIK_CONFIG); flags and CHRONIK_* variables override it');
  for (const spec of configOptionSpecs) {
    start.option(`${spec.flag} <value>`, `(env ${spec.env})`);
  }
  start.action(async (flags: Record<string, string>) => {
    process.exitCode = await startCommand(flags, process.env);
  });
  addSimCommand(program);
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
