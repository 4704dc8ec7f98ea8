/** The wire client lives in core (follower replication uses it); tests import it from here too. */
export { ClientError, KafkaWireClient, type KafkaWireClientOptions, type RequestOptions } from '../core/protocol/wire-client.ts';
