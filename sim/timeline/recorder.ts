import type { LogFields } from '../../src/core/io/log.ts';
import type { SimObserver, StateSample, TraceEvent } from '../../src/io-sim/index.ts';
import type { KafkaOp } from '../checkers/kafka-history.ts';
import type { ScenarioTimeline } from '../scenario.ts';
import { timelineLimits } from './limits.ts';
import type { Band, Finding, Lane, Mark, OpBin, OpStrip, Segment, TimelineData, TimelineHeader, Track } from './model.ts';

/** The disk latency a node starts with (src/io-sim/sim-disk.ts): anything else is a slowed disk. */
const diskLatencyDefault = { opMsMin: 0, opMsMax: 0.2, syncMsMin: 0.5, syncMsMax: 3 };

interface TrackRecord {
  readonly node: string;
  readonly name: string;
  readonly segments: Segment[];
  open: Segment | null;
  /** The sampling round that last saw this track: a track missing from a round ends its segment. */
  seenRound: number;
  /** Points where a value changed; a null value where the track went away (a gap in the line). */
  readonly series: Map<string, { points: [number, number | null][]; last: number | null }>;
}

/**
 * Records a run for its timeline (`sim --html`), as a SimObserver: faults and node lifecycle from
 * the trace lines (bands from a fault to its end, marks for one-off faults), the nodes' state from
 * the scenario's sampler (segments of a role and epoch, series of numbers), warnings and errors
 * from the trace; at the end, the clients' operations from the scenario's history and the failures
 * with their times. It only reads what it is shown, so the run is the same with or without it.
 */
export class TimelineRecorder implements SimObserver {
  private readonly lanes = new Map<string, { client: boolean }>();
  private readonly bands: Band[] = [];
  private readonly openBands = new Map<string, Band>();
  private readonly marks: Mark[] = [];
  private readonly tracks = new Map<string, TrackRecord>();
  private readonly faultCounts: Record<string, number> = {};
  private readonly failureTimes = new Map<string, number>();
  private readonly notes: string[] = [];
  private logMarksDropped = 0;
  private round = 0;
  private faultSeq = 0;

  traced(e: TraceEvent): void {
    if (e.node !== null && !this.lanes.has(e.node)) this.lanes.set(e.node, { client: false });
    if (e.event.startsWith('Fault')) {
      this.faultCounts[e.event] = (this.faultCounts[e.event] ?? 0) + 1;
      this.fault(e, this.faultSeq++);
      return;
    }
    if (e.event === 'SimulationFailure') {
      const message = String(e.fields?.message ?? '');
      if (!this.failureTimes.has(message)) this.failureTimes.set(message, e.timeMs);
    }
    if (e.event === 'DiskSyncFailed' && e.node !== null) {
      this.marks.push({ id: -1, lane: e.node, kind: 'sync-failed', atMs: e.timeMs, label: `fsync failed (injected), ${String(e.fields?.ops ?? '?')} ops unsynced` });
      return;
    }
    if (e.level === 'warn' || e.level === 'error') this.logMark(e);
  }

  sampled(atMs: number, samples: readonly StateSample[]): void {
    const round = ++this.round;
    for (const sample of samples) this.sample(atMs, round, sample);
    for (const track of this.tracks.values()) {
      if (track.seenRound === round || track.open === null) continue;
      this.closeSegment(track, atMs);
      for (const series of track.series.values()) {
        series.points.push([atMs, null]);
        series.last = null;
      }
    }
  }

  /** The timeline's data, once the run is over. */
  finish(header: TimelineHeader, nodes: readonly { name: string; isClient: boolean }[], failures: readonly string[], scenario: ScenarioTimeline | undefined): TimelineData {
    const endMs = header.virtualMs;
    for (const band of this.openBands.values()) {
      band.endMs = endMs;
      band.open = true;
    }
    this.openBands.clear();
    for (const track of this.tracks.values()) if (track.open !== null) this.closeSegment(track, endMs);
    if (this.logMarksDropped > 0) this.notes.push(`${this.logMarksDropped} more warning and error lines than the ${timelineLimits.logMarksMax} shown`);
    const ops = scenario?.history === undefined ? [] : this.opStrips(scenario.history.ops, endMs);
    // A client process of the history that is not a host of its own (the final read, say) gets a lane too.
    const hosts = [...nodes];
    for (const strip of ops) if (!hosts.some((n) => n.name === strip.process)) hosts.push({ name: strip.process, isClient: true });
    for (const node of hosts) this.lanes.set(node.name, { client: node.isClient });
    return {
      header,
      endMs,
      lanes: this.laneList(hosts),
      bands: this.bands,
      marks: this.marks,
      faultCounts: this.faultCounts,
      ops,
      findings: this.findings(failures, scenario, endMs),
      notes: this.notes,
    };
  }

