/**
 * Majority arithmetic, apart from the state machine (like etcd's quorum/majority.go).
 */
import { assert } from '../assert.ts';
import type { NodeId } from './types.ts';

export function majority(voterCount: number): number {
  assert(voterCount > 0, 'at least one voter');
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of voters has matched: sort the voters' match indexes
 * descending and take the one at position majority-1. A voter missing from `matchOf` counts as 0.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  const value = matches[majority(voters.length) - 1];
  assert(value !== undefined, 'majority position exists');
  return value;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** The outcome of an election given the answers so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = majority(voters.length);
  if (granted >= needed) return 'won';
  if (voters.length - rejected < needed) return 'lost';
  return 'pending';
}
