/**
 * Metadata, CreateTopics, DeleteTopics, CreatePartitions and FindCoordinator on a broker that is part
 * of a cluster: answered from the metadata image (every live broker with its advertised address;
 * each partition's leader, leader epoch, replicas and ISR), with topic changes forwarded to the
 * active controller. Any broker answers any of these.
 */
import { topicNameProblem } from '../metadata/topic-rules.ts';
import { validateTopicConfigs } from '../metadata/topic-config.ts';
import type { CreateTopicRequest } from '../metadata/controller.ts';
import type { PartitionInfo, TopicInfo } from '../metadata/image.ts';
import {
  ErrorCode,
  authorizedOperationsOmitted,
  type CreatableTopicResult,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from '../protocol/index.ts';
import type { BrokerState } from '../broker/broker-state.ts';
import type { ClusterMember } from './cluster-member.ts';
import { offsetsTopicName } from './offsets-topic.ts';

function partitionMetadata(member: ClusterMember, p: PartitionInfo): MetadataResponsePartition {
  const image = member.image();
  const offline = p.replicas.filter((b) => image.broker(b)?.fenced !== false);
  return {
    errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: p.partition,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: [...p.replicas],
    isrNodes: [...p.isr],
    offlineReplicas: offline,
  };
}

function topicMetadata(member: ClusterMember, t: TopicInfo): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    isInternal: t.name === offsetsTopicName,
    partitions: t.partitions.map((p) => partitionMetadata(member, p)),
    topicAuthorizedOperations: authorizedOperationsOmitted,
  };
}

function missingTopic(name: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperationsOmitted };
}

async function requestedTopic(state: BrokerState, member: ClusterMember, name: string, allowAutoCreate: boolean): Promise<MetadataResponseTopic> {
  const info = member.image().topic(name);
  if (info !== undefined) return topicMetadata(member, info);
  if (topicNameProblem(name) !== null) return missingTopic(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!allowAutoCreate || !state.options.autoCreateTopics || state.stopping) return missingTopic(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const [result] = await member.link.controller.createTopics([
    { name, numPartitions: state.options.defaultPartitions, replicationFactor: defaultReplicationFactor(member) },
  ]);
  const created = member.image().topic(name);
  if (created !== undefined) return topicMetadata(member, created);
  if (result !== undefined && result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
    state.log.warn('TopicAutoCreateFailed', { topic: name, code: result.errorCode, error: result.errorMessage ?? '', hint: 'create the topic explicitly (chronik topics create) or check the auto-create settings of the broker' });
  }
  // Created (or being created) but not yet in this broker's image: retriable, as in Kafka.
  return missingTopic(name, ErrorCode.LEADER_NOT_AVAILABLE);
}

/** The default replication factor, capped by the live brokers (a fresh cluster may have fewer). */
function defaultReplicationFactor(member: ClusterMember): number {
  const live = member.image().brokers().filter((b) => !b.fenced).length;
  return Math.max(1, Math.min(member.config.defaultReplicationFactor, live));
}

export async function handleClusterMetadata(state: BrokerState, member: ClusterMember, request: MetadataRequest, version: number): Promise<MetadataResponse> {
  const image = member.image();
  const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
  let topics: MetadataResponseTopic[];
  if (allTopics) topics = image.topics().map((t) => topicMetadata(member, t));
  else {
    topics = [];
    for (const { name } of request.topics!) topics.push(await requestedTopic(state, member, name, request.allowAutoTopicCreation));
  }
  const brokers = image
    .brokers()
    .filter((b) => !b.fenced)
    .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: null }));
  if (!brokers.some((b) => b.nodeId === state.options.nodeId)) {
    // Not registered yet (or fenced): still list this broker, so a client keeps a way in.
    brokers.push({ nodeId: state.options.nodeId, host: state.advertised.host, port: state.advertised.port, rack: null });
  }
  // As in KRaft, the controller id clients see is a broker that forwards admin requests to the
  // active controller: this one (an election in progress does not leave clients without one).
  return {
    throttleTimeMs: 0,
    brokers: brokers.sort((a, b) => a.nodeId - b.nodeId),
    clusterId: state.options.clusterId,
    controllerId: state.options.nodeId,
    topics,
    clusterAuthorizedOperations: authorizedOperationsOmitted,
  };
}

