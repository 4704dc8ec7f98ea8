/**
 * `chronik cluster up --nodes N`: a local cluster on loopback for trying Chronik out. It starts N
 * `chronik start` processes (each a controller voter and a broker) with the documented command,
 * data under <data-dir>/node-K (its log lines in <data-dir>/node-K.log), Kafka on base+K*100 and the controller on base+K*100+1 (so no two
 * ports of the cluster can clash), prints the bootstrap list and each node's ports, and on Ctrl-C or
 * SIGTERM stops every node with SIGTERM (each moves its leaderships away and flushes) and waits.
 * A node that exits by itself is reported; the others keep running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ApiKey } from '../core/protocol/index.ts';
import { WireConnection } from './wire.ts';

const cliPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

export interface ClusterPlan {
  readonly nodes: { id: number; kafkaPort: number; controllerPort: number; dataDir: string }[];
  readonly voters: string;
  readonly bootstrap: string;
}

/** The ports and directories of a local cluster: Kafka base+100k, controller base+100k+1 for node k. */
export function planCluster(nodes: number, basePort: number, dataDir: string): ClusterPlan {
  const list = Array.from({ length: nodes }, (_, k) => ({
    id: k + 1,
    kafkaPort: basePort + (k + 1) * 100,
    controllerPort: basePort + (k + 1) * 100 + 1,
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
    .option('--base-port <port>', 'node K listens for Kafka on base+100*K and for its controller on base+100*K+1 (default 19000: 19100/19101, 19200/19201, ...)', parseBasePort, 19000)
    .option('--data-dir <dir>', 'each node keeps its data in <dir>/node-K (default ./data)', './data')
    .option('--min-insync-replicas <n>', 'passed to every node (default 2 with 3 or more nodes, else 1)')
    .action(async (flags: { nodes: number; basePort: number; dataDir: string; minInsyncReplicas?: string }) => {
      process.exitCode = await clusterUp(flags);
    });
}

async function clusterUp(flags: { nodes: number; basePort: number; dataDir: string; minInsyncReplicas?: string }): Promise<number> {
  const plan = planCluster(flags.nodes, flags.basePort, flags.dataDir);
  const minIsr = flags.minInsyncReplicas ?? (flags.nodes >= 3 ? '2' : '1');
  const children = new Map<number, ChildProcess>();
  const exits: Promise<void>[] = [];
  let stopping = false;
  for (const node of plan.nodes) {
    const args = [
      '--initial-old-space-size=256', '--import', 'tsx', cliPath, 'start',
      '--node-id', String(node.id), '--voters', plan.voters, '--listen', `127.0.0.1:${node.kafkaPort}`,
      '--data-dir', node.dataDir, '--min-insync-replicas', minIsr, '--log-format', 'json',
    ];
    mkdirSync(flags.dataDir, { recursive: true });
    const logFile = path.join(flags.dataDir, `node-${node.id}.log`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', openSync(logFile, 'a'), 'pipe'] });
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
    console.log(`node ${node.id}: kafka 127.0.0.1:${node.kafkaPort}, controller 127.0.0.1:${node.controllerPort}, data ${node.dataDir}, log ${logFile}, pid ${child.pid}`);
  }
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('stopping every node...');
    for (const child of children.values()) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const ready = await waitUntilRegistered(plan, () => stopping || children.size < plan.nodes.length);
  if (ready) {
    console.log(`bootstrap: ${plan.bootstrap}`);
    console.log('every node is registered; stop the cluster with Ctrl-C or SIGTERM (every node stops gracefully)');
  } else if (!stopping) {
    console.error(`chronik cluster up: the nodes did not all register within ${readyTimeoutMs / 1000} s; see the node logs under ${flags.dataDir}`);
  }
  await Promise.all(exits);
  console.log('every node stopped');
  return 0;
}
