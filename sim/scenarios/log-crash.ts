import type { Io, Random } from '../../src/core/io/index.ts';
import { LogError } from '../../src/core/log/errors.ts';
import { PartitionLog, defaultPartitionLogConfig, type PartitionLogBugs } from '../../src/core/log/partition-log.ts';
import { batchHeaderBytes, checkBatch, encodeRecordBatch, readBatchHeader } from '../../src/core/log/record-batch.ts';
import type { PartitionLogConfig } from '../../src/core/log/types.ts';
import type { DiskDamage, SimNode, Simulation } from '../../src/io-sim/index.ts';
import type { Scenario, ScenarioResult } from '../scenario.ts';
import { announceSwarm, betweenStep, drawKinds, oddsBetween } from '../swarm.ts';

/**
 * One partition log on one node, under appends (many in flight), crashes with torn writes,
 * graceful stops, failed fsyncs and a full disk. After every restart the whole log is read back and
 * checked:
 * (a) every append acknowledged as durable is there, at the offsets it was given, byte for byte;
 * (b) offsets are dense and increasing from logStartOffset, and acknowledgements arrive in offset order;
 * (c) every batch served is whole, passes its CRC, and is one that some append sent (no phantom or
 *     duplicate batches; appends rejected with DISK_FULL never appear);
 * (d) a graceful stop settles every accepted append, and after it nothing accepted is missing.
 * Storage faults (TigerBeetle's model, in some seeds): latent sector errors planted at crashes and
 * stops, misdirected writes and reads. The disk reports every stretch they destroy; the scenario
 * maps it, on the intended twin of the file, to the batches that were there (`touched`). Then:
 * a touched acknowledged batch may be missing or unreadable; an untouched one may be unreadable
 * (a read answers CORRUPT_RECORD or IO_ERROR, never wrong bytes) only in a segment the faults hit,
 * and never silently missing; an open may fail with IO_ERROR only while a sector of the log is
 * unreadable (the log failed safe: the run ends there).
 * The same workload runs as the fast-check property in src/core/log/partition-log.prop.test.ts.
 */

export type LogStep =
  | { readonly kind: 'append'; readonly count: number; readonly records: number; readonly valueBytes: number; readonly waitMs: number }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'crash' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'failSync' }
  | { readonly kind: 'diskFull'; readonly ms: number };

export interface LogPlan {
  readonly config: PartitionLogConfig;
  readonly steps: readonly LogStep[];
  readonly bugs?: PartitionLogBugs;
  /** What the seed drew before its steps (sim/swarm.ts); absent in hand-written plans. */
  readonly swarm?: LogCrashSwarm;
}

/** Each fault step's kind and the odds that a seed switches it on (the planted bugs need crashes and stops). */
const faultOdds = { crash: 0.9, stop: 0.85, failSync: 0.6, diskFull: 0.6 } as const;
type FaultKind = keyof typeof faultOdds;
/** The storage faults (drawn last, so every earlier draw of a seed is what it was before them). */
const storageOdds = { latent: 0.25, misdirectWrites: 0.3, misdirectReads: 0.3 } as const;

/**
 * What a seed draws before its plan (swarm testing, sim/swarm.ts), from the fork `swarm` of the plan's
 * source. Each range is centred on the old fixed value.
 */
export type LogCrashSwarm = {
  /** Fault steps on; a step of a kind that is off is never planned. */
  readonly faults: readonly FaultKind[];
  /** Weight of each fault kind among the steps, over appends 55 and waits 10 (0.5..2 times the old 15, 8, 6, 6). */
  readonly faultWeightScale: number;
  /** An append step sends 1..appendsMax batches (4..12; was 8) of 1..recordsMax records (3..7; was 5) of up to valueBytesMax bytes (100..500; was 300), then waits 0..waitMsMax (4..12; was 8). */
  readonly appendsMax: number;
  readonly recordsMax: number;
  readonly valueBytesMax: number;
  readonly waitMsMax: number;
  /** Odds of interval flushing rather than per-append fsyncs (0.1..0.5; was 0.3). */
  readonly intervalFlushOdds: number;
  /** Odds that a crash or stop plants a latent sector error before the restart (0.05..0.3; 0 when off). */
  readonly latentSectorOdds: number;
  /** Odds that a write lands misdirected (0.02..0.1; 0 when off). */
  readonly misdirectedWriteOdds: number;
  /** Odds that a read is served from the wrong place (0.01..0.05; 0 when off). */
  readonly misdirectedReadOdds: number;
};

