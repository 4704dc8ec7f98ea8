import type { Io } from '../../src/core/io/index.ts';
import { DiskError } from '../../src/core/io/index.ts';
import { raftVotersMax } from '../../src/core/limits.ts';
import { MetadataController } from '../../src/core/metadata/controller.ts';
import { MetadataStateMachine } from '../../src/core/metadata/metadata-state-machine.ts';
import type { MetadataRecord } from '../../src/core/metadata/records.ts';
import { encodeRecord } from '../../src/core/metadata/records.ts';
import type { RaftNodeConfig, RaftNodeTestHooks } from '../../src/core/raft/raft-node.ts';
import { RaftNode } from '../../src/core/raft/raft-node.ts';
import type { Ready } from '../../src/core/raft/types.ts';
import { RaftSafetyChecker, digest } from '../../src/core/raft/safety-checker.ts';
import type { Random } from '../../src/core/io/index.ts';
import type { Simulation } from '../../src/io-sim/index.ts';
import type { CoverageGoal, Scenario, ScenarioResult } from '../scenario.ts';
import { checkFaultSchedule, type FaultKinds, type FaultSchedule, type PlannedFault } from '../fault-schedule.ts';
import { announceSwarm, betweenStep, drawKinds } from '../swarm.ts';
import { raftSample } from '../timeline/samples.ts';
import { startFigure8Nemesis } from './raft-figure8.ts';

/**
 * The Raft metadata quorum under faults: 3 or 5 voters (n1..nN, ids 1..N) run RaftNode with the
 * metadata state machine while a workload proposes metadata records to whoever leads, and a fault
 * plan crashes nodes (torn writes), restarts them, partitions links both ways and one way, resets
 * connections mid-frame, slows links and disks, and fails fsyncs. Snapshots are taken every 40
 * entries, so restarts replay a snapshot plus a tail and lagging followers get snapshots.
 *
 * Checkers, on every Ready of every node (RaftSafetyChecker): at most one leader per term; entries
 * with the same index and term are identical (log matching); every committed entry is in every
 * later leader's log; every node applies the same entry at each index, in order. At the end: every
 * acknowledged proposal is the entry committed at its index, every CreateTopics answered NONE (sent
 * to random voters, so often forwarded) is in every node's image with its topic id, and all nodes
 * hold the same image.
 * Liveness: once faults stop and every node is back, a leader is elected and a proposal commits on
 * every node within the seed's `livenessMs` of virtual time (8 s at 10 election ticks, 16 election
 * timeouts at more).
 * What varies from seed to seed (fault kinds, rates, election timing, snapshots) is its swarm config.
 * In 40% of seeds a figure-8 nemesis (raft-figure8.ts) also builds the history of the Raft paper's
 * figure 8 on purpose, the only way a commit rule that counts older terms' replicas is caught.
 */

const port = 9093;
export const tickMs = 50;
/** The election timeout in ticks of the tests that build their own voters (raft-restart.test.ts); the scenario draws its own. */
export const electionTicks = 10;
const faultMs = 6000;
/** How long an attempt of the figure-8 nemesis may run past the fault phase (five waits of at most 8 election timeouts, 6.4 s, each). */
const figure8OverrunMsMax = 40_000;

/**
 * Each fault kind and the odds that a seed switches it on (the planted bugs need crashes). Restarts
 * and heals are not faults but their repair, always on.
 */
const faultOdds = { crash: 0.9, partition: 0.75, isolate: 0.6, reset: 0.7, slowLink: 0.6, slowDisk: 0.6, syncFail: 0.6 } as const;
type FaultKind = keyof typeof faultOdds;

