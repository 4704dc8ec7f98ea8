import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { NetError } from '../core/io/network.ts';
import { PinoLog, realIo } from '../io-real/index.ts';
import { ConfigError, resolveConfig, type BrokerConfig } from './config.ts';

/** `chronik start`: resolves the configuration, then runs the broker until SIGTERM or SIGINT. */
export async function startCommand(flags: Record<string, string>, env: Record<string, string | undefined>): Promise<number> {
  let config: BrokerConfig;
  try {
    config = resolveConfig(flags, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`chronik start: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const dataDir = path.resolve(config.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    console.error(`chronik start: cannot create --data-dir ${dataDir}: ${(error as Error).message}`);
    return 2;
  }
  const log = PinoLog.create({ level: config.logLevel, nodeId: config.nodeId });
  const io = realIo({ dataDir, log });
  try {
    const listener = await io.net.listen(config.listen.host, config.listen.port, (conn) => conn.destroy());
    log.info('BrokerListening', { host: listener.host, port: listener.port, dataDir });
    log.error('BrokerNotBuilt', { reason: 'the Kafka request handlers are not wired yet' });
    await listener.close();
    log.flush();
    return 1;
  } catch (error) {
    if (error instanceof NetError && error.code === 'EADDRINUSE') {
      console.error(
        `chronik start: --listen ${config.listen.host}:${config.listen.port} (CHRONIK_LISTEN): address already in use; ` +
          'another broker or program listens there: stop it or pick another port',
      );
      return 2;
    }
    throw error;
  }
}
