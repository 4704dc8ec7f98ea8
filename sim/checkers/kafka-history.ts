/**
 * A history of what Kafka clients did and saw, and one checker of what Kafka promises about it,
 * shared by every scenario (Jepsen's Kafka test is the model: record operations with their outcome
 * from the client's side, decide afterwards what the broker may have done).
 *
 * A history is a list of operations in the order they were invoked. Each has an invocation and a
 * completion, stamped with virtual time and with a position in one sequence of history events
 * (`invokeAt`, `completeAt`), so "A completed before B was invoked" is exact even within one
 * millisecond. An operation that never completed keeps `completeAt` null and an `info` outcome.
 *
 * Outcomes, from the client's side:
 * - `ok`: the broker answered success (for a produce, with the base offset of the batch);
 * - `fail`: the broker answered an error that means the operation did not happen (the scenario
 *   decides which codes mean that, e.g. NOT_ENOUGH_REPLICAS before the append, INVALID_REQUEST);
 * - `info`: unknown (a timeout, a lost connection, acks=0, an error after which the data may exist).
 *
 * The checker assumes what every scenario so far does: logs are neither compacted nor trimmed
 * (offset 0 stays readable), every value is a unique string per send (a retry resends the same
 * value), and each consumer group commits non-decreasing offsets per partition.
 */

export type Acks = 0 | 1 | -1;

export type Outcome<T> = { readonly type: 'ok'; readonly value: T } | { readonly type: 'fail'; readonly errorCode: number } | { readonly type: 'info'; readonly reason: string };

interface OpBase {
  /** Index in the history's operation list. */
  readonly id: number;
  /** The client that ran it (producer, consumer, committer name). */
  readonly process: string;
  readonly invokeMs: number;
  /** Position of the invocation in the history's event sequence. */
  readonly invokeAt: number;
  completeMs: number | null;
  /** Position of the completion in the history's event sequence; null while pending. */
  completeAt: number | null;
}

export interface ProduceOp extends OpBase {
  readonly kind: 'produce';
  readonly idempotent: boolean;
  readonly acks: Acks;
  readonly topic: string;
  readonly partition: number;
  /** The values of the one batch sent, in order. */
  readonly values: readonly string[];
  /** ok carries the batch's base offset. */
  outcome: Outcome<bigint>;
}

export interface ReadRecord {
  readonly offset: bigint;
  readonly value: string | null;
}

export interface ReadOp extends OpBase {
  readonly kind: 'read';
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  /** The records the response returned (only those at or above fetchOffset), in response order. */
  readonly records: readonly ReadRecord[];
  /** The high watermark the same response reported. */
  readonly highWatermark: bigint;
  /** Part of the final full read that defines the final log (taken after every fault healed). */
  readonly final: boolean;
}

export interface CommitOp extends OpBase {
  readonly kind: 'commit';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  outcome: Outcome<null>;
}

export interface FetchCommittedOp extends OpBase {
  readonly kind: 'fetchCommitted';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The committed offset the OffsetFetch answer gave (-1 when none). */
  readonly offset: bigint;
}

export type KafkaOp = ProduceOp | ReadOp | CommitOp | FetchCommittedOp;

/** A node that lost its disk (its data directory came back empty) at `atMs`. */
export interface LostDisk {
  readonly node: string;
  readonly atMs: number;
  readonly at: number;
}

type NewOp<T extends KafkaOp> = Omit<T, 'id' | 'kind' | 'invokeMs' | 'invokeAt' | 'completeMs' | 'completeAt' | 'outcome'>;

/** Records a history as the clients run; the scenario keeps it outside the nodes. */
export class KafkaHistory {
  readonly ops: KafkaOp[] = [];
  readonly lostDisks: LostDisk[] = [];
  private eventNext = 0;

  // Each op is built as one object literal naming every field: the simulator records tens of
  // thousands per sweep, and on this Node a literal with a spread of the caller's fields cost about
  // ten times as much (14 us against 1.4 us per produce op, measured).

