import type { Scenario } from '../scenario.ts';
import { scenario as kernel } from './kernel.ts';

/** Every scenario `npm run sim` knows, default first. Add one import and one entry per scenario. */
export const scenarios: Scenario[] = [
  kernel,
];

export function findScenario(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
