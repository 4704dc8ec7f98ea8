/**
 * A table-driven in-memory network for Raft unit tests, in the style of etcd's raft_test.go:
 * messages are delivered synchronously until none are left, with `drop`, `cut`, `isolate`,
 * `ignore` and `recover`. Each node's Ready is handled at once (persist to memory, send, apply,
 * advance), so tests read like the protocol's message diagrams. Test-only: never used by the node.
 */
import { assert } from '../core/assert.ts';
import { SeededRandom } from '../core/io/seeded-random.ts';
import type { RaftTestHooks } from '../core/raft/raft.ts';
import { Raft } from '../core/raft/raft.ts';
import type { Entry, HardState, Message, MessageType, NodeId, Ready, Snapshot } from '../core/raft/types.ts';
import { emptyHardState } from '../core/raft/types.ts';

/** What survives a restart: the fsynced state of one node. */
export class MemoryStorage {
  hardState: HardState = emptyHardState;
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  persist(rd: Ready): void {
    if (rd.snapshot !== null) {
      this.snapshot = rd.snapshot;
      this.entries = [];
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      const base = this.snapshot?.meta.index ?? 0;
      this.entries.length = Math.max(0, first.index - base - 1);
      this.entries.push(...rd.entries);
    }
    if (rd.hardState !== null) this.hardState = rd.hardState;
  }

  compact(snapshot: Snapshot): void {
    const base = this.snapshot?.meta.index ?? 0;
    this.entries = this.entries.slice(snapshot.meta.index - base);
    this.snapshot = snapshot;
  }
}

export interface TestNetworkOptions {
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly seed?: string;
  readonly inflightMax?: number;
  readonly hooks?: (id: NodeId) => RaftTestHooks | undefined;
  /** Called with every Ready right after it is taken (e.g. a RaftSafetyChecker). */
  readonly observe?: (raft: Raft, rd: Ready) => void;
  readonly onRestart?: (id: NodeId, appliedIndex: number) => void;
  readonly onBecameLeader?: (raft: Raft) => void;
}

export class TestNetwork {
  readonly nodes = new Map<NodeId, Raft>();
  readonly storage = new Map<NodeId, MemoryStorage>();
  /** Data entries each node applied, in order (restored snapshots appear as one 'snapshot' marker). */
  readonly applied = new Map<NodeId, string[]>();
  readonly sent: Message[] = [];
  private readonly down = new Set<NodeId>();
  private readonly dropRates = new Map<string, number>();
  private readonly ignored = new Set<MessageType>();
  private readonly random: SeededRandom;
  private readonly queue: Message[] = [];

  constructor(
    readonly ids: readonly NodeId[],
    private readonly options: TestNetworkOptions = {},
  ) {
    this.random = new SeededRandom(options.seed ?? 'test-network');
    for (const id of ids) {
      this.storage.set(id, new MemoryStorage());
      this.applied.set(id, []);
      this.start(id);
    }
  }

  node(id: NodeId): Raft {
    const raft = this.nodes.get(id);
    assert(raft !== undefined, `node ${id} exists`);
    return raft;
  }

  /** (Re)builds a node from its MemoryStorage, like a process restart. */
  start(id: NodeId): Raft {
    const store = this.storage.get(id);
    assert(store !== undefined, 'storage');
    const raft = new Raft(
      {
        id,
        voters: this.ids,
        electionTicks: this.options.electionTicks ?? 10,
        heartbeatTicks: this.options.heartbeatTicks ?? 1,
        preVote: this.options.preVote ?? false,
        checkQuorum: this.options.checkQuorum ?? false,
        random: this.random.fork(`node-${id}`),
        inflightMax: this.options.inflightMax,
        testHooks: this.options.hooks?.(id),
        onBecameLeader: this.options.onBecameLeader,
      },
      { hardState: store.hardState, snapshot: store.snapshot, entries: [...store.entries] },
    );
    this.nodes.set(id, raft);
    this.applied.set(id, []);
    this.options.onRestart?.(id, raft.log.applied);
    this.down.delete(id);
    return raft;
  }

  /** Crash: the node stops receiving; its storage keeps what was persisted. */
  crash(id: NodeId): void {
    this.down.add(id);
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.flush();
  }

  propose(id: NodeId, text: string): void {
    this.node(id).propose(new TextEncoder().encode(text));
    this.flush();
  }

  tick(id: NodeId, count = 1): void {
    for (let i = 0; i < count; i++) {
      this.node(id).tick();
      this.flush();
    }
  }

  /** Ticks every live node once per round. */
  tickAll(rounds: number): void {
    for (let r = 0; r < rounds; r++) {
      for (const id of this.ids) if (!this.down.has(id)) this.node(id).tick();
      this.flush();
    }
  }

  send(...messages: Message[]): void {
    this.queue.push(...messages);
    this.flush();
  }

  /** Handles every node's Ready and delivers messages until the network is quiet. */
  flush(): void {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      for (const id of this.ids) if (!this.down.has(id)) this.handleReady(id);
      const m = this.queue.shift();
      if (m === undefined) return;
      if (this.delivered(m)) this.node(m.to).step(m);
    }
    assert(false, 'network did not settle');
  }

  drop(from: NodeId, to: NodeId, rate: number): void {
    this.dropRates.set(`${from}->${to}`, rate);
  }

  cut(a: NodeId, b: NodeId): void {
    this.drop(a, b, 1);
    this.drop(b, a, 1);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  ignore(type: MessageType): void {
    this.ignored.add(type);
  }

  recover(): void {
    this.dropRates.clear();
    this.ignored.clear();
  }

  leaders(): NodeId[] {
    return this.ids.filter((id) => !this.down.has(id) && this.node(id).role === 'leader');
  }

  private delivered(m: Message): boolean {
    if (this.down.has(m.to) || this.ignored.has(m.type)) return false;
    const rate = this.dropRates.get(`${m.from}->${m.to}`) ?? 0;
    return rate === 0 || !this.random.chance(rate);
  }

  private handleReady(id: NodeId): void {
    const raft = this.node(id);
    while (raft.hasReady()) {
      const rd = raft.ready();
      this.options.observe?.(raft, rd);
      this.storage.get(id)?.persist(rd);
      this.sent.push(...rd.messages);
      this.queue.push(...rd.messages);
      const applied = this.applied.get(id);
      if (rd.snapshot !== null) applied?.push(`snapshot@${rd.snapshot.meta.index}`);
      for (const e of rd.committedEntries) if (e.type === 'data') applied?.push(new TextDecoder().decode(e.data));
      raft.advance(rd);
    }
  }
}

/** Builds an entry list from terms, e.g. termsToEntries([1,1,2]) -> indexes 1..3. */
export function termsToEntries(terms: readonly number[], startIndex = 1): Entry[] {
  return terms.map((term, k) => ({ term, index: startIndex + k, type: 'data' as const, data: new TextEncoder().encode(`t${term}i${startIndex + k}`) }));
}
