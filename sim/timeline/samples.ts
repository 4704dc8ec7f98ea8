import type { RaftStatus } from '../../src/core/raft/raft-node.ts';
import type { StateSample } from '../../src/io-sim/index.ts';

/** A Raft voter's row on the timeline: its role (or `failed`), its term, the leader it knows. */
export function raftSample(node: string, status: RaftStatus): StateSample {
  return {
    node,
    track: 'raft',
    role: status.failed ? 'failed' : status.role,
    epoch: status.term,
    detail: status.leader > 0 ? `leader n${status.leader}` : 'no leader known',
  };
}
