/**
 * The config APIs: DescribeConfigs (kafkajs' admin, kafka-python's describe_configs, librdkafka's
 * rd_kafka_DescribeConfigs), AlterConfigs (replaces a topic's overrides with the given set) and
 * IncrementalAlterConfigs (SET / DELETE / APPEND / SUBTRACT per config).
 *
 * Topic configs follow src/core/metadata/topic-config.ts: each has a default from the broker's
 * options, a topic may override it, and a change is stored with the topic table before it is
 * answered and applied to the running partition logs (TopicStore.alterConfigs). On a cluster the
 * overrides are in the metadata log instead: the controller commits them and every broker's topic
 * store follows its image. Broker configs are read-only: they are the `chronik start` options.
 */
import type { ClusterMember } from '../cluster/cluster-member.ts';
import { logAppendBytesMax } from '../limits.ts';
import { applyConfigOperations, describeTopicConfigs, validateTopicConfigs, KafkaConfigType, type ConfigCheck, type TopicConfigOverrides } from '../metadata/topic-config.ts';
import {
  ConfigResourceType,
  ConfigSource,
  ErrorCode,
  type AlterConfigsRequest,
  type AlterConfigsResourceResponse,
  type AlterConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  type DescribeConfigsSynonym,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { errorText, kafkaCodeFor } from './errors.ts';
import { TopicStoreError } from './topic-store.ts';

/** The message of an alter on a broker resource (POLICY_VIOLATION, which kafkajs and librdkafka show as "policy"). */
export const brokerConfigsReadOnly =
  "broker configs are read-only while the broker runs: change them with `chronik start` options (chronik start --help) and restart; retention, segment and message-size settings are per topic: alter the topic's configs";

interface BrokerConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly type: number;
}

function nullableNumber(value: number | null): string {
  return value === null ? '-1' : String(value);
}

function brokerConfigs(state: BrokerState): BrokerConfigEntry[] {
  const o = state.options;
  const { BOOLEAN, INT, LONG } = KafkaConfigType;
  return [
    { name: 'auto.create.topics.enable', value: String(o.autoCreateTopics), type: BOOLEAN },
    { name: 'broker.id', value: String(o.nodeId), type: INT },
    { name: 'default.replication.factor', value: '1', type: INT },
    { name: 'delete.topic.enable', value: 'true', type: BOOLEAN },
    { name: 'log.retention.bytes', value: nullableNumber(o.log.retentionBytesMax), type: LONG },
    { name: 'log.retention.ms', value: nullableNumber(o.log.retentionMsMax), type: LONG },
    { name: 'log.roll.ms', value: String(o.log.segmentAgeMsMax), type: LONG },
    { name: 'log.segment.bytes', value: String(o.log.segmentBytesMax), type: INT },
    { name: 'message.max.bytes', value: String(Math.min(o.log.segmentBytesMax, logAppendBytesMax)), type: INT },
    { name: 'min.insync.replicas', value: '1', type: INT },
    { name: 'num.partitions', value: String(o.defaultPartitions), type: INT },
    { name: 'offsets.topic.replication.factor', value: '1', type: INT },
    { name: 'socket.request.max.bytes', value: String(o.requestBytesMax), type: INT },
  ];
}