/** Draws the plan's swarm config from the fork `swarm` of `random` (the plan's source). */
export function logCrashSwarm(planRandom: Random): LogCrashSwarm {
  const random = planRandom.fork('swarm');
  const on = drawKinds(random, faultOdds);
  return {
    faults: (Object.keys(faultOdds) as FaultKind[]).filter((kind) => on.has(kind)),
    faultWeightScale: betweenStep(random, 50, 200, 25) / 100,
    appendsMax: random.between(4, 12),
    recordsMax: random.between(3, 7),
    valueBytesMax: betweenStep(random, 100, 500, 50),
    waitMsMax: random.between(4, 12),
    intervalFlushOdds: betweenStep(random, 10, 50, 5) / 100,
    ...storageSwarm(random),
  };
}

/** The storage faults' part of the swarm config, drawn after everything else. */
function storageSwarm(random: Random): Pick<LogCrashSwarm, 'latentSectorOdds' | 'misdirectedWriteOdds' | 'misdirectedReadOdds'> {
  const on = drawKinds(random, storageOdds);
  const latentSectorOdds = on.has('latent') ? oddsBetween(random, 0.05, 0.3) : 0;
  const misdirectedWriteOdds = on.has('misdirectWrites') ? oddsBetween(random, 0.02, 0.1) : 0;
  const misdirectedReadOdds = on.has('misdirectReads') ? oddsBetween(random, 0.01, 0.05) : 0;
  return { latentSectorOdds, misdirectedWriteOdds, misdirectedReadOdds };
}

export function describeStep(step: LogStep): string {
  switch (step.kind) {
    case 'append':
      return `append ${step.count}x${step.records} records of ${step.valueBytes}B, wait ${step.waitMs}ms`;
    case 'wait':
      return `wait ${step.ms}ms`;
    case 'diskFull':
      return `disk full for ${step.ms}ms`;
    case 'crash':
    case 'stop':
    case 'failSync':
      return step.kind;
  }
}

interface Sent {
  readonly tag: string;
  readonly bytes: Uint8Array; // as sent (baseOffset 0)
  /** `lost`: acknowledged, then destroyed by a storage fault (no longer checked). */
  state: 'pending' | 'acked' | 'rejected' | 'lost';
  /** A storage fault destroyed (some of) the bytes where it was stored. */
  touched?: boolean;
  code: string | null;
  baseOffset: bigint;
  incarnation: number;
}

const logDir = 'data/orders-0';
const readChunkBytes = 16 * 1024;

function keyOf(batch: Uint8Array): string {
  // The CRC and size, and the first bytes of the records (which hold the batch's unique tag), one
  // character per byte (latin1 maps bytes to characters one to one): as good as the whole batch
  // past its base offset for a batch whose CRC checks, at a fraction of the string.
  const crc = (batch[17]! << 24) | (batch[18]! << 16) | (batch[19]! << 8) | batch[20]!;
  const head = Buffer.from(batch.buffer, batch.byteOffset + batchHeaderBytes, Math.min(48, batch.byteLength - batchHeaderBytes)).toString('latin1');
  return `${crc}:${batch.byteLength}:${head}`;
}

const utf8 = new TextEncoder();

