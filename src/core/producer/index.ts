/** Idempotent producers: per-partition sequence state and producer-id allocation (InitProducerId). */
export { ProducerErrorCode } from './error-codes.ts';
export { PartitionProducers, type ProducerCheck } from './partition-producers.ts';
export {
  ProducerStateTable,
  checkSequence,
  lastSequenceOf,
  type KnownProducer,
  type SequenceRange,
  type SequenceVerdict,
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
