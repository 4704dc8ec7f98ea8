/**
 * Real-process chaos scenarios: real `chronik start` processes (chaos-cluster.ts), every link behind
 * the fault proxy, real clients (kafkajs and librdkafka) recording a history, judged by the
 * simulator's checker (sim/checkers/kafka-history.ts): acks=all acknowledged writes must survive,
 * idempotent producers leave no duplicates, offsets never change their value. Each scenario is
 * bounded in time (a fixed fault schedule, every wait with a limit), heals every fault, restarts
 * what it stopped, waits for full ISRs and ends with a final read of every partition.
 *
 * Names follow `<subsystem>-<fault>` as the simulator's scenarios do.
 */
import { Kafka } from 'kafkajs';
import { checkKafkaHistory, renderFindings } from '../../sim/checkers/kafka-history.ts';
import { testOnlyBugsVariable, type TestOnlyBugs } from '../../src/cli/test-only-bugs.ts';
import { ChaosCluster } from './chaos-cluster.ts';
import { ChaosHistory, finalRead, KafkajsProducerLoop, runLibrdkafkaProducer } from './workload.ts';

export interface ScenarioRow {
  readonly scenario: string;
  readonly operations: number;
  readonly acked: number;
  readonly lost: number;
  readonly duplicates: number;
  /**
   * pass, FAIL (the checker, the liveness check or the scenario's own check found something) or
   * ERROR (the scenario itself broke, e.g. a wait timed out: never a catch).
   */
  readonly verdict: 'pass' | 'FAIL' | 'ERROR';
  /** What made a FAIL: the checker's finding kinds (lost-write, ...), 'liveness', 'scenario-check'. */
  readonly found: readonly string[];
  /**
   * Whether the verdict is what the scenario expects: pass, or for a planted bug FAIL with a finding
   * of a kind it `catches` (an ERROR, or a FAIL for another reason, is not a catch).
   */
  readonly asExpected: boolean;
  readonly seconds: number;
  readonly notes: string[];
}

export interface ScenarioContext {
  readonly cluster: ChaosCluster;
  readonly recorder: ChaosHistory;
  readonly topic: string;
  readonly partitions: number;
  readonly notes: string[];
  /**
   * What the scenario's own checks found wrong, each making it FAIL: 'scenario-check' (a broker
   * listing the wrong brokers, an exit code) or 'liveness' (the cluster did not heal in time).
   */
  readonly violations: Violation[];
}

export interface Violation {
  readonly kind: 'scenario-check' | 'liveness';
  readonly message: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly nodes: 1 | 3;
  /** Environment for every broker (a planted bug). */
  readonly env?: Record<string, string>;
  /** The checker must find something (a planted bug). */
  readonly expectFail?: boolean;
  /** With expectFail: the kinds of finding that are this bug's (ScenarioRow.found); any of them is a catch. */
  readonly catches?: readonly string[];
  run(ctx: ScenarioContext): Promise<void>;
}

const topic = 'chaos';
const partitions = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The common shape of a fault scenario: two kafkajs producers and librdkafka write for
 * `loadMs`; `faults` runs alongside (its own schedule, from the start of the load).
 */
async function underLoad(ctx: ScenarioContext, loadMs: number, faults: () => Promise<void>): Promise<void> {
  const producers = ['kafkajs-1', 'kafkajs-2'].map((name) => new KafkajsProducerLoop(ctx.cluster, ctx.recorder, name, ctx.topic, ctx.partitions).start());
  // Settled into a value at once, so a failure while the faults run is not an unhandled rejection.
  const librdkafka = runLibrdkafkaProducer(ctx.cluster, ctx.recorder, { name: 'librdkafka', topic: ctx.topic, partitions: ctx.partitions, durationMs: loadMs, paceMs: 10, flushMs: 20_000 }).then(
    (result) => ({ result, error: null }),
    (error: Error) => ({ result: null, error }),
  );
  let faultError: unknown = null;
  await faults().catch((error: unknown) => void (faultError = error));
  // librdkafka runs for loadMs, then flushes (bounded: its flush and execFile's timeout); the kafkajs producers stop with it.
  const rd = await librdkafka;
  await Promise.all(producers.map((p) => p.stop()));
  if (faultError !== null) throw faultError;
  if (rd.error !== null) throw rd.error;
  if (rd.result.fatal !== null) ctx.notes.push(`librdkafka stopped on a fatal error: ${rd.result.fatal}`);
}

