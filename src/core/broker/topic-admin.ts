/**
 * Metadata, CreateTopics, DeleteTopics: the topic table as clients see it. CreateTopics validates the
 * topic's configs (metadata/topic-config.ts; INVALID_CONFIG names the key and what is accepted) and
 * stores them with the topic.
 */
import { isLogError } from '../log/index.ts';
import { partitionsMax, topicsMax } from '../limits.ts';
import { validateTopicConfigs } from '../metadata/topic-config.ts';
import { partitionCountProblem, topicNameProblem } from '../metadata/topic-rules.ts';
import {
  ErrorCode,
  authorizedOperationsOmitted,
  type CreatableTopic,
  type CreatableTopicResult,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponsePartition,
  type MetadataResponseTopic,
} from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { errorText, kafkaCodeFor } from './errors.ts';
import { TopicStoreError, type Topic } from './topic-store.ts';

/** Why a topic of `partitions` partitions cannot be added now, as a code and message, or null. */
function capacityProblem(state: BrokerState, partitions: number): { code: number; message: string } | null {
  const countProblem = partitionCountProblem(partitions);
  if (countProblem !== null) return { code: ErrorCode.INVALID_PARTITIONS, message: countProblem };
  if (state.topics.topicCount >= topicsMax) return { code: ErrorCode.POLICY_VIOLATION, message: `this broker already holds ${topicsMax} topics` };
  if (state.topics.partitionCount + partitions > partitionsMax) {
    return { code: ErrorCode.POLICY_VIOLATION, message: `this broker would hold more than ${partitionsMax} partitions` };
  }
  return null;
}

/** Creates `name` unless it exists; resolves to the topic, or to an error code and message. */
export async function ensureTopic(state: BrokerState, name: string, partitions: number): Promise<Topic | { code: number; message: string }> {
  const existing = state.topics.get(name);
  if (existing !== undefined) return existing;
  const problem = capacityProblem(state, partitions);
  if (problem !== null) return problem;
  try {
    return await state.topics.create(name, partitions);
  } catch (error) {
    const raced = state.topics.get(name);
    if (error instanceof TopicStoreError && raced !== undefined) return raced;
    return { code: kafkaCodeFor(error), message: errorText(error) };
  }
}

function partitionMetadata(state: BrokerState, topic: Topic): MetadataResponsePartition[] {
  const nodeId = state.options.nodeId;
  return topic.partitions.map((p) => {
    const failed = p.failure !== null;
    return {
      errorCode: failed ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
      partitionIndex: p.index,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: failed ? [] : [nodeId],
      offlineReplicas: failed ? [nodeId] : [],
    };
  });
}

function topicMetadata(state: BrokerState, topic: Topic): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    isInternal: false,
    partitions: partitionMetadata(state, topic),
    topicAuthorizedOperations: authorizedOperationsOmitted,
  };
}

function missingTopic(name: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperationsOmitted };
}

async function requestedTopicMetadata(state: BrokerState, name: string, allowAutoCreate: boolean): Promise<MetadataResponseTopic> {
  const existing = state.topics.get(name);
  if (existing !== undefined) return topicMetadata(state, existing);
  if (topicNameProblem(name) !== null) return missingTopic(name, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!allowAutoCreate || !state.options.autoCreateTopics || state.stopping) return missingTopic(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const created = await ensureTopic(state, name, state.options.defaultPartitions);
  if ('code' in created) {
    state.log.warn('TopicAutoCreateFailed', { topic: name, code: created.code, error: created.message, hint: 'create the topic explicitly (chronik topics create) or check the auto-create settings of the broker' });
    // Kafka answers a topic it could not create yet with LEADER_NOT_AVAILABLE (retriable).
    return missingTopic(name, created.code === ErrorCode.KAFKA_STORAGE_ERROR ? ErrorCode.LEADER_NOT_AVAILABLE : created.code);
  }
  return topicMetadata(state, created);
}

export async function handleMetadata(state: BrokerState, request: MetadataRequest, version: number): Promise<MetadataResponse> {
  const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
  let topics: MetadataResponseTopic[];
  if (allTopics) topics = state.topics.all().map((t) => topicMetadata(state, t));
  else {
    topics = [];
    for (const { name } of request.topics!) topics.push(await requestedTopicMetadata(state, name, request.allowAutoTopicCreation));
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: state.options.nodeId, host: state.advertised.host, port: state.advertised.port, rack: null }],
    clusterId: state.options.clusterId,
    controllerId: state.options.nodeId,
    topics,
    clusterAuthorizedOperations: authorizedOperationsOmitted,
  };
}

