import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess, tempDataDir } from '../../chaos/broker-process.ts';
import { lines, runChronik, runChronikHere, startChronik, type CommandResult } from '../testing/chronik-command.ts';

/**
 * `chronik produce`, `consume` and `groups ...` against one real broker: produce and consume (standard
 * input, output, SIGTERM) as real processes, the groups commands in this process (runChronikHere)
 * but one `groups list`, which runs as a process.
 */
const data = tempDataDir('cli-groups');
let broker: BrokerProcess;
let bootstrap: string[];
const sent = Array.from({ length: 10 }, (_, i) => `event-${i}`);

beforeAll(async () => {
  // Groups form at once (no 3 s wait of an empty group for more members), as Kafka's own tests set
  // group.initial.rebalance.delay.ms=0.
  broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--group-initial-rebalance-delay-ms', '0'] });
  bootstrap = ['--bootstrap', `127.0.0.1:${broker.port}`];
  const created = await runChronik(['topics', 'create', 'events', '--partitions', '2', ...bootstrap]);
  expect(created.status).toBe(0);
});

afterAll(async () => {
  await broker?.stop();
  data.remove();
});

function expectOneLineFailure(result: CommandResult, status: number, command: string): string {
  expect(result.status).toBe(status);
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(new RegExp(`^chronik ${command}: `));
  return result.stderr.trim();
}

/** The partition rows of `groups describe`: topic, partition, committed, log end, lag, member. */
function offsetRows(stdout: string): string[][] {
  return lines(stdout)
    .filter((l) => l.startsWith('  events '))
    .map((l) => l.trim().split(/ +/));
}

