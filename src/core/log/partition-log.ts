import type { Io } from '../io/index.ts';
import type { AppendResult, PartitionLogApi, PartitionLogConfig, RecoveryReport } from './types.ts';

/** One partition's log. Placeholder with the final signatures; the implementation lands next. */
export class PartitionLog implements PartitionLogApi {
  static async open(_io: Io, _dir: string, _config: PartitionLogConfig): Promise<{ log: PartitionLog; recovery: RecoveryReport }> {
    throw new Error('PartitionLog: not implemented yet');
  }
  get logStartOffset(): bigint { return 0n; }
  get logEndOffset(): bigint { return 0n; }
  get durableEndOffset(): bigint { return 0n; }
  get sizeBytes(): number { return 0; }
  async append(_batches: Uint8Array): Promise<AppendResult> { throw new Error('not implemented'); }
  async read(_offset: bigint, _maxBytes: number): Promise<Uint8Array> { throw new Error('not implemented'); }
  async offsetForTimestamp(_timestampMs: bigint): Promise<bigint | null> { throw new Error('not implemented'); }
  async enforceRetention(): Promise<bigint> { throw new Error('not implemented'); }
  async truncateTo(_offset: bigint): Promise<void> { throw new Error('not implemented'); }
  async stop(): Promise<void> { throw new Error('not implemented'); }
}

/** Defaults (Kafka's, except the flush policy, which is fsync-before-ack). */
export const defaultPartitionLogConfig: PartitionLogConfig = {
  segmentBytesMax: 1024 * 1024 * 1024,
  segmentAgeMsMax: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  flush: { mode: 'per-append' },
  retentionBytesMax: null,
  retentionMsMax: 7 * 24 * 60 * 60 * 1000,
};
