/**
 * The admin APIs beyond topic create/delete: CreatePartitions (grow a topic), DeleteRecords (moves a
 * partition's log start offset, durably), DescribeCluster (this node, the whole cluster) and
 * DescribeProducers. The config APIs are in configs.ts; DeleteGroups is a group API (group-handlers.ts).
 */
import { partitionsMax } from '../limits.ts';
import { partitionCountProblem } from '../metadata/topic-rules.ts';
import {
  ErrorCode,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopic,
  type CreatePartitionsTopicResult,
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  DescribeClusterEndpointType,
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  type DescribeProducersResponsePartition,
  authorizedOperationsOmitted,
} from '../protocol/index.ts';
import { leadsHere, type BrokerState } from './broker-state.ts';
import { errorText, kafkaCodeFor } from './errors.ts';
import { TopicStoreError } from './topic-store.ts';

function growProblem(state: BrokerState, asked: CreatePartitionsTopic): { code: number; message: string } | null {
  const topic = state.topics.get(asked.name);
  if (topic === undefined) return { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `topic '${asked.name}' does not exist` };
  const from = topic.partitions.length;
  if (asked.count <= from) return { code: ErrorCode.INVALID_PARTITIONS, message: `topic has ${from} partitions; the new count must be larger, got ${asked.count}` };
  const countProblem = partitionCountProblem(asked.count);
  if (countProblem !== null) return { code: ErrorCode.INVALID_PARTITIONS, message: countProblem };
  if (state.topics.partitionCount + asked.count - from > partitionsMax) return { code: ErrorCode.POLICY_VIOLATION, message: `this broker would hold more than ${partitionsMax} partitions` };
  const assignments = asked.assignments;
  if (assignments !== null) {
    const nodeId = state.options.nodeId;
    if (assignments.length !== asked.count - from || assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId)) {
      return { code: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `give one assignment per new partition, each on broker ${nodeId} only` };
    }
  }
  return null;
}