describe('chronik produce, consume and groups', () => {
  it('produce acknowledges every line; consume prints them back and commits for its group', async () => {
    const produced = await runChronik(['produce', 'events', ...bootstrap], { input: `${sent.join('\n')}\n` });
    expect(produced).toMatchObject({ status: 0, stdout: '10 message(s) acknowledged by events.\n', stderr: '' });

    const consumed = await runChronik(['consume', 'events', '--from-beginning', '--group', 'readers', '--max-messages', '10', ...bootstrap]);
    expect(consumed.status).toBe(0);
    expect(lines(consumed.stdout).sort()).toEqual([...sent].sort());
    expect(consumed.stderr).toBe('Processed a total of 10 message(s).\n');
  });

  it('groups list and describe show the group, its committed offsets, log end offsets and lag', async () => {
    const [list, described] = await Promise.all([runChronik(['groups', 'list', ...bootstrap]), runChronikHere(['groups', 'describe', 'readers', ...bootstrap])]);
    expect(list.status).toBe(0);
    expect(lines(list.stdout)[0]).toMatch(/^GROUP +STATE +PROTOCOL-TYPE$/);
    expect(lines(list.stdout)).toContainEqual(expect.stringMatching(/^readers +Empty +consumer$/));

    expect(described.status).toBe(0);
    expect(lines(described.stdout)[0]).toBe('Group: readers  State: Empty  Protocol: consumer  Members: 0');
    const rows = offsetRows(described.stdout);
    expect(rows.map((r) => r[1])).toEqual(['0', '1']);
    for (const [, , committed, end, lag] of rows) {
      expect(committed).toBe(end);
      expect(lag).toBe('0');
    }
    expect(rows.reduce((sum, r) => sum + Number(r[3]), 0)).toBe(sent.length);
  });

  it('reset-offsets only prints its plan unless --execute, then commits it', async () => {
    const dryRun = await runChronikHere(['groups', 'reset-offsets', 'readers', '--topic', 'events', '--to-earliest', ...bootstrap]);
    expect(dryRun.status).toBe(0);
    expect(lines(dryRun.stdout).at(-1)).toBe('Dry run: nothing changed. Add --execute to commit these offsets for group readers.');

    const executed = await runChronikHere(['groups', 'reset-offsets', 'readers', '--topic', 'events', '--to-earliest', '--execute', ...bootstrap]);
    expect(executed.status).toBe(0);
    const plan = lines(executed.stdout).filter((l) => l.startsWith('events '));
    // CURRENT-OFFSET is still the end of each partition: the dry run changed nothing.
    expect(plan.map((l) => l.split(/ +/)[3])).toEqual(['0', '0']);
    expect(plan.reduce((sum, l) => sum + Number(l.split(/ +/)[2]), 0)).toBe(sent.length);
    expect(lines(executed.stdout).at(-1)).toBe('Committed the new offsets of group readers on 2 partition(s) of events.');

    const described = await runChronikHere(['groups', 'describe', 'readers', ...bootstrap]);
    const rows = offsetRows(described.stdout);
    expect(rows.map((r) => r[2])).toEqual(['0', '0']);
    expect(rows.reduce((sum, r) => sum + Number(r[4]), 0)).toBe(sent.length);
  });

  it('refuses to reset a group with active members; SIGTERM ends a consume cleanly', async () => {
    const live = startChronik(['consume', 'events', '--group', 'live', ...bootstrap]);
    try {
      let described = await runChronikHere(['groups', 'describe', 'live', ...bootstrap]);
      for (let attempt = 0; attempt < 30 && !described.stdout.includes('State: Stable'); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        described = await runChronikHere(['groups', 'describe', 'live', ...bootstrap]);
      }
      expect(lines(described.stdout)[0]).toMatch(/^Group: live {2}State: Stable {2}Protocol: consumer\/\S+ {2}Members: 1$/);
      expect(lines(described.stdout)[2]).toMatch(/ chronik-cli +\S+ +2$/); // the member, with both partitions

      const refused = await runChronikHere(['groups', 'reset-offsets', 'live', '--topic', 'events', '--to-latest', '--execute', ...bootstrap]);
      expect(expectOneLineFailure(refused, 1, 'groups reset-offsets')).toContain("group 'live' has 1 active member(s) (state Stable): stop its consumers first");
    } finally {
      live.signal('SIGTERM');
    }
    expect(await live.exited).toMatchObject({ status: 0, stdout: '', stderr: 'Processed a total of 0 message(s).\n' });
  });

  it('consume --timeout-ms exits 0 when nothing arrives; produce with a key or acks 0; one-line failures', async () => {
    const [idle, keyed, unacknowledged, topic, group, acks, target] = await Promise.all([
      runChronik(['consume', 'events', '--timeout-ms', '1000', ...bootstrap]),
      runChronik(['produce', 'events', '--key', 'k', '--acks', '1', ...bootstrap], { input: 'x\ny\nz\n' }),
      runChronik(['produce', 'events', '--acks', '0', ...bootstrap], { input: 'p\nq\n' }),
      runChronik(['consume', 'no-such-topic', ...bootstrap]),
      runChronikHere(['groups', 'describe', 'no-such-group', ...bootstrap]),
      runChronik(['produce', 'events', '--acks', '2', ...bootstrap], { input: 'a\n' }),
      runChronikHere(['groups', 'reset-offsets', 'readers', '--topic', 'events', ...bootstrap]),
    ]);
    expect(idle.status).toBe(0);
    expect(idle.stderr).toMatch(/^Processed a total of \d+ message\(s\)\.\n$/);
    expect(keyed).toMatchObject({ status: 0, stdout: '3 message(s) acknowledged by events.\n' });
    expect(unacknowledged).toMatchObject({ status: 0, stdout: 'Sent 2 message(s) to events (acks 0: the broker acknowledges nothing).\n' });
    expect(expectOneLineFailure(topic, 1, 'consume')).toContain("unknown topic 'no-such-topic'");
    expect(expectOneLineFailure(group, 1, 'groups describe')).toContain("unknown group 'no-such-group'");
    expect(expectOneLineFailure(acks, 2, 'produce')).toContain("--acks must be all, 1 or 0, got '2'");
    expect(expectOneLineFailure(target, 2, 'groups reset-offsets')).toContain('give exactly one of --to-earliest, --to-latest, --to-offset <n>');
  });
});
