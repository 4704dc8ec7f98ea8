/**
 * `chronik topics create|list|describe|delete|alter-config`: topic administration over the Kafka
 * protocol, in the manner of Kafka's kafka-topics.sh / kafka-configs.sh and Redpanda's rpk.
 */
import type { Command } from 'commander';
import {
  ApiKey,
  ConfigResourceType,
  ConfigSource,
  ErrorCode,
  errorCodeName,
  type DescribeConfigsResult,
  type MetadataResponseTopic,
} from '../core/protocol/index.ts';
import { withAdmin } from './admin-client.ts';
import { CliError, brokerError, runClientCommand, usageError } from './cli-error.ts';
import { ConfigOperation } from '../core/metadata/topic-config.ts';
import type { IncrementalAlterableConfig } from '../core/protocol/index.ts';
import { collect, integerOption, withBootstrap } from './options.ts';
import { formatTable, parseKeyValue } from './table.ts';
import type { WireConnection } from './wire.ts';

/** How long the broker may take to create or delete topics before it answers REQUEST_TIMED_OUT. */
const topicChangeTimeoutMs = 30_000;

interface BootstrapFlags {
  bootstrap?: string;
}

export function addTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('create, list, describe, delete topics and change their configs');
  withBootstrap(
    topics
      .command('create')
      .description('create a topic')
      .argument('<name>', 'topic name: 1 to 249 of a-z A-Z 0-9 . _ -')
      .option('--partitions <n>', "number of partitions (default: the broker's, --default-partitions of `chronik start`)", integerOption(1, 1_000_000))
      .option('--replication-factor <n>', "copies of each partition (default: the broker's)", integerOption(1, 32_767))
      .option('--config <key=value>', 'a topic config, e.g. retention.ms=86400000; repeat for more', collect, []),
  ).action((name: string, flags: BootstrapFlags & { partitions?: number; replicationFactor?: number; config: string[] }) =>
    runClientCommand('topics create', () => createTopic(name, flags)),
  );
  withBootstrap(topics.command('list').description('print the name of every topic, one per line, sorted')).action((flags: BootstrapFlags) =>
    runClientCommand('topics list', () => withAdmin(flags.bootstrap, async (admin) => void (await admin.topicNames()).forEach((n) => console.log(n)))),
  );
  withBootstrap(
    topics
      .command('describe')
      .description('print partitions (leader, replicas, in-sync replicas) and configs of topics')
      .argument('[names...]', 'topics to describe (default: every topic)'),
  ).action((names: string[], flags: BootstrapFlags) => runClientCommand('topics describe', () => describeTopics(names, flags)));
  withBootstrap(topics.command('delete').description('delete topics and all their records').argument('<names...>', 'topics to delete')).action(
    (names: string[], flags: BootstrapFlags) => runClientCommand('topics delete', () => deleteTopics(names, flags)),
  );
  withBootstrap(
    topics
      .command('alter-config')
      .description('set or remove configs of a topic (IncrementalAlterConfigs when the broker offers it, else AlterConfigs)')
      .argument('<name>', 'the topic')
      .option('--set <key=value>', 'set a config, e.g. retention.ms=3600000; repeat for more', collect, [])
      .option('--delete <key>', 'remove a config override (back to the default); repeat for more', collect, []),
  ).action((name: string, flags: BootstrapFlags & { set: string[]; delete: string[] }) => runClientCommand('topics alter-config', () => alterTopicConfig(name, flags)));
}