  /** A produce sent at `nowMs`; its outcome is info until completed. */
  produce(fields: NewOp<ProduceOp>, nowMs: number): ProduceOp {
    const { process, idempotent, acks, topic, partition, values } = fields;
    const op: ProduceOp = { process, idempotent, acks, topic, partition, values, kind: 'produce', outcome: pending, id: this.ops.length, invokeMs: nowMs, invokeAt: this.eventNext++, completeMs: null, completeAt: null };
    this.ops.push(op);
    return op;
  }

  commit(fields: NewOp<CommitOp>, nowMs: number): CommitOp {
    const { process, group, topic, partition, offset } = fields;
    const op: CommitOp = { process, group, topic, partition, offset, kind: 'commit', outcome: pending, id: this.ops.length, invokeMs: nowMs, invokeAt: this.eventNext++, completeMs: null, completeAt: null };
    this.ops.push(op);
    return op;
  }

  /** A fetch answered with data; reads and OffsetFetch answers are recorded once they complete. */
  read(fields: NewOp<ReadOp>, invokeMs: number, invokeAt: number, nowMs: number): ReadOp {
    const { process, topic, partition, fetchOffset, records, highWatermark, final } = fields;
    const op: ReadOp = { process, topic, partition, fetchOffset, records, highWatermark, final, kind: 'read', id: this.ops.length, invokeMs, invokeAt, completeMs: nowMs, completeAt: this.eventNext++ };
    this.ops.push(op);
    return op;
  }

  fetchCommitted(fields: NewOp<FetchCommittedOp>, invokeMs: number, invokeAt: number, nowMs: number): FetchCommittedOp {
    const { process, group, topic, partition, offset } = fields;
    const op: FetchCommittedOp = { process, group, topic, partition, offset, kind: 'fetchCommitted', id: this.ops.length, invokeMs, invokeAt, completeMs: nowMs, completeAt: this.eventNext++ };
    this.ops.push(op);
    return op;
  }

  /** The event position a read or OffsetFetch takes when it is sent (pass it to read()/fetchCommitted()). */
  invocation(): number {
    return this.eventNext++;
  }

  /** Completes a produce or commit; completing twice is a scenario bug. */
  complete(op: ProduceOp | CommitOp, outcome: Outcome<bigint> | Outcome<null>, nowMs: number): void {
    if (op.completeAt !== null) throw new Error(`operation ${op.id} completed twice`);
    op.completeMs = nowMs;
    op.completeAt = this.eventNext++;
    (op as { outcome: Outcome<unknown> }).outcome = outcome;
  }

  lostDisk(node: string, atMs: number): void {
    this.lostDisks.push({ node, atMs, at: this.eventNext++ });
  }
}

const pending: Outcome<never> = { type: 'info', reason: 'no answer' };

export type FindingKind =
  | 'lost-write'
  | 'inconsistent-offset'
  | 'duplicate'
  | 'producer-order'
  | 'read-above-hw'
  | 'read-truncated'
  | 'commit-regressed'
  | 'failed-write-present'
  | 'final-log-gap'
  | 'deleted-too-early'
  | 'no-final-read';

export interface FindingOp {
  readonly id: number;
  readonly kind: KafkaOp['kind'];
  readonly process: string;
  readonly invokeMs: number;
  readonly completeMs: number | null;
}

export interface Finding {
  readonly kind: FindingKind;
  readonly message: string;
  readonly ops: readonly FindingOp[];
}

export interface CheckOptions {
  /**
   * Whether an acknowledged produce must be in the final log. Default: every ok produce with acks 1
   * or all (one node). A cluster scenario passes a rule over `lostDisks`, e.g. acks=all writes
   * while at most RF-1 replicas of the partition lost their disk.
   */
  readonly mustSurvive?: (op: ProduceOp, lostDisks: readonly LostDisk[]) => boolean;
  /** Require every partition's final log to hold offsets 0, 1, 2, ... with no gap (no compaction). */
  readonly denseFinalLog?: boolean;
  /**
   * Retention: each partition's log start offset when the final read began (keyed `topic/partition`;
   * absent: 0). Acknowledged records below it are gone from the final log; each one must be one
   * `mayBeDeleted` allows (retention could have deleted it), else `deleted-too-early`. Reads and the
   * dense check look only at offsets from the start on.
   */
  readonly retention?: { readonly logStarts: ReadonlyMap<string, bigint>; readonly mayBeDeleted: (op: ProduceOp, offset: bigint) => boolean };
  /** At most this many findings of each kind are kept (their count is still exact). Default 20. */
  readonly findingsPerKindMax?: number;
}

