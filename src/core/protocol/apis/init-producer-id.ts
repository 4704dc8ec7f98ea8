/**
 * InitProducerId (key 22), versions 0-1 (2+ is flexible; capping at 1 keeps librdkafka non-flexible).
 * Sent by idempotent producers (kafkajs idempotent: true, librdkafka enable.idempotence) before the
 * first Produce.
 *
 * Request:  transactional_id NULLABLE_STRING, transaction_timeout_ms INT32
 * Response: throttle_time_ms INT32, error_code INT16, producer_id INT64, producer_epoch INT16
 */
import type { ApiCodec } from '../api-codec.ts';
import { ApiKey } from '../api-keys.ts';
import type { Reader } from '../reader.ts';
import type { Writer } from '../writer.ts';

export interface InitProducerIdRequest {
  /** null for an idempotent, non-transactional producer. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

function decodeRequest(r: Reader): InitProducerIdRequest {
  const transactionalId = r.nullableString();
  return { transactionalId, transactionTimeoutMs: r.int32() };
}

function encodeRequest(w: Writer, _version: number, request: InitProducerIdRequest): void {
  w.nullableString(request.transactionalId).int32(request.transactionTimeoutMs);
}

function decodeResponse(r: Reader): InitProducerIdResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  return { throttleTimeMs, errorCode, producerId: r.int64(), producerEpoch: r.int16() };
}

function encodeResponse(w: Writer, _version: number, response: InitProducerIdResponse): void {
  w.int32(response.throttleTimeMs).int16(response.errorCode).int64(response.producerId).int16(response.producerEpoch);
}

export const initProducerIdApi: ApiCodec<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  versionMin: 0,
  versionMax: 1,
  flexibleVersionMin: 2,
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
};
