/**
 * Checks over the replicas' own state (not the clients' history): what replication promises about
 * the logs of a partition's replicas, seen directly, so a bug shows even when no client happened to
 * read or write at the wrong moment.
 *
 * (r1) `isr-member-behind-hw`, checked between simulation events while the scenario runs: every
 * member of the ISR a leader counts holds the leader's log up to the leader's high watermark, durably
 * (its durable end is at or past it; the durable end, not the log end, because a log in the middle
 * of a truncation shows a log end of its segment's base until the cut segment is scanned again). A member that cut records below the HW (truncation by the wrong rule), or a
 * HW that ran ahead of the ISR, breaks it: one more crash of the leader and the acknowledged records
 * are gone.
 * (r0) `leader-behind-hw`, checked the same way: a leader holds durably every offset below the highest
 * high watermark any leader of the partition showed before under its own or an earlier leader epoch
 * (committed records survive a change of leader; a deposed leader is not held to a later epoch's). A leader elected from outside the ISR, or one whose HW never waited for its followers,
 * breaks it.
 * (r2) `replicas-diverge`, checked on the final state once the cluster has settled: below the
 * leader's high watermark, every ISR member's log holds the same batches as the leader's, batch for
 * batch: same offsets, same leader epoch, same CRC.
 *
 * Pure: the scenario reads the replicas and hands in plain values.
 */

export type ReplicaFindingKind = 'leader-behind-hw' | 'isr-member-behind-hw' | 'replicas-diverge';

export interface ReplicaFinding {
  readonly kind: ReplicaFindingKind;
  readonly message: string;
}

/** One broker's replica of one partition at one moment. */
export interface ReplicaView {
  readonly broker: number;
  readonly topic: string;
  readonly partition: number;
  /** True when this broker leads the partition and accepts produce (its HW is the partition's). */
  readonly leading: boolean;
  readonly leaderEpoch: number;
  /** The ISR as this broker knows it (from its metadata image). */
  readonly isr: readonly number[];
  readonly highWatermark: bigint;
  /** Its log's durable end offset; null while the log is not open or has failed (nothing to check). */
  readonly durableEnd: bigint | null;
}

/** (r1) Findings for every ISR member (of a leader's view) whose log ends below the leader's HW. */
export function checkIsrHoldsHighWatermark(views: readonly ReplicaView[]): ReplicaFinding[] {
  const findings: ReplicaFinding[] = [];
  for (const leader of views) {
    if (!leader.leading) continue;
    for (const member of views) {
      if (member === leader || member.partition !== leader.partition || member.topic !== leader.topic || member.durableEnd === null) continue;
      if (member.durableEnd >= leader.highWatermark || !leader.isr.includes(member.broker)) continue;
      findings.push({
        kind: 'isr-member-behind-hw',
        message: `${leader.topic}/${leader.partition}: broker ${member.broker}, in the ISR [${leader.isr.join(',')}] of leader ${leader.broker} (epoch ${leader.leaderEpoch}), holds durably only up to ${member.durableEnd}, below the high watermark ${leader.highWatermark}`,
      });
    }
  }
  return findings;
}

/** Watches (r0) and (r1) over a run: keeps the first finding per partition and broker. */
export class ReplicaMonitor {
  private readonly found = new Map<string, { text: string; atMs: number }>();
  /**
   * Per partition, per leader epoch, the highest HW a leader of that epoch showed (and which broker).
   * A leader is held to the HWs of its own and earlier epochs only: a deposed leader that has not
   * heard of its successor yet (a zombie) cannot hold what was committed under a later epoch, and
   * need not, since it cannot commit anything more without the ISR that moved on.
   */
  private readonly highest = new Map<string, Map<number, { hw: bigint; broker: number }>>();
  private readonly keys = new Map<string, string[]>();
  private observations = 0;

  /**
   * Checks one moment's views; `atMs` is the virtual time, for the finding's message. Called between
   * every two events of a cluster run, so it allocates nothing unless it finds something.
   */
  observe(views: readonly ReplicaView[], atMs: number): void {
    this.observations++;
    for (const v of views) {
      if (!v.leading || v.durableEnd === null) continue;
      const key = this.partitionKey(v.topic, v.partition);
      let byEpoch = this.highest.get(key);
      if (byEpoch === undefined) {
        byEpoch = new Map();
        this.highest.set(key, byEpoch);
      }
      let before: { hw: bigint; broker: number } | null = null;
      let beforeEpoch = -1;
      for (const epoch of byEpoch.keys()) {
        const shown = byEpoch.get(epoch)!;
        if (epoch <= v.leaderEpoch && (before === null || shown.hw > before.hw)) {
          before = shown;
          beforeEpoch = epoch;
        }
      }
      if (before !== null && v.durableEnd < before.hw) {
        const message = `${key}: leader ${v.broker} (epoch ${v.leaderEpoch}) holds durably only up to ${v.durableEnd}, below the high watermark ${before.hw} that leader ${before.broker} (epoch ${beforeEpoch}) showed`;
        this.note({ kind: 'leader-behind-hw', message }, `${key} leader ${v.broker} epoch ${v.leaderEpoch}`, atMs);
      }
      const mine = byEpoch.get(v.leaderEpoch);
      if (mine === undefined) byEpoch.set(v.leaderEpoch, { hw: v.highWatermark, broker: v.broker });
      else if (v.highWatermark > mine.hw) {
        mine.hw = v.highWatermark;
        mine.broker = v.broker;
      }
    }
    // (r1), as checkIsrHoldsHighWatermark, building a finding only when there is one.
    for (const leader of views) {
      if (!leader.leading) continue;
      for (const member of views) {
        if (member === leader || member.partition !== leader.partition || member.topic !== leader.topic || member.durableEnd === null) continue;
        if (member.durableEnd >= leader.highWatermark || !leader.isr.includes(member.broker)) continue;
        for (const f of checkIsrHoldsHighWatermark([leader, member])) this.note(f, f.message.slice(0, f.message.indexOf(' holds durably ')), atMs);
      }
    }
  }

