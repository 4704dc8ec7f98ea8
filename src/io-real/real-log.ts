import pino from 'pino';
import type { Log, LogFields } from '../core/io/log.ts';

function plain(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/** The Log interface over pino: the event name is the message, the fields go alongside. */
export class PinoLog implements Log {
  constructor(
    private readonly logger: pino.Logger,
    private readonly destination: { flushSync(): void } | null = null,
  ) {}

  static create(options: { level?: string; nodeId?: number; destination?: number | string } = {}): PinoLog {
    // Synchronous writes: Chronik logs lifecycle events, not requests, and an asynchronous
    // destination reordered the last lines of a shutdown (an in-flight write landed after flushSync).
    const destination = pino.destination({ dest: options.destination ?? 1, sync: true });
    const logger = pino({ level: options.level ?? 'info', base: { node: options.nodeId ?? null } }, destination);
    return new PinoLog(logger, destination);
  }

  debug(event: string, fields?: LogFields): void {
    this.logger.debug(plain(fields), event);
  }
  info(event: string, fields?: LogFields): void {
    this.logger.info(plain(fields), event);
  }
  warn(event: string, fields?: LogFields): void {
    this.logger.warn(plain(fields), event);
  }
  error(event: string, fields?: LogFields): void {
    this.logger.error(plain(fields), event);
  }
  child(fields: LogFields): Log {
    return new PinoLog(this.logger.child(plain(fields)), this.destination);
  }
  /** Writes out, synchronously, what pino still buffers (call before process.exit). */
  flush(): void {
    this.destination?.flushSync();
  }
}
