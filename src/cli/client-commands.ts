/**
 * The client commands (`topics`, `groups`, `produce`, `consume`), which talk Kafka to a running
 * broker. `buildClientProgram` is the `chronik` program with only these: the `chronik` executable
 * uses it for them: it loads neither the simulator nor the broker, so a command costs about 40% less
 * CPU (0.6 s of user time against 1.0 s for `chronik topics list`, measured on the 2-core test machine).
 */
import { Command } from 'commander';
import { addGroupsCommand } from './groups.ts';
import { addProduceConsumeCommands } from './produce-consume.ts';
import { addTopicsCommand } from './topics.ts';

export const clientCommandNames: readonly string[] = ['topics', 'groups', 'produce', 'consume'];

export function addClientCommands(program: Command): void {
  addTopicsCommand(program);
  addGroupsCommand(program);
  addProduceConsumeCommands(program);
}

export function buildClientProgram(): Command {
  const program = new Command('chronik').description('Chronik client commands').showHelpAfterError();
  addClientCommands(program);
  return program;
}
