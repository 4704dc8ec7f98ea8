/**
 * The metadata image: what every broker reads (brokers, topics, partitions with their replicas,
 * leader, leader epoch and ISR). Read-only to everyone but the metadata state machine, which
 * changes it only by applying committed records, in log order, identically on every node.
 */
export interface BrokerInfo {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  /** Registration epoch: the log index of its RegisterBroker record. */
  readonly epoch: number;
  /** A fenced broker missed its heartbeats: it leads nothing and is no ISR candidate. */
  readonly fenced: boolean;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly replicas: readonly number[];
  /** -1 when no replica can lead. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionInfo[];
  /** Config overrides (topic-config.ts names); absent when the topic has none. */
  readonly configs?: Readonly<Record<string, string>>;
}

/** A block of producer ids [firstProducerId, nextProducerId) given to one broker (epoch) by a ProducerIds record. */
export interface ProducerIdBlock {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly firstProducerId: number;
  readonly nextProducerId: number;
}

export interface MetadataImage {
  /** Log index of the last record applied (0 before any). */
  readonly appliedIndex: number;
  /** The first producer id not yet given to any broker (only grows). */
  readonly nextProducerId: number;
  /** The block of the last ProducerIds record applied (null before any). */
  readonly lastProducerIdBlock: ProducerIdBlock | null;
  broker(brokerId: number): BrokerInfo | undefined;
  brokers(): readonly BrokerInfo[];
  topic(name: string): TopicInfo | undefined;
  topics(): readonly TopicInfo[];
}
