/**
 * The table of APIs Chronik implements. ApiVersions advertises exactly these keys and version ranges;
 * a request for any other key or version is refused by ../codec.ts before its body is decoded.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import { apiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse, type ApiVersionsResponseKey } from './api-versions.ts';
import { fetchApi, type FetchRequest, type FetchResponse } from './fetch.ts';
import { metadataApi, type MetadataRequest, type MetadataResponse } from './metadata.ts';
import { produceApi, type ProduceRequest, type ProduceResponse } from './produce.ts';
import { createPartitionsApi, type CreatePartitionsRequest, type CreatePartitionsResponse } from './create-partitions.ts';
import { deleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from './delete-groups.ts';
import { alterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponse } from './alter-configs.ts';
import { deleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponse } from './delete-records.ts';
import { listOffsetsApi, type ListOffsetsRequest, type ListOffsetsResponse } from './list-offsets.ts';
import { createTopicsApi, type CreateTopicsRequest, type CreateTopicsResponse } from './create-topics.ts';
import { deleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponse } from './delete-topics.ts';
import { findCoordinatorApi, type FindCoordinatorRequest, type FindCoordinatorResponse } from './find-coordinator.ts';
import { joinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from './join-group.ts';
import { syncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from './sync-group.ts';
import { heartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from './heartbeat.ts';
import { leaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from './leave-group.ts';
import { offsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from './offset-commit.ts';
import { offsetFetchApi, type OffsetFetchRequest, type OffsetFetchResponse } from './offset-fetch.ts';
import { describeGroupsApi, type DescribeGroupsRequest, type DescribeGroupsResponse } from './describe-groups.ts';
import { listGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from './list-groups.ts';
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from './init-producer-id.ts';
import { offsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from './offset-delete.ts';
import { describeClusterApi, type DescribeClusterRequest, type DescribeClusterResponse } from './describe-cluster.ts';
import { describeProducersApi, type DescribeProducersRequest, type DescribeProducersResponse } from './describe-producers.ts';
import { offsetForLeaderEpochApi, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from './offset-for-leader-epoch.ts';
import { describeConfigsApi, type DescribeConfigsRequest, type DescribeConfigsResponse } from './describe-configs.ts';
import { incrementalAlterConfigsApi, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from './incremental-alter-configs.ts';

/** Request and response body types by API key. */
export interface ApiTypes {
  [ApiKey.Produce]: { request: ProduceRequest; response: ProduceResponse };
  [ApiKey.Fetch]: { request: FetchRequest; response: FetchResponse };
  [ApiKey.Metadata]: { request: MetadataRequest; response: MetadataResponse };
  [ApiKey.ApiVersions]: { request: ApiVersionsRequest; response: ApiVersionsResponse };
  [ApiKey.ListOffsets]: { request: ListOffsetsRequest; response: ListOffsetsResponse };
  [ApiKey.CreateTopics]: { request: CreateTopicsRequest; response: CreateTopicsResponse };
  [ApiKey.DeleteTopics]: { request: DeleteTopicsRequest; response: DeleteTopicsResponse };
  [ApiKey.FindCoordinator]: { request: FindCoordinatorRequest; response: FindCoordinatorResponse };
  [ApiKey.JoinGroup]: { request: JoinGroupRequest; response: JoinGroupResponse };
  [ApiKey.SyncGroup]: { request: SyncGroupRequest; response: SyncGroupResponse };
  [ApiKey.Heartbeat]: { request: HeartbeatRequest; response: HeartbeatResponse };
  [ApiKey.LeaveGroup]: { request: LeaveGroupRequest; response: LeaveGroupResponse };
  [ApiKey.OffsetCommit]: { request: OffsetCommitRequest; response: OffsetCommitResponse };
  [ApiKey.OffsetFetch]: { request: OffsetFetchRequest; response: OffsetFetchResponse };
  [ApiKey.DescribeGroups]: { request: DescribeGroupsRequest; response: DescribeGroupsResponse };
  [ApiKey.ListGroups]: { request: ListGroupsRequest; response: ListGroupsResponse };
  [ApiKey.InitProducerId]: { request: InitProducerIdRequest; response: InitProducerIdResponse };
  [ApiKey.DescribeConfigs]: { request: DescribeConfigsRequest; response: DescribeConfigsResponse };
  [ApiKey.CreatePartitions]: { request: CreatePartitionsRequest; response: CreatePartitionsResponse };
  [ApiKey.DeleteGroups]: { request: DeleteGroupsRequest; response: DeleteGroupsResponse };
  [ApiKey.AlterConfigs]: { request: AlterConfigsRequest; response: AlterConfigsResponse };
  [ApiKey.DeleteRecords]: { request: DeleteRecordsRequest; response: DeleteRecordsResponse };
  [ApiKey.IncrementalAlterConfigs]: { request: IncrementalAlterConfigsRequest; response: IncrementalAlterConfigsResponse };
  [ApiKey.OffsetDelete]: { request: OffsetDeleteRequest; response: OffsetDeleteResponse };
  [ApiKey.DescribeCluster]: { request: DescribeClusterRequest; response: DescribeClusterResponse };
  [ApiKey.DescribeProducers]: { request: DescribeProducersRequest; response: DescribeProducersResponse };
  [ApiKey.OffsetForLeaderEpoch]: { request: OffsetForLeaderEpochRequest; response: OffsetForLeaderEpochResponse };
}

