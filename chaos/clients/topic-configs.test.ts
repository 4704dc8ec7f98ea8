import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, repoRoot, tempDataDir } from '../broker-process.ts';

/**
 * Topic configs with real clients against a real `chronik start` process: kafkajs 2.2.4's admin,
 * librdkafka's AdminClient (python3-confluent-kafka 1.7) and kafka-python's KafkaAdminClient. None of
 * these client versions has IncrementalAlterConfigs (librdkafka added it in 2.2); the broker tests
 * cover it on the wire.
 */
const run = promisify(execFile);
const python = '/usr/bin/python3';
const data = tempDataDir('topic-configs');
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({ dataDir: data.dir });
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

function client(): Kafka {
  return new Kafka({ clientId: 'chronik-configs', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
}

async function pythonFlow(script: string): Promise<Record<string, unknown>> {
  const file = path.join(repoRoot, 'chaos', 'clients', 'python', script);
  const { stdout } = await run(python, [file, `127.0.0.1:${broker.port}`], { timeout: 60_000 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${script} failed: ${error.stdout ?? ''}\n${error.stderr ?? error.message}`);
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

async function topicConfigs(kafka: Kafka, topic: string): Promise<Record<string, [string, boolean]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
    return Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]));
  } finally {
    await admin.disconnect();
  }
}

describe('topic configs with real clients', () => {
  // A restart keeping the overrides is src/core/broker/broker-configs.test.ts (a crash in the simulator):
  // restarting this process would double the time of this file.
  it('kafkajs: createTopics with configEntries, describeConfigs, alterConfigs, and their effect on produce', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-configs', configEntries: [{ name: 'retention.ms', value: '60000' }, { name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
    const refused = await admin.createTopics({ topics: [{ topic: 'js-bad', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] }).catch((e: { errors?: Array<{ type: string }> }) => e);
    // kafkajs reports the error code's own text, not the broker's message.
    expect((refused as { errors: Array<{ type: string }> }).errors.map((e) => e.type)).toEqual(['INVALID_CONFIG']);
    expect(await topicConfigs(kafka, 'js-configs')).toMatchObject({ 'retention.ms': ['60000', false], 'message.timestamp.type': ['LogAppendTime', false], 'segment.ms': ['604800000', true] });

    const producer = kafka.producer();
    await producer.connect();
    const [stamped] = await producer.send({ topic: 'js-configs', messages: [{ value: 'x'.repeat(2000) }] });
    expect(Number(stamped!.logAppendTime)).toBeGreaterThan(0); // the broker's log-append time

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'js-configs', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
    // AlterConfigs replaced the whole set: retention.ms and message.timestamp.type are back to their defaults.
    expect(await topicConfigs(kafka, 'js-configs')).toMatchObject({ 'retention.ms': ['604800000', true], 'max.message.bytes': ['1000', false], 'message.timestamp.type': ['CreateTime', true] });
    const tooLarge = await producer.send({ topic: 'js-configs', messages: [{ value: 'x'.repeat(2000) }] }).catch((e: { type?: string; cause?: { type?: string } }) => e);
    expect((tooLarge as { type?: string }).type ?? (tooLarge as { cause?: { type?: string } }).cause?.type).toBe('MESSAGE_TOO_LARGE');
    const [small] = await producer.send({ topic: 'js-configs', messages: [{ value: 'small' }] });
    expect(small!.errorCode).toBe(0);
    const brokerAlter = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '1' }] }] })
      .catch((e: { type?: string }) => e);
    expect((brokerAlter as { type?: string }).type).toBe('POLICY_VIOLATION');
    await producer.disconnect();
    await admin.disconnect();
  }, 60_000);

  it('librdkafka (python3-confluent-kafka): create_topics with config, describe_configs with sources, alter_configs, refusals with the broker message', async () => {
    const result = await pythonFlow('confluent_topic_configs.py');
    expect(result).toEqual({
      ok: true,
      created: { 'retention.ms': ['60000', 'DYNAMIC_TOPIC_CONFIG', false], 'max.message.bytes': ['100000', 'DYNAMIC_TOPIC_CONFIG', false], 'segment.ms': ['604800000', 'DEFAULT_CONFIG', true] },
      create_compact: { code: 'INVALID_CONFIG', text: "cleanup.policy: compact is not supported yet (Chronik does not compact logs); the accepted value is 'delete'" },
      altered: { 'retention.ms': ['120000', 'DYNAMIC_TOPIC_CONFIG', false], 'max.message.bytes': ['67108864', 'DEFAULT_CONFIG', true], 'message.timestamp.type': ['LogAppendTime', 'DYNAMIC_TOPIC_CONFIG', false] },
      alter_unknown: { code: 'INVALID_CONFIG', text: expect.stringContaining("'retention.hours' is not a topic config Chronik knows; known: cleanup.policy,") },
      alter_broker: { code: 'POLICY_VIOLATION', text: expect.stringContaining('`chronik start` options') },
    });
  }, 60_000);

  it('kafka-python: create_topics with topic_configs, describe_configs, alter_configs', async () => {
    const result = await pythonFlow('kafka_python_topic_configs.py');
    // [value, config source]: 1 is a topic override, 5 the default
    expect(result).toEqual({
      ok: true,
      created: { 'segment.ms': ['3600000', 1], 'retention.ms': ['604800000', 5] },
      altered: { 'segment.ms': ['604800000', 5], 'retention.bytes': ['1048576', 1] },
      alter_bad: { code: 40, message: 'segment.ms: 0 is out of range; accepted: milliseconds 1..9223372036854775807' },
    });
  }, 60_000);
});
