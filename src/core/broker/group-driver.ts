/**
 * Drives the pure GroupCoordinator (src/core/group) with real effects: held JoinGroup/SyncGroup,
 * OffsetCommit, OffsetDelete and DeleteGroups answers are delivered when the coordinator emits them, committed
 * offsets and group deletions are written to the FileOffsetStore (and reported back in order), and
 * tick() runs from one io.clock timer armed at nextTickAtMs().
 *
 * Ordering contract (from the coordinator's GroupEffect): persist-offsets, persist-group-deletions
 * and persist-offset-deletions are written in emission order and offsetsPersisted() is called in that same order, after the write
 * settles; a commit or a deletion is answered only after that.
 */
import { unreachable } from '../assert.ts';
import { GroupCoordinator, type GroupCoordinatorConfig } from '../group/coordinator.ts';
import { FileOffsetStore, type OffsetStore, type OffsetStoreBugs } from '../group/offset-store.ts';
import type * as G from '../group/types.ts';
import type { Io, Log, Timer } from '../io/index.ts';
import { errorText } from './errors.ts';

/** A held answer: the response, or null when the broker stopped before the coordinator answered. */
type HeldResolver = (response: unknown) => void;

export class GroupDriver {
  private readonly held = new Map<G.ReplyToken, HeldResolver>();
  private persistTail: Promise<void> = Promise.resolve();
  private timer: Timer | null = null;
  private timerAtMs: number | null = null;
  private stopped = false;

  private constructor(
    private readonly io: Io,
    readonly coordinator: GroupCoordinator,
    private readonly store: OffsetStore,
    private readonly log: Log,
  ) {}

  /** Loads committed offsets from `<dir>/offsets.log` and starts a coordinator holding them. `bugs` is test-only. */
  static async open(io: Io, dir: string, config: GroupCoordinatorConfig, bugs?: OffsetStoreBugs): Promise<GroupDriver> {
    await io.disk.mkdir(dir);
    const store = new FileOffsetStore(io.disk, dir, { bugs });
    return GroupDriver.withStore(io, store, config, io.log.child({ component: 'groups' }), 'groups');
  }

  /**
   * Loads committed offsets from `store` and starts a coordinator holding them (a cluster broker
   * runs one per offsets partition it leads); `randomName` names its fork of the random source.
   */
  static async withStore(io: Io, store: OffsetStore, config: GroupCoordinatorConfig, log: Log, randomName: string): Promise<GroupDriver> {
    const loaded = await store.load();
    if (loaded.truncatedBytes > 0) log.warn('OffsetsFileTruncated', { bytes: loaded.truncatedBytes, reason: loaded.truncationReason, hint: 'expected after a crash: a torn, unacknowledged tail of the offsets file was cut' });
    log.info('OffsetsLoaded', { offsets: loaded.offsets.length, compacted: loaded.compacted });
    const coordinator = new GroupCoordinator({ random: io.random.fork(randomName), config, log, committed: loaded.offsets });
    return new GroupDriver(io, coordinator, store, log);
  }

  /** Runs a coordinator call that may answer later; resolves with its answer, or null if the broker stopped first. */
  call<R>(fn: (nowMs: number) => G.Reply<R>): Promise<R | null> {
    const reply = fn(this.io.clock.nowMs());
    let result: Promise<R | null>;
    if (reply.kind === 'done') result = Promise.resolve(reply.response);
    else result = new Promise<R | null>((resolve) => this.held.set(reply.token, resolve as HeldResolver));
    this.drain();
    return result;
  }

  /** Runs a coordinator call that answers at once. */
  now<R>(fn: (nowMs: number) => R): R {
    const response = fn(this.io.clock.nowMs());
    this.drain();
    return response;
  }

  private drain(): void {
    for (const effect of this.coordinator.takeEffects()) {
      switch (effect.kind) {
        case 'persist-offsets':
          this.persist(effect.token, () => this.store.append(effect.records), { records: effect.records.length });
          break;
        case 'persist-group-deletions':
          this.persist(effect.token, () => this.store.deleteGroups(effect.groupIds), { groupsDeleted: effect.groupIds.length });
          break;
        case 'persist-offset-deletions':
          this.persist(effect.token, () => this.store.deleteOffsets(effect.groupId, effect.partitions), { offsetsDeleted: effect.partitions.length });
          break;
        case 'reply-join':
        case 'reply-sync':
        case 'reply-commit':
        case 'reply-delete-groups':
        case 'reply-delete-offsets':
          this.answer(effect.token, effect.response);
          break;
        default:
          unreachable(effect);
      }
    }
    this.armTimer();
  }

  private answer(token: G.ReplyToken, response: unknown): void {
    const resolve = this.held.get(token);
    if (resolve === undefined) return;
    this.held.delete(token);
    resolve(response);
  }

  /** Starts `write` at once (appends share fsyncs); reports its outcome to the coordinator in emission order. */
  private persist(token: G.ReplyToken, write: () => Promise<void>, what: Record<string, number>): void {
    const durable = write().then(
      () => true,
      (error: unknown) => {
        this.log.error('OffsetCommitPersistFailed', { ...what, error: errorText(error), hint: 'the commit was answered COORDINATOR_NOT_AVAILABLE and clients retry it; if this repeats, check the disk' });
        return false;
      },
    );
    this.persistTail = this.persistTail
      .then(() => durable)
      .then((ok) => {
        this.coordinator.offsetsPersisted(token, ok);
        this.drain();
      });
  }

  private armTimer(): void {
    if (this.stopped) return;
    const atMs = this.coordinator.nextTickAtMs();
    if (atMs === this.timerAtMs) return;
    this.timer?.cancel();
    this.timer = null;
    this.timerAtMs = atMs;
    if (atMs === null) return;
    this.timer = this.io.clock.setTimer(Math.max(0, atMs - this.io.clock.nowMs()), () => {
      this.timer = null;
      this.timerAtMs = null;
      // A timer may fire a hair before atMs in floating-point time; ticking at atMs makes it count.
      this.coordinator.tick(Math.max(this.io.clock.nowMs(), atMs));
      this.drain();
    });
  }

  /**
   * Graceful stop: held JoinGroup/SyncGroup answers resolve to null (the handlers answer
   * NOT_COORDINATOR, so clients rediscover the coordinator and rejoin), pending commits finish
   * persisting and are answered, the timer stops and the offsets file is closed.
   */
  async stop(): Promise<void> {
    await this.persistTail;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    for (const [token, resolve] of [...this.held]) {
      this.held.delete(token);
      resolve(null);
    }
    await this.store.close();
  }

  get heldCount(): number {
    return this.held.size;
  }
}

export type { GroupCoordinatorConfig };