/** What a seed draws before it runs (swarm testing, sim/swarm.ts), each range centred on the old fixed value. */
export type RaftSwarm = {
  readonly faults: readonly FaultKind[];
  /** A fault every 50..faultGapMsMax ms (300..900; was 600). */
  readonly faultGapMsMax: number;
  /** Election timeout in ticks of 50 ms (6..16; was 10) and heartbeat interval (1..3 ticks, under a third of it; was 2). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** A snapshot every this many entries (20..60; was 40). */
  readonly snapshotEntries: number;
  /** A proposal every 10..proposeGapMsMax ms (40..120; was 80), a CreateTopics every 50..createGapMsMax (150..450; was 300). */
  readonly proposeGapMsMax: number;
  readonly createGapMsMax: number;
  /** Derived: from the end of the faults to a proposal committed on every node, 16 election timeouts, at least 8 s. */
  readonly livenessMs: number;
  /**
   * Odds (0: off, else 0.2..0.8) that a new leader is crashed within two heartbeat intervals of its
   * election, while its first entries are on their way: the Raft paper's figure 8 needs two leaders
   * in a row to die that way. Drawn after the fields above, so their draws are those of seeds before it existed.
   */
  readonly leaderCrashOdds: number;
  /**
   * Stalled connections (SimNetworkWorld.stallRandomConnection: one connection delivers nothing, both
   * ways, for 200..stallMsMax ms, then everything it held, possibly after newer connections' frames),
   * one every 100..faultGapMsMax ms; 0: none. Half the seeds, 1000..6000 (past the transport's 3 s of
   * silence, after which it dials anew). Drawn after leaderCrashOdds.
   */
  readonly stallMsMax: number;
  /**
   * The figure-8 nemesis (raft-figure8.ts) on: it builds the Raft paper's figure-8 history on
   * purpose, one attempt after another (3 and 5 voters). On in 40% of seeds, drawn last.
   */
  readonly figure8: boolean;
  /**
   * Odds that a node is crashed right after a Ready that promises something (grants a vote, or
   * acknowledges entries), 0.1 ms to 1 ms later: while its fsync is still in flight. Correct code has
   * not sent the promise yet; code that sends before it persists has, and the crash takes the
   * promise back. Half the time a follower's acknowledgement also cuts its leader off for one to two
   * election timeouts, so the others elect without the entries the leader may have counted. On in
   * half the seeds (odds 0.05..0.3), 0 otherwise; drawn last.
   */
  readonly promiseCrashOdds: number;
};

/** Draws a seed's swarm config from the fork `swarm` of the run's root source. */
export function raftSwarm(root: Random): RaftSwarm {
  const random = root.fork('swarm');
  const on = drawKinds(random, faultOdds);
  const electionTicks = random.between(6, 16);
  return {
    faults: (Object.keys(faultOdds) as FaultKind[]).filter((kind) => on.has(kind)),
    faultGapMsMax: betweenStep(random, 300, 900, 50),
    electionTicks,
    heartbeatTicks: Math.min(random.between(1, 3), Math.ceil(electionTicks / 3) - 1),
    snapshotEntries: random.between(20, 60),
    proposeGapMsMax: betweenStep(random, 40, 120, 10),
    createGapMsMax: betweenStep(random, 150, 450, 50),
    livenessMs: Math.max(8000, 16 * electionTicks * tickMs),
    leaderCrashOdds: random.chance(0.5) ? Math.round((0.2 + 0.6 * random.next()) * 100) / 100 : 0,
    stallMsMax: random.chance(0.5) ? betweenStep(random, 1000, 6000, 500) : 0,
    figure8: random.chance(0.4),
    promiseCrashOdds: random.chance(0.5) ? Math.round((0.05 + 0.25 * random.next()) * 100) / 100 : 0,
  };
}

export interface RaftScenarioOptions {
  readonly nodes: number;
  readonly hooks?: RaftNodeTestHooks;
  /** Run these random faults instead of the seed's (ScenarioOptions.faults). */
  readonly faults?: FaultSchedule;
  /** The fault phase's length instead of 6 s (ScenarioOptions.faultPhaseMs). */
  readonly faultPhaseMs?: number;
}

interface Member {
  readonly node: RaftNode;
  readonly sm: MetadataStateMachine;
  readonly controller: MetadataController;
}