/** Drives the plan against one simulated node and checks (a) to (d). */
export class LogWorkload {
  readonly failures: string[] = [];
  readonly counts = {
    appends: 0, acked: 0, rejected: 0, crashes: 0, stops: 0, truncatedBytes: 0, syncFailures: 0, diskFull: 0, batchesChecked: 0,
    // Storage faults: stretches destroyed, batches they touched, acknowledged batches lost to them,
    // reads answered with an error they explain, opens refused on an unreadable sector.
    damaged: 0, batchesTouched: 0, lostToStorage: 0, unreadableReads: 0, refusedOpens: 0,
  };
  /** Set when the log refused to open on an unreadable sector (it failed safe; nothing more to run). */
  private ended = false;
  private storageRandom: Random | null = null;
  private readonly node: SimNode;
  private io: Io | null = null;
  private boots = 0;
  private log: PartitionLog | null = null;
  private incarnation = 0;
  private readonly sent: Sent[] = [];
  private readonly byKey = new Map<string, Sent>();
  private nextAckOffset = 0n;
  private stepLabel = 'open';

  constructor(
    private readonly sim: Simulation,
    private readonly plan: LogPlan,
  ) {
    this.node = sim.addNode('n1', (io) => {
      this.io = io;
      this.boots++;
    });
    const swarm = plan.swarm;
    if (swarm !== undefined && swarm.misdirectedWriteOdds + swarm.misdirectedReadOdds + swarm.latentSectorOdds > 0) {
      this.node.diskState.onDamage = (path, damage) => this.noteDamage(path, damage);
      this.node.disk.faults.setMisdirectionOdds({ writes: swarm.misdirectedWriteOdds, reads: swarm.misdirectedReadOdds });
      if (swarm.latentSectorOdds > 0) this.storageRandom = sim.random.fork('log-crash/storage');
    }
  }

  /** The batches a destroyed stretch held, found on the file's intended twin while it still holds them. */
  private noteDamage(path: string, damage: DiskDamage): void {
    if (!path.startsWith(`${logDir}/`)) return;
    this.counts.damaged++;
    // An index or checksum file is a hint for its whole segment: reads anywhere in it may go through
    // it, and damage to it makes recovery rescan the segment.
    const hint = /\.(timeindex|index|checksums)$/.test(path);
    const segmentPath = path.replace(/\.(timeindex|index|checksums)$/, '.log');
    for (const batch of batchesIn(this.node.diskState.pristineRead(segmentPath))) {
      if (!hint && (batch.end <= damage.start || damage.end <= batch.start)) continue;
      const sent = this.byKey.get(keyOf(batch.bytes));
      if (sent !== undefined && sent.touched !== true) {
        sent.touched = true;
        this.counts.batchesTouched++;
      }
    }
  }

  /** At a crash or stop, with the seed's odds: a latent sector error on some file, before the restart. */
  private maybePlantLatentSector(): void {
    if (this.storageRandom === null || !this.storageRandom.chance(this.plan.swarm!.latentSectorOdds)) return;
    this.node.disk.faults.plantLatentSectorError();
  }

  /** Whether a segment file, or its index or checksum files, lost bytes to a storage fault. */
  private segmentDamaged(name: string): boolean {
    const base = `${logDir}/${name.replace(/\.(log|index|timeindex|checksums)$/, '')}`;
    return ['log', 'index', 'timeindex', 'checksums'].some((ext) => this.node.diskState.damage(`${base}.${ext}`).length > 0);
  }

  /** The segment file (name) that holds `offset`, from the names on disk. */
  private segmentOf(offset: bigint): string | null {
    let best: { base: bigint; name: string } | null = null;
    for (const base of this.segmentBases()) if (base <= offset && (best === null || base > best.base)) best = { base, name: `${String(base).padStart(20, '0')}.log` };
    return best?.name ?? null;
  }