export interface CheckCounts {
  /** Operations by `<kind>.<outcome>`, e.g. produce.ok, commit.info, read.ok. */
  readonly ops: Record<string, number>;
  /** Values acknowledged by ok produces with acks 1 or all. */
  readonly acked: number;
  /** Acknowledged values the final log does not hold at their offset. */
  readonly lost: number;
  /** Extra copies of values in the final log beyond what their sends allow. */
  readonly duplicates: number;
  /** Records returned by non-final reads. */
  readonly recordsRead: number;
  /** Findings by kind (exact, even when the list is cut). */
  readonly findings: Record<string, number>;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly findings: Finding[];
  readonly counts: CheckCounts;
}

/** Runs every check over a completed history; see docs/simulator.md for what each one means. */
export function checkKafkaHistory(history: Pick<KafkaHistory, 'ops' | 'lostDisks'>, options: CheckOptions = {}): CheckResult {
  const findings = new Findings(options.findingsPerKindMax ?? 20);
  const produces = history.ops.filter((op): op is ProduceOp => op.kind === 'produce');
  const reads = history.ops.filter((op): op is ReadOp => op.kind === 'read');
  const finalLog = buildFinalLog(reads, history.ops, findings);
  const mustSurvive = options.mustSurvive ?? ((op) => op.acks !== 0);
  const lost = checkLostWrites(produces, finalLog, (op) => mustSurvive(op, history.lostDisks), findings, options.retention);
  checkInconsistentOffsets(reads, findings);
  const sends = sendsByValue(produces);
  const duplicates = checkDuplicates(sends, finalLog, findings);
  checkProducerOrder(produces.filter((op) => mustSurvive(op, history.lostDisks) || storedAsAcknowledged(op, finalLog)), findings);
  checkReadsBelowHighWatermark(reads, finalLog, findings, options.retention?.logStarts);
  checkCommits(history.ops, findings);
  checkFailedWrites(sends, finalLog, findings);
  if (options.denseFinalLog === true) checkDense(finalLog, findings, options.retention?.logStarts);
  const counts: CheckCounts = {
    ops: countOps(history.ops),
    acked: produces.filter((op) => op.outcome.type === 'ok' && op.acks !== 0).reduce((n, op) => n + op.values.length, 0),
    lost,
    duplicates,
    recordsRead: reads.filter((r) => !r.final).reduce((n, r) => n + r.records.length, 0),
    findings: findings.countsByKind(),
  };
  return { ok: findings.list.length === 0, findings: findings.list, counts };
}

/** Short lines for a scenario's failures: `kind: message [op 12 p1 produce 103..110 ms]`. */
export function renderFindings(findings: readonly Finding[], max = 20): string[] {
  const lines = findings.slice(0, max).map((f) => {
    const ops = f.ops.map((o) => `op ${o.id} ${o.process} ${o.kind} ${msText(o.invokeMs)}..${o.completeMs === null ? '?' : msText(o.completeMs)} ms`).join('; ');
    return `${f.kind}: ${f.message}${ops.length > 0 ? ` [${ops}]` : ''}`;
  });
  if (findings.length > max) lines.push(`... and ${findings.length - max} more findings`);
  return lines;
}

/** Virtual times to 0.1 ms: enough to order operations by eye. */
function msText(ms: number): string {
  return String(Math.round(ms * 10) / 10);
}

class Findings {
  readonly list: Finding[] = [];
  private readonly byKind = new Map<FindingKind, number>();

  constructor(private readonly perKindMax: number) {}

  add(kind: FindingKind, message: string, ops: readonly KafkaOp[]): void {
    const count = (this.byKind.get(kind) ?? 0) + 1;
    this.byKind.set(kind, count);
    if (count <= this.perKindMax) this.list.push({ kind, message, ops: ops.map(findingOp) });
  }

  countsByKind(): Record<string, number> {
    return Object.fromEntries(this.byKind);
  }
}

function findingOp(op: KafkaOp): FindingOp {
  return { id: op.id, kind: op.kind, process: op.process, invokeMs: op.invokeMs, completeMs: op.completeMs };
}