class Cluster {
  readonly live = new Map<string, Member>();
  /** Nodes whose boot failed (an injected fsync failure during recovery); the supervisor restarts them. */
  readonly bootFailed = new Set<string>();
  private readonly incarnation = new Map<string, number>();
  readonly names: string[];
  readonly checker = new RaftSafetyChecker();
  readonly counts = { crashes: 0, leaderCrashes: 0, promiseCrashes: 0, stalls: 0, restarts: 0, partitions: 0, resets: 0, slowLinks: 0, slowDisks: 0, syncFailures: 0 };
  /** Called, in order, when a node wins an election (inside its state machine: they may only schedule). */
  readonly leaderWatchers: ((name: string, term: number) => void)[] = [];
  /** Called, in order, when a leader's Ready advances its commit index (inside its state machine: they may only schedule). */
  readonly commitWatchers: ((name: string, term: number) => void)[] = [];
  /** Told of every Ready of a running node, before it is persisted. */
  readonly readyWatchers: ((name: string, rd: Ready) => void)[] = [];
  /** The figure-8 nemesis is building its history (raft-figure8.ts): the random faults hold off. */
  directedBusy = false;

  constructor(
    readonly sim: Simulation,
    readonly size: number,
    private readonly hooks: RaftNodeTestHooks | undefined,
    readonly swarm: RaftSwarm,
  ) {
    this.names = Array.from({ length: size }, (_, k) => `n${k + 1}`);
    for (const name of this.names) sim.addNode(name, (io) => this.boot(name, io));
  }

  config(id: number): RaftNodeConfig {
    return {
      id,
      voters: this.names.map((n, k) => ({ id: k + 1, host: n, port })),
      dataDir: 'raft',
      tickMs,
      electionTicks: this.swarm.electionTicks,
      heartbeatTicks: this.swarm.heartbeatTicks,
      snapshotEntriesInterval: this.swarm.snapshotEntries,
      testHooks: this.hooks,
      observer: {
        onReady: (raft, rd) => {
          this.checker.observeReady(raft, rd);
          if (!this.checker.ok()) this.sim.fail(this.checker.failures[0] ?? 'raft checker');
          if (raft.role === 'leader' && rd.committedEntries.length > 0) for (const watch of this.commitWatchers) watch(`n${raft.id}`, raft.term);
          for (const watch of this.readyWatchers) watch(`n${raft.id}`, rd);
        },
        onRecovered: (raft) => this.checker.observeRestart(raft.id, raft.log.applied),
        onBecameLeader: (raft) => {
          this.checker.observeLeader(raft);
          if (!this.checker.ok()) this.sim.fail(this.checker.failures[0] ?? 'raft checker');
          for (const watch of this.leaderWatchers) watch(`n${raft.id}`, raft.term);
        },
      },
    };
  }

  private async boot(name: string, io: Io): Promise<{ stop(): Promise<void> }> {
    const inc = (this.incarnation.get(name) ?? 0) + 1;
    this.incarnation.set(name, inc);
    const sm = new MetadataStateMachine();
    let node: RaftNode;
    try {
      node = await RaftNode.start(io, this.config(Number(name.slice(1))), sm);
    } catch (error) {
      if (!(error instanceof DiskError)) throw error;
      this.bootFailed.add(name);
      return { stop: async () => undefined };
    }
    // No broker heartbeats in this scenario: sessions never expire, so topics can be placed.
    const controller = new MetadataController(io, node, sm, { brokerSessionTimeoutMs: 1e9, forwardTimeoutMs: 1000 });
    if (this.incarnation.get(name) === inc) this.live.set(name, { node, sm, controller });
    return {
      stop: async () => {
        this.live.delete(name);
        controller.stop();
        await node.stop();
      },
    };
  }

  crash(name: string): void {
    this.live.delete(name);
    this.incarnation.set(name, (this.incarnation.get(name) ?? 0) + 1);
    this.sim.node(name).crash();
    this.counts.crashes++;
  }

  /** Down, failed-stop, or failed to boot. */
  needsRestart(name: string): boolean {
    return !this.sim.node(name).isUp || this.bootFailed.has(name) || this.live.get(name)?.node.isRunning() === false;
  }

  restart(name: string): void {
    this.live.delete(name);
    this.bootFailed.delete(name);
    this.incarnation.set(name, (this.incarnation.get(name) ?? 0) + 1);
    this.sim.node(name).restart();
    this.counts.restarts++;
  }

  /** Heals every partition; coverage notes a heal that lands while some voter is campaigning. */
  heal(): void {
    const campaigning = [...this.live.values()].some((m) => m.node.isRunning() && (m.node.role() === 'candidate' || m.node.role() === 'preCandidate'));
    if (campaigning) this.sim.coverage.reached('raft.heal-during-election');
    this.sim.network.heal();
  }