  /** Base offsets of the segment files on disk. */
  private segmentBases(): bigint[] {
    const bases: bigint[] = [];
    for (const path of this.node.diskState.paths()) {
      const name = path.slice(logDir.length + 1);
      if (path.startsWith(`${logDir}/`) && /^\d{20}\.log$/.test(name)) bases.push(BigInt(name.slice(0, 20)));
    }
    return bases;
  }

  /** A read error a storage fault explains: an error (never wrong bytes) where the faults destroyed something. */
  private storageExplains(error: unknown, offset: bigint): boolean {
    const isError = error instanceof LogError && (error.code === 'CORRUPT_RECORD' || error.code === 'IO_ERROR');
    if (!isError) return false;
    const holder = this.sent.find((s) => s.state === 'acked' && s.baseOffset <= offset && offset < s.baseOffset + BigInt(readBatchHeader(s.bytes).recordCount));
    if (holder?.touched === true) return true;
    const segment = this.segmentOf(offset);
    return segment !== null && this.segmentDamaged(segment);
  }

  /** The first offset after `offset` where a batch is known to start (or `end`). */
  private nextKnownStart(offset: bigint, end: bigint): bigint {
    let next = end;
    for (const s of this.sent) if ((s.state === 'acked' || s.state === 'lost') && s.baseOffset > offset && s.baseOffset < next) next = s.baseOffset;
    for (const base of this.segmentBases()) if (base > offset && base < next) next = base;
    return next;
  }

  /** A read, tried again while misdirected reads (transient) happen under it. */
  private async readBack(log: PartitionLog, offset: bigint): Promise<{ ok: true; value: Uint8Array } | { ok: false; error: unknown } | null> {
    for (let attempt = 0; ; attempt++) {
      const misreadsBefore = this.node.diskState.storageCounts.misdirectedReads;
      const read = await this.settle(log.read(offset, readChunkBytes));
      if (read === null || read.ok || attempt >= 3 || this.node.diskState.storageCounts.misdirectedReads === misreadsBefore) return read;
    }
  }

  /** Coverage: the storage faults did what they are for. */
  markStorageCoverage(): void {
    const did = this.node.diskState.storageCounts;
    if (did.latentReadErrors > 0) this.sim.coverage.reached('sim.latent-sector-read-failed');
    if (did.misdirectedWrites > 0) this.sim.coverage.reached('sim.write-misdirected');
    if (did.misdirectedReads > 0) this.sim.coverage.reached('sim.read-misdirected');
    if (this.counts.lostToStorage > 0) this.sim.coverage.reached('log-crash.acked-batch-lost-to-storage');
    if (this.counts.refusedOpens > 0) this.sim.coverage.reached('log-crash.open-refused-on-unreadable-sector');
  }

  fail(message: string): void {
    if (this.failures.length < 10) this.failures.push(`[${this.stepLabel}] t=${this.sim.nowMs().toFixed(3)}ms ${message}`);
  }

  async run(): Promise<void> {
    await this.reopen();
    for (let i = 0; i < this.plan.steps.length && this.failures.length === 0 && this.sim.failed.length === 0 && !this.ended; i++) {
      const step = this.plan.steps[i]!;
      this.stepLabel = `step ${i}: ${describeStep(step)}`;
      await this.step(step);
    }
    if (this.failures.length === 0 && !this.ended) {
      this.stepLabel = 'final stop';
      await this.step({ kind: 'stop' });
    }
  }

  private async step(step: LogStep): Promise<void> {
    switch (step.kind) {
      case 'append':
        for (let i = 0; i < step.count; i++) this.appendOne(step.records, step.valueBytes);
        return this.advance(step.waitMs);
      case 'wait':
        return this.advance(step.ms);
      case 'crash':
        this.counts.crashes++;
        this.node.crash();
        this.maybePlantLatentSector();
        return this.restart();
      case 'stop':
        return this.gracefulStop();
      case 'failSync':
        this.counts.syncFailures++;
        this.node.disk.faults.failNextSync();
        return;
      case 'diskFull':
        this.counts.diskFull++;
        this.node.disk.faults.setFull(true);
        await this.advance(step.ms);
        this.node.disk.faults.setFull(false);
        return;
    }
  }

