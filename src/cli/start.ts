import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Broker } from '../core/broker/index.ts';
import type { Io } from '../core/io/index.ts';
import { ControllerNode } from '../core/metadata/controller-node.ts';
import { collectRaftMetrics } from '../core/raft/raft-metrics.ts';
import { NetError } from '../core/io/network.ts';
import { PinoLog, realIo } from '../io-real/index.ts';
import { PromMetrics } from '../io-real/prom-metrics.ts';
import { ConfigError, resolveConfig, type BrokerConfig } from './config.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { parseTestOnlyBugs, testOnlyBugsVariable, type TestOnlyBugs } from './test-only-bugs.ts';

/** Fails (with the holder's pid) when another live broker process owns the data directory. */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConfigError(
          `cannot create the lock file ${lockPath} in --data-dir (CHRONIK_DATA_DIR): ${(error as Error).message}; ` +
            'give this user write access to the directory or choose another one',
        );
      }
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(
          `--data-dir ${dataDir} (CHRONIK_DATA_DIR) is in use by another broker (pid ${holder}); ` +
            `stop that broker (kill -TERM ${holder}) or choose another directory`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new ConfigError(
    `cannot lock --data-dir ${dataDir} (CHRONIK_DATA_DIR): ${lockPath} came back each time it was removed, so another ` +
      'broker is starting on this directory; start one broker per directory',
  );
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function configOrExit(flags: Record<string, string>, env: Record<string, string | undefined>): BrokerConfig | null {
  let config: BrokerConfig;
  try {
    config = resolveConfig(flags, env);
  } catch (error) {
    console.error(`chronik start: ${error instanceof ConfigError ? error.message : String(error)}`);
    return null;
  }
  try {
    mkdirSync(path.resolve(config.dataDir), { recursive: true });
    return config;
  } catch (error) {
    console.error(
      `chronik start: cannot create --data-dir ${config.dataDir} (CHRONIK_DATA_DIR): ${(error as Error).message}; ` +
        'choose a directory this user can create, or create it first',
    );
    return null;
  }
}

/** What to tell the user when a listener cannot bind (`option`: how to name it), or null for an error this does not know. */
function bindErrorMessage(code: string | undefined, option: string): string | null {
  if (code === 'EADDRINUSE') return `${option}: address already in use; another broker or program listens there: stop it or pick another port`;
  if (code === 'EACCES') return `${option}: permission denied; ports below 1024 need privileges: pick a port from 1024 up`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return `${option}: this machine has no such address; use 127.0.0.1, 0.0.0.0 (every interface) or one of its own addresses`;
  }
  return null;
}

/**
 * Starts this node's controller voter (Raft log under <data-dir>/metadata, listening on its --voters
 * address). Refuses a data directory a single-node broker wrote (topics, no metadata): the cluster's
 * metadata would not name those topics, and following it would delete them.
 */
async function startController(io: Io, config: BrokerConfig, dataDir: string, bugs: TestOnlyBugs, onFailed: (error: string) => void): Promise<ControllerNode> {
  const voters = config.voters!;
  const hasTopics = existsSync(path.join(dataDir, 'topics.meta.0')) || existsSync(path.join(dataDir, 'topics.meta.1'));
  if (hasTopics && !existsSync(path.join(dataDir, 'metadata'))) {
    throw new ConfigError(
      `--data-dir ${dataDir} holds topics written by a single-node broker (no --voters); a cluster node would delete them, as the ` +
        "cluster's metadata does not name them: start the cluster node on an empty directory",
    );
  }
  try {
    return await ControllerNode.start(io, {
      nodeId: config.nodeId,
      voters,
      dataDir: 'metadata',
      brokerSessionTimeoutMs: config.brokerSessionTimeoutMs,
      testOnlyControllerBugs: bugs.controller,
      observer: { onFailed },
    });
  } catch (error) {
    const self = voters.find((v) => v.id === config.nodeId)!;
    if (error instanceof NetError && error.code === 'EADDRINUSE') {
      throw new ConfigError(`--voters (CHRONIK_VOTERS) entry ${self.id}@${self.host}:${self.port}: the controller port is in use; another broker or program listens there: stop it or pick another port`);
    }
    throw error;
  }
}

