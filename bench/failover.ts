/**
 * Leader failover time of a 3-node cluster: a paced idempotent acks=all librdkafka producer
 * (`bench/failover_producer.py`) writes to an RF=3 topic; the bench kills the partition leader with
 * SIGKILL and measures kill → the first acknowledgement from the new leader. Then the killed node is
 * started again and the trial repeats once the ISR is full.
 *
 * "First acknowledgement from the new leader" is the first acknowledgement received after both the
 * kill and the new leader's `ReplicaBecameLeader` line: by then the old leader has been dead for
 * seconds, so no answer of its can still be on its way (the acknowledgements received between the
 * kill and that line are counted, and are expected to be 0). The first acknowledgement of a message
 * *sent* after the kill is printed beside it: the messages retried from the old leader come first.
 *
 * Where the time went comes from wall-clock times on one machine: the kill (this process), the
 * brokers' JSON log lines (`BrokerSessionExpired`, or `BrokerProcessGone` when its controller port refused a dial, on the active controller: the victim is fenced;
 * `RaftBecameLeader`: the victim was also the controller and the quorum elected another;
 * `ReplicaBecameLeader` on the new leader), librdkafka's metadata debug lines (when the client
 * learned of the new leader) and the acknowledgements.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../chaos/broker-process.ts';
import { waitFullIsr, type BenchCluster, type BenchNode } from './bench-cluster.ts';
import { progress, python } from './kafka-load.ts';

/** Messages a second from the failover producer: one every millisecond bounds the timing error. */
const failoverRatePerS = 1000;
/** Producing before the kill, and after the new leader took over (so its first acks are in). */
const beforeKillMs = 1000;
const afterLeaderMs = 2000;
const newLeaderTimeoutMs = 30_000;

export interface FailoverTrial {
  trial: number;
  victim: number;
  victimWasController: boolean;
  /** All durations are from the kill, in ms; null when the event was not seen. */
  failoverMs: number | null;
  firstAckSentAfterKillMs: number | null;
  /** Acknowledgements received after the kill but before the new leader took over (old leader's). */
  acksBeforeNewLeader: number;
  ackGapMaxMs: number | null;
  controllerElectedMs: number | null;
  sessionExpiredMs: number | null;
  newLeaderReadyMs: number | null;
  clientSawLeaderMs: number | null;
  /** librdkafka's metadata requests after the kill: ms since the kill and its reason. */
  clientMetadataRequests: string[];
  sent: number;
  undelivered: number;
  failures: string[];
}

interface ProducerReport {
  undelivered: number;
  failures: string[];
  failure_count: number;
  sent_ms: number[];
  acked_ms: (number | null)[];
}

/** Runs `trials` trials on `topic` (RF=3, ISR full); a trial that cannot measure is added to `broken`. */
export async function failoverTrials(cluster: BenchCluster, topic: string, trials: number, broken: string[]): Promise<FailoverTrial[]> {
  const out: FailoverTrial[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const { leader } = await waitFullIsr(cluster, topic, 3);
    const victim = cluster.nodes.find((n) => n.id === leader)!;
    progress(`failover trial ${trial}/${trials}: kill -9 node ${victim.id}, the leader of ${topic}`);
    const result = await oneTrial(cluster, topic, victim, trial);
    if (result.failoverMs === null || result.undelivered > 0 || result.failures.length > 0) {
      broken.push(`failover trial ${trial}: first ack from the new leader ${result.failoverMs} ms, ${result.undelivered} undelivered, failures ${JSON.stringify(result.failures)}`);
    }
    out.push(result);
    progress(`failover trial ${trial}: ${result.failoverMs} ms; restarting node ${victim.id}`);
    await cluster.startNode(victim);
  }
  await waitFullIsr(cluster, topic, 3);
  return out;
}