  leaders(): Member[] {
    return [...this.live.values()].filter((m) => m.node.isRunning() && m.node.role() === 'leader');
  }
}

/** The kind of fault a roll of 0..99 stands for (restart and heal: always on). */
function rolledKind(roll: number): FaultKind | 'restart' | 'heal' {
  if (roll < 18) return 'crash';
  if (roll < 40) return 'restart';
  if (roll < 55) return 'partition';
  if (roll < 62) return 'isolate';
  if (roll < 72) return 'heal';
  if (roll < 82) return 'reset';
  if (roll < 88) return 'slowLink';
  if (roll < 95) return 'slowDisk';
  return 'syncFail';
}

/**
 * The raft scenario's fault kinds and their parameters (sim/fault-schedule.ts); node indexes count
 * from 0. `restart` restarts one of the nodes that are down then, the one at `pick` (0..1) along
 * their list; `slow-link` with factor 1 and `slow-disk` with syncMsMax 3 put a link or disk back.
 */
export const raftFaultKinds = {
  crash: { node: 'node' },
  restart: { pick: 'number' },
  partition: { a: 'node', b: 'node', oneWay: 'boolean' },
  isolate: { node: 'node' },
  heal: {},
  reset: {},
  'slow-link': { a: 'node', b: 'node', factor: 'number' },
  'slow-disk': { node: 'node', syncMsMax: 'number' },
  'sync-fail': { node: 'node' },
} as const satisfies FaultKinds;

/**
 * The random faults of a seed, as data: one every 50..faultGapMsMax ms from 200..600 ms on, of a
 * kind rolled 0..99 (rolledKind). Every parameter is drawn for every roll, so the stream's draws
 * depend on nothing but the seed; a kind the seed switched off is rolled and then skipped.
 */
function drawFaults(r: Random, nodes: number, swarm: RaftSwarm, untilMs: number): PlannedFault[] {
  const plan: PlannedFault[] = [];
  for (let atMs = r.between(200, 600); atMs < untilMs; atMs += r.between(50, swarm.faultGapMsMax)) {
    const a = r.int(nodes);
    const b = r.int(nodes);
    const kind = rolledKind(r.int(100));
    const oneWay = r.chance(0.4);
    const pick = r.next();
    const factor = r.chance(0.5) ? 1 : r.between(20, 200);
    const syncMsMax = r.chance(0.5) ? 3 : r.between(20, 150);
    if (kind !== 'restart' && kind !== 'heal' && !swarm.faults.includes(kind)) continue;
    if (kind === 'crash' || kind === 'isolate' || kind === 'syncFail') plan.push({ kind: kind === 'syncFail' ? 'sync-fail' : kind, atMs, node: a });
    else if (kind === 'restart') plan.push({ kind, atMs, pick });
    else if (kind === 'heal' || kind === 'reset') plan.push({ kind, atMs });
    else if (kind === 'slowDisk') plan.push({ kind: 'slow-disk', atMs, node: a, syncMsMax });
    else if (a !== b) plan.push(kind === 'partition' ? { kind, atMs, a, b, oneWay } : { kind: 'slow-link', atMs, a, b, factor });
  }
  return plan;
}

/** Runs one fault of the schedule; skipped while the figure-8 nemesis builds its history (raft-figure8.ts): a random heal or crash would undo it. */
function injectFault(c: Cluster, f: PlannedFault): void {
  if (c.directedBusy) return;
  const name = (key: string): string => c.names[f[key] as number]!;
  switch (f.kind as keyof typeof raftFaultKinds) {
    case 'crash':
      if (c.sim.node(name('node')).isUp) c.crash(name('node'));
      return;
    case 'restart': {
      const down = c.names.filter((n) => c.needsRestart(n));
      const target = down[Math.floor((f['pick'] as number) * down.length)];
      if (target !== undefined) c.restart(target);
      return;
    }
    case 'partition':
      c.sim.network.partition(name('a'), name('b'), { oneWay: f['oneWay'] as boolean });
      c.counts.partitions++;
      return;
    case 'isolate':
      for (const other of c.names) if (other !== name('node')) c.sim.network.partition(name('node'), other);
      c.counts.partitions++;
      return;
    case 'heal':
      c.heal();
      return;
    case 'reset':
      c.sim.network.resetRandomConnection();
      c.counts.resets++;
      return;
    case 'slow-link':
      c.sim.network.setSlow(name('a'), name('b'), f['factor'] as number);
      c.counts.slowLinks++;
      return;
    case 'slow-disk':
      c.sim.node(name('node')).disk.faults.latency.syncMsMax = f['syncMsMax'] as number;
      c.counts.slowDisks++;
      return;
    case 'sync-fail':
      if (!c.sim.node(name('node')).isUp) return;
      c.sim.node(name('node')).disk.faults.failNextSync();
      c.counts.syncFailures++;
      return;
    default:
      throw new Error(`raft: no fault kind ${f.kind}`);
  }
}