/** `topic/partition`: how the checker keys partitions (CheckOptions.retention.logStarts). */
export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;
const where = (topic: string, partition: number, offset: bigint): string => `${topic}/${partition}@${offset}`;

/** Every produce that sent a value, by value. */
type SendsByValue = Map<string, ProduceOp[]>;

function sendsByValue(produces: readonly ProduceOp[]): SendsByValue {
  const sends: SendsByValue = new Map();
  for (const op of produces) {
    for (const value of op.values) {
      const list = sends.get(value);
      if (list === undefined) sends.set(value, [op]);
      else list.push(op);
    }
  }
  return sends;
}

/** The final log: per partition, offset -> the record and the final read that returned it. */
type FinalLog = Map<string, Map<bigint, { value: string | null; read: ReadOp }>>;

/** Builds the final log from the final reads; every partition the history touches needs one. */
function buildFinalLog(reads: readonly ReadOp[], ops: readonly KafkaOp[], findings: Findings): FinalLog {
  const log: FinalLog = new Map();
  for (const read of reads) {
    if (!read.final) continue;
    const key = tpKey(read.topic, read.partition);
    let partition = log.get(key);
    if (partition === undefined) log.set(key, (partition = new Map()));
    for (const r of read.records) if (!partition.has(r.offset)) partition.set(r.offset, { value: r.value, read });
  }
  const missing = new Map<string, KafkaOp>();
  for (const op of ops) {
    if (op.kind === 'commit' || op.kind === 'fetchCommitted') continue;
    const key = tpKey(op.topic, op.partition);
    if (!log.has(key) && !missing.has(key)) missing.set(key, op);
  }
  for (const [key, op] of missing) findings.add('no-final-read', `partition ${key} has no final read, so nothing about it can be checked`, [op]);
  return log;
}

/** (a) Every acknowledged value that must survive is in the final log at its acknowledged offset. */
function checkLostWrites(produces: readonly ProduceOp[], log: FinalLog, mustSurvive: (op: ProduceOp) => boolean, findings: Findings, retention: CheckOptions['retention']): number {
  let lost = 0;
  for (const op of produces) {
    if (op.outcome.type !== 'ok' || !mustSurvive(op)) continue;
    const partition = log.get(tpKey(op.topic, op.partition));
    if (partition === undefined) continue; // reported as no-final-read
    const base = op.outcome.value;
    const logStart = retention?.logStarts.get(tpKey(op.topic, op.partition)) ?? 0n;
    op.values.forEach((value, i) => {
      const offset = base + BigInt(i);
      const found = partition.get(offset);
      if (found?.value === value) return;
      if (found === undefined && offset < logStart && retention !== undefined) {
        if (retention.mayBeDeleted(op, offset)) return;
        lost++;
        findings.add('deleted-too-early', `${value} acknowledged at ${where(op.topic, op.partition, offset)} is below the log start ${logStart}, deleted although retention could not have deleted it yet`, [op]);
        return;
      }
      lost++;
      const holds = found === undefined ? 'nothing' : `${found.value}`;
      findings.add('lost-write', `${value} acknowledged at ${where(op.topic, op.partition, offset)}, which holds ${holds} in the final log`, found === undefined ? [op] : [op, found.read]);
    });
  }
  return lost;
}

/** (b) Across every read, one offset of one partition always has the same value. */
function checkInconsistentOffsets(reads: readonly ReadOp[], findings: Findings): void {
  const seen = new Map<string, Map<bigint, { value: string | null; read: ReadOp; reported: boolean }>>();
  for (const read of reads) {
    const key = tpKey(read.topic, read.partition);
    let partition = seen.get(key);
    if (partition === undefined) seen.set(key, (partition = new Map()));
    for (const r of read.records) {
      const first = partition.get(r.offset);
      if (first === undefined) {
        partition.set(r.offset, { value: r.value, read, reported: false });
      } else if (first.value !== r.value && !first.reported) {
        first.reported = true;
        findings.add('inconsistent-offset', `${where(read.topic, read.partition, r.offset)} read as ${first.value} and later as ${r.value}`, [first.read, read]);
      }
    }
  }
}