async function oneTrial(cluster: BenchCluster, topic: string, victim: BenchNode, trial: number): Promise<FailoverTrial> {
  const producer = spawn(python, [path.join(repoRoot, 'bench', 'failover_producer.py'), cluster.bootstrap(), topic, String(failoverRatePerS)], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<void>((resolve) => producer.once('exit', () => resolve()));
  producer.stdout.on('data', (c: Buffer) => stdout.push(c.toString()));
  producer.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  try {
    await until('the failover producer to be ready', () => stdout.join('').includes('"ready"'), 30_000);
    await sleep(beforeKillMs);
    const survivors = cluster.live().filter((n) => n !== victim);
    const killMs = Date.now();
    victim.process!.kill('SIGKILL');
    await victim.process!.waitExit(10_000);
    victim.process = null;
    await until('a new leader', () => eventsAfter(survivors, killMs, 'ReplicaBecameLeader').some((e) => e['topic'] === topic), newLeaderTimeoutMs);
    await sleep(afterLeaderMs);
    producer.stdin.end('stop\n');
    await until('the failover producer to report', () => stdout.join('').includes('"done"'), 90_000);
    const report = JSON.parse(stdout.join('').trim().split('\n').at(-1)!) as ProducerReport;
    return analyse(trial, victim.id, killMs, report, survivors, topic, stderr.join(''));
  } finally {
    if (producer.exitCode === null && producer.signalCode === null) producer.kill('SIGKILL');
    await exited;
  }
}

function analyse(trial: number, victim: number, killMs: number, report: ProducerReport, survivors: BenchNode[], topic: string, clientLog: string): FailoverTrial {
  const acks = report.acked_ms.map((ack, i) => ({ sent: report.sent_ms[i]!, ack })).filter((m): m is { sent: number; ack: number } => m.ack !== null);
  const firstAck = (keep: (m: { sent: number; ack: number }) => boolean): number | null => {
    const times = acks.filter(keep).map((m) => m.ack);
    return times.length === 0 ? null : Math.min(...times) - killMs;
  };
  const ackTimes = acks.map((m) => m.ack).sort((a, b) => a - b);
  let gapMax: number | null = null;
  for (let i = 1; i < ackTimes.length; i++) gapMax = Math.max(gapMax ?? 0, ackTimes[i]! - ackTimes[i - 1]!);
  const since = (events: Record<string, unknown>[]): number | null => (events.length === 0 ? null : Math.min(...events.map((e) => e['time'] as number)) - killMs);
  const controllerElected = eventsAfter(survivors, killMs, 'RaftBecameLeader');
  const newLeaderMs = since(eventsAfter(survivors, killMs, 'ReplicaBecameLeader').filter((e) => e['topic'] === topic));
  return {
    trial,
    victim,
    victimWasController: controllerElected.length > 0,
    failoverMs: newLeaderMs === null ? null : firstAck((m) => m.ack >= killMs + newLeaderMs),
    firstAckSentAfterKillMs: firstAck((m) => m.sent > killMs),
    acksBeforeNewLeader: acks.filter((m) => m.ack > killMs && (newLeaderMs === null || m.ack < killMs + newLeaderMs)).length,
    ackGapMaxMs: gapMax,
    controllerElectedMs: since(controllerElected),
    sessionExpiredMs: since([...eventsAfter(survivors, killMs, 'BrokerSessionExpired'), ...eventsAfter(survivors, killMs, 'BrokerProcessGone')].filter((e) => e['brokerId'] === victim)),
    newLeaderReadyMs: newLeaderMs,
    clientSawLeaderMs: clientSawNewLeader(clientLog, topic, victim, killMs),
    clientMetadataRequests: clientMetadataRequests(clientLog, killMs),
    sent: report.sent_ms.length,
    undelivered: report.undelivered,
    failures: report.failures,
  };
}

/** Log events named `name` logged by `nodes` at or after `sinceMs` (wall clock). */
function eventsAfter(nodes: BenchNode[], sinceMs: number, name: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const node of nodes) {
    for (const line of node.process?.output ?? []) {
      if (!line.includes(`"${name}"`)) continue;
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e['msg'] === name && typeof e['time'] === 'number' && e['time'] >= sinceMs) events.push(e);
      } catch {
        // not a JSON log line
      }
    }
  }
  return events;
}

/**
 * librdkafka's metadata debug lines look like
 * `%7|1764520000.123|METADATA|rdkafka#producer-1| [thrd:main]: ...: Topic T partition 0 Leader 3`:
 * the first after the kill that names a leader other than the victim is when the client learned it.
 */
function clientSawNewLeader(clientLog: string, topic: string, victim: number, killMs: number): number | null {
  const pattern = new RegExp(`^%\\d\\|(\\d+\\.\\d+)\\|METADATA\\|.*Topic ${topic} partition 0 Leader (-?\\d+)`);
  for (const line of clientLog.split('\n')) {
    const m = pattern.exec(line);
    if (m === null) continue;
    const atMs = Number(m[1]) * 1000;
    const leader = Number(m[2]);
    if (atMs >= killMs && leader >= 0 && leader !== victim) return atMs - killMs;
  }
  return null;
}

/** `...|METADATA|...: Request metadata for 1 topic(s): leader query` lines after the kill. */
function clientMetadataRequests(clientLog: string, killMs: number): string[] {
  const out: string[] = [];
  for (const line of clientLog.split('\n')) {
    const m = /^%\d\|(\d+\.\d+)\|METADATA\|.*Request metadata for .*?: (.*)$/.exec(line);
    if (m !== null && Number(m[1]) * 1000 >= killMs) out.push(`${Math.round(Number(m[1]) * 1000 - killMs)} ${m[2]}`);
  }
  return out;
}

export function summarizeFailover(trials: FailoverTrial[]): {
  failoverMsMedian: number | null;
  failoverMsMin: number | null;
  failoverMsMax: number | null;
  sessionExpiredMsMedian: number | null;
  electionMsMedian: number | null;
  clientMetadataMsMedian: number | null;
  firstAckMsMedian: number | null;
} {
  const failovers = trials.map((t) => t.failoverMs).filter((x): x is number => x !== null);
  const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
  return {
    failoverMsMedian: median(failovers),
    failoverMsMin: failovers.length === 0 ? null : Math.min(...failovers),
    failoverMsMax: failovers.length === 0 ? null : Math.max(...failovers),
    sessionExpiredMsMedian: median(trials.map((t) => t.sessionExpiredMs)),
    electionMsMedian: median(trials.map((t) => diff(t.newLeaderReadyMs, t.sessionExpiredMs))),
    clientMetadataMsMedian: median(trials.map((t) => diff(t.clientSawLeaderMs, t.newLeaderReadyMs))),
    firstAckMsMedian: median(trials.map((t) => diff(t.failoverMs, t.clientSawLeaderMs))),
  };
}

function median(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
