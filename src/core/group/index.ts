/**
 * Consumer groups (Kafka's classic protocol): the pure coordinator state machine, its durable
 * offset store, and the driver that wires both to the I/O seam. See docs/groups.md.
 */
export { GroupErrorCode } from './error-codes.ts';
export {
  GroupCoordinator,
  defaultGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
  type GroupCoordinatorOptions,
  type GroupSnapshot,
} from './coordinator.ts';
export {
  FileOffsetStore,
  MemoryOffsetStore,
  OffsetStoreFormatError,
  offsetsFileName,
  type FileOffsetStoreOptions,
  type OffsetStore,
  type OffsetStoreLoad,
} from './offset-store.ts';
export { RecordFile, type RecordFileOpened } from './record-file.ts';
export type * from './types.ts';
