import pino from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Log, LogFields } from '../core/io/log.ts';

function plain(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    out[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return out;
}

/**
 * pino-pretty's formatter in front of a synchronous destination. Not its stream or transport: those
 * pass each line through Node streams (and a worker thread, for the transport), which can hold the
 * last lines past process.exit; the formatter is a plain function of one line.
 */
function prettyStream(destination: pino.DestinationStream, colors: boolean): pino.DestinationStream {
  const pretty = prettyFactory({ colorize: colors, singleLine: true, translateTime: 'SYS:standard', ignore: 'pid,hostname' });
  return { write: (line: string) => void destination.write(pretty(line)) };
}

/** The Log interface over pino: the event name is the message, the fields go alongside. */
export class PinoLog implements Log {
  constructor(
    private readonly logger: pino.Logger,
    private readonly destination: { flushSync(): void } | null = null,
  ) {}

  /**
   * A logger on stdout (or `destination`). `format: 'pretty'` turns each JSON line into readable
   * text with pino-pretty, in the same synchronous write, so the pretty log keeps the JSON log's
   * order and loses no line at exit.
   */
  static create(options: { level?: string; nodeId?: number; destination?: number | string; format?: 'json' | 'pretty'; colors?: boolean } = {}): PinoLog {
    // Synchronous writes: Chronik logs lifecycle events, not requests, and an asynchronous
    // destination reordered the last lines of a shutdown (an in-flight write landed after flushSync).
    const destination = pino.destination({ dest: options.destination ?? 1, sync: true });
    const stream = options.format === 'pretty' ? prettyStream(destination, options.colors ?? false) : destination;
    const logger = pino({ level: options.level ?? 'info', base: { node: options.nodeId ?? null } }, stream);
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
