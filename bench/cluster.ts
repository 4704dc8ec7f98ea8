/**
 * `npm run bench:cluster`: produce throughput and latency of a 3-node RF=3 cluster (min.insync.replicas
 * 2) with acks=all and acks=1, next to one single-node broker and the null-broker ceiling, all in
 * one run with the same client (librdkafka through `bench/librdkafka_load.py`, as `npm run bench`),
 * 256-byte messages, one partition, fsync before every acknowledgement (the default flush policy);
 * then the leader failover time of the cluster: kill -9 of the partition leader to the first
 * acknowledgement from the new leader, over several trials, with where the time went.
 *
 * For every configuration: the maximum rate (as fast as the client goes), then p50/p99 latency at a
 * paced 50K msg/s and at half of that configuration's own maximum. Prints a JSON line, the tables and
 * the goals (met / not met). Exits non-zero only when a run is broken (a process did not start, a
 * message was not delivered or not stored, no acknowledgement after a kill), never on a missed goal.
 *
 * Options: --count N (messages per max-rate run, default 1,000,000), --paced-seconds S (length of
 * each paced run, default 5), --trials N (failover trials, default 5), --quick (100,000 messages,
 * 2 s paced runs, 2 trials: checks that the bench works, measures little), --failover-only,
 * --skip-failover, --broker-session-timeout-ms N (passed to the cluster's nodes, to see what a
 * shorter session does to failover; the goals are about the default, so the goal line says so).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { freePort } from '../chaos/broker-process.ts';
import { BenchCluster, waitFullIsr } from './bench-cluster.ts';
import { failoverTrials, summarizeFailover, type FailoverTrial } from './failover.ts';
import { fmt, load, progress, startNullBroker, storedMessages, type LoadResult } from './kafka-load.ts';

const quick = process.argv.includes('--quick');
const count = numberArg('--count', quick ? 100_000 : 1_000_000);
const pacedSeconds = numberArg('--paced-seconds', quick ? 2 : 5);
const trials = numberArg('--trials', quick ? 2 : 5);
const failoverOnly = process.argv.includes('--failover-only');
const skipFailover = process.argv.includes('--skip-failover');
const sessionTimeoutArg = process.argv.includes('--broker-session-timeout-ms') ? numberArg('--broker-session-timeout-ms', 3000) : null;
const pacedRateFixed = 50_000;
const goals = { ratioMin: 0.5, rf3AcksAllRateMin: 250_000, failoverMsMax: 2000 };

function numberArg(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} takes a positive whole number, got '${process.argv[at + 1]}'`);
  return value;
}

/** What a broken run looks like; any of these fails the bench (exit 1). */
const broken: string[] = [];

interface ConfigResult {
  max: Record<'all' | '1', LoadResult>;
  /** CPU seconds each broker process used during the max-rate run, and the machine's busy share. */
  maxCpu: Record<'all' | '1', CpuUse>;
  paced50k: Record<'all' | '1', LoadResult>;
  pacedHalf: Record<'all' | '1', LoadResult>;
}

function checkDelivered(label: string, r: LoadResult): LoadResult {
  if ((r.undelivered ?? 0) > 0 || (r.sampled_failures ?? 0) > 0) broken.push(`${label}: ${r.undelivered} undelivered, ${r.sampled_failures} failed deliveries`);
  return r;
}

async function ceiling(): Promise<Record<'all' | '1', LoadResult>> {
  const port = await freePort();
  const nullBroker = await startNullBroker(port);
  try {
    const out = {} as Record<'all' | '1', LoadResult>;
    for (const acks of ['all', '1'] as const) {
      progress(`null broker: ${count} msgs acks=${acks}`);
      out[acks] = checkDelivered(`null broker acks=${acks}`, await load(['produce', `127.0.0.1:${port}`, `ceiling-${acks}`, acks, String(count)]));
    }
    return out;
  } finally {
    nullBroker.kill('SIGTERM');
  }
}

/**
 * The five runs of one configuration, each on a fresh topic made by `topic(name)`. The max-rate
 * acks=all topic is counted afterwards: every message (and the warm-up) must be stored.
 */
interface CpuUse {
  brokerSeconds: number[];
  machineBusy: number;
}

/** utime + stime of a process, in seconds (Linux /proc). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** Busy and total CPU time of the whole machine so far, in seconds (Linux /proc/stat). */
function machineCpuSeconds(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3]! - ticks[4]!) / clockTicksPerSecond, total: total / clockTicksPerSecond };
}

/** USER_HZ: 100 on Linux for every architecture Node runs on. */
const clockTicksPerSecond = 100;