  private appendOne(records: number, valueBytes: number): void {
    const log = this.log;
    if (log === null) return;
    const tag = `a${this.sent.length}`;
    const value = new Uint8Array(Math.max(valueBytes, tag.length + 4));
    value.set(utf8.encode(`${tag}:`));
    const bytes = encodeRecordBatch({
      records: Array.from({ length: records }, (_, i) => ({ key: null, value, timestampDelta: i })),
      baseTimestamp: BigInt(this.io!.clock.wallClockMs()),
    });
    const sent: Sent = { tag, bytes, state: 'pending', code: null, baseOffset: -1n, incarnation: this.incarnation };
    this.sent.push(sent);
    this.byKey.set(keyOf(bytes), sent);
    this.counts.appends++;
    log.append(bytes).then(
      (result) => this.acked(sent, result.baseOffset, result.lastOffset),
      (error: unknown) => this.rejected(sent, error),
    );
  }

  private acked(sent: Sent, baseOffset: bigint, lastOffset: bigint): void {
    sent.state = 'acked';
    sent.baseOffset = baseOffset;
    this.counts.acked++;
    if (baseOffset !== this.nextAckOffset) this.fail(`${sent.tag} acknowledged at ${baseOffset}, expected the next acknowledged offset ${this.nextAckOffset}`);
    if (lastOffset - baseOffset + 1n !== BigInt(readBatchHeader(sent.bytes).recordCount)) this.fail(`${sent.tag}: offsets ${baseOffset}..${lastOffset} for ${readBatchHeader(sent.bytes).recordCount} records`);
    this.nextAckOffset = lastOffset + 1n;
  }

  private rejected(sent: Sent, error: unknown): void {
    sent.state = 'rejected';
    this.counts.rejected++;
    if (!(error instanceof LogError)) {
      this.fail(`${sent.tag} rejected with a non-LogError: ${String(error)}`);
      return;
    }
    sent.code = error.code;
    if (error.code === 'RECORD_TOO_LARGE' && sent.bytes.length > this.plan.config.segmentBytesMax) return;
    if (!['DISK_FULL', 'LOG_FAILED', 'LOG_STOPPED'].includes(error.code)) this.fail(`${sent.tag} rejected with unexpected ${error.code}: ${error.message}`);
  }

