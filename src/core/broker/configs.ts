/**
 * DescribeConfigs: the topic and broker settings clients ask about (kafkajs' admin, kafka-python's
 * describe_configs, librdkafka's rd_kafka_DescribeConfigs). All are read-only here: they come from
 * the broker's options, and topics have no overrides yet.
 */
import {
  ConfigResourceType,
  ConfigSource,
  ErrorCode,
  type DescribeConfigsRequest,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
} from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';

/** Kafka's ConfigType values (DescribeConfigs v3). */
const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5 } as const;

interface ConfigEntry {
  readonly name: string;
  readonly value: string;
  readonly type: number;
}

function nullableNumber(value: number | null): string {
  return value === null ? '-1' : String(value);
}

function topicConfigs(state: BrokerState): ConfigEntry[] {
  const log = state.options.log;
  return [
    { name: 'cleanup.policy', value: 'delete', type: ConfigType.STRING },
    { name: 'compression.type', value: 'producer', type: ConfigType.STRING },
    { name: 'max.message.bytes', value: String(log.segmentBytesMax), type: ConfigType.INT },
    { name: 'message.timestamp.type', value: 'CreateTime', type: ConfigType.STRING },
    { name: 'min.insync.replicas', value: '1', type: ConfigType.INT },
    { name: 'retention.bytes', value: nullableNumber(log.retentionBytesMax), type: ConfigType.LONG },
    { name: 'retention.ms', value: nullableNumber(log.retentionMsMax), type: ConfigType.LONG },
    { name: 'segment.bytes', value: String(log.segmentBytesMax), type: ConfigType.INT },
    { name: 'segment.ms', value: String(log.segmentAgeMsMax), type: ConfigType.LONG },
  ];
}

function brokerConfigs(state: BrokerState): ConfigEntry[] {
  const o = state.options;
  return [
    { name: 'auto.create.topics.enable', value: String(o.autoCreateTopics), type: ConfigType.BOOLEAN },
    { name: 'broker.id', value: String(o.nodeId), type: ConfigType.INT },
    { name: 'default.replication.factor', value: '1', type: ConfigType.INT },
    { name: 'delete.topic.enable', value: 'true', type: ConfigType.BOOLEAN },
    { name: 'log.retention.bytes', value: nullableNumber(o.log.retentionBytesMax), type: ConfigType.LONG },
    { name: 'log.retention.ms', value: nullableNumber(o.log.retentionMsMax), type: ConfigType.LONG },
    { name: 'log.segment.bytes', value: String(o.log.segmentBytesMax), type: ConfigType.INT },
    { name: 'message.max.bytes', value: String(o.log.segmentBytesMax), type: ConfigType.INT },
    { name: 'min.insync.replicas', value: '1', type: ConfigType.INT },
    { name: 'num.partitions', value: String(o.defaultPartitions), type: ConfigType.INT },
    { name: 'offsets.topic.replication.factor', value: '1', type: ConfigType.INT },
    { name: 'socket.request.max.bytes', value: String(o.requestBytesMax), type: ConfigType.INT },
  ];
}

function toResult(entry: ConfigEntry, source: number, includeSynonyms: boolean): DescribeConfigsResourceResult {
  return {
    name: entry.name,
    value: entry.value,
    readOnly: true,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    configSource: source,
    isSensitive: false,
    synonyms: includeSynonyms ? [{ name: entry.name, value: entry.value, source }] : [],
    configType: entry.type,
    documentation: null,
  };
}

function describeOne(state: BrokerState, resource: DescribeConfigsRequest['resources'][number], includeSynonyms: boolean): DescribeConfigsResult {
  const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
  let entries: ConfigEntry[];
  let source: number;
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    if (state.topics.get(resource.resourceName) === undefined) {
      return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${resource.resourceName}' does not exist`, configs: [] };
    }
    entries = topicConfigs(state);
    source = ConfigSource.DEFAULT_CONFIG;
  } else if (resource.resourceType === ConfigResourceType.BROKER) {
    if (resource.resourceName !== '' && resource.resourceName !== String(state.options.nodeId)) {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `broker '${resource.resourceName}' is not this broker (${state.options.nodeId})`, configs: [] };
    }
    entries = brokerConfigs(state);
    source = ConfigSource.STATIC_BROKER_CONFIG;
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${resource.resourceType} is not supported`, configs: [] };
  }
  const keys = resource.configurationKeys;
  const wanted = keys === null || keys.length === 0 ? entries : entries.filter((e) => keys.includes(e.name));
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: wanted.map((e) => toResult(e, source, includeSynonyms)) };
}

export function handleDescribeConfigs(state: BrokerState, request: DescribeConfigsRequest): DescribeConfigsResponse {
  return { throttleTimeMs: 0, results: request.resources.map((r) => describeOne(state, r, request.includeSynonyms)) };
}
