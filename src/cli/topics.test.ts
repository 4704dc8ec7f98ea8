import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, freePort, tempDataDir } from '../../chaos/broker-process.ts';
import { lines, runChronik, runChronikHere } from '../testing/chronik-command.ts';

/**
 * `chronik topics ...` against one real broker, and what every command does when no broker answers.
 * The runs that check the process boundary (exit status and streams of the executable, commander's
 * own usage errors) are real processes; the rest run the same program in this process (runChronikHere).
 */
const data = tempDataDir('cli-topics');
let broker: BrokerProcess;
let bootstrap: string[];

beforeAll(async () => {
  broker = await BrokerProcess.start({ dataDir: data.dir });
  bootstrap = ['--bootstrap', `127.0.0.1:${broker.port}`];
  const created = await Promise.all([
    runChronik(['topics', 'create', 'orders', '--partitions', '3', ...bootstrap]),
    runChronikHere(['topics', 'create', 'tuned', '--partitions', '1', ...bootstrap]),
    runChronikHere(['topics', 'create', 'doomed', ...bootstrap]),
  ]);
  for (const [i, name] of ['orders', 'tuned', 'doomed'].entries()) expect(created[i]).toMatchObject({ status: 0, stdout: `Created topic ${name}.\n`, stderr: '' });
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

/** A failure is exactly one line on stderr, prefixed with the command, and never a stack trace. */
function expectOneLineFailure(result: { status: number | null; stdout: string; stderr: string }, status: number, command: string): string {
  expect(result.status).toBe(status);
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(new RegExp(`^chronik ${command}: `));
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return result.stderr.trim();
}

describe('chronik topics', () => {
  it('refuses to create a topic twice, lists and describes it', async () => {
    const [again, list, described] = await Promise.all([
      runChronik(['topics', 'create', 'orders', ...bootstrap]),
      runChronik(['topics', 'list', ...bootstrap]),
      runChronikHere(['topics', 'describe', 'orders', ...bootstrap]),
    ]);
    expect(expectOneLineFailure(again, 1, 'topics create')).toBe("chronik topics create: topic 'orders' already exists");
    expect(list.status).toBe(0);
    expect(lines(list.stdout)).toEqual(expect.arrayContaining(['doomed', 'orders', 'tuned']));

    expect(described.status).toBe(0);
    const out = lines(described.stdout);
    expect(out[0]).toBe('Topic: orders  Partitions: 3  ReplicationFactor: 1');
    expect(out[1]).toMatch(/^ {2}PARTITION +LEADER +REPLICAS +ISR$/);
    for (const p of [0, 1, 2]) expect(out[2 + p]).toMatch(new RegExp(`^ {2}${p} +1 +1 +1$`));
    expect(out).toContain('Configs:');
    expect(out.some((l) => /^ {2}retention\.ms +\d+ +(default|broker|topic)$/.test(l))).toBe(true);
  });

  it('fails: a name the broker refuses (with its reason), an unknown topic, nothing to change, a bad number', async () => {
    const [badName, ...rest] = await Promise.all([
      runChronikHere(['topics', 'create', 'bad/name', ...bootstrap]),
      runChronikHere(['topics', 'describe', 'no-such-topic', ...bootstrap]),
      runChronikHere(['topics', 'delete', 'no-such-topic', ...bootstrap]),
      runChronikHere(['topics', 'alter-config', 'no-such-topic', '--set', 'retention.ms=1000', ...bootstrap]),
      runChronikHere(['topics', 'alter-config', 'tuned', ...bootstrap]),
      runChronik(['topics', 'create', 'many', '--partitions', 'lots', ...bootstrap]),
    ]);
    expect(expectOneLineFailure(badName, 1, 'topics create')).toContain('the broker answered INVALID_TOPIC_EXCEPTION (17)');
    for (const [i, command] of ['describe', 'delete', 'alter-config'].entries()) {
      expect(expectOneLineFailure(rest[i]!, 1, `topics ${command}`)).toContain("unknown topic 'no-such-topic'");
    }
    expect(expectOneLineFailure(rest[3]!, 2, 'topics alter-config')).toContain('nothing to change');
    // The argument parser's own refusal: also exit 2, with its message and the command's help.
    expect(rest[4]!.status).toBe(2);
    expect(rest[4]!.stderr).toContain("error: option '--partitions <n>' argument 'lots' is invalid. expected an integer from 1 to 1000000");
    expect(rest[4]!.stderr).toContain('Usage: chronik topics create [options] <name>');
  });

  it('alter-config changes a topic config with IncrementalAlterConfigs, and reports a refused one on one line', async () => {
    const result = await runChronikHere(['topics', 'alter-config', 'tuned', '--set', 'retention.ms=3600000', ...bootstrap]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('Altered configs of topic tuned (IncrementalAlterConfigs): set retention.ms=3600000.\n');
    const described = await runChronikHere(['topics', 'describe', 'tuned', ...bootstrap]);
    const retention = lines(described.stdout).find((l) => l.trimStart().startsWith('retention.ms '));
    expect(retention).toMatch(/^ {2}retention\.ms +3600000 +topic$/);
    const refused = await runChronikHere(['topics', 'alter-config', 'tuned', '--set', 'no.such.key=1', ...bootstrap]);
    expect(expectOneLineFailure(refused, 1, 'topics alter-config')).toMatch(/altering the configs of topic 'tuned': the broker answered INVALID_CONFIG \(40\): .*no\.such\.key/);
  });

  it('deletes topics', async () => {
    const deleted = await runChronikHere(['topics', 'delete', 'doomed', ...bootstrap]);
    expect(deleted).toMatchObject({ status: 0, stdout: 'Deleted topic doomed.\n' });
    const list = await runChronikHere(['topics', 'list', ...bootstrap]);
    expect(lines(list.stdout)).not.toContain('doomed');
  });
});

describe('no broker at the bootstrap address', () => {
  it('every client command exits 1 with one line naming the address and `chronik start`', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const runs = await Promise.all([
      runChronik(['topics', 'list', '--bootstrap', address]),
      runChronik(['groups', 'list'], { env: { CHRONIK_BOOTSTRAP: address } }),
      runChronik(['produce', 'orders', '--bootstrap', address], { input: 'a\n' }),
      runChronik(['consume', 'orders', '--bootstrap', address]),
    ]);
    for (const [i, command] of ['topics list', 'groups list', 'produce', 'consume'].entries()) {
      const line = expectOneLineFailure(runs[i]!, 1, command);
      expect(line).toContain(`cannot reach a broker at ${address} (connection refused)`);
      expect(line).toContain('`chronik start`');
    }
  });

  it('a malformed --bootstrap is a usage error (exit 2)', async () => {
    const result = await runChronik(['topics', 'list', '--bootstrap', 'localhost']);
    expect(expectOneLineFailure(result, 2, 'topics list')).toContain("--bootstrap: 'localhost' is not host:port");
  });
});
