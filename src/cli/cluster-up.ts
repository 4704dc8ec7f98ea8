/**
 * `chronik cluster up|down|status`. `up --nodes N`: a local cluster on loopback for trying Chronik out. It starts N
 * `chronik start` processes (each a controller voter and a broker) with the documented command,
 * data under <data-dir>/node-K (its log lines in <data-dir>/node-K.log), Kafka on base+K*100, the controller on base+K*100+1 and metrics on base+K*100+2 (so no two
 * ports of the cluster can clash), prints the bootstrap list and each node's ports, and on Ctrl-C or
 * SIGTERM stops every node with SIGTERM (each moves its leaderships away and flushes) and waits.
 * A node that exits by itself is reported; the others keep running. While it runs, <data-dir>/cluster.json
 * names its pid and each node's ports: `down` sends that pid SIGTERM (the same graceful stop) and
 * waits for it; `status` asks every node for Metadata and prints what each sees.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ApiKey } from '../core/protocol/index.ts';
import { WireConnection } from './wire.ts';
import { formatTable } from './table.ts';
import { brokerMallocEnv, brokerNodeFlags } from './process-tuning.ts';
import { isAlive } from './start.ts';

/** The `chronik` executable: it loads tsx from beside itself, so the nodes start from any working directory. */
const chronikPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'chronik.js');

export interface ClusterPlan {
  readonly nodes: { id: number; kafkaPort: number; controllerPort: number; metricsPort: number; dataDir: string }[];
  readonly voters: string;
  readonly bootstrap: string;
}

/** The ports and directories of a local cluster: Kafka base+100k, controller base+100k+1, metrics base+100k+2 for node k. */
export function planCluster(nodes: number, basePort: number, dataDir: string): ClusterPlan {
  const list = Array.from({ length: nodes }, (_, k) => ({
    id: k + 1,
    kafkaPort: basePort + (k + 1) * 100,
    controllerPort: basePort + (k + 1) * 100 + 1,
    metricsPort: basePort + (k + 1) * 100 + 2,
    dataDir: path.join(dataDir, `node-${k + 1}`),
  }));
  return {
    nodes: list,
    voters: list.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    bootstrap: list.map((n) => `127.0.0.1:${n.kafkaPort}`).join(','),
  };
}

const readyTimeoutMs = 60_000;

/**
 * Waits until every node's Metadata lists all the nodes (each has registered with the controller),
 * or `giveUp()` (a node exited, or a stop was asked for), or the timeout. True when ready.
 */
async function waitUntilRegistered(plan: ClusterPlan, giveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !giveUp()) {
    const counts = await Promise.all(plan.nodes.map((n) => brokersListed(n.kafkaPort)));
    if (counts.every((c) => c === plan.nodes.length)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function brokersListed(port: number): Promise<number> {
  let connection: WireConnection | null = null;
  try {
    connection = await WireConnection.connect({ host: '127.0.0.1', port }, { connectTimeoutMs: 1000, requestTimeoutMs: 2000 });
    const md = await connection.request(ApiKey.Metadata, 1, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    return md.brokers.length;
  } catch {
    return 0;
  } finally {
    connection?.close();
  }
}

function parseNodes(text: string): number {
  const n = Number(text);
  if (![1, 3, 5].includes(n)) throw new Error(`--nodes must be 1, 3 or 5 (the controller quorum's sizes), got '${text}'`);
  return n;
}

function parseBasePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1024 || n > 65535 - 501) throw new Error(`--base-port must be a whole number from 1024 to 65034, got '${text}'`);
  return n;
}

export function addClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('a local cluster on loopback, for trying Chronik out');
  cluster
    .command('up')
    .description('start N nodes (controller voter + broker each) on 127.0.0.1, print the bootstrap list; Ctrl-C or SIGTERM stops them all')
    .option('--nodes <n>', 'number of nodes: 1, 3 or 5 (default 3)', parseNodes, 3)
    .option('--base-port <port>', 'node K listens for Kafka on base+100*K, for its controller on base+100*K+1 and for metrics on base+100*K+2 (default 19000: 19100/19101/19102, 19200/19201/19202, ...)', parseBasePort, 19000)
    .option('--data-dir <dir>', 'each node keeps its data in <dir>/node-K (default ./data)', './data')
    .option('--min-insync-replicas <n>', 'passed to every node (default 2 with 3 or more nodes, else 1)')
    .action(async (flags: { nodes: number; basePort: number; dataDir: string; minInsyncReplicas?: string }) => {
      process.exitCode = await clusterUp(flags);
    });
  cluster
    .command('down')
    .description("stop the local cluster that `cluster up` runs from this data directory (every node stops gracefully); waits until it has")
    .option('--data-dir <dir>', 'the --data-dir the cluster was started with (default ./data)', './data')
    .action(async (flags: { dataDir: string }) => {
      process.exitCode = await clusterDown(flags.dataDir);
    });
  cluster
    .command('status')
    .description('ask every node of the local cluster for Metadata: is it up, which brokers and controller it sees, partitions without a leader or with a short ISR')
    .option('--data-dir <dir>', 'the --data-dir the cluster was started with (default ./data)', './data')
    .action(async (flags: { dataDir: string }) => {
      process.exitCode = await clusterStatus(flags.dataDir);
    });
}