  /** Runs the simulation until `promise` settles (or nothing is left to run). */
  private async settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown } | null> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
    promise.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    for (let idle = 0; outcome === null && idle < 3 && this.sim.failed.length === 0; ) {
      this.sim.schedule(0, () => undefined);
      const before = this.sim.eventsProcessed;
      await this.sim.run({ until: () => outcome !== null });
      idle = this.sim.eventsProcessed - before <= 1 ? idle + 1 : 0;
    }
    return outcome;
  }

  private async advance(ms: number): Promise<void> {
    this.sim.schedule(0, () => undefined);
    await this.sim.run({ untilMs: this.sim.nowMs() + ms });
  }

  private async gracefulStop(): Promise<void> {
    const log = this.log;
    if (log === null) return this.restart();
    this.counts.stops++;
    const stopped = await this.settle(log.stop());
    if (stopped === null) return this.fail('stop() never returned');
    const failedBefore = !stopped.ok;
    if (failedBefore && !(stopped.error instanceof LogError && stopped.error.code === 'LOG_FAILED')) {
      this.fail(`stop() failed unexpectedly: ${String(stopped.error)}`);
    }
    for (const sent of this.sent) {
      if (sent.incarnation === this.incarnation && sent.state === 'pending') this.fail(`(d) ${sent.tag} still pending after stop() returned`);
    }
    // A power cut right after a graceful stop must lose nothing.
    this.node.crash();
    this.maybePlantLatentSector();
    await this.restart(stopped.ok);
  }

  private async restart(expectClean = false): Promise<void> {
    this.log = null;
    this.node.start();
    await this.reopen(expectClean);
  }

  private async reopen(expectClean = false): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const want = this.node.incarnationCount;
      while (this.boots < want && this.sim.failed.length === 0) await this.sim.run({ until: () => this.boots >= want });
      this.incarnation = want;
      const opened = await this.settle(PartitionLog.open(this.io!, logDir, this.plan.config, { bugs: this.plan.bugs }));
      if (opened?.ok === true) {
        const { log, recovery } = opened.value;
        this.counts.truncatedBytes += recovery.truncatedBytes;
        // A cut or a damaged stretch is expected only in a segment a storage fault hit.
        const cutExplained = recovery.truncatedBytes > 0 && this.segmentDamaged(recovery.truncationReason?.split(' ')[0] ?? '');
        if (expectClean && (!recovery.cleanShutdown || (recovery.truncatedBytes > 0 && !cutExplained))) {
          this.fail(`after a graceful stop: clean=${recovery.cleanShutdown}, truncated ${recovery.truncatedBytes} bytes (${recovery.truncationReason})`);
        }
        const unexplained = recovery.corruptRanges.filter((range) => !this.segmentDamaged(range.split(' ')[0]!));
        if (unexplained.length > 0) this.fail(`corruption reported where no storage fault hit: ${unexplained.join('; ')}`);
        this.log = log;
        this.nextAckOffset = log.logEndOffset;
        return this.verify(log);
      }
      // The log refuses to open while a sector it must read is unreadable: it failed safe, with a
      // clear error, and nothing more can be checked in this run.
      if (opened?.ok === false && this.openRefusedOnUnreadableSector(opened.error)) {
        this.counts.refusedOpens++;
        this.ended = true;
        return;
      }
      // An injected fsync failure can hit recovery's own fsync: power-cycle and try again (each
      // injected failure is consumed by one fsync, so this ends).
      if (attempt > this.counts.syncFailures + 2) return this.fail(`open failed: ${opened === null ? 'never settled' : String(opened.error)}`);
      this.node.crash();
      this.node.start();
    }
  }

  /** IO_ERROR from open while some file of the log has a latent sector error. */
  private openRefusedOnUnreadableSector(error: unknown): boolean {
    if (!(error instanceof LogError && error.code === 'IO_ERROR')) return false;
    return this.node.diskState.paths().some((path) => path.startsWith(`${logDir}/`) && this.node.diskState.latentSectors(path).length > 0);
  }

  /** Reads the whole log back and checks (a), (b), (c). */
  private async verify(log: PartitionLog): Promise<void> {
    const found = new Map<Sent, bigint>();
    /** Offset ranges [from, to) whose reads failed with an error a storage fault explains. */
    const unreadable: Array<readonly [bigint, bigint]> = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const read = await this.readBack(log, offset);
      if (read !== null && !read.ok && this.storageExplains(read.error, offset)) {
        const next = this.nextKnownStart(offset, log.logEndOffset);
        unreadable.push([offset, next]);
        this.counts.unreadableReads++;
        offset = next;
        continue;
      }
      if (read === null || !read.ok) return this.fail(`(c) read at ${offset} failed: ${read === null ? 'never settled' : String(read.error)}`);
      if (read.value.length === 0) return this.fail(`(b) read at ${offset} returned nothing before logEndOffset ${log.logEndOffset}`);
      let position = 0;
      while (position < read.value.length) {
        const check = checkBatch(read.value, position, 1 << 24);
        if (!check.ok) return this.fail(`(c) read at ${offset} served a bad batch at byte ${position}: ${check.problem.kind}`);
        const batch = read.value.subarray(position, position + check.size);
        const header = readBatchHeader(batch);
        const jumpedFrom = unreadable.length > 0 && unreadable[unreadable.length - 1]![1] === offset ? unreadable[unreadable.length - 1]![0] : null;
        if (position === 0 && jumpedFrom !== null && header.baseOffset < offset && header.baseOffset >= jumpedFrom && header.baseOffset + BigInt(header.lastOffsetDelta) >= offset) {
          // The jump past an unreadable stretch went to a known start that is no batch's start any
          // more (a lost batch whose offsets a later batch took: seed 485604 jumped to 210, inside
          // the batch 209..210): the stretch ends where this batch, read fine, begins.
          unreadable[unreadable.length - 1] = [jumpedFrom, header.baseOffset];
          offset = header.baseOffset;
        }
        if (header.baseOffset !== offset) return this.fail(`(b) batch at ${header.baseOffset} where offset ${offset} was expected (gap or overlap)`);
        const sent = this.byKey.get(keyOf(batch));
        if (sent === undefined) return this.fail(`(c) batch at ${offset} matches nothing that was sent`);
        if (found.has(sent)) return this.fail(`(c) ${sent.tag} stored twice, at ${found.get(sent)} and ${offset}`);
        found.set(sent, offset);
        this.counts.batchesChecked++;
        offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        position += check.size;
      }
    }
    for (const sent of this.sent) {
      const at = found.get(sent);
      // Destroyed by a storage fault: missing if its own bytes were hit, unreadable (an error, never
      // wrong bytes) if the read of its offsets met the damage.
      const unreadableHere = unreadable.some(([from, to]) => sent.baseOffset >= from && sent.baseOffset < to);
      if (sent.state === 'acked' && at === undefined && (sent.touched === true || unreadableHere)) {
        sent.state = 'lost';
        this.counts.lostToStorage++;
        continue;
      }
      if (sent.state === 'acked' && at === undefined) this.fail(`(a) ${sent.tag} acknowledged at offset ${sent.baseOffset} is missing after restart${sent.touched === true ? '' : ' (no storage fault touched it)'}`);
      if (sent.state === 'acked' && at !== undefined && at !== sent.baseOffset) this.fail(`(a) ${sent.tag} acknowledged at ${sent.baseOffset} but found at ${at}`);
      if (sent.state === 'rejected' && sent.code === 'DISK_FULL' && at !== undefined) this.fail(`(c) ${sent.tag} was rejected with DISK_FULL but is stored at ${at}`);
      // Whatever survived is now part of the log; what did not is gone for good.
      if (sent.state === 'pending') sent.state = at === undefined ? 'rejected' : 'acked';
      if (at !== undefined) sent.baseOffset = at;
    }
  }
}

