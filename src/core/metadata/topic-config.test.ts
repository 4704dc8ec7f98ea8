import { describe, expect, it } from 'vitest';
import { defaultPartitionLogConfig } from '../log/index.ts';
import {
  ConfigOperation,
  applyConfigOperations,
  describeTopicConfigs,
  loadedTopicConfigs,
  resolveTopicConfig,
  topicConfigNames,
  topicLogConfig,
  validateTopicConfigs,
  type TopicConfigDefaults,
} from './topic-config.ts';

const d: TopicConfigDefaults = { ...defaultPartitionLogConfig, segmentBytesMax: 1 << 20, retentionBytesMax: null, retentionMsMax: 604_800_000 };

function check(name: string, value: string | null): string {
  const result = validateTopicConfigs([{ name, value }], d);
  return result.ok ? `ok ${result.overrides[name]}` : result.message;
}

describe('topic configs: one value at a time', () => {
  // name, value given, what is stored (ok <canonical>) or the start of the refusal
  const table: Array<[string, string | null, string]> = [
    ['retention.ms', '60000', 'ok 60000'],
    ['retention.ms', ' 60000 ', 'ok 60000'],
    ['retention.ms', '-1', 'ok -1'],
    ['retention.ms', '9223372036854775807', 'ok 9223372036854775807'],
    ['retention.ms', '9223372036854775808', 'retention.ms: 9223372036854775808 is out of range; accepted: -1 (no limit) or milliseconds -1..9223372036854775807'],
    ['retention.ms', '-2', 'retention.ms: -2 is out of range'],
    ['retention.ms', '1.5', "retention.ms: '1.5' is not a whole number"],
    ['retention.ms', 'abc', "retention.ms: 'abc' is not a whole number"],
    ['retention.ms', null, 'retention.ms: a value is required (null given)'],
    ['retention.bytes', '1048576', 'ok 1048576'],
    ['retention.bytes', '-1', 'ok -1'],
    ['segment.bytes', '1024', 'ok 1024'],
    ['segment.bytes', '1023', 'segment.bytes: 1023 is out of range; accepted: bytes 1024..1073741824'],
    ['segment.bytes', '1073741825', 'segment.bytes: 1073741825 is out of range'],
    ['segment.ms', '1', 'ok 1'],
    ['segment.ms', '0', 'segment.ms: 0 is out of range; accepted: milliseconds 1..'],
    ['max.message.bytes', '0', 'ok 0'],
    ['max.message.bytes', '67108864', 'ok 67108864'],
    ['max.message.bytes', '67108865', 'max.message.bytes: 67108865 is out of range; accepted: bytes 0..67108864'],
    ['message.timestamp.type', 'LogAppendTime', 'ok LogAppendTime'],
    ['message.timestamp.type', 'CreateTime', 'ok CreateTime'],
    ['message.timestamp.type', 'logappendtime', "message.timestamp.type: 'logappendtime' is not accepted; accepted: CreateTime, LogAppendTime"],
    ['min.insync.replicas', '2', 'ok 2'],
    ['min.insync.replicas', '0', 'min.insync.replicas: 0 is out of range; accepted: 1..2147483647'],
    ['cleanup.policy', 'delete', 'ok delete'],
    ['cleanup.policy', ' delete ', 'ok delete'],
    ['cleanup.policy', 'compact', 'cleanup.policy: compact is not supported yet (Chronik does not compact logs)'],
    ['cleanup.policy', 'compact,delete', 'cleanup.policy: compact is not supported yet'],
    ['cleanup.policy', '', "cleanup.policy: '' is not accepted; the accepted value is 'delete'"],
    ['cleanup.policy', 'delete,delete', "cleanup.policy: 'delete,delete' is not accepted"],
    ['unclean.leader.election.enable', 'false', 'ok false'],
    ['unclean.leader.election.enable', 'FALSE', 'ok false'],
    ['unclean.leader.election.enable', 'true', 'unclean.leader.election.enable: true is not supported'],
    ['unclean.leader.election.enable', 'yes', "unclean.leader.election.enable: 'yes' is not a boolean"],
    ['compression.type', 'producer', 'ok producer'],
    ['compression.type', 'gzip', "compression.type: 'gzip' is not supported yet"],
    ['retention.hours', '1', "'retention.hours' is not a topic config Chronik knows; known: cleanup.policy, compression.type, max.message.bytes,"],
  ];
  it.each(table)('%s = %j -> %s', (name, value, expected) => {
    expect(check(name, value).startsWith(expected), check(name, value)).toBe(true);
  });

  it('the table covers every config', () => {
    expect(new Set(table.map(([name]) => name))).toEqual(new Set([...topicConfigNames, 'retention.hours']));
  });
});