interface Acked {
  readonly index: number;
  readonly digest: string;
}

function startWorkload(c: Cluster, r: Random, acked: Acked[], stats: { proposed: number; refused: number }, untilMs: number): void {
  const gapMsMax = c.swarm.proposeGapMsMax;
  let serial = 0;
  const step = (): void => {
    if (c.sim.nowMs() >= untilMs) return;
    const leaders = c.leaders();
    const leader = leaders[r.int(Math.max(leaders.length, 1))];
    if (leader !== undefined) {
      const record = workloadRecord(serial++, c.size, r);
      const data = encodeRecord(record);
      stats.proposed++;
      leader.node.propose(data).then(
        (index) => acked.push({ index, digest: digest({ type: 'data', data }) }),
        () => stats.refused++,
      );
    }
    c.sim.schedule(r.between(10, gapMsMax), step);
  };
  c.sim.schedule(r.between(0, 100), step);
}

/** CreateTopics sent to any live voter (forwarded when it is not the active controller). */
function startControllerWorkload(c: Cluster, r: Random, created: CreatedTopic[], stats: { created: number; refused: number }, untilMs: number): void {
  let serial = 0;
  const step = (): void => {
    if (c.sim.nowMs() >= untilMs) return;
    const members = [...c.live.values()];
    const via = members[r.int(Math.max(members.length, 1))];
    if (via !== undefined) {
      const name = `ct${serial++}`;
      via.controller.createTopics([{ name, numPartitions: 1 + r.int(3), replicationFactor: 1 }]).then(
        ([result]) => {
          if (result?.errorCode === 0 && result.topicId !== null) {
            created.push({ name, topicId: result.topicId });
            stats.created++;
          } else stats.refused++;
        },
        () => stats.refused++,
      );
    }
    c.sim.schedule(r.between(50, c.swarm.createGapMsMax), step);
  };
  c.sim.schedule(r.between(0, 300), step);
}

interface CreatedTopic {
  readonly name: string;
  readonly topicId: string;
}

function workloadRecord(serial: number, size: number, r: Random): MetadataRecord {
  const broker = 1 + r.int(size);
  switch (r.int(4)) {
    case 0:
      return { type: 'RegisterBroker', brokerId: broker, host: `n${broker}`, port: 9092 + serial };
    case 1:
      return { type: 'DeleteTopic', name: `t${r.int(serial + 1)}`, topicId: `id${r.int(serial + 1)}` };
    case 2:
      return { type: 'ChangePartitionLeader', topic: `t${r.int(serial + 1)}`, partition: 0, leader: broker, leaderEpoch: serial };
    default:
      return { type: 'CreateTopic', name: `t${serial}`, topicId: `id${serial}`, replicas: [[broker, 1 + ((broker) % size)]] };
  }
}

/**
 * The swarm's leader crashes: a leader just elected is crashed, with the seed's odds, if it still
 * leads that term after a delay drawn log-uniformly from 0.5 ms to two heartbeat intervals (most
 * often within its first round trips, while its first appends have reached some followers and not
 * others), and restarted 20..400 ms later.
 */
