import type { Scenario } from '../scenario.ts';
import { scenario as cluster } from './cluster.ts';
import { scenario as kernel } from './kernel.ts';
import { scenario as logCrash } from './log-crash.ts';
import { scenario as raft } from './raft.ts';
import { scenario as singleNode } from './single-node.ts';

/** Every scenario `npm run sim` knows, default first. Add one import and one entry per scenario. */
export const scenarios: Scenario[] = [
  cluster,
  kernel,
  logCrash,
  raft,
  singleNode,
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