/** The whole batches of a segment file's bytes, walked from the start (null: no file). */
function batchesIn(bytes: Uint8Array | null): Array<{ start: number; end: number; bytes: Uint8Array }> {
  const out: Array<{ start: number; end: number; bytes: Uint8Array }> = [];
  if (bytes === null) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Every whole, valid batch, not only the chain from the start: the twin is fed the recoveries the
  // real file went through (truncations at places the real file's damage chose), so its chain can
  // break at a torn batch with intact batches after it, and those must still be found (log-crash
  // seed 38098: acknowledged batches written after such a break, then misdirected, were not marked
  // touched). A stretch that is no batch is stepped over a byte at a time.
  for (let p = 0; p + batchHeaderBytes <= bytes.length; ) {
    const size = 12 + view.getInt32(p + 8);
    if (bytes[p + 16] !== 2 || size < batchHeaderBytes || p + size > bytes.length || !checkBatch(bytes, p, size).ok) {
      p++;
      continue;
    }
    out.push({ start: p, end: p + size, bytes: bytes.subarray(p, p + size) });
    p += size;
  }
  return out;
}

/** A random plan for one seed: its swarm config first, then the steps. */
export function randomPlan(random: Random): LogPlan {
  const swarm = logCrashSwarm(random);
  const interval = random.chance(swarm.intervalFlushOdds);
  const config: PartitionLogConfig = {
    ...defaultPartitionLogConfig,
    segmentBytesMax: random.between(2048, 16_384),
    indexIntervalBytes: random.between(64, 2048),
    flush: interval ? { mode: 'interval', intervalMs: random.between(1, 20), bytesMax: random.between(512, 8192) } : { mode: 'per-append' },
    retentionBytesMax: null,
    retentionMsMax: null,
  };
  // Step weights: appends 55, waits 10, and each fault kind that is on its old weight, scaled.
  const weight = (kind: FaultKind, old: number): number => (swarm.faults.includes(kind) ? Math.round(old * swarm.faultWeightScale) : 0);
  const [crash, stop, failSync, diskFull] = [weight('crash', 15), weight('stop', 8), weight('failSync', 6), weight('diskFull', 6)];
  const steps: LogStep[] = [];
  const stepCount = random.between(10, 30);
  for (let i = 0; i < stepCount; i++) {
    let roll = random.int(65 + crash + stop + failSync + diskFull);
    if (roll < 55) {
      steps.push({ kind: 'append', count: random.between(1, swarm.appendsMax), records: random.between(1, swarm.recordsMax), valueBytes: random.between(4, swarm.valueBytesMax), waitMs: random.between(0, swarm.waitMsMax) });
    } else if (roll < 65) steps.push({ kind: 'wait', ms: random.between(1, 30) });
    else if ((roll -= 65) < crash) steps.push({ kind: 'crash' });
    else if ((roll -= crash) < stop) steps.push({ kind: 'stop' });
    else if ((roll -= stop) < failSync) steps.push({ kind: 'failSync' });
    else steps.push({ kind: 'diskFull', ms: random.between(1, 10) });
  }
  return { config, steps, swarm };
}