function crashNewLeaders(c: Cluster, r: Random, untilMs: number): void {
  if (c.swarm.leaderCrashOdds === 0) return;
  const delayMsMax = 2 * c.swarm.heartbeatTicks * tickMs;
  const crashIfLeading = (name: string, term: number): void => {
    const member = c.live.get(name);
    if (c.sim.nowMs() >= untilMs || c.directedBusy || member === undefined || !member.node.isRunning() || member.node.role() !== 'leader' || member.node.status().term !== term) return;
    c.crash(name);
    c.counts.leaderCrashes++;
    c.sim.schedule(r.between(20, 400), () => {
      if (c.needsRestart(name)) c.restart(name);
    });
  };
  c.leaderWatchers.push((name, term) => {
    if (c.sim.nowMs() >= untilMs || !r.chance(c.swarm.leaderCrashOdds)) return;
    c.sim.schedule(0.5 * Math.pow(delayMsMax / 0.5, r.next()), () => crashIfLeading(name, term));
  });
  // A crash the moment a leader's commit index moves: what it just sent is still on the wire.
  c.commitWatchers.push((name, term) => {
    if (c.sim.nowMs() >= untilMs || !r.chance(c.swarm.leaderCrashOdds / 10)) return;
    c.sim.schedule(0, () => crashIfLeading(name, term));
  });
}

/** Crashes nodes while the fsync of a promise they made is in flight (see RaftSwarm.promiseCrashOdds). */
function crashPromises(c: Cluster, r: Random, untilMs: number): void {
  if (c.swarm.promiseCrashOdds === 0) return;
  const electionMs = c.swarm.electionTicks * tickMs;
  c.readyWatchers.push((name, rd) => {
    const promise = rd.messages.find((m) => (m.type === 'voteResp' || m.type === 'appResp') && !m.reject);
    if (promise === undefined || (rd.hardState === null && rd.entries.length === 0)) return;
    if (c.sim.nowMs() >= untilMs || c.directedBusy || !r.chance(c.swarm.promiseCrashOdds)) return;
    const delayMs = r.between(1, 10) / 10;
    const cutLeader = promise.type === 'appResp' && r.chance(0.5);
    const cutMs = r.between(electionMs, 2 * electionMs);
    const restartMs = r.between(20, 400);
    c.sim.schedule(delayMs, () => {
      const member = c.live.get(name);
      if (c.directedBusy || member === undefined || !member.node.isRunning()) return;
      c.sim.trace(name, 'FaultPromiseCrash', { promise: promise.type, to: `n${promise.to}`, cutLeaderMs: cutLeader ? cutMs : 0 });
      c.crash(name);
      c.counts.promiseCrashes++;
      c.sim.schedule(restartMs, () => c.needsRestart(name) && c.restart(name));
      if (!cutLeader) return;
      const leader = `n${promise.to}`;
      for (const other of c.names) if (other !== leader) c.sim.network.partition(leader, other);
      c.sim.schedule(cutMs, () => c.heal());
    });
  });
}

/** The swarm's stalled connections, from their own stream (see RaftSwarm.stallMsMax). */
function stallConnections(c: Cluster, r: Random, untilMs: number): void {
  if (c.swarm.stallMsMax === 0) return;
  const step = (): void => {
    if (c.sim.nowMs() >= untilMs) return;
    const durationMs = r.between(200, c.swarm.stallMsMax);
    if (!c.directedBusy && c.sim.network.stallRandomConnection(durationMs) !== null) c.counts.stalls++;
    c.sim.schedule(r.between(100, c.swarm.faultGapMsMax), step);
  };
  c.sim.schedule(r.between(200, 600), step);
}

function scheduleFaults(c: Cluster, faults: FaultSchedule): void {
  for (const f of faults) c.sim.schedule(f.atMs, () => injectFault(c, f));
}

function stopFaults(c: Cluster): void {
  c.heal();
  for (const a of c.names) {
    c.sim.node(a).disk.faults.latency.syncMsMax = 3;
    for (const b of c.names) if (a < b) c.sim.network.setSlow(a, b, 1);
  }
  for (const name of c.names) if (c.needsRestart(name)) c.restart(name);
}

