/** Idempotent producers: per-partition sequence state and producer-id allocation (InitProducerId). */
export { ProducerErrorCode } from './error-codes.ts';
export {
  ProducerStateTable,
  lastSequenceOf,
  type AppendedProducerBatch,
  type ProducerBatchHeader,
  type ProducerSnapshot,
  type ProducerStateOptions,
  type SequenceCheck,
} from './producer-state.ts';
export {
  ProducerIdAllocator,
  ProducerIdManager,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from './producer-id-allocator.ts';
export {
  FileProducerIdStore,
  MemoryProducerIdStore,
  ProducerIdStoreFormatError,
  producerIdsFileName,
  type ProducerIdStore,
} from './producer-id-store.ts';
