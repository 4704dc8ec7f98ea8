import { readFileSync } from 'node:fs';
import { parseHostPort } from '../core/io/network.ts';
import { parseVoters } from '../core/metadata/controller-node.ts';
import type { PeerAddress } from '../core/raft/transport.ts';

/**
 * Broker configuration: built-in defaults, overridden by a JSON config file (--config or
 * CHRONIK_CONFIG), overridden by CHRONIK_* environment variables, overridden by command-line flags.
 * Every invalid value is reported with the option, the variable and the file key that set it.
 */
export interface BrokerConfig {
  dataDir: string;
  listen: { host: string; port: number };
  /** The host:port clients are told to connect to (defaults to `listen`). */
  advertised: { host: string; port: number };
  nodeId: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `auto`: pretty when stdout is a terminal, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  autoCreateTopics: boolean;
  defaultPartitions: number;
  requestBytesMax: number;
  /** The controller quorum (Kafka's controller.quorum.voters); null runs a single node. */
  voters: PeerAddress[] | null;
  minInsyncReplicas: number;
  defaultReplicationFactor: number;
  replicaLagTimeMaxMs: number;
  replicaFetchMaxBytes: number;
  brokerSessionTimeoutMs: number;
  /** How long the first JoinGroup of an empty group waits for more members (Kafka group.initial.rebalance.delay.ms). */
  groupInitialRebalanceDelayMs: number;
  /** Where `GET /metrics` (Prometheus text format) is served; null: not served. */
  metricsListen: { host: string; port: number } | null;
  requestBytesHeldMax: number;
}

/**
 * One option of `chronik start`: the only place its flag, variable, default and description are
 * written. `chronik start --help` and the defaults come from this table, and a test holds
 * docs/configuration.md to it.
 */
