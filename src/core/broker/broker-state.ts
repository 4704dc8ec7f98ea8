/**
 * What the request handlers share: the broker's Io, options, topics, group driver and producer
 * state. Handlers are plain functions of (state, request) so each API reads on its own.
 */
import type { ClusterMember } from '../cluster/cluster-member.ts';
import type { Io, Log } from '../io/index.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import type { GroupDriver } from './group-driver.ts';
import type { HostPort, ResolvedBrokerOptions } from './options.ts';
import type { ProducerRegistry } from './producer-registry.ts';
import type { Partition, TopicStore } from './topic-store.ts';
import type { FetchWaiters } from './fetch-waiters.ts';

export interface BrokerState {
  readonly io: Io;
  readonly log: Log;
  readonly options: ResolvedBrokerOptions;
  /** Where clients should connect (the actual port when listening on port 0). */
  readonly advertised: HostPort;
  readonly topics: TopicStore;
  readonly groups: GroupDriver;
  readonly producers: ProducerRegistry;
  readonly fetchWaiters: FetchWaiters;
  /** The broker's cluster membership, or null on a single-node broker. */
  readonly cluster: ClusterMember | null;
  readonly metrics: BrokerMetrics;
  /** True once stop() has begun. */
  readonly stopping: boolean;
}

/**
 * Whether this broker leads `partition`: always on a single node; on a cluster only when its
 * replica is the leader (with `ready`, also once the new leader's epoch is durable, as produce
 * needs). A cluster partition without a replica yet (its image not caught up) is led elsewhere.
 */
export function leadsHere(state: BrokerState, partition: Partition, ready = false): boolean {
  const replica = partition.replica;
  if (replica === null) return state.cluster === null;
  return ready ? replica.leading : replica.role === 'leader';
}
