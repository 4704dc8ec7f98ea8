/**
 * The client-bound ceiling: a "broker" built from Chronik's own codec that answers ApiVersions,
 * Metadata and Produce (and InitProducerId) and stores nothing. Whatever rate a client reaches
 * against it is the most any broker could show on the same machine with that client.
 *
 *   npx tsx bench/null-broker.ts PORT
 */
import net from 'node:net';
import {
  ApiKey,
  ErrorCode,
  FrameDecoder,
  advertisedApiVersions,
  authorizedOperationsOmitted,
  decodeRequest,
  encodeResponse,
  encodeUnsupportedApiVersionsResponse,
  type KafkaRequest,
} from '../src/core/protocol/index.ts';

const port = Number(process.argv[2] ?? 9099);
const nextOffset = new Map<string, bigint>();

function answer(request: KafkaRequest): Uint8Array[] | null {
  const { apiVersion: v, correlationId: id } = request;
  switch (request.apiKey) {
    case ApiKey.ApiVersions:
      return encodeResponse(ApiKey.ApiVersions, v, id, { errorCode: 0, apiKeys: advertisedApiVersions(), throttleTimeMs: 0 });
    case ApiKey.Metadata: {
      const names = request.body.topics?.map((t) => t.name) ?? [...new Set([...nextOffset.keys()].map((k) => k.split('/')[0]!))];
      return encodeResponse(ApiKey.Metadata, v, id, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }],
        clusterId: 'null-broker',
        controllerId: 0,
        topics: names.map((name) => ({
          errorCode: 0,
          name,
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }],
          topicAuthorizedOperations: authorizedOperationsOmitted,
        })),
        clusterAuthorizedOperations: authorizedOperationsOmitted,
      });
    }
    case ApiKey.InitProducerId:
      return encodeResponse(ApiKey.InitProducerId, v, id, { throttleTimeMs: 0, errorCode: 0, producerId: 1n, producerEpoch: 0 });
    case ApiKey.Produce: {
      const responses = request.body.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const key = `${t.name}/${p.index}`;
          const base = nextOffset.get(key) ?? 0n;
          const count = p.records !== null && p.records.length >= 61 ? BigInt(new DataView(p.records.buffer, p.records.byteOffset).getInt32(57)) : 0n;
          nextOffset.set(key, base + count);
          return { index: p.index, errorCode: ErrorCode.NONE, baseOffset: base, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null };
        }),
      }));
      return request.body.acks === 0 ? null : encodeResponse(ApiKey.Produce, v, id, { responses, throttleTimeMs: 0 });
    }
    default:
      return null;
  }
}

net
  .createServer((socket) => {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(100 * 1024 * 1024);
    socket.on('data', (chunk) =>
      decoder.push(chunk, (event) => {
        if (event.kind === 'oversized') return void socket.destroy();
        const decoded = decodeRequest(event.frame);
        if (!decoded.ok) {
          if (decoded.failure.kind === 'unsupported-version' && decoded.failure.header.apiKey === ApiKey.ApiVersions) {
            for (const c of encodeUnsupportedApiVersionsResponse(decoded.failure.header.correlationId)) socket.write(c);
            return;
          }
          return void socket.destroy();
        }
        for (const c of answer(decoded.request) ?? []) socket.write(c);
      }),
    );
    socket.on('error', () => undefined);
  })
  .listen(port, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'NullBrokerListening', port })));
