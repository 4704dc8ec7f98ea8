import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Broker } from '../core/broker/index.ts';
import { NetError } from '../core/io/network.ts';
import { PinoLog, realIo } from '../io-real/index.ts';
import { ConfigError, resolveConfig, type BrokerConfig } from './config.ts';

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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new ConfigError(`--data-dir ${dataDir} is in use by another broker (pid ${holder}); stop it or choose another directory`);
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new ConfigError(`cannot lock --data-dir ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function configOrExit(flags: Record<string, string>, env: Record<string, string | undefined>): BrokerConfig | null {
  try {
    const config = resolveConfig(flags, env);
    mkdirSync(path.resolve(config.dataDir), { recursive: true });
    return config;
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `cannot create --data-dir: ${(error as Error).message}`;
    console.error(`chronik start: ${message}`);
    return null;
  }
}

/**
 * `chronik start`: resolves the configuration, locks the data directory, runs the broker, and on
 * SIGTERM or SIGINT stops it gracefully (stop accepting, answer in-flight requests, flush every
 * partition) and exits 0. Returns the exit code for start-up failures.
 */
export async function startCommand(flags: Record<string, string>, env: Record<string, string | undefined>): Promise<number> {
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
  const log = PinoLog.create({ level: config.logLevel, nodeId: config.nodeId });
  const io = realIo({ dataDir, log });
  let broker: Broker;
  try {
    broker = await Broker.start(io, {
      nodeId: config.nodeId,
      listen: config.listen,
      advertised: config.advertised,
      dataDir: '',
      autoCreateTopics: config.autoCreateTopics,
      defaultPartitions: config.defaultPartitions,
      requestBytesMax: config.requestBytesMax,
    });
  } catch (error) {
    unlock();
    if (error instanceof NetError && error.code === 'EADDRINUSE') {
      console.error(
        `chronik start: --listen ${config.listen.host}:${config.listen.port} (CHRONIK_LISTEN): address already in use; ` +
          'another broker or program listens there: stop it or pick another port',
      );
      return 2;
    }
    throw error;
  }
  log.info('ProcessReady', { pid: process.pid, dataDir });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return void log.warn('ShutdownAlreadyInProgress', { signal });
    stopping = true;
    log.info('ShutdownRequested', { signal });
    broker.stop().then(
      () => {
        log.info('ProcessExiting', { code: 0 });
        unlock();
        log.flush();
        process.exit(0);
      },
      (error: unknown) => {
        log.error('BrokerStopFailed', { error: String(error) });
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return 0;
}
