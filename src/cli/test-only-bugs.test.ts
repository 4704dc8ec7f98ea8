import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTestOnlyBugs, TestOnlyBugsError } from './test-only-bugs.ts';
import { startCommand } from './start.ts';

const parse = (value: string | undefined, extra: Record<string, string> = {}) => parseTestOnlyBugs({ CHRONIK_TEST_ONLY_BUGS: value, ...extra });

describe('CHRONIK_TEST_ONLY_BUGS (test-only planted bugs for the real-process chaos suite)', () => {
  it('plants nothing when unset or empty', () => {
    expect(parse(undefined)).toEqual({});
    expect(parse('')).toEqual({});
  });

  it('reads every section the simulator plants through', () => {
    const bugs = {
      replication: { hwIgnoresFollowers: true, isrNeverExpands: false },
      broker: { stopSkipsFlush: true, dropSecondFrameOfRead: true, duplicateRetriesAppended: true },
      log: { ackBeforeSync: true },
      offsets: { ackBeforeSync: true },
      controller: { restartKeepsLeadership: true },
    };
    expect(parse(JSON.stringify(bugs))).toEqual(bugs);
  });

  it.each([
    ['an unknown section', '{"disk":{"tornWrites":true}}', /unknown section 'disk'/],
    ['an unknown switch', '{"replication":{"hwIgnoresFollower":true}}', /unknown switch 'replication.hwIgnoresFollower'/],
    ['a switch that is not a boolean', '{"broker":{"stopSkipsFlush":1}}', /'broker.stopSkipsFlush' must be true or false/],
    ['a section that is not an object', '{"log":true}', /section 'log' must be an object/],
    ['not an object', '[1]', /must be a JSON object/],
    ['not JSON', '{replication', /is not JSON/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => parse(value)).toThrow(TestOnlyBugsError);
    expect(() => parse(value)).toThrow(message);
  });

  it('refuses the variable it replaced rather than ignoring it', () => {
    expect(() => parse(undefined, { CHRONIK_TEST_ONLY_REPLICATION_BUGS: '{"hwIgnoresFollowers":true}' })).toThrow(/replaced by CHRONIK_TEST_ONLY_BUGS/);
  });

  it('makes `chronik start` exit 2 before it touches the data directory', async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      const code = await startCommand({ 'data-dir': '/nonexistent-chronik-test-only-bugs/data' }, { CHRONIK_TEST_ONLY_BUGS: '{"broker":{"noSuchBug":true}}' });
      expect(code).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors.join('\n')).toMatch(/unknown switch 'broker.noSuchBug'/);
    expect(existsSync('/nonexistent-chronik-test-only-bugs')).toBe(false);
  });
});
