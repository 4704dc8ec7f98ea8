/**
 * Topic configs: the per-topic settings a Kafka user sets with CreateTopics, AlterConfigs and
 * IncrementalAlterConfigs, as one table of rules (name, type, default, accepted values, parsing).
 * It lives beside topic-rules.ts because every path that creates or changes a topic shares it: the
 * single-node broker today, the metadata controller (through its Raft log) later.
 *
 * Representation: a topic's overrides are a plain map `name -> canonical string value`
 * (`TopicConfigOverrides`), serialisable as it is. Everything here is a pure function of that map and
 * of the broker's defaults (its PartitionLogConfig): validate a change, resolve the effective
 * values, derive the partition logs' config, describe every config with its source.
 */
import { logAppendBytesMax, logIndexEntriesPerSegmentMax, logSegmentBytesMaxLimit } from '../limits.ts';
import type { PartitionLogConfig } from '../log/index.ts';

/** A topic's overrides: config name -> canonical value. Names absent take the broker's default. */
export type TopicConfigOverrides = Readonly<Record<string, string>>;

/** What the broker defaults of topic configs come from (the broker's partition-log options). */
export type TopicConfigDefaults = Pick<PartitionLogConfig, 'segmentBytesMax' | 'segmentAgeMsMax' | 'indexIntervalBytes' | 'retentionBytesMax' | 'retentionMsMax'>;

export type TimestampType = 'CreateTime' | 'LogAppendTime';

/** The effective values of one topic (overrides over the broker's defaults). */
export interface TopicConfig {
  /** null: no age limit (retention.ms -1). */
  readonly retentionMs: number | null;
  /** null: no size limit (retention.bytes -1). */
  readonly retentionBytes: number | null;
  readonly segmentBytes: number;
  readonly segmentMs: number;
  /** Largest record batch a produce may carry (bytes, batch header included). */
  readonly maxMessageBytes: number;
  readonly messageTimestampType: TimestampType;
  readonly minInsyncReplicas: number;
}

/** Kafka's ConfigType values (DescribeConfigs v3 config_type). */
export const KafkaConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface ConfigEntryInput {
  readonly name: string;
  readonly value: string | null;
}

export interface ConfigOperationInput extends ConfigEntryInput {
  readonly operation: number;
}

/** A validated set of overrides, or why it is refused (the message names the key and what is accepted). */
export type ConfigCheck = { readonly ok: true; readonly overrides: TopicConfigOverrides } | { readonly ok: false; readonly message: string };

interface Rule {
  readonly name: string;
  readonly type: keyof typeof KafkaConfigType;
  /** The broker-level setting the default comes from (Kafka's name; DescribeConfigs synonyms). */
  readonly brokerName: string;
  readonly defaultValue: (d: TopicConfigDefaults) => string;
  /** The canonical value of `text`, or a problem naming the key and the accepted values. */
  readonly parse: (text: string, d: TopicConfigDefaults) => string | Problem;
}

interface Problem {
  readonly problem: string;
}

const int32Max = 2 ** 31 - 1;
const int64Max = 2n ** 63n - 1n;

function problem(text: string): Problem {
  return { problem: text };
}

function isProblem(value: string | Problem): value is Problem {
  return typeof value !== 'string';
}

/** An integer in [min, max], written as the canonical decimal string. */
function integerIn(name: string, min: bigint, max: bigint, what = ''): (text: string) => string | Problem {
  const accepted = `${what}${min}..${max}`;
  return (text) => {
    const trimmed = text.trim();
    if (!/^[+-]?\d+$/.test(trimmed)) return problem(`${name}: '${text}' is not a whole number; accepted: ${accepted}`);
    const value = BigInt(trimmed);
    if (value < min || value > max) return problem(`${name}: ${value} is out of range; accepted: ${accepted}`);
    return value.toString();
  };
}

function segmentBytesMaxAllowed(d: TopicConfigDefaults): number {
  return Math.min(logSegmentBytesMaxLimit, d.indexIntervalBytes * logIndexEntriesPerSegmentMax);
}

function nullableDefault(value: number | null): string {
  return value === null ? '-1' : String(value);
}

