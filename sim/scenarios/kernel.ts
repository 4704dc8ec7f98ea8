import { crashWindow, reached, type Io, type Random } from '../../src/core/io/index.ts';
// The same length + CRC-32C framing the Raft transport and log use.
import { frame as frameOf, frameHeaderBytes, unframe } from '../../src/core/raft/codec.ts';
import type { Connection } from '../../src/core/io/network.ts';
import type { DiskDamage, Simulation } from '../../src/io-sim/index.ts';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.ts';
import { announceSwarm, betweenStep, drawKinds, oddsBetween } from '../swarm.ts';

/**
 * The simulator checking itself, before any broker exists: nodes append checksummed records to a
 * journal and fsync them, and send checksummed, numbered frames to each other, while the fault plan
 * crashes nodes (torn writes), partitions links both ways and one way, resets connections mid-frame,
 * fails fsyncs, fills disks, flips bits and slows links. Checkers:
 * - durability: every record whose fsync resolved is read back after any crash (unless a bit flip
 *   was injected on that node and the checksum caught it, or the records lost begin at one a
 *   storage fault destroyed: the journal is a prefix and cuts at the first damaged record); a
 *   recovery that cannot read the journal (a latent sector error) must fail, never start over;
 * - order: on every connection, frames arrive whole, checksummed, numbered 0, 1, 2, ... with no gap;
 * - partition: no frame arrives while its direction is partitioned;
 * - liveness: after the faults stop, every node delivers frames to every other node (within the
 *   seed's `livenessMs`: 1.5 s, longer with a longer connect timeout).
 * What varies from seed to seed (fault kinds, rates, workload shape) is its swarm config.
 */

const port = 7000;
const frameBytesMax = 1 << 20;
const runMs = 4000;

/** Each fault kind and the odds that a seed switches it on (the planted bugs need crashes and partitions). */
const faultOdds = { crash: 0.9, partition: 0.9, reset: 0.7, syncFail: 0.6, diskFull: 0.6, flip: 0.6, slowLink: 0.6, slowDisk: 0.6 } as const;
type FaultKind = keyof typeof faultOdds;
/** The fault kind each of the plan's eight draws stands for. */
const plannedKinds: readonly FaultKind[] = ['crash', 'partition', 'reset', 'syncFail', 'diskFull', 'flip', 'slowLink', 'slowDisk'];
/** The storage faults (drawn last, so every earlier draw of a seed is what it was before them). */
const storageOdds = { latent: 0.4, misdirectWrites: 0.4 } as const;

/** What a seed draws before it runs (swarm testing, sim/swarm.ts), each range centred on the old fixed value. */
export type KernelSwarm = {
  readonly faults: readonly FaultKind[];
  /** A fault every 20..faultGapMsMax ms (60..240; was 150), lasting 20..faultDurationMsMax (100..500; was 300). */
  readonly faultGapMsMax: number;
  readonly faultDurationMsMax: number;
  /** Odds that a partition cuts one way only (0.2..0.8; was 0.5); a slow link's factor (5..40; was 20). */
  readonly oneWayOdds: number;
  readonly slowLinkFactor: number;
  /** A node sends a burst every 1..talkGapMsMax ms (10..20; was 15) of 1..framesMax frames (2..4; was 3) of up to payloadBytesMax padding (100..500; was 300). */
  readonly talkGapMsMax: number;
  readonly framesMax: number;
  readonly payloadBytesMax: number;
  /** A journal write every 2..journalGapMsMax ms (10..30; was 20) of 1..journalBatchMax records (2..6; was 4). */
  readonly journalGapMsMax: number;
  readonly journalBatchMax: number;
  /** Connect timeout (100..300; was 200). */
  readonly connectTimeoutMs: number;
  /** Derived: 1.5 s plus twice what a longer connect timeout adds. */
  readonly livenessMs: number;
  /** A latent sector error on some node's journal every 100..latentSectorGapMsMax ms (500..2000; 0 when off). */
  readonly latentSectorGapMsMax: number;
  /** Odds that a journal write lands misdirected (0.01..0.05; 0 when off). */
  readonly misdirectedWriteOdds: number;
};