async function withCpu<T>(pids: number[], run: () => Promise<T>): Promise<{ value: T; cpu: CpuUse }> {
  const before = pids.map(processCpuSeconds);
  const machineBefore = machineCpuSeconds();
  const value = await run();
  const machineAfter = machineCpuSeconds();
  const brokerSeconds = pids.map((pid, k) => processCpuSeconds(pid) - before[k]!);
  return { value, cpu: { brokerSeconds, machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total) } };
}

async function measure(label: string, cluster: BenchCluster, topic: (name: string) => Promise<string>): Promise<ConfigResult> {
  const bootstrap = cluster.bootstrap();
  const result = { max: {}, maxCpu: {}, paced50k: {}, pacedHalf: {} } as ConfigResult;
  for (const acks of ['all', '1'] as const) {
    progress(`${label}: ${count} msgs acks=${acks}, as fast as the client goes`);
    const name = await topic(`max-${acks}`);
    const pids = cluster.nodes.map((n) => n.process!.pid);
    const { value, cpu } = await withCpu(pids, () => load(['produce', bootstrap, name, acks, String(count)]));
    result.max[acks] = checkDelivered(`${label} max acks=${acks}`, value);
    result.maxCpu[acks] = cpu;
    if (acks === 'all') {
      const stored = await storedMessages(bootstrap.split(','), name);
      if (stored !== count + 1) broken.push(`${label}: ${stored} messages stored in ${name}, ${count + 1} produced`);
    }
  }
  for (const acks of ['all', '1'] as const) {
    for (const [key, rate] of [['paced50k', pacedRateFixed], ['pacedHalf', Math.floor(result.max[acks].msgs_per_s / 2)]] as const) {
      progress(`${label}: acks=${acks} paced at ${rate} msg/s for ${pacedSeconds} s`);
      const name = await topic(`${key}-${acks}`);
      result[key][acks] = checkDelivered(`${label} ${key} acks=${acks}`, await load(['produce', bootstrap, name, acks, String(rate * pacedSeconds), String(rate)]));
    }
  }
  return result;
}

async function singleNode(): Promise<ConfigResult> {
  const cluster = await BenchCluster.start(1, 'bench-single');
  try {
    return await measure('single node', cluster, (name) => cluster.createTopic(name, 1));
  } finally {
    await cluster.stop();
  }
}

async function threeNodes(): Promise<{ rf3?: ConfigResult; failover?: FailoverTrial[] }> {
  const cluster = await BenchCluster.start(3, 'bench-rf3', sessionTimeoutArg === null ? [] : ['--broker-session-timeout-ms', String(sessionTimeoutArg)]);
  try {
    const rf3 = failoverOnly ? undefined : await measure('3 nodes RF=3', cluster, (name) => cluster.createTopic(name, 3));
    if (skipFailover) return { rf3 };
    const topic = await cluster.createTopic('failover', 3);
    await waitFullIsr(cluster, topic, 3);
    const failover = await failoverTrials(cluster, topic, trials, broken);
    return { rf3, failover };
  } finally {
    await cluster.stop();
  }
}

