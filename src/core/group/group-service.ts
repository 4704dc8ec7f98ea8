/**
 * The thin driver that wires the pure GroupCoordinator to the I/O seam: promises for held answers,
 * offset persistence through an OffsetStore (fsync before a commit is answered), and one timer on
 * io.clock armed at the coordinator's nextTickAtMs(). A broker's request handlers call this; tests of
 * the state machine itself use GroupCoordinator directly.
 */
import { assert } from '../assert.ts';
import type { Timer } from '../io/clock.ts';
import type { Io } from '../io/index.ts';
import { GroupCoordinator, type GroupCoordinatorConfig, type GroupSnapshot } from './coordinator.ts';
import { FileOffsetStore, type OffsetStore, type OffsetStoreLoad } from './offset-store.ts';
import type {
  DescribedGroup,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListedGroup,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  Reply,
  ReplyToken,
  SyncGroupRequest,
  SyncGroupResponse,
} from './types.ts';

export interface GroupServiceOptions {
  /** Directory of the offsets file (ignored when `store` is given). */
  readonly dir: string;
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** Defaults to a FileOffsetStore in `dir` on io.disk. */
  readonly store?: OffsetStore;
}

/** Held requests are rejected with this when the service stops; the broker closes their connections. */
export class GroupServiceStoppedError extends Error {
  override name = 'GroupServiceStoppedError';
}

interface Waiter {
  resolve(response: unknown): void;
  reject(error: unknown): void;
}

export class GroupService {
  private readonly waiters = new Map<ReplyToken, Waiter>();
  /** Offset persists in the order the coordinator emitted them; completed strictly in that order. */
  private readonly persists: { token: ReplyToken; outcome: boolean | null }[] = [];
  private timer: Timer | null = null;
  private timerAtMs: number | null = null;
  private stopped = false;

  private constructor(
    private readonly io: Io,
    private readonly store: OffsetStore,
    readonly coordinator: GroupCoordinator,
    readonly loaded: OffsetStoreLoad,
  ) {}

  /** Loads committed offsets (cutting a torn tail, compacting if due) and starts the coordinator. */
  static async open(io: Io, options: GroupServiceOptions): Promise<GroupService> {
    const store = options.store ?? new FileOffsetStore(io.disk, options.dir);
    const loaded = await store.load();
    io.log.info('GroupOffsetsLoaded', {
      offsets: loaded.offsets.length,
      truncatedBytes: loaded.truncatedBytes,
      truncationReason: loaded.truncationReason,
      compacted: loaded.compacted,
    });
    const coordinator = new GroupCoordinator({
      random: io.random.fork('group-member-ids'),
      config: options.config,
      log: io.log.child({ subsystem: 'groups' }),
      committed: loaded.offsets,
    });
    return new GroupService(io, store, coordinator, loaded);
  }

  join(req: JoinGroupRequest): Promise<JoinGroupResponse> {
    return this.await(this.coordinator.join(req, this.io.clock.nowMs()));
  }

  sync(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    return this.await(this.coordinator.sync(req, this.io.clock.nowMs()));
  }

  heartbeat(req: HeartbeatRequest): HeartbeatResponse {
    const response = this.coordinator.heartbeat(req, this.io.clock.nowMs());
    this.pump();
    return response;
  }

  leave(req: LeaveGroupRequest): LeaveGroupResponse {
    const response = this.coordinator.leave(req, this.io.clock.nowMs());
    this.pump();
    return response;
  }

  commitOffsets(req: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    return this.await(this.coordinator.commitOffsets(req, this.io.clock.nowMs(), this.io.clock.wallClockMs()));
  }

  fetchOffsets(req: OffsetFetchRequest): OffsetFetchResponse {
    return this.coordinator.fetchOffsets(req);
  }

  describe(groupIds: readonly string[]): DescribedGroup[] {
    return this.coordinator.describe(groupIds);
  }

  list(statesFilter?: readonly string[]): ListedGroup[] {
    return this.coordinator.list(statesFilter);
  }

  groupSnapshot(groupId: string): GroupSnapshot | null {
    return this.coordinator.groupSnapshot(groupId);
  }

  /** Stops the timer, rejects held requests, waits for queued offset writes, closes the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    const error = new GroupServiceStoppedError('group coordinator stopped');
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
    await this.store.close();
  }

  private await<R>(reply: Reply<R>): Promise<R> {
    if (reply.kind === 'done') {
      this.pump();
      return Promise.resolve(reply.response);
    }
    if (this.stopped) return Promise.reject(new GroupServiceStoppedError('group coordinator stopped'));
    const answer = new Promise<R>((resolve, reject) => {
      this.waiters.set(reply.token, { resolve: resolve as (response: unknown) => void, reject });
    });
    this.pump();
    return answer;
  }

  /** Carries out the coordinator's effects, then re-arms the timer. */
  private pump(): void {
    for (const effect of this.coordinator.takeEffects()) {
      switch (effect.kind) {
        case 'reply-join':
        case 'reply-sync':
        case 'reply-commit': {
          const waiter = this.waiters.get(effect.token);
          this.waiters.delete(effect.token);
          waiter?.resolve(effect.response);
          break;
        }
        case 'persist-offsets':
          this.persist(effect.token, effect.records);
          break;
      }
    }
    this.rearm();
  }

  private persist(token: ReplyToken, records: Parameters<OffsetStore['append']>[0]): void {
    const entry: { token: ReplyToken; outcome: boolean | null } = { token, outcome: null };
    this.persists.push(entry);
    const settle = (ok: boolean) => {
      if (this.stopped) return;
      entry.outcome = ok;
      while (this.persists.length > 0 && this.persists[0]!.outcome !== null) {
        const done = this.persists.shift()!;
        this.coordinator.offsetsPersisted(done.token, done.outcome === true);
      }
      this.pump();
    };
    this.store.append(records).then(
      () => settle(true),
      (error: unknown) => {
        this.io.log.warn('GroupOffsetsPersistFailed', { error: error instanceof Error ? error.message : String(error) });
        settle(false);
      },
    );
  }

  private rearm(): void {
    if (this.stopped) return;
    const atMs = this.coordinator.nextTickAtMs();
    if (atMs === this.timerAtMs) return;
    this.timer?.cancel();
    this.timer = null;
    this.timerAtMs = atMs;
    if (atMs === null) return;
    const delayMs = Math.max(0, atMs - this.io.clock.nowMs());
    this.timer = this.io.clock.setTimer(delayMs, () => {
      assert(!this.stopped, 'timer cancelled on stop');
      this.timer = null;
      this.timerAtMs = null;
      // The timer was due at atMs; float rounding of now + delay must not make the tick a no-op.
      this.coordinator.tick(Math.max(this.io.clock.nowMs(), atMs));
      this.pump();
    });
  }
}