const rules: readonly Rule[] = [
  {
    name: 'cleanup.policy',
    type: 'LIST',
    brokerName: 'log.cleanup.policy',
    defaultValue: () => 'delete',
    parse: (text) => {
      const items = listItems(text);
      if (items.includes('compact')) {
        return problem("cleanup.policy: compact is not supported yet (Chronik does not compact logs); the accepted value is 'delete'");
      }
      if (items.length === 1 && items[0] === 'delete') return 'delete';
      return problem(`cleanup.policy: '${text}' is not accepted; the accepted value is 'delete'`);
    },
  },
  {
    name: 'compression.type',
    type: 'STRING',
    brokerName: 'compression.type',
    defaultValue: () => 'producer',
    parse: (text) =>
      text.trim().toLowerCase() === 'producer'
        ? 'producer'
        : problem(`compression.type: '${text}' is not supported yet (Chronik stores batches as the producer compressed them); the accepted value is 'producer'`),
  },
  {
    name: 'max.message.bytes',
    type: 'INT',
    brokerName: 'message.max.bytes',
    defaultValue: (d) => String(Math.min(d.segmentBytesMax, logAppendBytesMax)),
    parse: (text) => integerIn('max.message.bytes', 0n, BigInt(logAppendBytesMax), 'bytes ')(text),
  },
  {
    name: 'message.timestamp.type',
    type: 'STRING',
    brokerName: 'log.message.timestamp.type',
    defaultValue: () => 'CreateTime',
    parse: (text) => {
      const trimmed = text.trim();
      if (trimmed === 'CreateTime' || trimmed === 'LogAppendTime') return trimmed;
      return problem(`message.timestamp.type: '${text}' is not accepted; accepted: CreateTime, LogAppendTime`);
    },
  },
  {
    name: 'min.insync.replicas',
    type: 'INT',
    brokerName: 'min.insync.replicas',
    defaultValue: () => '1',
    parse: (text) => integerIn('min.insync.replicas', 1n, BigInt(int32Max))(text),
  },
  {
    name: 'retention.bytes',
    type: 'LONG',
    brokerName: 'log.retention.bytes',
    defaultValue: (d) => nullableDefault(d.retentionBytesMax),
    parse: (text) => integerIn('retention.bytes', -1n, int64Max, '-1 (no limit) or bytes ')(text),
  },
  {
    name: 'retention.ms',
    type: 'LONG',
    brokerName: 'log.retention.ms',
    defaultValue: (d) => nullableDefault(d.retentionMsMax),
    parse: (text) => integerIn('retention.ms', -1n, int64Max, '-1 (no limit) or milliseconds ')(text),
  },
  {
    name: 'segment.bytes',
    type: 'INT',
    brokerName: 'log.segment.bytes',
    defaultValue: (d) => String(d.segmentBytesMax),
    parse: (text, d) => integerIn('segment.bytes', 1024n, BigInt(segmentBytesMaxAllowed(d)), 'bytes ')(text),
  },
  {
    name: 'segment.ms',
    type: 'LONG',
    brokerName: 'log.roll.ms',
    defaultValue: (d) => String(d.segmentAgeMsMax),
    parse: (text) => integerIn('segment.ms', 1n, int64Max, 'milliseconds ')(text),
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'BOOLEAN',
    brokerName: 'unclean.leader.election.enable',
    defaultValue: () => 'false',
    parse: (text) => {
      const value = text.trim().toLowerCase();
      if (value === 'false') return 'false';
      if (value === 'true') {
        return problem(
          "unclean.leader.election.enable: true is not supported (Chronik never makes a replica that may lack acknowledged records the leader); the accepted value is 'false'",
        );
      }
      return problem(`unclean.leader.election.enable: '${text}' is not a boolean; the accepted value is 'false'`);
    },
  },
];

const rulesByName = new Map(rules.map((r) => [r.name, r]));

/** Every topic config Chronik knows, in name order. */
export const topicConfigNames: readonly string[] = rules.map((r) => r.name);

function listItems(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function unknownKey(name: string): string {
  return `'${name}' is not a topic config Chronik knows; known: ${topicConfigNames.join(', ')}`;
}

/** The canonical value of `name` = `value`, or a problem (unknown key, missing or bad value). */
function parseEntry(name: string, value: string | null, d: TopicConfigDefaults): string | Problem {
  const rule = rulesByName.get(name);
  if (rule === undefined) return problem(unknownKey(name));
  if (value === null) return problem(`${name}: a value is required (null given)`);
  return rule.parse(value, d);
}

function duplicateName(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  return names.find((name) => (seen.has(name) ? true : (seen.add(name), false)));
}

/**
 * The overrides a CreateTopics or AlterConfigs request sets (the whole set: AlterConfigs replaces a
 * topic's overrides with it). Refuses unknown keys, null or bad values and a key given twice.
 */
export function validateTopicConfigs(entries: readonly ConfigEntryInput[], d: TopicConfigDefaults): ConfigCheck {
  const twice = duplicateName(entries.map((e) => e.name));
  if (twice !== undefined) return { ok: false, message: `${twice}: given more than once` };
  const overrides: Record<string, string> = {};
  for (const entry of entries) {
    const parsed = parseEntry(entry.name, entry.value, d);
    if (isProblem(parsed)) return { ok: false, message: parsed.problem };
    overrides[entry.name] = parsed;
  }
  return { ok: true, overrides: sortedOverrides(overrides) };
}

/**
 * IncrementalAlterConfigs on `current`: SET a value, DELETE an override (back to the default),
 * APPEND to or SUBTRACT from a list config (only cleanup.policy is one). The result is validated as a
 * whole; a key given twice is refused.
 */
export function applyConfigOperations(current: TopicConfigOverrides, ops: readonly ConfigOperationInput[], d: TopicConfigDefaults): ConfigCheck {
  const twice = duplicateName(ops.map((o) => o.name));
  if (twice !== undefined) return { ok: false, message: `${twice}: given more than once` };
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    const rule = rulesByName.get(op.name);
    if (rule === undefined) return { ok: false, message: unknownKey(op.name) };
    const outcome = applyOne(rule, op, next[op.name] ?? rule.defaultValue(d), d);
    if (outcome === null) delete next[op.name];
    else if (isProblem(outcome)) return { ok: false, message: outcome.problem };
    else next[op.name] = outcome;
  }
  return { ok: true, overrides: sortedOverrides(next) };
}