  private note(f: ReplicaFinding, key: string, atMs: number): void {
    if (!this.found.has(key)) this.found.set(key, { text: `${f.kind}: at ${Math.round(atMs)} ms ${f.message}`, atMs });
  }

  /** `topic/partition`, made once per partition. */
  private partitionKey(topic: string, partition: number): string {
    let keys = this.keys.get(topic);
    if (keys === undefined) {
      keys = [];
      this.keys.set(topic, keys);
    }
    return (keys[partition] ??= `${topic}/${partition}`);
  }

  /** Failure lines, one per (partition, member) that was ever behind. */
  failures(): string[] {
    return [...this.found.values()].map((f) => f.text);
  }

  /** The failure lines with the virtual time each was first seen. */
  timedFailures(): { text: string; atMs: number }[] {
    return [...this.found.values()];
  }

  get observed(): number {
    return this.observations;
  }
}

/** One batch of a replica's log, as the final check compares them. */
export interface ReplicaBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly leaderEpoch: number;
  readonly crc: number;
}

/** One replica's whole log of one partition, read once the cluster settled. */
export interface ReplicaLog {
  readonly view: ReplicaView;
  readonly batches: readonly ReplicaBatch[];
  /**
   * Offsets whose read failed (CORRUPT_RECORD or IO_ERROR) on a broker whose disk a storage fault
   * damaged: the batches there are excused from the comparison (an error, never wrong bytes).
   */
  readonly unreadable?: readonly bigint[];
}

/** Whether `log` could not read some offset of `batch`. */
function unreadableIn(log: ReplicaLog, batch: ReplicaBatch): boolean {
  return (log.unreadable ?? []).some((o) => o >= batch.baseOffset && o <= batch.lastOffset);
}

const batchText = (b: ReplicaBatch | undefined): string => (b === undefined ? 'nothing' : `${b.baseOffset}..${b.lastOffset} epoch ${b.leaderEpoch} crc ${b.crc >>> 0}`);

/** (r2) Findings for every ISR member whose batches below the leader's HW differ from the leader's. */
export function checkReplicasAgree(logs: readonly ReplicaLog[]): ReplicaFinding[] {
  const findings: ReplicaFinding[] = [];
  for (const leader of logs) {
    if (!leader.view.leading) continue;
    const { topic, partition, highWatermark: hw, isr } = leader.view;
    const below = (batches: readonly ReplicaBatch[]): ReplicaBatch[] => batches.filter((b) => b.baseOffset < hw);
    const expected = below(leader.batches);
    for (const member of logs) {
      if (member === leader || member.view.topic !== topic || member.view.partition !== partition || !isr.includes(member.view.broker)) continue;
      const actual = below(member.batches);
      const diverge = (held: ReplicaBatch | undefined, leads: ReplicaBatch | undefined, where: string): void => {
        findings.push({
          kind: 'replicas-diverge',
          message: `${topic}/${partition}: below the high watermark ${hw}, broker ${member.view.broker} holds ${batchText(held)} where leader ${leader.view.broker} holds ${batchText(leads)} (${where})`,
        });
      };
      if ((leader.unreadable?.length ?? 0) + (member.unreadable?.length ?? 0) === 0) {
        const at = Array.from({ length: Math.max(expected.length, actual.length) }, (_, i) => i).find((i) => batchText(expected[i]) !== batchText(actual[i]));
        if (at !== undefined) diverge(actual[at], expected[at], `batch ${at}`);
        continue;
      }
      // A damaged disk left gaps: batch for batch by base offset, where neither side is excused.
      const held = new Map(actual.map((b) => [b.baseOffset, b]));
      const led = new Map(expected.map((b) => [b.baseOffset, b]));
      const first = expected.find((e) => (held.has(e.baseOffset) ? batchText(held.get(e.baseOffset)) !== batchText(e) : !unreadableIn(member, e)));
      if (first !== undefined) diverge(held.get(first.baseOffset), first, `at offset ${first.baseOffset}`);
      const extra = actual.find((a) => !led.has(a.baseOffset) && !unreadableIn(leader, a));
      if (first === undefined && extra !== undefined) diverge(extra, undefined, `at offset ${extra.baseOffset}`);
    }
  }
  return findings;
}