/** Draws a seed's swarm config from the fork `swarm` of the run's root source. */
export function kernelSwarm(root: Random): KernelSwarm {
  const random = root.fork('swarm');
  const on = drawKinds(random, faultOdds);
  const connectTimeoutMs = betweenStep(random, 100, 300, 50);
  return {
    faults: plannedKinds.filter((kind) => on.has(kind)),
    faultGapMsMax: betweenStep(random, 60, 240, 10),
    faultDurationMsMax: betweenStep(random, 100, 500, 50),
    oneWayOdds: oddsBetween(random, 0.2, 0.8),
    slowLinkFactor: random.between(5, 40),
    talkGapMsMax: random.between(10, 20),
    framesMax: random.between(2, 4),
    payloadBytesMax: betweenStep(random, 100, 500, 50),
    journalGapMsMax: random.between(10, 30),
    journalBatchMax: random.between(2, 6),
    connectTimeoutMs,
    livenessMs: 1500 + 2 * Math.max(0, connectTimeoutMs - 200),
    ...storageSwarm(random),
  };
}

/** The storage faults' part of the swarm config, drawn after everything else. */
function storageSwarm(random: Random): Pick<KernelSwarm, 'latentSectorGapMsMax' | 'misdirectedWriteOdds'> {
  const on = drawKinds(random, storageOdds);
  const latentSectorGapMsMax = on.has('latent') ? betweenStep(random, 500, 2000, 100) : 0;
  const misdirectedWriteOdds = on.has('misdirectWrites') ? oddsBetween(random, 0.01, 0.05) : 0;
  return { latentSectorGapMsMax, misdirectedWriteOdds };
}

interface Window {
  from: string;
  to: string;
  startMs: number;
  endMs: number;
}

class Checker {
  readonly failures: string[] = [];
  readonly durableSeq = new Map<string, number>();
  readonly flipsPending = new Map<string, number>();
  readonly windows: Window[] = [];
  readonly deliveredAfter = new Map<string, number>();
  counts = { frames: 0, records: 0, crashes: 0, partitions: 0, resets: 0, syncFailures: 0, flips: 0, diskFull: 0, latentSectors: 0, damaged: 0, lostToStorage: 0, recoveriesRefused: 0 };
  /** Per node: the journal's stretches a storage fault destroyed, and the records that were there. */
  private readonly damage = new Map<string, Array<{ start: number; end: number }>>();
  private readonly touched = new Map<string, Set<number>>();

  constructor(private readonly sim: Simulation) {}

  /** A storage fault destroyed a stretch of a node's journal: note it and the records it held (found on the intended twin). */
  noteDamage(node: string, path: string, damage: DiskDamage): void {
    if (path !== journalPath) return;
    this.counts.damaged++;
    this.damage.set(node, [...(this.damage.get(node) ?? []), { start: damage.start, end: damage.end }]);
    const touched = this.touched.get(node) ?? new Set<number>();
    const bytes = this.sim.node(node).diskState.pristineRead(path) ?? new Uint8Array(0);
    for (let at = 0; ; ) {
      const next = unframe(bytes, at, frameBytesMax);
      if (next.kind !== 'ok') break;
      if (at < damage.end && damage.start < next.next) touched.add(Number(decoder.decode(next.body)));
      at = next.next;
    }
    this.touched.set(node, touched);
  }

  /** Whether a storage fault destroyed anything of the node's journal at or after `from`. */
  damagedFrom(node: string, from: number): boolean {
    return (this.damage.get(node) ?? []).some((d) => d.end > from);
  }

  /** A recovery could not read the journal: right only while a sector of it is unreadable (EIO). */
  recoveryRefused(node: string, error: unknown): void {
    this.counts.recoveriesRefused++;
    const unreadable = this.sim.node(node).diskState.latentSectors(journalPath).length > 0;
    if (!(unreadable && String(error).includes('EIO'))) this.fail(`${node}: journal recovery failed with no unreadable sector: ${String(error)}`);
  }

  fail(message: string): void {
    if (this.failures.length < 20) this.failures.push(`t=${this.sim.nowMs().toFixed(3)} ${message}`);
  }

  durable(node: string, seq: number): void {
    this.durableSeq.set(node, Math.max(this.durableSeq.get(node) ?? -1, seq));
    this.counts.records++;
  }