export async function runLogPlan(sim: Simulation, plan: LogPlan): Promise<ScenarioResult> {
  sim.buggify.enable(); // BUGGIFY points may fire in this scenario's runs (src/core/io/probes.ts)
  const workload = new LogWorkload(sim, plan);
  await workload.run();
  workload.markStorageCoverage();
  const failures = [...workload.failures];
  return { ok: failures.length === 0, failures, summary: { ...workload.counts }, ...(plan.swarm === undefined ? {} : { swarm: plan.swarm }) };
}

/** The rare states every sweep of `npm test`'s size (500 seeds) must reach (docs/simulator.md). */
const coverageTargets = [
  'log.crash-with-acks-pending',
  'log.crash-while-writing-index',
  'log.fsync-failed-with-waiters',
  'log.disk-full-rejected',
  'log.torn-tail-cut',
  'sim.crash-zero-filled-a-tail',
  'buggify.log.small-group-commit',
  'buggify.log.early-flush',
  // The storage faults: each did its harm, and the log met it.
  'sim.latent-sector-read-failed',
  'sim.write-misdirected',
  'sim.read-misdirected',
  'log-crash.acked-batch-lost-to-storage',
  'log-crash.open-refused-on-unreadable-sector',
];

export const scenario: Scenario = {
  name: 'log-crash',
  description: 'one partition log under concurrent appends, crashes with torn writes, graceful stops, fsync failures, a full disk, latent sector errors and misdirected writes and reads; checks acknowledged data, dense offsets, whole batches',
  defaultNodes: 1,
  nodesMin: 1,
  nodesMax: 1,
  coverageGoal: () => ({ targets: coverageTargets, seedsMin: 500 }),
  async run(sim: Simulation): Promise<ScenarioResult> {
    const plan = randomPlan(sim.random.fork('log-crash/plan'));
    if (plan.swarm !== undefined) announceSwarm(sim, plan.swarm);
    sim.trace(null, 'LogCrashPlan', { steps: plan.steps.length, flush: plan.config.flush.mode, segmentBytesMax: plan.config.segmentBytesMax });
    return runLogPlan(sim, plan);
  },
};