async function createTopic(name: string, flags: BootstrapFlags & { partitions?: number; replicationFactor?: number; config: string[] }): Promise<void> {
  const configs = flags.config.map((text) => parseKeyValue(text, '--config')).map(({ key, value }) => ({ name: key, value }));
  await withAdmin(flags.bootstrap, async (admin) => {
    const controller = await admin.controller();
    const version = controller.version(ApiKey.CreateTopics, 'CreateTopics', 4);
    if (version < 4 && (flags.partitions === undefined || flags.replicationFactor === undefined)) {
      throw usageError('this broker has no default partition count or replication factor (CreateTopics below v4): give --partitions and --replication-factor');
    }
    const answer = await controller.request(ApiKey.CreateTopics, version, {
      topics: [{ name, numPartitions: flags.partitions ?? -1, replicationFactor: flags.replicationFactor ?? -1, assignments: [], configs }],
      timeoutMs: topicChangeTimeoutMs,
      validateOnly: false,
    });
    const result = answer.topics.find((t) => t.name === name);
    if (result === undefined) throw new CliError(`the broker did not answer for topic '${name}'`);
    if (result.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) throw new CliError(`topic '${name}' already exists`);
    if (result.errorCode !== ErrorCode.NONE) throw brokerError(`creating topic '${name}'`, result.errorCode, result.errorMessage);
    console.log(`Created topic ${name}.`);
  });
}

async function describeTopics(names: string[], flags: BootstrapFlags): Promise<void> {
  await withAdmin(flags.bootstrap, async (admin) => {
    const wanted = names.length > 0 ? names : await admin.topicNames();
    const metadata = await admin.requireTopics(wanted);
    const configs = await describeConfigs(admin.bootstrap, wanted);
    const blocks = wanted.map((name) => formatTopic(metadata.topics.find((t) => t.name === name)!, configs.get(name)!));
    if (blocks.length > 0) console.log(blocks.join('\n\n'));
  });
}

async function describeConfigs(connection: WireConnection, topics: readonly string[]): Promise<Map<string, DescribeConfigsResult>> {
  const byTopic = new Map<string, DescribeConfigsResult>();
  if (topics.length === 0) return byTopic;
  const answer = await connection.request(ApiKey.DescribeConfigs, connection.version(ApiKey.DescribeConfigs, 'DescribeConfigs', 3), {
    resources: topics.map((name) => ({ resourceType: ConfigResourceType.TOPIC, resourceName: name, configurationKeys: null })),
    includeSynonyms: false,
    includeDocumentation: false,
  });
  for (const result of answer.results) {
    if (result.errorCode !== ErrorCode.NONE) throw brokerError(`describing the configs of topic '${result.resourceName}'`, result.errorCode, result.errorMessage);
    byTopic.set(result.resourceName, result);
  }
  return byTopic;
}

function sourceName(source: number): string {
  switch (source) {
    case ConfigSource.DYNAMIC_TOPIC_CONFIG:
      return 'topic';
    case ConfigSource.DYNAMIC_BROKER_CONFIG:
    case ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG:
    case ConfigSource.STATIC_BROKER_CONFIG:
      return 'broker';
    case ConfigSource.DEFAULT_CONFIG:
      return 'default';
    default:
      return 'unknown';
  }
}

function nodes(ids: readonly number[]): string {
  return ids.length === 0 ? '-' : ids.join(',');
}

