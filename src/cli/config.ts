import { readFileSync } from 'node:fs';
import { parseHostPort } from '../core/io/network.ts';

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
  autoCreateTopics: boolean;
  defaultPartitions: number;
  requestBytesMax: number;
}

interface OptionSpec<K extends keyof BrokerConfig> {
  key: K;
  flag: string;
  env: string;
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

function logLevel(text: string): BrokerConfig['logLevel'] {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new Error(`expected debug, info, warn or error, got '${text}'`);
}

const specs: OptionSpec<keyof BrokerConfig>[] = [
  { key: 'dataDir', flag: '--data-dir', env: 'CHRONIK_DATA_DIR', parse: nonEmpty },
  { key: 'listen', flag: '--listen', env: 'CHRONIK_LISTEN', parse: parseHostPort },
  { key: 'advertised', flag: '--advertised', env: 'CHRONIK_ADVERTISED', parse: parseHostPort },
  { key: 'nodeId', flag: '--node-id', env: 'CHRONIK_NODE_ID', parse: integer(0, 2 ** 31 - 1) },
  { key: 'logLevel', flag: '--log-level', env: 'CHRONIK_LOG_LEVEL', parse: logLevel },
  { key: 'autoCreateTopics', flag: '--auto-create-topics', env: 'CHRONIK_AUTO_CREATE_TOPICS', parse: boolean },
  { key: 'defaultPartitions', flag: '--default-partitions', env: 'CHRONIK_DEFAULT_PARTITIONS', parse: integer(1, 10_000) },
  { key: 'requestBytesMax', flag: '--request-bytes-max', env: 'CHRONIK_REQUEST_BYTES_MAX', parse: integer(1024, 1024 ** 3) },
] as OptionSpec<keyof BrokerConfig>[];

export const configOptionSpecs: readonly { key: string; flag: string; env: string }[] = specs;

export const defaultConfig: BrokerConfig = {
  dataDir: './data',
  listen: { host: '127.0.0.1', port: 9092 },
  advertised: { host: '127.0.0.1', port: 9092 },
  nodeId: 1,
  logLevel: 'info',
  autoCreateTopics: true,
  defaultPartitions: 1,
  requestBytesMax: 100 * 1024 * 1024,
};

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
  return config;
}

function readConfigFile(file: string): Partial<Record<keyof BrokerConfig, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file} (--config / CHRONIK_CONFIG): ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`);
  }
  const known = new Set(specs.map((s) => s.key as string));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown key "${key}" (known: ${[...known].join(', ')})`);
    out[key] = String(value);
  }
  return out;
}
