import type { Random } from '../../src/core/io/index.ts';
import { raftAppendEntriesPerMessageMax } from '../../src/core/limits.ts';
import { encodeRecord } from '../../src/core/metadata/records.ts';
import type { RaftNode } from '../../src/core/raft/raft-node.ts';
import type { Simulation } from '../../src/io-sim/index.ts';

/**
 * The figure-8 nemesis of the raft scenario: a directed fault mode that watches the voters' Raft
 * state (roles, terms, commit indexes) and partitions, crashes and heals so that the history of the
 * Raft paper's figure 8 forms, the one history in which a commit rule counting replicas of an older
 * term's entries loses a committed entry. Random faults never built it (docs/raft.md).
 *
 *  1. The leader L1 of term t1 (with one follower, for 5 voters: a minority) is cut off from the
 *     rest, and more entries than one append carries are proposed to it: they reach no majority.
 *  2. The rest elect L2 (term t2); the moment it wins, it is cut off alone, so its no-op at the
 *     next index stays on it (the network holds frames in flight when a partition starts: the
 *     no-op is delivered only after a heal, when it is of a stale term).
 *  3. Everything but L2 is healed: a holder of L1's entries wins term t3 (L3) and sends them to
 *     the others, the first append holding only term-t1 entries, its own no-op after them. A
 *     majority now holds term-t1 entries that L2 lacks (coverage mark `raft.figure8-history`):
 *     correct Raft does not commit them by counting; the buggy rule does.
 *  4. The moment L3's commit index moves it is crashed (what it sent last, with its no-op, is cut
 *     short by the reset; with 5 voters its partner of step 1 is crashed too), and everything is
 *     healed: L2, whose last entry's term t2 beats t1, can win term t4 and overwrite what L3
 *     committed. With correct Raft, L3 committed only once its no-op was on a majority, one of which
 *     is still up, and L2 cannot win.
 *
 * While an attempt runs the random faults hold off (Cluster.directedBusy); it starts after a delay
 * drawn from the seed, waits for one settled leader, and may run past the end of the fault phase
 * (the scenario waits for it). Each action is traced as a `FaultFigure8` line (with the partitions,
 * heals and crashes it makes, traced as usual).
 */

/** What the nemesis needs of the raft scenario's cluster. */
export interface Figure8Cluster {
  readonly sim: Simulation;
  readonly names: readonly string[];
  readonly live: ReadonlyMap<string, { readonly node: RaftNode }>;
  readonly leaderWatchers: ((name: string, term: number) => void)[];
  readonly commitWatchers: ((name: string, term: number) => void)[];
  directedBusy: boolean;
  crash(name: string): void;
  restart(name: string): void;
  needsRestart(name: string): boolean;
  heal(): void;
}

export interface Figure8Counts {
  /** Attempts begun (step 1: a settled leader was cut off). */
  attempts: number;
  /** Attempts that reached step 3 (L3 elected while L2 holds its no-op alone). */
  historyBuilt: number;
  /** Attempts in which L2 won the election of step 4 (with the buggy rule: the checker fails). */
  oldLeaderWon: number;
  /** Attempts given up (a step's wait ran out). */
  abandoned: number;
}

type Phase =
  | { readonly step: 'idle' }
  | { readonly step: 'settle'; readonly deadlineMs: number }
  | { readonly step: 'await-l2'; readonly deadlineMs: number; readonly t1: number; readonly minority: readonly string[] }
  | { readonly step: 'l2-cut'; readonly deadlineMs: number; readonly l2: string; readonly t2: number; readonly minority: readonly string[] }
  | { readonly step: 'await-l3'; readonly deadlineMs: number; readonly l2: string; readonly t2: number; readonly minority: readonly string[] }
  | { readonly step: 'l3-leads'; readonly deadlineMs: number; readonly l2: string; readonly l3: string; readonly t3: number; readonly commitAtWin: number; readonly minority: readonly string[] }
  | { readonly step: 'await-l4'; readonly deadlineMs: number; readonly l2: string; readonly t3: number; readonly crashed: readonly string[] };

/**
 * Runs attempts from a delay drawn from `r` until `untilMs` (an attempt begun before it runs to its
 * end); `electionMs` (the election timeout) scales every wait.
 */
export function startFigure8Nemesis(c: Figure8Cluster, r: Random, electionMs: number, untilMs: number): Figure8Nemesis {
  const nemesis = new Figure8Nemesis(c, r, electionMs, untilMs);
  c.leaderWatchers.push((name, term) => nemesis.onLeader(name, term));
  c.commitWatchers.push((name, term) => nemesis.onLeaderCommit(name, term));
  c.sim.schedule(r.between(200, 2000), () => nemesis.begin());
  c.sim.schedule(electionMs, () => nemesis.watchdog());
  return nemesis;
}