function formatTopic(topic: MetadataResponseTopic, configs: DescribeConfigsResult): string {
  const partitions = [...topic.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const replicationFactor = Math.max(0, ...partitions.map((p) => p.replicaNodes.length));
  const anyError = partitions.some((p) => p.errorCode !== ErrorCode.NONE);
  const partitionRows = partitions.map((p) => [
    String(p.partitionIndex),
    p.leaderId >= 0 ? String(p.leaderId) : 'none',
    nodes(p.replicaNodes),
    nodes(p.isrNodes),
    ...(anyError ? [p.errorCode === ErrorCode.NONE ? '' : errorCodeName(p.errorCode)] : []),
  ]);
  const configRows = [...configs.configs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => [c.name, c.isSensitive ? '(sensitive)' : (c.value ?? '(null)'), sourceName(c.configSource)]);
  return [
    `Topic: ${topic.name}  Partitions: ${partitions.length}  ReplicationFactor: ${replicationFactor}`,
    formatTable(['PARTITION', 'LEADER', 'REPLICAS', 'ISR', ...(anyError ? ['ERROR'] : [])], partitionRows, '  '),
    'Configs:',
    formatTable(['NAME', 'VALUE', 'SOURCE'], configRows, '  '),
  ].join('\n');
}

async function deleteTopics(names: string[], flags: BootstrapFlags): Promise<void> {
  await withAdmin(flags.bootstrap, async (admin) => {
    await admin.requireTopics(names);
    const controller = await admin.controller();
    const answer = await controller.request(ApiKey.DeleteTopics, controller.version(ApiKey.DeleteTopics, 'DeleteTopics', 3), {
      topicNames: names,
      timeoutMs: topicChangeTimeoutMs,
    });
    const failed = answer.responses.find((r) => r.errorCode !== ErrorCode.NONE);
    for (const result of answer.responses) if (result.errorCode === ErrorCode.NONE) console.log(`Deleted topic ${result.name}.`);
    if (failed?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new CliError(`unknown topic '${failed.name}' (deleted meanwhile?)`);
    if (failed !== undefined) throw brokerError(`deleting topic '${failed.name}'`, failed.errorCode);
  });
}

async function alterTopicConfig(name: string, flags: BootstrapFlags & { set: string[]; delete: string[] }): Promise<void> {
  const changes: IncrementalAlterableConfig[] = [
    ...flags.set.map((text) => parseKeyValue(text, '--set')).map(({ key, value }) => ({ name: key, configOperation: ConfigOperation.SET, value })),
    ...flags.delete.map((key) => ({ name: key, configOperation: ConfigOperation.DELETE, value: null })),
  ];
  if (changes.length === 0) throw usageError('nothing to change: give --set key=value or --delete key');
  const names = changes.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw usageError(`config '${twice}' is named twice`);
  await withAdmin(flags.bootstrap, async (admin) => {
    await admin.requireTopics([name]);
    const connection = admin.bootstrap;
    const api = connection.supports(ApiKey.IncrementalAlterConfigs)
      ? await alterIncrementally(connection, name, changes)
      : await alterWhole(connection, name, changes);
    const summary = changes.map((c) => (c.configOperation === ConfigOperation.SET ? `set ${c.name}=${c.value}` : `deleted ${c.name}`)).join(', ');
    console.log(`Altered configs of topic ${name} (${api}): ${summary}.`);
  });
}

async function alterIncrementally(connection: WireConnection, topic: string, changes: readonly IncrementalAlterableConfig[]): Promise<string> {
  const version = connection.version(ApiKey.IncrementalAlterConfigs, 'IncrementalAlterConfigs', 1);
  const answer = await connection.request(ApiKey.IncrementalAlterConfigs, version, {
    resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configs: [...changes] }],
    validateOnly: false,
  });
  const result = answer.responses.find((r) => r.resourceName === topic);
  if (result === undefined) throw new CliError(`the broker did not answer for topic '${topic}'`);
  if (result.errorCode !== ErrorCode.NONE) throw brokerError(`altering the configs of topic '${topic}'`, result.errorCode, result.errorMessage);
  return 'IncrementalAlterConfigs';
}

/**
 * AlterConfigs replaces a topic's whole set of overrides, so the changes are applied to the
 * overrides the broker describes now (source: topic) and the result is sent. A change made by
 * someone else between the two requests is lost, as with Kafka's tools before KIP-339.
 */
async function alterWhole(connection: WireConnection, topic: string, changes: readonly IncrementalAlterableConfig[]): Promise<string> {
  const current = (await describeConfigs(connection, [topic])).get(topic)!;
  const next = new Map<string, string | null>();
  for (const c of current.configs) if (c.configSource === ConfigSource.DYNAMIC_TOPIC_CONFIG) next.set(c.name, c.value);
  for (const change of changes) {
    if (change.configOperation === ConfigOperation.SET) next.set(change.name, change.value);
    else next.delete(change.name);
  }
  const answer = await connection.request(ApiKey.AlterConfigs, connection.version(ApiKey.AlterConfigs, 'AlterConfigs', 1), {
    resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: topic, configs: [...next].map(([name, value]) => ({ name, value })) }],
    validateOnly: false,
  });
  const result = answer.responses.find((r) => r.resourceName === topic);
  if (result === undefined) throw new CliError(`the broker did not answer for topic '${topic}'`);
  if (result.errorCode !== ErrorCode.NONE) throw brokerError(`altering the configs of topic '${topic}'`, result.errorCode, result.errorMessage);
  return 'AlterConfigs';
}