  // ---- faults -------------------------------------------------------------------------------------

  /** One `Fault...` trace line: opens or closes a band, or adds a mark. */
  private fault(e: TraceEvent, id: number): void {
    const f = e.fields ?? {};
    const node = e.node;
    switch (e.event) {
      case 'FaultCrash':
        if (node === null) return;
        this.close(`stopping ${node}`, e.timeMs);
        this.close(`down ${node}`, e.timeMs);
        this.open(`down ${node}`, { id, lane: node, kind: 'down', startMs: e.timeMs, label: `crashed (${num(f.opsLost)} unsynced ops lost, ${num(f.filesTorn)} files torn)` });
        return;
      case 'FaultRestart':
        if (node !== null) this.close(`down ${node}`, e.timeMs);
        return;
      case 'FaultStopStarted':
        if (node !== null) this.open(`stopping ${node}`, { id, lane: node, kind: 'stopping', startMs: e.timeMs, label: 'graceful stop' });
        return;
      case 'FaultStopEnded':
        if (node === null) return;
        this.close(`stopping ${node}`, e.timeMs);
        if (f.stopped === 1) this.open(`down ${node}`, { id, lane: node, kind: 'down', startMs: e.timeMs, label: 'stopped gracefully' });
        return;
      case 'FaultPartition': {
        const from = String(f.from);
        const to = String(f.to);
        const label = f.oneWay === 1 ? `partitioned one way: ${from} → ${to} blocked` : `partitioned from ${to} (both ways)`;
        this.open(`partition ${from}>${to} ${id}`, { id, lane: from, kind: 'partition', startMs: e.timeMs, label });
        return;
      }
      case 'FaultHeal':
        for (const key of [...this.openBands.keys()]) if (key.startsWith('partition ')) this.close(key, e.timeMs);
        return;
      case 'FaultSlowLink': {
        const key = `slow-link ${String(f.a)}|${String(f.b)}`;
        this.close(key, e.timeMs);
        if (f.factor !== 1) this.open(key, { id, lane: String(f.a), kind: 'slow-link', startMs: e.timeMs, label: `link ${String(f.a)}–${String(f.b)} ${num(f.factor)}x slower` });
        return;
      }
      case 'FaultDiskLatency':
        if (node !== null) this.diskLatency(node, f, e.timeMs, id);
        return;
      case 'FaultDiskFull':
        if (node === null) return;
        this.close(`disk-full ${node}`, e.timeMs);
        if (f.full === 1) this.open(`disk-full ${node}`, { id, lane: node, kind: 'disk-full', startMs: e.timeMs, label: 'disk full (ENOSPC)' });
        return;
      default:
        this.faultMark(e, id);
    }
  }

  /** One-off faults: a mark at their time (a reset on both ends' lanes). */
  private faultMark(e: TraceEvent, id: number): void {
    const f = e.fields ?? {};
    const at = (lane: string | null, kind: string, label: string): void => void this.marks.push({ id, lane, kind, atMs: e.timeMs, label });
    switch (e.event) {
      case 'FaultConnReset':
        for (const lane of new Set([String(f.from), String(f.to)])) at(lane, 'conn-reset', `connection ${String(f.conn)} reset mid-stream`);
        return;
      case 'FaultSyncFailure':
        at(e.node, 'sync-failure', 'the next fsync will fail (EIO)');
        return;
      case 'FaultSyncFailuresCancelled':
        at(e.node, 'sync-failure-cancelled', `${num(f.cancelled)} fsync failures withdrawn`);
        return;
      case 'FaultBitFlip':
        at(e.node, 'bit-flip', `bit ${num(f.bit)} flipped in ${String(f.path)} at byte ${num(f.position)}`);
        return;
      case 'FaultPowerLoss':
        at(e.node, 'power-loss', `power lost: ${num(f.opsLost)} unsynced ops gone`);
        return;
      case 'FaultFigure8':
        at(e.node, 'fault', `figure-8 nemesis, step ${num(f.step)}: ${String(f.action)}`);
        return;
      case 'FaultNetLatency':
        at(null, 'net-latency', `network latency ${num(f.minMs)}..${num(f.maxMs)} ms`);
        return;
      default:
        at(e.node, 'fault', e.event);
    }
  }