function printThroughput(limit: Record<'all' | '1', LoadResult>, single: ConfigResult, rf3: ConfigResult): void {
  const lat = (r: LoadResult): string => `${fmt(r.p50_ms, 2)} / ${fmt(r.p99_ms, 2)}`;
  console.log('\n| configuration | acks | max msgs/s | MB/s | of ceiling | p50 / p99 ms at max | p50 / p99 ms at 50K/s (rate reached) | half max: target msgs/s | p50 / p99 ms at half max (rate reached) |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const acks of ['all', '1'] as const) {
    const c = limit[acks];
    console.log(`| null broker (ceiling) | ${acks} | ${fmt(c.msgs_per_s)} | ${fmt(c.mb_per_s, 1)} |  | ${lat(c)} |  |  |  |`);
  }
  for (const [name, r] of [['single node', single], ['3 nodes, RF=3, min ISR 2', rf3]] as const) {
    for (const acks of ['all', '1'] as const) {
      const m = r.max[acks];
      const p = r.paced50k[acks];
      const h = r.pacedHalf[acks];
      console.log(
        `| ${name} | ${acks} | ${fmt(m.msgs_per_s)} | ${fmt(m.mb_per_s, 1)} | ${fmt((100 * m.msgs_per_s) / limit[acks].msgs_per_s, 1)}% | ${lat(m)} | ${lat(p)} (${fmt(p.msgs_per_s)}) | ${fmt(Math.floor(m.msgs_per_s / 2))} | ${lat(h)} (${fmt(h.msgs_per_s)}) |`,
      );
    }
  }
  console.log('\n| configuration | acks | broker CPU s per 1M messages at max (each broker) | machine busy over the run |');
  console.log('|---|---|---|---|');
  for (const [name, r] of [['single node', single], ['3 nodes, RF=3, min ISR 2', rf3]] as const) {
    for (const acks of ['all', '1'] as const) {
      const per = (seconds: number): string => fmt((seconds * 1_000_000) / count, 2);
      const cpu = r.maxCpu[acks];
      console.log(`| ${name} | ${acks} | ${cpu.brokerSeconds.map(per).join(' + ')} | ${fmt(100 * cpu.machineBusy, 0)}% of ${availableParallelism()} cores |`);
    }
  }
  const ratioAll = rf3.max.all.msgs_per_s / single.max.all.msgs_per_s;
  const ratio1 = rf3.max['1'].msgs_per_s / single.max['1'].msgs_per_s;
  console.log(`\nsame-run ratios: RF=3 acks=all / single-node acks=all = ${fmt(100 * ratioAll, 1)}%; RF=3 acks=1 / single-node acks=1 = ${fmt(100 * ratio1, 1)}%`);
  console.log(`goal: RF=3 acks=all >= ${100 * goals.ratioMin}% of single-node acks=all: ${ratioAll >= goals.ratioMin ? 'met' : 'NOT met'} (${fmt(100 * ratioAll, 1)}%)`);
  console.log(`goal: RF=3 acks=all >= ${fmt(goals.rf3AcksAllRateMin)} msg/s: ${rf3.max.all.msgs_per_s >= goals.rf3AcksAllRateMin ? 'met' : 'NOT met'} (${fmt(rf3.max.all.msgs_per_s)})`);
}

function printFailover(failover: FailoverTrial[]): void {
  const s = summarizeFailover(failover);
  console.log('\n| trial | victim | victim was controller: new controller after ms | kill → fenced ms | kill → new leader took over ms | kill → client saw new leader ms | kill → first ack from new leader ms | kill → first ack of a message sent after the kill ms | longest ack gap ms | acks from old leader after kill | sent | undelivered |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const t of failover) {
    console.log(
      `| ${t.trial} | ${t.victim} | ${t.victimWasController ? fmt(t.controllerElectedMs) : 'no'} | ${fmt(t.sessionExpiredMs)} | ${fmt(t.newLeaderReadyMs)} | ${fmt(t.clientSawLeaderMs)} | ${fmt(t.failoverMs)} | ${fmt(t.firstAckSentAfterKillMs)} | ${fmt(t.ackGapMaxMs)} | ${t.acksBeforeNewLeader} | ${t.sent} | ${t.undelivered} |`,
    );
  }
  for (const t of failover) console.log(`trial ${t.trial}: librdkafka metadata requests after the kill (ms, reason): ${t.clientMetadataRequests.join('; ')}`);
  console.log(`\nfailover median ${fmt(s.failoverMsMedian)} ms (min ${fmt(s.failoverMsMin)}, max ${fmt(s.failoverMsMax)}) over ${failover.length} trials`);
  console.log(`median breakdown: kill → fenced ${fmt(s.sessionExpiredMsMedian)} ms; fenced → new leader took over ${fmt(s.electionMsMedian)} ms; → client saw the new leader ${fmt(s.clientMetadataMsMedian)} ms; → first ack ${fmt(s.firstAckMsMedian)} ms`);
  console.log(`goal: failover under ${goals.failoverMsMax} ms (median${sessionTimeoutArg === null ? ', default timeouts' : `; NOT the default timeouts: --broker-session-timeout-ms ${sessionTimeoutArg}`}): ${s.failoverMsMedian !== null && s.failoverMsMedian < goals.failoverMsMax ? 'met' : 'NOT met'}`);
}

const startedAt = new Date().toISOString();
const limit = failoverOnly ? undefined : await ceiling();
const single = failoverOnly ? undefined : await singleNode();
const { rf3, failover } = await threeNodes();
console.log(JSON.stringify({ startedAt, count, pacedSeconds, brokerSessionTimeoutMs: sessionTimeoutArg ?? 'default', messageBytes: 256, ceiling: limit, single, rf3, failover, broken }));
if (limit && single && rf3) printThroughput(limit, single, rf3);
if (failover) printFailover(failover);
if (broken.length > 0) {
  console.error(`\nbroken run:\n${broken.join('\n')}`);
  process.exitCode = 1;
}
