/**
 * Raft's safety properties as an observer, fed with every Ready every node produces (before the
 * driver acts on it). Pure bookkeeping, used by the unit property tests and the simulator scenario.
 *
 * - Election safety: at most one leader per term.
 * - Log matching: two logs holding an entry with the same index and term hold the same entry and
 *   agree on the term of the entry before it (so, by induction, are identical up to it).
 * - Leader completeness: an entry committed in term T is in the log of every leader of a term
 *   after T. The checker cannot see the exact commit term, so it uses an upper bound: the highest
 *   term any node had been elected leader in when the entry was first handed out to apply anywhere
 *   (the committing leader was elected before it committed). A leader of an older term may win
 *   late with votes granted earlier and legitimately lack newer commits: it is not checked for them.
 * - State machine safety: every node applies the same entry at each index, in index order.
 */
import type { Raft } from './raft.ts';
import type { Entry, NodeId, Ready } from './types.ts';

interface EntryFact {
  readonly prevTerm: number;
  readonly digest: string;
}

const failuresMax = 20;

export class RaftSafetyChecker {
  readonly failures: string[] = [];
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly entries = new Map<string, EntryFact>();
  /** index -> term of the entry committed at that index. */
  private readonly committed = new Map<number, number>();
  private readonly committedDigest = new Map<number, string>();
  /** index -> upper bound of the term in which the entry was committed. */
  private readonly commitTermBound = new Map<number, number>();
  private leaderTermMax = 0;
  private committedMax = 0;
  private readonly appliedUpTo = new Map<NodeId, number>();
  entriesChecked = 0;
  leadersSeen = 0;

  /** Call right after raft.ready() returned `rd`, before the driver persists it. */
  observeReady(raft: Raft, rd: Ready): void {
    this.checkEntries(raft, rd.entries);
    if (rd.snapshot !== null) this.appliedUpTo.set(raft.id, rd.snapshot.meta.index);
    this.checkApplied(raft.id, rd.committedEntries);
  }

  /** Call the moment a node wins an election (RaftConfig.onBecameLeader). */
  observeLeader(raft: Raft): void {
    this.checkNewLeader(raft);
  }

  /** A node restarted from disk: it re-applies from its snapshot. */
  observeRestart(id: NodeId, appliedIndex: number): void {
    this.appliedUpTo.set(id, appliedIndex);
  }

  /** The digest of the entry committed at `index` (undefined if none was seen applied yet). */
  committedAt(index: number): string | undefined {
    return this.committedDigest.get(index);
  }

  ok(): boolean {
    return this.failures.length === 0;
  }

  private fail(text: string): void {
    if (this.failures.length < failuresMax) this.failures.push(text);
  }

  private checkNewLeader(raft: Raft): void {
    this.leadersSeen++;
    const other = this.leaderOfTerm.get(raft.term);
    if (other !== undefined && other !== raft.id) {
      this.fail(`election safety: nodes ${other} and ${raft.id} both leader in term ${raft.term}`);
    }
    this.leaderOfTerm.set(raft.term, raft.id);
    this.leaderTermMax = Math.max(this.leaderTermMax, raft.term);
    const snapshotIndex = raft.log.snapshotPoint().index;
    for (let index = snapshotIndex + 1; index <= this.committedMax; index++) {
      const term = this.committed.get(index);
      if (term === undefined || (this.commitTermBound.get(index) ?? 0) >= raft.term) continue;
      const have = raft.log.term(index);
      if (have !== term) {
        this.fail(`leader completeness: leader ${raft.id} of term ${raft.term} lacks committed entry ${index}/${term} (has ${have})`);
        return;
      }
    }
  }

  private checkEntries(raft: Raft, entries: readonly Entry[]): void {
    for (const e of entries) {
      this.entriesChecked++;
      const prevTerm = raft.log.term(e.index - 1) ?? -1;
      const key = `${e.index}/${e.term}`;
      const fact = { prevTerm, digest: digest(e) };
      const seen = this.entries.get(key);
      if (seen === undefined) {
        this.entries.set(key, fact);
      } else if (seen.digest !== fact.digest || (seen.prevTerm !== prevTerm && prevTerm !== -1 && seen.prevTerm !== -1)) {
        this.fail(`log matching: entry ${key} on node ${raft.id} differs (${fact.digest} after term ${prevTerm}, seen ${seen.digest} after term ${seen.prevTerm})`);
      }
    }
  }

  private checkApplied(id: NodeId, entries: readonly Entry[]): void {
    for (const e of entries) {
      const last = this.appliedUpTo.get(id) ?? 0;
      if (e.index !== last + 1) this.fail(`state machine safety: node ${id} applied ${e.index} after ${last}`);
      this.appliedUpTo.set(id, e.index);
      const term = this.committed.get(e.index);
      if (term === undefined) {
        this.committed.set(e.index, e.term);
        this.committedDigest.set(e.index, digest(e));
        this.commitTermBound.set(e.index, Math.max(this.leaderTermMax, e.term));
        this.committedMax = Math.max(this.committedMax, e.index);
      } else if (term !== e.term) {
        this.fail(`state machine safety: node ${id} applied ${e.index}/${e.term}, another node applied ${e.index}/${term}`);
      }
    }
  }
}

export function digest(e: Pick<Entry, 'type' | 'data'>): string {
  let h = 2166136261;
  for (const byte of e.data) h = Math.imul(h ^ byte, 16777619) >>> 0;
  return `${e.type}:${e.data.length}:${h.toString(16)}`;
}
