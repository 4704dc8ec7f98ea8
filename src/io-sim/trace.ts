import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { LogFields, LogValue } from '../core/io/log.ts';

export interface TraceEvent {
  readonly timeMs: number;
  readonly node: string | null;
  readonly level: string;
  readonly event: string;
  readonly fields: LogFields | undefined;
}

/** How many recent events a run keeps in memory for its failure dump. */
const recentEventsMax = 200;

function encodeValue(value: LogValue): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.map(encodeValue).join(',')}]`;
  return String(value);
}

/** One canonical line per event: the same event always hashes the same, on any machine. */
export function canonicalLine(e: TraceEvent): string {
  let line = `${e.timeMs.toFixed(3)}|${e.node ?? '-'}|${e.level}|${e.event}`;
  if (e.fields !== undefined) {
    for (const key of Object.keys(e.fields)) line += `|${key}=${encodeValue(e.fields[key])}`;
  }
  return line;
}

function jsonLine(e: TraceEvent): string {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e.fields ?? {})) {
    fields[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return JSON.stringify({ t: Number(e.timeMs.toFixed(3)), node: e.node, level: e.level, event: e.event, ...fields });
}

/**
 * The run's trace: every event is hashed as it is produced (SHA-256 over canonical lines), the last
 * few are kept for a failure dump, and with a file descriptor every event is also written as a JSON
 * line (virtual time and node on every line).
 */
export class Trace {
  private readonly hash: Hash = createHash('sha256');
  private readonly recent: TraceEvent[] = [];

  constructor(private readonly fileFd: number | null = null) {}

  add(event: TraceEvent): void {
    this.hash.update(canonicalLine(event));
    this.hash.update('\n');
    if (this.recent.length >= recentEventsMax) this.recent.shift();
    this.recent.push(event);
    if (this.fileFd !== null) writeSync(this.fileFd, jsonLine(event) + '\n');
  }

  /** Hex digest of everything traced so far (the hash object itself is left untouched). */
  digest(): string {
    return this.hash.copy().digest('hex').slice(0, 16);
  }

  recentLines(): string[] {
    return this.recent.map(canonicalLine);
  }
}