  private diskLatency(node: string, f: LogFields, atMs: number, id: number): void {
    const key = `disk-slow ${node}`;
    this.close(key, atMs);
    const latency = { opMsMin: f.opMsMin, opMsMax: f.opMsMax, syncMsMin: f.syncMsMin, syncMsMax: f.syncMsMax };
    const slowed = (Object.keys(diskLatencyDefault) as (keyof typeof diskLatencyDefault)[]).some((k) => latency[k] !== diskLatencyDefault[k]);
    if (slowed) this.open(key, { id, lane: node, kind: 'disk-slow', startMs: atMs, label: `slow disk: ops ${num(f.opMsMin)}..${num(f.opMsMax)} ms, fsync ${num(f.syncMsMin)}..${num(f.syncMsMax)} ms` });
  }

  private open(key: string, band: Omit<Band, 'endMs' | 'open'>): void {
    const full: Band = { ...band, endMs: band.startMs, open: false };
    this.bands.push(full);
    this.openBands.set(key, full);
  }

  private close(key: string, atMs: number): void {
    const band = this.openBands.get(key);
    if (band === undefined) return;
    band.endMs = atMs;
    this.openBands.delete(key);
  }

  private logMark(e: TraceEvent): void {
    if (this.marks.length >= timelineLimits.logMarksMax) {
      this.logMarksDropped++;
      return;
    }
    const fields = Object.entries(e.fields ?? {})
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    this.marks.push({ id: -1, lane: e.node, kind: e.level, atMs: e.timeMs, label: `${e.event} ${fields}`.slice(0, timelineLimits.labelCharsMax) });
  }

  // ---- state --------------------------------------------------------------------------------------

  private sample(atMs: number, round: number, s: StateSample): void {
    const key = `${s.node}\u0000${s.track}`;
    let track = this.tracks.get(key);
    if (track === undefined) {
      track = { node: s.node, name: s.track, segments: [], open: null, seenRound: 0, series: new Map() };
      this.tracks.set(key, track);
      if (!this.lanes.has(s.node)) this.lanes.set(s.node, { client: false });
    }
    track.seenRound = round;
    const open = track.open;
    const epoch = s.epoch ?? null;
    const detail = s.detail ?? '';
    if (open !== null && open.role === s.role && open.epoch === epoch && open.detail === detail) {
      open.endMs = atMs;
    } else {
      if (open !== null) this.closeSegment(track, atMs);
      track.open = { startMs: atMs, endMs: atMs, role: s.role, epoch, detail };
    }
    for (const name in s.values) {
      const value = s.values[name]!;
      const series = track.series.get(name);
      if (series === undefined) track.series.set(name, { points: [[atMs, value]], last: value });
      else if (series.last !== value) {
        series.points.push([atMs, value]);
        series.last = value;
      }
    }
  }

  private closeSegment(track: TrackRecord, atMs: number): void {
    if (track.open === null) return;
    track.open.endMs = atMs;
    track.segments.push(track.open);
    track.open = null;
  }

