/**
 * The in-memory Raft log of one node: a snapshot point followed by contiguous entries, plus the
 * bookkeeping of what was handed to the driver to persist and to apply.
 *
 * Indexes: entries[k] has index snapshotIndex + 1 + k. Invariants (asserted):
 *   applied <= applying <= committed <= lastIndex, snapshotIndex <= committed
 *   stable <= persisting <= lastIndex
 * (applied may trail snapshotIndex while a snapshot from the leader waits in pendingSnapshot.)
 */
import { assert, assertionFailed } from '../assert.ts';
import type { Entry, Snapshot, SnapshotMeta } from './types.ts';

export class RaftLog {
  private entries: Entry[];
  private snapshotIndex: number;
  private snapshotTerm: number;
  committed: number;
  /** Highest index handed out in Ready.committedEntries (or restored from a snapshot). */
  applying: number;
  /** Highest index the driver confirmed applied (advance). */
  applied: number;
  /** Highest index handed out in Ready.entries (or read from disk). */
  persisting: number;
  /** Highest index confirmed durable (advance), still matching the log. */
  stable: number;
  /** A snapshot received from the leader and not yet handed out in a Ready. */
  pendingSnapshot: Snapshot | null = null;

  constructor(snapshot: SnapshotMeta | null, entries: readonly Entry[], committed: number) {
    this.snapshotIndex = snapshot?.index ?? 0;
    this.snapshotTerm = snapshot?.term ?? 0;
    this.entries = [...entries];
    entries.forEach((e, k) => assert(e.index === this.snapshotIndex + 1 + k, 'restored entries are contiguous'));
    this.persisting = this.stable = this.lastIndex();
    this.applied = this.applying = this.snapshotIndex;
    this.committed = Math.max(this.snapshotIndex, Math.min(committed, this.lastIndex()));
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of entry `index`; undefined when compacted away or not (yet) in the log. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  snapshotPoint(): { index: number; term: number } {
    return { index: this.snapshotIndex, term: this.snapshotTerm };
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Raft's election restriction: is a log ending at (lastIndex, lastTerm) at least as current as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most `countMax` and `bytesMax` (always at least one). Undefined if compacted. */
  slice(lo: number, hi: number, countMax: number, bytesMax: number): Entry[] | undefined {
    if (lo <= this.snapshotIndex) return undefined;
    assert(hi <= this.lastIndex() + 1, 'slice beyond the log');
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi && out.length < countMax; i++) {
      const entry = this.entries[i - this.snapshotIndex - 1];
      assert(entry !== undefined, 'slice inside the log');
      bytes += entry.data.length;
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends entries, replacing any existing entries from entries[0].index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.committed, `truncating committed entry ${first.index} <= ${this.committed}`);
    assert(first.index <= this.lastIndex() + 1, 'append leaves no gap');
    this.entries.length = first.index - this.snapshotIndex - 1;
    for (const e of entries) this.entries.push(e);
    this.persisting = Math.min(this.persisting, first.index - 1);
    this.stable = Math.min(this.stable, first.index - 1);
  }

  /**
   * The follower side of an append: if the log matches (prevIndex, prevTerm), append what is new,
   * cut a conflicting suffix, advance commit. Returns the last index the message vouches for, or
   * undefined on mismatch.
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = entries.find((e) => !this.matchTerm(e.index, e.term));
    if (conflict !== undefined) this.append(entries.slice(conflict.index - prevIndex - 1));
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** The largest index <= `index` whose term is <= `term` (where a follower's log may match). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > this.snapshotIndex; i--) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return i;
    }
    return i;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) assertionFailed(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Entries not yet handed out for persistence; marks them handed out. */
  takeUnpersisted(): Entry[] {
    const out = this.entries.slice(this.persisting - this.snapshotIndex);
    this.persisting = this.lastIndex();
    return out;
  }

  hasUnpersisted(): boolean {
    return this.persisting < this.lastIndex();
  }

  /** Committed entries not yet handed out for applying (bounded); marks them handed out. */
  takeCommitted(countMax: number): Entry[] {
    const hi = Math.min(this.committed, this.applying + countMax);
    if (hi <= this.applying) return [];
    const out = this.entries.slice(this.applying - this.snapshotIndex, hi - this.snapshotIndex);
    this.applying = hi;
    return out;
  }

  hasCommittedToApply(): boolean {
    return this.committed > this.applying;
  }

  /** The driver persisted `entries`: mark the highest one still in the log (same term) stable. */
  stableTo(entries: readonly Entry[]): void {
    for (let k = entries.length - 1; k >= 0; k--) {
      const e = entries[k];
      if (e !== undefined && this.matchTerm(e.index, e.term)) {
        this.stable = Math.max(this.stable, e.index);
        return;
      }
    }
  }

  appliedTo(index: number): void {
    assert(index <= this.applying, 'applied only what was handed out');
    this.applied = Math.max(this.applied, index);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const meta = snapshot.meta;
    assert(meta.index > this.committed, 'restore moves forward');
    this.entries = [];
    this.snapshotIndex = meta.index;
    this.snapshotTerm = meta.term;
    this.committed = meta.index;
    this.applying = meta.index;
    this.persisting = meta.index;
    this.stable = Math.min(this.stable, meta.index);
    this.pendingSnapshot = snapshot;
  }

  /** The driver persisted a received snapshot. */
  snapshotStable(snapshot: Snapshot): void {
    if (this.matchTerm(snapshot.meta.index, snapshot.meta.term)) this.stable = Math.max(this.stable, snapshot.meta.index);
    this.applied = Math.max(this.applied, snapshot.meta.index);
  }

  /** Drops entries up to `index` (which must be applied and stable); they live on in a snapshot. */
  compactTo(index: number): void {
    if (index <= this.snapshotIndex) return;
    assert(index <= this.applied && index <= this.stable, `compact ${index} beyond applied/stable`);
    const term = this.term(index);
    assert(term !== undefined, 'compaction point in the log');
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  entryCount(): number {
    return this.entries.length;
  }

  /** Every entry in the log (for checkers and tests). */
  allEntries(): readonly Entry[] {
    return this.entries;
  }
}