/**
 * Waits (bounded) until every ISR is full again after a restart; a cluster that does not get there
 * fails the scenario on liveness (a violation, not an ERROR of the harness). Returns whether it did.
 */
async function isrFullAgain(ctx: ScenarioContext): Promise<boolean> {
  return ctx.cluster.waitForIsr(ctx.topic, 3).then(
    () => true,
    (error: Error) => (ctx.violations.push({ kind: 'liveness', message: error.message }), false),
  );
}

/** The partition-0 leader and the other brokers. */
async function leaderAndFollowers(ctx: ScenarioContext): Promise<{ leader: number; followers: number[] }> {
  const leader = await ctx.cluster.leaderOf(ctx.topic, 0);
  return { leader, followers: ctx.cluster.nodes.map((n) => n.id).filter((id) => id !== leader) };
}

/**
 * newLeaderElected as a liveness check: a cluster that elects no new leader within 30 s FAILs on
 * liveness (a violation, not an ERROR of the harness). The new leader, or null.
 */
async function newLeaderRequired(ctx: ScenarioContext, old: number): Promise<number | null> {
  return newLeaderElected(ctx, old, 30_000).catch((error: Error) => (ctx.violations.push({ kind: 'liveness', message: error.message }), null));
}

/** Waits until some broker other than `old` says it leads partition 0 (bounded). */
async function newLeaderElected(ctx: ScenarioContext, old: number, timeoutMs: number): Promise<number> {
  const startedMs = Date.now();
  const others = ctx.cluster.nodes.filter((n) => n.id !== old);
  let leader = -1;
  await ChaosCluster.until(`a leader of partition 0 other than ${old}`, async () => {
    for (const node of others) {
      const admin = new Kafka({ clientId: 'probe', brokers: [`${node.clientAddress.host}:${node.clientAddress.port}`], logLevel: 0, retry: { retries: 0 }, requestTimeout: 2000, connectionTimeout: 1000 }).admin();
      try {
        await admin.connect();
        const state = await ctx.cluster.partitionState(admin, ctx.topic, 0);
        if (state.leader > 0 && state.leader !== old) leader = state.leader;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      if (leader > 0) return true;
    }
    return false;
  }, timeoutMs);
  ctx.notes.push(`new leader ${leader} after ${Date.now() - startedMs} ms`);
  return leader;
}

/** The scenarios against correct brokers: each must pass. */
export const realScenarios: readonly Scenario[] = [
  {
    name: 'single-node-basic',
    description: 'one node (no --voters) behind the proxy: kafkajs and librdkafka produce for 3 s, then a final read',
    nodes: 1,
    run: (ctx) => underLoad(ctx, 3000, () => sleep(3000)),
  },
  {
    name: 'cluster-formation',
    description: 'three nodes: every broker answers Metadata with all three brokers at their proxy addresses; then 3 s of writes',
    nodes: 3,
    async run(ctx) {
      for (const node of ctx.cluster.nodes) {
        const admin = new Kafka({ clientId: 'md', brokers: [`127.0.0.1:${node.clientAddress.port}`], logLevel: 0 }).admin();
        await admin.connect();
        const described = await admin.describeCluster();
        await admin.disconnect();
        const ports = described.brokers.map((b) => b.port).sort();
        const expected = ctx.cluster.nodes.map((n) => n.clientAddress.port).sort();
        if (JSON.stringify(ports) !== JSON.stringify(expected)) ctx.violations.push({ kind: 'scenario-check', message: `broker ${node.id} lists ports ${ports}, expected the proxy's ${expected}` });
      }
      // Clients could not reach every leader: the scenario stops here (FAIL).
      if (ctx.violations.length > 0) return;
      ctx.notes.push('every broker listed brokers 1-3 at their proxy addresses');
      await underLoad(ctx, 3000, () => sleep(3000));
    },
  },
  {
    name: 'leader-kill9-during-produce',
    description: 'kill -9 the leader of partition 0 at 3 s, restart it at 9 s; load for 12 s',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 12_000, async () => {
        await sleep(3000);
        const { leader } = await leaderAndFollowers(ctx);
        await ctx.cluster.kill(leader);
        ctx.notes.push(`killed leader ${leader}`);
        if ((await newLeaderRequired(ctx, leader)) === null) return;
        await sleep(3000);
        await ctx.cluster.startNode(leader);
      }),
  },
  {
    name: 'follower-crash-rejoin',
    description: 'kill -9 a follower of partition 0 at 3 s, restart it at 8 s and wait until it is back in every ISR',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 12_000, async () => {
        await sleep(3000);
        const { followers } = await leaderAndFollowers(ctx);
        await ctx.cluster.kill(followers[0]!);
        ctx.notes.push(`killed follower ${followers[0]}`);
        await sleep(5000);
        await ctx.cluster.startNode(followers[0]!);
        await isrFullAgain(ctx);
      }),
  },
  {
    name: 'cluster-rolling-sigterm',
    description: 'SIGTERM each node in turn under load (exit 0 expected), restart it, wait for full ISRs before the next',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 15_000, async () => {
        await sleep(1000);
        for (const node of ctx.cluster.nodes) {
          const code = await ctx.cluster.terminate(node.id);
          if (code !== 0) ctx.violations.push({ kind: 'scenario-check', message: `node ${node.id} exited ${code} on SIGTERM` });
          await ctx.cluster.startNode(node.id);
          if (!(await isrFullAgain(ctx))) return;
        }
        if (ctx.violations.length === 0) ctx.notes.push('3 SIGTERM restarts, each exited 0');
      }),
  },
  {
    name: 'network-resets-mid-frame',
    description: 'every 300 ms for 8 s, every connection (clients and brokers) is cut after half a chunk and reset',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 10_000, async () => {
        await sleep(1000);
        const endMs = Date.now() + 8000;
        while (Date.now() < endMs) {
          ctx.cluster.proxy.resetConnections();
          await sleep(300);
        }
        const c = ctx.cluster.proxy.counters;
        ctx.notes.push(`${c.resetsMidFrame} connections reset mid-frame, ${c.resetsIdle} idle ones reset`);
      }),
  },
  {
    name: 'leader-one-way-partition',
    description: "for 8 s, everything the leader of partition 0 sends to the other brokers is dropped (it still hears them; clients reach everyone)",
    nodes: 3,
    run: (ctx) => oneWayPartition(ctx),
  },
  {
    name: 'leader-two-way-partition',
    description: 'for 8 s, the leader of partition 0 and the other brokers hear nothing from each other (clients reach everyone)',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 14_000, async () => {
        await sleep(2000);
        const { leader } = await leaderAndFollowers(ctx);
        ctx.cluster.proxy.isolate(String(leader));
        ctx.notes.push(`isolated leader ${leader}`);
        if ((await newLeaderRequired(ctx, leader)) === null) return;
        await sleep(8000);
        ctx.cluster.proxy.heal();
      }),
  },
  {
    name: 'leader-paused-zombie',
    description: 'SIGSTOP the leader of partition 0 until another broker leads it (its session expired), 3 s more, then SIGCONT: the zombie must not ack or serve stale writes',
    nodes: 3,
    run: (ctx) =>
      underLoad(ctx, 16_000, async () => {
        await sleep(2000);
        const { leader } = await leaderAndFollowers(ctx);
        ctx.cluster.pause(leader);
        ctx.notes.push(`paused leader ${leader}`);
        if ((await newLeaderRequired(ctx, leader)) === null) return;
        await sleep(3000);
        ctx.cluster.resume(leader);
      }),
  },
];