/** What `cluster up` writes to <data-dir>/cluster.json while it runs. */
interface RunningCluster {
  readonly pid: number;
  readonly nodes: readonly { id: number; kafkaPort: number; controllerPort: number; pid: number | undefined }[];
}

const runningFile = (dataDir: string): string => path.join(dataDir, 'cluster.json');

/** The running cluster of `dataDir`, or why there is none (one line for the user). */
function readRunning(dataDir: string): RunningCluster | string {
  const file = runningFile(dataDir);
  if (!existsSync(file)) return `no cluster is running from ${dataDir} (no ${file}); start one with: chronik cluster up --data-dir ${dataDir}`;
  let running: RunningCluster;
  try {
    running = JSON.parse(readFileSync(file, 'utf8')) as RunningCluster;
  } catch (error) {
    return `${file} is not readable JSON (${(error as Error).message}); remove it if no cluster runs`;
  }
  if (!isAlive(running.pid)) {
    rmSync(file, { force: true });
    return `the cluster of ${dataDir} is not running (its process ${running.pid} is gone; removed the stale ${file})`;
  }
  return running;
}

const downTimeoutMs = 120_000;

async function clusterDown(dataDir: string): Promise<number> {
  const running = readRunning(dataDir);
  if (typeof running === 'string') {
    console.error(`chronik cluster down: ${running}`);
    return 1;
  }
  process.kill(running.pid, 'SIGTERM');
  console.log(`stopping the cluster of ${dataDir} (process ${running.pid}, ${running.nodes.length} nodes)...`);
  const deadline = Date.now() + downTimeoutMs;
  while (isAlive(running.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(running.pid)) {
    console.error(`chronik cluster down: the cluster did not stop within ${downTimeoutMs / 1000} s; see the node logs under ${dataDir}`);
    return 1;
  }
  console.log('every node stopped');
  return 0;
}

interface NodeView {
  readonly up: boolean;
  readonly brokers: number;
  readonly controller: number;
  readonly topics: number;
  readonly leaderless: number;
  readonly underReplicated: number;
}

async function nodeView(port: number): Promise<NodeView> {
  let connection: WireConnection | null = null;
  try {
    connection = await WireConnection.connect({ host: '127.0.0.1', port }, { connectTimeoutMs: 1000, requestTimeoutMs: 3000 });
    const md = await connection.request(ApiKey.Metadata, 1, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const partitions = md.topics.flatMap((t) => t.partitions);
    return {
      up: true,
      brokers: md.brokers.length,
      controller: md.controllerId,
      topics: md.topics.length,
      leaderless: partitions.filter((p) => p.leaderId < 0).length,
      underReplicated: partitions.filter((p) => p.isrNodes.length < p.replicaNodes.length).length,
    };
  } catch {
    return { up: false, brokers: 0, controller: -1, topics: 0, leaderless: 0, underReplicated: 0 };
  } finally {
    connection?.close();
  }
}

async function clusterStatus(dataDir: string): Promise<number> {
  const running = readRunning(dataDir);
  if (typeof running === 'string') {
    console.error(`chronik cluster status: ${running}`);
    return 1;
  }
  const views = await Promise.all(running.nodes.map((n) => nodeView(n.kafkaPort)));
  const rows = running.nodes.map((n, k) => {
    const v = views[k]!;
    const state = v.up ? 'up' : 'not answering';
    return [String(n.id), `127.0.0.1:${n.kafkaPort}`, String(n.pid ?? '-'), state, v.up ? String(v.brokers) : '-', v.up ? String(v.topics) : '-', v.up ? String(v.leaderless) : '-', v.up ? String(v.underReplicated) : '-'];
  });
  console.log(formatTable(['node', 'kafka', 'pid', 'state', 'brokers seen', 'topics', 'partitions without leader', 'under-replicated'], rows));
  const up = views.filter((v) => v.up).length;
  console.log(`${up} of ${running.nodes.length} nodes answer; bootstrap ${running.nodes.map((n) => `127.0.0.1:${n.kafkaPort}`).join(',')}`);
  return up === 0 ? 1 : 0;
}

async function clusterUp(flags: { nodes: number; basePort: number; dataDir: string; minInsyncReplicas?: string }): Promise<number> {
  const already = readRunning(flags.dataDir);
  if (typeof already !== 'string') {
    console.error(`chronik cluster up: a cluster already runs from ${flags.dataDir} (process ${already.pid}); stop it with: chronik cluster down --data-dir ${flags.dataDir}`);
    return 1;
  }
  const plan = planCluster(flags.nodes, flags.basePort, flags.dataDir);
  const minIsr = flags.minInsyncReplicas ?? (flags.nodes >= 3 ? '2' : '1');
  const children = new Map<number, ChildProcess>();
  const exits: Promise<void>[] = [];
  let stopping = false;
  for (const node of plan.nodes) {
    const args = [
      ...brokerNodeFlags, chronikPath, 'start',
      '--node-id', String(node.id), '--voters', plan.voters, '--listen', `127.0.0.1:${node.kafkaPort}`,
      '--data-dir', node.dataDir, '--min-insync-replicas', minIsr, '--log-format', 'json', '--metrics-listen', `127.0.0.1:${node.metricsPort}`,
    ];
    mkdirSync(flags.dataDir, { recursive: true });
    const logFile = path.join(flags.dataDir, `node-${node.id}.log`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', openSync(logFile, 'a'), 'pipe'], env: { ...process.env, ...brokerMallocEnv } });
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`node ${node.id}: ${chunk.toString()}`));
    children.set(node.id, child);
    exits.push(
      new Promise((resolve) =>
        child.once('exit', (code, signal) => {
          children.delete(node.id);
          if (!stopping) console.error(`chronik cluster up: node ${node.id} exited (${signal ?? `code ${code}`}); the others keep running`);
          resolve();
        }),
      ),
    );
    console.log(`node ${node.id}: kafka 127.0.0.1:${node.kafkaPort}, controller 127.0.0.1:${node.controllerPort}, metrics http://127.0.0.1:${node.metricsPort}/metrics, data ${node.dataDir}, log ${logFile}, pid ${child.pid}`);
  }
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('stopping every node...');
    for (const child of children.values()) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const running: RunningCluster = { pid: process.pid, nodes: plan.nodes.map((n) => ({ id: n.id, kafkaPort: n.kafkaPort, controllerPort: n.controllerPort, pid: children.get(n.id)?.pid })) };
  writeFileSync(runningFile(flags.dataDir), `${JSON.stringify(running, null, 2)}\n`);
  const ready = await waitUntilRegistered(plan, () => stopping || children.size < plan.nodes.length);
  if (ready) {
    console.log(`bootstrap: ${plan.bootstrap}`);
    console.log('every node is registered; stop the cluster with Ctrl-C or SIGTERM (every node stops gracefully)');
  } else if (!stopping) {
    console.error(`chronik cluster up: the nodes did not all register within ${readyTimeoutMs / 1000} s; see the node logs under ${flags.dataDir}`);
  }
  await Promise.all(exits);
  rmSync(runningFile(flags.dataDir), { force: true });
  console.log('every node stopped');
  return 0;
}