/** The Kafka listener's bind error (a NetError from io.net), or null. */
function listenErrorMessage(error: unknown, listen: BrokerConfig['listen']): string | null {
  if (!(error instanceof NetError)) return null;
  const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return bindErrorMessage(error.code === 'EADDRINUSE' ? 'EADDRINUSE' : cause, `--listen ${listen.host}:${listen.port} (CHRONIK_LISTEN)`);
}

/** Starts the metrics endpoint when configured; on a bind error prints what to do and returns 'failed'. */
async function startMetrics(config: BrokerConfig, log: PinoLog): Promise<{ metrics: PromMetrics; server: MetricsServer } | null | 'failed'> {
  const address = config.metricsListen;
  if (address === null) return null;
  const metrics = new PromMetrics();
  try {
    const server = await startMetricsServer(metrics, address, log);
    log.info('MetricsListening', { host: address.host, port: server.port, path: '/metrics' });
    return { metrics, server };
  } catch (error) {
    const option = `--metrics-listen ${address.host}:${address.port} (CHRONIK_METRICS_LISTEN)`;
    const message = bindErrorMessage((error as NodeJS.ErrnoException).code, option);
    console.error(`chronik start: ${message ?? `${option}: cannot listen (${(error as Error).message}); pick another address or port`}`);
    return 'failed';
  }
}

/** The configured log: pretty on a terminal (or when asked), JSON lines otherwise. */
function createLog(config: BrokerConfig, env: Record<string, string | undefined>): PinoLog {
  const terminal = process.stdout.isTTY === true;
  const format = config.logFormat === 'auto' ? (terminal ? 'pretty' : 'json') : config.logFormat;
  return PinoLog.create({ level: config.logLevel, nodeId: config.nodeId, format, colors: terminal && env['NO_COLOR'] === undefined });
}

/**
 * Test only, never documented for users: the bugs CHRONIK_TEST_ONLY_BUGS plants (test-only-bugs.ts),
 * said on stderr when there are any; null (after printing why) when the variable is wrong.
 */
function testOnlyBugsOrNull(env: Record<string, string | undefined>): TestOnlyBugs | null {
  try {
    const bugs = parseTestOnlyBugs(env);
    if (Object.keys(bugs).length > 0) console.error(`chronik start: ${testOnlyBugsVariable} plants ${JSON.stringify(bugs)}: for tests only`);
    return bugs;
  } catch (error) {
    console.error(`chronik start: ${(error as Error).message}`);
    return null;
  }
}

/**
 * `chronik start`: resolves the configuration, locks the data directory, runs the broker, and on
 * SIGTERM or SIGINT stops it gracefully (stop accepting, answer in-flight requests, flush every
 * partition) and exits 0. Returns the exit code for start-up failures.
 */