/** The new value of one config after `op` (null: no override), or a problem. */
function applyOne(rule: Rule, op: ConfigOperationInput, currentValue: string, d: TopicConfigDefaults): string | null | Problem {
  switch (op.operation) {
    case ConfigOperation.SET:
      return parseEntry(rule.name, op.value, d);
    case ConfigOperation.DELETE:
      return null;
    case ConfigOperation.APPEND:
    case ConfigOperation.SUBTRACT: {
      if (rule.type !== 'LIST') return problem(`${rule.name}: APPEND and SUBTRACT apply only to list configs (cleanup.policy); use SET`);
      if (op.value === null) return problem(`${rule.name}: a value is required (null given)`);
      const items = listItems(currentValue);
      const given = listItems(op.value);
      const result = op.operation === ConfigOperation.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
      return rule.parse(result.join(','), d);
    }
    default:
      return problem(`${rule.name}: unknown operation ${op.operation}; accepted: 0 (SET), 1 (DELETE), 2 (APPEND), 3 (SUBTRACT)`);
  }
}

function sortedOverrides(overrides: Record<string, string>): TopicConfigOverrides {
  return Object.fromEntries(Object.keys(overrides).sort().map((k) => [k, overrides[k]!]));
}

/**
 * Overrides read back from storage, re-checked against today's rules: the valid ones, and a problem
 * for each one dropped (an unknown key or a value a newer or older version wrote).
 */
export function loadedTopicConfigs(stored: TopicConfigOverrides, d: TopicConfigDefaults): { overrides: TopicConfigOverrides; problems: string[] } {
  const overrides: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(stored)) {
    const parsed = parseEntry(name, value, d);
    if (isProblem(parsed)) problems.push(parsed.problem);
    else overrides[name] = parsed;
  }
  return { overrides: sortedOverrides(overrides), problems };
}

function valueOf(name: string, overrides: TopicConfigOverrides, d: TopicConfigDefaults): string {
  return overrides[name] ?? rulesByName.get(name)!.defaultValue(d);
}

/** A LONG config as a JS number: -1 is null (no limit); values beyond 2^53 are clamped. */
function longOrNull(text: string): number | null {
  const value = BigInt(text);
  if (value < 0n) return null;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** The effective values of a topic with `overrides` (which must have passed validation). */
export function resolveTopicConfig(overrides: TopicConfigOverrides, d: TopicConfigDefaults): TopicConfig {
  const value = (name: string): string => valueOf(name, overrides, d);
  return {
    retentionMs: longOrNull(value('retention.ms')),
    retentionBytes: longOrNull(value('retention.bytes')),
    segmentBytes: Number(value('segment.bytes')),
    segmentMs: longOrNull(value('segment.ms'))!,
    maxMessageBytes: Number(value('max.message.bytes')),
    messageTimestampType: value('message.timestamp.type') as TimestampType,
    minInsyncReplicas: Number(value('min.insync.replicas')),
  };
}

/** The partition-log config of a topic: the broker's log config with the topic's overrides applied. */
export function topicLogConfig(base: PartitionLogConfig, overrides: TopicConfigOverrides): PartitionLogConfig {
  const c = resolveTopicConfig(overrides, base);
  return { ...base, segmentBytesMax: c.segmentBytes, segmentAgeMsMax: c.segmentMs, retentionBytesMax: c.retentionBytes, retentionMsMax: c.retentionMs };
}

export interface DescribedTopicConfig {
  readonly name: string;
  readonly value: string;
  /** 'topic': set on the topic; 'default': the broker's default. */
  readonly source: 'topic' | 'default';
  readonly type: number;
  /** The broker-level setting and its value (the default the topic falls back to). */
  readonly brokerName: string;
  readonly defaultValue: string;
}

/** Every topic config with its effective value and where it comes from, in name order. */
export function describeTopicConfigs(overrides: TopicConfigOverrides, d: TopicConfigDefaults): DescribedTopicConfig[] {
  return rules.map((rule) => {
    const override = overrides[rule.name];
    const defaultValue = rule.defaultValue(d);
    return {
      name: rule.name,
      value: override ?? defaultValue,
      source: override === undefined ? 'default' : 'topic',
      type: KafkaConfigType[rule.type],
      brokerName: rule.brokerName,
      defaultValue,
    };
  });
}