/**
 * A planted twin: the real scenario `base` against brokers started with CHRONIK_TEST_ONLY_BUGS set to
 * `bugs` (src/cli/test-only-bugs.ts). It must FAIL with a finding of a kind in `catches`.
 */
export function plantedTwin(base: string, bugs: TestOnlyBugs, catches: readonly string[], what: string): Scenario {
  const real = realScenarios.find((s) => s.name === base);
  if (real === undefined) throw new Error(`no scenario ${base}`);
  return {
    ...real,
    name: `planted-${base}`,
    description: `${base} against brokers with a planted bug (${what}): must FAIL with ${catches.join(' or ')}`,
    env: { [testOnlyBugsVariable]: JSON.stringify(bugs) },
    expectFail: true,
    catches,
  };
}

/**
 * Every real scenario, then its planted twin: a bug that scenario's fault exposes, and the findings
 * that are that bug's (docs/chaos.md, "The planted bugs").
 */
export const scenarios: readonly Scenario[] = [
  ...realScenarios,
  plantedTwin('single-node-basic', { broker: { produceOffsetOffByOne: true } }, ['lost-write'], 'produce answers each base offset plus one'),
  plantedTwin('cluster-formation', { broker: { metadataListsOnlySelf: true } }, ['scenario-check'], 'Metadata lists only the broker that answers'),
  plantedTwin('leader-kill9-during-produce', { controller: { sessionsNeverExpire: true } }, ['liveness'], "a dead broker's session never expires"),
  plantedTwin('follower-crash-rejoin', { replication: { isrNeverExpands: true } }, ['liveness'], 'a follower is never added back to the ISR'),
  plantedTwin('cluster-rolling-sigterm', { replication: { hwIgnoresFollowers: true } }, ['lost-write', 'broker-crash'], 'the high watermark ignores the followers'),
  plantedTwin('network-resets-mid-frame', { broker: { duplicateRetriesAppended: true } }, ['duplicate'], "a retried batch the producer state knows is appended again"),
  plantedTwin('leader-one-way-partition', { replication: { hwIgnoresFollowers: true } }, ['lost-write', 'broker-crash'], 'the high watermark ignores the followers'),
  plantedTwin('leader-two-way-partition', { replication: { acksAllBeforeIsr: true } }, ['lost-write'], 'acks=all answered before the ISR has the batch'),
  plantedTwin('leader-paused-zombie', { replication: { hwIgnoresFollowers: true } }, ['lost-write', 'broker-crash'], 'the high watermark ignores the followers'),
];

