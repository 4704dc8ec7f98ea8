/**
 * DescribeProducers (key 61), version 0 (flexible). Sent by the Java AdminClient's describeProducers
 * (kafka-transactions.sh describe-producers): the idempotent producers a partition knows.
 *
 * Request:  topics COMPACT_ARRAY(name COMPACT_STRING, partition_indexes COMPACT_ARRAY(INT32))
 * Response: throttle_time_ms INT32,
 *           topics COMPACT_ARRAY(name COMPACT_STRING,
 *             partitions COMPACT_ARRAY(partition_index INT32, error_code INT16,
 *               error_message COMPACT_NULLABLE_STRING,
 *               active_producers COMPACT_ARRAY(producer_id INT64, producer_epoch INT32,
 *                 last_sequence INT32, last_timestamp INT64, coordinator_epoch INT32,
 *                 current_txn_start_offset INT64)))
 * A tagged-field section follows each struct.
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface DescribeProducersRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface DescribeProducersRequest {
  topics: DescribeProducersRequestTopic[];
}

export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  /** -1 when unknown. */
  lastTimestamp: bigint;
  /** -1: no transaction coordinator (Chronik has no transactions). */
  coordinatorEpoch: number;
  /** -1: no open transaction. */
  currentTxnStartOffset: bigint;
}

export interface DescribeProducersResponsePartition {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: ActiveProducer[];
}

export interface DescribeProducersResponseTopic {
  name: string;
  partitions: DescribeProducersResponsePartition[];
}

export interface DescribeProducersResponse {
  throttleTimeMs: number;
  topics: DescribeProducersResponseTopic[];
}

function readRequestTopic(r: Reader): DescribeProducersRequestTopic {
  const topic = { name: r.compactString(), partitionIndexes: r.compactArray(4, (p) => p.int32()) };
  r.taggedFields();
  return topic;
}

function decodeRequest(r: Reader): DescribeProducersRequest {
  const topics = r.compactArray(3, readRequestTopic);
  r.taggedFields();
  return { topics };
}

function encodeRequest(w: Writer, _version: number, request: DescribeProducersRequest): void {
  w.compactArray(request.topics, (t, topic) => {
    t.compactString(topic.name).compactArray(topic.partitionIndexes, (p, index) => void p.int32(index)).emptyTaggedFields();
  });
  w.emptyTaggedFields();
}

function readProducer(r: Reader): ActiveProducer {
  const producer = {
    producerId: r.int64(),
    producerEpoch: r.int32(),
    lastSequence: r.int32(),
    lastTimestamp: r.int64(),
    coordinatorEpoch: r.int32(),
    currentTxnStartOffset: r.int64(),
  };
  r.taggedFields();
  return producer;
}

function readPartition(r: Reader): DescribeProducersResponsePartition {
  const partition = {
    partitionIndex: r.int32(),
    errorCode: r.int16(),
    errorMessage: r.compactNullableString(),
    activeProducers: r.compactArray(37, readProducer),
  };
  r.taggedFields();
  return partition;
}

function readResponseTopic(r: Reader): DescribeProducersResponseTopic {
  const topic = { name: r.compactString(), partitions: r.compactArray(9, readPartition) };
  r.taggedFields();
  return topic;
}

function decodeResponse(r: Reader): DescribeProducersResponse {
  const throttleTimeMs = r.int32();
  const topics = r.compactArray(3, readResponseTopic);
  r.taggedFields();
  return { throttleTimeMs, topics };
}

function encodeResponse(w: Writer, _version: number, response: DescribeProducersResponse): void {
  w.int32(response.throttleTimeMs);
  w.compactArray(response.topics, (t, topic) => {
    t.compactString(topic.name);
    t.compactArray(topic.partitions, (p, partition) => {
      p.int32(partition.partitionIndex).int16(partition.errorCode).compactNullableString(partition.errorMessage);
      p.compactArray(partition.activeProducers, (a, producer) => {
        a.int64(producer.producerId).int32(producer.producerEpoch).int32(producer.lastSequence).int64(producer.lastTimestamp);
        a.int32(producer.coordinatorEpoch).int64(producer.currentTxnStartOffset).emptyTaggedFields();
      });
      p.emptyTaggedFields();
    });
    t.emptyTaggedFields();
  });
  w.emptyTaggedFields();
}

export const describeProducersApi: ApiCodec<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: ApiKey.DescribeProducers,
  name: 'DescribeProducers',
  versionMin: 0,
  versionMax: 0,
  flexibleVersionMin: 0,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