  recovered(node: string, lastSeq: number, corrupt: boolean, cut: number, options: { recount?: boolean } = {}): void {
    const expected = this.durableSeq.get(node) ?? -1;
    const flipped = (this.flipsPending.get(node) ?? 0) > 0;
    // The journal keeps a prefix: a loss is the disk's doing only when it begins at a record a
    // storage fault destroyed (and what follows that record goes with it).
    const destroyed = this.touched.get(node)?.has(lastSeq + 1) === true;
    if (lastSeq < expected && !flipped && !destroyed) {
      this.fail(`${node}: fsynced records up to #${expected} but only #${lastSeq} survived (corrupt=${corrupt})`);
    }
    if (lastSeq < expected && destroyed) this.counts.lostToStorage += expected - lastSeq;
    if (corrupt && !flipped && !this.damagedFrom(node, cut)) this.fail(`${node}: checksum failure in the journal with no bit flip or storage fault injected`);
    // A recount (after ENOSPC, no crash) may keep whole records no fsync covered yet: not durable.
    this.durableSeq.set(node, options.recount === true ? Math.min(expected, lastSeq) : lastSeq);
  }

  /**
   * The recovery's truncation at `cut` is durable: any flipped bit, and any storage fault's damage,
   * after it is gone for good, and the record numbers after `lastSeq` will be used again.
   */
  recoveryDurable(node: string, flipsBefore: number, cut: number, lastSeq: number): void {
    this.flipsPending.set(node, Math.max((this.flipsPending.get(node) ?? 0) - flipsBefore, 0));
    this.damage.set(node, (this.damage.get(node) ?? []).filter((d) => d.start < cut).map((d) => ({ start: d.start, end: Math.min(d.end, cut) })));
    this.touched.set(node, new Set([...(this.touched.get(node) ?? [])].filter((seq) => seq <= lastSeq)));
  }

  frame(from: string, to: string, atMs: number): void {
    this.counts.frames++;
    for (const w of this.windows) {
      if (w.from === from && w.to === to && atMs >= w.startMs && atMs < w.endMs) {
        this.fail(`frame ${from}->${to} delivered at ${atMs.toFixed(3)} inside partition [${w.startMs.toFixed(3)}, ${w.endMs.toFixed(3)})`);
      }
    }
    this.deliveredAfter.set(`${from}>${to}`, atMs);
  }
}

// ---- the node program ------------------------------------------------------------------------------

/**
 * Splits complete frames off `buffer`; returns the frames, the rest, and whether a checksum failed
 * in the middle: a bad frame with a whole frame after it. A bad frame with none after it is a torn
 * tail, also when its length survived and its bytes read as zeros.
 */
function parseFrames(buffer: Uint8Array): { payloads: Uint8Array[]; rest: Uint8Array; bad: boolean } {
  const payloads: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const next = unframe(buffer, at, frameBytesMax);
    if (next.kind !== 'ok') return { payloads, rest: buffer.subarray(at), bad: next.kind === 'corrupt' && wholeFrameAfter(buffer, at) };
    payloads.push(next.body);
    at = next.next;
  }
}