export class Figure8Nemesis {
  readonly counts: Figure8Counts = { attempts: 0, historyBuilt: 0, oldLeaderWon: 0, abandoned: 0 };
  private phase: Phase = { step: 'idle' };
  private proposals = 0;
  /** Each step waits at most this long for what it waits for. */
  private readonly stepWaitMs: number;

  constructor(
    private readonly c: Figure8Cluster,
    private readonly r: Random,
    private readonly electionMs: number,
    private readonly untilMs: number,
  ) {
    this.stepWaitMs = 8 * electionMs;
  }

  /** An attempt is under way (the scenario waits for it before it ends the faults). */
  busy(): boolean {
    return this.c.directedBusy;
  }

  /** A node won an election (inside its state machine: only schedules). */
  onLeader(name: string, term: number): void {
    const phase = this.phase;
    switch (phase.step) {
      case 'await-l2':
        if (!phase.minority.includes(name) && term > phase.t1) this.c.sim.schedule(0, () => this.cutNewLeader(name, term));
        return;
      case 'await-l3':
        if (name !== phase.l2 && term > phase.t2) {
          this.counts.historyBuilt++;
          this.c.sim.coverage.reached('raft.figure8-history');
          const commitAtWin = this.member(name)?.status().commitIndex ?? 0;
          this.phase = { step: 'l3-leads', deadlineMs: this.deadline(), l2: phase.l2, l3: name, t3: term, commitAtWin, minority: phase.minority };
        }
        return;
      case 'await-l4':
        if (term > phase.t3) {
          if (name === phase.l2) this.counts.oldLeaderWon++;
          this.finish();
        }
        return;
      default:
        return;
    }
  }

  /** A leader's commit index moved (inside its state machine: only schedules). */
  onLeaderCommit(name: string, term: number): void {
    const phase = this.phase;
    if (phase.step !== 'l3-leads' || name !== phase.l3 || term !== phase.t3) return;
    if ((this.member(name)?.status().commitIndex ?? 0) > phase.commitAtWin) this.c.sim.schedule(0, () => this.crashL3());
  }

  /** Every wait has a deadline: a step that does not come (a leader lost, a node failed) is given up. */
  watchdog(): void {
    const phase = this.phase;
    if (phase.step !== 'idle' && phase.step !== 'settle' && this.c.sim.nowMs() > phase.deadlineMs) this.abandon(`no progress in ${phase.step}`);
    if (this.c.sim.nowMs() < this.untilMs || this.phase.step !== 'idle') this.c.sim.schedule(this.electionMs, () => this.watchdog());
  }

  /** Starts an attempt (random faults hold off from here): repair, then settle. */
  begin(): void {
    if (this.c.sim.nowMs() >= this.untilMs) return;
    this.c.directedBusy = true;
    this.phase = { step: 'settle', deadlineMs: this.deadline() };
    this.act(null, { step: 0, action: 'settle' });
    this.c.heal();
    this.settle();
  }

  /** Repairs and waits until one leader leads every voter, all running; then step 1. */
  private settle(): void {
    if (this.phase.step !== 'settle') return;
    if (this.c.sim.nowMs() > this.phase.deadlineMs) return this.abandon('no settled leader');
    const names = this.c.names;
    for (const name of names) if (this.c.needsRestart(name)) this.c.restart(name);
    const leader = names.find((name) => this.member(name)?.role() === 'leader');
    const term = leader === undefined ? 0 : (this.member(leader)?.status().term ?? 0);
    const follows = (name: string): boolean => {
      const node = this.member(name);
      if (node === undefined || !node.isRunning() || node.status().term !== term) return false;
      return name === leader || (node.role() === 'follower' && node.leader() === Number(leader?.slice(1)));
    };
    if (leader === undefined || !names.every(follows)) {
      this.c.sim.schedule(this.r.between(20, 100), () => this.settle());
      return;
    }
    this.cutLeader(leader, term);
  }

  /** Step 1: L1 (and for 5 voters one follower) cut off from the rest; a burst of entries proposed to L1. */
  private cutLeader(l1: string, t1: number): void {
    this.counts.attempts++;
    const followers = this.c.names.filter((name) => name !== l1);
    const minority = [l1];
    while (minority.length < Math.floor((this.c.names.length - 1) / 2)) {
      const rest = followers.filter((name) => !minority.includes(name));
      minority.push(rest[this.r.int(rest.length)] as string);
    }
    const majority = this.c.names.filter((name) => !minority.includes(name));
    const burst = raftAppendEntriesPerMessageMax + this.r.between(1, 64);
    this.act(l1, { step: 1, action: 'cut-leader', term: t1, minority: minority.join(','), entries: burst });
    for (const a of minority) for (const b of majority) this.c.sim.network.partition(a, b);
    const node = this.member(l1);
    for (let k = 0; k < burst && node !== undefined; k++) {
      const data = encodeRecord({ type: 'DeleteTopic', name: `figure8-${this.proposals++}`, topicId: 'none' });
      node.propose(data).then(() => undefined, () => undefined);
    }
    this.phase = { step: 'await-l2', deadlineMs: this.deadline(), t1, minority };
  }