function oneWayPartition(ctx: ScenarioContext): Promise<void> {
  return underLoad(ctx, 14_000, async () => {
    await sleep(2000);
    const { leader, followers } = await leaderAndFollowers(ctx);
    for (const f of followers) ctx.cluster.proxy.block(String(leader), String(f));
    ctx.notes.push(`dropped everything leader ${leader} sends to ${followers.join(' and ')}`);
    await newLeaderElected(ctx, leader, 30_000).catch((e: Error) => void ctx.notes.push(e.message));
    await sleep(6000);
    ctx.cluster.proxy.heal();
  });
}

/** Runs one scenario from a fresh cluster to its verdict; never throws (a broken run is ERROR). */
export async function runScenario(scenario: Scenario, log: (line: string) => void = () => undefined): Promise<ScenarioRow> {
  const startedMs = Date.now();
  const notes: string[] = [];
  const violations: Violation[] = [];
  const recorder = new ChaosHistory();
  let cluster: ChaosCluster | null = null;
  // FAIL without the final read: acked counts what the clients had acknowledged; lost and duplicates were not checked.
  const failedEarly = (found: readonly Violation[]): ScenarioRow => {
    const crashes = cluster?.crashes() ?? [];
    notes.push(...found.map((v) => `${v.kind}: ${v.message}`), ...crashes.map((c) => `broker-crash: ${c}`));
    const kinds = new Set<string>(found.map((v) => v.kind));
    if (crashes.length > 0) kinds.add('broker-crash');
    const acked = recorder.history.ops.reduce((n, op) => n + (op.kind === 'produce' && op.outcome.type === 'ok' && op.acks !== 0 ? op.values.length : 0), 0);
    return row('FAIL', { acked, lost: 0, duplicates: 0 }, [...kinds]);
  };
  const row = (verdict: ScenarioRow['verdict'], counts: { acked: number; lost: number; duplicates: number }, found: readonly string[]): ScenarioRow => ({
    scenario: scenario.name,
    operations: recorder.history.ops.filter((op) => op.kind === 'produce').length,
    ...counts,
    verdict,
    found,
    asExpected: scenario.expectFail === true ? verdict === 'FAIL' && found.some((kind) => scenario.catches?.includes(kind) === true) : verdict === 'pass',
    seconds: Math.round((Date.now() - startedMs) / 100) / 10,
    notes,
  });
  try {
    cluster = await ChaosCluster.start({ nodes: scenario.nodes, name: scenario.name, env: scenario.env });
    await createTopic(cluster);
    log(`${scenario.name}: cluster up in ${Date.now() - startedMs} ms`);
    const ctx: ScenarioContext = { cluster, recorder, topic, partitions, notes, violations };
    await scenario.run(ctx);
    // A scenario's own check failed: its verdict is FAIL, and what follows (which may rely on what
    // failed, e.g. clients finding every broker) is not run.
    if (violations.length > 0) return failedEarly(violations);
    // Liveness after the faults stop: every ISR full again. If not, the final read still runs (it
    // reads what the leaders serve) and the scenario fails, naming it.
    const unhealed = await healAll(cluster).then(() => null, (error: Error) => error.message);
    // A broker crashed and the cluster did not heal: the final read could only wait for what cannot come.
    if (unhealed !== null && cluster.crashes().length > 0) return failedEarly([{ kind: 'liveness', message: unhealed }]);
    if (unhealed !== null) notes.push(`liveness: ${unhealed}`);
    const healed = unhealed === null;
    await finalRead(cluster, recorder, topic);
    const result = checkKafkaHistory(recorder.history, { mustSurvive: (op) => op.acks === -1 });
    const crashes = cluster.crashes();
    notes.push(...crashes.map((c) => `broker-crash: ${c}`), ...renderFindings(result.findings, 5));
    const found = [...Object.keys(result.counts.findings), ...(healed ? [] : ['liveness']), ...(crashes.length > 0 ? ['broker-crash'] : [])];
    return row(found.length === 0 ? 'pass' : 'FAIL', result.counts, found);
  } catch (error) {
    notes.unshift(`error: ${(error as Error).message}`);
    // A broker that ended by itself (an assertion, an uncaught error) is what broke the scenario:
    // a FAIL naming the crash, not an ERROR of the harness.
    const crashes = cluster?.crashes() ?? [];
    notes.unshift(...crashes.map((c) => `broker-crash: ${c}`));
    if (cluster !== null) notes.push(cluster.outputTail(15));
    return row(crashes.length > 0 ? 'FAIL' : 'ERROR', { acked: 0, lost: 0, duplicates: 0 }, crashes.length > 0 ? ['broker-crash'] : []);
  } finally {
    await cluster?.close().catch(() => undefined);
  }
}

async function createTopic(cluster: ChaosCluster): Promise<void> {
  const admin = cluster.kafka('create-topic').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: cluster.nodes.length }], waitForLeaders: true });
  await admin.disconnect();
  await cluster.waitForIsr(topic, cluster.nodes.length);
}

/** After the faults: no block, no paused or stopped node, every ISR full. */
async function healAll(cluster: ChaosCluster): Promise<void> {
  cluster.proxy.heal();
  for (const node of cluster.nodes) {
    if (node.paused) cluster.resume(node.id);
    if (node.process === null) await cluster.startNode(node.id);
  }
  await cluster.waitForIsr(topic, cluster.nodes.length);
}
