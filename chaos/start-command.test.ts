import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerProcess, freePort, repoRoot, tempDataDir } from './broker-process.ts';

/** `chronik start` as a user meets it: clear errors that name the option, and a clean exit on SIGINT. */
const dirs: { remove(): void }[] = [];
afterAll(() => dirs.forEach((d) => d.remove()));

function startOnce(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stderr: result.stderr };
}

describe('chronik start', () => {
  it('names --listen when the port is taken, and exits 2', async () => {
    const data = tempDataDir('port-taken');
    dirs.push(data);
    const port = await freePort();
    const squatter = net.createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      const { status, stderr } = startOnce(['--data-dir', data.dir, '--listen', `127.0.0.1:${port}`]);
      expect(status).toBe(2);
      expect(stderr).toContain(`--listen 127.0.0.1:${port} (CHRONIK_LISTEN): address already in use`);
    } finally {
      squatter.close();
    }
  });

  it('names the environment variable that holds a bad value', () => {
    const { status, stderr } = startOnce([], { CHRONIK_NODE_ID: 'abc' });
    expect(status).toBe(2);
    expect(stderr).toContain('environment variable CHRONIK_NODE_ID');
  });

  it('refuses a data directory another live broker holds', async () => {
    const data = tempDataDir('locked');
    dirs.push(data);
    const first = await BrokerProcess.start({ dataDir: data.dir });
    try {
      const { status, stderr } = startOnce(['--data-dir', data.dir, '--listen', `127.0.0.1:${await freePort()}`]);
      expect(status).toBe(2);
      expect(stderr).toContain(`is in use by another broker (pid ${first.pid})`);
    } finally {
      await first.stop();
    }
  });

  it('the chronik executable runs a command exactly once', () => {
    const result = spawnSync(path.join(repoRoot, 'src', 'cli', 'chronik.js'), ['sim', '--seed', '3', '--json', '--no-save'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(0);
    const outcomes = result.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(outcomes).toHaveLength(1);
    expect(JSON.parse(outcomes[0]!)).toMatchObject({ seed: 3, ok: true });
  });

  it('names --log-format when its value is wrong, and exits 2', () => {
    const data = tempDataDir('bad-log-format');
    dirs.push(data);
    const { status, stderr } = startOnce(['--data-dir', data.dir, '--log-format', 'fancy']);
    expect(status).toBe(2);
    expect(stderr).toContain("invalid option --log-format (--log-format / CHRONIK_LOG_FORMAT): expected auto, json or pretty, got 'fancy'");
  });

  it('--log-format pretty prints readable lines, down to the last line of a shutdown', async () => {
    const data = tempDataDir('pretty');
    dirs.push(data);
    const broker = await BrokerProcess.start({ dataDir: data.dir, args: ['--log-format', 'pretty'], ready: (l) => l.includes('BrokerStarted') });
    broker.kill('SIGINT');
    expect(await broker.waitExit(15_000)).toEqual({ code: 0, signal: null });
    const started = broker.output.find((l) => l.includes('BrokerStarted'))!;
    expect(started).toMatch(new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d [\\d:.]+ [+-]\\d{4}\\] INFO: BrokerStarted \\{.*"port":${broker.port}`));
    expect(broker.output.every((l) => !l.startsWith('{'))).toBe(true);
    expect(broker.output.at(-1)).toMatch(/\] INFO: ProcessExiting \{.*"code":0/);
  });

  it('logs JSON lines when stdout is not a terminal, down to the last line of a shutdown', async () => {
    const data = tempDataDir('json');
    dirs.push(data);
    const broker = await BrokerProcess.start({ dataDir: data.dir });
    broker.kill('SIGINT');
    expect(await broker.waitExit(15_000)).toEqual({ code: 0, signal: null });
    const events = broker.output.map((l) => JSON.parse(l) as { msg: string });
    expect(events.map((e) => e.msg)).toContain('BrokerStarted');
    expect(events.at(-1)).toMatchObject({ msg: 'ProcessExiting', code: 0 });
  });

  it('stops cleanly on SIGINT, exit code 0', async () => {
    const data = tempDataDir('sigint');
    dirs.push(data);
    const broker = await BrokerProcess.start({ dataDir: data.dir });
    broker.kill('SIGINT');
    expect(await broker.waitExit(15_000)).toEqual({ code: 0, signal: null });
    expect(broker.output.some((l) => l.includes('"ShutdownRequested"') && l.includes('SIGINT'))).toBe(true);
  });
});