export async function startCommand(flags: Record<string, string>, env: Record<string, string | undefined>): Promise<number> {
  const bugs = testOnlyBugsOrNull(env);
  if (bugs === null) return 2;
  const config = configOrExit(flags, env);
  if (config === null) return 2;
  const dataDir = path.resolve(config.dataDir);
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir);
  } catch (error) {
    console.error(`chronik start: ${(error as Error).message}`);
    return 2;
  }
  const log = createLog(config, env);
  const io = realIo({ dataDir, log });
  // Signal handlers go in before the broker starts: a SIGTERM or SIGINT that arrives while it starts
  // (or just after it logged BrokerStarted) must stop it gracefully, not kill the process outright.
  let broker: Broker | null = null;
  let signalDuringStart: string | null = null;
  let shutdown = (signal: string): void => {
    signalDuringStart ??= signal;
    log.info('ShutdownRequested', { signal, during: 'start' });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const metricsEndpoint = await startMetrics(config, log);
  if (metricsEndpoint === 'failed') {
    unlock();
    log.flush();
    return 2;
  }
  let controller: ControllerNode | null = null;
  // A controller voter whose metadata storage failed stops for good, and the broker beside it would
  // go on with a metadata image nobody updates any more (it could answer as a partition leader or
  // a group coordinator it no longer is). The process exits instead, as Kafka halts when its metadata
  // log directory fails: a supervisor restarts it, and the restart recovers from what is durable
  // (everything acknowledged was fsynced).
  const controllerFailed = (error: string): void => {
    log.error('ProcessExitingControllerFailed', {
      error,
      hint: 'this node\'s metadata storage failed (check the disk: full, or failing); the process exits with code 1 so that a supervisor restarts it, and the other voters keep the quorum meanwhile',
    });
    log.flush();
    unlock();
    process.exit(1);
  };
  try {
    controller = config.voters === null ? null : await startController(io, config, dataDir, bugs, controllerFailed);
    const raftNode = controller?.raft;
    if (raftNode !== undefined && metricsEndpoint !== null) collectRaftMetrics(metricsEndpoint.metrics, () => raftNode.status());
    broker = await Broker.start(io, {
      nodeId: config.nodeId,
      listen: config.listen,
      advertised: config.advertised,
      dataDir: '',
      autoCreateTopics: config.autoCreateTopics,
      defaultPartitions: config.defaultPartitions,
      requestBytesMax: config.requestBytesMax,
      requestBytesHeldMax: config.requestBytesHeldMax,
      groups: { initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs },
      ...(controller === null
        ? {}
        : {
            cluster: controller,
            replication: {
              minInsyncReplicas: config.minInsyncReplicas,
              defaultReplicationFactor: config.defaultReplicationFactor,
              replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
              replicaFetchBytesMax: config.replicaFetchMaxBytes,
              brokerHeartbeatIntervalMs: Math.max(50, Math.floor(config.brokerSessionTimeoutMs / 6)),
              brokerSessionTimeoutMs: config.brokerSessionTimeoutMs,
              // Kafka's offsets.topic.replication.factor (3), capped so a smaller cluster still gets group coordinators.
              offsetsTopicReplicationFactor: Math.min(3, config.voters!.length),
            },
          }),
      metrics: metricsEndpoint?.metrics,
      testOnlyReplicationBugs: bugs.replication,
      testOnlyBrokerBugs: bugs.broker,
      testOnlyLogBugs: bugs.log,
      testOnlyOffsetStoreBugs: bugs.offsets,
    });
  } catch (error) {
    await controller?.stop().catch(() => undefined);
    await metricsEndpoint?.server.close();
    unlock();
    if (error instanceof ConfigError) {
      console.error(`chronik start: ${error.message}`);
      return 2;
    }
    const listenMessage = listenErrorMessage(error, config.listen);
    if (listenMessage === null) log.error('BrokerStartFailed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error), hint: 'the message says why; fix it and start again (nothing was served)' });
    log.flush();
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      `chronik start: ${
        listenMessage ??
        `the broker failed to start with data in ${dataDir} (${reason}); nothing was served and the data directory is unlocked: ` +
          'fix what the message names (often permissions, a full disk or a damaged file in the data directory) and start again'
      }`,
    );
    return 2;
  }
  log.info('ProcessReady', { pid: process.pid, dataDir });
  const started = broker;
  const startedController = controller;
  let stopping = false;
  shutdown = (signal: string): void => {
    if (stopping) return void log.warn('ShutdownAlreadyInProgress', { signal, hint: 'the broker is flushing its partitions; wait, or SIGKILL it and let the next start recover the data directory' });
    stopping = true;
    log.info('ShutdownRequested', { signal });
    started
      .stop()
      .finally(() => startedController?.stop())
      .then(
        () => {
          log.info('ProcessExiting', { code: 0 });
          unlock();
          log.flush();
          process.exit(0);
        },
        (error: unknown) => {
          log.error('BrokerStopFailed', { error: String(error), hint: 'unflushed writes may be lost; the next start recovers the data directory and logs what it cut' });
          log.flush();
          process.exit(1);
        },
      );
  };
  if (signalDuringStart !== null) shutdown(signalDuringStart);
  return 0;
}