// ---- CreateTopics ------------------------------------------------------------------------------

function createProblem(state: BrokerState, topic: CreatableTopic): { code: number; message: string } | null {
  const nameProblem = topicNameProblem(topic.name);
  if (nameProblem !== null) return { code: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameProblem };
  if (state.topics.get(topic.name) !== undefined) return { code: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic '${topic.name}' already exists` };
  if (topic.assignments.length > 0) {
    if (topic.numPartitions !== -1 || topic.replicationFactor !== -1) {
      return { code: ErrorCode.INVALID_REQUEST, message: 'give either replica assignments or partitions and replication factor, not both' };
    }
    const bad = topic.assignments.find((a, i) => a.partitionIndex !== i || a.brokerIds.length !== 1 || a.brokerIds[0] !== state.options.nodeId);
    if (bad !== undefined) {
      return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `assignments must name partitions 0.. in order, each on broker ${state.options.nodeId} only` };
    }
    return capacityProblem(state, topic.assignments.length);
  }
  if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
    return { code: ErrorCode.INVALID_REPLICATION_FACTOR, message: `replication factor ${topic.replicationFactor} is above the 1 broker available` };
  }
  const partitions = topic.numPartitions === -1 ? state.options.defaultPartitions : topic.numPartitions;
  return capacityProblem(state, partitions);
}

async function createOne(state: BrokerState, topic: CreatableTopic, validateOnly: boolean): Promise<CreatableTopicResult> {
  const problem = createProblem(state, topic);
  if (problem !== null) return { name: topic.name, errorCode: problem.code, errorMessage: problem.message };
  const configs = validateTopicConfigs(topic.configs, state.topics.defaultLogConfig);
  if (!configs.ok) return { name: topic.name, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: configs.message };
  if (validateOnly) return { name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null };
  if (state.stopping) return { name: topic.name, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'the broker is shutting down' };
  const partitions = topic.assignments.length > 0 ? topic.assignments.length : topic.numPartitions === -1 ? state.options.defaultPartitions : topic.numPartitions;
  try {
    await state.topics.create(topic.name, partitions, configs.overrides);
    return { name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof TopicStoreError) return { name: topic.name, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: error.message };
    if (!isLogError(error)) kafkaCodeFor(error); // rethrows anything that is not an operating error
    state.log.error('TopicCreateFailed', { topic: topic.name, error: errorText(error), hint: 'the client got the error and nothing was created; check the disk and retry' });
    return { name: topic.name, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: errorText(error) };
  }
}

export async function handleCreateTopics(state: BrokerState, request: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const counts = new Map<string, number>();
  for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
  const results: CreatableTopicResult[] = [];
  for (const topic of request.topics) {
    if (counts.get(topic.name)! > 1) {
      results.push({ name: topic.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${topic.name}' appears more than once in the request` });
      continue;
    }
    results.push(await createOne(state, topic, request.validateOnly));
  }
  return { throttleTimeMs: 0, topics: results };
}

// ---- DeleteTopics ------------------------------------------------------------------------------

export async function handleDeleteTopics(state: BrokerState, request: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const responses: DeleteTopicsResponse['responses'] = [];
  for (const name of request.topicNames) {
    if (state.topics.get(name) === undefined) {
      responses.push({ name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      continue;
    }
    if (state.stopping) {
      responses.push({ name, errorCode: ErrorCode.NOT_CONTROLLER });
      continue;
    }
    try {
      await state.topics.delete(name);
      responses.push({ name, errorCode: ErrorCode.NONE });
    } catch (error) {
      const code = kafkaCodeFor(error);
      state.log.error('TopicDeleteFailed', { topic: name, error: errorText(error), hint: 'the client got the error; retry the deletion, and check the disk if it fails again' });
      responses.push({ name, errorCode: code });
    }
  }
  return { throttleTimeMs: 0, responses };
}