async function growOne(state: BrokerState, asked: CreatePartitionsTopic, validateOnly: boolean): Promise<CreatePartitionsTopicResult> {
  const problem = growProblem(state, asked);
  if (problem !== null) return { name: asked.name, errorCode: problem.code, errorMessage: problem.message };
  if (validateOnly) return { name: asked.name, errorCode: ErrorCode.NONE, errorMessage: null };
  if (state.stopping) return { name: asked.name, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'the broker is shutting down' };
  try {
    await state.topics.addPartitions(asked.name, asked.count);
    return { name: asked.name, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (error) {
    if (error instanceof TopicStoreError) return { name: asked.name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: error.message };
    state.log.error('PartitionsAddFailed', { topic: asked.name, error: errorText(error), hint: 'the request failed and nothing was added; check the disk and retry' });
    return { name: asked.name, errorCode: kafkaCodeFor(error), errorMessage: errorText(error) };
  }
}

export async function handleCreatePartitions(state: BrokerState, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const results: CreatePartitionsTopicResult[] = [];
  const seen = new Set<string>();
  for (const asked of request.topics) {
    if (seen.has(asked.name)) {
      results.push({ name: asked.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${asked.name}' appears more than once` });
      continue;
    }
    seen.add(asked.name);
    results.push(await growOne(state, asked, request.validateOnly));
  }
  return { throttleTimeMs: 0, results };
}

/**
 * Kafka's DeleteRecords for one partition: the log start moves up to `offset` (-1: the high
 * watermark), durably; reads below it then answer OFFSET_OUT_OF_RANGE. Beyond the high watermark
 * (the durable end) is OFFSET_OUT_OF_RANGE. The answer's low watermark is the log start offset.
 */
async function deleteRecordsOne(state: BrokerState, topic: string, index: number, offset: bigint): Promise<DeleteRecordsPartitionResult> {
  const partition = state.topics.partition(topic, index);
  if (partition === undefined) return { partitionIndex: index, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  const log = partition.log;
  if (log === null || partition.failure !== null) return { partitionIndex: index, lowWatermark: -1n, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
  if (!leadsHere(state, partition)) return { partitionIndex: index, lowWatermark: -1n, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const highWatermark = partition.highWatermark;
  const target = offset === -1n ? highWatermark : offset;
  if (target < 0n || target > highWatermark) return { partitionIndex: index, lowWatermark: log.logStartOffset, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  try {
    const start = await log.deleteRecordsBefore(target);
    partition.producers.table.truncateBelow(start);
    return { partitionIndex: index, lowWatermark: start, errorCode: ErrorCode.NONE };
  } catch (error) {
    const code = kafkaCodeFor(error);
    state.log.error('DeleteRecordsFailed', { topic, partition: index, offset: target, error: errorText(error), hint: 'the records were not deleted (the client got the error); check the disk and retry' });
    return { partitionIndex: index, lowWatermark: log.logStartOffset, errorCode: code };
  }
}

export async function handleDeleteRecords(state: BrokerState, request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> {
  const topics: DeleteRecordsResponse['topics'] = [];
  for (const t of request.topics) {
    const partitions: DeleteRecordsPartitionResult[] = [];
    for (const p of t.partitions) partitions.push(await deleteRecordsOne(state, t.name, p.partitionIndex, p.offset));
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}

/**
 * DescribeCluster: this node is the whole cluster and its controller, as in Metadata. Kafka's broker
 * endpoint answers a request for controllers (v1 endpoint type 2) MISMATCHED_ENDPOINT_TYPE, and an
 * unknown endpoint type UNSUPPORTED_ENDPOINT_TYPE; so does Chronik. Authorized operations are omitted.
 */
export function handleDescribeCluster(state: BrokerState, request: DescribeClusterRequest): DescribeClusterResponse {
  const answer: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: request.endpointType,
    clusterId: state.options.clusterId,
    controllerId: state.options.nodeId,
    brokers: [{ brokerId: state.options.nodeId, host: state.advertised.host, port: state.advertised.port, rack: null }],
    clusterAuthorizedOperations: authorizedOperationsOmitted,
  };
  if (request.endpointType === DescribeClusterEndpointType.BROKERS) return answer;
  const mismatched = request.endpointType === DescribeClusterEndpointType.CONTROLLERS;
  return {
    ...answer,
    errorCode: mismatched ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
    errorMessage: mismatched ? 'this is a broker endpoint: ask it for brokers (endpoint type 1)' : `unknown endpoint type ${request.endpointType}`,
    controllerId: -1,
    brokers: [],
  };
}

/**
 * DescribeProducers: the idempotent producers each partition remembers (those whose batches are in
 * its retained producer state), as Kafka's broker answers it. Chronik tracks no batch timestamps in
 * that state and has no transactions, so lastTimestamp, coordinatorEpoch and currentTxnStartOffset
 * are -1. An unknown partition answers UNKNOWN_TOPIC_OR_PARTITION, a failed one KAFKA_STORAGE_ERROR.
 */
export function handleDescribeProducers(state: BrokerState, request: DescribeProducersRequest): DescribeProducersResponse {
  const topics = request.topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((index): DescribeProducersResponsePartition => {
      const partition = state.topics.partition(t.name, index);
      if (partition === undefined) return { partitionIndex: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
      if (partition.failure !== null) return { partitionIndex: index, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: partition.failure.message, activeProducers: [] };
      const activeProducers = partition.producers.table.snapshots().map((p) => ({
        producerId: p.producerId,
        producerEpoch: p.epoch,
        lastSequence: p.lastSequence,
        lastTimestamp: -1n,
        coordinatorEpoch: -1,
        currentTxnStartOffset: -1n,
      }));
      return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
    }),
  }));
  return { throttleTimeMs: 0, topics };
}
