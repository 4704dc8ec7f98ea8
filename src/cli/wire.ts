/**
 * One Kafka connection of the client commands: Chronik's own wire client and codec
 * (src/core/protocol) on a real TCP socket. Requests may be pipelined; responses are matched by
 * correlation id. Any failure (the socket erroring or closing, a request timing out) rejects every
 * pending request with a CliError that names the broker's address.
 *
 * On connect it asks ApiVersions, so `version()` can pick the highest version both sides speak and
 * `supports()` can tell whether the broker advertises an API at all.
 */
import { NetError } from '../core/io/network.ts';
import { ApiKey, errorCodeName, type ApiVersionsResponseKey, type RequestBody, type ResponseBody, type SupportedApiKey } from '../core/protocol/index.ts';
import { ClientError, KafkaWireClient } from '../core/protocol/wire-client.ts';
import { RealClock } from '../io-real/real-clock.ts';
import { RealNetwork } from '../io-real/real-network.ts';
import { CliError } from './cli-error.ts';

const clientId = 'chronik-cli';

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export function formatAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export interface WireTimeouts {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

const net = new RealNetwork();
const clock = new RealClock();

/** Chronik's one wire client (src/core/protocol/wire-client.ts) on a real socket, with the CLI's errors. */
export class WireConnection {
  private apiVersions: readonly ApiVersionsResponseKey[] = [];

  private constructor(
    private readonly client: KafkaWireClient,
    readonly address: BrokerAddress,
  ) {}

  /** Connects and asks ApiVersions; rejects with a CliError that names the address. */
  static async connect(address: BrokerAddress, timeouts: WireTimeouts): Promise<WireConnection> {
    let client: KafkaWireClient;
    try {
      const connection = await net.connect(address.host, address.port, { timeoutMs: timeouts.connectTimeoutMs });
      client = new KafkaWireClient(connection, { clientId, clock, requestTimeoutMs: timeouts.requestTimeoutMs });
    } catch (error) {
      if (!(error instanceof NetError)) throw error;
      const reason = error.code === 'ECONNREFUSED' ? 'connection refused' : error.code === 'ETIMEDOUT' ? `no answer within ${timeouts.connectTimeoutMs} ms` : error.message;
      throw new UnreachableError(address, reason);
    }
    const connection = new WireConnection(client, address);
    try {
      const answer = await connection.request(ApiKey.ApiVersions, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
      if (answer.errorCode !== 0) throw new CliError(`the broker at ${formatAddress(address)} refused ApiVersions: ${errorCodeName(answer.errorCode)}`);
      connection.apiVersions = answer.apiKeys;
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** True when the broker advertises `apiKey` in ApiVersions. */
  supports(apiKey: number): boolean {
    return this.apiVersions.some((k) => k.apiKey === apiKey);
  }

  /** The highest version of `apiKey` both this client (`wantedMax`) and the broker speak. */
  version(apiKey: number, name: string, wantedMax: number): number {
    const advertised = this.apiVersions.find((k) => k.apiKey === apiKey);
    const version = advertised === undefined ? -1 : Math.min(wantedMax, advertised.maxVersion);
    if (advertised === undefined || version < advertised.minVersion) {
      throw new CliError(`the broker at ${formatAddress(this.address)} does not speak ${name} (API key ${apiKey}) at a version this tool knows`);
    }
    return version;
  }

  /** Sends a request and decodes its answer; any failure is a CliError naming the broker. */
  async request<K extends SupportedApiKey>(apiKey: K, version: number, body: RequestBody<K>): Promise<ResponseBody<K>> {
    try {
      return await this.client.request(apiKey, version, body);
    } catch (error) {
      if (error instanceof ClientError || error instanceof NetError) {
        throw new CliError(`the broker at ${formatAddress(this.address)}: ${error.message}`);
      }
      throw error;
    }
  }

  close(): void {
    this.client.close();
  }
}

/** No broker answered at an address (refused, unresolvable, timed out). */
export class UnreachableError extends CliError {
  constructor(
    readonly address: BrokerAddress,
    readonly reason: string,
  ) {
    super(`cannot reach a broker at ${formatAddress(address)} (${reason})`);
  }
}