export type SupportedApiKey = keyof ApiTypes & number;
export type RequestBody<K extends SupportedApiKey> = ApiTypes[K]['request'];
export type ResponseBody<K extends SupportedApiKey> = ApiTypes[K]['response'];

export const SUPPORTED_APIS: { readonly [K in SupportedApiKey]: ApiCodec<RequestBody<K>, ResponseBody<K>> } = {
  [ApiKey.Produce]: produceApi,
  [ApiKey.Fetch]: fetchApi,
  [ApiKey.Metadata]: metadataApi,
  [ApiKey.ApiVersions]: apiVersionsApi,
  [ApiKey.ListOffsets]: listOffsetsApi,
  [ApiKey.CreateTopics]: createTopicsApi,
  [ApiKey.DeleteTopics]: deleteTopicsApi,
  [ApiKey.FindCoordinator]: findCoordinatorApi,
  [ApiKey.JoinGroup]: joinGroupApi,
  [ApiKey.SyncGroup]: syncGroupApi,
  [ApiKey.Heartbeat]: heartbeatApi,
  [ApiKey.LeaveGroup]: leaveGroupApi,
  [ApiKey.OffsetCommit]: offsetCommitApi,
  [ApiKey.OffsetFetch]: offsetFetchApi,
  [ApiKey.DescribeGroups]: describeGroupsApi,
  [ApiKey.ListGroups]: listGroupsApi,
  [ApiKey.InitProducerId]: initProducerIdApi,
  [ApiKey.DescribeConfigs]: describeConfigsApi,
  [ApiKey.CreatePartitions]: createPartitionsApi,
  [ApiKey.DeleteGroups]: deleteGroupsApi,
  [ApiKey.AlterConfigs]: alterConfigsApi,
  [ApiKey.DeleteRecords]: deleteRecordsApi,
  [ApiKey.IncrementalAlterConfigs]: incrementalAlterConfigsApi,
  [ApiKey.OffsetDelete]: offsetDeleteApi,
  [ApiKey.DescribeCluster]: describeClusterApi,
  [ApiKey.DescribeProducers]: describeProducersApi,
  [ApiKey.OffsetForLeaderEpoch]: offsetForLeaderEpochApi,
};

const codecsByKey = new Map<number, ApiCodec<unknown, unknown>>(
  Object.values(SUPPORTED_APIS).map((codec) => [codec.apiKey, codec as ApiCodec<unknown, unknown>]),
);

/** The codec for an API key, or undefined when Chronik does not implement it. */
export function apiCodec(apiKey: number): ApiCodec<unknown, unknown> | undefined {
  return codecsByKey.get(apiKey);
}

export function isSupportedApiKey(apiKey: number): apiKey is SupportedApiKey {
  return codecsByKey.has(apiKey);
}

export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const codec = codecsByKey.get(apiKey);
  return codec !== undefined && apiVersion >= codec.versionMin && apiVersion <= codec.versionMax;
}

/** The api_keys list of an ApiVersions response: every implemented API, ordered by key. */
export function advertisedApiVersions(): ApiVersionsResponseKey[] {
  return [...codecsByKey.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((codec) => ({ apiKey: codec.apiKey, minVersion: codec.versionMin, maxVersion: codec.versionMax }));
}
