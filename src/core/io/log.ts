/**
 * Structured logging and tracing, one interface. Core emits named events with fields
 * (`log.info('RaftBecameLeader', { term, nodeId })`); production sends them to pino, the simulator
 * stamps them with virtual time and node id, hashes them into the run's trace and keeps them for a
 * failure dump. Names are PascalCase nouns-then-verbs; fields are plain values (bigint allowed).
 */
export type LogValue = string | number | bigint | boolean | null | undefined | readonly LogValue[];
export type LogFields = Record<string, LogValue>;

export interface Log {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A log whose every event carries `fields` too (e.g. { partition: 'orders-0' }). */
  child(fields: LogFields): Log;
}

/** A log that drops everything (for unit tests that assert on other things). */
export const nullLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return nullLog;
  },
};