/** After the faults: a leader, and a proposal applied on every node, within the bound. */
async function checkLiveness(c: Cluster, failures: string[]): Promise<number> {
  const startMs = c.sim.nowMs();
  const deadline = startMs + c.swarm.livenessMs;
  let committedIndex = 0;
  // A supervisor: a node that failed-stopped (an fsync failure injected before the faults ended
  // can still fire) is restarted, as an operator or systemd would.
  let reachedMs = -1;
  const supervise = (): void => {
    if (reachedMs >= 0 || c.sim.nowMs() > deadline) return;
    for (const name of c.names) if (c.needsRestart(name)) c.restart(name);
    c.sim.schedule(100, supervise);
  };
  supervise();
  const tryPropose = (): void => {
    if (committedIndex > 0 || c.sim.nowMs() > deadline) return;
    const leader = c.leaders()[0];
    leader?.node.propose(encodeRecord({ type: 'RegisterBroker', brokerId: 100, host: 'probe', port: 1 })).then(
      (index) => (committedIndex = index),
      () => undefined,
    );
    c.sim.schedule(200, tryPropose);
  };
  tryPropose();
  const allApplied = (): boolean => {
    const done =
      committedIndex > 0 && c.live.size === c.size && [...c.live.values()].every((m) => m.sm.appliedIndex >= committedIndex);
    if (done && reachedMs < 0) reachedMs = c.sim.nowMs() - startMs;
    return done;
  };
  await c.sim.run({ until: allApplied, untilMs: deadline });
  if (reachedMs < 0 && c.sim.failed.length === 0) {
    failures.push(`liveness: no proposal applied on all ${c.size} nodes within ${c.swarm.livenessMs} ms after faults stopped`);
  }
  return reachedMs;
}

/** Lets every node apply what any node has applied (answers may have come after the probe). */
async function settleApplied(c: Cluster): Promise<void> {
  const deadlineMs = c.sim.nowMs() + c.swarm.livenessMs;
  const settled = (): boolean => {
    const indexes = [...c.live.values()].map((m) => m.sm.appliedIndex);
    return c.live.size === c.size && Math.min(...indexes) === Math.max(...indexes);
  };
  await c.sim.run({ until: () => settled() || c.sim.nowMs() > deadlineMs });
}

function checkEnd(c: Cluster, acked: readonly Acked[], created: readonly CreatedTopic[], failures: string[]): void {
  for (const t of created) {
    for (const [name, m] of c.live) {
      const topicId = m.sm.topic(t.name)?.topicId;
      if (topicId !== t.topicId) failures.push(`controller: CreateTopics answered NONE for ${t.name} (${t.topicId}) but ${name} has ${topicId ?? 'no such topic'}`);
    }
  }
  for (const a of acked) {
    const committed = c.checker.committedAt(a.index);
    if (committed !== a.digest) failures.push(`durability: proposal acknowledged at ${a.index} but ${committed ?? 'nothing'} was committed there`);
  }
  const digests = new Set([...c.live.values()].map((m) => m.sm.digest()));
  const indexes = new Set([...c.live.values()].map((m) => m.sm.appliedIndex));
  if (indexes.size === 1 && digests.size > 1) failures.push(`convergence: images differ at the same index: ${[...digests].join(' ')}`);
}