describe('topic configs: sets, operations, resolution', () => {
  it('a set is validated as a whole and comes back sorted; a key twice is refused', () => {
    expect(validateTopicConfigs([{ name: 'segment.ms', value: '5' }, { name: 'retention.ms', value: '7' }], d)).toEqual({ ok: true, overrides: { 'retention.ms': '7', 'segment.ms': '5' } });
    expect(Object.keys((validateTopicConfigs([{ name: 'segment.ms', value: '5' }, { name: 'retention.ms', value: '7' }], d) as { overrides: object }).overrides)).toEqual(['retention.ms', 'segment.ms']);
    expect(validateTopicConfigs([{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }], d)).toEqual({ ok: false, message: 'retention.ms: given more than once' });
    expect(validateTopicConfigs([{ name: 'retention.ms', value: '1' }, { name: 'segment.ms', value: '0' }], d).ok).toBe(false);
    expect(validateTopicConfigs([], d)).toEqual({ ok: true, overrides: {} });
  });

  it('incremental operations: SET, DELETE, APPEND/SUBTRACT on the list config only', () => {
    const current = { 'retention.ms': '1000', 'segment.ms': '50' };
    const set = applyConfigOperations(current, [{ name: 'retention.ms', operation: ConfigOperation.SET, value: '2000' }, { name: 'segment.ms', operation: ConfigOperation.DELETE, value: null }], d);
    expect(set).toEqual({ ok: true, overrides: { 'retention.ms': '2000' } });
    expect(applyConfigOperations(current, [{ name: 'cleanup.policy', operation: ConfigOperation.APPEND, value: 'delete' }], d)).toEqual({ ok: true, overrides: { ...current, 'cleanup.policy': 'delete' } });
    const compact = applyConfigOperations(current, [{ name: 'cleanup.policy', operation: ConfigOperation.APPEND, value: 'compact' }], d);
    expect(compact.ok === false && compact.message.startsWith('cleanup.policy: compact is not supported yet')).toBe(true);
    const emptied = applyConfigOperations(current, [{ name: 'cleanup.policy', operation: ConfigOperation.SUBTRACT, value: 'delete' }], d);
    expect(emptied).toEqual({ ok: false, message: "cleanup.policy: '' is not accepted; the accepted value is 'delete'" });
    expect(applyConfigOperations(current, [{ name: 'retention.ms', operation: ConfigOperation.APPEND, value: '1' }], d)).toEqual({
      ok: false,
      message: 'retention.ms: APPEND and SUBTRACT apply only to list configs (cleanup.policy); use SET',
    });
    expect(applyConfigOperations(current, [{ name: 'retention.ms', operation: 9, value: '1' }], d).ok).toBe(false);
    expect(applyConfigOperations(current, [{ name: 'nope', operation: ConfigOperation.DELETE, value: null }], d).ok).toBe(false);
    expect(applyConfigOperations(current, [{ name: 'retention.ms', operation: ConfigOperation.SET, value: null }], d).ok).toBe(false);
    expect(current).toEqual({ 'retention.ms': '1000', 'segment.ms': '50' }); // never modified in place
  });

  it('resolves effective values from overrides over the broker defaults, and the log config from them', () => {
    expect(resolveTopicConfig({}, d)).toEqual({
      retentionMs: 604_800_000,
      retentionBytes: null,
      segmentBytes: 1 << 20,
      segmentMs: defaultPartitionLogConfig.segmentAgeMsMax,
      maxMessageBytes: 1 << 20,
      messageTimestampType: 'CreateTime',
      minInsyncReplicas: 1,
    });
    const overrides = { 'retention.ms': '-1', 'retention.bytes': '4096', 'segment.bytes': '2048', 'segment.ms': '9223372036854775807', 'message.timestamp.type': 'LogAppendTime' };
    const c = resolveTopicConfig(overrides, d);
    expect(c).toMatchObject({ retentionMs: null, retentionBytes: 4096, segmentBytes: 2048, segmentMs: Number.MAX_SAFE_INTEGER, messageTimestampType: 'LogAppendTime' });
    const base = { ...defaultPartitionLogConfig, ...d };
    expect(topicLogConfig(base, overrides)).toEqual({ ...base, retentionMsMax: null, retentionBytesMax: 4096, segmentBytesMax: 2048, segmentAgeMsMax: Number.MAX_SAFE_INTEGER });
  });

  it('describes every config with its value and source', () => {
    const described = describeTopicConfigs({ 'retention.ms': '1000' }, d);
    expect(described.map((c) => c.name)).toEqual(topicConfigNames);
    expect(described.find((c) => c.name === 'retention.ms')).toEqual({ name: 'retention.ms', value: '1000', source: 'topic', type: 5, brokerName: 'log.retention.ms', defaultValue: '604800000' });
    expect(described.find((c) => c.name === 'retention.bytes')).toMatchObject({ value: '-1', source: 'default' });
    expect(described.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'delete', source: 'default', type: 7 });
  });

  it('overrides read back from storage drop what today rules refuse, saying why', () => {
    const loaded = loadedTopicConfigs({ 'retention.ms': '10', 'future.config': 'x', 'segment.bytes': '12' }, d);
    expect(loaded.overrides).toEqual({ 'retention.ms': '10' });
    expect(loaded.problems).toHaveLength(2);
    expect(loaded.problems[0]).toContain("'future.config' is not a topic config");
  });
});