/**
 * (c) No value is in the final log more often than its sends allow: once for an idempotent
 * producer's value (its retries are deduplicated), at most once per send otherwise.
 */
function checkDuplicates(sends: SendsByValue, log: FinalLog, findings: Findings): number {
  const copies = new Map<string, number>();
  for (const partition of log.values()) {
    for (const r of partition.values()) if (r.value !== null) copies.set(r.value, (copies.get(r.value) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const [value, count] of copies) {
    const ops = sends.get(value);
    if (ops === undefined) continue;
    const idempotent = ops.some((op) => op.idempotent);
    const allowed = idempotent ? 1 : ops.length;
    if (count <= allowed) continue;
    duplicates += count - allowed;
    const why = idempotent ? 'an idempotent producer sent it' : `it was sent ${ops.length} times`;
    findings.add('duplicate', `${value} is in the final log ${count} times (${positionsOf(log, value).join(', ')}) but ${why}`, ops);
  }
  return duplicates;
}

function positionsOf(log: FinalLog, value: string): string[] {
  const at: string[] = [];
  for (const [key, partition] of log) for (const [offset, r] of partition) if (r.value === value) at.push(`${key}@${offset}`);
  return at;
}

/**
 * (d) For one producer and one partition: if write A was acknowledged before write B was invoked,
 * A's last offset is below B's base offset. Concurrent (pipelined) writes are not ordered by this.
 * A retry (a send of values the same producer sent before) is the same write as its first send, so
 * it counts as invoked when that was.
 */
function checkProducerOrder(produces: readonly ProduceOp[], findings: Findings): void {
  const firstSentAt = new Map<string, number>();
  for (const op of produces) {
    const key = `${op.process} ${op.values[0]}`;
    if (!firstSentAt.has(key)) firstSentAt.set(key, op.invokeAt);
  }
  const invokedAtOf = new Map<ProduceOp, number>();
  for (const op of produces) invokedAtOf.set(op, firstSentAt.get(`${op.process} ${op.values[0]}`)!);
  const invokedAt = (op: ProduceOp): number => invokedAtOf.get(op)!;
  const byProducer = new Map<string, ProduceOp[]>();
  for (const op of produces) {
    if (op.outcome.type !== 'ok') continue;
    const key = `${op.process} ${tpKey(op.topic, op.partition)}`;
    const list = byProducer.get(key) ?? [];
    list.push(op);
    byProducer.set(key, list);
  }
  for (const list of byProducer.values()) {
    const acked = [...list].sort((a, b) => a.completeAt! - b.completeAt!);
    const invoked = [...list].sort((a, b) => invokedAt(a) - invokedAt(b));
    // Walk the writes in invocation order, keeping the acknowledged write with the highest offset
    // among those acknowledged before the current one was invoked.
    let highest: { op: ProduceOp; last: bigint } | null = null;
    let next = 0;
    for (const b of invoked) {
      for (; next < acked.length && acked[next]!.completeAt! < invokedAt(b); next++) {
        const a = acked[next]!;
        const last = okOffset(a) + BigInt(a.values.length) - 1n;
        if (highest === null || last > highest.last) highest = { op: a, last };
      }
      if (highest === null || highest.last < okOffset(b)) continue;
      const a = highest.op;
      findings.add('producer-order', `${a.process} got ${where(a.topic, a.partition, highest.last)} acknowledged before sending a batch that was acknowledged at ${where(b.topic, b.partition, okOffset(b))}`, [a, b]);
    }
  }
}

/**
 * True when every value of an acknowledged write is in the final log at its acknowledged offset. The
 * order check looks only at writes that had to survive or did: an acks=1 write a failover took back
 * (Kafka allows that) says nothing about the order of the ones that stayed.
 */
function storedAsAcknowledged(op: ProduceOp, log: FinalLog): boolean {
  if (op.outcome.type !== 'ok') return false;
  const partition = log.get(tpKey(op.topic, op.partition));
  const base = op.outcome.value;
  return partition !== undefined && op.values.every((value, i) => partition.get(base + BigInt(i))?.value === value);
}

function okOffset(op: ProduceOp): bigint {
  if (op.outcome.type !== 'ok') throw new Error(`operation ${op.id} is not ok`);
  return op.outcome.value;
}

/**
 * (e) A read returns only offsets below the high watermark of its own response, and only records
 * the final log still holds (an offset past the final log's end was read uncommitted and later
 * truncated). A record the final log holds with another value is (b)'s finding, not this one.
 */
function checkReadsBelowHighWatermark(reads: readonly ReadOp[], log: FinalLog, findings: Findings, logStarts: ReadonlyMap<string, bigint> | undefined): void {
  for (const read of reads) {
    const above = read.records.filter((r) => r.offset >= read.highWatermark);
    if (above.length > 0) {
      findings.add('read-above-hw', `read of ${tpKey(read.topic, read.partition)} returned offset ${above[0]!.offset} with high watermark ${read.highWatermark} in the same response`, [read]);
    }
    const partition = log.get(tpKey(read.topic, read.partition));
    if (read.final || partition === undefined) continue;
    const logStart = logStarts?.get(tpKey(read.topic, read.partition)) ?? 0n;
    const gone = read.records.find((r) => r.offset >= logStart && !partition.has(r.offset));
    if (gone !== undefined) {
      findings.add('read-truncated', `read returned ${gone.value} at ${where(read.topic, read.partition, gone.offset)}, which the final log does not hold`, [read]);
    }
  }
}

/**
 * (f) Committed offsets never go backwards: an OffsetFetch invoked after a commit was acknowledged
 * returns at least that commit's offset (per group, topic and partition; across restarts).
 */
function checkCommits(ops: readonly KafkaOp[], findings: Findings): void {
  const commits = new Map<string, CommitOp[]>();
  for (const op of ops) {
    if (op.kind !== 'commit' || op.outcome.type !== 'ok') continue;
    const key = `${op.group} ${tpKey(op.topic, op.partition)}`;
    const list = commits.get(key) ?? [];
    list.push(op);
    commits.set(key, list);
  }
  for (const list of commits.values()) list.sort((a, b) => a.completeAt! - b.completeAt!);
  for (const op of ops) {
    if (op.kind !== 'fetchCommitted') continue;
    let highest: CommitOp | null = null;
    for (const c of commits.get(`${op.group} ${tpKey(op.topic, op.partition)}`) ?? []) {
      if (c.completeAt! >= op.invokeAt) break;
      if (highest === null || c.offset > highest.offset) highest = c;
    }
    if (highest === null || op.offset >= highest.offset) continue;
    findings.add('commit-regressed', `group ${op.group} ${tpKey(op.topic, op.partition)}: fetched committed offset ${op.offset} after a commit of ${highest.offset} was acknowledged`, [highest, op]);
  }
}

/** (g) A value whose every send failed (definitely not written) is not in the final log. */
function checkFailedWrites(sends: SendsByValue, log: FinalLog, findings: Findings): void {
  for (const [key, partition] of log) {
    for (const [offset, r] of partition) {
      if (r.value === null) continue;
      const ops = sends.get(r.value);
      if (ops === undefined || ops.some((op) => op.outcome.type !== 'fail')) continue;
      const codes = ops.map((op) => (op.outcome.type === 'fail' ? op.outcome.errorCode : '?')).join(', ');
      findings.add('failed-write-present', `${r.value} is in the final log at ${key}@${offset} although every send of it failed (error ${codes})`, [...ops, r.read]);
    }
  }
}

/** Offsets 0, 1, 2, ... (from the log start, under retention) with no gap in each partition's final log. */
function checkDense(log: FinalLog, findings: Findings, logStarts: ReadonlyMap<string, bigint> | undefined): void {
  for (const [key, partition] of log) {
    let expected = logStarts?.get(key) ?? 0n;
    for (const offset of [...partition.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (offset < expected) continue; // read before retention moved the start past it
      if (offset !== expected) {
        findings.add('final-log-gap', `${key}: the final log has offset ${offset} where ${expected} was expected`, [partition.get(offset)!.read]);
        break;
      }
      expected++;
    }
  }
}

function countOps(ops: readonly KafkaOp[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of ops) {
    const outcome = op.kind === 'produce' || op.kind === 'commit' ? op.outcome.type : 'ok';
    const key = `${op.kind}.${outcome}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