export async function runRaftScenario(sim: Simulation, options: RaftScenarioOptions): Promise<ScenarioResult> {
  sim.buggify.enable(); // BUGGIFY points may fire in this scenario's runs (src/core/io/probes.ts)
  const swarm = announceSwarm(sim, raftSwarm(sim.random));
  const r = sim.random.fork('raft-scenario');
  const c = new Cluster(sim, options.nodes, options.hooks, swarm);
  sim.setSampler(() => [...c.live].map(([name, member]) => raftSample(name, member.node.status())));
  // Some disks start slow: a long fsync widens the window in which a crash meets unsynced state.
  const disks = r.fork('disks');
  for (const name of c.names) sim.node(name).disk.faults.latency.syncMsMax = [3, 3, 20, 60][disks.int(4)] as number;
  const acked: Acked[] = [];
  const stats = { proposed: 0, refused: 0 };
  const created: CreatedTopic[] = [];
  const topicStats = { created: 0, refused: 0 };
  const phaseMs = options.faultPhaseMs ?? faultMs;
  startWorkload(c, r.fork('workload'), acked, stats, phaseMs);
  startControllerWorkload(c, r.fork('controller-workload'), created, topicStats, phaseMs);
  // The seed's random faults, as data; a given schedule runs in their place (the seed's are drawn
  // all the same, so that a run's own schedule replays that run exactly). The leader crashes, stalls
  // and the figure-8 nemesis react to the run as it goes: they are not in the schedule.
  const drawn = drawFaults(r.fork('faults'), c.size, swarm, phaseMs);
  checkFaultSchedule(options.faults, `raft with ${c.size} nodes`, raftFaultKinds, { nodes: c.size, hosts: c.size }, { ms: phaseMs });
  const schedule = options.faults ?? drawn;
  scheduleFaults(c, schedule);
  crashNewLeaders(c, r.fork('leader-crashes'), phaseMs);
  crashPromises(c, r.fork('promise-crashes'), phaseMs);
  stallConnections(c, r.fork('stalls'), phaseMs);
  const figure8 = swarm.figure8 && c.size >= 3 ? startFigure8Nemesis(c, r.fork('figure8'), swarm.electionTicks * tickMs, phaseMs) : null;
  await sim.run({ untilMs: phaseMs });
  // An attempt of the figure-8 nemesis begun before the end of the faults runs to its end.
  if (figure8 !== null && figure8.busy()) await sim.run({ until: () => !figure8.busy(), untilMs: phaseMs + figure8OverrunMsMax });
  const failures: string[] = [...c.checker.failures];
  let livenessMs = -1;
  if (sim.failed.length === 0) {
    stopFaults(c);
    livenessMs = await checkLiveness(c, failures);
    await settleApplied(c);
    checkEnd(c, acked, created, failures);
  }
  failures.push(...c.checker.failures.filter((f) => !failures.includes(f)));
  return {
    ok: failures.length === 0 && sim.failed.length === 0,
    failures,
    summary: {
      ...c.counts,
      proposed: stats.proposed,
      acked: acked.length,
      refused: stats.refused,
      topicsCreated: topicStats.created,
      topicsRefused: topicStats.refused,
      leaders: c.checker.leadersSeen,
      entriesChecked: c.checker.entriesChecked,
      livenessMs: Math.round(livenessMs),
      ...(figure8 === null ? {} : { figure8Attempts: figure8.counts.attempts, figure8Histories: figure8.counts.historyBuilt, figure8OldLeaderWon: figure8.counts.oldLeaderWon }),
    },
    swarm,
    faultSchedule: schedule,
  };
}

/**
 * The rare states every sweep of `npm test`'s size must reach (docs/simulator.md): 300 seeds of 3
 * voters, 100 of 1 or 5 (other counts: 100). A single voter has no peer to lose or to partition from,
 * so it never steps down, never heals mid-election and sends no heartbeat to drop.
 */
export function raftCoverageGoal(nodes: number): CoverageGoal {
  const everyCount = ['raft.storage-failed', 'sim.crash-tore-a-write', 'buggify.raft.early-election-timeout'];
  if (nodes === 1) return { targets: everyCount, seedsMin: 100 };
  const peers = [
    'raft.leader-stepped-down',
    'raft.leader-lost-quorum',
    'raft.heal-during-election',
    'raft.snapshot-restored',
    'raft.append-log-mismatch',
    'raft.older-term-majority',
    'raft.stale-connection-frame',
    'raft.follower-cut-diverging-entries',
    'raft.figure8-history',
    'buggify.raft.drop-heartbeat',
  ];
  return { targets: [...everyCount, ...peers], seedsMin: nodes === 3 ? 300 : 100 };
}

export const scenario: Scenario = {
  name: 'raft',
  description: 'metadata quorum: crashes, torn writes, partitions, resets, slow links and disks; Raft safety + liveness',
  defaultNodes: 3,
  nodesMin: 1,
  nodesMax: raftVotersMax,
  coverageGoal: raftCoverageGoal,
  faultKinds: raftFaultKinds,
  faultPhaseMs: faultMs,
  run: (sim, options) =>
    runRaftScenario(sim, {
      nodes: options.nodes,
      ...(options.faults === undefined ? {} : { faults: options.faults }),
      ...(options.faultPhaseMs === undefined ? {} : { faultPhaseMs: options.faultPhaseMs }),
    }),
};
