import { MessageChannel } from 'node:worker_threads';
import { openSync, closeSync } from 'node:fs';
import { assert } from '../core/assert.ts';
import type { Clock, Timer } from '../core/io/clock.ts';
import type { Io } from '../core/io/index.ts';
import type { Log, LogFields } from '../core/io/log.ts';
import type { Random } from '../core/io/random.ts';
import { simEventsMax } from '../core/limits.ts';
import type { OffsetStoreBugs } from '../core/group/offset-store.ts';
import type { ReplicationBugs } from '../core/cluster/partition-replica.ts';
import type { ControllerBugs } from '../core/metadata/controller.ts';
import type { PartitionLogBugs } from '../core/log/partition-log.ts';
import type { BrokerBugs } from '../core/broker/options.ts';
import { Scheduler, worldOwner, type EventOwner } from './scheduler.ts';
import { SimDiskState, type DiskBugs } from './sim-disk.ts';
import { SimNetworkWorld, type NetworkBugs } from './sim-network.ts';
import type { SimObserver, StateSampler } from './observer.ts';
import { SimBuggify, SimCoverage, type IncarnationCoverage } from './sim-probes.ts';
import { Trace, type TraceEvent } from './trace.ts';
import { TrackedRandom } from './tracked-random.ts';
import { SimWallClock } from './wall-clock.ts';

/** What a node's boot function may hand back: how to stop it gracefully. */
export interface NodeHandle {
  stop(): Promise<void>;
}

export type BootFn = (io: Io) => Promise<NodeHandle | void> | NodeHandle | void;

export interface SimulationOptions {
  seed: number;
  /** Write every log line of the trace as a JSON line to this file. */
  traceFile?: string;
  /** Also write every scheduler event that fires (kind, time, owner, bytes, sequence) to the trace file. */
  traceFileEvents?: boolean;
  /** Also keep debug-level events in the trace (off by default: they are many). */
  traceDebug?: boolean;
  /** Watches the run without changing it (the timeline of `sim --html`); see SimObserver. */
  observer?: SimObserver;
  /**
   * False: no BUGGIFY point ever fires (src/core/io/probes.ts), even in a scenario that enables them.
   * Default: they fire once a scenario enables them (sim.buggify.enable()), never before.
   */
  buggify?: boolean;
  /** Test-only: make the simulated disks or network wrong on purpose, to show a checker notices. */
  plantedBugs?: { disk?: Partial<DiskBugs>; net?: Partial<NetworkBugs>; log?: PartitionLogBugs; offsets?: OffsetStoreBugs; replication?: ReplicationBugs; controller?: ControllerBugs; broker?: BrokerBugs };
}

/** A node incarnation: alive until the node crashes, stops or restarts. */
class Incarnation implements EventOwner {
  dead = false;
  private readonly deathWaiters: Array<() => void> = [];
  /** Paused (SimNode.pause) until this virtual time. */
  pausedUntil = 0;
  /** Its coverage marks, with the crash windows it holds open (set when its Io is built). */
  coverage: IncarnationCoverage | null = null;
  /** `n1/2`: node n1's second incarnation. */
  constructor(readonly name: string) {}
  alive(): boolean {
    return !this.dead;
  }
  pausedUntilMs(): number {
    return this.pausedUntil;
  }
  /** Resolves when this incarnation dies (crash, power loss, or the end of a graceful stop). */
  whenDead(): Promise<void> {
    return this.dead ? Promise.resolve() : new Promise((resolve) => this.deathWaiters.push(resolve));
  }
  markDead(): void {
    this.dead = true;
    for (const resolve of this.deathWaiters.splice(0)) resolve();
  }
}

