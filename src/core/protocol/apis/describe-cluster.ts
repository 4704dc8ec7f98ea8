/**
 * DescribeCluster (key 60), versions 0-1 (every version is flexible). Sent by librdkafka 2.2+
 * (DescribeCluster) and the Java AdminClient's describeCluster.
 *
 * Request:  include_cluster_authorized_operations BOOL, endpoint_type INT8 v1+ (1 brokers, 2 controllers)
 * Response: throttle_time_ms INT32, error_code INT16, error_message COMPACT_NULLABLE_STRING,
 *           endpoint_type INT8 v1+, cluster_id COMPACT_STRING, controller_id INT32,
 *           brokers COMPACT_ARRAY(broker_id INT32, host COMPACT_STRING, port INT32,
 *             rack COMPACT_NULLABLE_STRING), cluster_authorized_operations INT32
 * A tagged-field section follows each struct.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export const DescribeClusterEndpointType = { BROKERS: 1, CONTROLLERS: 2 } as const;

export interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  /** v1+; 1 (brokers) below. */
  endpointType: number;
}

export interface DescribeClusterBroker {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface DescribeClusterResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  /** v1+; 1 (brokers) below. */
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterBroker[];
  clusterAuthorizedOperations: number;
}

function decodeRequest(r: Reader, version: number): DescribeClusterRequest {
  const includeClusterAuthorizedOperations = r.bool();
  const endpointType = version >= 1 ? r.int8() : DescribeClusterEndpointType.BROKERS;
  r.taggedFields();
  return { includeClusterAuthorizedOperations, endpointType };
}

function encodeRequest(w: Writer, version: number, request: DescribeClusterRequest): void {
  w.bool(request.includeClusterAuthorizedOperations);
  if (version >= 1) w.int8(request.endpointType);
  w.emptyTaggedFields();
}

function readBroker(r: Reader): DescribeClusterBroker {
  const broker = { brokerId: r.int32(), host: r.compactString(), port: r.int32(), rack: r.compactNullableString() };
  r.taggedFields();
  return broker;
}

function decodeResponse(r: Reader, version: number): DescribeClusterResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  const errorMessage = r.compactNullableString();
  const endpointType = version >= 1 ? r.int8() : DescribeClusterEndpointType.BROKERS;
  const clusterId = r.compactString();
  const controllerId = r.int32();
  const brokers = r.compactArray(11, readBroker);
  const clusterAuthorizedOperations = r.int32();
  r.taggedFields();
  return { throttleTimeMs, errorCode, errorMessage, endpointType, clusterId, controllerId, brokers, clusterAuthorizedOperations };
}

function encodeResponse(w: Writer, version: number, response: DescribeClusterResponse): void {
  w.int32(response.throttleTimeMs).int16(response.errorCode).compactNullableString(response.errorMessage);
  if (version >= 1) w.int8(response.endpointType);
  w.compactString(response.clusterId).int32(response.controllerId);
  w.compactArray(response.brokers, (b, broker) => {
    b.int32(broker.brokerId).compactString(broker.host).int32(broker.port).compactNullableString(broker.rack).emptyTaggedFields();
  });
  w.int32(response.clusterAuthorizedOperations).emptyTaggedFields();
}

export const describeClusterApi: ApiCodec<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: ApiKey.DescribeCluster,
  name: 'DescribeCluster',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 0,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
