/**
 * Metadata (key 3), versions 0-8 (9+ is flexible; no client here needs it).
 *
 * Request:
 *   topics ARRAY(name STRING)                     v0: non-null, empty = all topics; v1+: null = all topics
 *   allow_auto_topic_creation BOOLEAN             v4+
 *   include_cluster_authorized_operations BOOLEAN v8
 *   include_topic_authorized_operations BOOLEAN   v8
 * Response:
 *   throttle_time_ms INT32                        v3+
 *   brokers ARRAY(node_id INT32, host STRING, port INT32, rack NULLABLE_STRING v1+)
 *   cluster_id NULLABLE_STRING                    v2+
 *   controller_id INT32                           v1+
 *   topics ARRAY(error_code INT16, name STRING, is_internal BOOLEAN v1+,
 *     partitions ARRAY(error_code INT16, partition_index INT32, leader_id INT32, leader_epoch INT32 v7+,
 *       replica_nodes ARRAY(INT32), isr_nodes ARRAY(INT32), offline_replicas ARRAY(INT32) v5+),
 *     topic_authorized_operations INT32 v8+)
 *   cluster_authorized_operations INT32           v8
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface MetadataRequestTopic {
  name: string;
}

export interface MetadataRequest {
  /** null: all topics (v1+). In v0 an empty array means all topics, and null is sent as empty. */
  topics: MetadataRequestTopic[] | null;
  /** v4+; true for older versions. */
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  /** v7+, -1 otherwise. */
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  /** v5+ */
  offlineReplicas: number[];
}

export interface MetadataResponseTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  /** v8+; -2147483648 when not requested. */
  topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  clusterId: string | null;
  /** v1+, -1 when unknown. */
  controllerId: number;
  topics: MetadataResponseTopic[];
  clusterAuthorizedOperations: number;
}

export const authorizedOperationsOmitted = -2147483648;

function decodeRequest(r: Reader, version: number): MetadataRequest {
  const readTopic = (t: Reader): MetadataRequestTopic => ({ name: t.string() });
  const topics = version >= 1 ? r.nullableArray(2, readTopic) : r.array(2, readTopic);
  const allowAutoTopicCreation = version >= 4 ? r.bool() : true;
  const includeClusterAuthorizedOperations = version >= 8 ? r.bool() : false;
  const includeTopicAuthorizedOperations = version >= 8 ? r.bool() : false;
  return { topics, allowAutoTopicCreation, includeClusterAuthorizedOperations, includeTopicAuthorizedOperations };
}

function encodeRequest(w: Writer, version: number, request: MetadataRequest): void {
  const writeTopic = (t: Writer, topic: MetadataRequestTopic): void => void t.string(topic.name);
  if (version >= 1) w.nullableArray(request.topics, writeTopic);
  else w.array(request.topics ?? [], writeTopic);
  if (version >= 4) w.bool(request.allowAutoTopicCreation);
  if (version >= 8) {
    w.bool(request.includeClusterAuthorizedOperations).bool(request.includeTopicAuthorizedOperations);
  }
}

function decodePartition(r: Reader, version: number): MetadataResponsePartition {
  const errorCode = r.int16();
  const partitionIndex = r.int32();
  const leaderId = r.int32();
  const leaderEpoch = version >= 7 ? r.int32() : -1;
  const replicaNodes = r.int32Array();
  const isrNodes = r.int32Array();
  const offlineReplicas = version >= 5 ? r.int32Array() : [];
  return { errorCode, partitionIndex, leaderId, leaderEpoch, replicaNodes, isrNodes, offlineReplicas };
}

function decodeTopic(r: Reader, version: number): MetadataResponseTopic {
  const errorCode = r.int16();
  const name = r.string();
  const isInternal = version >= 1 ? r.bool() : false;
  const partitions = r.array(18, (p) => decodePartition(p, version));
  const topicAuthorizedOperations = version >= 8 ? r.int32() : authorizedOperationsOmitted;
  return { errorCode, name, isInternal, partitions, topicAuthorizedOperations };
}

function decodeResponse(r: Reader, version: number): MetadataResponse {
  const throttleTimeMs = version >= 3 ? r.int32() : 0;
  const brokers = r.array(10, (b) => ({
    nodeId: b.int32(),
    host: b.string(),
    port: b.int32(),
    rack: version >= 1 ? b.nullableString() : null,
  }));
  const clusterId = version >= 2 ? r.nullableString() : null;
  const controllerId = version >= 1 ? r.int32() : -1;
  const topics = r.array(8, (t) => decodeTopic(t, version));
  const clusterAuthorizedOperations = version >= 8 ? r.int32() : authorizedOperationsOmitted;
  return { throttleTimeMs, brokers, clusterId, controllerId, topics, clusterAuthorizedOperations };
}

function encodePartition(w: Writer, version: number, p: MetadataResponsePartition): void {
  w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
  if (version >= 7) w.int32(p.leaderEpoch);
  w.int32Array(p.replicaNodes).int32Array(p.isrNodes);
  if (version >= 5) w.int32Array(p.offlineReplicas);
}

function encodeResponse(w: Writer, version: number, response: MetadataResponse): void {
  if (version >= 3) w.int32(response.throttleTimeMs);
  w.array(response.brokers, (b, broker) => {
    b.int32(broker.nodeId).string(broker.host).int32(broker.port);
    if (version >= 1) b.nullableString(broker.rack);
  });
  if (version >= 2) w.nullableString(response.clusterId);
  if (version >= 1) w.int32(response.controllerId);
  w.array(response.topics, (t, topic) => {
    t.int16(topic.errorCode).string(topic.name);
    if (version >= 1) t.bool(topic.isInternal);
    t.array(topic.partitions, (p, partition) => encodePartition(p, version, partition));
    if (version >= 8) t.int32(topic.topicAuthorizedOperations);
  });
  if (version >= 8) w.int32(response.clusterAuthorizedOperations);
}

export const metadataApi: ApiCodec<MetadataRequest, MetadataResponse> = {
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  versionMin: 0,
  versionMax: 8,
  flexibleVersionMin: 9,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