  private laneList(nodes: readonly { name: string; isClient: boolean }[]): Lane[] {
    const order = [...nodes.filter((n) => !n.isClient), ...nodes.filter((n) => n.isClient)].map((n) => n.name);
    for (const name of this.lanes.keys()) if (!order.includes(name)) order.push(name);
    let thinned = 0;
    const lanes = order.map((name): Lane => {
      const tracks: Track[] = [];
      for (const t of this.tracks.values()) {
        if (t.node !== name) continue;
        const series = [...t.series].map(([seriesName, s]) => {
          const points = thin(s.points, timelineLimits.seriesPointsMax);
          if (points.length < s.points.length) thinned++;
          return { name: seriesName, points };
        });
        tracks.push({ name: t.name, segments: t.segments, series });
      }
      tracks.sort((a, b) => (a.name === 'raft' ? -1 : b.name === 'raft' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { name, client: this.lanes.get(name)?.client === true, tracks };
    });
    if (thinned > 0) this.notes.push(`${thinned} number series (log end offset, high watermark) thinned to at most ${timelineLimits.seriesPointsMax} points each (the last value of each time slice)`);
    return lanes;
  }

  // ---- clients and findings -----------------------------------------------------------------------

  /** Per client and kind of operation: how many were sent and how many completed (by outcome) in each time slice. */
  private opStrips(ops: readonly KafkaOp[], endMs: number): OpStrip[] {
    const binMs = Math.max(endMs / timelineLimits.opBins, 1);
    const strips = new Map<string, { strip: OpStrip; bins: Map<number, OpBin> }>();
    const bin = (bins: Map<number, OpBin>, atMs: number): OpBin => {
      const index = Math.min(Math.floor(atMs / binMs), timelineLimits.opBins - 1);
      let row = bins.get(index);
      if (row === undefined) bins.set(index, (row = [index, 0, 0, 0, 0]));
      return row;
    };
    for (const op of ops) {
      const key = `${op.process} ${op.kind}`;
      let entry = strips.get(key);
      if (entry === undefined) strips.set(key, (entry = { strip: { process: op.process, kind: op.kind, binMs, bins: [], sent: 0, ok: 0, info: 0, fail: 0 }, bins: new Map() }));
      const { strip, bins } = entry;
      strip.sent++;
      bin(bins, op.invokeMs)[1]++;
      if (op.completeMs === null) continue;
      const type = op.kind === 'produce' || op.kind === 'commit' ? op.outcome.type : 'ok';
      strip[type]++;
      bin(bins, op.completeMs)[type === 'ok' ? 2 : type === 'info' ? 3 : 4]++;
    }
    if (ops.length > 0) this.notes.push(`client operations counted in ${timelineLimits.opBins} time slices of ${binMs.toFixed(1)} ms`);
    return [...strips.values()].map(({ strip, bins }) => ({ ...strip, bins: [...bins.values()].sort((a, b) => a[0] - b[0]) }));
  }

  /** Each failure at the time it was found (from the scenario or a SimulationFailure line), else at the end of the run. */
  private findings(failures: readonly string[], scenario: ScenarioTimeline | undefined, endMs: number): Finding[] {
    const known = new Map(this.failureTimes);
    for (const t of scenario?.failureTimes ?? []) if (!known.has(t.text)) known.set(t.text, t.atMs);
    return failures.map((text) => {
      const atMs = known.get(text);
      return atMs === undefined ? { atMs: endMs, timeKnown: false, text } : { atMs, timeKnown: true, text };
    });
  }
}

function num(value: unknown): string {
  return typeof value === 'number' ? String(Math.round(value * 1000) / 1000) : String(value);
}

/** At most `max` + 1 points and the gaps: the first, then the last point of each of `max` equal time slices. */
function thin(points: readonly [number, number | null][], max: number): [number, number | null][] {
  if (points.length <= max) return [...points];
  const startMs = points[0]![0];
  const spanMs = Math.max(points.at(-1)![0] - startMs, 1);
  const slice = (atMs: number): number => Math.min(Math.floor(((atMs - startMs) / spanMs) * max), max - 1);
  const kept: [number, number | null][] = [points[0]!];
  for (let i = 1; i < points.length; i++) {
    const next = points[i + 1];
    // A gap, the point before a gap and the point after it are kept, so that lines break where they should.
    const edge = points[i]![1] === null || next?.[1] === null || points[i - 1]![1] === null;
    if (edge || next === undefined || slice(next[0]) !== slice(points[i]![0])) kept.push(points[i]!);
  }
  return kept;
}
