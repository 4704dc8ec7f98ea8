import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, resolveConfig } from './config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'chronik-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('broker configuration', () => {
  it('defaults to ./data and 127.0.0.1:9092', () => {
    const config = resolveConfig({}, {});
    expect(config).toEqual(defaultConfig);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(config.dataDir).toBe('./data');
  });

  it('a cluster node: voters parsed, and the rules that span options (an id among the voters, two different ports) refused by name', () => {
    const voters = '1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293';
    const config = resolveConfig({ voters, nodeId: '2', listen: '127.0.0.1:9192' }, {});
    expect(config.voters).toEqual([
      { id: 1, host: '127.0.0.1', port: 9093 },
      { id: 2, host: '127.0.0.1', port: 9193 },
      { id: 3, host: '127.0.0.1', port: 9293 },
    ]);
    expect(resolveConfig({}, {}).voters).toBeNull();
    expect(() => resolveConfig({ voters, nodeId: '4' }, {})).toThrow(/--node-id 4 \(CHRONIK_NODE_ID\) is not one of --voters \(CHRONIK_VOTERS\) 1, 2, 3/);
    expect(() => resolveConfig({ voters, nodeId: '1', listen: '0.0.0.0:9093' }, {})).toThrow(/--listen 0.0.0.0:9093 \(CHRONIK_LISTEN\) and this node's entry 1@127.0.0.1:9093 in --voters \(CHRONIK_VOTERS\) use the same port/);
    expect(() => resolveConfig({ voters: '1@a:1,2@b:2' }, {})).toThrow(/--voters .*1, 3 or 5 voters.*1@host:port,2@host:port,3@host:port/);
    expect(() => resolveConfig({ voters: '0@127.0.0.1:9093', nodeId: '0' }, {})).toThrow(/out of range|from 1 to/);
  });

  it('flags override environment variables, which override the config file', () => {
    const file = path.join(dir, 'a.json');
    writeFileSync(file, JSON.stringify({ nodeId: 3, dataDir: '/from/file', listen: '127.0.0.1:9300' }));
    const config = resolveConfig({ config: file, nodeId: '5' }, { CHRONIK_NODE_ID: '4', CHRONIK_DATA_DIR: '/from/env' });
    expect(config.nodeId).toBe(5);
    expect(config.dataDir).toBe('/from/env');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9300 });
    expect(config.advertised).toEqual({ host: '127.0.0.1', port: 9300 });
  });

  it('names the option, the variable and the source of an invalid value', () => {
    expect(() => resolveConfig({ listen: 'localhost' }, {})).toThrow(/option --listen \(--listen \/ CHRONIK_LISTEN\): expected HOST:PORT/);
    expect(() => resolveConfig({}, { CHRONIK_NODE_ID: 'two' })).toThrow(/environment variable CHRONIK_NODE_ID .*whole number/);
    expect(() => resolveConfig({ listen: '127.0.0.1:70000' }, {})).toThrow(/port from 0 to 65535/);
  });

  it('rejects an unreadable or unknown-keyed config file with its path', () => {
    expect(() => resolveConfig({ config: path.join(dir, 'missing.json') }, {})).toThrow(/cannot read config file .*missing\.json/);
    const file = path.join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ nodeid: 1 }));
    expect(() => resolveConfig({ config: file }, {})).toThrow(/unknown key "nodeid"; use one of dataDir, listen/);
  });

  it('tells a config file that is not JSON, or holds a nested value, from one it cannot read', () => {
    const notJson = path.join(dir, 'c.json');
    writeFileSync(notJson, '{ listen: 1 }');
    expect(() => resolveConfig({ config: notJson }, {})).toThrow(/c\.json \(--config \/ CHRONIK_CONFIG\) is not JSON: .*; fix the file/);
    const nested = path.join(dir, 'd.json');
    writeFileSync(nested, JSON.stringify({ listen: { host: 'a', port: 1 } }));
    expect(() => resolveConfig({ config: nested }, {})).toThrow(/key "listen" holds .*; write its value as a string, number or boolean/);
    const typed = path.join(dir, 'e.json');
    writeFileSync(typed, JSON.stringify({ nodeId: 7, autoCreateTopics: false, logFormat: 'json' }));
    expect(resolveConfig({ config: typed }, {})).toMatchObject({ nodeId: 7, autoCreateTopics: false, logFormat: 'json' });
  });

  it("takes Kafka's group.initial.rebalance.delay.ms, 3000 by default, 0 for tests, never negative", () => {
    expect(defaultConfig.groupInitialRebalanceDelayMs).toBe(3000);
    expect(resolveConfig({ groupInitialRebalanceDelayMs: '0' }, {}).groupInitialRebalanceDelayMs).toBe(0);
    expect(resolveConfig({}, { CHRONIK_GROUP_INITIAL_REBALANCE_DELAY_MS: '500' }).groupInitialRebalanceDelayMs).toBe(500);
    expect(() => resolveConfig({ groupInitialRebalanceDelayMs: '-1' }, {})).toThrow(/--group-initial-rebalance-delay-ms/);
  });

  it('takes --log-format auto, json or pretty, and names the option for anything else', () => {
    expect(resolveConfig({}, {}).logFormat).toBe('auto');
    expect(resolveConfig({ logFormat: 'pretty' }, { CHRONIK_LOG_FORMAT: 'json' }).logFormat).toBe('pretty');
    expect(() => resolveConfig({}, { CHRONIK_LOG_FORMAT: 'text' })).toThrow(/environment variable CHRONIK_LOG_FORMAT \(--log-format \/ CHRONIK_LOG_FORMAT\): expected auto, json or pretty, got 'text'/);
  });

  it('serves no metrics unless --metrics-listen is set, and takes off to turn them off again', () => {
    expect(resolveConfig({}, {}).metricsListen).toBeNull();
    expect(resolveConfig({ metricsListen: '127.0.0.1:9464' }, {}).metricsListen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(resolveConfig({ metricsListen: 'off' }, { CHRONIK_METRICS_LISTEN: '0.0.0.0:9464' }).metricsListen).toBeNull();
    expect(() => resolveConfig({ metricsListen: '9464' }, {})).toThrow(/invalid option --metrics-listen \(--metrics-listen \/ CHRONIK_METRICS_LISTEN\): expected HOST:PORT/);
  });

  it('refuses a metrics port that clashes with the Kafka listener, naming both options', () => {
    const clash = /--metrics-listen .* \(CHRONIK_METRICS_LISTEN\) clashes with --listen .* \(CHRONIK_LISTEN\)/;
    expect(() => resolveConfig({ listen: '127.0.0.1:9092', metricsListen: '127.0.0.1:9092' }, {})).toThrow(clash);
    expect(() => resolveConfig({ metricsListen: '127.0.0.1:9092' }, {})).toThrow(clash); // the default --listen
    expect(() => resolveConfig({ listen: '0.0.0.0:9300', metricsListen: '10.1.2.3:9300' }, {})).toThrow(clash);
    expect(() => resolveConfig({ listen: '10.1.2.3:9300' }, { CHRONIK_METRICS_LISTEN: '[::]:9300' })).toThrow(clash);
    expect(() => resolveConfig({ listen: 'localhost:9300', metricsListen: '127.0.0.1:9300' }, {})).toThrow(clash);
    // Different ports, different specific hosts, or port 0 (the OS picks): no clash.
    expect(resolveConfig({ listen: '127.0.0.1:9092', metricsListen: '127.0.0.1:9464' }, {}).metricsListen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(resolveConfig({ listen: '10.1.2.3:9300', metricsListen: '10.1.2.4:9300' }, {}).metricsListen?.port).toBe(9300);
    expect(resolveConfig({ listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0' }, {}).metricsListen?.port).toBe(0);
  });
});
