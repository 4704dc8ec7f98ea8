/**
 * `chronik produce TOPIC` and `chronik consume TOPIC`: the console producer and consumer, in the
 * manner of Kafka's kafka-console-producer.sh / kafka-console-consumer.sh. They use kafkajs (its
 * own logging silenced), after the admin client has checked the broker is reachable and the topic
 * exists, so those two failures read the same as in every other command.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { ErrorCode } from '../core/protocol/index.ts';
import { parseBootstrap, withAdmin } from './admin-client.ts';
import { CliError, oneLine, runClientCommand } from './cli-error.ts';
import { integerOption, withBootstrap } from './options.ts';
import { formatAddress } from './wire.ts';

/** Messages sent in one produce call; lines beyond it wait for the previous call's acknowledgement. */
const produceBatchMessagesMax = 1000;

interface ProduceFlags {
  bootstrap?: string;
  key?: string;
  acks: string;
}

interface ConsumeFlags {
  bootstrap?: string;
  fromBeginning?: boolean;
  group?: string;
  maxMessages?: number;
  timeoutMs?: number;
}

export function addProduceConsumeCommands(program: Command): void {
  withBootstrap(
    program
      .command('produce')
      .description('send each line of standard input as one message; prints how many the broker acknowledged')
      .argument('<topic>', 'the topic (created on first use only if the broker auto-creates topics)')
      .option('--key <key>', 'the key of every message (default: none, so messages spread over partitions)')
      .option('--acks <acks>', 'acknowledgement to wait for: all (every in-sync replica), 1 (the leader), 0 (none)', 'all'),
  ).action((topic: string, flags: ProduceFlags) => runClientCommand('produce', () => produce(topic, flags), explainKafkaJs));
  withBootstrap(
    program
      .command('consume')
      .description('print the value of each message, one per line')
      .argument('<topic>', 'the topic')
      .option('--from-beginning', 'start at the first message when the group has no committed offset (default: only new messages)')
      .option('--group <group>', 'consume as a member of this group and commit offsets (default: a throwaway group, nothing committed)')
      .option('--max-messages <n>', 'exit after printing n messages', integerOption(1))
      .option('--timeout-ms <ms>', 'exit when no message has arrived for this long after joining the group (default: wait until interrupted)', integerOption(1)),
  ).action((topic: string, flags: ConsumeFlags) => runClientCommand('consume', () => consume(topic, flags), explainKafkaJs));
}

function parseAcks(text: string): -1 | 0 | 1 {
  switch (text) {
    case 'all':
    case '-1':
      return -1;
    case '1':
      return 1;
    case '0':
      return 0;
    default:
      throw new CliError(`--acks must be all, 1 or 0, got '${text}'`, 2);
  }
}

/** kafkajs is loaded only by these two commands (the others start faster without it). */
async function kafkaFor(bootstrapFlag: string | undefined): Promise<Kafka> {
  const { Kafka, logLevel } = await import('kafkajs');
  return new Kafka({
    clientId: 'chronik-cli',
    brokers: parseBootstrap(bootstrapFlag).map(formatAddress),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

/** Fails with one line when the topic does not exist; `allowAutoTopicCreation` lets the broker create it. */
async function requireTopic(bootstrapFlag: string | undefined, topic: string, allowAutoTopicCreation: boolean): Promise<void> {
  await withAdmin(bootstrapFlag, async (admin) => {
    if (!allowAutoTopicCreation) {
      await admin.requireTopics([topic]);
      return;
    }
    const answer = await admin.metadata([topic], true);
    if (answer.topics.some((t) => t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
      throw new CliError(`unknown topic '${topic}', and the broker does not create topics on first use: create it with \`chronik topics create ${topic}\``);
    }
  });
}

async function produce(topic: string, flags: ProduceFlags): Promise<void> {
  const acks = parseAcks(flags.acks);
  await requireTopic(flags.bootstrap, topic, true);
  const producer = (await kafkaFor(flags.bootstrap)).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let sent = 0;
  try {
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const messages = batch.map((value) => ({ key: flags.key ?? null, value }));
      batch = [];
      await producer.send({ topic, acks, messages });
      sent += messages.length;
    };
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      batch.push(line);
      if (batch.length >= produceBatchMessagesMax) await flush();
    }
    await flush();
  } catch (error) {
    throw new CliError(`${sent} message(s) acknowledged, then: ${explainKafkaJs(error).message}`);
  } finally {
    await producer.disconnect();
  }
  console.log(acks === 0 ? `Sent ${sent} message(s) to ${topic} (acks 0: the broker acknowledges nothing).` : `${sent} message(s) acknowledged by ${topic}.`);
}

async function consume(topic: string, flags: ConsumeFlags): Promise<void> {
  await requireTopic(flags.bootstrap, topic, false);
  const throwaway = flags.group === undefined;
  const groupId = flags.group ?? `chronik-consume-${process.pid}-${Date.now()}`;
  // Short fetch waits so that --timeout-ms and an interrupt end the command promptly.
  const consumer = (await kafkaFor(flags.bootstrap)).consumer({ groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  let printed = 0;
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const idle = new IdleTimer(flags.timeoutMs, stop);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.once('error', stop); // the reader went away (`| head`): stop as if interrupted
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: flags.fromBeginning === true });
    const crashed = new Promise<never>((_, reject) => consumer.on(consumer.events.CRASH, ({ payload }) => payload.restart || reject(payload.error)));
    crashed.catch(() => undefined); // a crash after the stop is not reported
    const eachBatch = async ({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || printed === flags.maxMessages) break;
        process.stdout.write(`${message.value?.toString() ?? ''}\n`);
        printed++;
        resolveOffset(message.offset);
        idle.restart();
      }
      if (!throwaway) await commitOffsetsIfNecessary();
      if (printed === flags.maxMessages) stop();
    };
    // The idle time counts from joining the group: a new group's first join alone can take seconds.
    consumer.on(consumer.events.GROUP_JOIN, () => idle.restart());
    await consumer.run({ autoCommit: !throwaway, autoCommitThreshold: 1, eachBatchAutoResolve: false, eachBatch });
    await Promise.race([stopped, crashed]);
  } finally {
    idle.cancel();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.stdout.off('error', stop);
    await consumer.disconnect();
  }
  process.stderr.write(`Processed a total of ${printed} message(s).\n`);
}

/** Calls `fire` once no restart() happened for `timeoutMs` (never when timeoutMs is undefined). */
class IdleTimer {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly fire: () => void,
  ) {}

  restart(): void {
    if (this.timeoutMs === undefined) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(this.fire, this.timeoutMs);
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
  }
}

/** kafkajs errors as one line: the Kafka error name when there is one, never a stack. */
export function explainKafkaJs(error: unknown): CliError {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; type?: string; message?: string; originalError?: unknown; cause?: unknown };
  if (e?.name === 'KafkaJSNumberOfRetriesExceeded' && e.originalError !== undefined) return explainKafkaJs(e.originalError);
  if (e?.name === 'KafkaJSConnectionError' || e?.name === 'KafkaJSBrokerNotFound') {
    return new CliError(`lost the broker: ${oneLine(error)}; is it still running? (\`chronik start\` runs one)`);
  }
  if (typeof e?.type === 'string') return new CliError(`the broker answered ${e.type}: ${oneLine(error)}`);
  return new CliError(oneLine(error));
}
