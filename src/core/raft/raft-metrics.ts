/**
 * The controller voter's metrics (cluster mode): term, leader, log positions, leader changes and
 * whether the node failed, read from RaftNode.status() at each scrape (catalog: the chronik_raft_
 * rows of src/core/metrics/catalog.ts).
 */
import { metricDefs, type Metrics } from '../metrics/index.ts';
import type { RaftStatus } from './raft-node.ts';

/** Registers the collector; returns the function that removes it. */
export function collectRaftMetrics(sink: Metrics, status: () => RaftStatus): () => void {
  const gauge = (def: (typeof metricDefs)[keyof typeof metricDefs]) => sink.gauge(def).child([]);
  const term = gauge(metricDefs.raftTerm);
  const leader = gauge(metricDefs.raftLeader);
  const isLeader = gauge(metricDefs.raftIsLeader);
  const lastIndex = gauge(metricDefs.raftLastIndex);
  const commitIndex = gauge(metricDefs.raftCommitIndex);
  const appliedIndex = gauge(metricDefs.raftAppliedIndex);
  const failed = gauge(metricDefs.raftFailed);
  const leaderChanges = sink.counter(metricDefs.raftLeaderChanges).child([]);
  let leaderChangesCounted = 0;
  return sink.addCollector(() => {
    const s = status();
    term.set(s.term);
    leader.set(s.leader);
    isLeader.set(s.role === 'leader' ? 1 : 0);
    lastIndex.set(s.lastIndex);
    commitIndex.set(s.commitIndex);
    appliedIndex.set(s.appliedIndex);
    failed.set(s.failed ? 1 : 0);
    if (s.leaderChanges > leaderChangesCounted) leaderChanges.inc(s.leaderChanges - leaderChangesCounted);
    leaderChangesCounted = s.leaderChanges;
  });
}