function wholeFrameAfter(buffer: Uint8Array, at: number): boolean {
  for (let p = at + 1; p < buffer.length; p++) if (unframe(buffer, p, frameBytesMax).kind === 'ok') return true;
  return false;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const journalPath = 'journal/records';

/**
 * The journal's records up to the first bad frame, or the first whole frame with another record's
 * number (a misdirected write put it there: anywhere the disk destroyed nothing, that is the disk's
 * bug), and where to cut. `bad`: a checksum failed with a whole frame after it.
 */
function scanJournal(bytes: Uint8Array, name: string, checker: Checker): { lastSeq: number; cut: number; corrupt: boolean; bad: boolean } {
  const { payloads, rest, bad } = parseFrames(bytes);
  let lastSeq = -1;
  let cut = 0;
  for (const p of payloads) {
    const seq = Number(decoder.decode(p));
    if (seq !== lastSeq + 1) {
      if (!checker.damagedFrom(name, cut)) checker.fail(`${name}: journal out of order: #${seq} after #${lastSeq}`);
      return { lastSeq, cut, corrupt: true, bad };
    }
    lastSeq = seq;
    cut += frameHeaderBytes + p.length;
  }
  return { lastSeq, cut: bytes.length - rest.length, corrupt: bad, bad };
}

async function recoverJournal(io: Io, name: string, checker: Checker, swarm: KernelSwarm): Promise<number> {
  await io.disk.mkdir('journal');
  const file = await io.disk.open(journalPath, { create: true });
  await io.disk.syncDir('journal');
  // Only the flips injected before the read can be seen (and cut) by this recovery; one injected
  // while it runs stays pending for the next.
  const flipsBefore = checker.flipsPending.get(name) ?? 0;
  let bytes: Uint8Array;
  try {
    bytes = await file.read(0, file.size());
  } catch (error) {
    // An unreadable sector: the journal refuses to start (it must never start over, or cut what it
    // cannot read); a later restart meets the same sector.
    reached(io, 'kernel.journal-unreadable-sector-refused');
    checker.recoveryRefused(name, error);
    throw error;
  }
  const { lastSeq, cut, corrupt, bad } = scanJournal(bytes, name, checker);
  if (cut < bytes.length) reached(io, 'kernel.journal-torn-tail-cut');
  if (bad) reached(io, 'kernel.journal-bit-flip-caught');
  if (checker.damagedFrom(name, cut) && cut < bytes.length) reached(io, 'kernel.journal-cut-at-storage-damage');
  io.log.info('JournalRecovered', { records: lastSeq + 1, bytesCut: bytes.length - cut, corrupt });
  checker.recovered(name, lastSeq, corrupt, cut);
  await file.truncate(cut);
  await file.sync();
  checker.recoveryDurable(name, flipsBefore, cut, lastSeq);
  await journalLoop(io, file, lastSeq + 1, name, checker, swarm);
  return lastSeq;
}

async function journalLoop(io: Io, file: Awaited<ReturnType<Io['disk']['open']>>, seqFirst: number, name: string, checker: Checker, swarm: KernelSwarm): Promise<void> {
  let seq = seqFirst;
  const step = async (): Promise<void> => {
    const batch = io.random.between(1, swarm.journalBatchMax);
    const first = seq;
    try {
      for (let i = 0; i < batch; i++) await file.append(frameOf(encoder.encode(String(seq + i))));
      seq += batch;
      const leave = crashWindow(io, 'kernel.crash-during-journal-fsync');
      try {
        await file.sync();
      } finally {
        leave();
      }
      checker.durable(name, seq - 1);
    } catch (error) {
      reached(io, String(error).includes('EIO') ? 'kernel.journal-fsync-failed' : 'kernel.journal-disk-full');
      io.log.warn('JournalWriteFailed', { error: String(error), seqFirst: first });
      // ENOSPC stores nothing; EIO leaves the bytes' fate unknown: stop writing until restarted.
      if (String(error).includes('EIO')) return;
      try {
        seq = await recountJournal(file, name, checker);
      } catch (recountError) {
        // The recount could not read the journal (an unreadable sector): stop until restarted.
        io.log.warn('JournalWriteFailed', { error: String(recountError), seqFirst: first });
        return;
      }
    }
    io.clock.setTimer(io.random.between(2, swarm.journalGapMsMax), () => void step());
  };
  io.clock.setTimer(io.random.between(1, 10), () => void step());
}

/** After a failed append, the next record number is what the file holds whole. */
async function recountJournal(file: Awaited<ReturnType<Io['disk']['open']>>, name: string, checker: Checker): Promise<number> {
  const bytes = await file.read(0, file.size());
  const { lastSeq, cut, corrupt } = scanJournal(bytes, name, checker);
  // The cut drops records as a recovery's does: held to the same rule (without the flips' credit).
  checker.recovered(name, lastSeq, corrupt, cut, { recount: true });
  await file.truncate(cut);
  // Synced before writing on, and before the checker forgets the damage past the cut: a crash
  // could undo an unsynced cut and bring that damage back (seed 20111).
  await file.sync();
  checker.recoveryDurable(name, 0, cut, lastSeq);
  return lastSeq + 1;
}

function serve(io: Io, name: string, checker: Checker, now: () => number): Promise<unknown> {
  return io.net.listen(name, port, (conn: Connection) => {
    let buffer: Uint8Array = new Uint8Array(0);
    let expected = 0;
    let from = '?';
    conn.setHandlers({
      onData(chunk) {
        const parsed = parseFrames(concat(buffer, chunk));
        if (parsed.bad) {
          checker.fail(`${name}: corrupt frame on ${conn.id}`);
          conn.destroy();
          return;
        }
        buffer = parsed.rest;
        for (const p of parsed.payloads) {
          const [sender, seqText] = decoder.decode(p).split(' ');
          from = sender!;
          if (Number(seqText) !== expected) checker.fail(`${name}: on ${conn.id} frame #${seqText} arrived, expected #${expected}`);
          expected = Number(seqText) + 1;
          checker.frame(from, name, now());
        }
      },
      onClose() {},
    });
  });
}

function talk(io: Io, name: string, peers: string[], swarm: KernelSwarm): void {
  const open = new Map<string, { conn: Connection; next: number }>();
  const step = async (): Promise<void> => {
    const peer = peers[io.random.int(peers.length)]!;
    let link = open.get(peer);
    if (link === undefined) {
      try {
        const conn = await io.net.connect(peer, port, { timeoutMs: swarm.connectTimeoutMs });
        link = { conn, next: 0 };
        open.set(peer, link);
        const mine = link;
        conn.setHandlers({ onData() {}, onClose: () => open.get(peer) === mine && open.delete(peer) });
      } catch {
        link = undefined;
      }
    }
    if (link !== undefined) {
      const count = io.random.between(1, swarm.framesMax);
      for (let i = 0; i < count; i++) link.conn.write(frameOf(encoder.encode(`${name} ${link.next++} ${'x'.repeat(io.random.int(swarm.payloadBytesMax))}`)));
    }
    io.clock.setTimer(io.random.between(1, swarm.talkGapMsMax), () => void step());
  };
  io.clock.setTimer(io.random.between(1, 10), () => void step());
}

// ---- the fault plan ----------------------------------------------------------------------------------

/** A fault every 20..faultGapMsMax ms; a kind the seed switched off is drawn and then skipped. */
function planFaults(sim: Simulation, names: string[], checker: Checker, swarm: KernelSwarm): void {
  const random = sim.random.fork('faults');
  let atMs = 0;
  while (atMs < runMs) {
    atMs += random.between(20, swarm.faultGapMsMax);
    const kind = random.int(8);
    const node = names[random.int(names.length)]!;
    const other = names.filter((n) => n !== node)[random.int(names.length - 1)] ?? node;
    const durationMs = random.between(20, swarm.faultDurationMsMax);
    if (!swarm.faults.includes(plannedKinds[kind]!)) continue;
    sim.schedule(atMs, () => injectFault(sim, kind, node, other, durationMs, random.chance(swarm.oneWayOdds), checker, swarm.slowLinkFactor));
  }
}

function injectFault(sim: Simulation, kind: number, node: string, other: string, durationMs: number, oneWay: boolean, checker: Checker, slowFactor: number): void {
  const target = sim.node(node);
  switch (kind) {
    case 0:
      if (!target.isUp) return;
      checker.counts.crashes++;
      target.crash();
      sim.schedule(durationMs, () => target.isUp || target.restart());
      return;
    case 1: {
      if (other === node) return;
      checker.counts.partitions++;
      const startMs = sim.nowMs();
      sim.network.partition(node, other, { oneWay });
      const windows = [{ from: node, to: other, startMs, endMs: Infinity }];
      if (!oneWay) windows.push({ from: other, to: node, startMs, endMs: Infinity });
      checker.windows.push(...windows);
      sim.schedule(durationMs, () => {
        sim.network.heal();
        for (const w of checker.windows) if (w.endMs === Infinity) w.endMs = sim.nowMs();
      });
      return;
    }
    case 2:
      if (sim.network.resetRandomConnection() !== null) checker.counts.resets++;
      return;
    case 3:
      checker.counts.syncFailures++;
      target.disk.faults.failNextSync();
      sim.schedule(durationMs, () => target.isUp && target.restart());
      return;
    case 4:
      checker.counts.diskFull++;
      target.disk.faults.setFull(true);
      sim.schedule(durationMs, () => target.disk.faults.setFull(false));
      return;
    case 5:
      if (target.diskState.faults.corruptRandomByte() !== null) {
        checker.counts.flips++;
        checker.flipsPending.set(node, (checker.flipsPending.get(node) ?? 0) + 1);
      }
      return;
    case 6:
      sim.network.setSlow(node, other, slowFactor);
      sim.schedule(durationMs, () => sim.network.setSlow(node, other, 1));
      return;
    default:
      target.disk.faults.latency.syncMsMax = 30;
      sim.schedule(durationMs, () => void (target.disk.faults.latency.syncMsMax = 3));
  }
}

/**
 * The storage faults, from their own stream (so the fault plan's draws are unchanged): misdirected
 * journal writes on every node with the seed's odds, and a latent sector error on some node's
 * journal every 100..latentSectorGapMsMax ms (the disk draws where).
 */
function planStorageFaults(sim: Simulation, names: string[], checker: Checker, swarm: KernelSwarm): void {
  if (swarm.latentSectorGapMsMax === 0 && swarm.misdirectedWriteOdds === 0) return;
  for (const name of names) {
    const disk = sim.node(name).diskState;
    disk.onDamage = (path, damage) => checker.noteDamage(name, path, damage);
    if (swarm.misdirectedWriteOdds > 0) disk.faults.setMisdirectionOdds({ writes: swarm.misdirectedWriteOdds, reads: 0 });
  }
  if (swarm.latentSectorGapMsMax === 0) return;
  const random = sim.random.fork('storage-faults');
  for (let atMs = random.between(100, swarm.latentSectorGapMsMax); atMs < runMs; atMs += random.between(100, swarm.latentSectorGapMsMax)) {
    const node = names[random.int(names.length)]!;
    sim.schedule(atMs, () => {
      if (sim.node(node).disk.faults.plantLatentSectorError() !== null) checker.counts.latentSectors++;
    });
  }
}

async function run(sim: Simulation, options: ScenarioOptions): Promise<ScenarioResult> {
  const swarm = announceSwarm(sim, kernelSwarm(sim.random));
  const { livenessMs } = swarm;
  const checker = new Checker(sim);
  const names = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
  for (const name of names) {
    sim.addNode(name, async (io) => {
      await serve(io, name, checker, () => sim.nowMs());
      talk(io, name, names.filter((n) => n !== name), swarm);
      void recoverJournal(io, name, checker, swarm).catch((error: unknown) => io.log.warn('JournalRecoveryFailed', { error: String(error) }));
    });
  }
  planFaults(sim, names, checker, swarm);
  planStorageFaults(sim, names, checker, swarm);
  await sim.run({ untilMs: runMs });
  // Liveness: faults stop, everything heals and restarts; every pair must exchange frames again.
  for (const name of names) sim.node(name).disk.faults.setMisdirectionOdds({ writes: 0, reads: 0 });
  sim.network.heal();
  for (const w of checker.windows) if (w.endMs === Infinity) w.endMs = sim.nowMs();
  for (const name of names) {
    const node = sim.node(name);
    node.disk.faults.setFull(false);
    node.restart();
  }
  const healedMs = sim.nowMs();
  await sim.run({ untilMs: healedMs + livenessMs });
  for (const from of names) {
    for (const to of names) {
      if (from !== to && (checker.deliveredAfter.get(`${from}>${to}`) ?? -1) < healedMs) {
        checker.fail(`liveness: no frame ${from}->${to} in the ${livenessMs} ms after faults stopped`);
      }
    }
  }
  for (const name of names) {
    const did = sim.node(name).diskState.storageCounts;
    if (did.latentReadErrors > 0) sim.coverage.reached('sim.latent-sector-read-failed');
    if (did.misdirectedWrites > 0) sim.coverage.reached('sim.write-misdirected');
  }
  const failures = [...sim.failed, ...checker.failures];
  return { ok: failures.length === 0, failures, summary: { ...checker.counts }, swarm };
}

/**
 * The rare states every sweep of `npm test`'s size (50 seeds) must reach (docs/simulator.md): the
 * journal meets each of its faults, and a crash lands inside an fsync.
 */
const coverageTargets = [
  'kernel.crash-during-journal-fsync',
  'kernel.journal-bit-flip-caught',
  'kernel.journal-disk-full',
  'kernel.journal-fsync-failed',
  'kernel.journal-torn-tail-cut',
  'sim.crash-tore-a-write',
  // The storage faults: a recovery refused on an unreadable sector, and one that cut at a stretch
  // a storage fault destroyed.
  'kernel.journal-unreadable-sector-refused',
  'kernel.journal-cut-at-storage-damage',
  'sim.latent-sector-read-failed',
  'sim.write-misdirected',
];

export const scenario: Scenario = {
  name: 'kernel',
  description: 'simulator self-check: checksummed journals and frames under crashes, torn writes, partitions, resets, fsync failures, full disks, bit flips, latent sector errors, misdirected writes',
  defaultNodes: 3,
  nodesMin: 2, // frames flow between nodes: one node has nobody to talk to
  nodesMax: 9,
  coverageGoal: () => ({ targets: coverageTargets, seedsMin: 50 }),
  run,
};