interface OptionSpec<K extends keyof BrokerConfig> {
  key: K;
  flag: string;
  /** The value's placeholder in --help, e.g. `<host:port>`. */
  arg: string;
  env: string;
  /** The built-in default, written as a user would write it (parsed into `defaultConfig`). */
  default: string;
  /** How --help and the docs show the default, when the plain text above would mislead. */
  defaultShown?: string;
  /** What the option does and its unit. */
  description: string;
  parse(text: string): BrokerConfig[K];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}, got '${text}'`);
    return n;
  };
}

function boolean(text: string): boolean {
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw new Error(`expected true or false, got '${text}'`);
}

function nonEmpty(text: string): string {
  if (text.trim().length === 0) throw new Error('expected a non-empty path');
  return text;
}

function hostPortOrOff(text: string): { host: string; port: number } | null {
  return text.trim() === 'off' ? null : parseHostPort(text);
}

function logLevel(text: string): BrokerConfig['logLevel'] {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new Error(`expected debug, info, warn or error, got '${text}'`);
}

function logFormat(text: string): BrokerConfig['logFormat'] {
  if (text === 'auto' || text === 'json' || text === 'pretty') return text;
  throw new Error(`expected auto, json or pretty, got '${text}'`);
}

const specs: OptionSpec<keyof BrokerConfig>[] = [
  {
    key: 'dataDir', flag: '--data-dir', arg: '<dir>', env: 'CHRONIK_DATA_DIR', default: './data',
    description: 'directory for partitions, metadata and committed offsets, created if missing; one broker per directory',
    parse: nonEmpty,
  },
  {
    key: 'listen', flag: '--listen', arg: '<host:port>', env: 'CHRONIK_LISTEN', default: '127.0.0.1:9092',
    description: 'address the Kafka listener binds; port 0 picks a free port',
    parse: parseHostPort,
  },
  {
    key: 'advertised', flag: '--advertised', arg: '<host:port>', env: 'CHRONIK_ADVERTISED', default: '127.0.0.1:9092', defaultShown: 'the --listen address',
    description: 'address clients are told to connect to; set it when clients reach the broker by another name, e.g. from outside a container',
    parse: parseHostPort,
  },
  {
    key: 'nodeId', flag: '--node-id', arg: '<id>', env: 'CHRONIK_NODE_ID', default: '1',
    description: "this broker's id, a whole number from 0 to 2147483647",
    parse: integer(0, 2 ** 31 - 1),
  },
  {
    key: 'logLevel', flag: '--log-level', arg: '<level>', env: 'CHRONIK_LOG_LEVEL', default: 'info',
    description: 'least severe log events printed: debug, info, warn or error',
    parse: logLevel,
  },
  {
    key: 'logFormat', flag: '--log-format', arg: '<format>', env: 'CHRONIK_LOG_FORMAT', default: 'auto',
    description: 'how log lines on stdout look: json (pino JSON, one event per line), pretty (readable text, one event per line) or auto (pretty on a terminal, json otherwise)',
    parse: logFormat,
  },
  {
    key: 'autoCreateTopics', flag: '--auto-create-topics', arg: '<bool>', env: 'CHRONIK_AUTO_CREATE_TOPICS', default: 'true',
    description: 'true: create a topic the first time a client produces to it or asks for its metadata; false: answer UNKNOWN_TOPIC_OR_PARTITION (also accepts 1/0, yes/no)',
    parse: boolean,
  },
  {
    key: 'defaultPartitions', flag: '--default-partitions', arg: '<n>', env: 'CHRONIK_DEFAULT_PARTITIONS', default: '1',
    description: 'partitions of an auto-created topic, 1 to 10000',
    parse: integer(1, 10_000),
  },
  {
    key: 'requestBytesMax', flag: '--request-bytes-max', arg: '<bytes>', env: 'CHRONIK_REQUEST_BYTES_MAX', default: '104857600', defaultShown: '104857600 = 100 MiB',
    description: 'largest request frame accepted, in bytes, 1024 to 1073741824; a larger one closes the connection',
    parse: integer(1024, 1024 ** 3),
  },
  {
    key: 'requestBytesHeldMax', flag: '--request-bytes-held-max', arg: '<bytes>', env: 'CHRONIK_REQUEST_BYTES_HELD_MAX', default: '268435456', defaultShown: '268435456 = 256 MiB',
    description: 'request bytes held in memory across all connections (read and not yet answered), 1048576 to 1099511627776; at this total, connections with requests pending stop reading until it drains: clients wait, nothing is refused',
    parse: integer(1024 * 1024, 1024 ** 4),
  },
  {
    key: 'voters', flag: '--voters', arg: '<id@host:port,...>', env: 'CHRONIK_VOTERS', default: '', defaultShown: 'none: a single node, its own leader for every partition',
    description: "run as one node of a cluster: the controller quorum's voters (1, 3 or 5), each with the address its Raft port listens on; --node-id must be one of them (every node runs a voter and a broker)",
    parse: (text: string) => (text.trim() === '' ? null : parseVotersOption(text)),
  },
  {
    key: 'minInsyncReplicas', flag: '--min-insync-replicas', arg: '<n>', env: 'CHRONIK_MIN_INSYNC_REPLICAS', default: '1',
    description: 'cluster: acks=all needs at least this many in-sync replicas, else NOT_ENOUGH_REPLICAS (Kafka min.insync.replicas), 1 to 5',
    parse: integer(1, 5),
  },
  {
    key: 'defaultReplicationFactor', flag: '--default-replication-factor', arg: '<n>', env: 'CHRONIK_DEFAULT_REPLICATION_FACTOR', default: '1',
    description: 'cluster: replicas of a topic created without a replication factor (auto-created ones too), capped by the live brokers, 1 to 5',
    parse: integer(1, 5),
  },
  {
    key: 'replicaLagTimeMaxMs', flag: '--replica-lag-time-max-ms', arg: '<ms>', env: 'CHRONIK_REPLICA_LAG_TIME_MAX_MS', default: '30000',
    description: 'cluster: a follower that has not caught up with its leader for this long leaves the ISR (Kafka replica.lag.time.max.ms), 1000 to 3600000',
    parse: integer(1000, 3_600_000),
  },
  {
    key: 'replicaFetchMaxBytes', flag: '--replica-fetch-max-bytes', arg: '<bytes>', env: 'CHRONIK_REPLICA_FETCH_MAX_BYTES', default: '4194304', defaultShown: '4194304 = 4 MiB',
    description: "cluster: bytes a follower asks its leader for in one fetch (Kafka replica.fetch.max.bytes, 1 MiB there; a follower here fsyncs every fetch before it reports it, so fewer, larger fetches cost less), 65536 to 134217728",
    parse: integer(64 * 1024, 128 * 1024 * 1024),
  },
  {
    key: 'brokerSessionTimeoutMs', flag: '--broker-session-timeout-ms', arg: '<ms>', env: 'CHRONIK_BROKER_SESSION_TIMEOUT_MS', default: '3000',
    description: "cluster: a broker whose heartbeats stop for this long is fenced and its partitions get new leaders (Kafka broker.session.timeout.ms, 9000 there; heartbeats go every sixth of it), 300 to 600000",
    parse: integer(300, 600_000),
  },
  {
    key: 'groupInitialRebalanceDelayMs', flag: '--group-initial-rebalance-delay-ms', arg: '<ms>', env: 'CHRONIK_GROUP_INITIAL_REBALANCE_DELAY_MS', default: '3000',
    description: "how long an empty consumer group's first join waits for more members before it assigns partitions (Kafka group.initial.rebalance.delay.ms; 0 for tests), 0 to 300000",
    parse: integer(0, 300_000),
  },
  {
    key: 'metricsListen', flag: '--metrics-listen', arg: '<host:port>', env: 'CHRONIK_METRICS_LISTEN', default: 'off',
    description: 'address where GET /metrics serves Prometheus metrics over HTTP (see docs/metrics.md), or off; its port must differ from the --listen port',
    parse: hostPortOrOff,
  },
] as OptionSpec<keyof BrokerConfig>[];

export const configOptionSpecs: readonly Omit<OptionSpec<keyof BrokerConfig>, 'parse'>[] = specs;

/** The help text of an option: what it does, its default, then its environment variable. */
export function optionHelp(spec: Omit<OptionSpec<keyof BrokerConfig>, 'parse'>): string {
  return `${spec.description} (default ${spec.defaultShown ?? spec.default}; env ${spec.env})`;
}

export const defaultConfig: BrokerConfig = Object.fromEntries(specs.map((spec) => [spec.key, spec.parse(spec.default)])) as unknown as BrokerConfig;

/** Resolves the configuration. `flags` holds raw flag strings keyed like BrokerConfig (commander's camelCase). */
export function resolveConfig(
  flags: Partial<Record<keyof BrokerConfig, string>> & { config?: string },
  env: Record<string, string | undefined>,
): BrokerConfig {
  const config: BrokerConfig = { ...defaultConfig };
  let advertisedSet = false;
  const configPath = flags.config ?? env['CHRONIK_CONFIG'];
  const fromFile = configPath === undefined ? {} : readConfigFile(configPath);
  for (const spec of specs) {
    const sources: [string, string | undefined][] = [
      [`${configPath} key "${spec.key}"`, fromFile[spec.key]],
      [`environment variable ${spec.env}`, env[spec.env]],
      [`option ${spec.flag}`, flags[spec.key]],
    ];
    for (const [where, raw] of sources) {
      if (raw === undefined) continue;
      try {
        (config as unknown as Record<string, unknown>)[spec.key] = spec.parse(raw);
        if (spec.key === 'advertised') advertisedSet = true;
      } catch (error) {
        throw new ConfigError(`invalid ${where} (${spec.flag} / ${spec.env}): ${(error as Error).message}`);
      }
    }
  }
  if (!advertisedSet) config.advertised = { ...config.listen };
  checkMetricsListen(config);
  checkCluster(config);
  return config;
}

function parseVotersOption(text: string): PeerAddress[] {
  try {
    return parseVoters(text);
  } catch (error) {
    throw new Error(`${(error as Error).message}; write the voters as 1@host:port,2@host:port,3@host:port`);
  }
}

/** The cluster rules that involve several options. */
function checkCluster(config: BrokerConfig): void {
  if (config.voters === null) return;
  const self = config.voters.find((v) => v.id === config.nodeId);
  if (self === undefined) {
    throw new ConfigError(
      `--node-id ${config.nodeId} (CHRONIK_NODE_ID) is not one of --voters (CHRONIK_VOTERS) ${config.voters.map((v) => v.id).join(', ')}: ` +
        'every node of a cluster runs a controller voter and a broker; give each node its own id from the voters list',
    );
  }
  if (hostsOverlap(self.host, config.listen.host) && self.port === config.listen.port) {
    throw new ConfigError(
      `--listen ${config.listen.host}:${config.listen.port} (CHRONIK_LISTEN) and this node's entry ${self.id}@${self.host}:${self.port} in --voters (CHRONIK_VOTERS) ` +
        'use the same port: the Kafka listener and the controller (Raft) port must differ; the usual scheme is 9092 for Kafka and 9093 for the controller',
    );
  }
  const metrics = config.metricsListen;
  if (metrics !== null && metrics.port === self.port && hostsOverlap(metrics.host, self.host)) {
    throw new ConfigError(
      `--metrics-listen ${metrics.host}:${metrics.port} (CHRONIK_METRICS_LISTEN) clashes with this node's entry ${self.id}@${self.host}:${self.port} in --voters (CHRONIK_VOTERS): ` +
        'the metrics endpoint and the controller (Raft) port cannot share a port; give --metrics-listen another port',
    );
  }
}

