import { writeSync } from 'node:fs';
import type { LogFields, LogValue } from '../core/io/log.ts';
import { RunHash } from './run-hash.ts';

export interface TraceEvent {
  readonly timeMs: number;
  readonly node: string | null;
  readonly level: string;
  readonly event: string;
  readonly fields: LogFields | undefined;
}

/** How many recent events a run keeps in memory for its failure dump. */
const recentEventsMax = 200;
/** How many notable events (a partition's own lines, faults) a run keeps for a focused failure dump. */
const notableEventsMax = 5000;

/**
 * Lines worth keeping longer than the last 200: those about one partition (they carry `topic` and
 * `partition`: leadership, ISR changes, truncations) and the faults (a connection reset excepted:
 * there are too many and they touch no partition).
 */
function isNotable(e: TraceEvent): boolean {
  if (e.fields !== undefined && 'partition' in e.fields && 'topic' in e.fields) return true;
  return e.event.startsWith('Fault') && e.event !== 'FaultConnReset';
}

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

/** Record tags in the hash, so that an event and a log line can never hash alike. */
const firedTag = 1;
const lineTag = 2;

/**
 * The run's trace. Hashed as it is produced, in one stream and in the order they happen: every
 * scheduler event that fires (kind, virtual time, owner, bytes, sequence number) and every log line
 * (its canonical line). The last few log lines are kept for a failure dump, and with a file
 * descriptor every log line is also written as a JSON line (virtual time and node on every line),
 * and with `fileEvents` every fired event too.
 */
export class Trace {
  private readonly hash = new RunHash();
  private readonly recent: TraceEvent[] = [];
  private readonly notable: TraceEvent[] = [];
  eventsHashed = 0;
  linesHashed = 0;

  constructor(
    private readonly fileFd: number | null = null,
    private readonly fileEvents = false,
  ) {}

  add(event: TraceEvent): void {
    this.hash.int(lineTag);
    this.hash.string(canonicalLine(event));
    this.linesHashed++;
    if (this.recent.length >= recentEventsMax) this.recent.shift();
    this.recent.push(event);
    if (isNotable(event)) {
      if (this.notable.length >= notableEventsMax) this.notable.shift();
      this.notable.push(event);
    }
    if (this.fileFd !== null) writeSync(this.fileFd, jsonLine(event) + '\n');
  }

  /** Called by the scheduler for every event it fires, before the event runs. */
  fired(kind: string, timeMs: number, owner: string, bytes: number, seq: number): void {
    const hash = this.hash;
    hash.int(firedTag);
    hash.string(kind);
    hash.number(timeMs);
    hash.string(owner);
    hash.number(bytes);
    hash.number(seq);
    this.eventsHashed++;
    if (this.fileFd !== null && this.fileEvents) {
      writeSync(this.fileFd, JSON.stringify({ t: Number(timeMs.toFixed(3)), fired: kind, owner, bytes, seq }) + '\n');
    }
  }

  /** 16 hex digits of everything traced so far, with `extra` (the unseed) folded in last; the hash itself is left untouched. */
  digest(extra = ''): string {
    return this.hash.digest(extra);
  }

  recentLines(): string[] {
    return this.recent.map(canonicalLine);
  }

  /**
   * The last `max` lines that touched partition `partition` of `topic` (null: of any topic; its
   * leaders, ISR changes and truncations on every node) together with the faults in between, oldest
   * first: what a failure about that partition needs, however long ago it happened.
   */
  linesTouching(topic: string | null, partition: number, max: number): string[] {
    const touching = this.notable.filter((e) =>
      e.fields !== undefined && 'partition' in e.fields ? (topic === null || e.fields['topic'] === topic) && e.fields['partition'] === partition : true,
    );
    const own = touching.filter((e) => e.fields !== undefined && 'partition' in e.fields);
    if (own.length === 0) return [];
    return touching.slice(-max).map(canonicalLine);
  }
}
