import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSimCommand, simExitCode, simUsageError, type SimCommandOptions } from './cli.ts';
import { scenarios } from './scenarios/index.ts';

/** A flag that does not apply is an error naming the flag, never ignored or adjusted. */
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const flags = (options: Partial<SimCommandOptions>): SimCommandOptions => ({ save: true, ...options });

function sim(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sim', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('sim command flags', () => {
  afterEach(() => vi.restoreAllMocks());

  it('every scenario declares the node counts it runs, its default among them', () => {
    for (const s of scenarios) {
      expect(s.nodesMin, s.name).toBeGreaterThanOrEqual(1);
      expect(s.nodesMin <= s.defaultNodes && s.defaultNodes <= s.nodesMax, s.name).toBe(true);
    }
  });

  it('accepts each scenario at its bounds and default', () => {
    for (const s of scenarios) {
      for (const nodes of [s.nodesMin, s.defaultNodes, s.nodesMax, undefined]) {
        expect(simUsageError(flags({ scenario: s.name, nodes, seed: 5 }))).toBeNull();
      }
    }
    expect(simUsageError(flags({ seeds: { first: 1, last: 3 }, save: false }))).toBeNull();
    expect(simUsageError(flags({ replay: 'case.json', trace: 't.jsonl', json: true, save: false }))).toBeNull();
    expect(simUsageError(flags({ scenario: 'raft', nodes: 5, seed: 2, html: 'out.html' }))).toBeNull();
    expect(simUsageError(flags({ replay: 'case.json', html: 'out.html' }))).toBeNull();
    expect(simUsageError(flags({ list: true }))).toBeNull();
  });

  it.each([
    [{ scenario: 'single-node', nodes: 3 }, '--nodes 3: scenario single-node runs exactly 1 node'],
    [{ scenario: 'log-crash', nodes: 2 }, '--nodes 2: scenario log-crash runs exactly 1 node'],
    [{ scenario: 'kernel', nodes: 1 }, '--nodes 1: scenario kernel runs 2 to 9 nodes'],
    [{ nodes: 1 }, '--nodes 1: scenario cluster runs 3 to 5 nodes'], // the default scenario
    [{ scenario: 'raft', nodes: 6 }, '--nodes 6: scenario raft runs 1 to 5 nodes'],
    [{ scenario: 'nope' }, '--scenario nope: no such scenario (known: cluster, kernel, log-crash, raft, single-node)'],
    [{ seed: 1, seeds: { first: 1, last: 2 } }, '--seed 1 and --seeds 1..2 together: run one seed or sweep a range, not both'],
    [{ seeds: { first: 1, last: 2 }, trace: 't.jsonl' }, '--trace describes one run: use it with --seed, not with --seeds'],
    [{ seeds: { first: 1, last: 2 }, json: true }, '--json describes one run: use it with --seed, not with --seeds'],
    [{ seed: 1, traceEvents: true }, '--trace-events adds events to the --trace file: give --trace <file> too'],
    [{ seeds: { first: 1, last: 2 }, trace: 't.jsonl', traceEvents: true }, '--trace --trace-events describes one run: use it with --seed, not with --seeds'],
    [{ list: true, traceEvents: true }, '--list takes no other flag, got --trace-events'],
    [{ replay: 'c.json', scenario: 'raft', seed: 3 }, '--replay c.json runs the scenario, seed and nodes saved in the case; drop --scenario --seed'],
    [{ replay: 'c.json', nodes: 3 }, '--replay c.json runs the scenario, seed and nodes saved in the case; drop --nodes'],
    [{ list: true, seed: 1, save: false }, '--list takes no other flag, got --seed --no-save'],
    [{ seed: 1, jobs: 2 }, '--jobs 2 runs the seeds of a sweep at once: use it with --seeds'],
    [{ list: true, jobs: 2 }, '--list takes no other flag, got --jobs'],
    [{ replay: 'c.json', jobs: 1 }, '--replay c.json runs the scenario, seed and nodes saved in the case; drop --jobs'],
    [{ seeds: { first: 1, last: 2 }, html: 'out.html' }, '--html describes one run: use it with --seed, not with --seeds'],
    [{ list: true, html: 'out.html' }, '--list takes no other flag, got --html'],
    [{ seed: 1, shrinkRuns: 5 }, '--shrink-runs 5 limits --shrink: give --shrink too'],
    [{ seeds: { first: 1, last: 2 }, shrink: true }, '--shrink is about one run: use it with --seed, not with --seeds'],
    [{ seeds: { first: 1, last: 2 }, faults: 'f.json' }, '--faults is about one run: use it with --seed, not with --seeds'],
    [{ replay: 'c.json', faults: 'f.json' }, '--replay runs the faults saved in the case (if any); drop --faults f.json'],
    [{ scenario: 'kernel', seed: 1, shrink: true }, '--shrink: scenario kernel does not record its faults as data (only cluster, raft, single-node do)'],
    [{ list: true, shrink: true }, '--list takes no other flag, got --shrink'],
  ] as const)('rejects %j', async (options, message) => {
    expect(simUsageError(flags(options))).toBe(message);
    const errors: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(line));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runSimCommand(flags(options))).toBe(simExitCode.usage);
    expect(errors).toEqual([`chronik sim: ${message}`]);
    expect(log).not.toHaveBeenCalled();
  });

  it('a replay file that cannot be read, or does not fit its scenario, is one line, not a stack trace', async () => {
    const errors: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(line));
    expect(await runSimCommand(flags({ replay: path.join(root, 'no-such-case.json') }))).toBe(simExitCode.usage);
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-cli-'));
    const misfit = path.join(dir, 'single-node-seed1-n2.json');
    writeFileSync(misfit, JSON.stringify({ scenario: 'single-node', seed: 1, nodes: 2, traceHashWhenFound: 'x', foundAt: 'x', failures: [] }));
    try {
      expect(await runSimCommand(flags({ replay: misfit }))).toBe(simExitCode.usage);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toMatch(/^chronik sim: --replay .*no-such-case\.json: ENOENT/);
    expect(errors[1]).toBe(`chronik sim: --replay ${misfit}: the saved case does not fit: --nodes 2: scenario single-node runs exactly 1 node`);
  });

  it('a --faults file that is not a schedule of the run is one line naming what is wrong', async () => {
    const errors: unknown[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void errors.push(line));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-cli-'));
    const file = (name: string, text: string): string => {
      writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    try {
      const notJson = file('a.json', '[{');
      expect(await runSimCommand(flags({ seed: 1, faults: notJson }))).toBe(simExitCode.usage);
      const noFaults = file('b.json', '{"seed": 1}');
      expect(await runSimCommand(flags({ seed: 1, faults: noFaults }))).toBe(simExitCode.usage);
      const wrongNode = file('c.json', '{"faults": [{"kind": "crash", "atMs": 900, "node": 7, "durationMs": 100}]}');
      expect(await runSimCommand(flags({ seed: 1, faults: wrongNode }))).toBe(simExitCode.usage);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(errors).toHaveLength(3);
    expect(String(errors[0])).toMatch(/^chronik sim: --faults .*a\.json: /);
    expect(String(errors[1])).toMatch(/^chronik sim: --faults .*b\.json: expected a JSON array of faults, or an object with a "faults" array$/);
    expect(String(errors[2])).toMatch(/^chronik sim: cluster with 3 nodes and \d+ hosts \(n1, n2, n3, admin, .*\): fault 0 \(crash\): node 7 is not a node index 0\.\.2$/);
  });

  it('--shrink prints a smaller schedule and a command that reproduces the failure with it', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    // A single-node run costs half a cluster run; sim/shrink.test.ts shrinks a cluster run.
    vi.stubEnv('CHRONIK_TEST_ONLY_BUGS', '{"broker":{"stopSkipsFlush":true}}');
    try {
      expect(await runSimCommand(flags({ scenario: 'single-node', seed: 9, shrink: true, shrinkRuns: 4, save: false }))).toBe(simExitCode.fail);
      const shrunk = lines.find((l) => l.startsWith('shrunk '));
      expect(shrunk).toMatch(/^shrunk 9 faults to \d+ in 4 runs \(stopped by --shrink-runs 4; it may shrink further\):$/);
      const reproduce = lines.find((l) => l.startsWith('reproduce: ') && l.includes('--faults'))!;
      expect(reproduce).toMatch(/^reproduce: CHRONIK_TEST_ONLY_BUGS='\{"broker":\{"stopSkipsFlush":true\}\}' npm run sim -- --scenario single-node --seed 9 --nodes 1 --faults \S+$/);
      const file = reproduce.split(' --faults ')[1]!;
      const kept = (JSON.parse(readFileSync(file, 'utf8')) as { faults: unknown[] }).faults.length;
      expect(kept).toBeLessThan(9);
      lines.length = 0;
      expect(await runSimCommand(flags({ scenario: 'single-node', seed: 9, faults: file, save: false }))).toBe(simExitCode.fail);
      expect(lines.some((l) => l.startsWith('  lost-write: '))).toBe(true);
      rmSync(file, { force: true });
    } finally {
      vi.unstubAllEnvs();
    }
  }, 300_000);

  it('a sweep runs CHRONIK_TEST_ONLY_BUGS too: it says so, prints reproduce commands with it, and saves nothing', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(...String(line).split('\n')));
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(...String(chunk).split('\n')), true));
    const corpusBefore = readdirSync(path.join(root, 'sim', 'corpus')).length;
    vi.stubEnv('CHRONIK_TEST_ONLY_BUGS', '{"log":{"ackBeforeSync":true}}');
    try {
      expect(await runSimCommand(flags({ scenario: 'single-node', seeds: { first: 1, last: 3 }, jobs: 1, save: true }))).toBe(simExitCode.fail);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(lines).toContain(`planted (test only): CHRONIK_TEST_ONLY_BUGS='{"log":{"ackBeforeSync":true}}'`);
    const reproduce = lines.filter((l) => l.trimStart().startsWith('reproduce: '));
    expect(reproduce.length).toBeGreaterThan(0);
    for (const l of reproduce) expect(l.trim()).toMatch(/^reproduce: CHRONIK_TEST_ONLY_BUGS='\{"log":\{"ackBeforeSync":true\}\}' npm run sim -- --scenario single-node --seed \d+ --nodes 1$/);
    expect(lines.some((l) => l.includes('saved as'))).toBe(false);
    expect(readdirSync(path.join(root, 'sim', 'corpus')).length).toBe(corpusBefore);
  });

  it('a replay says when its trace hash is not the one the case recorded, and passes all the same', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-cli-'));
    const write = (name: string, fields: object): string => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify({ scenario: 'kernel', seed: 11, nodes: 3, foundAt: 'then', failures: [], ...fields }));
      return file;
    };
    try {
      expect(await runSimCommand(flags({ replay: write('a.json', { traceHashWhenFound: '0123456789abcdef', commitWhenFound: 'abc123' }) }))).toBe(simExitCode.pass);
      const hash = /trace ([0-9a-f]{16})/.exec(lines.find((l) => l.startsWith('seed 11 '))!)![1]!;
      expect(lines[0]).toBe(`replaying ${path.join(dir, 'a.json')}: found then at commit abc123, trace then 0123456789abcdef`);
      expect(lines.at(-1)).toBe(`note: trace hash changed since the case was recorded at commit abc123: was 0123456789abcdef, now ${hash}`);
      lines.length = 0;
      // A case saved before cases recorded their commit still loads.
      expect(await runSimCommand(flags({ replay: write('b.json', { traceHashWhenFound: '0123456789abcdef' }) }))).toBe(simExitCode.pass);
      expect(lines.at(-1)).toBe(`note: trace hash changed since the case was recorded at commit unknown (cases saved then did not record it): was 0123456789abcdef, now ${hash}`);
      lines.length = 0;
      expect(await runSimCommand(flags({ replay: write('c.json', { traceHashWhenFound: hash, commitWhenFound: 'abc123' }) }))).toBe(simExitCode.pass);
      expect(lines.filter((l) => l.startsWith('note:'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('--trace-events adds one line per fired event to the --trace file', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-cli-'));
    try {
      const trace = path.join(dir, 't.jsonl');
      expect(await runSimCommand(flags({ scenario: 'kernel', seed: 11, trace, traceEvents: true, json: true }))).toBe(simExitCode.pass);
      const outcome = JSON.parse(lines.at(-1)!) as { events: number; hashCovers: { events: number; logLines: number } };
      const records = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fired?: string });
      expect(records.filter((r) => r.fired !== undefined)).toHaveLength(outcome.events);
      expect(records.filter((r) => r.fired === undefined)).toHaveLength(outcome.hashCovers.logLines);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the command line exits 2 with the message, for our checks and for commander\'s', () => {
    const nodes = sim('--scenario', 'single-node', '--nodes', '3');
    expect(nodes).toMatchObject({ status: simExitCode.usage, stdout: '' });
    expect(nodes.stderr.trim()).toBe('chronik sim: --nodes 3: scenario single-node runs exactly 1 node');
    const backwards = sim('--seeds', '5..3');
    expect(backwards.status).toBe(simExitCode.usage);
    expect(backwards.stderr.split('\n')[0]).toBe("error: option '--seeds <a..b>' argument '5..3' is invalid. range 5..3 is empty: 3 < 5");
    const words = sim('--seeds', 'a..b');
    expect(words.status).toBe(simExitCode.usage);
    expect(words.stderr.split('\n')[0]).toMatch(/'--seeds <a\.\.b>' argument 'a\.\.b' is invalid/);
    const jobs = sim('--seeds', '1..2', '--jobs', '0');
    expect(jobs.status).toBe(simExitCode.usage);
    expect(jobs.stderr.split('\n')[0]).toBe("error: option '--jobs <n>' argument '0' is invalid. --jobs takes 1 to 64, got '0'");
    const help = sim('--help');
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('--jobs <n> with --seeds: run n seeds at once, each in a worker thread');
  }, 120_000);
});