const wildcardHosts = new Set(['0.0.0.0', '::', '[::]']);
const loopbackNames = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether two listen hosts can bind the same address: the same host, a wildcard, or localhost and a loopback address. */
function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y || wildcardHosts.has(x) || wildcardHosts.has(y)) return true;
  return (x === 'localhost' || y === 'localhost') && loopbackNames.has(x) && loopbackNames.has(y);
}

/**
 * The metrics endpoint must not take the Kafka listener's port (an earlier broker of this kind
 * shipped a metrics port that clashed with a neighbour's Kafka port). Port 0 never clashes.
 */
function checkMetricsListen(config: BrokerConfig): void {
  const metrics = config.metricsListen;
  const kafka = config.listen;
  if (metrics === null || metrics.port === 0 || metrics.port !== kafka.port || !hostsOverlap(metrics.host, kafka.host)) return;
  throw new ConfigError(
    `--metrics-listen ${metrics.host}:${metrics.port} (CHRONIK_METRICS_LISTEN) clashes with --listen ${kafka.host}:${kafka.port} (CHRONIK_LISTEN): ` +
      'the metrics endpoint and the Kafka listener cannot share a port; give --metrics-listen another port',
  );
}

function readConfigFile(file: string): Partial<Record<keyof BrokerConfig, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file} (--config / CHRONIK_CONFIG): ${(error as Error).message}; check the path and its permissions`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} (--config / CHRONIK_CONFIG) is not JSON: ${(error as Error).message}; fix the file`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object of options, e.g. {"listen": "127.0.0.1:9092", "nodeId": 1}`);
  }
  const known = new Set(specs.map((s) => s.key as string));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown key "${key}"; use one of ${[...known].join(', ')}`);
    if (typeof value === 'object' || value === undefined) {
      throw new ConfigError(`config file ${file}: key "${key}" holds ${JSON.stringify(value)}; write its value as a string, number or boolean, as on the command line`);
    }
    out[key] = String(value);
  }
  return out;
}