  /** Step 2: L2 cut off alone the moment it wins, before its no-op is delivered anywhere. */
  private cutNewLeader(l2: string, t2: number): void {
    if (this.phase.step !== 'await-l2') return;
    if (!this.leads(l2, t2)) return this.abandon('L2 lost its lead at once');
    this.act(l2, { step: 2, action: 'cut-new-leader', term: t2 });
    for (const other of this.c.names) if (other !== l2) this.c.sim.network.partition(l2, other);
    this.phase = { step: 'l2-cut', deadlineMs: this.deadline(), l2, t2, minority: this.phase.minority };
    this.c.sim.schedule(this.r.between(0, this.electionMs), () => this.healBareMajority());
  }

  /**
   * Step 3: the minority healed with just enough of the others (not L2) for a bare majority: with
   * 5 voters one more, as in the paper (the others stay cut off alone, so the first of them to
   * acknowledge L3's older-term entries completes a majority, before it has L3's no-op). Healed,
   * then the rest cut off again in the same event: nothing crosses.
   */
  private healBareMajority(): void {
    if (this.phase.step !== 'l2-cut') return;
    const { l2, t2, minority } = this.phase;
    const names = this.c.names;
    const healed = [...minority];
    const others = names.filter((name) => name !== l2 && !minority.includes(name));
    while (healed.length < Math.floor(names.length / 2) + 1) {
      const rest = others.filter((name) => !healed.includes(name));
      healed.push(rest[this.r.int(rest.length)] as string);
    }
    this.act(l2, { step: 3, action: 'heal-majority-without', term: t2, healed: healed.join(',') });
    this.c.heal();
    for (const a of names) {
      if (healed.includes(a)) continue;
      for (const b of names) if (b !== a && (healed.includes(b) || a < b)) this.c.sim.network.partition(a, b);
    }
    this.phase = { step: 'await-l3', deadlineMs: this.deadline(), l2, t2, minority };
  }

  /**
   * Step 4: L3 crashed the moment its commit index moves, and with 5 voters its partner of step 1 too
   * (it held L3's whole log and got its no-op in L3's first append; the paper's S2 had not yet):
   * two of five down, which Raft tolerates. Everything healed after a drawn delay.
   */
  private crashL3(): void {
    if (this.phase.step !== 'l3-leads') return;
    const { l2, l3, t3, minority } = this.phase;
    const crashed = [l3, ...minority.filter((name) => name !== l3)];
    this.act(l3, { step: 4, action: 'crash-new-leader', term: t3, commitIndex: this.member(l3)?.status().commitIndex ?? -1, crashed: crashed.join(',') });
    for (const name of crashed) this.c.crash(name);
    this.phase = { step: 'await-l4', deadlineMs: this.deadline(), l2, t3, crashed };
    this.c.sim.schedule(this.r.between(0, 200), () => {
      if (this.phase.step !== 'await-l4') return;
      this.act(null, { step: 5, action: 'heal-all' });
      this.c.heal();
    });
  }

  /** The attempt is over: the nodes crashed in step 4 back, faults resume, perhaps another attempt. */
  private finish(): void {
    const down = this.phase.step === 'await-l4' ? this.phase.crashed : [];
    this.phase = { step: 'idle' };
    this.c.sim.schedule(this.r.between(20, 400), () => {
      for (const name of down) if (this.c.needsRestart(name)) this.c.restart(name);
      this.c.directedBusy = false;
      this.c.sim.schedule(this.r.between(200, 1500), () => this.begin());
    });
  }

  private abandon(why: string): void {
    this.counts.abandoned++;
    this.act(null, { step: -1, action: 'abandon', why, phase: this.phase.step });
    this.c.heal();
    this.finish();
  }

  private act(node: string | null, fields: Record<string, string | number>): void {
    this.c.sim.trace(node, 'FaultFigure8', fields);
  }

  private member(name: string): RaftNode | undefined {
    return this.c.live.get(name)?.node;
  }

  private leads(name: string, term: number): boolean {
    const node = this.member(name);
    return node !== undefined && node.isRunning() && node.role() === 'leader' && node.status().term === term;
  }

  private deadline(): number {
    return this.c.sim.nowMs() + this.stepWaitMs;
  }
}