class SimLog implements Log {
  constructor(
    private readonly sim: Simulation,
    private readonly node: string | null,
    private readonly owner: EventOwner,
    private readonly bound: LogFields = {},
  ) {}
  private emit(level: string, event: string, fields?: LogFields): void {
    if (!this.owner.alive()) return;
    if (level === 'debug' && !this.sim.traceDebug) return;
    this.sim.addTrace(this.node, level, event, fields === undefined ? this.bound : Object.assign({}, this.bound, fields));
  }
  debug(event: string, fields?: LogFields): void {
    this.emit('debug', event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.emit('info', event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.emit('warn', event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.emit('error', event, fields);
  }
  child(fields: LogFields): Log {
    return new SimLog(this.sim, this.node, this.owner, Object.assign({}, this.bound, fields));
  }
}

/**
 * One simulated node: a host name, a disk that outlives its incarnations, and a boot function that
 * builds the node's logic from a fresh Io each time it (re)starts.
 */
export class SimNode {
  private incarnation: Incarnation;
  private handle: NodeHandle | void = undefined;
  private up = false;
  incarnationCount = 0;
  readonly diskState: SimDiskState;
  /** The host's wall clock (drift and jumps: `clock.faults`); it outlives the node's incarnations. */
  readonly clock: SimWallClock;

  constructor(
    readonly name: string,
    private readonly sim: Simulation,
    private readonly boot: BootFn,
    readonly isClient: boolean,
  ) {
    this.incarnation = new Incarnation(`${name}/0`);
    this.diskState = new SimDiskState(sim.random.fork(`disk/${name}`), (event, fields) =>
      sim.addTrace(name, 'info', event, fields),
    );
    Object.assign(this.diskState.bugs, sim.plantedDiskBugs);
    this.clock = new SimWallClock(() => sim.nowMs(), (event, fields) => {
      if (event === 'FaultClockJump') sim.coverage.reached(fields.jumpMs! < 0 ? 'sim.clock-jumped-backward' : 'sim.clock-jumped-forward');
      sim.addTrace(name, 'info', event, fields);
    });
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Fault knobs of this node's disk. */
  get disk(): { faults: SimDiskState['faults']; bugs: SimDiskState['bugs'] } {
    return this.diskState;
  }

  /**
   * Builds a fresh Io for a new incarnation and runs the boot function in it. Traced as
   * `NodeStarted` the first time and `FaultRestart` every time after (whoever asks for it).
   */
  start(): Io {
    assert(!this.up, `node ${this.name} is already up`);
    this.incarnationCount++;
    this.incarnation = new Incarnation(`${this.name}/${this.incarnationCount}`);
    this.up = true;
    const io = this.sim.makeIo(this.name, this.incarnation, this.diskState, this.clock);
    this.sim.addTrace(this.name, 'info', this.incarnationCount === 1 ? 'NodeStarted' : 'FaultRestart', { incarnation: this.incarnationCount });
    const owner = this.incarnation;
    this.sim.schedule(0, () => {
      void Promise.resolve(this.boot(io)).then(
        (handle) => {
          if (owner.alive()) this.handle = handle;
        },
        (error: unknown) => {
          if (owner.alive()) this.sim.fail(`node ${this.name} failed to boot: ${describe(error)}`);
        },
      );
    }, 'node.boot');
    return io;
  }

  /** Power loss: memory, timers and connections vanish; the disk keeps only what was synced. */
  crash(): void {
    if (!this.up) return;
    this.incarnation.coverage?.crashed();
    this.die();
    const lost = this.diskState.crash();
    if (lost.opsLost > 0) this.sim.coverage.reached('sim.crash-lost-unsynced-writes');
    if (lost.filesTorn > 0) this.sim.coverage.reached('sim.crash-tore-a-write');
    if (lost.filesZeroFilled > 0) this.sim.coverage.reached('sim.crash-zero-filled-a-tail');
    this.sim.addTrace(this.name, 'info', 'FaultCrash', { opsLost: lost.opsLost, filesTorn: lost.filesTorn, filesZeroFilled: lost.filesZeroFilled });
  }

  /**
   * The process freezes for `durationMs` (SIGSTOP, a long GC pause, a VM descheduled): none of its
   * timers, disk completions or reads run meanwhile, and its peers see nothing (no reset, no close:
   * bytes sent to it wait in its receive buffers); then it resumes where it was, its clock jumped
   * forward, and everything that came due fires in order. The classic zombie leader: it wakes still
   * believing it leads. Traced `FaultPause`.
   */
  pause(durationMs: number): void {
    if (!this.up) return;
    const untilMs = this.sim.nowMs() + durationMs;
    if (untilMs <= this.incarnation.pausedUntil) return;
    this.incarnation.pausedUntil = untilMs;
    this.sim.coverage.reached('sim.process-paused');
    this.sim.addTrace(this.name, 'info', 'FaultPause', { durationMs: Math.round(durationMs) });
    const owner = this.incarnation;
    this.sim.schedule(durationMs, () => {
      if (owner.alive() && owner.pausedUntil === untilMs) this.sim.network.hostResumed(this.name);
    }, 'node.resume');
  }

  /** True while the node is frozen by `pause()`. */
  get isPaused(): boolean {
    return this.up && this.incarnation.pausedUntil > this.sim.nowMs();
  }

  /**
   * Power loss of the host, also while the node is down (say, after a graceful stop): every byte
   * not synced is lost, none survives torn. A process that stopped gracefully leaves its unsynced
   * writes in the page cache, where a power loss before the restart takes them.
   */
  powerLoss(): void {
    if (this.up) {
      this.incarnation.coverage?.crashed();
      this.die();
    }
    const lost = this.diskState.crash({ loseAllUnsynced: true });
    if (lost.opsLost > 0) this.sim.coverage.reached('sim.crash-lost-unsynced-writes');
    this.sim.addTrace(this.name, 'info', 'FaultPowerLoss', { opsLost: lost.opsLost });
  }

  restart(): void {
    if (this.up) this.crash();
    this.start();
  }

  /**
   * Graceful stop: awaits the node's own stop(), then takes it down (its disk keeps everything
   * synced). If the node's stop() rejects (it could not make everything durable), the rejection
   * propagates and the node stays up: crash it to take it down. Traced as `FaultStopStarted`, then
   * `FaultStopEnded` with `stopped` 1 when the node went down, 0 when its stop() rejected (with the
   * error) or the node crashed meanwhile.
   */
  async stop(): Promise<void> {
    if (!this.up) return;
    const owner = this.incarnation;
    const handle = this.handle;
    this.sim.addTrace(this.name, 'info', 'FaultStopStarted', {});
    try {
      // A crash in the middle of the stop ends it: the dead incarnation's stop() never settles.
      if (handle !== undefined) await Promise.race([handle.stop(), owner.whenDead()]);
    } catch (error) {
      this.sim.addTrace(this.name, 'info', 'FaultStopEnded', { stopped: 0, error: describe(error) });
      throw error;
    }
    if (this.incarnation !== owner || !this.up) {
      this.sim.addTrace(this.name, 'info', 'FaultStopEnded', { stopped: 0 });
      return;
    }
    this.die();
    this.sim.addTrace(this.name, 'info', 'FaultStopEnded', { stopped: 1 });
  }

  private die(): void {
    this.incarnation.markDead();
    this.up = false;
    this.handle = undefined;
    this.sim.network.hostDown(this.name);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Every live simulation's unhandled-rejection handler, behind one process listener: a rejection goes
 * to each of them, as it would with a listener each, but a process running many simulations at once
 * (a sweep's in-process lanes, property tests) no longer trips Node's MaxListeners warning (11 were
 * seen in npm test).
 */
const rejectionHandlers = new Set<(reason: unknown) => void>();

function onAnyUnhandledRejection(reason: unknown): void {
  for (const handler of [...rejectionHandlers]) handler(reason);
}

function addRejectionHandler(handler: (reason: unknown) => void): void {
  if (rejectionHandlers.size === 0) process.on('unhandledRejection', onAnyUnhandledRejection);
  rejectionHandlers.add(handler);
}

function removeRejectionHandler(handler: (reason: unknown) => void): void {
  rejectionHandlers.delete(handler);
  if (rejectionHandlers.size === 0) process.off('unhandledRejection', onAnyUnhandledRejection);
}

/**
 * The deterministic simulator: one scheduler of virtual time, one seeded random source from which
 * every choice derives, simulated disks and a simulated network, and nodes that crash and restart.
 *
 * Determinism: `run()` fires one event, then lets every promise continuation the event caused drain
 * completely before the next event fires (a tick queued from a microtask; every `macrotaskEvery`-th
 * event a macrotask, see turns()). Nothing real (timers, fs, sockets) is used by simulated code, so
 * that drain is the same on every run.
 */
export class Simulation {
  readonly seed: number;
  /** The run's one random source; every fork of it is tracked for the unseed. */
  readonly random: TrackedRandom;
  readonly scheduler: Scheduler;
  readonly network: SimNetworkWorld;
  readonly nodes: SimNode[] = [];
  readonly traceDebug: boolean;
  readonly plantedDiskBugs: Partial<DiskBugs>;
  /** Bugs a scenario should plant in the partition logs it builds (test-only). */
  readonly plantedLogBugs: PartitionLogBugs | undefined;
  /** Bugs a scenario should plant in the committed-offsets stores it builds (test-only). */
  readonly plantedOffsetStoreBugs: OffsetStoreBugs | undefined;
  /** Bugs a scenario should plant in the replication of the brokers it builds (test-only). */
  readonly plantedReplicationBugs: ReplicationBugs | undefined;
  /** Bugs a scenario should plant in the metadata controllers it builds (test-only). */
  readonly plantedControllerBugs: ControllerBugs | undefined;
  /** Bugs a scenario should plant in the brokers it builds: their connections, their stop (test-only). */
  readonly plantedBrokerBugs: BrokerBugs | undefined;
  private readonly traceSink: Trace;
  private readonly traceFd: number | null;
  private readonly failures: string[] = [];
  /** run() calls going now (see turns()). */
  private activeRuns = 0;
  private turnsValue: Turns | null = null;
  private readonly observer: SimObserver | null;
  private sampler: StateSampler | null = null;
  eventsProcessed = 0;
  /** Coverage marks of this run (core's, through each node's Io, and the scenario's own). */
  readonly coverage = new SimCoverage();
  /** BUGGIFY decisions of this run (src/core/io/probes.ts). */
  readonly buggify: SimBuggify;

  constructor(options: SimulationOptions) {
    this.seed = options.seed;
    this.random = TrackedRandom.root(String(options.seed));
    this.traceDebug = options.traceDebug === true;
    this.buggify = new SimBuggify(() => this.random.fork('buggify'), options.buggify !== false);
    this.traceFd = options.traceFile === undefined ? null : openSync(options.traceFile, 'w');
    this.traceSink = new Trace(this.traceFd, options.traceFileEvents === true);
    this.observer = options.observer ?? null;
    const trace = this.traceSink;
    this.scheduler = new Scheduler((kind, timeMs, owner, bytes, seq) => trace.fired(kind, timeMs, owner, bytes, seq));
    this.network = new SimNetworkWorld(this.scheduler, this.random.fork('net'), (host, event, fields) =>
      this.addTrace(host, 'info', event, fields),
    );
    this.plantedDiskBugs = options.plantedBugs?.disk ?? {};
    this.plantedLogBugs = options.plantedBugs?.log;
    this.plantedOffsetStoreBugs = options.plantedBugs?.offsets;
    this.plantedReplicationBugs = options.plantedBugs?.replication;
    this.plantedControllerBugs = options.plantedBugs?.controller;
    this.plantedBrokerBugs = options.plantedBugs?.broker;
    Object.assign(this.network.bugs, options.plantedBugs?.net ?? {});
  }

  nowMs(): number {
    return this.scheduler.nowMs();
  }

  /** Adds a node named `name` (also its host name) and boots it. */
  addNode(name: string, boot: BootFn): SimNode {
    assert(!this.nodes.some((n) => n.name === name), `node name ${name} is unique`);
    const node = new SimNode(name, this, boot, false);
    this.nodes.push(node);
    node.start();
    return node;
  }

  /** An Io for a workload or client process on host `name`; it never crashes. */
  addClient(name: string): Io {
    assert(!this.nodes.some((n) => n.name === name), `node name ${name} is unique`);
    const node = new SimNode(name, this, () => undefined, true);
    this.nodes.push(node);
    return node.start();
  }

  node(name: string): SimNode {
    const node = this.nodes.find((n) => n.name === name);
    assert(node !== undefined, `no node named ${name}`);
    return node;
  }

  /** Schedules a world event (a fault, a step of a workload); `kind` labels it in the trace hash. */
  schedule(delayMs: number, fn: () => void, kind = 'scenario'): void {
    this.scheduler.schedule(delayMs, worldOwner, fn, kind);
  }

  /** Adds an event to the trace (hashed; kept for the failure dump; written to the trace file). */
  trace(node: string | null, event: string, fields?: LogFields): void {
    this.addTrace(node, 'info', event, fields);
  }

  addTrace(node: string | null, level: string, event: string, fields: LogFields | undefined): void {
    const entry: TraceEvent = { timeMs: this.scheduler.nowMs(), node, level, event, fields };
    this.traceSink.add(entry);
    this.observer?.traced(entry);
  }

  /**
   * What the scenario wants on the timeline of its nodes' state; called after every event, only
   * when an observer watches the run. It must only read (a look adds no event and draws nothing).
   */
  setSampler(sampler: StateSampler): void {
    this.sampler = sampler;
  }

  /** Records a failure found while running (the run stops at the next event). */
  fail(message: string): void {
    this.failures.push(message);
    this.addTrace(null, 'error', 'SimulationFailure', { message });
  }

  get failed(): readonly string[] {
    return this.failures;
  }

  /**
   * 16 hex digits over the whole run so far: every scheduler event that fired (kind, virtual time,
   * owner, bytes, sequence number) and every log line, in the order they happened, with the unseed
   * folded in last. Two runs of one seed must agree on it.
   */
  traceHash(): string {
    return this.traceSink.digest(this.unseed());
  }

  /** FoundationDB's "unseed": the next value of every random stream of the run, hashed (draws nothing). */
  unseed(): string {
    return this.random.unseed();
  }

  /** What the trace hash covers so far. */
  hashCoverage(): { events: number; logLines: number; randomStreams: number } {
    return { events: this.traceSink.eventsHashed, logLines: this.traceSink.linesHashed, randomStreams: this.random.streamCount() };
  }

  /** The last `max` trace lines about one partition, with the faults between them (Trace.linesTouching). */
  traceTouching(topic: string | null, partition: number, max = 40): string[] {
    return this.traceSink.linesTouching(topic, partition, max);
  }

  recentTrace(): string[] {
    return this.traceSink.recentLines();
  }

  /**
   * Fires events in (time, sequence) order until virtual time passes `untilMs`, `until()` holds, no
   * event is left, or a failure is recorded. Errors thrown by events become failures at once; a
   * rejection nobody handles becomes one within 32 events, or by settled() after the last one.
   */
  async run(options: { untilMs?: number; until?: () => boolean } = {}): Promise<void> {
    this.activeRuns++;
    const turns = this.turns();
    let drained = false;
    let sinceMacrotask = 0;
    try {
      // Let continuations already queued run first: an operation the caller started just before
      // run() may not have scheduled its first event yet.
      await new Promise<void>(tickAfterMicrotasks);
      while (this.failures.length === 0) {
        if (options.until?.() === true) break;
        const nextMs = this.scheduler.peekTimeMs();
        if (nextMs === undefined || (options.untilMs !== undefined && nextMs > options.untilMs)) {
          drained = true;
          break;
        }
        const fn = this.scheduler.popDue()!;
        this.eventsProcessed++;
        assert(this.eventsProcessed < simEventsMax, 'simulation exceeded its event budget');
        try {
          fn();
        } catch (error) {
          this.fail(`event threw: ${describe(error)}${error instanceof Error && error.stack ? `\n${error.stack}` : ''}`);
        }
        // Every continuation the event queued runs before the next event (see turns()).
        if (++sinceMacrotask < macrotaskEvery) {
          await new Promise<void>(tickAfterMicrotasks);
        } else {
          sinceMacrotask = 0;
          await turns.macrotask();
        }
        if (this.observer !== null && this.sampler !== null) this.observer.sampled(this.scheduler.nowMs(), this.sampler());
      }
      // Time moves to the deadline only when nothing is left before it (not when `until()` stopped the run).
      if (drained && options.untilMs !== undefined && this.scheduler.nowMs() < options.untilMs) {
        this.scheduler.advanceTo(options.untilMs);
      }
    } finally {
      this.activeRuns--;
      turns.releaseWhenIdle();
    }
  }

  /**
   * Resolves after one macrotask: by then a rejection that nobody handled, left by the events run so
   * far, is one of `failed`. Call it before judging a run (the runner does).
   */
  async settled(): Promise<void> {
    const turns = this.turns();
    await turns.macrotask();
    turns.releaseWhenIdle();
  }

  /**
   * The simulation's turn machinery, made at the first run() and released at the first macrotask
   * after the last one ends. Between two events every promise continuation the first one queued must
   * run, however long its chain. A tick queued from a microtask does that: Node drains the whole
   * microtask queue before it runs the next tick. But Node reports unhandled rejections only once
   * the tick queue is empty, so every `macrotaskEvery`-th event takes a real macrotask instead (a
   * message to ourselves on a MessageChannel, a third of a setImmediate turn), while a listener
   * turns such a rejection into a failure. The listener stays until a macrotask finds no run()
   * going: a rejection the last events of a run() left then still becomes a failure (by the next
   * macrotask, see settled()), and a scenario's many short runs share one channel and one listener.
   * The port is closed on release: an open port is never collected and would keep the whole
   * simulation alive (a sweep grew by 3 MB a seed before it was).
   */
  private turns(): Turns {
    if (this.turnsValue !== null) return this.turnsValue;
    const channel = new MessageChannel();
    const onUnhandled = (reason: unknown): void => this.fail(`unhandled rejection: ${describe(reason)}`);
    addRejectionHandler(onUnhandled);
    let macrotaskDone: (() => void) | null = null;
    let releaseAsked = false;
    const turns: Turns = {
      macrotask: () =>
        new Promise<void>((resolve) => {
          macrotaskDone = resolve;
          channel.port2.postMessage(turnMessage);
        }),
      releaseWhenIdle: () => {
        if (releaseAsked || this.activeRuns > 0) return;
        releaseAsked = true;
        channel.port2.postMessage(releaseMessage);
      },
    };
    channel.port1.on('message', (message: number) => {
      if (message === turnMessage) {
        const done = macrotaskDone;
        macrotaskDone = null;
        done?.();
        return;
      }
      releaseAsked = false;
      if (this.activeRuns > 0 || macrotaskDone !== null) return; // a run() started since: it releases when it ends
      channel.port1.close();
      removeRejectionHandler(onUnhandled);
      if (this.turnsValue === turns) this.turnsValue = null;
    });
    this.turnsValue = turns;
    return turns;
  }

  /**
   * Runs events until `promise` settles and returns its outcome. Throws if the simulation records a
   * failure, or runs out of events while the promise is still pending (it can never settle then).
   */
  async runUntilSettled<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.run({ until: () => settled });
    await this.settled();
    if (this.failures.length > 0) throw new Error(`simulation failed: ${this.failures.join('; ')}`);
    if (!settled) throw new Error('simulation ran out of events before the operation settled');
    return promise;
  }

  /** Closes the trace file, if any. */
  close(): void {
    if (this.traceFd !== null) closeSync(this.traceFd);
  }

  makeIo(host: string, owner: Incarnation, diskState: SimDiskState, wallClock: SimWallClock): Io {
    const random = this.random.fork(`node/${host}`).fork(String(this.nodes.find((n) => n.name === host)?.incarnationCount ?? 0));
    const clock = new SimClock(this, owner, wallClock);
    const log = new SimLog(this, host, owner);
    const coverage = this.coverage.forIncarnation();
    owner.coverage = coverage;
    return {
      clock,
      disk: diskState.facade(this.scheduler, owner),
      net: this.network.facade(host, owner),
      random,
      log,
      coverage,
      buggify: this.buggify,
    };
  }
}

/**
 * How often run() takes a real macrotask between two events (the others settle on a tick): an
 * unhandled rejection becomes a failure at most this many events late.
 */
const macrotaskEvery = 32;

const turnMessage = 0;
const releaseMessage = 1;

/** Resolves once every promise continuation queued so far has run (on a tick: see Simulation.turns). */
function tickAfterMicrotasks(resolve: () => void): void {
  queueMicrotask(() => process.nextTick(resolve));
}

interface Turns {
  /** Resolves at the next macrotask. */
  macrotask(): Promise<void>;
  /** Asks to release the channel and the listener at the next macrotask, if no run() is going then. */
  releaseWhenIdle(): void;
}

class SimClock implements Clock {
  constructor(
    private readonly sim: Simulation,
    private readonly owner: EventOwner,
    private readonly wallClock: SimWallClock,
  ) {}
  nowMs(): number {
    return this.sim.scheduler.nowMs();
  }
  wallClockMs(): number {
    return this.wallClock.wallClockMs();
  }
  setTimer(delayMs: number, callback: () => void): Timer {
    return this.sim.scheduler.schedule(Math.max(delayMs, 0), this.owner, callback, 'timer');
  }
}

export type { Random };