function describeTopic(state: BrokerState, overrides: TopicConfigOverrides, includeSynonyms: boolean): DescribeConfigsResourceResult[] {
  return describeTopicConfigs(overrides, state.topics.defaultLogConfig).map((c) => {
    const source = c.source === 'topic' ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG;
    const synonyms: DescribeConfigsSynonym[] = [];
    if (includeSynonyms) {
      if (c.source === 'topic') synonyms.push({ name: c.name, value: c.value, source });
      synonyms.push({ name: c.brokerName, value: c.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    return {
      name: c.name,
      value: c.value,
      readOnly: false,
      isDefault: c.source === 'default',
      configSource: source,
      isSensitive: false,
      synonyms,
      configType: c.type,
      documentation: null,
    };
  });
}

function describeBroker(state: BrokerState, includeSynonyms: boolean): DescribeConfigsResourceResult[] {
  const source = ConfigSource.STATIC_BROKER_CONFIG;
  return brokerConfigs(state).map((entry) => ({
    name: entry.name,
    value: entry.value,
    readOnly: true,
    isDefault: false,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms ? [{ name: entry.name, value: entry.value, source }] : [],
    configType: entry.type,
    documentation: null,
  }));
}

function describeOne(state: BrokerState, resource: DescribeConfigsRequest['resources'][number], includeSynonyms: boolean): DescribeConfigsResult {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
  let entries: DescribeConfigsResourceResult[];
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    const topic = state.topics.get(resource.resourceName);
    if (topic === undefined) {
      return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${resource.resourceName}' does not exist`, configs: [] };
    }
    entries = describeTopic(state, topic.configs, includeSynonyms);
  } else if (resource.resourceType === ConfigResourceType.BROKER) {
    if (resource.resourceName !== '' && resource.resourceName !== String(state.options.nodeId)) {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `broker '${resource.resourceName}' is not this broker (${state.options.nodeId})`, configs: [] };
    }
    entries = describeBroker(state, includeSynonyms);
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resource.resourceType} is not supported`, configs: [] };
  }
  const keys = resource.configurationKeys;
  const wanted = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: wanted };
}

export function handleDescribeConfigs(state: BrokerState, request: DescribeConfigsRequest): DescribeConfigsResponse {
  return { throttleTimeMs: 0, results: request.resources.map((r) => describeOne(state, r, request.includeSynonyms)) };
}

// ---- AlterConfigs, IncrementalAlterConfigs -----------------------------------------------------

interface AlterTarget {
  readonly resourceType: number;
  readonly resourceName: string;
}

/**
 * One resource of an alter request: `change` computes the topic's new overrides from its current
 * ones. Checked in full before anything is stored; validate_only stops there.
 */
async function alterOne(state: BrokerState, target: AlterTarget, validateOnly: boolean, change: (current: TopicConfigOverrides) => ConfigCheck): Promise<AlterConfigsResourceResponse> {
  const base = { resourceType: target.resourceType, resourceName: target.resourceName };
  const answer = (errorCode: number, errorMessage: string | null): AlterConfigsResourceResponse => ({ ...base, errorCode, errorMessage });
  if (target.resourceType === ConfigResourceType.BROKER) return answer(ErrorCode.POLICY_VIOLATION, brokerConfigsReadOnly);
  if (target.resourceType !== ConfigResourceType.TOPIC) return answer(ErrorCode.INVALID_REQUEST, `resource type ${target.resourceType} is not supported (topics: 2)`);
  if (state.cluster !== null) return alterOnCluster(state, state.cluster, target, validateOnly, change);
  const topic = state.topics.get(target.resourceName);
  if (topic === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${target.resourceName}' does not exist`);
  if (validateOnly) {
    const check = change(topic.configs);
    return check.ok ? answer(ErrorCode.NONE, null) : answer(ErrorCode.INVALID_CONFIG, check.message);
  }
  if (state.stopping) return answer(ErrorCode.NOT_CONTROLLER, 'the broker is shutting down');
  try {
    const check = await state.topics.alterConfigs(target.resourceName, change);
    return check.ok ? answer(ErrorCode.NONE, null) : answer(ErrorCode.INVALID_CONFIG, check.message);
  } catch (error) {
    if (!(error instanceof TopicStoreError)) state.log.error('TopicConfigsStoreFailed', { topic: target.resourceName, error: errorText(error), hint: 'the change was not made (the client got the error); check the disk and retry' });
    return answer(kafkaCodeFor(error), errorText(error));
  }
}

/**
 * On a cluster a topic's configs are in the metadata log: the new overrides are computed here from
 * the image's, checked, and committed by the controller; every broker applies them to its logs when
 * its image has them.
 */
async function alterOnCluster(
  state: BrokerState,
  member: ClusterMember,
  target: AlterTarget,
  validateOnly: boolean,
  change: (current: TopicConfigOverrides) => ConfigCheck,
): Promise<AlterConfigsResourceResponse> {
  const base = { resourceType: target.resourceType, resourceName: target.resourceName };
  const info = member.image().topic(target.resourceName);
  if (info === undefined) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${target.resourceName}' does not exist` };
  const check = change(info.configs ?? {});
  if (!check.ok) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: check.message };
  if (validateOnly) return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
  if (state.stopping) return { ...base, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'the broker is shutting down' };
  const [result] = await member.link.controller.alterTopicConfigs([{ name: target.resourceName, configs: check.overrides }]);
  return { ...base, errorCode: result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: result?.errorMessage ?? null };
}

/** A resource named twice in one request is refused (Kafka answers INVALID_REQUEST too); the rest proceed. */
function duplicates(targets: readonly AlterTarget[]): Set<string> {
  const counts = new Map<string, number>();
  for (const t of targets) counts.set(`${t.resourceType}/${t.resourceName}`, (counts.get(`${t.resourceType}/${t.resourceName}`) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n > 1).map(([key]) => key));
}

async function alterAll<R extends AlterTarget>(resources: readonly R[], run: (resource: R) => Promise<AlterConfigsResourceResponse>): Promise<AlterConfigsResourceResponse[]> {
  const twice = duplicates(resources);
  const responses: AlterConfigsResourceResponse[] = [];
  for (const resource of resources) {
    if (twice.has(`${resource.resourceType}/${resource.resourceName}`)) {
      responses.push({ resourceType: resource.resourceType, resourceName: resource.resourceName, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'resource given more than once in the request' });
    } else responses.push(await run(resource));
  }
  return responses;
}

/** AlterConfigs: the given configs replace every override of the topic (an empty list clears them). */
export async function handleAlterConfigs(state: BrokerState, request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
  const defaults = state.topics.defaultLogConfig;
  const responses = await alterAll(request.resources, (resource) =>
    alterOne(state, resource, request.validateOnly, () => validateTopicConfigs(resource.configs, defaults)),
  );
  return { throttleTimeMs: 0, responses };
}

/** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT on the topic's current overrides. */
export async function handleIncrementalAlterConfigs(state: BrokerState, request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
  const defaults = state.topics.defaultLogConfig;
  const responses = await alterAll(request.resources, (resource) => {
    const ops = resource.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value }));
    return alterOne(state, resource, request.validateOnly, (current) => applyConfigOperations(current, ops, defaults));
  });
  return { throttleTimeMs: 0, responses };
}
