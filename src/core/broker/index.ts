/**
 * The single-node Kafka broker: `Broker.start(io, options)` listens, serves the Kafka protocol on top
 * of the partition logs, the group coordinator and the producer state, and `broker.stop()` shuts it
 * down gracefully. See docs/broker.md.
 */
export { Broker, BrokerStopError, transactionsUnsupported } from './broker.ts';
export type { BrokerBugs, BrokerOptions, HostPort } from './options.ts';
