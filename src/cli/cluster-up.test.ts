import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { planCluster } from './cluster-up.ts';
import { runChronikHere } from '../testing/chronik-command.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'chronik-cluster-up-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port whose six cluster ports are free now (tried from a random start). */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    const plan = planCluster(3, base, dataDir);
    const ports = plan.nodes.flatMap((n) => [n.kafkaPort, n.controllerPort, n.metricsPort]);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free base port found');
}

/** A topics or groups command in this process (runChronikHere), shaped like cli()'s result. */
async function here(args: string[]): Promise<{ code: number | null; out: string }> {
  const result = await runChronikHere(args);
  return { code: result.status, out: result.stdout + result.stderr };
}

/** Runs `chronik ARGS` to its end; its exit code and output (stdout and stderr together). */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Like cli(), with `input` on standard input. */
function cliWithInput(args: string[], input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('chronik cluster up, status, down', () => {
  it('plans ports that cannot clash: Kafka base+100k, controller base+100k+1, metrics base+100k+2', () => {
    const plan = planCluster(3, 19000, '/d');
    expect(plan.bootstrap).toBe('127.0.0.1:19100,127.0.0.1:19200,127.0.0.1:19300');
    expect(plan.voters).toBe('1@127.0.0.1:19101,2@127.0.0.1:19201,3@127.0.0.1:19301');
    expect(plan.nodes.map((n) => n.metricsPort)).toEqual([19102, 19202, 19302]);
    expect(plan.nodes.map((n) => n.dataDir)).toEqual(['/d/node-1', '/d/node-2', '/d/node-3']);
  });

  it('starts 3 nodes that serve an RF=3 topic, shows them in status, refuses a second up, and stops them all with cluster down', async () => {
    const base = await freeBase();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cluster', 'up', '--nodes', '3', '--base-port', String(base), '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('bootstrap: ') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const bootstrap = /bootstrap: (\S+)/.exec(out)?.[1];
      expect(bootstrap).toBe(planCluster(3, base, dataDir).bootstrap);
      const kafka = new Kafka({ clientId: 'cluster-up', brokers: bootstrap!.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 1000 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'tryout', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic: 'tryout', acks: -1, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] });
      const offsets = await admin.fetchTopicOffsets('tryout');
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2);
      await producer.disconnect();
      await admin.disconnect();
      // Every client command works against the cluster (groups through the replicated offsets topic).
      const b = ['--bootstrap', bootstrap!];
      expect((await cli(['topics', 'create', 'cli-events', '--partitions', '2', '--replication-factor', '3', ...b])).out).toContain('Created topic cli-events.');
      expect((await cliWithInput(['produce', 'cli-events', ...b], 'a\nb\nc\n')).out).toContain('3 message(s) acknowledged by cli-events.');
      const consumed = await cli(['consume', 'cli-events', '--from-beginning', '--max-messages', '3', '--group', 'cli-readers', ...b]);
      expect(consumed.out.split('\n').filter((l) => /^[abc]$/.test(l)).sort()).toEqual(['a', 'b', 'c']);
      const described = await cli(['groups', 'describe', 'cli-readers', ...b]);
      expect(described.code).toBe(0);
      expect(described.out).toMatch(/cli-events\s+\d\s+\d/);
      // The rest of the topic and group commands (in this process: the ones above crossed the
      // process boundary already).
      const listed = await here(['topics', 'list', ...b]);
      expect(listed.code).toBe(0);
      expect(listed.out.split('\n')).toContain('cli-events');
      const topicDescribed = await here(['topics', 'describe', 'cli-events', ...b]);
      expect(topicDescribed.code).toBe(0);
      expect(topicDescribed.out).toMatch(/Topic: cli-events\s+Partitions: 2\s+ReplicationFactor: 3/);
      expect((await here(['groups', 'list', ...b])).out).toContain('cli-readers');
      expect((await here(['topics', 'alter-config', 'cli-events', '--set', 'retention.ms=3600000', ...b])).code).toBe(0);
      // The change goes through the controller's log: every broker shows it once its image has it.
      let configs = '';
      for (let tries = 0; tries < 100 && !/retention\.ms\s+3600000\s+topic/.test(configs); tries++) {
        if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        configs = (await here(['topics', 'describe', 'cli-events', ...b])).out;
      }
      expect(configs).toMatch(/retention\.ms\s+3600000\s+topic/);
      const reset = await here(['groups', 'reset-offsets', 'cli-readers', '--topic', 'cli-events', '--to-earliest', '--execute', ...b]);
      expect(reset.code).toBe(0);
      expect(reset.out).toContain('Committed the new offsets of group cli-readers');
      expect((await here(['topics', 'delete', 'cli-events', ...b])).out).toContain('Deleted topic cli-events.');
      expect((await here(['topics', 'list', ...b])).out.split('\n')).not.toContain('cli-events');
      const metrics = await (await fetch(`http://127.0.0.1:${planCluster(3, base, dataDir).nodes[0]!.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^chronik_raft_term [1-9]/m);
      const status = await cli(['cluster', 'status', '--data-dir', dataDir]);
      expect(status.code).toBe(0);
      expect(status.out).toContain('3 of 3 nodes answer');
      const again = await cli(['cluster', 'up', '--nodes', '3', '--base-port', String(base), '--data-dir', dataDir]);
      expect(again.code).toBe(1);
      expect(again.out).toContain('a cluster already runs from');
      const down = await cli(['cluster', 'down', '--data-dir', dataDir]);
      expect(down.code).toBe(0);
      expect(down.out).toContain('every node stopped');
    } finally {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toContain('every node stopped');
    expect(out).not.toContain('exited (');
    const after = await cli(['cluster', 'status', '--data-dir', dataDir]);
    expect(after.code).toBe(1);
    expect(after.out).toContain('no cluster is running from');
  });
});