export async function handleClusterCreateTopics(state: BrokerState, member: ClusterMember, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const results: CreatableTopicResult[] = [];
  const forward: CreateTopicRequest[] = [];
  const counts = new Map<string, number>();
  for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  for (const t of request.topics) {
    if (t.name === offsetsTopicName) {
      results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `'${offsetsTopicName}' is internal: the brokers create it for consumer groups` });
    } else if (counts.get(t.name)! > 1) {
      results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${t.name}' appears more than once in the request` });
    } else if (t.assignments.length > 0) {
      results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'manual replica assignments are not supported; give partitions and a replication factor' });
    } else {
      const numPartitions = t.numPartitions === -1 ? state.options.defaultPartitions : t.numPartitions;
      const replicationFactor = t.replicationFactor === -1 ? defaultReplicationFactor(member) : t.replicationFactor;
      const configs = validateTopicConfigs(t.configs, state.topics.defaultLogConfig);
      if (configs.ok) forward.push({ name: t.name, numPartitions, replicationFactor, configs: configs.overrides });
      else results.push({ name: t.name, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: configs.message });
    }
  }
  if (request.validateOnly) {
    for (const f of forward) results.push({ name: f.name, errorCode: ErrorCode.NONE, errorMessage: null });
    return { throttleTimeMs: 0, topics: results };
  }
  const answers = forward.length === 0 ? [] : await member.link.controller.createTopics(forward);
  for (const a of answers) results.push({ name: a.name, errorCode: a.errorCode, errorMessage: a.errorMessage });
  const order = new Map(request.topics.map((t, i) => [t.name, i]));
  results.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return { throttleTimeMs: 0, topics: results };
}

/** DeleteTopics, forwarded to the controller; the internal offsets topic is refused (it holds every group's commits). */
export async function handleClusterDeleteTopics(member: ClusterMember, request: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const names = request.topicNames.filter((name) => name !== offsetsTopicName);
  const answers = names.length === 0 ? [] : await member.link.controller.deleteTopics(names);
  const byName = new Map(answers.map((a) => [a.name, a.errorCode]));
  const code = (name: string): number => (name === offsetsTopicName ? ErrorCode.INVALID_TOPIC_EXCEPTION : (byName.get(name) ?? ErrorCode.UNKNOWN_SERVER_ERROR));
  return { throttleTimeMs: 0, responses: request.topicNames.map((name) => ({ name, errorCode: code(name) })) };
}

/**
 * CreatePartitions on a cluster: validated here (manual assignments are not supported, the offsets
 * topic keeps its count: a group's partition is a hash modulo it), then forwarded to the active
 * controller, which places the new partitions and commits them; every broker creates them locally
 * when its image has them.
 */
export async function handleClusterCreatePartitions(member: ClusterMember, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const results = new Map<string, { errorCode: number; errorMessage: string | null }>();
  const forward: { name: string; count: number }[] = [];
  const counts = new Map<string, number>();
  for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  for (const t of request.topics) {
    const current = member.image().topic(t.name)?.partitions.length;
    if (counts.get(t.name)! > 1) results.set(t.name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${t.name}' appears more than once in the request` });
    else if (t.name === offsetsTopicName) results.set(t.name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `'${offsetsTopicName}' keeps its partition count: each group's partition is a hash modulo it` });
    else if (t.assignments !== null && t.assignments.length > 0) results.set(t.name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'manual replica assignments are not supported; give the new partition count only' });
    else if (current === undefined) results.set(t.name, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `no topic '${t.name}'` });
    else if (t.count <= current) results.set(t.name, { errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `topic '${t.name}' has ${current} partitions; the new count must be larger` });
    else if (request.validateOnly) results.set(t.name, { errorCode: ErrorCode.NONE, errorMessage: null });
    else forward.push({ name: t.name, count: t.count });
  }
  const answers = forward.length === 0 ? [] : await member.link.controller.createPartitions(forward);
  for (const a of answers) results.set(a.name, { errorCode: a.errorCode, errorMessage: a.errorMessage });
  return {
    throttleTimeMs: 0,
    results: request.topics.map((t) => ({ name: t.name, ...(results.get(t.name) ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }) })),
  };
}
